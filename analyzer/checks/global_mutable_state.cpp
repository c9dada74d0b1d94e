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
// Nor a write made while a mutex is held (PyMutex_Lock ... PyMutex_Unlock, pthread): the
// variable is then process-wide on purpose and synchronised, what the rule's fix asks for
// (_lsprof's rotatingtree random state under `random_mutex`). A critical section does not
// count: it locks one object, and with the GIL it is a no-op.
//
// An API table (PyType_Slot[], PyMethodDef[], a PyType_Spec) is CPython's to read and
// normally never written; one the module fills in at run time (xxlimited_35's
// `Null_Type_slots[0].pfunc = &PyBaseObject_Type` in its exec function, "for portability
// to Windows") is rewritten by every import, in every interpreter, while another may be
// reading it in PyType_FromSpec: the same process-global race, reported with the table's name.
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
    std::map<std::string, const ExtensionModule*> modules;
    for (const auto& module : context.model.modules) modules.emplace(module.name, &module);
    for (const auto& global : written_globals(context.model.units_for(context.config),
                                              {GlobalVarFact::Kind::other_mutable, GlobalVarFact::Kind::api_table})) {
      if (generated_by_cython(*global.unit) || global.var->thread_local_storage || stores_object(global)) continue;
      std::vector<std::string> names = modules_of(context, *global.unit, *global.var);
      std::vector<const ExtensionModule*> owners;
      for (const std::string& name : names) {
        if (auto found = modules.find(name); found != modules.end()) owners.push_back(found->second);
      }
      auto first = std::find_if(global.writes.begin(), global.writes.end(), [&](const GlobalWriteFact* write) {
        return !write->under_mutex && !harmless_everywhere(owners, context.config, *write);
      });
      if (first == global.writes.end()) continue;
      std::string text = global.var->kind == GlobalVarFact::Kind::api_table
                             ? table_message(*global.var, **first)
                             : message(*global.var, **first, loaders(owners));
      context.sink.report(global.var->location, std::move(text), std::move(names));
    }
  }

 private:
  // The write happens once per process, or never, in this module (see the header).
  static bool harmless_in(const ModuleConfigView& view, const GlobalWriteFact& write) {
    const bool init_once = view.init == InitStyle::single_phase && view.def != nullptr && view.def->m_size == -1;
    if (init_once && view.init_functions.contains(write.function)) return true;
    return view.call_graph_complete && !view.reachable_functions.contains(write.function);
  }

  // Harmless in every module the unit belongs to; a unit no module claims is judged as before.
  static bool harmless_everywhere(const std::vector<const ExtensionModule*>& owners, BuildConfig config,
                                  const GlobalWriteFact& write) {
    if (owners.empty()) return false;
    return std::all_of(owners.begin(), owners.end(), [&](const ExtensionModule* module) {
      const ModuleConfigView* view = module->view(config);
      return view != nullptr && harmless_in(*view, write);
    });
  }

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

  static std::string message(const GlobalVarFact& var, const GlobalWriteFact& write, const Loaders& loaders) {
    const std::string scope = var.function_static ? "function-static" : "process-global";
    return scope + " C variable '" + var.name + "' is written at run time" + in_function(write.function) +
           sharing(loaders) + ". Move it to module state, or make it atomic if it really is process-wide";
  }

  static std::string table_message(const GlobalVarFact& var, const GlobalWriteFact& write) {
    return "process-global table '" + var.name + "' (" + var.type + ") is filled in at run time" +
           in_function(write.function) +
           "; every import, in every interpreter, rewrites the one copy while another may be reading it. "
           "Give it its values in its initialiser, or fill a copy local to the call";
  }
};

}  // namespace

std::unique_ptr<Check> make_global_mutable_state() { return std::make_unique<GlobalMutableState>(); }

}  // namespace subcheck::checks
