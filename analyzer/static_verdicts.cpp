// Verdicts: what a user wants to know per module. The module's own declarations (init
// style, Py_mod_multiple_interpreters, Py_mod_gil) give a starting verdict; a finding
// lowers it only as its rule's [verdict] table says (docs/rules.md, "Verdicts"), never
// because of the rule's severity, so editing a severity cannot change a verdict.
#include <algorithm>

#include "analyzer/analyze.h"
#include "rules/catalogue.h"

namespace subcheck {
namespace {

// How bad each outcome is: a lowering replaces the verdict only with a worse one. A
// module refused cleanly (unsupported) cannot misbehave after loading (unsafe); a definite
// finding says more than "could not tell".
int badness(SubinterpreterVerdict verdict) {
  switch (verdict) {
    case SubinterpreterVerdict::supported: return 0;
    case SubinterpreterVerdict::shared_gil_only: return 1;
    case SubinterpreterVerdict::unsafe: return 3;
    case SubinterpreterVerdict::unsupported: return 4;
    default: return 2;  // unknown
  }
}

int badness(FreeThreadingVerdict verdict) {
  switch (verdict) {
    case FreeThreadingVerdict::gil_free: return 0;
    case FreeThreadingVerdict::requires_gil: return 1;
    case FreeThreadingVerdict::unsafe: return 3;
    default: return 2;  // unknown
  }
}

template <typename Verdict>
Verdict worse(Verdict a, Verdict b) {
  return badness(b) > badness(a) ? b : a;
}

bool makes_claim(const ExtensionModule& module, VerdictClaim claim) {
  switch (claim) {
    case VerdictClaim::always: return true;
    case VerdictClaim::declares_per_interpreter_gil: {
      const ModuleConfigView* view = module.view(BuildConfig::gil);
      return view && view->multiple_interpreters == MultipleInterpreters::per_interpreter_gil_supported;
    }
    case VerdictClaim::declares_gil_not_used: {
      const ModuleConfigView* view = module.view(BuildConfig::free_threaded);
      return view && view->gil == GilDeclaration::not_used;
    }
  }
  return false;
}

// The [verdict] tables of the rules with a finding in `module` whose claim the module makes.
std::vector<const VerdictEffect*> effects_on(const ExtensionModule& module, const std::vector<Finding>& findings,
                                             const RuleCatalogue& rules) {
  std::vector<const VerdictEffect*> effects;
  for (const Finding& finding : findings) {
    if (std::find(finding.modules.begin(), finding.modules.end(), module.name) == finding.modules.end()) continue;
    const Rule* rule = rules.find(finding.rule);
    if (rule && rule->verdict && makes_claim(module, rule->verdict->when)) effects.push_back(&*rule->verdict);
  }
  return effects;
}

// In the default build: does an isolated (own-GIL) subinterpreter accept the module?
SubinterpreterVerdict declared_subinterpreters(const ExtensionModule& module) {
  const ModuleConfigView* view = module.view(BuildConfig::gil);
  if (view == nullptr || view->init == InitStyle::unknown) return SubinterpreterVerdict::unknown;
  // Single-phase modules, and modules no CPython creates (a refused slot id, a create
  // function that only returns NULL: no interpreter loads them, #26, #27).
  if (view->init == InitStyle::single_phase || view->never_created()) return SubinterpreterVerdict::unsupported;
  switch (view->multiple_interpreters) {
    case MultipleInterpreters::not_supported: return SubinterpreterVerdict::unsupported;
    // It loads; whether it then behaves is what the contradiction findings say.
    case MultipleInterpreters::per_interpreter_gil_supported: return SubinterpreterVerdict::supported;
    default: return SubinterpreterVerdict::shared_gil_only;
  }
}

// In the free-threaded build: does importing the module leave the GIL disabled?
FreeThreadingVerdict declared_free_threading(const ExtensionModule& module) {
  const ModuleConfigView* view = module.view(BuildConfig::free_threaded);
  if (view == nullptr) return FreeThreadingVerdict::unknown;
  if (view->gil == GilDeclaration::not_used) return FreeThreadingVerdict::gil_free;
  if (view->init == InitStyle::unknown) return FreeThreadingVerdict::unknown;
  return FreeThreadingVerdict::requires_gil;
}

}  // namespace

std::vector<ModuleVerdict> compute_verdicts(const AnalysisModel& model, const std::vector<Finding>& findings,
                                            const RuleCatalogue& rules) {
  std::vector<ModuleVerdict> verdicts;
  for (const ExtensionModule& module : model.modules) {
    ModuleVerdict verdict{module.name, declared_subinterpreters(module), declared_free_threading(module)};
    for (const VerdictEffect* effect : effects_on(module, findings, rules)) {
      if (effect->subinterpreters) verdict.subinterpreters = worse(verdict.subinterpreters, *effect->subinterpreters);
      if (effect->free_threading) verdict.free_threading = worse(verdict.free_threading, *effect->free_threading);
    }
    verdicts.push_back(std::move(verdict));
  }
  return verdicts;
}

}  // namespace subcheck
