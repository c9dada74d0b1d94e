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
// after import, so no item goes away under the reader. Nor, last, for a lookup in a side
// table keyed by object identity (`PyDict_GetItem(levels, PyLong_FromVoidPtr(obj))`, as
// dbus-python keeps variant levels) when every change to the table is keyed by an object
// no other thread holds yet or any more (its tp_new, its tp_dealloc): the entry for an
// object the caller holds changes only before the object is shared and after its last
// reference is gone.
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

bool is_word_char(char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_'; }

class BorrowedReferenceApi final : public FreeThreadedCheck {
 public:
  std::string_view rule_id() const override { return "FT003"; }

  void run(CheckContext& context) const override {
    const auto& replacements = required_data(context.rule);
    ViewAnswers init_filled;
    ViewAnswers side_tables;
    for_each_handwritten_call(
        context.model.units_for(context.config),
        [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call) {
          auto replacement = replacements.find(call.callee);
          if (replacement == replacements.end() || context.model.first_arg_is_private(function, call) ||
              call.result_only_compared || filled_only_at_initialisation(context, unit, function, call, init_filled) ||
              looks_up_own_entry(context, unit, function, call, replacements, side_tables)) {
            return;
          }
          context.sink.report(call.location, message(call.callee, replacement->second, function.name),
                              modules_of(context, unit, function));
        });
  }

 private:
  // A question about a name (a field, a table) answered per module view, so each module's
  // functions are read once per name, not once per lookup.
  using ViewAnswers = std::map<std::pair<const ModuleConfigView*, std::string>, bool>;

  // Every module the function belongs to answers `ask` yes for `name`.
  template <typename Ask>
  static bool every_owner(const CheckContext& context, const TranslationUnitFacts& unit, const FunctionFact& function,
                          const std::string& name, ViewAnswers& known, Ask&& ask) {
    const std::vector<std::string> names = modules_of(context, unit, function);
    const std::vector<const ExtensionModule*> owners = modules_named(context.model, names);
    if (names.empty() || owners.size() != names.size()) return false;
    return std::all_of(owners.begin(), owners.end(), [&](const ExtensionModule* module) {
      const ModuleConfigView* view = module->view(context.config);
      if (view == nullptr) return false;
      auto [answer, added] = known.try_emplace({view, name}, false);
      if (added) answer->second = ask(*view);
      return answer->second;
    });
  }

  // The field a call's first argument names last (`state->codes`, `(PyObject *)st.codes`),
  // read backwards by hand: the argument is the scanned file's text, of any length.
  static std::string field_named(const CallFact& call) {
    if (call.args.empty()) return {};
    const std::string& text = call.args.front();
    auto space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
    std::size_t end = text.size();
    while (end > 0 && space(text[end - 1])) --end;
    std::size_t start = end;
    while (start > 0 && is_word_char(text[start - 1])) --start;
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
                                            const FunctionFact& function, const CallFact& call, ViewAnswers& known) {
    const std::string field = field_named(call);
    return !field.empty() && every_owner(context, unit, function, field, known, [&](const ModuleConfigView& view) {
      return filled_only_at_initialisation(view, field);
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

  // `PyDict_GetItem(table, key)` with the key naming an object the caller holds (a
  // parameter, or one just made), in a module-level dict every module of the call keeps as
  // an identity-keyed side table (changed_only_while_private).
  static bool looks_up_own_entry(const CheckContext& context, const TranslationUnitFacts& unit,
                                 const FunctionFact& function, const CallFact& call,
                                 const std::map<std::string, std::string>& reads, ViewAnswers& known) {
    if (!call.callee.starts_with("PyDict_GetItem") || call.callee.find("String") != std::string::npos ||
        call.arg_sources.size() < 2 || !call.arg_sources[1].identity || call.first_arg_var.empty()) {
      return false;
    }
    return every_owner(context, unit, function, call.first_arg_var, known, [&](const ModuleConfigView& view) {
      return changed_only_while_private(context.model, view, call.first_arg_var, reads);
    });
  }

  // `table` is a global dict the module makes only while it initialises, passes to no call
  // but as the dict it reads or changes, and changes (PyDict_SetItem, PyDict_DelItem) only
  // under keys naming objects no other thread holds (AnalysisModel::names_private_object).
  static bool changed_only_while_private(const AnalysisModel& model, const ModuleConfigView& view,
                                         const std::string& table, const std::map<std::string, std::string>& reads) {
    const GlobalVarFact* global = nullptr;
    for (const TranslationUnitFacts* unit : view.units) {
      for (const GlobalVarFact& candidate : unit->globals) {
        if (candidate.name == table && !candidate.function_static) global = &candidate;
      }
    }
    if (global == nullptr || global->kind != GlobalVarFact::Kind::python_object) return false;
    for (const TranslationUnitFacts* unit : view.units) {
      for (const GlobalWriteFact& write : unit->global_writes) {
        if (write.var_usr == global->usr && !view.init_functions.contains(write.function)) return false;
      }
      for (const FunctionFact& function : unit->functions) {
        for (const CallFact& call : function.calls) {
          for (std::size_t i = 1; i < call.args.size(); ++i) {
            if (names_identifier(call.args[i], table)) return false;
          }
          if (call.first_arg_var != table) continue;
          const bool read = reads.contains(call.callee) || call.callee == "PyDict_Contains" ||
                            call.callee == "PyDict_Size" || call.callee == "PyDict_GET_SIZE";
          const bool private_change = (call.callee == "PyDict_SetItem" || call.callee == "PyDict_DelItem") &&
                                      call.arg_sources.size() >= 2 &&
                                      model.names_private_object(function, call.arg_sources[1]);
          if (!read && !private_change) return false;
        }
      }
    }
    return true;
  }

  // `text` spells the identifier `name` as a whole word.
  static bool names_identifier(const std::string& text, const std::string& name) {
    for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
      const std::size_t end = at + name.size();
      if ((at == 0 || !is_word_char(text[at - 1])) && (end == text.size() || !is_word_char(text[end]))) return true;
    }
    return false;
  }

  static std::string message(const std::string& api, const std::string& replacement, const std::string& function) {
    return api + " returns a borrowed reference; use " + replacement + in_function(function) +
           ": without the GIL another thread can drop the item before it is used";
  }
};

}  // namespace

std::unique_ptr<Check> make_borrowed_reference_api() { return std::make_unique<BorrowedReferenceApi>(); }

}  // namespace subcheck::checks
