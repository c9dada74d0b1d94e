// `--format junit`: JUnit XML for CI test-report views (Jenkins, GitLab, Azure, the
// dorny/mikepenz GitHub actions). One <testsuite> per target: `subinterpreters` and
// `free-threading` for the static verdicts, and per probed Python `subinterpreters (3.13)`,
// `free-threading (3.13t)`; one <testcase> per module. A module that cannot be used as
// asked is a <failure> carrying its findings (rule, file:line, message) or the probe's
// evidence; one subcheck could not judge is an <error> (static `unknown`) or <skipped>
// (probe `not-tested`, `abi-mismatch`) with the reason, never a pass. A `coverage` suite
// errors when the answer is incomplete. docs/cli.md ("JUnit XML") describes the mapping;
// tests/ci/junit_validate_test.py validates it against docs/schema/junit.xsd.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/report_formats.h"

namespace subcheck {

void write_junit_report(std::ostream& out, const nlohmann::json& report, const FormatContext& context);

// XML 1.0 character data and attribute values: & < > " ' as entities, tab, CR and LF as
// character references (so attribute values keep them), and what XML 1.0 cannot carry at
// all (C0 controls but tab/LF/CR, U+FFFE, U+FFFF, invalid UTF-8) spelled out as `\u000b` or
// U+FFFD instead of making the document unreadable.
// `in_attribute` false: element text, where quotes, tab and LF stay as they are (a reader
// sees the lines), CR still a reference (parsers would fold it into LF).
std::string escape_xml(std::string_view text, bool in_attribute = true);

}  // namespace subcheck
