// The machine report of `subcheck scan --format json`: schema "subcheck-scan", version 1.
// docs/json-schema.md describes every field; docs/schema/scan-v1.schema.json is the
// JSON Schema (draft 2020-12). Additions keep the version; renames and removals bump it.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "analyzer/analyze.h"
#include "cli/report.h"

namespace subcheck {

inline constexpr std::string_view kJsonSchemaName = "subcheck-scan";
inline constexpr int kJsonSchemaVersion = 1;

nlohmann::json scan_report_json(const AnalysisResult& result, const ReportContext& context);

// Pretty-printed (two-space indent), one trailing newline.
void write_json_report(std::ostream& out, const AnalysisResult& result, const ReportContext& context);

// The pieces, for tests.
nlohmann::json finding_json(const Finding& finding, const RuleCatalogue& rules);
nlohmann::json location_json(const SourceLocation& location);

}  // namespace subcheck
