// FT002 gil-not-used-unsynchronised-global: the module declares Py_MOD_GIL_NOT_USED, so
// its functions run truly in parallel, yet one of them writes process-global state
// (Python objects or C data) outside module initialisation with no lock and no critical
// section. Two threads can then race on it: lazily initialised caches are created twice
// and one copy leaks or is freed under the other thread's feet. Writes made while the
// module is initialised (PyInit, slot functions and what they call) happen before other
// threads can see the module and are not reported; neither are synchronisation
// primitives and thread-local data. An API table a method fills in (a PyMemberDef offset
// set before PyType_FromSpec) is shared state like any other. One finding per variable,
// at its first racing write, naming the others; a counter (every racing write `x++` /
// `x += n`) gets the advice that fits it: an atomic. A write only the module's PyOS_ReadlineFunctionPointer hook
// reaches is made under CPython's readline lock (ModuleConfigView::readline_hook_functions). Nor is a write in a
// function the module's code never runs, when its call graph is complete (ModuleConfigView::reachable_functions): an
// exported C function that callers outside the module call by name (`_ctypes_test`'s fixtures, which ctypes calls with
// the GIL released in every build) races or not whatever the module declares, and SI010 says the same of its variable.
// Nor a write only the module's C signal handlers reach (ModuleConfigView::signal_handler_functions): a handler
// interrupts whichever thread the signal hits, GIL or not, so no GIL ever serialised it (faulthandler's `reentrant`,
// readline's `sigwinch_received`); what it may touch is async-signal-safety's question.
#include <algorithm>

