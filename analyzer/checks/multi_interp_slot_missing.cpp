// SI002 multi-interp-slot-missing: a multi-phase module without a
// Py_mod_multiple_interpreters slot. CPython then assumes
// Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED, which means shared-GIL only: the module loads
// in legacy subinterpreters but concurrent.interpreters and InterpreterPoolExecutor
// (own-GIL interpreters) refuse it. Reported at the PyModuleDef, where the slot is missing.
// 3.15's export hooks (PyModExport_) get the same default from the same code, so a hook
// whose slot array lacks the slot is reported there.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class MultiInterpSlotMissing final : public Check {
 public:
  std::string_view rule_id() const override { return "SI002"; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr || !built_from_slots(view->init)) continue;
      // A module no interpreter ever gets (#26, #27) is refused by none for its slot.
      if (view->multiple_interpreters != MultipleInterpreters::absent || view->never_created()) continue;
      context.sink.report(definition_location(module, *view), message(import_name(module, *view), view->init),
                          {module.name});
    }
  }

 private:
  static std::string message(const std::string& name, InitStyle init) {
    const char* kind = init == InitStyle::export_hook ? "export-hook module '" : "multi-phase module '";
    return kind + name +
           "' has no Py_mod_multiple_interpreters slot, so CPython assumes "
           "Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED (shared GIL only): isolated subinterpreters "
           "(concurrent.interpreters, InterpreterPoolExecutor) refuse it; once the module is "
           "isolated, add " +
           slot_entry(init, "Py_mod_multiple_interpreters", "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED");
  }
};

}  // namespace

std::unique_ptr<Check> make_multi_interp_slot_missing() { return std::make_unique<MultiInterpSlotMissing>(); }

}  // namespace subcheck::checks
