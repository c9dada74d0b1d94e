// Probes the prober corpus (corpus/prober/*.c, built by corpus/prober/CMakeLists.txt for
// every CPython >= 3.12 found at configure time) with the real prober in real interpreters,
// and checks every module's verdicts and evidence against what its source says they must
// be. Nothing is mocked: the modules crash, abort, hang, exit, fork, flood stdout and leak
// for real, all in one run, and the well-behaved modules must come out unaffected.
//
// Expectation format, in the module's source (one or more lines):
//
//   subcheck-expect-probe: interp=any|gil|free-threaded|TAG subinterpreters=V free_threading=V
//                          [signal=N] [exit_code=N] [shared_object=ATTR] [unshared_object=ATTR]
//                          [output=truncated] [note=WORD]
//                          [declared_init=V] [declared_mi=V] [declared_gil=V]
//                          [declared_import=SYMBOL] [contradiction=ID,ID...]
//
// Lines apply from the least to the most specific interp (any, then gil/free-threaded,
// then a tag such as 3.12), later ones overriding a key. The extra keys ask for evidence:
// a crash with that signal, an exit with that code, that module attribute reported (or
// not) as shared by two interpreters, the child's output cut to its tail, a note that
// mentions WORD. The declared_* keys ask what the `declared` probe read from the module's
// PyModuleDef (init style, Py_mod_multiple_interpreters, Py_mod_gil) and that the file
// imports SYMBOL; contradiction= lists exactly the contradictions the report must flag
// (a module without the key must have none).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "prober/prober.h"
#include "tests/test_support.h"

