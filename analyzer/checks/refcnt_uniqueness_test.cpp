// FT006 refcnt-uniqueness-test: `Py_REFCNT(x) == 1` (or `> 1`, `!= 1`, ...) used to decide
// that nobody else holds x, typically before mutating it in place. On free-threaded
// builds the reference count is split between the owning thread and a shared counter,
// and other threads may hold borrowed references, so the test is no longer meaningful.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class RefcntUniquenessTest final : public Check {
 public:
  std::string_view rule_id() const override { return "FT006"; }

  void run(CheckContext& context) const override {
    for (const auto* unit : context.model.units_for(context.config)) {
      if (generated_by_cython(*unit)) continue;
      for (const auto& pattern : unit->patterns) {
        if (pattern.kind != PatternFact::Kind::refcnt_uniqueness) continue;
        context.sink.report(pattern.location, message(pattern), modules_of(context, *unit, pattern.function));
      }
    }
  }

 private:
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
