// A check reads the model and reports findings of one rule. One check per file in
// analyzer/checks/, one rule TOML per check in rules/, cases in corpus/.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/module_model.h"
#include "core/finding.h"

namespace subcheck {

struct Rule;
class RuleCatalogue;

class FindingSink {
 public:
  virtual ~FindingSink() = default;
  virtual void report(const SourceLocation& location, std::string message, std::vector<std::string> modules) = 0;
};

struct CheckContext {
  const AnalysisModel& model;
  BuildConfig config;
  const Rule& rule;  // the rule this check reports, with its data
  FindingSink& sink;
  const RuleCatalogue& catalogue;  // every rule, for a check that composes others (SI004)
};

class Check {
 public:
  virtual ~Check() = default;
  virtual std::string_view rule_id() const = 0;
  // Configurations in which the check runs (both unless it is about one build).
  virtual bool applies_to(BuildConfig) const { return true; }
  virtual void run(CheckContext& context) const = 0;
};

// A check of a free-threading rule: it judges the free-threaded parse alone, since code
// only the default build compiles (`#ifndef Py_GIL_DISABLED`) never runs on a
// free-threaded interpreter (docs/rules.md, "judged in").
class FreeThreadedCheck : public Check {
 public:
  bool applies_to(BuildConfig config) const final { return config == BuildConfig::free_threaded; }
};

std::vector<std::unique_ptr<Check>> make_all_checks();

}  // namespace subcheck
