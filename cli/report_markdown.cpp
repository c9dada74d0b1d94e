#include "cli/report_markdown.h"

#include <algorithm>
#include <map>
#include <vector>

#include "cli/coverage.h"
#include "core/finding.h"
#include "rules/catalogue.h"

namespace subcheck {

using nlohmann::json;

namespace {

// Markdown table cells and link texts from hostile input: no HTML, no pipes, one line.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '`')
      out += "'";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else if (c == '[' || c == ']' || c == '*' || c == '_' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

// `text` as a code span in a table: only backticks (none inside a span), pipes (still
// table syntax in GFM) and line breaks matter there.
std::string code(std::string_view text) {
  std::string out = "`";
  for (char c : text) {
    if (c == '`')
      out += '\'';
    else if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else
      out += c;
  }
  return out + "`";
}

// Link targets: spaces and parentheses would end or break them.
std::string link_target(std::string_view target) {
  std::string out;
  for (char c : target) {
    if (c == ' ')
      out += "%20";
    else if (c == '(')
      out += "%28";
    else if (c == ')')
      out += "%29";
    else if (c == '<' || c == '>' || c == '\n' || c == '\r')
      continue;
    else
      out += c;
  }
  return out;
}

// Appends lines while they fit in the byte budget; what does not fit is counted per
// section, so the note at the end can say what was cut.
class Budget {
 public:
  explicit Budget(std::size_t limit) : limit_(limit) {}
  bool add(const std::string& line) {
    if (text_.size() + line.size() + 1 > limit_) return false;
    text_ += line;
    text_ += '\n';
    return true;
  }
  // Lines of one section: each that does not fit is counted as cut under `what`.
  void add_or_cut(const std::string& line, const std::string& what) {
    if (!add(line)) ++cut_[what];
  }
  const std::map<std::string, std::size_t>& cut() const { return cut_; }
  std::string& text() { return text_; }

 private:
  std::size_t limit_;
  std::string text_;
  std::map<std::string, std::size_t> cut_;
};

int severity_rank(const json& finding) {
  switch (parse_severity(finding.value("severity", "note")).value_or(Severity::note)) {
    case Severity::error: return 0;
    case Severity::warning: return 1;
    case Severity::note: return 2;
  }
  return 2;
}

// A rule id, linked to its documentation when the docs are published on the web
// (SUBCHECK_DOCS_URI); a file:// link to the installed docs would not open from a summary.
std::string rule_reference(const std::string& id) {
  if (docs_uri("").starts_with("file:")) return code(id);
  return "[" + cell(id) + "](" + link_target(rule_docs_uri(id)) + ")";
}

std::string file_link(const json& located, const FormatContext& context) {
  std::optional<ReportLocation> where = report_location(located, context.source_root);
  if (!where) return "";
  std::string shown = where->path + (where->line ? ":" + std::to_string(where->line) : "");
  if (!where->relative) return code(shown);
  std::string target = context.link_base + where->path + (where->line ? "#L" + std::to_string(where->line) : "");
  return "[" + cell(shown) + "](" + link_target(target) + ")";
}

void write_header(Budget& budget, const json& report, const FormatContext& context) {
  const bool scan = report.contains("findings");
  std::string what = scan ? report.value("root", "") : report.value("target", "");
  // Shown as given relative to the source root, so the summary does not depend on the machine.
  if (std::optional<ReportLocation> where = report_location({{"file", what}}, context.source_root)) {
    what = where->path.empty() || where->path == "." ? "." : where->path;
  }
  budget.add("## subcheck " + std::string(scan ? "scan" : "probe") + ": " + cell(what));
  budget.add("");
  if (scan) {
    const json summary = report.value("summary", json::object());
    budget.add("**" + std::to_string(summary.value("findings", 0)) + " findings** (" +
               std::to_string(summary.value("errors", 0)) + " errors, " + std::to_string(summary.value("warnings", 0)) +
               " warnings, " + std::to_string(summary.value("notes", 0)) + " notes) in " +
               std::to_string(summary.value("modules", 0)) + " modules; " +
               std::to_string(summary.value("suppressed", 0)) + " suppressed in the source.");
    budget.add("");
  }
}

void write_coverage(Budget& budget, const json& report) {
  const json coverage = report.value("coverage", json::object());
  std::string line = "**Covered:**";
  if (coverage.contains("units_total")) line += " " + cell(static_coverage_phrase(coverage)) + ".";
  for (const json& probes : coverage.value("probes", json::array())) {
    line += " " + cell(probes.value("python", "")) + ": " + std::to_string(probes.value("probes", 0)) + " probes on " +
            std::to_string(probes.value("modules", 0)) + " modules.";
  }
  budget.add(line);
  for (const json& reason : coverage.value("incomplete", json::array())) {
    if (reason.is_string())
      budget.add_or_cut("- ❔ **incomplete:** " + cell(reason.get<std::string>()), "coverage lines");
  }
  for (const json& skipped : coverage.value("skipped", json::array())) {
    if (skipped.is_string()) budget.add_or_cut("- skipped: " + cell(skipped.get<std::string>()), "coverage lines");
  }
  budget.add("");
}

void write_module_table(Budget& budget, const json& report) {
  if (!report.contains("findings") || report.value("modules", json::array()).empty()) return;
  budget.add("### Modules");
  budget.add("");
  budget.add("| module | subinterpreters | free-threading | findings |");
  budget.add("| --- | --- | --- | --- |");
  for (const json& module : report["modules"]) {
    const json verdicts = module.value("verdicts", json::object());
    budget.add_or_cut("| " + code(module.value("name", "")) + " | " +
                          verdict_badge(verdicts.value("subinterpreters", "unknown")) + " | " +
                          verdict_badge(verdicts.value("free_threading", "unknown")) + " | " +
                          std::to_string(module.value("findings", json::array()).size()) + " |",
                      "module rows");
  }
  budget.add("");
}

// An audit's first table: one verdict per distribution and Python, its worst module's.
void write_distribution_table(Budget& budget, const json& report) {
  const json& distributions = array_member(dynamic_part(report), "distributions");
  if (distributions.empty()) return;
  budget.add("### Distributions");
  budget.add("");
  budget.add(
      "| distribution | python | modules | subinterpreters | free-threading | InterpreterPoolExecutor | blocking |");
  budget.add("| --- | --- | --- | --- | --- | --- | --- |");
  for (const json& entry : distributions) {
    const std::string blocking = joined_strings(array_member(entry, "blocking_modules"));
    budget.add_or_cut("| " + cell(entry.value("distribution", "")) + " | " + cell(entry.value("interpreter", "")) +
                          " | " + std::to_string(entry.value("modules", 0)) + " | " +
                          verdict_badge(entry.value("subinterpreters", "")) + " | " +
                          verdict_badge(entry.value("free_threading", "")) + " | " +
                          verdict_badge(entry.value("interpreter_pool", "")) + " | " +
                          (blocking.empty() ? "" : code(blocking)) + " |",
                      "distribution rows");
  }
  budget.add("");
}

void write_probe_table(Budget& budget, const json& report) {
  const json& dynamic = dynamic_part(report);
  const json modules = dynamic.value("modules", json::array());
  if (modules.empty()) return;
  budget.add("### Probed in real interpreters");
  budget.add("");
  budget.add("| module | python | subinterpreters | free-threading | InterpreterPoolExecutor | evidence |");
  budget.add("| --- | --- | --- | --- | --- | --- |");
  for (const json& module : modules) {
    budget.add_or_cut("| " + code(module.value("module", "")) + " | " + cell(module.value("interpreter", "")) + " | " +
                          verdict_badge(module.value("subinterpreters", "")) + " | " +
                          verdict_badge(module.value("free_threading", "")) + " | " +
                          verdict_badge(module.value("interpreter_pool", "")) + " | " +
                          cell(module.value("summary", "")) + " |",
                      "probe rows");
  }
  budget.add("");
}

void write_rule_counts(Budget& budget, const json& report, const FormatContext& context) {
  const json findings = report.value("findings", json::array());
  if (findings.empty()) return;
  std::map<std::string, std::size_t> counts;
  for (const json& finding : findings) ++counts[finding.value("rule", "")];
  budget.add("### Findings per rule");
  budget.add("");
  budget.add("| rule | name | severity | findings |");
  budget.add("| --- | --- | --- | --- |");
  for (const auto& [id, count] : counts) {
    const Rule* rule = context.rules.find(id);
    std::string name = rule ? rule->name : "";
    std::string severity = rule ? std::string(to_string(rule->severity)) : "";
    budget.add_or_cut(
        "| " + rule_reference(id) + " | " + cell(name) + " | " + severity + " | " + std::to_string(count) + " |",
        "rule rows");
  }
  budget.add("");
}

void write_findings(Budget& budget, const json& report, const FormatContext& context) {
  std::vector<const json*> findings;
  for (const json& finding : array_member(report, "findings")) findings.push_back(&finding);
  const std::vector<ProbeFailure> failures = probe_failures(report);
  if (findings.empty() && failures.empty()) return;
  std::stable_sort(findings.begin(), findings.end(),
                   [](const json* a, const json* b) { return severity_rank(*a) < severity_rank(*b); });
  budget.add("### Findings, errors first");
  budget.add("");
  for (const ProbeFailure& failure : failures) {
    const json& module = *failure.module;
    budget.add_or_cut("- **error** probe " + cell(module.value("interpreter", "")) + " " + failure.aspect + " " +
                          code(failure.verdict) + " " + file_link(probed_module_location(report, module), context) +
                          " " + code(module.value("module", "")) + ": " + cell(module.value("summary", "")),
                      "findings");
  }
  for (const json* finding : findings) {
    const std::string id = finding->value("rule", "");
    budget.add_or_cut("- **" + cell(finding->value("severity", "")) + "** " + rule_reference(id) + " " +
                          file_link(*finding, context) + ": " + cell(finding->value("message", "")),
                      "findings");
  }
  budget.add("");
}

}  // namespace

std::string verdict_badge(const std::string& verdict) {
  std::string badge = "❔";
  if (verdict == "crash")
    badge = "💥";
  else if (verdict == "timeout")
    badge = "⏱️";
  else {
    switch (verdict_tone(verdict)) {
      case VerdictTone::pass: badge = "✅"; break;
      case VerdictTone::fail: badge = "❌"; break;
      case VerdictTone::hazard: badge = "⚠️"; break;
      case VerdictTone::unknown: badge = "❔"; break;
      case VerdictTone::not_asked: badge = "➖"; break;
    }
  }
  return badge + " " + cell(verdict);
}

void write_markdown_summary(std::ostream& out, const json& report, const FormatContext& context, std::size_t limit) {
  // The note about cuts needs room of its own: the sections get the limit less that.
  constexpr std::size_t kNoteRoom = 400;
  Budget budget(limit > kNoteRoom ? limit - kNoteRoom : 0);
  write_header(budget, report, context);
  write_coverage(budget, report);
  write_module_table(budget, report);
  write_distribution_table(budget, report);
  write_probe_table(budget, report);
  write_rule_counts(budget, report, context);
  write_findings(budget, report, context);
  std::string& text = budget.text();
  if (!budget.cut().empty()) {
    std::string note = "> **Cut to stay under GitHub's 1 MiB summary limit:**";
    for (const auto& [what, count] : budget.cut()) note += " " + std::to_string(count) + " " + what + ";";
    note += " the full report: `subcheck ... --format json`.\n";
    text += note.substr(0, kNoteRoom);
  }
  out << text;
}

}  // namespace subcheck
