// SI007 pystate-find-module: PyState_FindModule / PyState_AddModule /
// PyState_RemoveModule. They keep one module per PyModuleDef per interpreter and work
// only for single-phase modules; a multi-phase module that calls them gets NULL (or an
// error) and a module that relies on them cannot be isolated. The API names come from
// the rule's [data] table. A lookup made while the module initialises (the single-phase
// "check the cache first" PyInit) has no self to take the module from: the advice there is
// multi-phase init, as for PyState_AddModule. Code only modules defined with slots run is
// told what such a module uses instead (check_support's registry_advice_for_slots).
//
// Not reported: PyState_AddModule while a single-phase module initialises. CPython adds
// every single-phase module to the registry itself once its PyInit returns (3.13
// finish_singlephase_extension; docs/cpython-behaviour.md #33), so the call changes
// nothing; SI001 is the porting work, and the module's PyState_FindModule calls stay
// reported.
#include <algorithm>

#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"
#include "rules/catalogue.h"

namespace subcheck::checks {
namespace {

class PyStateFindModule final : public ListedApiCallCheck {
 public:
  std::string_view rule_id() const override { return "SI007"; }

 protected:
  std::string problem(const std::string& /*api*/) const override {
    return "keeps one module per PyModuleDef and works only for single-phase modules, so the module "
           "cannot be isolated";
  }

  bool reported(const CheckContext& context, const FunctionFact& function, const std::vector<std::string>& owners,
                const std::string& api) const override {
    return api != "PyState_AddModule" || !initialising_single_phase_only(context, function, owners);
  }

  std::string advice(const CheckContext& context, const FunctionFact& function, const std::vector<std::string>& owners,
                     const std::string& api, const std::string& listed) const override {
    const auto& apis = required_data(context.rule);
    if (run_by_modules_with_slots(context, owners)) return registry_advice_for_slots(apis);
    if (api != "PyState_FindModule" || !initialising(context, function)) return listed;
    auto add_module = apis.find("PyState_AddModule");
    return add_module == apis.end() ? listed : add_module->second;
  }

 private:
  // Some module the call belongs to is defined with slots, and none is known to be
  // single-phase (one whose init style is unknown does not decide: _testmultiphase's
  // fixture that returns its PyModuleDef uninitialised shares the file's functions).
  static bool run_by_modules_with_slots(const CheckContext& context, const std::vector<std::string>& names) {
    bool with_slots = false;
    for (const ExtensionModule* module : modules_named(context.model, names)) {
      const ModuleConfigView* view = module->view(context.config);
      const InitStyle init = view == nullptr ? InitStyle::unknown : view->init;
      if (init == InitStyle::single_phase) return false;
      with_slots = with_slots || init == InitStyle::multi_phase || init == InitStyle::export_hook;
    }
    return with_slots;
  }

  // Every module the call belongs to is single-phase, and initialising when it runs.
  static bool initialising_single_phase_only(const CheckContext& context, const FunctionFact& function,
                                             const std::vector<std::string>& names) {
    const std::vector<const ExtensionModule*> owners = modules_named(context.model, names);
    return !owners.empty() && std::all_of(owners.begin(), owners.end(), [&](const ExtensionModule* module) {
      const ModuleConfigView* view = module->view(context.config);
      return view != nullptr && view->init == InitStyle::single_phase && view->init_functions.contains(function.name);
    });
  }

  // Runs only while some module it belongs to initialises: PyInit and the helpers only it calls.
  static bool initialising(const CheckContext& context, const FunctionFact& function) {
    return std::any_of(context.model.modules.begin(), context.model.modules.end(), [&](const ExtensionModule& module) {
      const ModuleConfigView* view = module.view(context.config);
      return view != nullptr && view->init_functions.contains(function.name);
    });
  }
};

}  // namespace

std::unique_ptr<Check> make_pystate_find_module() { return std::make_unique<PyStateFindModule>(); }

}  // namespace subcheck::checks