namespace subcheck::prober {
namespace {

namespace fs = std::filesystem;
using Fields = std::map<std::string, std::string>;

const fs::path kCorpusIndex{SUBCHECK_PROBER_CORPUS_INDEX};
const fs::path kCorpusSources = fs::path(SUBCHECK_CORPUS_DIR) / "prober";

// The interpreters CI's matrix covers; any other tag in the index is probed as well.
const std::vector<std::string>& kMatrixTags = test::kInterpreterTags;

// Short limits keep the suite fast: the hanging module costs one timeout per probe.
// 3 s was too short for 3.13t's stress cycles on a loaded 2-core machine, and 8 s once
// too (a well-behaved probe took 8.0 s while two builds ran beside the suite).
constexpr std::chrono::milliseconds kProbeTimeout{12000};
// The child's output is kept as a tail (docs/prober.md says 4 KiB); anything near the
// 20 MB the flooding module prints means the cap did not work.
constexpr std::size_t kMaxKeptOutput = 64 * 1024;
// CPython's refusal (docs/cpython-behaviour.md #2): every refusal in this corpus is this one.
constexpr std::string_view kRefusal = "does not support loading in subinterpreters";

// ---------------------------------------------------------------------------------------
// Expectations written in the sources

struct ExpectationLine {
  std::string interp;
  std::string module;  // module=NAME: another module the same file exports (empty: the file's own)
  Fields fields;
  unsigned line = 0;
};

struct ModuleExpectations {
  std::string module;
  fs::path file;
  std::vector<ExpectationLine> lines;
  std::vector<std::string> errors;
};

bool is_tag(const std::string& interp) {
  static const std::regex kTag(R"(^3\.[0-9]+t?$)");
  return std::regex_match(interp, kTag);
}

bool is_small_number(const std::string& text, int low, int high) {
  if (text.empty() || text.size() > 3 ||
      !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return false;
  }
  int value = std::stoi(text);
  return value >= low && value <= high;
}

bool is_identifier(const std::string& text) {
  static const std::regex kIdentifier("^[A-Za-z_][A-Za-z0-9_]*$");
  return std::regex_match(text, kIdentifier);
}

// Why `value` is not valid for `key`; empty when it is.
std::string invalid_value(const std::string& key, const std::string& value) {
  static const std::map<std::string, std::set<std::string>> kVerdicts{
      {"subinterpreters",
       {"supported", "shared-gil-only", "unsupported", "broken", "crash", "timeout", "abi-mismatch"}},
      {"free_threading", {"gil-free", "requires-gil", "broken", "crash", "timeout", "not-tested", "abi-mismatch"}},
      {"output", {"truncated"}},
  };
  if (auto verdicts = kVerdicts.find(key); verdicts != kVerdicts.end()) {
    return verdicts->second.count(value) ? "" : "'" + value + "' is not a valid " + key;
  }
  if (key == "interp") {
    return value == "any" || value == "gil" || value == "free-threaded" || is_tag(value)
               ? ""
               : "'" + value + "' is not any, gil, free-threaded or a tag like 3.13t";
  }
  if (key == "signal") return is_small_number(value, 1, 64) ? "" : "signal must be 1-64, not '" + value + "'";
  if (key == "exit_code") return is_small_number(value, 1, 255) ? "" : "exit_code must be 1-255, not '" + value + "'";
  if (key == "declared_init") {
    return parse_init_style(value) ? "" : "'" + value + "' is not an init style";
  }
  if (key == "declared_mi") {
    return parse_multiple_interpreters(value) ? "" : "'" + value + "' is not a Py_mod_multiple_interpreters value";
  }
  if (key == "declared_gil") return parse_gil_declaration(value) ? "" : "'" + value + "' is not a Py_mod_gil value";
  if (key == "contradiction") {
    static const std::regex kIds("^[a-z-]+(,[a-z-]+)*$");
    return std::regex_match(value, kIds) ? "" : "contradiction must be ids separated by commas, not '" + value + "'";
  }
  if (key == "shared_object" || key == "unshared_object" || key == "note" || key == "module" ||
      key == "declared_import") {
    return is_identifier(value) ? "" : key + " must be one word, not '" + value + "'";
  }
  return "unknown key '" + key + "'";
}

void parse_expectation(const std::string& text, unsigned line, ModuleExpectations& out) {
  const std::string where = out.file.filename().string() + ":" + std::to_string(line) + ": ";
  ExpectationLine parsed;
  parsed.line = line;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    auto equals = word.find('=');
    if (equals == std::string::npos) {
      out.errors.push_back(where + "word without '=': " + word);
      continue;
    }
    std::string key = word.substr(0, equals), value = word.substr(equals + 1);
    if (std::string why = invalid_value(key, value); !why.empty()) {
      out.errors.push_back(where + why);
    } else if (key == "interp") {
      if (!parsed.interp.empty()) out.errors.push_back(where + "interp given twice");
      parsed.interp = value;
    } else if (key == "module") {
      if (!parsed.module.empty()) out.errors.push_back(where + "module given twice");
      parsed.module = value;
    } else if (!parsed.fields.emplace(key, value).second) {
      out.errors.push_back(where + "'" + key + "' given twice");
    }
  }
  if (parsed.interp.empty()) out.errors.push_back(where + "lacks interp=");
  if (parsed.fields.empty()) out.errors.push_back(where + "expects nothing");
  out.lines.push_back(std::move(parsed));
}

ModuleExpectations read_module_expectations(const fs::path& source) {
  constexpr std::string_view kMarker = "subcheck-expect-probe:";
  ModuleExpectations expectations;
  expectations.module = source.stem().string();
  expectations.file = source;
  std::istringstream lines(test::read_text(source));
  unsigned number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    auto at = line.find(kMarker);
    if (at == std::string::npos) continue;
    std::string text = line.substr(at + kMarker.size());
    if (auto end = text.find("*/"); end != std::string::npos) text.resize(end);
    parse_expectation(text, number, expectations);
  }
  if (expectations.lines.empty())
    expectations.errors.push_back(source.filename().string() + ": no subcheck-expect-probe");
  return expectations;
}

