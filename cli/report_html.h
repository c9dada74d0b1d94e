// `--format html`: the dependency audit a team lead reads before moving an application to
// InterpreterPoolExecutor or a free-threaded build. One self-contained file (inline style
// and script, a Content-Security-Policy that forbids every fetch): the answer first ("12 of
// 40 distributions would block InterpreterPoolExecutor; these 3 re-enable the GIL on
// 3.13t"), then per distribution and module the verdicts for each Python, the evidence
// (static findings, probe outcomes with their output), a filter and sortable columns.
// The tables are written here, not built by the script, so the report reads the same with
// scripts off; the script only filters, sorts and counts. The filter can be given in the
// address (`report.html#filter=yaml&problems`), so a filtered view can be linked.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

#include "cli/report_formats.h"

namespace subcheck {

void write_html_report(std::ostream& out, const nlohmann::json& report, const FormatContext& context);

}  // namespace subcheck
