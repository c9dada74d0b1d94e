// SI004 per-interpreter-gil-contradiction: the module declares
// Py_MOD_PER_INTERPRETER_GIL_SUPPORTED yet keeps state every interpreter shares: what
// SI005 (static Python objects), SI006 (global Python objects written at run time) and
// SI007 (the PyState module registry) and SI012 (a process-global "already loaded" guard
// in the module's initialisation) report, decided by the same predicates in
// check_support and, for SI007, the same API list from its TOML. CPython believes the
// claim, so instead of refusing the import the module loads and then corrupts objects
// across interpreters that run in parallel under different GILs. One finding per item,
// for the modules the item belongs to (check_support's modules_of: in a file defining
// several modules, those whose code reaches it).
// Immortal constants (check_support's immortal_constant) are not shared state.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"
#include "rules/catalogue.h"

namespace subcheck::checks {
namespace {

class PerInterpreterGilContradiction final : public Check {
 public:
  std::string_view rule_id() const override { return "SI004"; }

  void run(CheckContext& context) const override {
    const auto& registry_apis = required_data(context.catalogue.at("SI007"));
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr || view->multiple_interpreters != MultipleInterpreters::per_interpreter_gil_supported) {
        continue;
      }
      report_static_objects(context, module, *view);
      report_written_python_globals(context, module, *view);
      report_registry_calls(context, module, *view, registry_apis);
      report_exec_once_guards(module, *view, context.sink);
    }
  }

 private:
  static std::string claim(const ExtensionModule& module) {
    return "module '" + module.name + "' declares Py_MOD_PER_INTERPRETER_GIL_SUPPORTED but ";
  }

  static void report_static_objects(CheckContext& context, const ExtensionModule& module,
                                    const ModuleConfigView& view) {
    for_each_static_python_object(view.units, [&](const TranslationUnitFacts& unit, const GlobalVarFact& global) {
      if (!blames(modules_of(context, unit, global), module.name)) return;
      const std::string what = global.kind == GlobalVarFact::Kind::static_type
                                   ? "' is a static PyTypeObject shared by every interpreter; create it with "
                                     "PyType_FromModuleAndSpec and keep it in module state"
                                   : "' is a statically allocated Python object (" + global.type +
                                         ") shared by every interpreter; create it at run time and keep it in "
                                         "module state";
      context.sink.report(global.location, claim(module) + "'" + global.name + what, {module.name});
    });
  }

  static void report_written_python_globals(CheckContext& context, const ExtensionModule& module,
                                            const ModuleConfigView& view) {
    for (const auto& global : written_python_globals(view.units)) {
      if (!blames(modules_of(context, *global.unit, *global.var), module.name) ||
          used_only_by_main_interpreter(view.units, global)) {
        continue;
      }
      context.sink.report(
          global.var->location,
          claim(module) + "process-global " + python_global_noun(*global.var) + " '" + global.var->name +
              "' is assigned at run time" + in_function(global.writes.front()->function) +
              "; interpreters with their own GIL would share it. " + python_global_fix(view.units, global),
          {module.name});
    }
  }

  static void report_registry_calls(CheckContext& context, const ExtensionModule& module, const ModuleConfigView& view,
                                    const std::map<std::string, std::string>& apis) {
    const std::string advice = registry_advice_for_slots(apis);
    for_each_listed_call(
        view.units, apis,
        [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call, const std::string&) {
          if (!blames(modules_of(context, unit, function), module.name)) return;
          context.sink.report(call.location,
                              claim(module) + "calls " + call.callee + in_function(function.name) +
                                  ", which only works for single-phase modules; use " + advice + " instead",
                              {module.name});
        });
  }

  static void report_exec_once_guards(const ExtensionModule& module, const ModuleConfigView& view, FindingSink& sink) {
    for (const ExecOnceGuard& guard : exec_once_guards(view)) {
      sink.report(guard.var->location,
                  claim(module) + "process-global '" + guard.var->name + "' is an initialise-once guard, tested" +
                      in_function(guard.tested_in) + " and set" + in_function(guard.write->function) +
                      " during module initialisation: the second interpreter's exec sees it set and skips or "
                      "refuses its set-up. Keep the flag in module state, or remove it",
                  {module.name});
    }
  }
};

}  // namespace

std::unique_ptr<Check> make_per_interpreter_gil_contradiction() {
  return std::make_unique<PerInterpreterGilContradiction>();
}

}  // namespace subcheck::checks
