// Helpers shared by several checks: walking the units of a configuration, indexing
// globals and their writes, reading rule data. Checks report to context.sink as they find;
// core/finding.h's FindingSet reports each (rule, location) once.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/check.h"
#include "analyzer/facts.h"
#include "analyzer/module_model.h"
#include "core/finding.h"

namespace subcheck {
struct Rule;
}

namespace subcheck::checks {

// Units produced by a code generator whose own check covers them (SI009 for Cython):
// per-declaration findings in generated code only bury the one that matters.
bool generated_by_cython(const TranslationUnitFacts& unit);

// The modules a finding in `unit` outside any function (or in a function the unit does not
// define) belongs to: every module owning the file.
std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit);

// The modules a finding inside `function` of `unit` belongs to: of the file's modules,
// those whose code reaches the function (AnalysisModel::modules_reaching), so a file
// defining several modules blames each for its own code. When none does (a function no
// table or call reaches), every module owning the file, as for a file-scope finding.
// Every check reporting inside a function, and every check judging per module, asks here.
std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit,
                                    const FunctionFact& function);
// The same for a function named `function` (a pattern's enclosing function); "" or a
// name the unit does not define: the file's modules.
std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit,
                                    const std::string& function);
// The same for a global: the file's modules whose code uses it or names it in a table.
std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit,
                                    const GlobalVarFact& global);

// `module` is among `modules` (a finding's attribution from modules_of).
bool blames(const std::vector<std::string>& modules, const std::string& module);

// The rule's [data] table (API name -> replacement or description). Throws
// std::runtime_error naming the rule when the table is empty: a check that matches
// nothing would silently pass every module.
const std::map<std::string, std::string>& required_data(const Rule& rule);

// " (in NAME)" or "" when the function is unknown.
std::string in_function(const std::string& function);

// Calls visit(unit, function, call) for every call (API macros included) in `units`.
template <typename Visit>
void for_each_call(const std::vector<const TranslationUnitFacts*>& units, Visit&& visit) {
  for (const auto* unit : units) {
    for (const auto& function : unit->functions) {
      for (const auto& call : function.calls) {
        visit(*unit, function, call);
      }
    }
  }
}

// The same for code people wrote: Cython-generated units are skipped, since their calls
// are Cython's runtime, fixed by upgrading Cython or its directives (SI009 reports the module).
template <typename Visit>
void for_each_handwritten_call(const std::vector<const TranslationUnitFacts*>& units, Visit&& visit) {
  for_each_call(units, [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call) {
    if (!generated_by_cython(unit)) visit(unit, function, call);
  });
}

// SI007 and SI004: what a module defined with slots (multi-phase, or an export hook) uses
// instead of the PyState registry, whichever of its APIs it calls. CPython never registers
// such a module there: PyState_AddModule and PyState_RemoveModule raise SystemError for a
// def with slots, and PyState_FindModule returns NULL (3.13 Python/import.c). "Use
// multi-phase init" would tell it what it already does. `apis` is SI007's [data] table.
std::string registry_advice_for_slots(const std::map<std::string, std::string>& apis);

// Where a Cython module's creation code first calls __Pyx_check_single_interpreter (Cython
// emits one call, in the create function; the first in source order, so the answer does not
// depend on unit order). While the module has it, the second interpreter that imports the
// module gets "ImportError: Interpreter change detected" (SI009), so nothing of the module
// is shared between interpreters yet.
std::optional<SourceLocation> cython_interpreter_guard(const ModuleConfigView& view);

// The subjects of SI005-SI007, shared with SI004 (which reports the same things in modules
// that claim per-interpreter GIL support) so the rules cannot drift apart. Each skips
// Cython-generated units.

// SI005: a Python object that exists once per process: a static PyTypeObject or a
// statically allocated object.
bool is_static_python_object(const GlobalVarFact& global);

// CPython's own modules (built with Py_BUILD_CORE) may hand their static types to
// _PyStaticType_InitForExtension, which keeps each type's mutable parts (dict, subclasses,
// cache) per interpreter as it does for the builtin types: 3.13's _datetime. Such a unit's
// static types are not shared state. The API is internal; extensions outside CPython
// cannot use it.
bool readies_static_types_per_interpreter(const TranslationUnitFacts& unit);

// Functions only ever entered with a lock held: every call of them in `units` is made
// with `locked(call)` true, or from a function that is itself only entered so (Argument
// Clinic's wrapper holds Py_BEGIN_CRITICAL_SECTION(self) and calls `foo_impl`, which calls
// a helper). A function that is also named anywhere but in a call (a method table, a
// callback handed on, an address taken) can be entered unlocked, and is not one.
std::set<std::string> functions_entered_locked(const std::vector<const TranslationUnitFacts*>& units,
                                               const std::function<bool(const CallFact&)>& locked);

