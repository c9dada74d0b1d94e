// SI009 cython-single-interpreter: a Cython-generated module whose module-creation code
// calls __Pyx_check_single_interpreter. Cython 3.0 modules are multi-phase, so CPython
// lets them into a subinterpreter, but that generated check raises
// "ImportError: Interpreter change detected - this module can only be loaded into one
// interpreter per process" on the second interpreter that imports the module. Reported at
// the guard's call in the generated module-creation code, where the refusal happens.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class CythonSingleInterpreter final : public Check {
 public:
  std::string_view rule_id() const override { return "SI009"; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr || module.generator != "cython") continue;
      const auto guard = cython_interpreter_guard(*view);
      if (!guard) continue;
      context.sink.report(*guard, message(module), {module.name});
    }
  }

 private:
  static std::string message(const ExtensionModule& module) {
    return "Cython module '" + module.name +
           "' calls __Pyx_check_single_interpreter when it is created: the second interpreter "
           "that imports it gets \"ImportError: Interpreter change detected\"; regenerate it with "
           "a Cython release and directives that keep state per module (module state, "
           "subinterpreters_compatible) or document it as main-interpreter only";
  }
};

}  // namespace

std::unique_ptr<Check> make_cython_single_interpreter() { return std::make_unique<CythonSingleInterpreter>(); }

}  // namespace subcheck::checks
