// FT007 limited-api-free-threading: a module built with Py_LIMITED_API that claims
// free-threading support (Py_MOD_GIL_NOT_USED). 3.13t and 3.14t have no stable ABI for
// free-threaded builds (their headers refuse Py_LIMITED_API with Py_GIL_DISABLED), so an
// abi3 build cannot be the free-threaded build the claim promises. Because that #error
// can hide the slot in the free-threaded parse, the claim is also taken from the GIL
// configuration and from any slot or PyUnstable_Module_SetGIL call of the module's units.
// A module whose units define Py_TARGET_ABI3T targets PEP 803's abi3t, the stable ABI that
// free-threaded 3.15+ loads, and is not reported; for a plain abi3 module the message names
// that opt-in as the fix on 3.15+ (docs/cpython-behaviour.md, #25).
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class LimitedApiFreeThreading final : public FreeThreadedCheck {
 public:
  std::string_view rule_id() const override { return "FT007"; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr || !uses_limited_api(*view) || targets_abi3t(*view)) continue;
      if (!claims_gil_not_used(module, *view)) continue;
      context.sink.report(module.location, message(module), {module.name});
    }
  }

 private:
  static bool uses_limited_api(const ModuleConfigView& view) {
    for (const auto* unit : view.units) {
      if (unit->limited_api) return true;
    }
    return false;
  }

  // PEP 803: Py_TARGET_ABI3T in any unit of the module (the units are linked into one
  // extension, so one unit's abi3t opt-in says what the build system targets).
  static bool targets_abi3t(const ModuleConfigView& view) {
    for (const auto* unit : view.units) {
      if (unit->abi3t) return true;
    }
    return false;
  }

  static bool claims_gil_not_used(const ExtensionModule& module, const ModuleConfigView& view) {
    if (view.gil == GilDeclaration::not_used) return true;
    // An explicit Py_MOD_GIL_USED is no claim; "unknown" (a parse the #error broke) may hide one.
    if (view.gil != GilDeclaration::absent && view.gil != GilDeclaration::unknown) return false;
    for (const auto& [config, other] : module.configs) {
      if (other.gil == GilDeclaration::not_used || units_say_gil_not_used(other.units)) return true;
    }
    return false;
  }

  // The raw source text of every slot and SetGIL argument, since the parse may be broken.
  static bool units_say_gil_not_used(const std::vector<const TranslationUnitFacts*>& units) {
    const std::string_view not_used = to_string(GilDeclaration::not_used);
    for (const auto* unit : units) {
      for (const auto& array : unit->slot_arrays) {
        for (const auto& slot : array.slots) {
          if (slot.value == not_used) return true;
        }
      }
    }
    bool set_gil_not_used = false;
    for_each_call(units, [&](const TranslationUnitFacts&, const FunctionFact&, const CallFact& call) {
      if (call.callee != "PyUnstable_Module_SetGIL") return;
      for (const auto& arg : call.args) {
        set_gil_not_used = set_gil_not_used || arg.find(not_used) != std::string::npos;
      }
    });
    return set_gil_not_used;
  }

  static std::string message(const ExtensionModule& module) {
    return "module '" + module.name +
           "' is built with Py_LIMITED_API but declares Py_MOD_GIL_NOT_USED: free-threaded "
           "CPython has no abi3: 3.13t and 3.14t have no stable ABI at all, so no abi3 build can "
           "load there; build a version-specific (cp313t, cp314t) wheel without Py_LIMITED_API "
           "for free-threaded Python, and on 3.15+ target abi3t instead (PEP 803: "
           "#define Py_TARGET_ABI3T 0x030f0000, and a PyModExport hook, since abi3t has no "
           "PyModuleDef)";
  }
};

}  // namespace

std::unique_ptr<Check> make_limited_api_free_threading() { return std::make_unique<LimitedApiFreeThreading>(); }

}  // namespace subcheck::checks
