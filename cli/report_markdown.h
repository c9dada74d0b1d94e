// `--format markdown`: a summary for $GITHUB_STEP_SUMMARY and PR comments: the module
// table with verdicts as text badges, probe verdicts, counts per rule, the findings
// (errors first) with links to the line and to the rule, and the coverage. GitHub refuses
// a step summary over 1 MiB, so the summary stops below kMarkdownLimit bytes and says what
// it cut.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/report_formats.h"

namespace subcheck {

inline constexpr std::size_t kMarkdownLimit = 1000 * 1000;  // under GitHub's 1 MiB (1,048,576 bytes)

void write_markdown_summary(std::ostream& out, const nlohmann::json& report, const FormatContext& context,
                            std::size_t limit = kMarkdownLimit);

// A verdict as a text badge: "✅ supported", "❌ unsupported", "⚠️ unsafe", "❔ unknown".
std::string verdict_badge(const std::string& verdict);

}  // namespace subcheck
