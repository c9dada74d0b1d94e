// SI005 static-type-object: a PyTypeObject defined statically. A static type is one
// object in the process, shared by every interpreter (its dict, its subclasses list,
// its reference count), so an isolated module must create its types from a PyType_Spec
// with PyType_FromModuleAndSpec and keep them in module state. Statically allocated
// Python objects of other types are the same hazard and reported too, except immortal
// constants that nothing writes (check_support's immortal_constant: 3.13's _datetime
// `zero_delta`). Cython-generated units are left to SI009. For a single-phase module, which
// has no exec function or module state yet, the fix is worded as part of the port.
#include <algorithm>

#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class StaticTypeObject final : public Check {
 public:
  std::string_view rule_id() const override { return "SI005"; }

  void run(CheckContext& context) const override {
    for_each_static_python_object(
        context.model.units_for(context.config), [&](const TranslationUnitFacts& unit, const GlobalVarFact& global) {
          std::vector<std::string> names = modules_of(context, unit, global);
          const bool single_phase = all_single_phase(modules_named(context.model, names), context.config);
          context.sink.report(global.location, message(global, single_phase), std::move(names));
        });
  }

 private:
  static bool all_single_phase(const std::vector<const ExtensionModule*>& owners, BuildConfig config) {
    return !owners.empty() && std::all_of(owners.begin(), owners.end(), [&](const ExtensionModule* module) {
      const ModuleConfigView* view = module->view(config);
      return view != nullptr && view->init == InitStyle::single_phase;
    });
  }

  static std::string message(const GlobalVarFact& global, bool single_phase) {
    const std::string where = single_phase ? "the exec function of the multi-phase module it is ported to (SI001)"
                                           : "the module's exec function";
    if (global.kind == GlobalVarFact::Kind::static_object) {
      return "'" + global.name + "' is a statically allocated Python object (" + global.type +
             "), one object shared by every interpreter; create it at run time in " + where +
             " and keep it in module state";
    }
    return "'" + global.name +
           "' is a statically defined PyTypeObject, one object shared by every interpreter; "
           "define a PyType_Spec, create the type with PyType_FromModuleAndSpec in " +
           where + " and store it in module state";
  }
};

}  // namespace

std::unique_ptr<Check> make_static_type_object() { return std::make_unique<StaticTypeObject>(); }

}  // namespace subcheck::checks