// What a module must do on one interpreter: any, then its kind, then its tag.
Fields resolve(const ModuleExpectations& expectations, const std::string& tag, bool free_threaded) {
  const std::string kind = free_threaded ? "free-threaded" : "gil";
  Fields resolved;
  for (const std::string& level : {std::string("any"), kind, tag}) {
    for (const ExpectationLine& line : expectations.lines) {
      if (line.interp != level) continue;
      for (const auto& [key, value] : line.fields) resolved[key] = value;
    }
  }
  return resolved;
}

std::vector<fs::path> corpus_sources() {
  std::vector<fs::path> sources;
  for (const auto& entry : fs::directory_iterator(kCorpusSources)) {
    if (entry.is_regular_file() && entry.path().extension() == ".c") sources.push_back(entry.path());
  }
  std::sort(sources.begin(), sources.end());
  return sources;
}

// Keyed by module: a file that exports several modules (module=NAME lines) gives several.
std::map<std::string, ModuleExpectations> all_expectations() {
  std::map<std::string, ModuleExpectations> by_module;
  for (const fs::path& source : corpus_sources()) {
    ModuleExpectations expectations = read_module_expectations(source);
    for (ExpectationLine& line : expectations.lines) {
      const std::string module = line.module.empty() ? expectations.module : line.module;
      ModuleExpectations& entry = by_module[module];
      entry.module = module;
      entry.file = source;
      entry.lines.push_back(std::move(line));
    }
    by_module[expectations.module].errors = std::move(expectations.errors);
  }
  return by_module;
}

// ---------------------------------------------------------------------------------------
// The index CMake wrote: which interpreters the corpus was built for

struct CorpusInterpreter {
  std::string tag;
  fs::path python;
  std::string version;
  bool free_threaded = false;
  fs::path module_dir;
};

struct CorpusIndex {
  bool present = false;
  std::vector<std::string> modules;
  std::vector<CorpusInterpreter> interpreters;
  std::vector<std::string> skipped;
};

const CorpusIndex& corpus_index() {
  static const CorpusIndex index = [] {
    CorpusIndex read;
    std::ifstream in(kCorpusIndex);
    if (!in) return read;
    nlohmann::json json = nlohmann::json::parse(in);
    read.present = true;
    read.modules = json.at("modules").get<std::vector<std::string>>();
    read.skipped = json.value("skipped", std::vector<std::string>{});
    for (const auto& entry : json.at("interpreters")) {
      read.interpreters.push_back({entry.at("tag").get<std::string>(), entry.at("python").get<std::string>(),
                                   entry.at("version").get<std::string>(), entry.at("free_threaded").get<bool>(),
                                   entry.at("module_dir").get<std::string>()});
    }
    return read;
  }();
  return index;
}

const CorpusInterpreter* corpus_interpreter(const std::string& tag) {
  for (const auto& interpreter : corpus_index().interpreters) {
    if (interpreter.tag == tag) return &interpreter;
  }
  return nullptr;
}

std::vector<std::string> tags_to_probe() {
  std::vector<std::string> tags = kMatrixTags;
  for (const auto& interpreter : corpus_index().interpreters) {
    if (std::find(tags.begin(), tags.end(), interpreter.tag) == tags.end()) tags.push_back(interpreter.tag);
  }
  return tags;
}

// ---------------------------------------------------------------------------------------
// Comparing a report with its expectations

// Over the readings the verdicts were decided from (a clean combined child's parts, the gil
// reading of an isolated child): the evidence a verdict rests on.
bool any_evidence(const ModuleProbeReport& report, const std::function<bool(const ProbeResult&)>& test) {
  const std::vector<ProbeReading> readings = probe_readings(report);
  return std::any_of(readings.begin(), readings.end(), [&](const ProbeReading& r) { return test(r.result); });
}

bool any_step(const ModuleProbeReport& report, const std::function<bool(const ProbeStep&)>& test) {
  return any_evidence(
      report, [&](const ProbeResult& result) { return std::any_of(result.steps.begin(), result.steps.end(), test); });
}

