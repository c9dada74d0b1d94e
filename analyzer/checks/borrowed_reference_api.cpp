// FT003 borrowed-reference-api: an API that returns a borrowed reference into a
// container (PyDict_GetItem, PyList_GetItem, PyWeakref_GetObject, ...). Without the GIL
// another thread can remove the item and free it between the lookup and its use; the
// strong-reference replacement (PyDict_GetItemRef, ...) closes that window. The
// API -> replacement table is the rule's [data]. Not reported when the container is the
// call's own kwargs dict (followed through helpers) or a container just created (no other
// thread can reach those: AnalysisModel::first_arg_is_private), nor when the result is
// only compared by address, directly or through a local nothing after it reads otherwise,
// nor when the container is a struct field that only module initialisation makes and fills
// and nothing hands on (`_ssl`'s error-code tables in module state): no call changes it
// after import, so no item goes away under the reader.
//
// A critical section is not enough to leave a call out: it locks the object it names, and
// the container may belong to another (syslog's openlog holds the module's critical section
// while it reads sys.argv, which any thread may change).
#include <algorithm>
#include <cctype>
#include <map>

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
    InitFilledFields init_filled;
    for_each_handwritten_call(
        context.model.units_for(context.config),
        [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call) {
          auto replacement = replacements.find(call.callee);
          if (replacement == replacements.end() || context.model.first_arg_is_private(function, call) ||
              call.result_only_compared || filled_only_at_initialisation(context, unit, function, call, init_filled)) {
            return;
          }
          context.sink.report(call.location, message(call.callee, replacement->second, function.name),
                              modules_of(context, unit, function));
        });
  }

 private:
  // Answers of filled_only_at_initialisation per module view and field, so each module's
  // functions are read once per field, not once per lookup.
  using InitFilledFields = std::map<std::pair<const ModuleConfigView*, std::string>, bool>;

  // The field a call's first argument names last (`state->codes`, `(PyObject *)st.codes`),
  // read backwards by hand: the argument is the scanned file's text, of any length.
  static std::string field_named(const CallFact& call) {
    if (call.args.empty()) return {};
    const std::string& text = call.args.front();
    auto word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_'; };
    auto space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
    std::size_t end = text.size();
    while (end > 0 && space(text[end - 1])) --end;
    std::size_t start = end;
    while (start > 0 && word(text[start - 1])) --start;
    if (start == end || std::isdigit(static_cast<unsigned char>(text[start])) != 0) return {};
    std::size_t before = start;
    while (before > 0 && space(text[before - 1])) --before;
    const bool member =
        (before >= 1 && text[before - 1] == '.') || (before >= 2 && text[before - 2] == '-' && text[before - 1] == '>');
    return member ? text.substr(start, end - start) : std::string{};
  }

  // Every module the call belongs to makes the field's container and changes it only while
  // it initialises (its init functions), and none of its code hands the field on.
  static bool filled_only_at_initialisation(const CheckContext& context, const TranslationUnitFacts& unit,
                                            const FunctionFact& function, const CallFact& call,
                                            InitFilledFields& known) {
    const std::string field = field_named(call);
    const std::vector<std::string> owners = modules_of(context, unit, function);
    if (field.empty() || owners.empty()) return false;
    return std::all_of(owners.begin(), owners.end(), [&](const std::string& name) {
      auto module = std::find_if(context.model.modules.begin(), context.model.modules.end(),
                                 [&](const ExtensionModule& candidate) { return candidate.name == name; });
      const ModuleConfigView* view = module == context.model.modules.end() ? nullptr : module->view(context.config);
      if (view == nullptr) return false;
      auto [answer, added] = known.try_emplace({view, field}, false);
      if (added) answer->second = filled_only_at_initialisation(*view, field);
      return answer->second;
    });
  }

  static bool filled_only_at_initialisation(const ModuleConfigView& view, const std::string& field) {
    auto names = [&](const std::vector<std::string>& fields) {
      return std::find(fields.begin(), fields.end(), field) != fields.end();
    };
    bool made = false;
    for (const TranslationUnitFacts* unit : view.units) {
      for (const FunctionFact& function : unit->functions) {
        const bool initialises = view.init_functions.contains(function.name);
        if (names(function.fields_shared)) return false;
        if ((names(function.fields_made) || names(function.fields_changed)) && !initialises) return false;
        made = made || names(function.fields_made);
      }
    }
    return made;
  }

  static std::string message(const std::string& api, const std::string& replacement, const std::string& function) {
    return api + " returns a borrowed reference; use " + replacement + in_function(function) +
           ": without the GIL another thread can drop the item before it is used";
  }
};

}  // namespace

std::unique_ptr<Check> make_borrowed_reference_api() { return std::make_unique<BorrowedReferenceApi>(); }

}  // namespace subcheck::checks
