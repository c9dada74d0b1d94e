#include "cli/baseline.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "cli/report_formats.h"
#include "cli/report_sarif.h"
#include "report/tool_version.h"

namespace subcheck {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSchema = "subcheck-baseline";
constexpr int kVersion = 1;
constexpr const char* kFingerprintKind = "subcheckFinding/v1";

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

json parsed_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw BaselineError("--baseline " + file + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::parse_error& error) {
    throw BaselineError("--baseline " + file + ": not JSON: " + error.what());
  }
}

}  // namespace

fs::path baseline_root(const fs::path& scanned) {
  std::error_code error;
  return fs::is_directory(scanned, error) ? scanned : scanned.parent_path();
}

Baseline read_baseline(const std::string& file) {
  const json document = parsed_file(file);
  const auto bad = [&](const std::string& why) {
    return BaselineError("--baseline " + file + ": not a subcheck baseline (" + why +
                         "); write one with --write-baseline");
  };
  if (!document.is_object() || document.value("schema", json()) != kSchema) {
    throw bad("schema is not \"subcheck-baseline\"");
  }
  if (document.value("version", json()) != kVersion) throw bad("version is not 1");
  if (document.value("fingerprint", json()) != kFingerprintKind) {
    throw bad("fingerprint is not \"" + std::string(kFingerprintKind) + "\"");
  }
  const json entries = document.value("entries", json());
  if (!entries.is_array()) throw bad("entries is not an array");
  Baseline baseline{file, {}};
  for (const json& entry : entries) {
    if (!entry.is_object() || !entry.contains("fingerprint") || !entry["fingerprint"].is_string()) {
      throw bad("an entry has no string fingerprint");
    }
    baseline.fingerprints.insert(entry["fingerprint"].get<std::string>());
  }
  return baseline;
}

std::vector<std::string> baseline_fingerprints(const std::vector<Finding>& findings, const fs::path& root) {
  FindingFingerprinter fingerprinter(root);
  std::vector<std::string> fingerprints;
  fingerprints.reserve(findings.size());
  for (const Finding& finding : findings) {
    fingerprints.push_back(fingerprinter.next(finding.rule, joined(finding.modules), finding.location.file,
                                              finding.location.line, finding.message));
  }
  return fingerprints;
}

json baseline_document(const std::vector<Finding>& findings, const fs::path& root) {
  const std::vector<std::string> fingerprints = baseline_fingerprints(findings, root);
  json entries = json::array();
  for (std::size_t i = 0; i < findings.size(); ++i) {
    const Finding& finding = findings[i];
    const std::optional<ReportLocation> where = report_location(json{{"file", finding.location.file}}, root);
    // Everything but the fingerprint is for the people reading the file in review.
    entries.push_back({{"fingerprint", fingerprints[i]},
                       {"rule", finding.rule},
                       {"file", where ? where->path : finding.location.file},
                       {"line", finding.location.line},
                       {"message", finding.message}});
  }
  return {{"schema", kSchema},
          {"version", kVersion},
          {"tool", {{"name", "subcheck"}, {"version", std::string(tool_version())}}},
          {"fingerprint", kFingerprintKind},
          {"entries", std::move(entries)}};
}

BaselineOutcome apply_baseline(std::vector<Finding>& findings, const Baseline& baseline, const fs::path& root) {
  const std::vector<std::string> fingerprints = baseline_fingerprints(findings, root);
  BaselineOutcome outcome{baseline.file, baseline.fingerprints.size(), 0, 0};
  std::set<std::string> matched;
  std::vector<Finding> kept;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    if (baseline.fingerprints.contains(fingerprints[i])) {
      matched.insert(fingerprints[i]);
      ++outcome.suppressed;
    } else {
      kept.push_back(std::move(findings[i]));
    }
  }
  findings = std::move(kept);
  outcome.stale = baseline.fingerprints.size() - matched.size();
  return outcome;
}

json baseline_outcome_json(const BaselineOutcome& outcome) {
  return {{"file", outcome.file},
          {"entries", outcome.entries},
          {"suppressed", outcome.suppressed},
          {"stale", outcome.stale}};
}

std::string format_baseline_outcome(const BaselineOutcome& outcome) {
  return "baseline " + outcome.file + ": " + std::to_string(outcome.suppressed) + " finding" +
         (outcome.suppressed == 1 ? "" : "s") + " suppressed, " + std::to_string(outcome.stale) + " of " +
         std::to_string(outcome.entries) + " entr" + (outcome.entries == 1 ? "y" : "ies") + " no longer match" +
         (outcome.stale > 0 ? " (fixed or changed; rewrite it with --write-baseline)" : "") + "\n";
}

}  // namespace subcheck
