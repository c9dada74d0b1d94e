// SI001 single-phase-init: the module's PyInit creates and returns the module itself
// (PyModule_Create and friends) instead of returning a PyModuleDef for multi-phase init.
// Every isolated subinterpreter refuses such a module, and free-threaded builds refuse
// it in every subinterpreter, legacy ones included. Since 3.13 its PyInit still runs
// in the main interpreter before the refusal.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class SinglePhaseInit final : public Check {
 public:
  std::string_view rule_id() const override { return "SI001"; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr || view->init != InitStyle::single_phase) continue;
      context.sink.report(view->created_at.value_or(module.location), message(module), {module.name});
    }
  }

 private:
  static std::string message(const ExtensionModule& module) {
    return "module '" + module.name + "' uses single-phase initialisation (PyInit_" + module.name +
           " creates the module object itself): isolated subinterpreters refuse to import it, "
           "and free-threaded builds refuse it in every subinterpreter; " +
           fix(module);
  }

  // pybind11 writes PyInit: its PYBIND11_MODULE is single-phase before 3.0 and
  // multi-phase from 3.0, which also takes the per-interpreter-GIL option.
  static std::string fix(const ExtensionModule& module) {
    if (module.generator == "pybind11") {
      return "PYBIND11_MODULE writes this PyInit: upgrade to pybind11 3.0+, whose PYBIND11_MODULE uses "
             "multi-phase init, and once the module is isolated pass "
             "py::multiple_interpreters::per_interpreter_gil() to it";
    }
    return "return PyModuleDef_Init(&def) with Py_mod_exec slots instead";
  }
};

}  // namespace

std::unique_ptr<Check> make_single_phase_init() { return std::make_unique<SinglePhaseInit>(); }

}  // namespace subcheck::checks
