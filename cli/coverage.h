// What a run covered and what it could not: units parsed, modules found, probes run per
// Python, what was skipped and why. Every report carries it (a `coverage` object in JSON,
// a `covered:` line in text), and a run whose answer is incomplete exits 3 (docs/cli.md,
// "Exit codes"): an answer subcheck could not give is never a pass.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/analyze.h"
#include "cli/config.h"
#include "report/dynamic_report.h"

namespace subcheck {

inline constexpr int kExitIncomplete = 3;

struct ProbeCoverage {
  std::string python;          // the interpreter's implementation tag ("3.13t")
  std::size_t modules = 0;     // modules found on it
  std::size_t probes = 0;      // probe children whose evidence is reported
  std::size_t not_tested = 0;  // modules no probe could judge there
};

struct Coverage {
  bool analysed = false;  // a static analysis ran
  std::size_t units_parsed = 0;
  std::size_t units_total = 0;
  // Of units_parsed, those with parse errors: a missing header's names, and whatever used
  // them, may be missing from what the analysis saw (python-ldap without libldap's header:
  // every unit parses, some with errors).
  std::size_t units_with_errors = 0;
  std::size_t modules_found = 0;
  std::size_t modules_unknown = 0;      // static verdict `unknown`
  bool probed = false;                  // the prober ran (or was asked to)
  std::vector<ProbeCoverage> probes;    // one per interpreter probed with
  std::vector<std::string> skipped;     // what was left out, and why (not an incomplete answer)
  std::vector<std::string> incomplete;  // why the answer is incomplete; empty: it is complete
};

Coverage static_coverage(const AnalysisResult& result);

// `unprobed`: targets that could not be read on an interpreter; `missing_interpreters`:
// --python values that named no usable interpreter; `skipped`: discovery warnings.
void add_dynamic_coverage(Coverage& coverage, const std::vector<DynamicRun>& runs,
                          const std::vector<std::string>& unprobed,
                          const std::vector<std::string>& missing_interpreters,
                          const std::vector<std::string>& skipped);

// The problems of a probe run that are not in `unprobed`: what discovery skipped, and why.
std::vector<std::string> skipped_problems(const std::vector<std::string>& problems,
                                          const std::vector<std::string>& unprobed);

nlohmann::json coverage_json(const Coverage& coverage);

// What a static analysis covered, from a report's `coverage` object, in the words every
// format uses: "4 of 4 translation units parsed, 3 modules found (1 unknown), 2 units with
// parse errors (see the diagnostics)". Empty when no static analysis ran.
std::string static_coverage_phrase(const nlohmann::json& coverage);

// "covered: 4 of 4 translation units parsed, 3 modules found (1 unknown), 2 units with
// parse errors (see the diagnostics); probes: 3.13: 12 probes on 3 modules, 3.13t: ..."
// then one "incomplete: ..." line per reason.
std::string format_coverage(const Coverage& coverage);

// 1 when findings (or probe failures) reach --fail-on: it wins over 3, since it is a definite
// answer that something must change, whatever the unchecked part holds. Else 3 when the
// answer is incomplete, unless --fail-on never; else 0.
int exit_code_with_coverage(int findings_code, const Coverage& coverage, bool fail_on_never);

}  // namespace subcheck
