// SI004 per-interpreter-gil-contradiction: the module declares
// Py_MOD_PER_INTERPRETER_GIL_SUPPORTED yet keeps state every interpreter shares: static
// PyTypeObjects, process-global Python objects written at run time, or PyState_FindModule
// (which finds one module per process, not per interpreter). CPython believes the claim,
// so instead of refusing the import the module loads and then corrupts objects across
// interpreters that run in parallel under different GILs. One finding per offending item.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class PerInterpreterGilContradiction final : public Check {
 public:
  std::string_view rule_id() const override { return "SI004"; }

  void run(CheckContext& context) const override {
    FindingCollector findings(context);
    for (const auto& module : context.model.modules) {
      const auto* view = view_of(module, context.config);
      if (view == nullptr || view->multiple_interpreters != MultipleInterpreters::per_interpreter_gil_supported) continue;
      report_static_types(module, *view, findings);
      report_written_python_globals(module, *view, findings);
      report_find_module_calls(module, *view, findings);
    }
    findings.flush();
  }

 private:
  static std::string claim(const ExtensionModule& module) {
    return "module '" + module.name + "' declares Py_MOD_PER_INTERPRETER_GIL_SUPPORTED but ";
  }

  static void report_static_types(const ExtensionModule& module, const ModuleConfigView& view,
                                  FindingCollector& findings) {
    for (const auto* unit : view.units) {
      for (const auto& global : unit->globals) {
        if (global.kind != GlobalVarFact::Kind::static_type) continue;
        findings.add(global.location,
                     claim(module) + "'" + global.name +
                         "' is a static PyTypeObject shared by every interpreter; create it with "
                         "PyType_FromModuleAndSpec and keep it in module state",
                     {module.name});
      }
    }
  }

  static void report_written_python_globals(const ExtensionModule& module,
                                            const ModuleConfigView& view, FindingCollector& findings) {
    for (const auto& global : written_globals(view.units, {GlobalVarFact::Kind::python_object})) {
      findings.add(global.var->location,
                   claim(module) + "process-global Python object '" + global.var->name +
                       "' is assigned at run time" + in_function(global.writes.front()->function) +
                       "; interpreters with their own GIL would share it. Keep it in module state",
                   {module.name});
    }
  }

  static void report_find_module_calls(const ExtensionModule& module, const ModuleConfigView& view,
                                       FindingCollector& findings) {
    for (const auto* unit : view.units) {
      for (const auto& function : unit->functions) {
        for (const auto& call : function.calls) {
          if (call.callee != "PyState_FindModule") continue;
          findings.add(call.location,
                       claim(module) + "calls PyState_FindModule" + in_function(function.name) +
                           ", which only finds single-phase modules; use PyType_GetModuleByDef or "
                           "the module argument instead",
                       {module.name});
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<Check> make_per_interpreter_gil_contradiction() {
  return std::make_unique<PerInterpreterGilContradiction>();
}

}  // namespace subcheck::checks
