// The typed vocabulary of module facts, verdicts and probes. Inside subcheck these are
// enums the compiler checks; they become strings only at the JSON/text edge, through the
// to_string / parse_* pairs below (the spellings are part of the documented JSON schema,
// docs/json-schema.md, and must not change).
#pragma once

#include <optional>
#include <string_view>

namespace subcheck {

// How a module initialises (docs/cpython-behaviour.md: single-phase modules are refused by
// every isolated subinterpreter). `export_hook`: 3.15's PyModExport_<name> returning a slot
// array (PEP 793, #22); CPython builds the module from those slots as it does a
// multi-phase module's, so everything said of multi-phase modules holds for it.
enum class InitStyle { unknown, single_phase, multi_phase, export_hook };

// The value of a module's Py_mod_multiple_interpreters slot. `absent`: no slot (CPython
// then assumes `supported`, shared GIL only); `unknown`: the facts could not tell;
// `other`: a value spelled some other way (kept as spelled beside the enum).
enum class MultipleInterpreters { absent, unknown, not_supported, supported, per_interpreter_gil_supported, other };

// The value of Py_mod_gil, or the argument of PyUnstable_Module_SetGIL.
enum class GilDeclaration { absent, unknown, used, not_used, other };

// Would an isolated (own-GIL) subinterpreter load the module and work? The static analysis
// answers supported | shared-gil-only | unsupported | unsafe | unknown; a probe answers
// supported | shared-gil-only | unsupported | broken | crash | timeout | abi-mismatch |
// not-tested.
enum class SubinterpreterVerdict {
  supported,
  shared_gil_only,
  unsupported,
  unsafe,
  unknown,
  broken,
  crash,
  timeout,
  abi_mismatch,
  not_tested,
};

// Does importing the module on a free-threaded build leave the GIL disabled? Static:
// gil-free | requires-gil | unsafe | unknown; probed: gil-free | requires-gil | broken |
// crash | timeout | abi-mismatch | not-tested.
enum class FreeThreadingVerdict {
  gil_free,
  requires_gil,
  unsafe,
  unknown,
  broken,
  crash,
  timeout,
  abi_mismatch,
  not_tested,
};

// Would concurrent.futures.InterpreterPoolExecutor (3.14+) run a task that imports the
// module? Derived from the probed subinterpreter verdict (its workers are isolated
// subinterpreters, docs/cpython-behaviour.md #23): yes | no | unknown, or not-available
// on an interpreter without the executor (before 3.14).
enum class InterpreterPoolVerdict { yes, no, unknown, not_available };

// What one probe child does (docs/prober.md, "Host protocol").
// `declared`: calls the module's PyInit_<name> and reports what it returned (its
// PyModuleDef's slots), not an import.
enum class ProbeKind { main, isolated, isolated_fresh, shared, stress, gil, combined, declared };

// How a probe child ended, as its parent observed it.
enum class ProbeOutcome { ok, crash, exit, timeout, error };

std::string_view to_string(InitStyle value);
std::string_view to_string(MultipleInterpreters value);  // CPython's macro name, "absent", "unknown" or "other"
std::string_view to_string(GilDeclaration value);
std::string_view to_string(SubinterpreterVerdict value);
std::string_view to_string(FreeThreadingVerdict value);
std::string_view to_string(ProbeKind value);
std::string_view to_string(ProbeOutcome value);
std::string_view to_string(InterpreterPoolVerdict value);

std::optional<InitStyle> parse_init_style(std::string_view text);
std::optional<MultipleInterpreters> parse_multiple_interpreters(std::string_view text);  // macro names only
std::optional<GilDeclaration> parse_gil_declaration(std::string_view text);
std::optional<SubinterpreterVerdict> parse_subinterpreter_verdict(std::string_view text);
std::optional<FreeThreadingVerdict> parse_free_threading_verdict(std::string_view text);
std::optional<ProbeKind> parse_probe_kind(std::string_view text);
std::optional<ProbeOutcome> parse_probe_outcome(std::string_view text);
std::optional<InterpreterPoolVerdict> parse_interpreter_pool_verdict(std::string_view text);

}  // namespace subcheck