// How a message names a global of Kind::python_object: "Python object" for a `PyObject *`
// (one object), "variable holding Python objects" for an array or a struct of them.
std::string python_global_noun(const GlobalVarFact& var);

// Writes of `units` by the USR of the written variable, each write location once,
// in location order.
std::map<std::string, std::vector<const GlobalWriteFact*>> writes_by_usr(
    const std::vector<const TranslationUnitFacts*>& units);

// The modules of `names` (a finding's attribution from modules_of) the model holds.
std::vector<const ExtensionModule*> modules_named(const AnalysisModel& model, const std::vector<std::string>& names);

// When a write to a global happens, in every module of `owners` (none: run_time, so a unit
// no module claims is judged as any other):
// - once_per_process: only the initialisation of a single-phase module whose m_size is -1
//   makes it. CPython runs that PyInit once per process and hands later interpreters a copy
//   of the module's dict (docs/cpython-behaviour.md #28; dbus-python's libdbus data-slot
//   handle, sysv_ipc's exception objects).
// - never: the module never runs the function; neither its initialisation nor anything it
//   hands to others to call reaches it (a vendored library's setter, as hiredis'
//   hiredisSetAllocators in python-hiredis). Judged only when the module's units parsed
//   cleanly, so no call was lost (call_graph_complete).
// The latest timing any owner gives wins: once in one module and at run time in another
// is at run time.
enum class WriteTiming { never, once_per_process, run_time };
WriteTiming write_timing(const std::vector<const ExtensionModule*>& owners, BuildConfig config,
                         const GlobalWriteFact& write);

// A statically allocated object (not a type) made with PyObject_HEAD_INIT and written by
// no function: from 3.12, the first version with isolated subinterpreters, the macro makes
// it immortal, so no interpreter changes its reference count, and nothing else changes
// either. A read-only constant every interpreter may share, like Py_None (3.13's _datetime
// `zero_delta`, `utc_timezone`). A write through a pointer to it (a method's
// `self->hash = ...`) is not seen; CPython's own are same-value caches.
bool immortal_constant(const GlobalVarFact& global,
                       const std::map<std::string, std::vector<const GlobalWriteFact*>>& writes);

// Calls visit(unit, global) for every static Python object defined in a hand-written unit
// that is shared state: a static type (unless CPython keeps it per interpreter) or an
// object other than an immortal constant.
template <typename Visit>
void for_each_static_python_object(const std::vector<const TranslationUnitFacts*>& units, Visit&& visit) {
  const auto writes = writes_by_usr(units);
  for (const auto* unit : units) {
    if (generated_by_cython(*unit)) continue;
    bool managed_types = readies_static_types_per_interpreter(*unit);
    for (const auto& global : unit->globals) {
      if (!is_static_python_object(global) || immortal_constant(global, writes)) continue;
      if (managed_types && global.kind == GlobalVarFact::Kind::static_type) continue;
      visit(*unit, global);
    }
  }
}

// SI007 and SI008: calls visit(unit, function, call, advice) for every hand-written call to
// an API of `apis` (a rule's [data] table: API name -> what to use instead).
template <typename Visit>
void for_each_listed_call(const std::vector<const TranslationUnitFacts*>& units,
                          const std::map<std::string, std::string>& apis, Visit&& visit) {
  for_each_handwritten_call(units,
                            [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call) {
                              auto api = apis.find(call.callee);
                              if (api != apis.end()) visit(unit, function, call, api->second);
                            });
}

// A check that reports every hand-written call to an API its rule's [data] table lists
// (API name -> advice), saying what the API does wrong and what to use instead.
class ListedApiCallCheck : public Check {
 public:
  void run(CheckContext& context) const override;

 protected:
  // Follows "<API> (in <function>)", e.g. "assumes a single interpreter: ...".
  virtual std::string problem(const std::string& api) const = 0;
  // Whether this call is a finding at all, for the modules it belongs to (`owners`).
  virtual bool reported(const CheckContext& /*context*/, const FunctionFact& /*function*/,
                        const std::vector<std::string>& /*owners*/, const std::string& /*api*/) const {
    return true;
  }
  // What to use instead at this call: the rule's [data] entry for the API, unless the
  // place of the call, or the modules it belongs to (`owners`, from modules_of), asks for
  // other advice.
  virtual std::string advice(const CheckContext& /*context*/, const FunctionFact& /*function*/,
                             const std::vector<std::string>& /*owners*/, const std::string& /*api*/,
                             const std::string& listed) const {
    return listed;
  }
};

// Globals of `units` by USR (first definition wins: a header's static seen by
// several units is one variable).
std::map<std::string, const GlobalVarFact*> globals_by_usr(const std::vector<const TranslationUnitFacts*>& units);

