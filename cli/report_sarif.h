// `--format sarif`: SARIF 2.1.0 (OASIS), one run, for GitHub code scanning and other SARIF
// readers. Rules come from the catalogue (rules/*.toml) plus three for the prober's
// evidence; findings, suppressed findings and failed probes are results; module verdicts,
// probe verdicts and coverage are run properties; tool diagnostics are notifications.
// docs/cli.md ("SARIF") says how it maps; tests/ci/sarif_validate_test.sh checks every
// report with Microsoft's SARIF validator.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/report_formats.h"

namespace subcheck {

nlohmann::json sarif_report(const nlohmann::json& report, const FormatContext& context);

// A fingerprint that survives edits elsewhere in the file: the rule, the modules, the
// file and the text of the flagged line with its whitespace collapsed (not its number),
// and which occurrence of that same line it is. Hex of a 64-bit XXH3.
std::string finding_fingerprint(const std::string& rule, const std::string& modules, const std::string& file,
                                const std::string& line_text, std::size_t occurrence);

// SARIF's partialFingerprints["subcheckFinding/v1"] of findings given in report order (the
// occurrence index counts earlier findings with the same rule, modules, file and line text);
// `file` absolute, made relative to `root` when under it. The baseline (cli/baseline.h)
// records the same fingerprints.
class FindingFingerprinter {
 public:
  explicit FindingFingerprinter(std::filesystem::path root) : root_(std::move(root)) {}
  std::string next(const std::string& rule, const std::string& modules, const std::string& file, unsigned line,
                   const std::string& message);

 private:
  std::filesystem::path root_;
  std::map<std::string, std::size_t> occurrences_;
};

// The text of `line` of `file`, whitespace runs collapsed to one space and trimmed ("" when
// unreadable).
std::string normalized_source_line(const std::string& file, unsigned line);

}  // namespace subcheck
