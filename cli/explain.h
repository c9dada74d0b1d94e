// `subcheck rules` and `subcheck explain`: the catalogue as a person reads it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace subcheck {

class RuleCatalogue;
struct Rule;

// One row per rule: id, name, severity, category, summary.
std::string format_rules_table(const RuleCatalogue& rules);
// [{"id", "name", "severity", "category", "summary", "hint", "references"}, ...]
nlohmann::json rules_json(const RuleCatalogue& rules);

// Everything about one rule: what it finds, why it matters, an example, the fix, references.
std::string format_explanation(const Rule& rule);

// "no rule 'SI01'; did you mean SI001 (single-phase-init)?" or a pointer to `subcheck rules`.
std::string unknown_rule_message(const std::string& text, const RuleCatalogue& rules);

}  // namespace subcheck
