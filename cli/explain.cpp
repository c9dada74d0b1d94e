#include "cli/explain.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "cli/config.h"
#include "rules/catalogue.h"

namespace subcheck {

namespace {

// Text from the catalogue, indented as a block; blank lines stay blank.
std::string indented(const std::string& text, std::string_view indent) {
  std::istringstream in(text);
  std::string line, result;
  while (std::getline(in, line)) {
    if (!line.empty()) result += std::string(indent) + line;
    result += "\n";
  }
  while (result.size() >= 2 && result.ends_with("\n\n")) result.pop_back();
  return result;
}

// One paragraph, re-flowed to `width` columns (the catalogue's summaries are one long line).
std::string wrapped(const std::string& text, std::string_view indent, std::size_t width = 88) {
  std::istringstream words(text);
  std::string result, line, word;
  while (words >> word) {
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      result += std::string(indent) + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) result += std::string(indent) + line + "\n";
  return result;
}

void section(std::string& out, std::string_view title, const std::string& body) {
  if (body.empty()) return;
  out += "\n" + std::string(title) + "\n" + indented(body, "  ");
}

}  // namespace

std::string format_rules_table(const RuleCatalogue& rules) {
  const std::vector<std::string> header{"id", "name", "severity", "category", "summary"};
  std::vector<std::vector<std::string>> rows;
  for (const Rule& rule : rules.rules()) {
    rows.push_back({rule.id, rule.name, std::string(to_string(rule.severity)), std::string(to_string(rule.category)),
                    rule.summary});
  }
  std::vector<std::size_t> widths;
  for (const std::string& title : header) widths.push_back(title.size());
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      text += cells[c];
      if (c + 1 < cells.size()) text += std::string(widths[c] + 2 - cells[c].size(), ' ');
    }
    return text + "\n";
  };
  std::string text = line(header);
  for (const auto& row : rows) text += line(row);
  return text;
}

nlohmann::json rules_json(const RuleCatalogue& rules) {
  nlohmann::json list = nlohmann::json::array();
  for (const Rule& rule : rules.rules()) {
    list.push_back({{"id", rule.id},
                    {"name", rule.name},
                    {"severity", to_string(rule.severity)},
                    {"category", to_string(rule.category)},
                    {"summary", rule.summary},
                    {"hint", rule.hint},
                    {"references", rule.references}});
  }
  return list;
}

std::string format_explanation(const Rule& rule) {
  std::string out = rule.id + " " + rule.name + " (" + std::string(to_string(rule.severity)) + ", " +
                    std::string(to_string(rule.category)) + ")\n";
  if (!rule.summary.empty()) out += "\n" + wrapped(rule.summary, "  ");
  section(out, "What it finds", rule.what);
  section(out, "Why it matters", rule.why);
  section(out, "Example", rule.example);
  section(out, "Fix", rule.fix);
  if (!rule.references.empty()) {
    out += "\nReferences\n";
    for (const std::string& reference : rule.references) out += "  - " + reference + "\n";
  }
  out += "\nSilence one line with `// subcheck: ignore[" + rule.id + "]`, or the rule with --ignore " + rule.id + ".\n";
  return out;
}

std::string unknown_rule_message(const std::string& text, const RuleCatalogue& rules) {
  std::string message = "no rule '" + text + "'";
  std::vector<std::string> close = close_rule_matches(text, rules);
  if (close.empty()) return message + "; `subcheck rules` lists them all";
  message += "; did you mean ";
  for (std::size_t i = 0; i < close.size(); ++i) {
    if (i > 0) message += i + 1 == close.size() ? " or " : ", ";
    message += close[i];
  }
  return message + "?";
}

}  // namespace subcheck
