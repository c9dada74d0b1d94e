// Facts from every translation unit, joined into extension modules: which PyInit
// function, which PyModuleDef and slots, which files make up each module.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analyzer/facts.h"
#include "core/vocabulary.h"

namespace subcheck {

// What one build configuration says about a module.
struct ModuleConfigView {
  // export_hook for a PyModExport_ hook (its slots are read as multi-phase slots are).
  // unknown when no creating call is in sight, or when what says how the module
  // initialises cannot be trusted: PyInit's unit failed in Python's headers or stopped
  // early, or the def or slots have parse errors. A missing third-party header elsewhere
  // in the unit does not make it unknown (TranslationUnitFacts::trustworthy).
  InitStyle init = InitStyle::unknown;
  std::optional<SourceLocation> created_at;  // PyModule_Create / PyModuleDef_Init call
  const ModuleDefFact* def = nullptr;
  const SlotArrayFact* slots = nullptr;
  bool has_exec_slot = false;
  bool has_create_slot = false;
  // The Py_mod_multiple_interpreters slot's value; `unknown` when the parse cannot be trusted.
  MultipleInterpreters multiple_interpreters = MultipleInterpreters::absent;
  std::string multiple_interpreters_other;  // the source's spelling, for `other`
  std::optional<SourceLocation> multiple_interpreters_at;
  // The Py_mod_gil slot's value, or PyUnstable_Module_SetGIL's argument.
  GilDeclaration gil = GilDeclaration::absent;
  std::string gil_other;  // the source's spelling, for `other`
  std::optional<SourceLocation> gil_at;
  // A slot whose id no CPython accepts for a module (docs/cpython-behaviour.md #26): every
  // import fails with SystemError, so no interpreter ever gets the module.
  std::optional<SourceLocation> refused_slot_at;
  // The Py_mod_create slot when its function can only return NULL, or always returns with
  // an exception set (FunctionFact::returns_only_null, raises_before_any_return; #27):
  // PyModule_FromDefAndSpec2 raises SystemError in every
  // interpreter, so, as with a refused slot, no module ever exists.
  std::optional<SourceLocation> failing_create_at;
  // The PyModuleDef of a multi-phase module when its m_size is negative (#30):
  // PyModule_FromDefAndSpec2 refuses it before any slot runs, in every interpreter.
  std::optional<SourceLocation> negative_size_at;
  // PyInit itself when it can only return NULL or always returns with an exception set
  // (the same facts as for a create function): the import machinery raises SystemError
  // ("initialization of ... raised unreported exception", "... failed without raising an
  // exception") or the exception itself, in every interpreter (#31; CPython's
  // _testmultiphase_export_unreported_exception, _export_null, _export_raise); or when it
  // returns its PyModuleDef without PyModuleDef_Init, which CPython refuses as an
  // uninitialised object (#32, _export_uninitialized).
  std::optional<SourceLocation> failing_init_at;
  std::set<std::string> init_functions;  // PyInit, slot functions and what they call
  // The function the module stores in PyOS_ReadlineFunctionPointer and what only it
  // reaches: CPython runs them one call at a time, under its readline lock (#34).
  std::set<std::string> readline_hook_functions;
  // The module's C signal handlers and what only they reach: the kernel runs them in any
  // thread, with or without the GIL, in every build.
  std::set<std::string> signal_handler_functions;
  // Every function the module can run: reachable from its init roots (PyInit or the export
  // hook, create/exec) and from what it hands to others to call (method tables, type
  // slots, any function whose address is taken), by calls and by taking addresses. A
  // vendored library's API the module never calls is not in it. Wider than
  // reached_functions below (every address taken in the module's units counts), because
  // it decides that code never runs; reached_functions decides whose code it is.
  std::set<std::string> reachable_functions;
  // reachable_functions can be trusted to be complete: every unit of the module parsed
  // cleanly, with no error in any function body (where a call may have been lost).
  bool call_graph_complete = false;
  std::vector<const TranslationUnitFacts*> units;  // the units that make up the module
  // What the module's own code reaches: from the entry point, the create and exec slots
  // and the PyModuleDef (its method table, its slots), following calls, functions taken
  // by address or named in an initialiser (method tables, type slots, getset tables), and
  // the globals those name (a type spec, its slot array). A file holding several modules
  // (CPython's _testmultiphase.c) has a function belong to the modules that reach it, not
  // to every module of the file (AnalysisModel::modules_reaching).
  std::set<const FunctionFact*> reached_functions;
  std::set<const GlobalVarFact*> reached_globals;

