// Declared facts and their contradictions with the probes (declared_facts.h).
#include "prober/declared_facts.h"

#include <algorithm>
#include <string_view>

#include "prober/probe_verdicts.h"

namespace subcheck::prober {

namespace {

// Why a `declared` child gave no record: it crashed in PyInit, timed out, could not run.
std::string missing_record_reason(const ProbeResult& child) {
  switch (child.outcome) {
    case ProbeOutcome::crash: return "PyInit crashed the declared probe (" + signal_name(child.signal) + ")";
    case ProbeOutcome::timeout: return "PyInit did not return within the time limit";
    case ProbeOutcome::exit: return "PyInit exited the process (code " + std::to_string(child.exit_code) + ")";
    case ProbeOutcome::error: return "the declared probe could not run: " + child.error;
    case ProbeOutcome::ok: break;
  }
  return "the declared probe wrote no record";
}

bool imports(const DeclaredFacts& facts, std::string_view symbol) {
  return std::find(facts.imports.begin(), facts.imports.end(), symbol) != facts.imports.end();
}

std::vector<std::string> gilstate_imports(const DeclaredFacts& facts) {
  std::vector<std::string> found;
  for (const std::string& symbol : facts.imports) {
    if (symbol.starts_with("PyGILState_")) found.push_back(symbol);
  }
  return found;
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

// A main-interpreter import succeeded in some child: a failure after it is the
// subinterpreter's, not a module that fails everywhere (`broken`, a crash in PyInit).
bool main_import_succeeded(const ModuleProbeReport& report) {
  return std::any_of(report.evidence.begin(), report.evidence.end(), [](const ProbeResult& child) {
    return std::any_of(child.steps.begin(), child.steps.end(),
                       [](const ProbeStep& step) { return step.where == "main" && step.ok; });
  });
}

bool fails_in_isolated(const ModuleProbeReport& report) {
  using V = SubinterpreterVerdict;
  const V verdict = report.subinterpreters;
  if (verdict == V::unsupported || verdict == V::shared_gil_only) return true;
  return (verdict == V::crash || verdict == V::timeout) && main_import_succeeded(report);
}

// The claims a module makes about subinterpreters when its def was read: the slot, or for
// a multi-phase module without one CPython's assumption (shared-GIL support).
bool claims_subinterpreter_support(const DeclaredDef& def) {
  using M = MultipleInterpreters;
  if (def.init != InitStyle::multi_phase) return false;
  return def.multiple_interpreters == M::per_interpreter_gil_supported || def.multiple_interpreters == M::supported ||
         def.multiple_interpreters == M::absent;
}

// When PyInit could not be read: the init style the file's imports point to, when they
// point one way only (PyModule_Create2 alone: single-phase; PyModuleDef_Init alone:
// multi-phase). A file that imports both (a multi-phase module that also creates
// submodules) says nothing.
void init_from_imports(DeclaredFacts& facts) {
  const bool creates = imports(facts, "PyModule_Create2");
  const bool defines = imports(facts, "PyModuleDef_Init");
  if (creates == defines) return;
  facts.def.init = creates ? InitStyle::single_phase : InitStyle::multi_phase;
  facts.init_source = "elf-imports";
}

}  // namespace

DeclaredFacts file_facts(const ExtensionFile& module, const std::string& why_no_def) {
  DeclaredFacts facts;
  facts.imports = module.c_api_imports;
  facts.def.error = why_no_def;
  init_from_imports(facts);
  return facts;
}

DeclaredFacts take_declared_facts(const ExtensionFile& module, std::vector<ProbeResult>& children) {
  DeclaredFacts facts;
  facts.imports = module.c_api_imports;
  auto child = std::find_if(children.begin(), children.end(),
                            [](const ProbeResult& result) { return result.probe == ProbeKind::declared; });
  if (child == children.end()) {
    facts.def.error = "no declared probe ran";
    return facts;
  }
  if (child->declared) {
    facts.def = *child->declared;
    if (facts.def.error.empty()) facts.def_source = facts.init_source = "module-def";
  } else {
    facts.def.error = missing_record_reason(*child);
  }
  children.erase(child);
  if (facts.def_source.empty()) init_from_imports(facts);
  return facts;
}

std::vector<Contradiction> find_contradictions(const ModuleProbeReport& report) {
  using M = MultipleInterpreters;
  std::vector<Contradiction> found;
  const DeclaredDef& def = report.declared.def;
  const bool read = !report.declared.def_source.empty();
  if (read && def.multiple_interpreters == M::per_interpreter_gil_supported && fails_in_isolated(report)) {
    found.push_back({"declared-isolated-fails",
                     "declares Py_MOD_PER_INTERPRETER_GIL_SUPPORTED, but in an isolated subinterpreter it is " +
                         std::string(to_string(report.subinterpreters)) + ": " + report.summary});
  }
  if (read && report.free_threaded && def.gil == GilDeclaration::not_used &&
      report.free_threading == FreeThreadingVerdict::requires_gil) {
    found.push_back({"declared-gil-not-used-reenabled",
                     "declares Py_MOD_GIL_NOT_USED, yet importing it on " + report.interpreter + " enabled the GIL"});
  }
  if (read && def.init == InitStyle::multi_phase &&
      (def.multiple_interpreters == M::supported || def.multiple_interpreters == M::absent) &&
      report.subinterpreters == SubinterpreterVerdict::unsupported && main_import_succeeded(report)) {
    const std::string claim = def.multiple_interpreters == M::absent
                                  ? "declares no Py_mod_multiple_interpreters slot, so CPython takes it for "
                                    "Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED"
                                  : "declares Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED";
    found.push_back({"declared-shared-fails",
                     claim + ", but a subinterpreter sharing the main GIL refuses it too: " + report.summary});
  }
  if (const std::vector<std::string> gilstate = gilstate_imports(report.declared);
      !gilstate.empty() && read && claims_subinterpreter_support(def)) {
    const std::string claim = def.multiple_interpreters == M::absent
                                  ? "declares no Py_mod_multiple_interpreters slot (CPython assumes shared-GIL "
                                    "subinterpreter support)"
                                  : "declares " + std::string(to_string(def.multiple_interpreters));
    found.push_back({"declared-subinterpreters-uses-gilstate",
                     claim + ", but imports " + joined(gilstate) +
                         ": the PyGILState API attaches a thread to the main interpreter, not to the "
                         "subinterpreter that loaded the module"});
  }
  if (read && def.init == InitStyle::single_phase && report.free_threaded &&
      imports(report.declared, "PyUnstable_Module_SetGIL") &&
      report.free_threading == FreeThreadingVerdict::requires_gil) {
    found.push_back({"declared-setgil-reenabled",
                     "single-phase, imports PyUnstable_Module_SetGIL, yet importing it on " + report.interpreter +
                         " enabled the GIL (it calls it with Py_MOD_GIL_USED, or not on this path)"});
  }
  return found;
}

}  // namespace subcheck::prober
