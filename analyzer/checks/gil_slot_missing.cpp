// FT001 gil-slot-missing: in the free-threaded build the module never says it runs
// without the GIL: no Py_mod_gil slot (multi-phase, or the slots a 3.15 PyModExport_
// hook returns) or no PyUnstable_Module_SetGIL call
// (single-phase). CPython then re-enables the GIL for the whole process when the module
// is imported (with one RuntimeWarning for the first such module only). Modules whose
// init style is unknown are not judged, nor are modules no CPython creates: slots holding
// an id no CPython accepts, or a create function that can only return NULL (every import
// fails, and a failed import switches the GIL off again: #26, #27).
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class GilSlotMissing final : public Check {
 public:
  std::string_view rule_id() const override { return "FT001"; }
  bool applies_to(BuildConfig config) const override { return config == BuildConfig::free_threaded; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      // A module CPython never creates re-enables nothing.
      if (view == nullptr || view->gil != GilDeclaration::absent || view->never_created()) continue;
      if (built_from_slots(view->init)) {
        context.sink.report(slots_location(module, *view), slots_message(module, view->init), {module.name});
      } else if (view->init == InitStyle::single_phase) {
        context.sink.report(module.location, single_phase_message(module), {module.name});
      }
    }
  }

 private:
  static SourceLocation slots_location(const ExtensionModule& module, const ModuleConfigView& view) {
    if (view.slots != nullptr && view.slots->location.valid()) return view.slots->location;
    return definition_location(module, view);
  }

  static std::string slots_message(const ExtensionModule& module, InitStyle init) {
    return "module '" + module.name +
           "' has no Py_mod_gil slot in the free-threaded build: importing it re-enables the GIL "
           "for the whole process; once it is thread-safe add " +
           slot_entry(init, "Py_mod_gil", "Py_MOD_GIL_NOT_USED") + " (3.13+) to its slots";
  }

  static std::string single_phase_message(const ExtensionModule& module) {
    return "single-phase module '" + module.name +
           "' never calls PyUnstable_Module_SetGIL in the free-threaded build: importing it "
           "re-enables the GIL for the whole process; once it is thread-safe call "
           "PyUnstable_Module_SetGIL(module, Py_MOD_GIL_NOT_USED) under #ifdef Py_GIL_DISABLED";
  }
};

}  // namespace

std::unique_ptr<Check> make_gil_slot_missing() { return std::make_unique<GilSlotMissing>(); }

}  // namespace subcheck::checks
