// SI010 global-mutable-state: process-global C data (flags, counters, caches of C
// values) written at run time. Not Python objects, so nothing is corrupted at once, but
// every interpreter that loads the module sees the others' writes, and interpreters that
// run at once race on them: own-GIL interpreters, which only load a module declaring
// Py_MOD_PER_INTERPRETER_GIL_SUPPORTED, and threads of a free-threaded build, which run
// without the GIL only in a module declaring Py_MOD_GIL_NOT_USED. The message says which
// of these can happen for the modules the variable belongs to. A note: often harmless,
// always worth a look. Thread-local data is per thread and not reported; Cython-generated
// units are left to SI009. C data a write puts a Python object into (a static Py_buffer a
// buffer request fills) is SI006's.
//
// Not run-time writes, so not reported (for every module the unit belongs to):
// - a write only a single-phase module's initialisation makes when its m_size is -1:
//   CPython runs that PyInit once per process and hands later interpreters a copy of the
//   module's dict (docs/cpython-behaviour.md #28), so the write happens once (dbus-python's
//   libdbus data-slot handle, python-systemd's "type readied" flag);
// - a write in a function the module never runs: reachable neither from its initialisation
//   nor from anything it hands to others to call (a vendored library's setter no code of
//   the module calls, as hiredis' hiredisSetAllocators in python-hiredis). Judged only when
//   the module's units parsed cleanly, so no call was lost (call_graph_complete).
//
// Nor a variable whose every write stores, at each place it writes, one value that is the
// same for the whole process (GlobalWriteFact::fixed_store: a function, a string literal, a
// global's address): posixmodule's `stat_result_desc.fields[7].name =
// PyStructSequence_UnnamedField`, _decimal's `mpd_mallocfunc = PyMem_Malloc`, xxlimited_35's
// `Null_Type_slots[0].pfunc = &PyBaseObject_Type`. Whichever interpreter writes last, the
// variable holds what the first import put there, so no interpreter sees another's
// setting; two such stores racing write the same aligned pointer, which every platform
// CPython supports does in one piece (ThreadSanitizer would still name it: it is a data
// race in C's terms). Integer constants are not counted: `ready = 1` is usually a guard,
// and the race around a guard is the problem.
//
// Nor a variable only the main interpreter writes, inside an `if` only it enters or after
// an early return of the others (written_only_by_main_interpreter): syslog's `S_log_open`,
// set by openlog and closelog, which refuse subinterpreters. The others read the main
// interpreter's value, which is the design: the state is the process's, and one
// interpreter decides it.
//
// Nor a write made while a mutex is held (PyMutex_Lock ... PyMutex_Unlock, pthread): the
// variable is then process-wide on purpose and synchronised, what the rule's fix asks for
// (_lsprof's rotatingtree random state under `random_mutex`). A critical section does not
// count: it locks one object, and with the GIL it is a no-op.
//
// A PyThread_type_lock handle is reported like other C data when it is assigned at run
// time: the lock is shared on purpose, but the variable holding it is not guarded by it
// (_testcapi's `thread_done = PyThread_allocate_lock()` in a method; an exec that allocates
// it again for every interpreter). Allocated once per process, or under a mutex, it is not.
//
// An API table (PyType_Slot[], PyMethodDef[], a PyType_Spec) is CPython's to read and
// normally never written; one the module fills in at run time with a value computed there
// (a slot taken from another type, a name built from an argument) is rewritten by every
// import, in every interpreter, while another may be reading it in PyType_FromSpec: the
// same process-global race, reported with the table's name. Filled with a fixed value
// (xxlimited_35's `&PyBaseObject_Type`, "for portability to Windows"), it is not, as above.
#include <algorithm>

#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

// What can load the modules a variable belongs to, for the message.
struct Loaders {
  bool known = true;              // every owner's init style and declaration are known
  bool own_gil = false;           // some owner declares Py_MOD_PER_INTERPRETER_GIL_SUPPORTED
  bool gil_free_threads = false;  // some owner declares Py_MOD_GIL_NOT_USED (free-threaded build)
};

class GlobalMutableState final : public Check {
 public:
  std::string_view rule_id() const override { return "SI010"; }

  void run(CheckContext& context) const override {
    const auto& units = context.model.units_for(context.config);
    for (const auto& global : written_globals(
             units,
             {GlobalVarFact::Kind::other_mutable, GlobalVarFact::Kind::api_table, GlobalVarFact::Kind::lock_handle})) {
      if (generated_by_cython(*global.unit) || global.var->thread_local_storage || stores_object(global) ||
          stores_one_value_per_target(global.writes) || written_only_by_main_interpreter(global)) {
        continue;
      }
      std::vector<std::string> names = modules_of(context, *global.unit, *global.var);
      const std::vector<const ExtensionModule*> owners = modules_named(context.model, names);
      auto first = std::find_if(global.writes.begin(), global.writes.end(), [&](const GlobalWriteFact* write) {
        return !write->under_mutex && write_timing(owners, context.config, *write) == WriteTiming::run_time;
      });
      if (first == global.writes.end()) continue;
      context.sink.report(global.var->location, message_for(*global.var, **first, owners), std::move(names));
    }
  }

