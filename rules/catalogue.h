// The rule catalogue: one TOML file per rule in rules/, compiled into the binary so an
// installed subcheck needs nothing beside it. Read once; everything else borrows from it.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"
#include "core/vocabulary.h"

namespace subcheck {

enum class RuleCategory { subinterpreters, free_threading };
std::string_view to_string(RuleCategory category);

// The module's own claim under which a rule's findings lower a verdict (docs/rules.md,
// "Verdicts"): always, or only when the module declares what the finding contradicts.
enum class VerdictClaim { always, declares_per_interpreter_gil, declares_gil_not_used };
std::string_view to_string(VerdictClaim claim);

// What a finding of the rule does to its module's verdicts: the verdict it lowers the
// module to, in the default build (subinterpreters) or the free-threaded one, and when.
// Rules without a [verdict] table never change a verdict, whatever their severity.
struct VerdictEffect {
  std::optional<SubinterpreterVerdict> subinterpreters;
  std::optional<FreeThreadingVerdict> free_threading;
  VerdictClaim when = VerdictClaim::always;
};

struct Rule {
  std::string id;    // stable: "SI001"
  std::string name;  // stable, readable: "single-phase-init"
  Severity severity = Severity::warning;
  RuleCategory category = RuleCategory::subinterpreters;
  std::string summary;  // one line, used as the default message
  std::string what;
  std::string why;
  std::string example;  // code that triggers the rule
  std::string fix;      // what to do instead, with code
  std::string hint;     // one line shown under a diagnostic
  std::vector<std::string> references;
  // Rule-specific data, e.g. the replacement for each borrowed-reference API.
  std::map<std::string, std::string> data;
  // Named sub-tables of [data] (`[data.thread_start]`), each a table of string to string:
  // further lists a check reads besides the APIs it matches (SI008's thread-creating and
  // synchronous-callback APIs). Kept apart so `data` stays exactly the matched APIs.
  std::map<std::string, std::map<std::string, std::string>> data_tables;
  std::optional<VerdictEffect> verdict;  // the [verdict] table
  // Rules whose finding this one's replaces where both point at the same place for the
  // same modules: SI004 says what SI005-SI007 say there, and why it is worse.
  std::vector<std::string> supersedes;
};

class RuleCatalogueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RuleCatalogue {
 public:
  // Parses TOML documents (name -> text). Throws RuleCatalogueError naming the file
  // and the field on a missing field, a bad severity or a duplicate id or name.
  static RuleCatalogue from_sources(const std::map<std::string, std::string>& sources);
  // The catalogue compiled into this binary from rules/*.toml.
  static const RuleCatalogue& builtin();

  // Subinterpreter (SI) rules first, then free-threading (FT) rules, each in id order.
  const std::vector<Rule>& rules() const { return rules_; }
  // By id ("SI001") or name ("single-phase-init"), case-insensitive.
  const Rule* find(std::string_view id_or_name) const;
  const Rule& at(std::string_view id) const;  // throws std::out_of_range

 private:
  std::vector<Rule> rules_;
};

}  // namespace subcheck
