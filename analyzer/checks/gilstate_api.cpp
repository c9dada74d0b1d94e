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
  // What each call does wrong from a thread that serves a subinterpreter: Ensure attaches
  // the main interpreter, Release ends what Ensure began, GetThisThreadState answers for
  // the main interpreter.
  std::string problem(const std::string& api) const override {
    std::string what = "attaches to the main interpreter";
    if (api == "PyGILState_Release") {
      what = "ends the thread state PyGILState_Ensure made, which is the main interpreter's";
    } else if (api == "PyGILState_GetThisThreadState") {
      what = "returns this thread's state in the main interpreter, not in the one it serves";
    }
    return "assumes a single interpreter: from a thread serving a subinterpreter it " + what;
  }
};

}  // namespace

std::unique_ptr<Check> make_gilstate_api() { return std::make_unique<GilStateApi>(); }

}  // namespace subcheck::checks
