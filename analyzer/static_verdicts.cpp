// Verdicts: what a user wants to know per module, derived from the model and findings.
#include <algorithm>

#include "analyzer/analyze.h"
#include "rules/catalogue.h"

namespace subcheck {
namespace {

bool module_has(const std::vector<Finding>& findings, const std::string& module, const RuleCatalogue& rules,
                RuleCategory category, Severity at_least) {
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& finding) {
    const Rule* rule = rules.find(finding.rule);
    return rule && rule->category == category && finding.severity >= at_least &&
           std::find(finding.modules.begin(), finding.modules.end(), module) != finding.modules.end();
  });
}

bool module_has_rule(const std::vector<Finding>& findings, const std::string& module, const std::string& rule) {
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& finding) {
    return finding.rule == rule &&
           std::find(finding.modules.begin(), finding.modules.end(), module) != finding.modules.end();
  });
}

// In the default build: does an isolated (own-GIL) subinterpreter accept the module?
SubinterpreterVerdict subinterpreters_verdict(const ExtensionModule& module, const std::vector<Finding>& findings,
                                    const RuleCatalogue& rules) {
  auto view = module.configs.find(BuildConfig::gil);
  if (view == module.configs.end() || view->second.init == InitStyle::unknown) return SubinterpreterVerdict::unknown;
  if (module_has_rule(findings, module.name, "SI009")) return SubinterpreterVerdict::unsupported;
  if (view->second.init == InitStyle::single_phase) return SubinterpreterVerdict::unsupported;
  const MultipleInterpreters declared = view->second.multiple_interpreters;
  if (declared == MultipleInterpreters::not_supported) return SubinterpreterVerdict::unsupported;
  if (declared == MultipleInterpreters::per_interpreter_gil_supported) {
    // It loads; whether it then behaves is what the contradiction findings say.
    return module_has(findings, module.name, rules, RuleCategory::subinterpreters, Severity::error)
               ? SubinterpreterVerdict::unsafe
               : SubinterpreterVerdict::supported;
  }
  return SubinterpreterVerdict::shared_gil_only;
}

// In the free-threaded build: does importing the module leave the GIL disabled?
FreeThreadingVerdict free_threading_verdict(const ExtensionModule& module, const std::vector<Finding>& findings,
                                   const RuleCatalogue& rules) {
  auto view = module.configs.find(BuildConfig::free_threaded);
  if (view == module.configs.end()) return FreeThreadingVerdict::unknown;
  // A contradiction (FT002, FT007) makes a claim of GIL-freedom unsafe, and a module that
  // cannot even be built for the free-threaded ABI (FT007) is unsafe whatever it says.
  if (module_has_rule(findings, module.name, "FT007")) return FreeThreadingVerdict::unsafe;
  if (view->second.gil == GilDeclaration::not_used) {
    return module_has(findings, module.name, rules, RuleCategory::free_threading, Severity::error)
               ? FreeThreadingVerdict::unsafe
               : FreeThreadingVerdict::gil_free;
  }
  if (view->second.init == InitStyle::unknown) return FreeThreadingVerdict::unknown;
  return FreeThreadingVerdict::requires_gil;
}

}  // namespace

std::vector<ModuleVerdict> compute_verdicts(const AnalysisModel& model, const std::vector<Finding>& findings,
                                            const RuleCatalogue& rules) {
  std::vector<ModuleVerdict> verdicts;
  for (const ExtensionModule& module : model.modules) {
    verdicts.push_back({module.name, subinterpreters_verdict(module, findings, rules),
                        free_threading_verdict(module, findings, rules)});
  }
  return verdicts;
}

}  // namespace subcheck
