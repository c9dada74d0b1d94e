#include "cli/coverage.h"

#include <algorithm>

namespace subcheck {

Coverage static_coverage(const AnalysisResult& result) {
  Coverage coverage;
  coverage.analysed = true;
  coverage.units_total = result.model.units.size();
  for (const TranslationUnitFacts& unit : result.model.units) {
    if (unit.parsed) ++coverage.units_parsed;
    if (unit.parsed && !unit.diagnostics.empty()) ++coverage.units_with_errors;
  }
  coverage.modules_found = result.model.modules.size();
  coverage.modules_unknown = static_cast<std::size_t>(
      std::count_if(result.diagnostics.begin(), result.diagnostics.end(),
                    [](const ToolDiagnostic& d) { return d.kind == DiagnosticKind::unknown_module; }));
  if (coverage.units_parsed < coverage.units_total) {
    coverage.incomplete.push_back(std::to_string(coverage.units_total - coverage.units_parsed) + " of " +
                                  std::to_string(coverage.units_total) +
                                  " translation units did not parse (see the diagnostics)");
  }
  if (coverage.modules_unknown > 0) {
    coverage.incomplete.push_back(std::to_string(coverage.modules_unknown) +
                                  (coverage.modules_unknown == 1 ? " module" : " modules") +
                                  " could not be judged (see the unknown-module diagnostics)");
  }
  return coverage;
}

namespace {

// Not tested where the interpreter should have answered: the subinterpreter verdict on a
// GIL build, the free-threading verdict on a free-threaded one (elsewhere `not-tested` is
// by design).
bool untested_here(const prober::ModuleProbeReport& report, const Interpreter& interpreter) {
  return interpreter.free_threaded ? report.free_threading == FreeThreadingVerdict::not_tested
                                   : report.subinterpreters == SubinterpreterVerdict::not_tested;
}

}  // namespace

void add_dynamic_coverage(Coverage& coverage, const std::vector<DynamicRun>& runs,
                          const std::vector<std::string>& unprobed,
                          const std::vector<std::string>& missing_interpreters,
                          const std::vector<std::string>& skipped) {
  coverage.probed = true;
  for (const DynamicRun& run : runs) {
    ProbeCoverage probes{run.interpreter.implementation_tag};
    probes.modules = run.run.modules.size();
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      probes.probes += report.evidence.size();
      if (untested_here(report, run.interpreter)) {
        ++probes.not_tested;
        coverage.incomplete.push_back(run.interpreter.implementation_tag + ": " + report.module +
                                      ": no probe could run (" + report.summary + ")");
      }
    }
    coverage.probes.push_back(std::move(probes));
  }
  for (const std::string& problem : unprobed) coverage.incomplete.push_back("not probed: " + problem);
  for (const std::string& missing : missing_interpreters) {
    coverage.incomplete.push_back("interpreter not found: " + missing);
  }
  coverage.skipped.insert(coverage.skipped.end(), skipped.begin(), skipped.end());
}

std::vector<std::string> skipped_problems(const std::vector<std::string>& problems,
                                          const std::vector<std::string>& unprobed) {
  std::vector<std::string> skipped;
  for (const std::string& problem : problems) {
    if (std::find(unprobed.begin(), unprobed.end(), problem) == unprobed.end()) skipped.push_back(problem);
  }
  return skipped;
}

nlohmann::json coverage_json(const Coverage& coverage) {
  nlohmann::json json = nlohmann::json::object();
  if (coverage.analysed) {
    json["units_parsed"] = coverage.units_parsed;
    json["units_total"] = coverage.units_total;
    json["units_with_errors"] = coverage.units_with_errors;
    json["modules_found"] = coverage.modules_found;
    json["modules_unknown"] = coverage.modules_unknown;
  }
  if (coverage.probed) {
    nlohmann::json probes = nlohmann::json::array();
    for (const ProbeCoverage& entry : coverage.probes) {
      probes.push_back({{"python", entry.python},
                        {"modules", entry.modules},
                        {"probes", entry.probes},
                        {"not_tested", entry.not_tested}});
    }
    json["probes"] = std::move(probes);
  }
  json["skipped"] = coverage.skipped;
  json["incomplete"] = coverage.incomplete;
  return json;
}

std::string static_coverage_phrase(const nlohmann::json& coverage) {
  if (!coverage.contains("units_total")) return {};
  auto count = [&](const char* key) { return std::to_string(coverage.value(key, std::size_t{0})); };
  std::string phrase = count("units_parsed") + " of " + count("units_total") + " translation units parsed, " +
                       count("modules_found") + " modules found";
  if (coverage.value("modules_unknown", std::size_t{0}) > 0) phrase += " (" + count("modules_unknown") + " unknown)";
  const std::size_t with_errors = coverage.value("units_with_errors", std::size_t{0});
  if (with_errors > 0) {
    phrase += ", " + count("units_with_errors") + (with_errors == 1 ? " unit" : " units") +
              " with parse errors (see the diagnostics)";
  }
  return phrase;
}

std::string format_coverage(const Coverage& coverage) {
  std::string line = "covered:";
  std::string separator = " ";
  if (coverage.analysed) {
    line += " " + static_coverage_phrase(coverage_json(coverage));
    separator = "; ";
  }
  if (coverage.probed) {
    line += separator + "probes:";
    if (coverage.probes.empty()) line += " none ran";
    for (std::size_t i = 0; i < coverage.probes.size(); ++i) {
      const ProbeCoverage& entry = coverage.probes[i];
      line += (i ? ", " : " ") + entry.python + ": " + std::to_string(entry.probes) + " probes on " +
              std::to_string(entry.modules) + " modules";
      if (entry.not_tested > 0) line += " (" + std::to_string(entry.not_tested) + " not tested)";
    }
  }
  if (!coverage.skipped.empty()) line += "; " + std::to_string(coverage.skipped.size()) + " skipped (see above)";
  line += "\n";
  for (const std::string& reason : coverage.incomplete) line += "incomplete: " + reason + "\n";
  return line;
}

int exit_code_with_coverage(int findings_code, const Coverage& coverage, bool fail_on_never) {
  if (findings_code != 0) return findings_code;
  if (!fail_on_never && !coverage.incomplete.empty()) return kExitIncomplete;
  return 0;
}

}  // namespace subcheck
