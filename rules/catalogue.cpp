#include "rules/catalogue.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h>  // Debian's TOML++ 3.3 ships the header under this name
#endif

namespace subcheck {

// Defined in embedded_rules.cpp, generated from rules/*.toml by embed_rules.cmake.
const std::map<std::string, std::string>& embedded_rule_sources();

namespace {

constexpr std::array<std::string_view, 10> kRequiredTextFields{"id",   "name", "severity", "category", "summary",
                                                               "hint", "what", "why",      "example",  "fix"};
constexpr std::array<std::string_view, 4> kOtherFields{"references", "data", "verdict", "supersedes"};

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw RuleCatalogueError(source + ": " + message);
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

bool is_known_field(std::string_view key) {
  auto matches = [key](std::string_view field) { return field == key; };
  return std::any_of(kRequiredTextFields.begin(), kRequiredTextFields.end(), matches) ||
         std::any_of(kOtherFields.begin(), kOtherFields.end(), matches);
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
}

// TOML multi-line strings keep the newline before the closing quotes; the catalogue's
// consumers indent and print the text themselves, so it is stored without it.
std::string trim_trailing_space(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

toml::table parse_document(const std::string& source, const std::string& text) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    fail(source, "malformed TOML at line " + std::to_string(begin.line) + ", column " + std::to_string(begin.column) +
                     ": " + std::string(error.description()));
  }
}

void reject_unknown_fields(const std::string& source, const toml::table& table) {
  for (const auto& [key, node] : table) {
    if (!is_known_field(key.str())) fail(source, "unknown field " + quoted(key.str()));
  }
}

std::string required_text(const std::string& source, const toml::table& table, std::string_view field) {
  const toml::node* node = table.get(field);
  if (node == nullptr) fail(source, "missing field " + quoted(field));
  const auto* text = node->as_string();
  if (text == nullptr) fail(source, "field " + quoted(field) + " must be a string");
  if (is_blank(text->get())) fail(source, "empty field " + quoted(field));
  return trim_trailing_space(text->get());
}

// The summary and the hint are shown on one line under a diagnostic or in a table.
void require_one_line(const std::string& source, std::string_view field, const std::string& text) {
  if (text.find('\n') != std::string::npos) fail(source, "field " + quoted(field) + " must be one line");
}

// "SI" or "FT" followed by three digits.
bool is_well_formed_id(std::string_view id) {
  if (id.size() != 5 || !(id.starts_with("SI") || id.starts_with("FT"))) return false;
  return std::all_of(id.begin() + 2, id.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Lower-case words of letters and digits joined by single '-': "single-phase-init".
bool is_well_formed_name(std::string_view name) {
  if (name.empty() || name.front() == '-' || name.back() == '-') return false;
  if (name.find("--") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; });
}

std::optional<RuleCategory> parse_category(std::string_view text) {
  if (text == "subinterpreters") return RuleCategory::subinterpreters;
  if (text == "free-threading") return RuleCategory::free_threading;
  return std::nullopt;
}

std::string_view id_prefix_of(RuleCategory category) { return category == RuleCategory::subinterpreters ? "SI" : "FT"; }

std::vector<std::string> parse_references(const std::string& source, const toml::table& table) {
  const toml::node* node = table.get("references");
  if (node == nullptr) fail(source, "missing field 'references'");
  const toml::array* array = node->as_array();
  if (array == nullptr) fail(source, "field 'references' must be an array of URLs");
  if (array->empty()) fail(source, "field 'references' is empty");
  std::vector<std::string> references;
  for (std::size_t i = 0; i < array->size(); ++i) {
    std::optional<std::string> url = (*array)[i].value<std::string>();
    if (!url || !url->starts_with("https://") || url->size() == 8 || url->find_first_of(" \t\n") != std::string::npos) {
      fail(source, "reference " + std::to_string(i + 1) + " is not an https URL");
    }
    references.push_back(*url);
  }
  return references;
}

std::vector<std::string> parse_supersedes(const std::string& source, const toml::table& table) {
  std::vector<std::string> ids;
  const toml::node* node = table.get("supersedes");
  if (node == nullptr) return ids;
  const toml::array* array = node->as_array();
  if (array == nullptr) fail(source, "field 'supersedes' must be an array of rule ids");
  for (const toml::node& element : *array) {
    std::optional<std::string> id = element.value<std::string>();
    if (!id || !is_well_formed_id(*id)) fail(source, "field 'supersedes' must be an array of rule ids");
    ids.push_back(*id);
  }
  return ids;
}

std::map<std::string, std::string> parse_string_table(const std::string& source, const std::string& where,
                                                      const toml::table& entries) {
  std::map<std::string, std::string> data;
  for (const auto& [key, value] : entries) {
    const auto* text = value.as_string();
    if (text == nullptr) fail(source, where + " entry " + quoted(key.str()) + " must be a string");
    data.emplace(std::string(key.str()), text->get());
  }
  return data;
}

// [data]: string entries are the APIs the check matches; a sub-table (`[data.NAME]`) is a
// further named list of strings (Rule::data_tables).
void parse_data(const std::string& source, const toml::table& table, Rule& rule) {
  const toml::node* node = table.get("data");
  if (node == nullptr) return;
  const toml::table* entries = node->as_table();
  if (entries == nullptr) fail(source, "field 'data' must be a table of strings");
  toml::table direct;
  for (const auto& [key, value] : *entries) {
    if (const toml::table* sub = value.as_table()) {
      rule.data_tables.emplace(std::string(key.str()),
                               parse_string_table(source, "data." + std::string(key.str()), *sub));
    } else {
      direct.insert(key, value);
    }
  }
  rule.data = parse_string_table(source, "data", direct);
}

// The verdicts a rule may lower a module to: only outcomes worse than what the module's
// own declarations give (static_verdicts.cpp ranks them).
std::optional<SubinterpreterVerdict> parse_lowered_subinterpreters(std::string_view text) {
  auto verdict = parse_subinterpreter_verdict(text);
  if (verdict == SubinterpreterVerdict::unsupported || verdict == SubinterpreterVerdict::unsafe) return verdict;
  return std::nullopt;
}

std::optional<FreeThreadingVerdict> parse_lowered_free_threading(std::string_view text) {
  auto verdict = parse_free_threading_verdict(text);
  if (verdict == FreeThreadingVerdict::requires_gil || verdict == FreeThreadingVerdict::unsafe) return verdict;
  return std::nullopt;
}

std::optional<VerdictClaim> parse_claim(std::string_view text) {
  for (VerdictClaim claim :
       {VerdictClaim::always, VerdictClaim::declares_per_interpreter_gil, VerdictClaim::declares_gil_not_used}) {
    if (to_string(claim) == text) return claim;
  }
  return std::nullopt;
}

std::string verdict_text(const std::string& source, const toml::table& verdict, std::string_view key) {
  const auto* text = verdict.get(key) ? verdict.get(key)->as_string() : nullptr;
  if (text == nullptr) fail(source, "field 'verdict." + std::string(key) + "' must be a string");
  return text->get();
}

// [verdict] subinterpreters = "unsafe" | "unsupported", free-threading = "unsafe" |
// "requires-gil" (at least one), when = "always" | "declares-per-interpreter-gil" |
// "declares-gil-not-used" (required).
std::optional<VerdictEffect> parse_verdict(const std::string& source, const toml::table& table) {
  const toml::node* node = table.get("verdict");
  if (node == nullptr) return std::nullopt;
  const toml::table* verdict = node->as_table();
  if (verdict == nullptr) fail(source, "field 'verdict' must be a table");
  VerdictEffect effect;
  for (const auto& [key, value] : *verdict) {
    const std::string name(key.str());
    if (name != "subinterpreters" && name != "free-threading" && name != "when") {
      fail(source, "unknown field 'verdict." + name + "' (known: subinterpreters, free-threading, when)");
    }
    const std::string text = verdict_text(source, *verdict, name);
    if (name == "subinterpreters") {
      effect.subinterpreters = parse_lowered_subinterpreters(text);
      if (!effect.subinterpreters)
        fail(source, "bad verdict.subinterpreters " + quoted(text) + " (want unsupported or unsafe)");
    } else if (name == "free-threading") {
      effect.free_threading = parse_lowered_free_threading(text);
      if (!effect.free_threading)
        fail(source, "bad verdict.free-threading " + quoted(text) + " (want unsafe or requires-gil)");
    } else {
      std::optional<VerdictClaim> claim = parse_claim(text);
      if (!claim) {
        fail(source, "bad verdict.when " + quoted(text) +
                         " (want always, declares-per-interpreter-gil or declares-gil-not-used)");
      }
      effect.when = *claim;
    }
  }
  if (!verdict->contains("when")) fail(source, "missing field 'verdict.when'");
  if (!effect.subinterpreters && !effect.free_threading) {
    fail(source, "field 'verdict' lowers nothing (give subinterpreters or free-threading)");
  }
  return effect;
}

Rule parse_rule(const std::string& source, const std::string& text) {
  const toml::table table = parse_document(source, text);
  reject_unknown_fields(source, table);
  for (std::string_view field : kRequiredTextFields) required_text(source, table, field);

  Rule rule;
  rule.id = required_text(source, table, "id");
  if (!is_well_formed_id(rule.id)) {
    fail(source, "bad id " + quoted(rule.id) + " (want SI or FT followed by three digits)");
  }
  rule.name = required_text(source, table, "name");
  if (!is_well_formed_name(rule.name)) {
    fail(source, "bad name " + quoted(rule.name) + " (want lower-case words joined by '-')");
  }
  const std::string severity = required_text(source, table, "severity");
  std::optional<Severity> parsed_severity = parse_severity(severity);
  if (!parsed_severity) fail(source, "bad severity " + quoted(severity) + " (want note, warning or error)");
  rule.severity = *parsed_severity;
  const std::string category = required_text(source, table, "category");
  std::optional<RuleCategory> parsed_category = parse_category(category);
  if (!parsed_category) {
    fail(source, "bad category " + quoted(category) + " (want subinterpreters or free-threading)");
  }
  rule.category = *parsed_category;
  if (!rule.id.starts_with(id_prefix_of(rule.category))) {
    fail(source, "id " + rule.id + " does not match category " + quoted(category) + " (its ids start with " +
                     std::string(id_prefix_of(rule.category)) + ")");
  }
  rule.summary = required_text(source, table, "summary");
  require_one_line(source, "summary", rule.summary);
  rule.hint = required_text(source, table, "hint");
  require_one_line(source, "hint", rule.hint);
  rule.what = required_text(source, table, "what");
  rule.why = required_text(source, table, "why");
  rule.example = required_text(source, table, "example");
  rule.fix = required_text(source, table, "fix");
  rule.references = parse_references(source, table);
  parse_data(source, table, rule);
  rule.verdict = parse_verdict(source, table);
  rule.supersedes = parse_supersedes(source, table);
  return rule;
}

// Subinterpreter rules first, then free-threading ones, each in id order: the order the
// catalogue is listed in, whatever the file names.
bool catalogue_order(const Rule& a, const Rule& b) {
  if (a.category != b.category) return a.category == RuleCategory::subinterpreters;
  return a.id < b.id;
}

}  // namespace

std::string_view to_string(RuleCategory category) {
  return category == RuleCategory::subinterpreters ? "subinterpreters" : "free-threading";
}

std::string_view to_string(VerdictClaim claim) {
  switch (claim) {
    case VerdictClaim::always: return "always";
    case VerdictClaim::declares_per_interpreter_gil: return "declares-per-interpreter-gil";
    case VerdictClaim::declares_gil_not_used: return "declares-gil-not-used";
  }
  return "always";
}

RuleCatalogue RuleCatalogue::from_sources(const std::map<std::string, std::string>& sources) {
  RuleCatalogue catalogue;
  std::map<std::string, std::string> source_of_id;
  std::map<std::string, std::string> source_of_name;
  for (const auto& [source, text] : sources) {
    Rule rule = parse_rule(source, text);
    if (auto [it, inserted] = source_of_id.try_emplace(rule.id, source); !inserted) {
      fail(source, "duplicate id " + rule.id + " (also in " + it->second + ")");
    }
    if (auto [it, inserted] = source_of_name.try_emplace(rule.name, source); !inserted) {
      fail(source, "duplicate name " + rule.name + " (also in " + it->second + ")");
    }
    catalogue.rules_.push_back(std::move(rule));
  }
  for (const Rule& rule : catalogue.rules_) {
    for (const std::string& id : rule.supersedes) {
      if (!source_of_id.contains(id) || id == rule.id) {
        fail(source_of_id.at(rule.id), "supersedes " + quoted(id) + ", which is not another rule of the catalogue");
      }
    }
  }
  std::sort(catalogue.rules_.begin(), catalogue.rules_.end(), catalogue_order);
  return catalogue;
}

const RuleCatalogue& RuleCatalogue::builtin() {
  // Parsed once. An invalid embedded catalogue is a build defect: the RuleCatalogueError
  // (which names the file) propagates to every caller, and the next call tries again.
  static const RuleCatalogue catalogue = [] {
    RuleCatalogue parsed = from_sources(embedded_rule_sources());
    if (parsed.rules().empty()) throw RuleCatalogueError("rules/: no rule files were embedded");
    return parsed;
  }();
  return catalogue;
}

const Rule* RuleCatalogue::find(std::string_view id_or_name) const {
  for (const Rule& rule : rules_) {
    if (equals_ignore_case(rule.id, id_or_name) || equals_ignore_case(rule.name, id_or_name)) return &rule;
  }
  return nullptr;
}

const Rule& RuleCatalogue::at(std::string_view id) const {
  const Rule* rule = find(id);
  if (rule == nullptr) throw std::out_of_range("no rule " + quoted(id) + " in the catalogue");
  return *rule;
}

}  // namespace subcheck
