// FT004 dict-next-without-critical-section: PyDict_Next outside
// Py_BEGIN_CRITICAL_SECTION(dict). On free-threaded builds the iteration is not atomic:
// another thread may resize the dict under it, and the borrowed key and value it returns
// may be freed. Wrapping the loop in a critical section on the dict makes it safe (and
// costs nothing on GIL builds). A function only ever entered inside a critical section
// (a helper of Argument Clinic's `foo_impl`, whose wrapper holds
// Py_BEGIN_CRITICAL_SECTION(self): select's poll object iterating its own dict) is
// iterating under its callers' lock, as the check accepts one written in the function.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

constexpr std::string_view kDictNext = "PyDict_Next";

class DictNextWithoutCriticalSection final : public FreeThreadedCheck {
 public:
  std::string_view rule_id() const override { return "FT004"; }

  void run(CheckContext& context) const override {
    const auto units = context.model.units_for(context.config);
    const std::set<std::string> entered_locked =
        functions_entered_locked(units, [](const CallFact& call) { return call.critical_section_depth > 0; });
    for_each_handwritten_call(
        units, [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call) {
          if (call.callee != kDictNext || call.critical_section_depth > 0 || entered_locked.contains(function.name))
            return;
          // The call's own **kwargs dict (followed through helpers), or a dict just made:
          // no other thread has it.
          if (context.model.first_arg_is_private(function, call)) return;
          context.sink.report(call.location, message(call, function.name), modules_of(context, unit, function));
        });
  }

 private:
  static std::string message(const CallFact& call, const std::string& function) {
    const std::string dict = call.args.empty() ? std::string("the dict") : call.args.front();
    // A helper's parameter may be named like the kwargs dict (multidict's `kwds`, given a
    // user's dict): say whose dict it is.
    const bool parameter = !call.arg_sources.empty() && call.arg_sources.front().kind == ArgSource::Kind::parameter &&
                           call.arg_sources.front().field.empty();
    const std::string whose = parameter ? " (a parameter: the dict its callers pass in)" : "";
    // One message for a loop and for a single call (taking the first item): both read the
    // table and hand out borrowed key and value. A critical section is suspended while the
    // body calls back into Python, hence the copy as the alternative.
    return "PyDict_Next" + in_function(function) + " reads " + dict + whose +
           " outside a critical section: on free-threaded builds another thread can change the dict "
           "while it is read, or before the borrowed key and value it returns are used, and free them; hold "
           "Py_BEGIN_CRITICAL_SECTION(" +
           dict +
           ") ... Py_END_CRITICAL_SECTION() around the iteration and every use of key and value, or "
           "iterate over a copy (PyDict_Copy) when that code calls back into Python";
  }
};

}  // namespace

std::unique_ptr<Check> make_dict_next_without_critical_section() {
  return std::make_unique<DictNextWithoutCriticalSection>();
}

}  // namespace subcheck::checks