bool contains_ignoring_case(std::string text, std::string word) {
  auto lower = [](std::string& s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  };
  lower(text);
  lower(word);
  return text.find(word) != std::string::npos;
}

std::string describe_evidence(const ModuleProbeReport& report) {
  std::ostringstream out;
  out << "      summary: " << report.summary << "\n";
  for (const auto& note : report.notes) out << "      note: " << note << "\n";
  for (const ProbeResult& result : report.evidence) {
    out << "      probe " << to_string(result.probe) << ": " << to_string(result.outcome);
    if (result.signal != 0) out << " signal " << result.signal;
    if (result.exit_code != 0) out << " exit " << result.exit_code;
    if (!result.during.empty()) out << " during " << result.during;
    out << " (" << result.elapsed.count() << " ms)";
    for (const ProbeStep& step : result.steps) {
      out << " [" << step.where << (step.ok ? " ok" : " failed: " + step.error_type + ": " + step.message) << "]";
    }
    if (!result.shared_objects.empty()) {
      out << " shared:";
      for (const auto& name : result.shared_objects) out << " " << name;
    }
    if (result.gil_after) out << " gil " << *result.gil_before << "->" << *result.gil_after;
    out << "\n";
  }
  return out.str();
}

// What did not match, one line each.
class Problems {
 public:
  void expect(bool ok, const std::string& problem) {
    if (!ok) lines_.push_back(problem);
  }
  std::string text() const {
    std::string text;
    for (const auto& line : lines_) text += "    " + line + "\n";
    return text;
  }

 private:
  std::vector<std::string> lines_;
};

// The evidence each verdict rests on must be there: a verdict without it is a guess.
void check_verdict_evidence(const ModuleProbeReport& report, const Fields& want, Problems& problems) {
  const std::string& sub = want.at("subinterpreters");
  const std::string& ft = want.at("free_threading");
  if (sub == "supported") {
    problems.expect(any_step(report, [](const ProbeStep& s) { return s.where == "isolated" && s.ok; }),
                    "supported, yet no successful import in an isolated subinterpreter among the evidence");
  }
  if (sub == "shared-gil-only" || sub == "unsupported") {
    problems.expect(any_step(report,
                             [](const ProbeStep& s) {
                               return s.where == "isolated" && !s.ok && s.message.find(kRefusal) != std::string::npos;
                             }),
                    "no isolated step refused with CPython's message '..." + std::string(kRefusal) + "'");
  }
  if (sub == "shared-gil-only") {
    problems.expect(any_step(report, [](const ProbeStep& s) { return s.where == "shared" && s.ok; }),
                    "shared-gil-only, yet no successful import in a shared-GIL subinterpreter");
  }
  if (sub == "broken" && !want.count("exit_code")) {
    problems.expect(
        any_step(report, [](const ProbeStep& s) { return s.where == "main" && !s.ok && !s.message.empty(); }),
        "broken, yet no failed main-interpreter import with its message");
  }
  for (const std::string& verdict : {sub, ft}) {
    if (verdict == "crash" || verdict == "timeout") {
      problems.expect(any_evidence(report, [&](const ProbeResult& r) { return to_string(r.outcome) == verdict; }),
                      verdict + " verdict without a probe whose outcome is " + verdict);
    }
  }
  if (ft == "gil-free" || ft == "requires-gil") {
    const bool enabled = ft == "requires-gil";
    problems.expect(any_evidence(report,
                                 [&](const ProbeResult& r) {
                                   return r.probe == ProbeKind::gil && r.outcome == ProbeOutcome::ok &&
                                          r.gil_before == std::optional<bool>(false) &&
                                          r.gil_after == std::optional<bool>(enabled);
                                 }),
                    std::string("no gil probe showing the GIL off before the import and ") +
                        (enabled ? "on" : "still off") + " after it");
  }
}

