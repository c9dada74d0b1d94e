// FT006 refcnt-uniqueness-test: `Py_REFCNT(x) == 1` (or `> 1`, `!= 1`, ...) used to decide
// that nobody else holds x, typically before mutating it in place. On free-threaded
// builds the reference count is split between the owning thread and a shared counter,
// and other threads may hold borrowed references, so the test is no longer meaningful.
// Not for the call's own **kwargs dict, which no other thread can have (functools'
// partial_new keeps it when `Py_REFCNT(kw) == 1`), followed through helpers by the data flow
// FT004 uses. A container the function made itself is no exemption here: a count is tested
// because the object went somewhere first (reduce() hands its args tuple to the user's
// function, then tests whether the function kept it).
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class RefcntUniquenessTest final : public FreeThreadedCheck {
 public:
  std::string_view rule_id() const override { return "FT006"; }

  void run(CheckContext& context) const override {
    for (const auto* unit : context.model.units_for(context.config)) {
      if (generated_by_cython(*unit)) continue;
      for (const auto& pattern : unit->patterns) {
        if (pattern.kind != PatternFact::Kind::refcnt_uniqueness || tests_private_object(context, *unit, pattern)) {
          continue;
        }
        context.sink.report(pattern.location, message(pattern), modules_of(context, *unit, pattern.function));
      }
    }
  }

 private:
  // The Py_REFCNT call of the pattern's line takes a parameter that only ever receives a
  // call's own **kwargs dict.
  static bool tests_private_object(const CheckContext& context, const TranslationUnitFacts& unit,
                                   const PatternFact& pattern) {
    for (const auto& function : unit.functions) {
      if (function.name != pattern.function) continue;
      for (const auto& call : function.calls) {
        if (call.callee == "Py_REFCNT" && call.location.line == pattern.location.line &&
            call.location.file == pattern.location.file && !call.arg_sources.empty() &&
            call.arg_sources.front().kind == ArgSource::Kind::parameter &&
            context.model.first_arg_is_private(function, call)) {
          return true;
        }
      }
    }
    return false;
  }

  static std::string message(const PatternFact& pattern) {
    const std::string test = pattern.text.empty() ? std::string("a Py_REFCNT comparison") : "'" + pattern.text + "'";
    return test + in_function(pattern.function) +
           " tests whether an object is uniquely referenced, which the free-threaded reference "
           "count cannot tell; use PyUnstable_Object_IsUniquelyReferenced (3.14+, backported by "
           "pythoncapi-compat) or a critical section";
  }
};

}  // namespace

std::unique_ptr<Check> make_refcnt_uniqueness_test() { return std::make_unique<RefcntUniquenessTest>(); }

}  // namespace subcheck::checks
