// `--format github`: GitHub Actions workflow commands, one per finding, failed probe and
// tool diagnostic: `::error file=F,line=L,col=C,title=T::MESSAGE` (warning and notice by
// level), escaped as the runner unescapes them, then a `::notice` with the coverage and
// one `::error` per reason the answer is incomplete.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/report_formats.h"

namespace subcheck {

void write_github_annotations(std::ostream& out, const nlohmann::json& report, const FormatContext& context);

// The runner's escaping: in the message, % CR LF; in a property value also ':' and ','.
std::string escape_github_data(std::string_view text);
std::string escape_github_property(std::string_view text);

}  // namespace subcheck