bool reports_shared(const ModuleProbeReport& report, const std::string& name) {
  return any_evidence(report, [&](const ProbeResult& r) {
    return std::find(r.shared_objects.begin(), r.shared_objects.end(), name) != r.shared_objects.end();
  });
}

// The evidence an expectation asks for by name (signal=, exit_code=, ...).
void check_requested_evidence(const ModuleProbeReport& report, const Fields& want, Problems& problems) {
  if (auto signal = want.find("signal"); signal != want.end()) {
    const int number = std::stoi(signal->second);
    problems.expect(
        any_evidence(report,
                     [&](const ProbeResult& r) { return r.outcome == ProbeOutcome::crash && r.signal == number; }),
        "no probe crashed with signal " + signal->second);
  }
  if (auto code = want.find("exit_code"); code != want.end()) {
    const int number = std::stoi(code->second);
    problems.expect(
        any_evidence(report,
                     [&](const ProbeResult& r) { return r.outcome == ProbeOutcome::exit && r.exit_code == number; }),
        "no probe with outcome exit and exit code " + code->second);
  }
  if (auto name = want.find("shared_object"); name != want.end()) {
    problems.expect(reports_shared(report, name->second), "shared_objects does not name " + name->second);
  }
  if (auto name = want.find("unshared_object"); name != want.end()) {
    problems.expect(!reports_shared(report, name->second),
                    name->second + " reported shared by two interpreters, yet it is a heap type");
  }
  if (want.count("output")) {
    problems.expect(
        any_evidence(report,
                     [](const ProbeResult& r) {
                       return r.output_truncated && !r.output.empty() && r.output.size() <= kMaxKeptOutput;
                     }),
        "no probe whose output was truncated to a tail of at most " + std::to_string(kMaxKeptOutput) + " bytes");
  }
  if (auto word = want.find("note"); word != want.end()) {
    problems.expect(std::any_of(report.notes.begin(), report.notes.end(),
                                [&](const std::string& note) { return contains_ignoring_case(note, word->second); }),
                    "no note mentions " + word->second);
  }
}

// What the module declares, and exactly the contradictions it must be flagged for.
void check_declared(const ModuleProbeReport& report, const Fields& want, Problems& problems) {
  const DeclaredDef& def = report.declared.def;
  auto expect_value = [&](const char* key, std::string_view got) {
    if (auto value = want.find(key); value != want.end()) {
      problems.expect(got == value->second, std::string(key) + ": expected " + value->second + ", got " +
                                                std::string(got) + " (" + def.error + ")");
    }
  };
  expect_value("declared_init", to_string(def.init));
  expect_value("declared_mi", to_string(def.multiple_interpreters));
  expect_value("declared_gil", to_string(def.gil));
  if (auto symbol = want.find("declared_import"); symbol != want.end()) {
    const std::vector<std::string>& imports = report.declared.imports;
    problems.expect(std::find(imports.begin(), imports.end(), symbol->second) != imports.end(),
                    "declared imports do not list " + symbol->second);
  }
  std::set<std::string> expected, got;
  if (auto ids = want.find("contradiction"); ids != want.end()) {
    std::stringstream list(ids->second);
    for (std::string id; std::getline(list, id, ',');) expected.insert(id);
  }
  std::string got_text;
  for (const Contradiction& c : report.contradictions) {
    got.insert(c.id);
    got_text += " " + c.id;
  }
  problems.expect(got == expected, "contradictions: got [" + got_text + " ], expected " +
                                       (want.count("contradiction") ? want.at("contradiction") : "none"));
}

