// SI007 pystate-find-module: PyState_FindModule / PyState_AddModule /
// PyState_RemoveModule. They keep one module per PyModuleDef per interpreter and work
// only for single-phase modules; a multi-phase module that calls them gets NULL (or an
// error) and a module that relies on them cannot be isolated. The API names come from
// the rule's [data] table.
#include "catalogue.h"
#include "check_support.h"
#include "registry.h"

namespace subcheck::checks {
namespace {

class PyStateFindModule final : public Check {
 public:
  std::string_view rule_id() const override { return "SI007"; }

  void run(CheckContext& context) const override {
    const auto& apis = required_data(context.rule);
    FindingCollector findings(context);
    for_each_handwritten_call(context.model.units_for(context.config),
                  [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call) {
                    auto api = apis.find(call.callee);
                    if (api == apis.end()) return;
                    findings.add(call.location, message(api->first, api->second, function.name),
                                 modules_of(context, unit));
                  });
    findings.flush();
  }

 private:
  // `instead` is the rule data's advice for this API.
  static std::string message(const std::string& api, const std::string& instead, const std::string& function) {
    std::string text = api + in_function(function) +
                       " keeps one module per PyModuleDef and works only for single-phase modules, so "
                       "the module cannot be isolated";
    if (!instead.empty()) text += "; use " + instead + " instead";
    return text;
  }
};

}  // namespace

std::unique_ptr<Check> make_pystate_find_module() { return std::make_unique<PyStateFindModule>(); }

}  // namespace subcheck::checks
