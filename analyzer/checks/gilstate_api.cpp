// SI008 gilstate-api: PyGILState_Ensure / PyGILState_Release /
// PyGILState_GetThisThreadState. The GILState API assumes a single interpreter: called
// from a thread that runs a subinterpreter, it attaches to the main interpreter instead
// (or deadlocks on the wrong GIL). Callbacks from foreign threads must capture the
// interpreter and use PyThreadState_New on it. The API names come from the rule's [data].
#include "catalogue.h"
#include "check_support.h"
#include "registry.h"

namespace subcheck::checks {
namespace {

class GilStateApi final : public Check {
 public:
  std::string_view rule_id() const override { return "SI008"; }

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
                       " assumes a single interpreter: from a thread serving a subinterpreter it "
                       "attaches to the main interpreter";
    if (!instead.empty()) text += "; use " + instead + " instead";
    return text;
  }
};

}  // namespace

std::unique_ptr<Check> make_gilstate_api() { return std::make_unique<GilStateApi>(); }

}  // namespace subcheck::checks
