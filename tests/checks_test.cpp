// The checks, one rule at a time, on facts written by hand and joined into modules by the
// real module model: each rule gets cases that must be reported and cases that must not.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "analyzer/check.h"
#include "analyzer/facts.h"
#include "analyzer/module_model.h"
#include "rules/catalogue.h"

namespace subcheck {
namespace {

// ---------------------------------------------------------------------------------------
// Running one check

struct Reported {
  SourceLocation location;
  std::string message;
  std::vector<std::string> modules;
};

// What a check reports, de-duplicated as subcheck does (core/finding.h's FindingSet).
class CollectingSink final : public FindingSink {
 public:
  void report(const SourceLocation& location, std::string message, std::vector<std::string> modules) override {
    Finding finding;
    finding.location = location;
    finding.message = std::move(message);
    finding.modules = std::move(modules);
    findings_.add(std::move(finding));
  }
  std::vector<Reported> take() {
    std::vector<Reported> reported;
    for (Finding& finding : findings_.take()) {
      reported.push_back({finding.location, std::move(finding.message), std::move(finding.modules)});
    }
    return reported;
  }

 private:
  FindingSet findings_;
};

// The data tables the data-driven checks match, as rules/*.toml provides them.
std::map<std::string, std::string> test_rule_data(std::string_view id) {
  if (id == "SI007") {
    return {{"PyState_FindModule", ""}, {"PyState_AddModule", ""}, {"PyState_RemoveModule", ""}};
  }
  if (id == "SI008") {
    return {{"PyGILState_Ensure", ""}, {"PyGILState_Release", ""}, {"PyGILState_GetThisThreadState", ""}};
  }
  if (id == "FT003") {
    return {{"PyDict_GetItem", "PyDict_GetItemRef"},
            {"PyDict_GetItemString", "PyDict_GetItemStringRef"},
            {"PyList_GET_ITEM", "PyList_GetItemRef"},
            {"PyWeakref_GetObject", "PyWeakref_GetRef"}};
  }
  return {};
}

const Check& check_for(std::string_view id) {
  static const auto all = make_all_checks();
  for (const auto& check : all) {
    if (check->rule_id() == id) return *check;
  }
  throw std::out_of_range("no check for " + std::string(id));
}

// Findings of rule `id` in `config`; none when the check does not run in that configuration.
std::vector<Reported> run_rule(std::string_view id, const AnalysisModel& model, BuildConfig config,
                               std::map<std::string, std::string> data) {
  const Check& check = check_for(id);
  CollectingSink sink;
  if (!check.applies_to(config)) return {};
  Rule rule;
  rule.id = std::string(id);
  rule.name = "test-rule";
  rule.data = std::move(data);
  CheckContext context{model, config, rule, sink, RuleCatalogue::builtin()};
  check.run(context);
  return sink.take();
}

std::vector<Reported> run_rule(std::string_view id, const AnalysisModel& model, BuildConfig config) {
  return run_rule(id, model, config, test_rule_data(id));
}

std::vector<unsigned> lines_in(const std::vector<Reported>& reported, const std::string& file) {
  std::vector<unsigned> lines;
  for (const auto& finding : reported) {
    if (finding.location.file == file) lines.push_back(finding.location.line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

const Reported* at_line(const std::vector<Reported>& reported, const std::string& file, unsigned line) {
  for (const auto& finding : reported) {
    if (finding.location.file == file && finding.location.line == line) return &finding;
  }
  return nullptr;
}

// The message at `line`, or "" when nothing was reported there (so a missing finding
// fails the expectation instead of crashing the test).
std::string message_at(const std::vector<Reported>& reported, const std::string& file, unsigned line) {
  const Reported* finding = at_line(reported, file, line);
  return finding == nullptr ? std::string{} : finding->message;
}

using Lines = std::vector<unsigned>;

// ---------------------------------------------------------------------------------------
// Writing facts by hand

SourceLocation at(const std::string& file, unsigned line, unsigned column = 5) { return {file, line, column}; }

CallFact call(std::string callee, SourceLocation where, std::vector<std::string> args = {}) {
  CallFact fact;
  fact.callee = std::move(callee);
  fact.location = where;
  fact.offset = where.line * 100 + where.column;
  fact.args = std::move(args);
  if (!fact.args.empty()) {
    std::string first = fact.args.front();
    if (!first.empty() && first.front() == '&') first.erase(0, 1);
    fact.first_arg_var = first;
  }
  return fact;
}

FunctionFact function(std::string name, SourceLocation where, std::vector<CallFact> calls, bool external = false) {
  FunctionFact fact;
  fact.usr = "c:@F@" + name;
  fact.name = std::move(name);
  fact.location = where;
  fact.external_linkage = external;
  fact.calls = std::move(calls);
  return fact;
}

GlobalVarFact global(std::string name, GlobalVarFact::Kind kind, SourceLocation where,
                     std::string type = "PyObject *") {
  GlobalVarFact fact;
  fact.usr = "c:" + where.file + "@" + name;
  fact.name = std::move(name);
  fact.type = std::move(type);
  fact.location = where;
  fact.kind = kind;
  return fact;
}

GlobalWriteFact write_to(const GlobalVarFact& var, std::string in_function, SourceLocation where) {
  GlobalWriteFact fact;
  fact.var_usr = var.usr;
  fact.function = std::move(in_function);
  fact.location = where;
  return fact;
}

ModuleDefFact module_def(std::string name, std::string m_name, SourceLocation where,
                         const SlotArrayFact* slots = nullptr) {
  ModuleDefFact fact;
  fact.usr = "c:" + where.file + "@" + name;
  fact.name = std::move(name);
  fact.location = where;
  fact.m_name = "\"" + m_name + "\"";
  fact.m_size = 0;
  if (slots != nullptr) {
    fact.slots_usr = slots->usr;
    fact.slots_name = slots->name;
  }
  return fact;
}

SlotFact slot(std::int64_t id, std::string value, SourceLocation where,
              std::optional<std::int64_t> number = std::nullopt) {
  return {id, std::move(value), number, where};
}

SlotArrayFact slot_array(std::string name, SourceLocation where, std::vector<SlotFact> slots) {
  SlotArrayFact fact;
  fact.usr = "c:" + where.file + "@" + name;
  fact.name = std::move(name);
  fact.location = where;
  fact.slots = std::move(slots);
  return fact;
}

constexpr std::int64_t kExecSlot = 2;
constexpr std::int64_t kMultipleInterpretersSlot = 3;
constexpr std::int64_t kGilSlot = 4;

SlotFact exec_slot(const std::string& function, SourceLocation where) { return slot(kExecSlot, function, where); }
SlotFact multiple_interpreters_slot(const std::string& value, SourceLocation where) {
  static const std::map<std::string, std::int64_t> numbers = {{"Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED", 0},
                                                              {"Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED", 1},
                                                              {"Py_MOD_PER_INTERPRETER_GIL_SUPPORTED", 2}};
  return slot(kMultipleInterpretersSlot, value, where, numbers.at(value));
}
SlotFact gil_slot(const std::string& value, SourceLocation where) {
  return slot(kGilSlot, value, where, value == "Py_MOD_GIL_NOT_USED" ? 1 : 0);
}

TranslationUnitFacts unit(const std::string& file, BuildConfig config) {
  TranslationUnitFacts facts;
  facts.file = file;
  facts.config = config;
  facts.parsed = true;
  facts.complete = true;
  return facts;
}

// The same source seen by both builds; `adjust` edits one configuration's facts (what
// #ifdef Py_GIL_DISABLED changes).
using UnitWriter = std::function<void(TranslationUnitFacts&)>;
void add_both_configs(std::vector<TranslationUnitFacts>& units, const std::string& file, const UnitWriter& write,
                      const std::function<void(TranslationUnitFacts&, BuildConfig)>& adjust = {}) {
  for (BuildConfig config : kAllConfigs) {
    TranslationUnitFacts facts = unit(file, config);
    write(facts);
    if (adjust) adjust(facts, config);
    units.push_back(std::move(facts));
  }
}

// A multi-phase module: PyInit_<name> returns PyModuleDef_Init(&<name>_module), whose
// m_slots is <name>_slots with `slots`, and <name>_exec is the exec function.
// Lines: slots array at 100, def at 110, exec at 120, PyInit at 130.
void add_multi_phase_module(TranslationUnitFacts& facts, const std::string& name, std::vector<SlotFact> extra_slots,
                            std::vector<CallFact> exec_calls = {}) {
  const std::string& file = facts.file;
  std::vector<SlotFact> slots{exec_slot(name + "_exec", at(file, 101))};
  slots.insert(slots.end(), extra_slots.begin(), extra_slots.end());
  facts.slot_arrays.push_back(slot_array(name + "_slots", at(file, 100, 28), std::move(slots)));
  facts.module_defs.push_back(module_def(name + "_module", name, at(file, 110, 27), &facts.slot_arrays.back()));
  facts.functions.push_back(function(name + "_exec", at(file, 120), std::move(exec_calls)));
  facts.functions.push_back(function("PyInit_" + name, at(file, 130, 1),
                                     {call("PyModuleDef_Init", at(file, 132, 12), {"&" + name + "_module"})}, true));
}

// A single-phase module: PyInit_<name> at line 130 calls PyModule_Create(&<name>_module)
// at line 132; the def is at 110.
void add_single_phase_module(TranslationUnitFacts& facts, const std::string& name,
                             std::vector<CallFact> more_init_calls = {}) {
  const std::string& file = facts.file;
  facts.module_defs.push_back(module_def(name + "_module", name, at(file, 110, 27)));
  facts.module_defs.back().m_size = -1;
  std::vector<CallFact> calls{call("PyModule_Create", at(file, 132, 16), {"&" + name + "_module"})};
  calls.insert(calls.end(), more_init_calls.begin(), more_init_calls.end());
  facts.functions.push_back(function("PyInit_" + name, at(file, 130, 1), std::move(calls), true));
}

// ---------------------------------------------------------------------------------------
// Scenarios

const std::string kSinglePhase = "/corpus/spam.c";
const std::string kShared = "/corpus/shared.c";
const std::string kLegacy = "/corpus/legacy.c";
const std::string kRefuser = "/corpus/refuser.c";
const std::string kIsolated = "/corpus/isolated.c";
const std::string kNoFt = "/corpus/noft.c";
const std::string kLiar = "/corpus/liar.c";
const std::string kCython = "/corpus/cy.c";
const std::string kPlainCython = "/corpus/cyplain.c";
const std::string kFakePyx = "/corpus/fakepyx.c";

// spam: single-phase, with one of everything the line-level rules look for.
void write_spam(TranslationUnitFacts& facts) {
  const std::string& file = kSinglePhase;
  auto error = global("SpamError", GlobalVarFact::Kind::python_object, at(file, 10, 18));
  auto type = global("SpamType", GlobalVarFact::Kind::static_type, at(file, 12, 21), "PyTypeObject");
  auto counter = global("counter", GlobalVarFact::Kind::other_mutable, at(file, 14, 12), "int");
  auto depth = global("depth", GlobalVarFact::Kind::other_mutable, at(file, 15, 25), "int");
  depth.thread_local_storage = true;
  auto lock = global("lock", GlobalVarFact::Kind::sync_primitive, at(file, 16, 16), "PyMutex");
  auto methods = global("spam_methods", GlobalVarFact::Kind::api_table, at(file, 17, 20), "PyMethodDef[]");
  auto unused = global("never_written", GlobalVarFact::Kind::python_object, at(file, 18, 18));
  auto quiet = global("quiet_flag", GlobalVarFact::Kind::other_mutable, at(file, 19, 12), "int");
  // Written only by PyInit (m_size -1: once per process), and by a function nothing runs.
  auto init_flag = global("init_flag", GlobalVarFact::Kind::other_mutable, at(file, 20, 12), "int");
  auto vendored = global("vendored", GlobalVarFact::Kind::other_mutable, at(file, 21, 12), "int");
  facts.globals = {error, type, counter, depth, lock, methods, unused, quiet, init_flag, vendored};
  facts.global_writes = {
      write_to(error, "PyInit_spam", at(file, 133)),     write_to(counter, "spam_count", at(file, 31)),
      write_to(depth, "spam_count", at(file, 32)),       write_to(lock, "spam_count", at(file, 33)),
      write_to(init_flag, "PyInit_spam", at(file, 134)), write_to(vendored, "vendor_set", at(file, 71))};
  facts.functions.push_back(function("vendor_set", at(file, 70, 1), {}, /*external=*/true));

  CallFact borrowed = call("PyDict_GetItem", at(file, 40, 16), {"cache", "key"});
  // The kwargs dict of a METH_KEYWORDS method (in spam_methods), and a dict just made.
  CallFact from_kwargs = call("PyDict_GetItem", at(file, 41, 16), {"kwargs", "key"});
  from_kwargs.arg_sources = {{ArgSource::Kind::parameter, 2}, {}};
  CallFact from_fresh = call("PyDict_GetItemString", at(file, 42, 16), {"fresh", "\"k\""});
  from_fresh.arg_sources = {{ArgSource::Kind::fresh_container, -1}, {}};
  CallFact list_macro = call("PyList_GET_ITEM", at(file, 43, 16), {"items", "0"});
  list_macro.is_macro = true;
  CallFact strong = call("PyDict_GetItemRef", at(file, 44, 9), {"cache", "key", "&value"});
  CallFact find_module = call("PyState_FindModule", at(file, 45, 22), {"&spam_module"});
  CallFact add_module = call("PyState_AddModule", at(file, 46, 9), {"m", "&spam_module"});
  CallFact ensure = call("PyGILState_Ensure", at(file, 47, 30));
  CallFact release = call("PyGILState_Release", at(file, 48, 5), {"state"});
  CallFact save = call("PyEval_SaveThread", at(file, 49, 5));
  CallFact bare_next = call("PyDict_Next", at(file, 50, 12), {"dict", "&pos", "&key", "&value"});
  CallFact guarded_next = call("PyDict_Next", at(file, 52, 12), {"dict", "&pos", "&key", "&value"});
  guarded_next.critical_section_depth = 1;
  guarded_next.under_lock = true;
  facts.functions.push_back(function("spam_lookup", at(file, 38, 1),
                                     {borrowed, from_kwargs, from_fresh, list_macro, strong, find_module, add_module,
                                      ensure, release, save, bare_next, guarded_next}));
  facts.functions.back().kwargs_parameter = 2;
  facts.globals[5].functions = {"spam_lookup", "spam_count"};  // spam_methods
  facts.functions.push_back(function("spam_count", at(file, 30, 1), {}));
  // Called by nobody in the sources (a library's callback): who runs it decides the thread.
  facts.functions.push_back(
      function("spam_on_event", at(file, 65, 1),
               {call("PyGILState_Ensure", at(file, 66, 30)), call("PyGILState_Release", at(file, 67, 5), {"state"})}));
  facts.patterns.push_back(
      {PatternFact::Kind::refcnt_uniqueness, at(file, 60, 9), "spam_steal", "Py_REFCNT(...) == 1"});
  facts.patterns.push_back(
      {PatternFact::Kind::nested_critical_section, at(file, 62, 9), "spam_steal", "Py_BEGIN_CRITICAL_SECTION"});
  add_single_phase_module(facts, "spam");
}

// shared: multi-phase without Py_mod_multiple_interpreters or Py_mod_gil.
void write_shared(TranslationUnitFacts& facts) { add_multi_phase_module(facts, "shared", {}); }

// legacy: declares shared-GIL-only support; refuser: declares no subinterpreter support.
void write_legacy(TranslationUnitFacts& facts) {
  add_multi_phase_module(facts, "legacy",
                         {multiple_interpreters_slot("Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED", at(kLegacy, 102)),
                          gil_slot("Py_MOD_GIL_USED", at(kLegacy, 103))});
}
void write_refuser(TranslationUnitFacts& facts) {
  add_multi_phase_module(facts, "refuser",
                         {multiple_interpreters_slot("Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED", at(kRefuser, 102))});
}

// isolated: per-interpreter GIL and GIL_NOT_USED, and honest about it. Its globals are
// written only by the exec function, under a lock, are thread-local or are locks.
void write_isolated(TranslationUnitFacts& facts) {
  const std::string& file = kIsolated;
  auto flag = global("initialised", GlobalVarFact::Kind::other_mutable, at(file, 10, 12), "int");
  auto hits = global("hits", GlobalVarFact::Kind::other_mutable, at(file, 11, 12), "long");
  auto per_thread = global("per_thread", GlobalVarFact::Kind::other_mutable, at(file, 12, 25), "int");
  per_thread.thread_local_storage = true;
  auto mutex = global("mutex", GlobalVarFact::Kind::sync_primitive, at(file, 13, 16), "PyMutex");
  auto table = global("isolated_methods", GlobalVarFact::Kind::api_table, at(file, 14, 20), "PyMethodDef[]");
  table.functions = {"isolated_hit"};
  facts.globals = {flag, hits, per_thread, mutex, table};
  GlobalWriteFact locked = write_to(hits, "isolated_hit", at(file, 41));
  locked.under_lock = true;
  facts.global_writes = {write_to(flag, "isolated_exec", at(file, 121)), locked,
                         write_to(per_thread, "isolated_hit", at(file, 42)),
                         write_to(mutex, "isolated_hit", at(file, 43))};
  facts.functions.push_back(
      function("isolated_hit", at(file, 40, 1), {call("PyMutex_Lock", at(file, 40, 5), {"&mutex"})}));
  add_multi_phase_module(facts, "isolated",
                         {multiple_interpreters_slot("Py_MOD_PER_INTERPRETER_GIL_SUPPORTED", at(file, 102)),
                          gil_slot("Py_MOD_GIL_NOT_USED", at(file, 103))});
}

// liar: claims a per-interpreter GIL and no GIL, yet keeps a static type, a cache written
// lazily outside initialisation, a counter and calls PyState_FindModule.
void write_liar(TranslationUnitFacts& facts) {
  const std::string& file = kLiar;
  auto type = global("LiarType", GlobalVarFact::Kind::static_type, at(file, 10, 21), "PyTypeObject");
  auto cache = global("cache", GlobalVarFact::Kind::python_object, at(file, 11, 18));
  auto calls = global("calls", GlobalVarFact::Kind::other_mutable, at(file, 12, 12), "int");
  auto ready = global("ready", GlobalVarFact::Kind::other_mutable, at(file, 13, 12), "int");
  auto methods = global("liar_methods", GlobalVarFact::Kind::api_table, at(file, 14, 20), "PyMethodDef[]");
  methods.functions = {"get_cache", "liar_call"};
  facts.globals = {type, cache, calls, ready, methods};
  GlobalWriteFact lazy = write_to(cache, "get_cache", at(file, 22, 9));
  lazy.lazy_init = true;
  facts.global_writes = {lazy, write_to(calls, "liar_call", at(file, 31, 5)),
                         write_to(ready, "liar_setup", at(file, 35, 5))};
  facts.functions.push_back(function("get_cache", at(file, 20, 1), {}));
  facts.functions.push_back(
      function("liar_call", at(file, 30, 1), {call("PyState_FindModule", at(file, 32, 22), {"&liar_module"})}));
  facts.functions.push_back(function("liar_setup", at(file, 34, 1), {}));
  add_multi_phase_module(facts, "liar",
                         {multiple_interpreters_slot("Py_MOD_PER_INTERPRETER_GIL_SUPPORTED", at(file, 102)),
                          gil_slot("Py_MOD_GIL_NOT_USED", at(file, 103))},
                         {call("liar_setup", at(file, 122, 5))});
}

// noft: multi-phase, per-interpreter GIL; Py_mod_gil only under #ifdef Py_GIL_DISABLED.
void write_noft(TranslationUnitFacts& facts) {
  add_multi_phase_module(facts, "noft",
                         {multiple_interpreters_slot("Py_MOD_PER_INTERPRETER_GIL_SUPPORTED", at(kNoFt, 102))});
}

// cy: Cython output that refuses a second interpreter; cyplain: Cython output without
// the check; fakepyx: hand-written code with a function of the same name.
void write_cython(TranslationUnitFacts& facts, const std::string& name, bool with_check) {
  const std::string& file = facts.file;
  facts.generator = "cython";
  auto type = global("__pyx_type_Thing", GlobalVarFact::Kind::static_type, at(file, 10, 21), "PyTypeObject");
  auto string = global("__pyx_n_s_x", GlobalVarFact::Kind::python_object, at(file, 11, 18));
  auto flag = global("__pyx_flag", GlobalVarFact::Kind::other_mutable, at(file, 12, 12), "int");
  facts.globals = {type, string, flag};
  facts.global_writes = {write_to(string, "__pyx_pymod_exec", at(file, 50)),
                         write_to(flag, "__pyx_pymod_exec", at(file, 51))};
  std::vector<CallFact> create_calls;
  if (with_check) create_calls.push_back(call("__Pyx_check_single_interpreter", at(file, 41, 9)));
  facts.functions.push_back(function("__pyx_pymod_create", at(file, 40, 1), std::move(create_calls)));
  add_multi_phase_module(facts, name,
                         {multiple_interpreters_slot("Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED", at(file, 102))});
}
void write_fake_pyx(TranslationUnitFacts& facts) {
  facts.functions.push_back(
      function("helper", at(kFakePyx, 40, 1), {call("__Pyx_check_single_interpreter", at(kFakePyx, 41, 9))}));
  add_multi_phase_module(facts, "fakepyx",
                         {multiple_interpreters_slot("Py_MOD_PER_INTERPRETER_GIL_SUPPORTED", at(kFakePyx, 102))});
}

AnalysisModel corpus_model() {
  std::vector<TranslationUnitFacts> units;
  add_both_configs(units, kSinglePhase, write_spam);
  add_both_configs(units, kShared, write_shared);
  add_both_configs(units, kLegacy, write_legacy);
  add_both_configs(units, kRefuser, write_refuser);
  add_both_configs(units, kIsolated, write_isolated);
  add_both_configs(units, kLiar, write_liar);
  add_both_configs(units, kNoFt, write_noft, [](TranslationUnitFacts& facts, BuildConfig config) {
    if (config == BuildConfig::free_threaded) {
      facts.slot_arrays.front().slots.push_back(gil_slot("Py_MOD_GIL_NOT_USED", at(kNoFt, 104)));
    }
  });
  add_both_configs(units, kCython, [](TranslationUnitFacts& facts) { write_cython(facts, "cy", true); });
  add_both_configs(units, kPlainCython, [](TranslationUnitFacts& facts) { write_cython(facts, "cyplain", false); });
  add_both_configs(units, kFakePyx, write_fake_pyx);
  return build_module_model(std::move(units));
}

class ChecksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = std::make_unique<AnalysisModel>(corpus_model()); }
  static void TearDownTestSuite() { model_.reset(); }
  static const AnalysisModel& model() { return *model_; }

  static std::vector<Reported> gil(std::string_view id) { return run_rule(id, model(), BuildConfig::gil); }
  static std::vector<Reported> ft(std::string_view id) { return run_rule(id, model(), BuildConfig::free_threaded); }

 private:
  static inline std::unique_ptr<AnalysisModel> model_;
};

// The scenarios mean what they say only if the model reads them as intended.
TEST_F(ChecksTest, ModelSeesTheScenarioModules) {
  std::map<std::string, InitStyle> init;
  for (const auto& module : model().modules) init[module.name] = module.configs.at(BuildConfig::gil).init;
  EXPECT_EQ(init["spam"], InitStyle::single_phase);
  for (const char* name : {"shared", "legacy", "refuser", "isolated", "liar", "noft", "cy", "cyplain", "fakepyx"}) {
    EXPECT_EQ(init[name], InitStyle::multi_phase) << name;
  }
  EXPECT_EQ(model().modules.size(), 10u);
}

// ---------------------------------------------------------------------------------------
// Module-level rules

TEST_F(ChecksTest, SI001ReportsSinglePhaseModulesAtTheirModuleCreateCall) {
  for (BuildConfig config : kAllConfigs) {
    auto found = run_rule("SI001", model(), config);
    ASSERT_EQ(found.size(), 1u) << to_string(config);
    EXPECT_EQ(found[0].location, at(kSinglePhase, 132, 16));
    EXPECT_EQ(found[0].modules, std::vector<std::string>{"spam"});
    EXPECT_NE(found[0].message.find("'spam'"), std::string::npos) << found[0].message;
    EXPECT_NE(found[0].message.find("single-phase"), std::string::npos) << found[0].message;
  }
}

TEST_F(ChecksTest, SI002ReportsMultiPhaseModulesWithoutTheSlotAtTheirModuleDef) {
  auto found = gil("SI002");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].location, at(kShared, 110, 27));
  EXPECT_EQ(found[0].modules, std::vector<std::string>{"shared"});
  EXPECT_NE(found[0].message.find("Py_mod_multiple_interpreters"), std::string::npos);
  // spam (single-phase) and every module that has the slot stay quiet.
  EXPECT_TRUE(lines_in(found, kSinglePhase).empty());
  EXPECT_TRUE(lines_in(found, kLegacy).empty());
}

TEST_F(ChecksTest, SI003ReportsBothSharedGilOnlyDeclarationsAtTheSlot) {
  auto found = gil("SI003");
  EXPECT_EQ(lines_in(found, kLegacy), Lines{102});
  EXPECT_EQ(lines_in(found, kRefuser), Lines{102});
  EXPECT_EQ(lines_in(found, kCython), Lines{102});
  EXPECT_EQ(found.size(), 4u);  // legacy, refuser, cy, cyplain; never a per-interpreter-GIL module
  EXPECT_TRUE(lines_in(found, kIsolated).empty());
  // Only subinterpreters that check extensions refuse NOT_SUPPORTED; legacy ones load it.
  const std::string refuser = message_at(found, kRefuser, 102);
  EXPECT_NE(refuser.find("subinterpreters that check extensions refuse it"), std::string::npos) << refuser;
  EXPECT_NE(refuser.find("legacy Py_NewInterpreter() subinterpreters of a GIL build still load it"), std::string::npos)
      << refuser;
  // refuser keeps no state (m_size 0, nothing written): only the declaration needs changing.
  EXPECT_NE(refuser.find("only the declaration needs changing"), std::string::npos) << refuser;
  EXPECT_EQ(refuser.find("isolate its state"), std::string::npos) << refuser;
}

TEST_F(ChecksTest, SI004ReportsEachItemThatContradictsAPerInterpreterGilClaim) {
  auto found = gil("SI004");
  EXPECT_EQ(lines_in(found, kLiar), (Lines{10, 11, 32}));  // static type, written cache, FindModule
  EXPECT_TRUE(lines_in(found, kIsolated).empty());         // honest: only C data, set at exec
  EXPECT_TRUE(lines_in(found, kSinglePhase).empty());      // makes no claim
  const Reported* cache = at_line(found, kLiar, 11);
  ASSERT_NE(cache, nullptr);
  EXPECT_NE(cache->message.find("'cache'"), std::string::npos) << cache->message;
  EXPECT_NE(cache->message.find("Py_MOD_PER_INTERPRETER_GIL_SUPPORTED"), std::string::npos);
  EXPECT_EQ(cache->modules, std::vector<std::string>{"liar"});
}

TEST_F(ChecksTest, SI009ReportsCythonModulesThatRefuseASecondInterpreterAtTheGuardCall) {
  for (BuildConfig config : kAllConfigs) {
    auto found = run_rule("SI009", model(), config);
    ASSERT_EQ(found.size(), 1u) << to_string(config);
    EXPECT_EQ(found[0].location, at(kCython, 41, 9));  // the guard's call, not PyInit
    EXPECT_NE(found[0].message.find("Interpreter change detected"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------
// Globals

TEST_F(ChecksTest, SI005ReportsStaticTypesOutsideGeneratedCode) {
  auto found = gil("SI005");
  EXPECT_EQ(lines_in(found, kSinglePhase), Lines{12});
  EXPECT_EQ(lines_in(found, kLiar), Lines{10});
  EXPECT_TRUE(lines_in(found, kCython).empty());
  EXPECT_EQ(found.size(), 2u);
  const Reported* spam_type = at_line(found, kSinglePhase, 12);
  ASSERT_NE(spam_type, nullptr);
  EXPECT_EQ(spam_type->modules, std::vector<std::string>{"spam"});
  EXPECT_NE(spam_type->message.find("PyType_FromModuleAndSpec"), std::string::npos);
}

TEST_F(ChecksTest, SI006ReportsWrittenPythonObjectGlobalsNamingTheWriter) {
  auto found = gil("SI006");
  EXPECT_EQ(lines_in(found, kSinglePhase), Lines{10});  // never_written (line 18) stays quiet
  EXPECT_EQ(lines_in(found, kLiar), Lines{11});
  EXPECT_TRUE(lines_in(found, kCython).empty());
  const Reported* error = at_line(found, kSinglePhase, 10);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->message.find("'SpamError'"), std::string::npos) << error->message;
  EXPECT_NE(error->message.find("PyInit_spam"), std::string::npos) << error->message;
}

TEST_F(ChecksTest, SI010ReportsWrittenCDataButNotLocksThreadLocalsOrTables) {
  auto found = gil("SI010");
  // counter; not depth, lock, tables, quiet_flag, init_flag (PyInit of an m_size -1 module
  // runs once per process) or vendored (written by a function the module never runs)
  EXPECT_EQ(lines_in(found, kSinglePhase), Lines{14});
  EXPECT_EQ(lines_in(found, kIsolated), (Lines{10, 11}));
  EXPECT_EQ(lines_in(found, kLiar), (Lines{12, 13}));
  EXPECT_TRUE(lines_in(found, kCython).empty());
  const std::string counter = message_at(found, kSinglePhase, 14);
  EXPECT_NE(counter.find("spam_count"), std::string::npos) << counter;
  // spam is single-phase: no own-GIL interpreter loads it, legacy ones share its GIL.
  EXPECT_EQ(counter.find("own-GIL interpreters race"), std::string::npos) << counter;
  EXPECT_NE(counter.find("legacy subinterpreters"), std::string::npos) << counter;
  // isolated claims a per-interpreter GIL and runs without the GIL: both races are real.
  const std::string hits = message_at(found, kIsolated, 11);
  EXPECT_NE(hits.find("own-GIL interpreters race on it"), std::string::npos) << hits;
  EXPECT_NE(hits.find("threads of a free-threaded build race on it"), std::string::npos) << hits;
}

// ---------------------------------------------------------------------------------------
// Calls and patterns

TEST_F(ChecksTest, SI007ReportsEveryPyStateModuleLookup) {
  auto found = gil("SI007");
  EXPECT_EQ(lines_in(found, kSinglePhase), (Lines{45, 46}));
  EXPECT_EQ(lines_in(found, kLiar), Lines{32});
  EXPECT_EQ(found.size(), 3u);
  EXPECT_NE(message_at(found, kSinglePhase, 46).find("PyState_AddModule"), std::string::npos);
}

// spam_lookup (lines 47, 48) is a method: CPython calls it with a thread state attached,
// which PyGILState_Ensure re-attaches. spam_on_event has no caller the facts show.
TEST_F(ChecksTest, SI008ReportsGilStateCallsOutsideMethodsButNotOtherThreadStateApis) {
  auto found = ft("SI008");
  EXPECT_EQ(lines_in(found, kSinglePhase), (Lines{66, 67}));
  EXPECT_EQ(found.size(), 2u);
}

TEST_F(ChecksTest, FT003ReportsBorrowedReferencesExceptFromKwargsAndFreshContainers) {
  auto found = ft("FT003");
  EXPECT_EQ(lines_in(found, kSinglePhase), (Lines{40, 43}));
  EXPECT_EQ(found.size(), 2u);
  EXPECT_TRUE(message_at(found, kSinglePhase, 40)
                  .starts_with("PyDict_GetItem returns a borrowed reference; use PyDict_GetItemRef"));
  EXPECT_NE(message_at(found, kSinglePhase, 43).find("PyList_GetItemRef"), std::string::npos);
}

TEST_F(ChecksTest, FT003FailsLoudlyWithoutItsApiTable) {
  EXPECT_THROW(run_rule("FT003", model(), BuildConfig::free_threaded, {}), std::runtime_error);
  EXPECT_THROW(run_rule("SI007", model(), BuildConfig::gil, {}), std::runtime_error);
}

TEST_F(ChecksTest, FT004ReportsDictNextOutsideACriticalSection) {
  auto found = ft("FT004");
  EXPECT_EQ(lines_in(found, kSinglePhase), Lines{50});
  EXPECT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("Py_BEGIN_CRITICAL_SECTION(dict)"), std::string::npos) << found[0].message;
}

// The line rules of free-threading judge the free-threaded parse alone: what only the
// default build compiles never runs on a free-threaded interpreter.
TEST_F(ChecksTest, FreeThreadingLineRulesJudgeOnlyTheFreeThreadedParse) {
  for (const char* id : {"FT003", "FT004", "FT005", "FT006"}) EXPECT_TRUE(gil(id).empty()) << id;
}

TEST_F(ChecksTest, FT005AndFT006ReportTheirPatterns) {
  auto nested = ft("FT005");
  EXPECT_EQ(lines_in(nested, kSinglePhase), Lines{62});
  EXPECT_EQ(nested.size(), 1u);
  EXPECT_NE(nested[0].message.find("Py_BEGIN_CRITICAL_SECTION2"), std::string::npos);
  auto refcnt = ft("FT006");
  EXPECT_EQ(lines_in(refcnt, kSinglePhase), Lines{60});
  EXPECT_EQ(refcnt.size(), 1u);
  EXPECT_NE(refcnt[0].message.find("PyUnstable_Object_IsUniquelyReferenced"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Free-threaded module rules

TEST_F(ChecksTest, FreeThreadedOnlyRulesStayQuietInTheGilBuild) {
  for (const char* id : {"FT001", "FT002", "FT007"}) {
    EXPECT_FALSE(check_for(id).applies_to(BuildConfig::gil)) << id;
    EXPECT_TRUE(check_for(id).applies_to(BuildConfig::free_threaded)) << id;
  }
}

TEST_F(ChecksTest, FT001ReportsModulesThatNeverReleaseTheGil) {
  auto found = ft("FT001");
  EXPECT_EQ(lines_in(found, kSinglePhase), Lines{130});  // single-phase: at PyInit
  EXPECT_EQ(lines_in(found, kShared), Lines{100});       // multi-phase: at the slots array
  EXPECT_TRUE(lines_in(found, kNoFt).empty());           // slot under #ifdef Py_GIL_DISABLED
  EXPECT_TRUE(lines_in(found, kLegacy).empty());         // explicit Py_MOD_GIL_USED is a choice
  EXPECT_TRUE(lines_in(found, kIsolated).empty());
}

TEST_F(ChecksTest, FT002ReportsUnsynchronisedWritesOutsideInitialisation) {
  auto found = ft("FT002");
  // liar: the lazily initialised cache and the counter; liar_setup runs from the exec slot.
  EXPECT_EQ(lines_in(found, kLiar), (Lines{22, 31}));
  // isolated: exec-time, locked, thread-local and lock writes are all fine.
  EXPECT_TRUE(lines_in(found, kIsolated).empty());
  // spam makes no GIL_NOT_USED claim.
  EXPECT_TRUE(lines_in(found, kSinglePhase).empty());
  EXPECT_NE(message_at(found, kLiar, 22).find("lazily initialised"), std::string::npos);
  EXPECT_EQ(message_at(found, kLiar, 31).find("lazily initialised"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// FT007: its own models, since the limited API changes what the free-threaded parse sees.

AnalysisModel limited_api_model(bool limited, bool slot_in_free_threaded_parse, const char* gil_value,
                                bool abi3t = false) {
  const std::string file = "/corpus/abi.c";
  std::vector<TranslationUnitFacts> units;
  add_both_configs(
      units, file,
      [&](TranslationUnitFacts& facts) {
        facts.limited_api = limited;
        facts.abi3t = abi3t;
        if (abi3t) facts.limited_api_version = "0x030f0000";
        add_multi_phase_module(facts, "abi",
                               {multiple_interpreters_slot("Py_MOD_PER_INTERPRETER_GIL_SUPPORTED", at(file, 102)),
                                gil_slot(gil_value, at(file, 103))});
      },
      [&](TranslationUnitFacts& facts, BuildConfig config) {
        if (config == BuildConfig::free_threaded && !slot_in_free_threaded_parse) {
          facts.slot_arrays.front().slots.pop_back();  // hidden by the headers' #error
        }
      });
  return build_module_model(std::move(units));
}

TEST(LimitedApiFreeThreading, ReportsAnAbi3ModuleThatClaimsNoGilAtPyInit) {
  auto model = limited_api_model(true, true, "Py_MOD_GIL_NOT_USED");
  auto found = run_rule("FT007", model, BuildConfig::free_threaded);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].location, at("/corpus/abi.c", 130, 1));
  EXPECT_NE(found[0].message.find("Py_LIMITED_API"), std::string::npos);
}

TEST(LimitedApiFreeThreading, TakesTheClaimFromTheGilBuildWhenTheFreeThreadedParseLostIt) {
  auto model = limited_api_model(true, false, "Py_MOD_GIL_NOT_USED");
  EXPECT_EQ(run_rule("FT007", model, BuildConfig::free_threaded).size(), 1u);
}

// The headers' #error makes the free-threaded parse untrustworthy: the model says
// "unknown" there, and the claim still comes from the default build.
TEST(LimitedApiFreeThreading, TakesTheClaimFromTheGilBuildWhenTheFreeThreadedParseIsIncomplete) {
  const std::string file = "/corpus/abi_broken.c";
  std::vector<TranslationUnitFacts> units;
  add_both_configs(
      units, file,
      [&](TranslationUnitFacts& facts) {
        facts.limited_api = true;
        add_multi_phase_module(facts, "abi_broken", {gil_slot("Py_MOD_GIL_NOT_USED", at(file, 103))});
      },
      [&](TranslationUnitFacts& facts, BuildConfig config) {
        // What the extractor says of an error inside Python's headers: incomplete, and
        // untrustworthy (a missing third-party header alone would leave it trustworthy).
        if (config == BuildConfig::free_threaded) facts.complete = facts.trustworthy = false;
      });
  auto model = build_module_model(std::move(units));
  ASSERT_EQ(model.modules.size(), 1u);
  ASSERT_EQ(model.modules[0].configs.at(BuildConfig::free_threaded).gil, GilDeclaration::unknown);
  auto found = run_rule("FT007", model, BuildConfig::free_threaded);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].location, at(file, 130, 1));
  // An unknown view is not judged by the slot rules.
  EXPECT_TRUE(run_rule("FT001", model, BuildConfig::free_threaded).empty());
  EXPECT_TRUE(run_rule("SI002", model, BuildConfig::free_threaded).empty());
}

TEST(LimitedApiFreeThreading, NamesTheAbi3tOptInAsTheFixOn315) {
  auto found = run_rule("FT007", limited_api_model(true, true, "Py_MOD_GIL_NOT_USED"), BuildConfig::free_threaded);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].message.find("#define Py_TARGET_ABI3T 0x030f0000"), std::string::npos) << found[0].message;
  EXPECT_NE(found[0].message.find("abi3t"), std::string::npos);
}

// PEP 803: a unit that defines Py_TARGET_ABI3T targets abi3t, which free-threaded 3.15 loads.
TEST(LimitedApiFreeThreading, StaysQuietForAnAbi3tModule) {
  EXPECT_TRUE(run_rule("FT007", limited_api_model(true, true, "Py_MOD_GIL_NOT_USED", true), BuildConfig::free_threaded)
                  .empty());
  EXPECT_TRUE(run_rule("FT007", limited_api_model(true, false, "Py_MOD_GIL_NOT_USED", true), BuildConfig::free_threaded)
                  .empty());
}

TEST(LimitedApiFreeThreading, StaysQuietWithoutTheLimitedApiOrWithoutTheClaim) {
  EXPECT_TRUE(
      run_rule("FT007", limited_api_model(false, true, "Py_MOD_GIL_NOT_USED"), BuildConfig::free_threaded).empty());
  EXPECT_TRUE(run_rule("FT007", limited_api_model(true, true, "Py_MOD_GIL_USED"), BuildConfig::free_threaded).empty());
}

// ---------------------------------------------------------------------------------------
// Reporting

// The one de-duplication: (rule, location) once, first message, union of modules and
// configurations, sorted by location then rule.
TEST(FindingSet, MergesEachRuleAtEachPlaceOnce) {
  auto finding = [](std::string rule, unsigned line, std::string message, std::string module, BuildConfig config) {
    Finding made;
    made.rule = std::move(rule);
    made.location = at("/corpus/a.h", line);
    made.message = std::move(message);
    made.modules = {std::move(module)};
    made.configs = {config};
    return made;
  };
  FindingSet set;
  set.add(finding("SI006", 9, "first", "two", BuildConfig::free_threaded));
  set.add(finding("SI010", 9, "other rule", "two", BuildConfig::gil));
  set.add(finding("SI006", 9, "second", "one", BuildConfig::gil));
  set.add(finding("SI006", 3, "earlier line", "one", BuildConfig::gil));
  set.add(finding("SI006", 9, "third", "two", BuildConfig::gil));
  std::vector<Finding> merged = set.take();
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].location.line, 3u);
  EXPECT_EQ(merged[1].rule, "SI006");
  EXPECT_EQ(merged[1].message, "first");
  EXPECT_EQ(merged[1].modules, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(merged[1].configs, (std::vector<BuildConfig>{BuildConfig::gil, BuildConfig::free_threaded}));
  EXPECT_EQ(merged[2].rule, "SI010");
  EXPECT_EQ(merged[2].configs, std::vector<BuildConfig>{BuildConfig::gil});
  EXPECT_TRUE(set.take().empty());
}

// A header included by two modules' units yields one finding owned by both.
TEST(FindingLocations, AHeaderSharedByTwoModulesIsReportedOnceForBoth) {
  const std::string header = "/corpus/shared_header.h";
  auto add_user = [&](std::vector<TranslationUnitFacts>& units, const std::string& file, const std::string& name) {
    add_both_configs(units, file, [&](TranslationUnitFacts& facts) {
      facts.globals.push_back(
          global("HeaderType", GlobalVarFact::Kind::static_type, at(header, 5, 21), "PyTypeObject"));
      facts.globals.back().usr = "c:shared_header.h@HeaderType";
      facts.functions.push_back(
          function("header_helper", at(header, 8, 1), {call("PyGILState_Ensure", at(header, 9, 30))}));
      add_multi_phase_module(facts, name, {});
    });
  };
  std::vector<TranslationUnitFacts> units;
  add_user(units, "/corpus/one.c", "one");
  add_user(units, "/corpus/two.c", "two");
  auto model = build_module_model(std::move(units));
  for (const char* id : {"SI005", "SI008"}) {
    auto found = run_rule(id, model, BuildConfig::gil);
    ASSERT_EQ(found.size(), 1u) << id;
    EXPECT_EQ(found[0].modules, (std::vector<std::string>{"one", "two"})) << id;
  }
}

// Every rule of the catalogue has exactly one check, and the data-driven ones find their
// tables in the catalogue compiled into the binary.
TEST(CheckRegistry, EveryBuiltinRuleHasOneCheckThatRunsOnItsOwnData) {
  const auto& catalogue = RuleCatalogue::builtin();
  const auto checks = make_all_checks();
  EXPECT_EQ(checks.size(), catalogue.rules().size());
  std::set<std::string> seen;
  AnalysisModel empty = build_module_model({});
  for (const auto& check : checks) {
    const std::string id(check->rule_id());
    EXPECT_TRUE(seen.insert(id).second) << "two checks for " << id;
    const Rule* rule = catalogue.find(id);
    ASSERT_NE(rule, nullptr) << "no rule for check " << id;
    for (BuildConfig config : kAllConfigs) {
      CollectingSink sink;
      CheckContext context{empty, config, *rule, sink, catalogue};
      EXPECT_NO_THROW(check->run(context)) << id;
      EXPECT_TRUE(sink.take().empty()) << id;
    }
  }
  for (const char* id : {"SI007", "SI008", "FT003"}) {
    EXPECT_FALSE(catalogue.at(id).data.empty()) << id << " needs its API table";
  }
}

}  // namespace
}  // namespace subcheck
