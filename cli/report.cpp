#include "cli/report.h"

#include <algorithm>
#include <set>

#include "rules/catalogue.h"

namespace subcheck {

ScanSummary summarize(const AnalysisResult& result, std::size_t ignored) {
  ScanSummary summary;
  summary.findings = result.findings.size();
  for (const Finding& finding : result.findings) {
    switch (finding.severity) {
      case Severity::error: ++summary.errors; break;
      case Severity::warning: ++summary.warnings; break;
      case Severity::note: ++summary.notes; break;
    }
  }
  summary.modules = result.model.modules.size();
  std::set<std::string> files;
  for (const TranslationUnitFacts& unit : result.model.units) {
    files.insert(unit.file);
    if (unit.parsed) ++summary.units_parsed;
  }
  summary.files = files.size();
  summary.units_total = result.model.units.size();
  summary.suppressed = result.suppressed;
  summary.ignored = ignored;
  summary.diagnostics = result.diagnostics.size();
  return summary;
}

bool nothing_parsed(const AnalysisResult& result) {
  return std::none_of(result.model.units.begin(), result.model.units.end(),
                      [](const TranslationUnitFacts& unit) { return unit.parsed; });
}

ModuleVerdict verdict_for(const AnalysisResult& result, std::size_t module_index) {
  const std::string& name = result.model.modules.at(module_index).name;
  // The analyzer gives one verdict per module in model order; fall back to the name
  // when the two lists do not line up.
  if (module_index < result.verdicts.size() && result.verdicts[module_index].module == name) {
    return result.verdicts[module_index];
  }
  for (const ModuleVerdict& verdict : result.verdicts) {
    if (verdict.module == name) return verdict;
  }
  return ModuleVerdict{name, SubinterpreterVerdict::unknown, FreeThreadingVerdict::unknown};
}

std::vector<std::size_t> findings_of_module(const AnalysisResult& result, const std::string& module) {
  std::vector<std::size_t> indices;
  for (std::size_t i = 0; i < result.findings.size(); ++i) {
    const auto& modules = result.findings[i].modules;
    if (std::find(modules.begin(), modules.end(), module) != modules.end()) indices.push_back(i);
  }
  return indices;
}

const ModuleConfigView* config_view(const ExtensionModule& module, BuildConfig preferred) {
  if (const ModuleConfigView* view = module.view(preferred)) return view;
  if (!module.configs.empty()) return &module.configs.begin()->second;
  return nullptr;
}

const Rule* rule_of(const RuleCatalogue& rules, std::string_view id) {
  const Rule* rule = rules.find(id);
  // find() also matches names; a finding's rule field is always an id.
  return rule != nullptr && rule->id == id ? rule : nullptr;
}

std::string display_path(const std::string& path, const std::filesystem::path& base) {
  if (path.empty() || base.empty()) return path;
  const std::filesystem::path file(path);
  if (!file.is_absolute()) return path;
  const std::filesystem::path relative = file.lexically_relative(base);
  if (relative.empty() || *relative.begin() == "..") return path;
  return relative.string();
}

}  // namespace subcheck
