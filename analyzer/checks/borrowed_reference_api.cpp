// FT003 borrowed-reference-api: an API that returns a borrowed reference into a
// container (PyDict_GetItem, PyList_GetItem, PyWeakref_GetObject, ...). Without the GIL
// another thread can remove the item and free it between the lookup and its use; the
// strong-reference replacement (PyDict_GetItemRef, ...) closes that window. The
// API -> replacement table is the rule's [data]. Not reported when the container is the
// call's own kwargs dict (followed through helpers) or a container just created (no other
// thread can reach those: AnalysisModel::first_arg_is_private), nor when the result is
// only compared by address, directly or through a local nothing after it reads otherwise.
//
// A critical section is not enough to leave a call out: it locks the object it names, and
// the container may belong to another (syslog's openlog holds the module's critical section
// while it reads sys.argv, which any thread may change).
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"
#include "rules/catalogue.h"

namespace subcheck::checks {
namespace {

class BorrowedReferenceApi final : public FreeThreadedCheck {
 public:
  std::string_view rule_id() const override { return "FT003"; }

  void run(CheckContext& context) const override {
    const auto& replacements = required_data(context.rule);
    for_each_handwritten_call(
        context.model.units_for(context.config),
        [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call) {
          auto replacement = replacements.find(call.callee);
          if (replacement == replacements.end() || context.model.first_arg_is_private(function, call) ||
              call.result_only_compared) {
            return;
          }
          context.sink.report(call.location, message(call.callee, replacement->second, function.name),
                              modules_of(context, unit, function));
        });
  }

 private:
  static std::string message(const std::string& api, const std::string& replacement, const std::string& function) {
    return api + " returns a borrowed reference; use " + replacement + in_function(function) +
           ": without the GIL another thread can drop the item before it is used";
  }
};

}  // namespace

std::unique_ptr<Check> make_borrowed_reference_api() { return std::make_unique<BorrowedReferenceApi>(); }

}  // namespace subcheck::checks
