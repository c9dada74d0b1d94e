// What the user asked for beyond the path: which rules to report, when to fail, and the
// project's own `[tool.subcheck]` table in pyproject.toml. The command line wins over the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/finding.h"

namespace subcheck {

class RuleCatalogue;

// A bad option value or a bad configuration file: reported to the user, exit code 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The lowest severity that makes `subcheck scan` exit with 1.
enum class FailOn { note, warning, error, never };
std::optional<FailOn> parse_fail_on(std::string_view text);
std::string_view to_string(FailOn fail_on);
inline constexpr std::string_view kFailOnChoices = "error, warning, note or never";

// `[tool.subcheck]` of a pyproject.toml. Only keys that were present are set.
struct ProjectConfig {
  std::optional<std::filesystem::path> file;  // the pyproject.toml read, if any
  std::optional<std::vector<std::string>> select;
  std::optional<std::vector<std::string>> ignore;
  std::optional<FailOn> fail_on;
};

// Parses a pyproject.toml text. A document without [tool.subcheck] gives an empty config.
// Throws ConfigError naming `source_name` and the key on invalid TOML, an unknown key or a
// value of the wrong type. Rule names are checked later, against the catalogue.
ProjectConfig parse_project_config(std::string_view toml_text, const std::string& source_name);

// The pyproject.toml that belongs to a scan target: PATH/pyproject.toml for a directory,
// the one beside the file for a single file. nullopt when there is none.
std::optional<std::filesystem::path> project_config_path(const std::filesystem::path& scan_path);

// Reads and parses the target's pyproject.toml; an empty config when there is none.
// Throws ConfigError when the file exists but cannot be read or is invalid.
ProjectConfig load_project_config(const std::filesystem::path& scan_path);

// Which rules are reported. Patterns are rule ids ("SI006"), rule names
// ("global-python-object") or id prefixes ("FT", "SI00"), case-insensitive.
class RuleFilter {
 public:
  RuleFilter() = default;  // everything enabled
  // Throws ConfigError naming `origin` (e.g. "--select" or "pyproject.toml: select") and the
  // pattern, with close matches, when a pattern names no rule.
  static RuleFilter from_patterns(const std::vector<std::string>& select, const std::vector<std::string>& ignore,
                                  const RuleCatalogue& rules, std::string_view select_origin,
                                  std::string_view ignore_origin);

  bool enabled(std::string_view rule_id) const;
  // Resolved rule ids, for reports. An empty `selected` with `select_all` means every rule.
  bool select_all() const { return !selected_.has_value(); }
  std::vector<std::string> selected_ids() const;
  std::vector<std::string> ignored_ids() const;

 private:
  std::optional<std::set<std::string>> selected_;
  std::set<std::string> ignored_;
};

// Rule ids matched by one pattern; empty when it matches nothing.
std::set<std::string> match_rule_pattern(std::string_view pattern, const RuleCatalogue& rules);

// Up to `limit` rules whose id or name is close to `text` (typos, missing digits), best first,
// spelled "SI001 (single-phase-init)".
std::vector<std::string> close_rule_matches(std::string_view text, const RuleCatalogue& rules, std::size_t limit = 3);

// Removes findings of rules the filter disables; returns how many were removed.
std::size_t drop_disabled_findings(std::vector<Finding>& findings, const RuleFilter& filter);

// 1 when any finding is at or above `fail_on`, else 0.
int exit_code_for(const std::vector<Finding>& findings, FailOn fail_on);

}  // namespace subcheck
