#include "cli/report_html.h"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/coverage.h"
#include "core/finding.h"
#include "rules/catalogue.h"

namespace subcheck {

using nlohmann::json;

namespace {

// Text from hostile input (module names, messages, a child's output) as HTML text or a
// quoted attribute value.
std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string text_of(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string_view tone_class(VerdictTone tone) {
  switch (tone) {
    case VerdictTone::pass: return "pass";
    case VerdictTone::fail: return "fail";
    case VerdictTone::hazard: return "hazard";
    case VerdictTone::unknown: return "unknown";
    case VerdictTone::not_asked: return "not-asked";
  }
  return "unknown";
}

// Sorting a verdict column puts failures first, then hazards, could-not-tell, passes.
char tone_rank(VerdictTone tone) {
  switch (tone) {
    case VerdictTone::fail: return '0';
    case VerdictTone::hazard: return '1';
    case VerdictTone::unknown: return '2';
    case VerdictTone::not_asked: return '3';
    case VerdictTone::pass: return '4';
  }
  return '2';
}

bool needs_attention(VerdictTone tone) {
  return tone == VerdictTone::fail || tone == VerdictTone::hazard || tone == VerdictTone::unknown;
}

std::string cell(std::string_view html) { return "<td>" + std::string(html) + "</td>"; }

std::string verdict_cell(const std::string& verdict) {
  const VerdictTone tone = verdict_tone(verdict);
  return "<td class=\"verdict " + std::string(tone_class(tone)) + "\" data-sort=\"" + tone_rank(tone) + " " +
         escape(verdict) + "\">" + escape(verdict) + "</td>";
}

// A table the script filters and sorts: `id` names it and its row counter.
void open_table(std::ostream& out, const std::string& id, const std::string& caption,
                const std::vector<std::string>& columns) {
  out << "<table class=\"rows\" id=\"" << id << "\"><caption>" << escape(caption) << " <span class=\"count\" id=\""
      << id << "-count\"></span></caption>\n<thead><tr>";
  for (const std::string& column : columns)
    out << "<th scope=\"col\"><button type=\"button\">" << escape(column) << "</button></th>";
  out << "</tr></thead>\n<tbody>\n";
}

void close_table(std::ostream& out) { out << "</tbody></table>\n"; }

void row(std::ostream& out, bool attention, const std::string& cells) {
  out << "<tr" << (attention ? " class=\"problem\"" : "") << ">" << cells << "</tr>\n";
}

class HtmlWriter {
 public:
  HtmlWriter(std::ostream& out, const json& report, const FormatContext& context)
      : out_(out), report_(report), dynamic_(dynamic_part(report)), context_(context) {}

  void write() {
    const bool scan = report_.value("schema", "") == "subcheck-scan";
    const std::string what = scan ? text_of(report_, "root") : text_of(report_, "target");
    const std::string title = std::string("subcheck ") + (scan ? "scan" : "audit") + ": " + what;
    write_head(title);
    out_ << "<header><h1>" << escape(title) << "</h1><p class=\"tool\">"
         << escape(text_of(report_.value("tool", json::object()), "name")) << " "
         << escape(text_of(report_.value("tool", json::object()), "version")) << "</p></header>\n<main>\n";
    write_summary();
    write_controls();
    write_distributions();
    write_contradictions();
    write_probed_modules();
    write_static_modules();
    write_findings();
    write_diagnostics();
    write_coverage();
    out_ << "</main>\n<script>" << kScript << "</script>\n</body>\n</html>\n";
  }

 private:
  void write_head(const std::string& title) {
    out_ << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         // Self-contained: nothing is fetched, whatever a module's name or output holds.
         << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'\">\n"
         << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" << escape(title)
         << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  }

  // The answer a reader wants first, in sentences.
  void write_summary() {
    out_ << "<section id=\"summary\"><h2>Summary</h2>\n<ul class=\"headline\">\n";
    if (report_.value("complete", true) == false)
      out_ << "<li class=\"incomplete\"><strong>Stopped early:</strong> "
           << escape(text_of(report_, "incomplete_reason")) << "</li>\n";
    // A named copy: array_member() returns a reference into its argument.
    const json coverage = report_.value("coverage", json::object());
    const json& incomplete = array_member(coverage, "incomplete");
    if (!incomplete.empty()) {
      out_ << "<li class=\"incomplete\"><strong>The answer is incomplete</strong> (could not tell is not a pass):<ul>";
      for (const json& reason : incomplete)
        if (reason.is_string()) out_ << "<li>" << escape(reason.get<std::string>()) << "</li>";
      out_ << "</ul></li>\n";
    }
    if (!array_member(dynamic_, "distributions").empty())
      summarise_probed("distributions", array_member(dynamic_, "distributions"), "distribution");
    else if (!array_member(dynamic_, "modules").empty())
      summarise_probed("probed modules", array_member(dynamic_, "modules"), "module");
    summarise_fallbacks();
    if (report_.contains("findings")) summarise_static();
    const json& contradictions = array_member(dynamic_, "contradictions");
    if (!contradictions.empty()) {
      std::map<std::string, std::size_t> per_id;
      for (const json& contradiction : contradictions) ++per_id[text_of(contradiction, "id")];
      std::string counts;
      for (const auto& [id, count] : per_id) counts += (counts.empty() ? "" : ", ") + std::to_string(count) + " " + id;
      out_ << "<li class=\"fail\"><strong>" << contradictions.size()
           << " contradictions</strong> between what modules declare and what they do (" << escape(counts)
           << "): <a href=\"#contradictions-section\">the list</a>.</li>\n";
    }
    out_ << "</ul></section>\n";
  }

  // Distributions (an audit) or modules (a probe): how many block InterpreterPoolExecutor,
  // how many could not be shown to load, which re-enable the GIL on which free-threaded Python.
  void summarise_probed(const std::string& noun, const json& entries, const char* name_key) {
    std::set<std::string> all, blocked, untold;
    std::map<std::string, std::set<std::string>> gil_on;  // free-threaded tag -> names
    for (const json& entry : entries) {
      const std::string name = text_of(entry, name_key);
      all.insert(name);
      const VerdictTone sub = verdict_tone(text_of(entry, "subinterpreters"));
      if (sub == VerdictTone::fail) blocked.insert(name);
      if (sub != VerdictTone::pass && sub != VerdictTone::fail) untold.insert(name);
      if (text_of(entry, "free_threading") == "requires-gil") gil_on[text_of(entry, "interpreter")].insert(name);
    }
    for (const std::string& name : blocked) untold.erase(name);
    const std::size_t fine = all.size() - blocked.size() - untold.size();
    out_ << "<li class=\"" << (blocked.empty() ? "pass" : "fail") << "\"><strong>" << blocked.size() << " of "
         << all.size() << " " << noun
         << "</strong> would block InterpreterPoolExecutor: they do not load in an isolated subinterpreter, which its "
            "workers are"
         << (blocked.empty() ? "." : ": " + escape(joined(blocked)) + ".") << "</li>\n";
    if (!untold.empty())
      out_ << "<li class=\"unknown\"><strong>" << untold.size()
           << "</strong> could not be shown to load there: " << escape(joined(untold)) << ".</li>\n";
    for (const auto& [tag, names] : gil_on)
      out_ << "<li class=\"fail\"><strong>" << names.size() << "</strong> re-enable the GIL on " << escape(tag) << ": "
           << escape(joined(names)) << ".</li>\n";
    out_ << "<li class=\"pass\"><strong>" << fine
         << "</strong> load in isolated subinterpreters on every Python probed.</li>\n";
  }

  // `import yaml` succeeds in an isolated subinterpreter, without its accelerator: the
  // import passes and the speed is gone, which no verdict of the package alone shows.
  void summarise_fallbacks() {
    std::map<std::string, std::set<std::string>> fallbacks;  // package -> accelerators
    for (const json& module : array_member(dynamic_, "modules"))
      if (!text_of(module, "fallback_package").empty())
        fallbacks[text_of(module, "fallback_package")].insert(text_of(module, "module"));
    if (fallbacks.empty()) return;
    out_ << "<li class=\"hazard\"><strong>" << fallbacks.size()
         << " packages</strong> import in an isolated subinterpreter only by falling back, without their accelerator:";
    std::string list;
    for (const auto& [package, modules] : fallbacks)
      list += (list.empty() ? " " : ", ") + package + " (" + joined(modules) + ")";
    out_ << escape(list) << ".</li>\n";
  }

  void summarise_static() {
    const json summary = report_.value("summary", json::object());
    std::set<std::string> no_subinterpreters, needs_gil, unknown;
    for (const json& module : array_member(report_, "modules")) {
      const json verdicts = module.value("verdicts", json::object());
      const std::string name = text_of(module, "name");
      const VerdictTone sub = verdict_tone(text_of(verdicts, "subinterpreters"));
      const VerdictTone ft = verdict_tone(text_of(verdicts, "free_threading"));
      if (sub == VerdictTone::fail || sub == VerdictTone::hazard) no_subinterpreters.insert(name);
      if (ft == VerdictTone::fail || ft == VerdictTone::hazard) needs_gil.insert(name);
      if (sub == VerdictTone::unknown || ft == VerdictTone::unknown) unknown.insert(name);
    }
    out_ << "<li><strong>" << summary.value("findings", 0) << " findings</strong> (" << summary.value("errors", 0)
         << " errors, " << summary.value("warnings", 0) << " warnings, " << summary.value("notes", 0) << " notes) in "
         << summary.value("modules", 0) << " modules, from the sources.</li>\n";
    if (!no_subinterpreters.empty())
      out_ << "<li class=\"fail\"><strong>" << no_subinterpreters.size()
           << "</strong> by their sources not safe in isolated subinterpreters: " << escape(joined(no_subinterpreters))
           << ".</li>\n";
    if (!needs_gil.empty())
      out_ << "<li class=\"fail\"><strong>" << needs_gil.size()
           << "</strong> by their sources not safe without the GIL: " << escape(joined(needs_gil)) << ".</li>\n";
    if (!unknown.empty())
      out_ << "<li class=\"unknown\"><strong>" << unknown.size()
           << "</strong> could not be judged from their sources (see Diagnostics): " << escape(joined(unknown))
           << ".</li>\n";
  }

  void write_controls() {
    out_ << "<form id=\"controls\" role=\"search\" onsubmit=\"return false\"><label>Filter rows <input id=\"filter\" "
            "type=\"search\" placeholder=\"module, rule, verdict, text\"></label> <label><input id=\"problems-only\" "
            "type=\"checkbox\"> only what needs attention</label> <span class=\"hint\">Click a column heading to "
            "sort.</span></form>\n";
  }

  void write_distributions() {
    const json& distributions = array_member(dynamic_, "distributions");
    if (distributions.empty()) return;
    out_ << "<section><h2>Distributions</h2>\n<p>Each distribution is as usable as its least usable module.</p>\n";
    open_table(out_, "distributions", "One row per distribution and Python",
               {"distribution", "python", "modules", "subinterpreters", "free-threading", "InterpreterPoolExecutor",
                "blocking modules"});
    for (const json& entry : distributions) {
      const std::string blocking = joined_strings(array_member(entry, "blocking_modules"));
      const std::string sub = text_of(entry, "subinterpreters"), ft = text_of(entry, "free_threading"),
                        pool = text_of(entry, "interpreter_pool");
      row(out_, attention({sub, ft, pool}),
          cell(escape(text_of(entry, "distribution"))) + cell(escape(text_of(entry, "interpreter"))) +
              cell(std::to_string(entry.value("modules", 0))) + verdict_cell(sub) + verdict_cell(ft) +
              verdict_cell(pool) + cell("<code>" + escape(blocking) + "</code>"));
    }
    close_table(out_);
    out_ << "</section>\n";
  }

  void write_contradictions() {
    const json& contradictions = array_member(dynamic_, "contradictions");
    if (contradictions.empty()) return;
    out_ << "<section id=\"contradictions-section\"><h2>Declared versus observed</h2>\n<p>Where what a module "
            "declares (read from its binary) and what CPython did with it disagree.</p>\n";
    open_table(out_, "contradictions", "One row per contradiction", {"module", "python", "contradiction", "what"});
    for (const json& contradiction : contradictions)
      row(out_, true,
          cell("<code>" + escape(text_of(contradiction, "module")) + "</code>") +
              cell(escape(text_of(contradiction, "interpreter"))) + cell(escape(text_of(contradiction, "id"))) +
              cell(escape(text_of(contradiction, "message"))));
    close_table(out_);
    out_ << "</section>\n";
  }

  void write_probed_modules() {
    const json& modules = array_member(dynamic_, "modules");
    if (modules.empty()) return;
    out_ << "<section><h2>Probed in real interpreters</h2>\n";
    write_interpreters();
    open_table(out_, "probed", "One row per module and Python",
               {"module", "distribution", "python", "subinterpreters", "free-threading", "InterpreterPoolExecutor",
                "why", "evidence"});
    for (const json& module : modules) {
      const std::string sub = text_of(module, "subinterpreters"), ft = text_of(module, "free_threading"),
                        pool = text_of(module, "interpreter_pool");
      row(out_, attention({sub, ft, pool}) || !array_member(module, "contradictions").empty(),
          cell("<code>" + escape(text_of(module, "module")) + "</code>") +
              cell(escape(text_of(module, "distribution"))) + cell(escape(text_of(module, "interpreter"))) +
              verdict_cell(sub) + verdict_cell(ft) + verdict_cell(pool) + cell(escape(text_of(module, "summary"))) +
              cell(evidence(module)));
    }
    close_table(out_);
    out_ << "</section>\n";
  }

  void write_interpreters() {
    out_ << "<ul class=\"interpreters\">";
    std::set<std::string> seen;
    for (const json& interpreter : array_member(dynamic_, "interpreters")) {
      const std::string tag = text_of(interpreter, "tag");
      if (!seen.insert(tag).second) continue;  // an audit lists each Python once per distribution
      out_ << "<li><strong>" << escape(tag) << "</strong> " << escape(text_of(interpreter, "version"))
           << (interpreter.value("free_threaded", false) ? " (free-threaded)" : "") << ", sandbox "
           << escape(text_of(interpreter.value("sandbox", json::object()), "level")) << "</li>";
    }
    out_ << "</ul>\n";
  }

  // What the module declares, what each probe child did, with its output.
  static std::string evidence(const json& module) {
    const json& probes = array_member(module, "evidence");
    std::string html = "<details><summary>" + std::to_string(probes.size()) + " probes</summary>";
    const json declared = module.value("declared", json::object());
    if (!declared.empty()) {
      html += "<p class=\"declared\">declares: init " + escape(text_of(declared, "init")) + ", " +
              escape(text_of(declared, "multiple_interpreters")) + ", " + escape(text_of(declared, "gil"));
      if (declared.contains("m_size") && declared["m_size"].is_number_integer())
        html += ", m_size " + std::to_string(declared["m_size"].get<long long>());
      if (!text_of(declared, "error").empty()) html += " (" + escape(text_of(declared, "error")) + ")";
      html += "</p>";
    }
    for (const json& contradiction : array_member(module, "contradictions"))
      html += "<p class=\"contradiction\">" + escape(text_of(contradiction, "id")) + ": " +
              escape(text_of(contradiction, "message")) + "</p>";
    for (const json& note : array_member(module, "notes"))
      if (note.is_string()) html += "<p class=\"note\">" + escape(note.get<std::string>()) + "</p>";
    for (const json& probe : probes) html += probe_evidence(probe);
    return html + "</details>";
  }

  static std::string probe_evidence(const json& probe) {
    std::string html = "<div class=\"probe\"><strong>" + escape(text_of(probe, "probe")) + "</strong> " +
                       escape(text_of(probe, "outcome")) + ", " + std::to_string(probe.value("elapsed_ms", 0)) + " ms";
    if (!text_of(probe, "during").empty()) html += ", during " + escape(text_of(probe, "during"));
    if (probe.value("signal", 0) != 0) html += ", signal " + std::to_string(probe.value("signal", 0));
    if (probe.value("exit_code", 0) != 0) html += ", exit status " + std::to_string(probe.value("exit_code", 0));
    if (!text_of(probe, "split_from").empty()) html += " (from the " + escape(text_of(probe, "split_from")) + " child)";
    html += "<ul>";
    for (const json& step : array_member(probe, "steps")) {
      html += "<li>" + escape(text_of(step, "where")) + ": ";
      html += step.value("ok", false) ? std::string("imported")
                                      : escape(text_of(step, "error_type")) + ": " + escape(text_of(step, "message"));
      html += "</li>";
    }
    html += "</ul>";
    const std::string output = text_of(probe, "output");
    if (!output.empty())
      html += "<pre>" + std::string(probe.value("output_truncated", false) ? "…" : "") + escape(output) + "</pre>";
    return html + "</div>";
  }

  void write_static_modules() {
    if (!report_.contains("findings") || array_member(report_, "modules").empty()) return;
    out_ << "<section><h2>Modules, from the sources</h2>\n";
    open_table(out_, "modules", "One row per extension module found in the sources",
               {"module", "where", "init", "generator", "subinterpreters", "free-threading", "findings"});
    for (const json& module : array_member(report_, "modules")) {
      const json verdicts = module.value("verdicts", json::object());
      const std::string sub = text_of(verdicts, "subinterpreters"), ft = text_of(verdicts, "free_threading");
      row(out_, attention({sub, ft}),
          cell("<code>" + escape(text_of(module, "name")) + "</code>") + cell(location(module)) +
              cell(escape(text_of(module, "init"))) + cell(escape(text_of(module, "generator"))) + verdict_cell(sub) +
              verdict_cell(ft) + cell(std::to_string(array_member(module, "findings").size())));
    }
    close_table(out_);
    out_ << "</section>\n";
  }

  void write_findings() {
    const json& findings = array_member(report_, "findings");
    if (findings.empty()) return;
    out_ << "<section><h2>Findings</h2>\n";
    open_table(out_, "findings", "Static findings", {"severity", "rule", "where", "modules", "message"});
    for (const json& finding : findings) {
      const std::string severity = text_of(finding, "severity");
      const std::optional<Severity> parsed = parse_severity(severity);
      const bool attention = parsed && *parsed != Severity::note;
      const std::string modules = joined_strings(array_member(finding, "modules"));
      std::string message = escape(text_of(finding, "message"));
      if (!text_of(finding, "hint").empty())
        message += "<br><span class=\"fix\">Fix: " + escape(text_of(finding, "hint")) + "</span>";
      row(out_, attention,
          "<td class=\"severity " + escape(severity) + "\" data-sort=\"" +
              std::to_string(parsed ? 2 - static_cast<int>(*parsed) : 9) + "\">" + escape(severity) + "</td>" +
              cell(rule_link(text_of(finding, "rule"))) + cell(location(finding)) + cell(escape(modules)) +
              cell(message));
    }
    close_table(out_);
    out_ << "</section>\n";
  }

  void write_diagnostics() {
    const json& diagnostics = array_member(report_, "diagnostics");
    if (diagnostics.empty()) return;
    out_ << "<section><h2>Diagnostics</h2>\n<p>What subcheck could not read, and modules it could not judge.</p>\n";
    open_table(out_, "diagnostics", "Parse problems and unknown modules", {"severity", "kind", "where", "message"});
    for (const json& diagnostic : diagnostics) {
      const std::string severity = text_of(diagnostic, "severity");
      row(out_, severity == "error" || text_of(diagnostic, "kind") == "unknown-module",
          cell(escape(severity)) + cell(escape(text_of(diagnostic, "kind"))) + cell(location(diagnostic)) +
              cell(escape(text_of(diagnostic, "message"))));
    }
    close_table(out_);
    out_ << "</section>\n";
  }

  void write_coverage() {
    const json coverage = report_.value("coverage", json::object());
    out_ << "<section id=\"coverage\"><h2>What was covered</h2>\n<ul>";
    if (coverage.contains("units_total")) out_ << "<li>" << escape(static_coverage_phrase(coverage)) << ".</li>";
    for (const json& probes : array_member(coverage, "probes"))
      out_ << "<li>" << escape(text_of(probes, "python")) << ": " << probes.value("probes", 0) << " probes on "
           << probes.value("modules", 0) << " modules.</li>";
    for (const json& skipped : array_member(coverage, "skipped"))
      if (skipped.is_string()) out_ << "<li>skipped: " << escape(skipped.get<std::string>()) << "</li>";
    for (const json& problem : array_member(dynamic_, "problems"))
      if (problem.is_string()) out_ << "<li>problem: " << escape(problem.get<std::string>()) << "</li>";
    out_ << "</ul></section>\n";
  }

  static bool attention(std::initializer_list<std::string> verdicts) {
    for (const std::string& verdict : verdicts)
      if (needs_attention(verdict_tone(verdict))) return true;
    return false;
  }

  std::string location(const json& located) const {
    std::optional<ReportLocation> where = report_location(located, context_.source_root);
    if (!where) return "";
    const std::string shown = where->path + (where->line ? ":" + std::to_string(where->line) : "");
    if (!where->relative || context_.link_base.empty()) return "<code>" + escape(shown) + "</code>";
    const std::string target =
        context_.link_base + where->path + (where->line ? "#L" + std::to_string(where->line) : "");
    return "<a href=\"" + escape(target) + "\"><code>" + escape(shown) + "</code></a>";
  }

  std::string rule_link(const std::string& id) const {
    const Rule* rule = context_.rules.find(id);
    return "<a href=\"" + escape(rule_docs_uri(id)) + "\" title=\"" + escape(rule ? rule->name : "") + "\">" +
           escape(id) + "</a>";
  }

  static constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}
header{padding:12px 24px;background:#24292f;color:#fff}header h1{font-size:20px;margin:0;word-break:break-all}
header .tool{margin:2px 0 0;opacity:.7}main{padding:8px 24px 40px}
h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #d0d7de}
.headline{list-style:none;padding:0;font-size:15px}.headline>li{padding:4px 10px;margin:4px 0;border-left:4px solid #d0d7de}
.headline>li.fail{border-color:#cf222e}.headline>li.pass{border-color:#1a7f37}
.headline>li.unknown,.headline>li.incomplete,.headline>li.hazard{border-color:#bf8700}
#controls{position:sticky;top:0;background:#f6f8fa;padding:8px;border:1px solid #d0d7de;border-radius:6px;z-index:1}
#controls input[type=search]{width:22em}.hint{color:#59636e}
table{border-collapse:collapse;width:100%;margin:8px 0}caption{text-align:left;font-weight:600;padding:4px 0}
.count{font-weight:400;color:#59636e}
th,td{border:1px solid #d0d7de;padding:3px 6px;vertical-align:top;text-align:left}
th button{all:unset;cursor:pointer;font-weight:600}th[aria-sort=ascending] button::after{content:" \25B2"}
th[aria-sort=descending] button::after{content:" \25BC"}thead{background:#f6f8fa}
td.verdict{white-space:nowrap;font-weight:600}.pass{color:#1a7f37}.fail{color:#cf222e}.hazard{color:#9a6700}
.unknown{color:#8250df}.not-asked{color:#59636e;font-weight:400}
td.severity.error{color:#cf222e;font-weight:600}td.severity.warning{color:#9a6700}
tr.problem{background:#fff8f8}details summary{cursor:pointer;color:#0969da}
.probe{margin:6px 0;padding-top:4px;border-top:1px dashed #d0d7de}.probe ul{margin:2px 0;padding-left:18px}
pre{background:#f6f8fa;padding:6px;max-height:16em;overflow:auto;white-space:pre-wrap;word-break:break-all}
.contradiction{color:#cf222e;font-weight:600}.note{color:#59636e}.fix{color:#59636e}
code{font:12px ui-monospace,monospace}
)";

  // Filters, sorts and counts the rows the writer put in the tables. The filter also comes
  // from the address: #filter=TEXT&problems.
  static constexpr const char* kScript = R"(
(function () {
  'use strict';
  const filter = document.getElementById('filter');
  const problemsOnly = document.getElementById('problems-only');
  const tables = Array.from(document.querySelectorAll('table.rows'));
  function apply() {
    const query = filter.value.trim().toLowerCase();
    for (const table of tables) {
      let shown = 0;
      const rows = Array.from(table.tBodies[0].rows);
      for (const row of rows) {
        const show = (!problemsOnly.checked || row.classList.contains('problem')) &&
            (!query || row.textContent.toLowerCase().includes(query));
        row.hidden = !show;
        if (show) shown++;
      }
      document.getElementById(table.id + '-count').textContent =
          shown === rows.length ? '(' + rows.length + ' rows)' : '(' + shown + ' of ' + rows.length + ' rows shown)';
    }
  }
  function remember() {
    const parts = [];
    if (filter.value.trim()) parts.push('filter=' + encodeURIComponent(filter.value.trim()));
    if (problemsOnly.checked) parts.push('problems');
    try { history.replaceState(null, '', '#' + parts.join('&')); } catch (e) { /* file: URLs may refuse */ }
  }
  function sortKey(row, index) {
    const cell = row.cells[index];
    return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
  }
  function sortBy(table, index) {
    const heading = table.tHead.rows[0].cells[index];
    const ascending = heading.getAttribute('aria-sort') !== 'ascending';
    for (const cell of Array.from(table.tHead.rows[0].cells)) cell.removeAttribute('aria-sort');
    heading.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      const order = sortKey(a, index).localeCompare(sortKey(b, index), undefined, {numeric: true});
      return ascending ? order : -order;
    });
    for (const row of rows) body.appendChild(row);
  }
  for (const table of tables) {
    Array.from(table.tHead.rows[0].cells).forEach(function (heading, index) {
      heading.querySelector('button').addEventListener('click', function () { sortBy(table, index); });
    });
  }
  for (const part of location.hash.slice(1).split('&')) {
    if (part.startsWith('filter=')) {
      try { filter.value = decodeURIComponent(part.slice(7)); } catch (e) { filter.value = part.slice(7); }
    }
    if (part === 'problems') problemsOnly.checked = true;
  }
  filter.addEventListener('input', function () { apply(); remember(); });
  problemsOnly.addEventListener('change', function () { apply(); remember(); });
  apply();
})();
)";

  std::ostream& out_;
  const json& report_;
  const json& dynamic_;
  const FormatContext& context_;
};

}  // namespace

void write_html_report(std::ostream& out, const json& report, const FormatContext& context) {
  // Names, messages and a child's output may hold bytes that are not UTF-8: read back
  // through JSON's replacement, every string the page shows is.
  const json clean = json::parse(report.dump(-1, ' ', false, json::error_handler_t::replace));
  HtmlWriter(out, clean, context).write();
}

}  // namespace subcheck
