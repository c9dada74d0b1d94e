#include "report/probe_document.h"

#include "report/completeness.h"
#include "report/distributions.h"
#include "report/dynamic_report.h"
#include "report/tool_version.h"

namespace subcheck {

nlohmann::json probe_document(const std::string& target, const std::vector<DynamicRun>& runs,
                              const std::vector<std::string>& problems, const std::string& incomplete_reason) {
  nlohmann::json document = {{"schema", "subcheck-probe"},
                             {"version", 1},
                             {"tool", {{"name", "subcheck"}, {"version", tool_version()}}},
                             {"target", target}};
  document.update(dynamic_json(runs, problems));
  // Distributions probed by name (an audit, a requirements file, an installed one).
  const std::vector<DistributionVerdict> distributions = distribution_verdicts(runs);
  if (!distributions.empty()) document["distributions"] = distributions_json(distributions);
  mark_completeness(document, incomplete_reason);
  return document;
}

}  // namespace subcheck
