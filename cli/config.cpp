#include "cli/config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "core/safe_file.h"
#include "rules/catalogue.h"

namespace subcheck {

std::optional<FailOn> parse_fail_on(std::string_view text) {
  if (text == "never") return FailOn::never;
  if (auto severity = parse_severity(text)) {
    switch (*severity) {
      case Severity::note: return FailOn::note;
      case Severity::warning: return FailOn::warning;
      case Severity::error: return FailOn::error;
    }
  }
  return std::nullopt;
}

std::string_view to_string(FailOn fail_on) {
  switch (fail_on) {
    case FailOn::note: return "note";
    case FailOn::warning: return "warning";
    case FailOn::error: return "error";
    case FailOn::never: return "never";
  }
  return "error";
}

namespace {

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

std::string key_error(const std::string& source_name, std::string_view key, std::string_view problem) {
  return source_name + ": [tool.subcheck] " + std::string(key) + ": " + std::string(problem);
}

// A rule list may be written as an array of strings or, for one rule, as a plain string.
std::vector<std::string> read_rule_list(const toml::node& node, const std::string& source_name, std::string_view key) {
  if (auto text = node.value<std::string>()) return {*text};
  const toml::array* array = node.as_array();
  if (array == nullptr) {
    throw ConfigError(key_error(source_name, key, "expected an array of rule ids or names"));
  }
  std::vector<std::string> rules;
  for (const toml::node& element : *array) {
    auto text = element.value<std::string>();
    if (!text) throw ConfigError(key_error(source_name, key, "every element must be a string"));
    rules.push_back(*text);
  }
  return rules;
}

FailOn read_fail_on(const toml::node& node, const std::string& source_name) {
  auto text = node.value<std::string>();
  if (!text) {
    throw ConfigError(key_error(source_name, "fail-on", "expected a string: " + std::string(kFailOnChoices)));
  }
  auto fail_on = parse_fail_on(*text);
  if (!fail_on) {
    throw ConfigError(
        key_error(source_name, "fail-on", "'" + *text + "' is not one of " + std::string(kFailOnChoices)));
  }
  return *fail_on;
}

}  // namespace

ProjectConfig parse_project_config(std::string_view toml_text, const std::string& source_name) {
  toml::table document;
  try {
    document = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    std::ostringstream message;
    message << source_name << ":" << error.source().begin.line << ":" << error.source().begin.column
            << ": invalid TOML: " << error.description();
    throw ConfigError(message.str());
  }
  ProjectConfig config;
  toml::node_view section = document["tool"]["subcheck"];
  if (!section) return config;
  const toml::table* table = section.as_table();
  if (table == nullptr) throw ConfigError(source_name + ": [tool.subcheck] must be a table");

  for (auto&& [key, node] : *table) {
    const std::string name(key.str());
    if (name == "select") {
      config.select = read_rule_list(node, source_name, name);
    } else if (name == "ignore") {
      config.ignore = read_rule_list(node, source_name, name);
    } else if (name == "fail-on") {
      config.fail_on = read_fail_on(node, source_name);
    } else {
      throw ConfigError(key_error(source_name, name, "unknown key (known: select, ignore, fail-on)"));
    }
  }
  return config;
}

std::optional<std::filesystem::path> project_config_path(const std::filesystem::path& scan_path) {
  std::error_code error;
  const bool is_directory = std::filesystem::is_directory(scan_path, error);
  const std::filesystem::path directory =
      is_directory ? scan_path : std::filesystem::absolute(scan_path, error).parent_path();
  std::filesystem::path candidate = directory / "pyproject.toml";
  if (std::filesystem::exists(candidate, error)) return candidate;
  return std::nullopt;
}

ProjectConfig load_project_config(const std::filesystem::path& scan_path) {
  auto path = project_config_path(scan_path);
  if (!path) return {};
  // A FIFO, a device or a symlink out of the tree must neither block nor be read.
  std::error_code error;
  std::filesystem::path target = std::filesystem::canonical(*path, error);
  std::filesystem::path tree = std::filesystem::canonical(path->parent_path(), error);
  if (!error && !is_within(target, tree)) {
    throw ConfigError(path->string() + ": a symlink to " + target.string() + ", outside the scanned tree; not read");
  }
  std::string text;
  try {
    text = read_regular_file(*path);
  } catch (const std::runtime_error& failure) {
    throw ConfigError(failure.what());
  }
  ProjectConfig config = parse_project_config(text, path->string());
  config.file = *path;
  return config;
}

std::set<std::string> match_rule_pattern(std::string_view pattern, const RuleCatalogue& rules) {
  const std::string wanted = lower(pattern);
  std::set<std::string> matched;
  if (wanted.empty()) return matched;
  for (const Rule& rule : rules.rules()) {
    const std::string id = lower(rule.id);
    if (id.starts_with(wanted) || lower(rule.name) == wanted) matched.insert(rule.id);
  }
  return matched;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// How far `text` is from a rule; small is close. Words of a name count as near hits so that
// "borrowed" finds borrowed-reference-api.
std::size_t rule_distance(std::string_view text, const Rule& rule) {
  const std::string wanted = lower(text);
  const std::string name = lower(rule.name);
  std::size_t distance = std::min(edit_distance(wanted, lower(rule.id)), edit_distance(wanted, name));
  if (wanted.size() >= 4 && name.find(wanted) != std::string::npos) distance = std::min<std::size_t>(distance, 1);
  return distance;
}

}  // namespace

std::vector<std::string> close_rule_matches(std::string_view text, const RuleCatalogue& rules, std::size_t limit) {
  // Ids are 5 characters: two edits is a typo, more is a different rule. Names are longer
  // and tolerate a few more.
  const std::size_t threshold = std::max<std::size_t>(2, text.size() / 4);
  std::vector<std::pair<std::size_t, const Rule*>> ranked;
  for (const Rule& rule : rules.rules()) {
    const std::size_t distance = rule_distance(text, rule);
    if (distance <= threshold) ranked.emplace_back(distance, &rule);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> matches;
  for (const auto& [distance, rule] : ranked) {
    if (matches.size() == limit) break;
    matches.push_back(rule->id + " (" + rule->name + ")");
  }
  return matches;
}

namespace {

std::set<std::string> resolve_patterns(const std::vector<std::string>& patterns, const RuleCatalogue& rules,
                                       std::string_view origin) {
  std::set<std::string> ids;
  for (const std::string& pattern : patterns) {
    std::set<std::string> matched = match_rule_pattern(pattern, rules);
    if (matched.empty()) {
      std::string message = std::string(origin) + ": '" + pattern + "' names no rule";
      std::vector<std::string> close = close_rule_matches(pattern, rules);
      if (!close.empty()) {
        message += "; did you mean ";
        for (std::size_t i = 0; i < close.size(); ++i) message += (i ? ", " : "") + close[i];
        message += "?";
      } else {
        message += " (see `subcheck rules`)";
      }
      throw ConfigError(message);
    }
    ids.insert(matched.begin(), matched.end());
  }
  return ids;
}

}  // namespace

RuleFilter RuleFilter::from_patterns(const std::vector<std::string>& select, const std::vector<std::string>& ignore,
                                     const RuleCatalogue& rules, std::string_view select_origin,
                                     std::string_view ignore_origin) {
  RuleFilter filter;
  if (!select.empty()) filter.selected_ = resolve_patterns(select, rules, select_origin);
  filter.ignored_ = resolve_patterns(ignore, rules, ignore_origin);
  return filter;
}

bool RuleFilter::enabled(std::string_view rule_id) const {
  const std::string id(rule_id);
  if (selected_ && !selected_->contains(id)) return false;
  return !ignored_.contains(id);
}

std::vector<std::string> RuleFilter::selected_ids() const {
  if (!selected_) return {};
  return {selected_->begin(), selected_->end()};
}

std::vector<std::string> RuleFilter::ignored_ids() const { return {ignored_.begin(), ignored_.end()}; }

std::size_t drop_disabled_findings(std::vector<Finding>& findings, const RuleFilter& filter) {
  const std::size_t before = findings.size();
  std::erase_if(findings, [&](const Finding& finding) { return !filter.enabled(finding.rule); });
  return before - findings.size();
}

int exit_code_for(const std::vector<Finding>& findings, FailOn fail_on) {
  if (fail_on == FailOn::never) return 0;
  const Severity threshold = fail_on == FailOn::note      ? Severity::note
                             : fail_on == FailOn::warning ? Severity::warning
                                                          : Severity::error;
  const bool failed = std::any_of(findings.begin(), findings.end(),
                                  [&](const Finding& finding) { return finding.severity >= threshold; });
  return failed ? 1 : 0;
}

}  // namespace subcheck
