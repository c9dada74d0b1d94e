#include "core/finding.h"

#include <algorithm>
#include <tuple>

namespace subcheck {
namespace {

template <typename T>
void add_missing(std::vector<T>& into, std::vector<T>& from) {
  for (T& value : from) {
    if (std::find(into.begin(), into.end(), value) == into.end()) into.push_back(std::move(value));
  }
}

}  // namespace

void FindingSet::add(Finding finding) {
  auto [found, inserted] = index_.try_emplace(std::make_pair(finding.rule, finding.location), findings_.size());
  if (inserted) {
    findings_.push_back(std::move(finding));
    return;
  }
  Finding& kept = findings_[found->second];
  add_missing(kept.configs, finding.configs);
  add_missing(kept.modules, finding.modules);
}

std::vector<Finding> FindingSet::take() {
  std::vector<Finding> merged = std::move(findings_);
  findings_.clear();
  index_.clear();
  for (Finding& finding : merged) {
    std::sort(finding.configs.begin(), finding.configs.end());
    std::sort(finding.modules.begin(), finding.modules.end());
  }
  std::stable_sort(merged.begin(), merged.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.location, a.rule) < std::tie(b.location, b.rule);
  });
  return merged;
}

}  // namespace subcheck