  // No CPython ever creates the module (#26, #27, #30, #31): every import fails, in every
  // interpreter.
  bool never_created() const {
    return refused_slot_at.has_value() || failing_create_at.has_value() || negative_size_at.has_value() ||
           failing_init_at.has_value();
  }

  // For reports: CPython's macro name, "absent", "unknown", or the source's own spelling.
  std::string multiple_interpreters_spelling() const;
  std::string gil_spelling() const;
};

struct ExtensionModule {
  std::string name;         // import name's last component, from PyInit_<name> or PyModExport_<name>
  SourceLocation location;  // the export hook when there is one, else the PyInit function
  std::string generator;    // "", "cython", "pybind11", "nanobind"
  // What the module declares: for a module with a PyModExport_ hook, the hook's view
  // (init `export_hook`), since 3.15 calls the hook and never PyInit_ (#22).
  std::map<BuildConfig, ModuleConfigView> configs;
  // A module with both: PyInit_'s view, which only 3.14 and older use. Reported beside
  // the module's own declarations; checks and verdicts judge `configs`.
  std::map<BuildConfig, ModuleConfigView> pyinit_configs;
  std::set<BuildConfig> hook_configs;  // configurations in which an export hook was seen

  // The view of one build configuration, or nullptr when that configuration did not see it.
  const ModuleConfigView* view(BuildConfig config) const;
  // PyInit_'s view beside an export hook, or nullptr.
  const ModuleConfigView* pyinit_view(BuildConfig config) const;
};

struct AnalysisModel {
  std::vector<TranslationUnitFacts> units;  // every unit, both configurations
  std::vector<ExtensionModule> modules;
  // file (main file of a unit) -> names of the modules it belongs to
  std::map<std::string, std::vector<std::string>> owners;

  // Parameters (function, position) that hold, at every call, an object no other thread
  // can see: the **kwargs dict CPython makes for a call through a method table or type
  // slot, the object a type's destructor slot is given (GlobalVarFact::destructors), a
  // container or object the caller has just made, or such a parameter of the caller,
  // followed through direct calls. By origin, never by name (FT003, FT004).
  std::set<std::pair<const FunctionFact*, int>> private_parameters;
  // Fields some function hands on, stores or returns (FunctionFact::fields_shared): a
  // field of a private struct is private only when no code does (ArgSource::field).
  std::set<std::string> shared_fields;

  std::vector<const TranslationUnitFacts*> units_for(BuildConfig config) const;
  // The call's first argument is a container no other thread holds (a fresh one, or a
  // parameter in private_parameters).
  bool first_arg_is_private(const FunctionFact& function, const CallFact& call) const;
  // The object a side table's key names (ArgSource::identity) is one no other thread holds.
  bool names_private_object(const FunctionFact& function, const ArgSource& key) const;
  std::vector<std::string> modules_owning(const std::string& file) const;
  // The modules whose code reaches the function or the global (ModuleConfigView::
  // reached_functions, reached_globals), in module order; empty when none does.
  std::vector<std::string> modules_reaching(const FunctionFact& function) const;
  std::vector<std::string> modules_reaching(const GlobalVarFact& global) const;

  std::map<const FunctionFact*, std::vector<std::string>> function_modules;
  std::map<const GlobalVarFact*, std::vector<std::string>> global_modules;
};

// Builds modules from facts. Pointers in the result point into model.units, so the
// model must not be copied after this call (it is returned by value once and moved).
AnalysisModel build_module_model(std::vector<TranslationUnitFacts> units);

}  // namespace subcheck
