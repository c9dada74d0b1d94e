// FT005 nested-critical-section: Py_BEGIN_CRITICAL_SECTION inside another one. Critical
// sections are not a lock hierarchy: entering the inner one may suspend the outer one
// (and release its lock) to avoid deadlock, so the outer object is no longer protected
// while the inner block runs. Locking two objects together is what
// Py_BEGIN_CRITICAL_SECTION2(a, b) is for.
#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

class NestedCriticalSection final : public FreeThreadedCheck {
 public:
  std::string_view rule_id() const override { return "FT005"; }

  void run(CheckContext& context) const override {
    for (const auto* unit : context.model.units_for(context.config)) {
      if (generated_by_cython(*unit)) continue;
      for (const auto& pattern : unit->patterns) {
        if (pattern.kind != PatternFact::Kind::nested_critical_section) continue;
        context.sink.report(pattern.location, message(pattern), modules_of(context, *unit, pattern.function));
      }
    }
  }

 private:
  static std::string message(const PatternFact& pattern) {
    const std::string what = pattern.text.empty() ? std::string("Py_BEGIN_CRITICAL_SECTION") : pattern.text;
    return what + in_function(pattern.function) +
           " is nested inside another critical section, which may be suspended (and its lock "
           "released) while the inner one runs; lock both objects at once with "
           "Py_BEGIN_CRITICAL_SECTION2(a, b)";
  }
};

}  // namespace

std::unique_ptr<Check> make_nested_critical_section() { return std::make_unique<NestedCriticalSection>(); }

}  // namespace subcheck::checks
