// What the text and JSON reports share: the context of a scan, its counts, and how a
// module's verdict and findings are looked up. Both writers read the same AnalysisResult.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analyze.h"
#include "cli/config.h"
#include "report/tool_version.h"

namespace subcheck {

class RuleCatalogue;
struct Rule;

// Everything a report needs besides the analysis itself.
struct ReportContext {
  const RuleCatalogue& rules;
  std::filesystem::path root;  // the scanned path, as given (made absolute in JSON)
  std::size_t ignored = 0;     // findings dropped by select/ignore
  FailOn fail_on = FailOn::error;
  RuleFilter filter;  // the rule selection in force
};

struct ScanSummary {
  std::size_t findings = 0;
  std::size_t errors = 0;
  std::size_t warnings = 0;
  std::size_t notes = 0;
  std::size_t modules = 0;
  std::size_t files = 0;         // distinct main files of translation units
  std::size_t suppressed = 0;    // silenced in the source
  std::size_t ignored = 0;       // dropped by select/ignore
  std::size_t diagnostics = 0;   // tool diagnostics (parse errors and the like)
  std::size_t units_parsed = 0;  // translation units (both configurations) with an AST
  std::size_t units_total = 0;
};

ScanSummary summarize(const AnalysisResult& result, std::size_t ignored);

// True when the scan read nothing at all: no unit, or no unit that produced an AST.
// Such a scan cannot vouch for anything and `subcheck scan` exits with 2.
bool nothing_parsed(const AnalysisResult& result);

// The verdict for the index-th module of the model; "unknown" verdicts when the
// analyzer gave none.
ModuleVerdict verdict_for(const AnalysisResult& result, std::size_t module_index);

// Indices into result.findings of the findings that belong to a module.
std::vector<std::size_t> findings_of_module(const AnalysisResult& result, const std::string& module);

// The configuration whose view is reported for a module-level field: `gil` for init and
// multiple_interpreters, `free-threaded` for gil; the other one when the first is missing.
const ModuleConfigView* config_view(const ExtensionModule& module, BuildConfig preferred);

// The rule of a finding, or nullptr for an id the catalogue does not know.
const Rule* rule_of(const RuleCatalogue& rules, std::string_view id);

// `path` relative to `base` when it lies under it, otherwise unchanged.
std::string display_path(const std::string& path, const std::filesystem::path& base);

}  // namespace subcheck
