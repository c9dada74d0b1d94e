// The report formats besides text and JSON (SARIF, GitHub annotations, Markdown, JUnit XML,
// HTML): each is
// one writer over the JSON report document (`subcheck-scan` or `subcheck-probe`, described
// in docs/json-schema.md), so that every format says the same thing and there is one
// report model. What the writers share lives here.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/finding.h"

namespace subcheck {

class RuleCatalogue;

// The formats `--format` accepts, and those written by the writers below.
inline constexpr std::string_view kReportFormats[] = {"text", "json", "sarif", "github", "markdown", "junit", "html"};
bool is_document_format(std::string_view format);  // sarif, github, markdown, junit, html

struct FormatContext {
  const RuleCatalogue& rules;
  // %SRCROOT% of SARIF and the base of relative paths everywhere: the working directory
  // when the scanned path lies under it (CI runs in the checkout), else the scanned
  // directory (see source_root()).
  std::filesystem::path source_root;
  // Markdown links to files: "https://github.com/o/r/blob/SHA/" from GitHub's environment,
  // else empty (links relative to the summary).
  std::string link_base;
};

std::filesystem::path source_root(const std::filesystem::path& scanned, const std::filesystem::path& cwd);
// A page of subcheck's documentation: SUBCHECK_DOCS_URI (the installed docs, a file:// URI,
// unless the build was given the published docs' URL) followed by `page` ("cli.md").
std::string docs_uri(std::string_view page);
// A rule's entry in rules.md: docs_uri("rules.md#si001").
std::string rule_docs_uri(std::string_view rule_id);

// From GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_SHA; empty when one is missing.
std::string github_link_base();

// Writes `report` as `format` (one of is_document_format()).
void write_document_format(std::ostream& out, std::string_view format, const nlohmann::json& report,
                           const FormatContext& context);

// ---- shared by the writers

// A location in a report: the file relative to the source root when under it
// (`relative` true), else absolute.
struct ReportLocation {
  std::string path;
  bool relative = false;
  unsigned line = 0;
  unsigned column = 0;
};
std::optional<ReportLocation> report_location(const nlohmann::json& located, const std::filesystem::path& root);

// How a verdict reads, whatever its aspect (static or probed, subinterpreters,
// free-threading or InterpreterPoolExecutor): a pass, a failure, a hazard the sources show
// (`unsafe`), could not tell (`unknown`, `timeout`), or not a question here (`not-tested`,
// `abi-mismatch`, `not-available`). Text the vocabulary does not know reads as unknown.
enum class VerdictTone { pass, fail, hazard, unknown, not_asked };
VerdictTone verdict_tone(std::string_view verdict);

// One probed module x interpreter that cannot be used as asked (dynamic_failures()'s set).
struct ProbeFailure {
  const nlohmann::json* module = nullptr;  // an entry of dynamic.modules
  std::string aspect;                      // "subinterpreters" or "free-threading"
  std::string verdict;
  Severity severity = Severity::error;
};
// Contradictions (declared versus observed) count too, under the aspect their id speaks of,
// for a module whose verdict of that aspect passes: `verdict` is then the contradiction id.
std::vector<ProbeFailure> probe_failures(const nlohmann::json& report);

// "subinterpreters" or "free-threading": what a contradiction id (docs/prober.md) is about.
std::string contradiction_aspect(const std::string& id);

// The module's contradictions about `aspect` ("subinterpreters", "free-threading").
std::vector<const nlohmann::json*> contradictions_about(const nlohmann::json& module, const std::string& aspect);

// Where a probed module is reported: its static module's location (the PyInit function)
// when the scan found it, else the built module's file.
nlohmann::json probed_module_location(const nlohmann::json& report, const nlohmann::json& probed);

// `dynamic` of a scan with --probe, the probe report itself, else an empty object.
const nlohmann::json& dynamic_part(const nlohmann::json& report);

// The strings of a JSON array, joined with ", " (other elements skipped).
std::string joined_strings(const nlohmann::json& array);

// report[key] when it is an array, else an empty array: a reference into the report, so
// pointers to its elements stay valid (json::value() returns a copy).
const nlohmann::json& array_member(const nlohmann::json& object, const char* key);

}  // namespace subcheck
