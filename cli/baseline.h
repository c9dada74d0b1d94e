// `scan --write-baseline FILE` and `scan --baseline FILE`: adopt subcheck on a tree with
// known findings by recording them once and reporting only new ones afterwards.
//
// A finding is recorded by its fingerprint, the one SARIF gives as
// partialFingerprints["subcheckFinding/v1"] (cli/report_sarif.h): rule, modules, file
// relative to the scanned directory, the flagged line's text with whitespace collapsed and
// its occurrence index among identical lines; never the line number, so lines inserted or
// removed elsewhere keep it. The file is a small JSON document, schema
// `subcheck-baseline` version 1 (docs/json-schema.md), written atomically.
#pragma once

#include <cstddef>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/finding.h"

namespace subcheck {

// A baseline file that cannot be read or is not a subcheck-baseline document (exit 2).
class BaselineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Baseline {
  std::string file;                    // as given on the command line
  std::set<std::string> fingerprints;  // the entries
};

// What --baseline did: reported in text and in the JSON report's `baseline` object.
struct BaselineOutcome {
  std::string file;
  std::size_t entries = 0;     // in the baseline file
  std::size_t suppressed = 0;  // findings left out because the baseline has them
  std::size_t stale = 0;       // entries no finding of this run matched (fixed or moved away)
};

Baseline read_baseline(const std::string& file);

// The fingerprints of `findings` (in report order, as AnalysisResult holds them), relative
// to `root`, the scanned directory (the file's directory for a single file).
std::vector<std::string> baseline_fingerprints(const std::vector<Finding>& findings, const std::filesystem::path& root);

// The baseline document recording `findings`.
nlohmann::json baseline_document(const std::vector<Finding>& findings, const std::filesystem::path& root);

// Drops the findings the baseline records from `findings` and counts what matched.
BaselineOutcome apply_baseline(std::vector<Finding>& findings, const Baseline& baseline,
                               const std::filesystem::path& root);

nlohmann::json baseline_outcome_json(const BaselineOutcome& outcome);
std::string format_baseline_outcome(const BaselineOutcome& outcome);  // one text line

// The directory fingerprints are relative to: `scanned` itself, or its directory for a file.
std::filesystem::path baseline_root(const std::filesystem::path& scanned);

}  // namespace subcheck