// A misbehaving module must not taint the others, and a quiet one must not be accused.
void check_well_behaved(const ModuleProbeReport& report, const Fields& want, Problems& problems) {
  const std::string& sub = want.at("subinterpreters");
  // No leak note where nothing leaks. Not checked where the import re-enables the GIL on a
  // free-threaded build: there CPython itself keeps about 2 MiB per subinterpreter that
  // imported such a module (measured with _interpreters alone on 3.13.5t, see
  // docs/prober-results.md), so RSS really grows each stress cycle.
  if (!want.count("note") && want.at("free_threading") != "requires-gil") {
    problems.expect(std::none_of(report.notes.begin(), report.notes.end(),
                                 [](const std::string& note) { return contains_ignoring_case(note, "leak"); }),
                    "a leak note on a module that does not leak");
  }
  // Modules expected to behave show no crash, timeout, exit or host error anywhere.
  const bool misbehaves = want.count("signal") || want.count("exit_code") || sub == "timeout" || sub == "crash";
  if (!misbehaves) {
    problems.expect(!any_evidence(report, [](const ProbeResult& r) { return r.outcome != ProbeOutcome::ok; }),
                    "a well-behaved module has a crash, timeout, exit or error among its evidence");
  }
}

// The verdicts and every piece of evidence the expectations ask for. Empty when they agree.
std::string differences(const ModuleProbeReport& report, const Fields& want) {
  Problems problems;
  const std::string& sub = want.at("subinterpreters");
  const std::string& ft = want.at("free_threading");
  const std::string sub_got(to_string(report.subinterpreters)), ft_got(to_string(report.free_threading));
  problems.expect(sub_got == sub, "subinterpreters: expected " + sub + ", got " + sub_got);
  problems.expect(ft_got == ft, "free_threading: expected " + ft + ", got " + ft_got);
  check_verdict_evidence(report, want, problems);
  check_declared(report, want, problems);
  check_requested_evidence(report, want, problems);
  check_well_behaved(report, want, problems);
  return problems.text();
}

// ---------------------------------------------------------------------------------------
// The expectations themselves: complete, and read strictly

TEST(ProberCorpusExpectations, EveryModuleSaysWhatEachKindOfInterpreterMustReport) {
  const auto expectations = all_expectations();
  ASSERT_GE(expectations.size(), 15u) << "the prober corpus in " << kCorpusSources << " is missing modules";
  for (const auto& [module, expected] : expectations) {
    EXPECT_EQ(module.rfind("probe_", 0), 0u) << expected.file << ": prober corpus modules are named probe_<case>";
    for (const auto& error : expected.errors) ADD_FAILURE() << error;
    for (bool free_threaded : {false, true}) {
      const Fields fields = resolve(expected, free_threaded ? "3.13t" : "3.13", free_threaded);
      EXPECT_TRUE(fields.count("subinterpreters") && fields.count("free_threading"))
          << module << ": no subinterpreters and free_threading verdicts for a "
          << (free_threaded ? "free-threaded" : "GIL") << " interpreter";
    }
    // A GIL build cannot test free-threading: saying otherwise would be a wrong expectation.
    EXPECT_EQ(resolve(expected, "3.13", false)["free_threading"], "not-tested") << module;
  }
}

TEST(ProberCorpusExpectations, IndexListsEveryCorpusModule) {
  const CorpusIndex& index = corpus_index();
  if (!index.present) GTEST_SKIP() << "no " << kCorpusIndex << ": corpus/prober was not configured";
  std::vector<std::string> sources;  // one per file: the index names files, not the other modules they export
  for (const fs::path& source : corpus_sources()) sources.push_back(source.stem().string());
  EXPECT_EQ(index.modules, sources) << "re-run CMake: the corpus sources changed since " << kCorpusIndex
                                    << " was written";
}

