// SI008 gilstate-api: PyGILState_Ensure / PyGILState_Release /
// PyGILState_GetThisThreadState. The GILState API assumes a single interpreter: called
// from a thread that runs a subinterpreter, it attaches to the main interpreter instead
// (or deadlocks on the wrong GIL). Callbacks from foreign threads must capture the
// interpreter and use PyThreadState_New on it. The API names come from the rule's [data].
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"
#include "rules/catalogue.h"

namespace subcheck::checks {
namespace {

class GilStateApi final : public ListedApiCallCheck {
 public:
  std::string_view rule_id() const override { return "SI008"; }

 protected:
  std::string problem() const override {
    return "assumes a single interpreter: from a thread serving a subinterpreter it attaches to the "
           "main interpreter";
  }
};

}  // namespace

std::unique_ptr<Check> make_gilstate_api() { return std::make_unique<GilStateApi>(); }

}  // namespace subcheck::checks