#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class GilNotUsedUnsynchronisedGlobal final : public FreeThreadedCheck {
 public:
  std::string_view rule_id() const override { return "FT002"; }

  void run(CheckContext& context) const override {
    const auto all_globals = globals_by_usr(context.model.units_for(context.config));
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      // Cython's generated runtime is Cython's to make thread-safe (freethreading_compatible).
      if (view == nullptr || view->gil != GilDeclaration::not_used || module.generator == "cython") continue;
      report_module(context, module, *view, all_globals);
    }
  }

 private:
  // Writes made in functions of another module of the same file (modules_of).
  static std::set<const GlobalWriteFact*> other_modules_writes(const CheckContext& context,
                                                               const ExtensionModule& module,
                                                               const ModuleConfigView& view) {
    std::set<const GlobalWriteFact*> foreign;
    for (const TranslationUnitFacts* unit : view.units) {
      for (const GlobalWriteFact& write : unit->global_writes) {
        if (!blames(modules_of(context, *unit, write.function), module.name)) foreign.insert(&write);
      }
    }
    return foreign;
  }

  static void report_module(CheckContext& context, const ExtensionModule& module, const ModuleConfigView& view,
                            const std::map<std::string, const GlobalVarFact*>& all_globals) {
    // The module's own definitions first: a static in a header is one variable per unit.
    auto module_globals = globals_by_usr(view.units);
    // Argument Clinic's `foo_impl`, called only from a wrapper holding
    // Py_BEGIN_CRITICAL_SECTION(module), writes under its caller's lock.
    const std::set<std::string> locked_callees = functions_entered_locked(
        view.units, [](const CallFact& call) { return call.under_lock || call.critical_section_depth > 0; });
    const std::set<const GlobalWriteFact*> foreign = other_modules_writes(context, module, view);
    for (const auto& [usr, writes] : writes_by_usr(view.units)) {
      const GlobalVarFact* var = lookup(usr, module_globals, all_globals);
      if (var == nullptr || !is_shared_mutable(*var)) continue;
      std::vector<const GlobalWriteFact*> racing;
      for (const auto* write : writes) {
        if (foreign.contains(write) || write->under_lock || view.init_functions.contains(write->function) ||
            locked_callees.contains(write->function) || view.readline_hook_functions.contains(write->function) ||
            view.signal_handler_functions.contains(write->function) ||
            (view.call_graph_complete && !view.reachable_functions.contains(write->function))) {
          continue;
        }
        racing.push_back(write);
      }
      if (racing.empty()) continue;
      // One finding per variable, at its first racing write: one fix (an atomic, a lock,
      // eager initialisation) covers every site, which the message lists.
      std::sort(racing.begin(), racing.end(),
                [](const GlobalWriteFact* a, const GlobalWriteFact* b) { return a->location < b->location; });
      context.sink.report(racing.front()->location, message(module, view, *var, racing), {module.name});
    }
  }

  static const GlobalVarFact* lookup(const std::string& usr, const std::map<std::string, const GlobalVarFact*>& first,
                                     const std::map<std::string, const GlobalVarFact*>& second) {
    if (auto it = first.find(usr); it != first.end()) return it->second;
    if (auto it = second.find(usr); it != second.end()) return it->second;
    return nullptr;  // defined outside the scanned sources: nothing known about it
  }

  static bool is_shared_mutable(const GlobalVarFact& var) {
    if (var.thread_local_storage) return false;
    return var.kind == GlobalVarFact::Kind::python_object || var.kind == GlobalVarFact::Kind::other_mutable ||
           var.kind == GlobalVarFact::Kind::lock_handle || var.kind == GlobalVarFact::Kind::api_table;
  }

  // Where initialisation runs before other threads can see the module: a single-phase
  // module has no exec function, only PyInit.
  static std::string initialisation_site(const ExtensionModule& module, const ModuleConfigView& view) {
    if (view.init == InitStyle::single_phase) return "PyInit_" + module.name;
    return view.has_exec_slot ? "the module's exec function" : "a Py_mod_exec function";
  }

  static std::string message(const ExtensionModule& module, const ModuleConfigView& view, const GlobalVarFact& var,
                             const std::vector<const GlobalWriteFact*>& racing) {
    const GlobalWriteFact& first = *racing.front();
    const bool counter = std::all_of(racing.begin(), racing.end(),
                                     [](const GlobalWriteFact* write) { return write->read_modify_write; });
    const std::string what =
        var.kind != GlobalVarFact::Kind::python_object ? "process-global" : "process-global " + python_global_noun(var);
    const std::string how = counter           ? "is read and updated in place"
                            : first.lazy_init ? "is lazily initialised"
                                              : "is written";
    // Moving the write to initialisation only fits a value made once; a counter or a result
    // that calls keep rewriting needs every access guarded, or a home of its own.
    const std::string advice =
        counter           ? "concurrent updates are lost. Make it an atomic (C11 atomic_fetch_add, or CPython's "
                            "_Py_atomic_add_* in 3.13+) or keep it per interpreter in module state"
        : first.lazy_init ? "threads race on it. Initialise it in " + initialisation_site(module, view) +
                                ", or guard it with a PyMutex / Py_BEGIN_CRITICAL_SECTION"
                          : "threads race on it. Guard every access with a PyMutex (or make it atomic), or keep "
                            "it per call or per object instead of process-wide";
    return what + " '" + var.name + "' " + how + in_function(first.function) + other_sites(racing) +
           " without a lock or critical section, but module '" + module.name +
           "' declares Py_MOD_GIL_NOT_USED: " + advice;
  }

  // ", and at 6 more sites (in f, g, h)": the racing writes after the first, by function.
  static std::string other_sites(const std::vector<const GlobalWriteFact*>& racing) {
    if (racing.size() < 2) return "";
    std::vector<std::string> functions;
    for (std::size_t i = 1; i < racing.size(); ++i) {
      const std::string& name = racing[i]->function;
      if (!name.empty() && std::find(functions.begin(), functions.end(), name) == functions.end()) {
        functions.push_back(name);
      }
    }
    std::string text = ", and at " + std::to_string(racing.size() - 1) + " more site" + (racing.size() == 2 ? "" : "s");
    if (functions.empty()) return text + ",";
    text += " (in ";
    for (std::size_t i = 0; i < functions.size(); ++i) text += (i ? ", " : "") + functions[i];
    return text + "),";
  }
};

}  // namespace

std::unique_ptr<Check> make_gil_not_used_unsynchronised_global() {
  return std::make_unique<GilNotUsedUnsynchronisedGlobal>();
}

}  // namespace subcheck::checks