TEST(ProberCorpusExpectations, ReaderResolvesSpecificLinesAndRejectsMistakes) {
  test::TempDir dir("subcheck-probe-expectations");
  const fs::path good = dir.write("probe_demo.c",
                                  "/* subcheck-expect-probe: interp=any subinterpreters=supported shared_object=Thing\n"
                                  " * subcheck-expect-probe: interp=gil free_threading=not-tested\n"
                                  " * subcheck-expect-probe: interp=free-threaded free_threading=requires-gil\n"
                                  " * subcheck-expect-probe: interp=3.12 subinterpreters=crash signal=6 */\n");
  const ModuleExpectations read = read_module_expectations(good);
  EXPECT_TRUE(read.errors.empty());
  EXPECT_EQ(read.module, "probe_demo");
  EXPECT_EQ(resolve(read, "3.13", false),
            (Fields{{"subinterpreters", "supported"}, {"free_threading", "not-tested"}, {"shared_object", "Thing"}}));
  EXPECT_EQ(resolve(read, "3.12", false), (Fields{{"subinterpreters", "crash"},
                                                  {"free_threading", "not-tested"},
                                                  {"shared_object", "Thing"},
                                                  {"signal", "6"}}));
  EXPECT_EQ(resolve(read, "3.13t", true)["free_threading"], "requires-gil");

  const fs::path bad =
      dir.write("probe_bad.c",
                "/* subcheck-expect-probe: interp=gill subinterpreters=fine free_threading=gil-free */\n"
                "/* subcheck-expect-probe: subinterpreters=supported signal=SIGSEGV colour=red */\n"
                "/* subcheck-expect-probe: interp=any */\n");
  const ModuleExpectations wrong = read_module_expectations(bad);
  auto mentions = [&](const std::string& text) {
    return std::any_of(wrong.errors.begin(), wrong.errors.end(),
                       [&](const std::string& error) { return error.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(mentions("'gill' is not any, gil, free-threaded"));
  EXPECT_TRUE(mentions("'fine' is not a valid subinterpreters"));
  EXPECT_TRUE(mentions("lacks interp="));
  EXPECT_TRUE(mentions("signal must be 1-64"));
  EXPECT_TRUE(mentions("unknown key 'colour'"));
  EXPECT_TRUE(mentions("probe_bad.c:3: expects nothing"));
}

// ---------------------------------------------------------------------------------------
// The corpus in each interpreter

class ProberCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(ProberCorpus, VerdictsAndEvidenceMatchTheSources) {
  const std::string tag = GetParam();
  const CorpusIndex& index = corpus_index();
  if (!index.present) GTEST_SKIP() << "no " << kCorpusIndex << ": corpus/prober was not configured";
  const CorpusInterpreter* built = corpus_interpreter(tag);
  if (built == nullptr) {
    std::string skipped;
    for (const auto& reason : index.skipped) skipped += "\n  skipped " + reason;
    GTEST_SKIP() << "CPython " << tag << " was not found when CMake configured the prober corpus (for "
                 << (tag.back() == 't' ? "a free-threaded 3.13t run ci/build-cpython.sh"
                     : tag >= "3.14"   ? "it run ci/sid-root.sh test, or put python" + tag + " on PATH"
                                       : "it install it with pyenv")
                 << ", then re-run CMake)" << skipped;
  }

  std::optional<Interpreter> interpreter = inspect_interpreter(built->python);
  ASSERT_TRUE(interpreter.has_value()) << built->python << " no longer runs as CPython >= 3.12";
  ASSERT_EQ(interpreter->implementation_tag, tag) << built->python;
  ASSERT_EQ(interpreter->free_threaded, built->free_threaded) << built->python;

  const ProbeTarget target = discover(built->module_dir.string(), *interpreter);
  std::vector<std::string> found;
  for (const ExtensionFile& module : target.modules) {
    found.push_back(module.module);
    EXPECT_TRUE(module.matches_interpreter) << module.file << ": " << module.mismatch_reason;
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> expected_modules;  // one per file, and the others a file exports
  for (const auto& [module, unused] : all_expectations()) expected_modules.push_back(module);
  EXPECT_TRUE(
      std::includes(expected_modules.begin(), expected_modules.end(), index.modules.begin(), index.modules.end()));
  ASSERT_EQ(found, expected_modules) << "discover(" << built->module_dir << ") did not find the corpus as built";

  ProbeOptions options;
  options.jobs = 2;
  options.timeout = kProbeTimeout;
  const auto started = std::chrono::steady_clock::now();
  const ProbeRun run = probe(*interpreter, target, options);
  const auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  RecordProperty("probe_ms", static_cast<int>(elapsed.count()));
  std::cout << "[ probe    ] CPython " << interpreter->version << " (" << tag << "): " << run.modules.size()
            << " modules in " << elapsed.count() << " ms; sandbox network: " << run.sandbox.network << "\n";
  for (const auto& problem : run.problems) std::cout << "[ problem  ] " << problem << "\n";

  const auto expectations = all_expectations();
  std::map<std::string, const ModuleProbeReport*> reports;
  for (const ModuleProbeReport& report : run.modules) {
    EXPECT_TRUE(reports.emplace(report.module, &report).second) << report.module << " reported twice";
    EXPECT_EQ(report.interpreter, tag) << report.module;
  }
  std::string failures;
  for (const auto& [module, expected] : expectations) {
    auto report = reports.find(module);
    if (report == reports.end()) {
      failures += "  " + module + ": no report\n";
      continue;
    }
    const Fields want = resolve(expected, tag, interpreter->free_threaded);
    if (std::string problems = differences(*report->second, want); !problems.empty()) {
      failures += "  " + module + " (" + expected.file.filename().string() + "):\n" + problems +
                  describe_evidence(*report->second);
    }
  }
  for (const auto& [module, report] : reports) {
    if (!expectations.count(module)) failures += "  " + module + ": reported but not in the corpus\n";
  }
  EXPECT_TRUE(failures.empty()) << "CPython " << interpreter->version << " (" << tag << "), " << built->python << ":\n"
                                << failures;
}

// The corpus built for one interpreter, probed with another: every file is reported as
// built for another ABI and none is loaded (a GIL-build .so can crash a 3.13t; here the
// segfaulting, aborting and exiting modules would end the run if one were imported).
TEST(ProberCorpusAbi, ModulesBuiltForAnotherInterpreterAreNeverLoaded) {
  const CorpusIndex& index = corpus_index();
  if (index.interpreters.size() < 2) {
    GTEST_SKIP() << "needs the corpus built for two interpreters (" << index.interpreters.size() << " in "
                 << kCorpusIndex << ")";
  }
  for (const CorpusInterpreter& built : index.interpreters) {
    for (const CorpusInterpreter& runner : index.interpreters) {
      if (built.tag == runner.tag) continue;
      SCOPED_TRACE("modules built for " + built.tag + ", probed with " + runner.tag);
      std::optional<Interpreter> interpreter = inspect_interpreter(runner.python);
      ASSERT_TRUE(interpreter.has_value()) << runner.python;
      const ProbeTarget target = discover(built.module_dir.string(), *interpreter);
      ASSERT_EQ(target.modules.size(), all_expectations().size())
          << "discover skipped some files instead of reporting them";
      for (const ExtensionFile& module : target.modules) {
        EXPECT_FALSE(module.matches_interpreter) << module.file;
        EXPECT_FALSE(module.mismatch_reason.empty()) << module.file;
      }
      ProbeOptions options;
      options.jobs = 2;
      options.timeout = kProbeTimeout;
      const ProbeRun run = probe(*interpreter, target, options);
      ASSERT_EQ(run.modules.size(), all_expectations().size());
      for (const ModuleProbeReport& report : run.modules) {
        EXPECT_EQ(report.subinterpreters, SubinterpreterVerdict::abi_mismatch)
            << report.module << ": " << report.summary;
        EXPECT_EQ(report.free_threading, FreeThreadingVerdict::abi_mismatch) << report.module << ": " << report.summary;
        EXPECT_TRUE(report.evidence.empty()) << report.module << " was probed: " << describe_evidence(report);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, ProberCorpus, ::testing::ValuesIn(tags_to_probe()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

}  // namespace
}  // namespace subcheck::prober