 private:
  // From both builds' views, so the message is the same whichever build reports it first.
  static Loaders loaders(const std::vector<const ExtensionModule*>& owners) {
    Loaders result;
    result.known = !owners.empty();
    for (const ExtensionModule* module : owners) {
      const ModuleConfigView* gil = module->view(BuildConfig::gil);
      const ModuleConfigView* ft = module->view(BuildConfig::free_threaded);
      if (gil == nullptr || gil->init == InitStyle::unknown ||
          gil->multiple_interpreters == MultipleInterpreters::unknown ||
          gil->multiple_interpreters == MultipleInterpreters::other) {
        result.known = false;
      } else if (gil->init != InitStyle::single_phase &&
                 gil->multiple_interpreters == MultipleInterpreters::per_interpreter_gil_supported) {
        result.own_gil = true;
      }
      if (ft != nullptr && ft->gil == GilDeclaration::not_used) result.gil_free_threads = true;
    }
    return result;
  }

  static std::string sharing(const Loaders& loaders) {
    const std::string threads = loaders.gil_free_threads
                                    ? ", and threads of a free-threaded build race on it (the module declares "
                                      "Py_MOD_GIL_NOT_USED)"
                                    : "";
    if (!loaders.known) {
      return "; every interpreter that loads the module shares it, and own-GIL interpreters race on it if the "
             "module lets them load it" +
             threads;
    }
    if (loaders.own_gil) return "; every interpreter shares it and own-GIL interpreters race on it" + threads;
    return "; only the main interpreter and legacy subinterpreters load the module, and they share one GIL: no "
           "race between them, but one interpreter's write changes what the others see" +
           threads;
  }

  static std::string message_for(const GlobalVarFact& var, const GlobalWriteFact& write,
                                 const std::vector<const ExtensionModule*>& owners) {
    switch (var.kind) {
      case GlobalVarFact::Kind::api_table: return table_message(var, write, made_while_importing(owners, write));
      case GlobalVarFact::Kind::lock_handle: return lock_handle_message(var, write, loaders(owners));
      default: return message(var, write, loaders(owners));
    }
  }

  static std::string scope_of(const GlobalVarFact& var) {
    return var.function_static ? "function-static" : "process-global";
  }

  static std::string message(const GlobalVarFact& var, const GlobalWriteFact& write, const Loaders& loaders) {
    return scope_of(var) + " C variable '" + var.name + "' is written at run time" + in_function(write.function) +
           sharing(loaders) + ". Move it to module state, or make it atomic if it really is process-wide";
  }

  static std::string lock_handle_message(const GlobalVarFact& var, const GlobalWriteFact& write,
                                         const Loaders& loaders) {
    return scope_of(var) + " lock handle '" + var.name + "' (" + var.type + ") is assigned at run time" +
           in_function(write.function) +
           ": the lock is made to be shared, but the variable holding it is guarded by nothing, so a call or an "
           "import that assigns it replaces the lock another thread or interpreter is using" +
           sharing(loaders) +
           ". Allocate the lock once, in module state, or use a PyMutex (3.13+), which needs no allocation";
  }

  // Some module runs the writing function while it initialises (its exec function or
  // PyInit): an import rewrites the table. Otherwise a call does (`_testcapi`'s
  // make_vectorcall_class, a method).
  static bool made_while_importing(const std::vector<const ExtensionModule*>& owners, const GlobalWriteFact& write) {
    return std::any_of(owners.begin(), owners.end(), [&](const ExtensionModule* module) {
      return std::any_of(module->configs.begin(), module->configs.end(),
                         [&](const auto& entry) { return entry.second.init_functions.contains(write.function); });
    });
  }

  static std::string table_message(const GlobalVarFact& var, const GlobalWriteFact& write, bool while_importing) {
    const std::string who = while_importing ? "every import, in every interpreter," : "every call, in any interpreter,";
    return "process-global table '" + var.name + "' (" + var.type + ") is filled in at run time" +
           in_function(write.function) + "; " + who +
           " rewrites the one copy while another may be reading it. Give it its values in its initialiser, or fill "
           "a copy local to the call";
  }
};

}  // namespace

std::unique_ptr<Check> make_global_mutable_state() { return std::make_unique<GlobalMutableState>(); }

}  // namespace subcheck::checks
