// SI002 multi-interp-slot-missing: a multi-phase module without a
// Py_mod_multiple_interpreters slot. CPython then assumes
// Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED, which means shared-GIL only: the module loads
// in legacy subinterpreters but concurrent.interpreters and InterpreterPoolExecutor
// (own-GIL interpreters) refuse it. Reported at the PyModuleDef, where the slot is missing.
// 3.15's export hooks (PyModExport_) get the same default from the same code, so a hook
// whose slot array lacks the slot is reported there. A Cython module gets the slot by being
// regenerated, not by an edit of the generated C; while it keeps Cython's interpreter
// guard (SI009), even legacy subinterpreters after the first are refused.
#include <cstdlib>
#include <optional>

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
      context.sink.report(definition_location(module, *view), message(module, *view), {module.name});
    }
  }

 private:
  static std::string message(const ExtensionModule& module, const ModuleConfigView& view) {
    const char* kind = view.init == InitStyle::export_hook ? "export-hook module '" : "multi-phase module '";
    return kind + import_name(module, view) +
           "' has no Py_mod_multiple_interpreters slot, so CPython assumes "
           "Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED (shared GIL only): isolated subinterpreters "
           "(concurrent.interpreters, InterpreterPoolExecutor) refuse it" +
           fix(module, view);
  }

  // The Py_LIMITED_API value, as spelled, of a unit of the module that targets a limited
  // API older than 3.12 (xxlimited_35 pins 3.5): that API declares neither the slot nor
  // its values, so the fix starts with raising the version.
  static std::optional<std::string> limited_api_before_3_12(const ModuleConfigView& view) {
    for (const TranslationUnitFacts* unit : view.units) {
      const std::string& spelled = unit->limited_api_version;
      if (!unit->limited_api || spelled.empty()) continue;
      char* end = nullptr;
      const unsigned long version = std::strtoul(spelled.c_str(), &end, 0);
      if (end != spelled.c_str() && *end == '\0' && version < 0x030c0000UL) return spelled;
    }
    return std::nullopt;
  }

  static std::string fix(const ExtensionModule& module, const ModuleConfigView& view) {
    if (module.generator != "cython") {
      const std::optional<std::string> old_api = limited_api_before_3_12(view);
      const std::string raise = old_api ? " and target the 3.12 limited API or later (it is built for Py_LIMITED_API " +
                                              *old_api + ", which has no such slot)"
                                        : "";
      return "; once the module is isolated, add " +
             slot_entry(view.init, "Py_mod_multiple_interpreters", "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED") + raise;
    }
    std::string guard = cython_interpreter_guard(view)
                            ? ", and its Cython interpreter guard (SI009) refuses every interpreter after the first"
                            : "";
    return guard +
           "; Cython writes the slot: once the module is isolated, regenerate it with Cython 3.1+ and "
           "`# cython: subinterpreters_compatible=own_gil`";
  }
};

}  // namespace

std::unique_ptr<Check> make_multi_interp_slot_missing() { return std::make_unique<MultiInterpSlotMissing>(); }

}  // namespace subcheck::checks