// A global of a kind a check cares about that some function writes at run time.
struct WrittenGlobal {
  const TranslationUnitFacts* unit;  // a unit that defines it
  const GlobalVarFact* var;
  std::vector<const GlobalWriteFact*> writes;  // never empty, in location order
};

// Every (unit, global) of `units` whose kind is in `kinds` and that is written by any
// function of `units`. A variable defined in a header appears once per defining unit.
std::vector<WrittenGlobal> written_globals(const std::vector<const TranslationUnitFacts*>& units,
                                           const std::set<GlobalVarFact::Kind>& kinds);

// A write of the global puts a Python object into it (GlobalWriteFact::stores_object): a
// static Py_buffer filled by a buffer request, or its obj set.
bool stores_object(const WrittenGlobal& global);

// Every write stores, at each place it writes, one value that is the same for the whole
// process (GlobalWriteFact::fixed_store: a function, a string literal, a global's address),
// and no target gets two different values: whichever interpreter writes last, the variable
// holds what the first import put there (SI006, SI010).
bool stores_one_value_per_target(const std::vector<const GlobalWriteFact*>& writes);

// Only the main interpreter uses the global: every write, and every function of `units`
// that names it, only inside an `if` that the main interpreter alone enters (psycopg2's
// cached Decimal type behind `psyco_is_main_interp()`). However many interpreters load the
// module, one of them owns it (SI006).
bool used_only_by_main_interpreter(const std::vector<const TranslationUnitFacts*>& units, const WrittenGlobal& global);
// The functions of `units` that name the global outside such an `if`, each once.
std::vector<std::string> used_outside_main_interpreter(const std::vector<const TranslationUnitFacts*>& units,
                                                       const WrittenGlobal& global);
// The fix for a Python object in a global (SI004, SI006): module state, or, when only the
// main interpreter assigns it (written_only_by_main_interpreter), keeping the other
// interpreters' uses away from its object (syslog's `S_ident_o`, which libc's openlog
// holds on to for the whole process: module state is no place for it).
std::string python_global_fix(const std::vector<const TranslationUnitFacts*>& units, const WrittenGlobal& global);

// Every write is made where only the main interpreter runs (inside its `if`, or after
// `if (!is_main_interpreter()) return ...;`): C data the main interpreter owns and the
// others may read, as syslog's `S_log_open` (SI010). A Python object needs
// used_only_by_main_interpreter: another interpreter's read of it is already the hazard.
bool written_only_by_main_interpreter(const WrittenGlobal& global);

// SI006: hand-written global Python-object variables written at run time: those whose type
// holds Python objects, and C data a write puts one into (stores_object).
std::vector<WrittenGlobal> written_python_globals(const std::vector<const TranslationUnitFacts*>& units);

// SI012, shared with SI004: a process-global flag (plain C data, not thread-local) that the
// module's initialisation functions (exec or create slot, PyInit, what only they reach)
// test in an `if` whose branch returns at once, in a function taking a PyObject *
// (FunctionFact::exit_guard_globals), and set with a constant or an increment: an
// "already loaded" guard. Exec runs once per module object, in every interpreter, so the second one finds
// the flag set. Hand-written units only; each variable once, in the view's unit order.
struct ExecOnceGuard {
  const TranslationUnitFacts* unit;  // a unit that defines it
  const GlobalVarFact* var;
  std::string tested_in;         // an init function whose condition reads it
  const GlobalWriteFact* write;  // the first init-time write that sets it
};
std::vector<ExecOnceGuard> exec_once_guards(const ModuleConfigView& view);

// Where a module-level finding about the module definition goes: the PyModuleDef,
// else the slots array, else the PyInit function (or PyModExport_ hook).
SourceLocation definition_location(const ExtensionModule& module, const ModuleConfigView& view);

// What a user imports the module as, for messages. ExtensionModule::name is the entry
// point's suffix, which for a non-ASCII name (`PyInitU_`, `PyModExportU_`) is punycode:
// decoded, that is the name (CPython names a multi-phase module by its spec, so
// `_testmultiphase_zkouška_načtení`, whatever the def's m_name). Failing that, the
// PyModuleDef's m_name when it is a string literal, else the symbol's suffix.
std::string import_name(const ExtensionModule& module, const ModuleConfigView& view);

// Multi-phase modules and 3.15's export hooks: CPython builds both from a slot array, with
// the same defaults for a missing Py_mod_multiple_interpreters or Py_mod_gil slot
// (docs/cpython-behaviour.md #1, #10, #22).
inline bool built_from_slots(InitStyle init) {
  return init == InitStyle::multi_phase || init == InitStyle::export_hook;
}

// How a message names the slots to add to: `{Py_mod_gil, ...}` in m_slots, or
// `PySlot_DATA(Py_mod_gil, ...)` in the array an export hook returns.
std::string slot_entry(InitStyle init, const std::string& slot, const std::string& value);

}  // namespace subcheck::checks
