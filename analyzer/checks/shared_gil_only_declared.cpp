// SI003 shared-gil-only-declared: the module says, in its Py_mod_multiple_interpreters
// slot, that it does not support isolated subinterpreters
// (Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED refuses every subinterpreter,
// Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED only shared-GIL ones). A deliberate choice, hence
// a warning: it still keeps the module out of concurrent.interpreters.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class SharedGilOnlyDeclared final : public Check {
 public:
  std::string_view rule_id() const override { return "SI003"; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr) continue;
      const MultipleInterpreters declared = view->multiple_interpreters;
      if (declared != MultipleInterpreters::supported && declared != MultipleInterpreters::not_supported) continue;
      auto where = view->multiple_interpreters_at.value_or(definition_location(module, *view));
      context.sink.report(where, message(module, declared), {module.name});
    }
  }

 private:
  static std::string message(const ExtensionModule& module, MultipleInterpreters declared) {
    const bool refuses_all = declared == MultipleInterpreters::not_supported;
    return "module '" + module.name + "' declares " + std::string(to_string(declared)) + ": " +
           (refuses_all ? "every subinterpreter refuses it"
                        : "only subinterpreters that share the main GIL accept it") +
           ", and concurrent.interpreters / InterpreterPoolExecutor refuse it; isolate its state "
           "and declare Py_MOD_PER_INTERPRETER_GIL_SUPPORTED";
  }
};

}  // namespace

std::unique_ptr<Check> make_shared_gil_only_declared() { return std::make_unique<SharedGilOnlyDeclared>(); }

}  // namespace subcheck::checks
