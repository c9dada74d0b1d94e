#include "cli/report_github.h"

#include "cli/coverage.h"
#include "core/finding.h"

namespace subcheck {

using nlohmann::json;

std::string escape_github_data(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else
      out += c;
  }
  return out;
}

std::string escape_github_property(std::string_view text) {
  std::string out;
  for (char c : escape_github_data(text)) {
    if (c == ':')
      out += "%3A";
    else if (c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

namespace {

const char* command_for(const std::string& severity) {
  switch (parse_severity(severity).value_or(Severity::warning)) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "notice";
  }
  return "warning";
}

void annotate(std::ostream& out, const char* command, const json& located, const std::string& title,
              const std::string& message, const FormatContext& context) {
  out << "::" << command;
  std::string separator = " ";
  if (std::optional<ReportLocation> where = report_location(located, context.source_root)) {
    out << separator << "file=" << escape_github_property(where->path);
    separator = ",";
    if (where->line > 0) out << ",line=" << where->line;
    if (where->column > 0) out << ",col=" << where->column;
  }
  out << separator << "title=" << escape_github_property(title) << "::" << escape_github_data(message) << "\n";
}

std::string coverage_text(const json& coverage) {
  std::string text = "subcheck covered:";
  if (coverage.contains("units_total")) text += " " + static_coverage_phrase(coverage);
  for (const json& probes : coverage.value("probes", json::array())) {
    text += "; " + probes.value("python", "") + ": " + std::to_string(probes.value("probes", 0)) + " probes on " +
            std::to_string(probes.value("modules", 0)) + " modules";
  }
  for (const json& skipped : coverage.value("skipped", json::array())) {
    if (skipped.is_string()) text += "\nskipped: " + skipped.get<std::string>();
  }
  return text;
}

}  // namespace

void write_github_annotations(std::ostream& out, const json& report, const FormatContext& context) {
  for (const json& finding : report.value("findings", json::array())) {
    const std::string title = finding.value("rule", "") + " " + finding.value("name", "");
    std::string message = finding.value("message", "");
    if (finding.contains("hint") && finding["hint"].is_string()) message += "\n" + finding["hint"].get<std::string>();
    annotate(out, command_for(finding.value("severity", "warning")), finding, title, message, context);
  }
  for (const ProbeFailure& failure : probe_failures(report)) {
    const json& module = *failure.module;
    annotate(out, "error", probed_module_location(report, module),
             "probe " + module.value("interpreter", "") + " " + failure.aspect + ": " + failure.verdict,
             module.value("module", "") + ": " + module.value("summary", ""), context);
  }
  for (const json& diagnostic : report.value("diagnostics", json::array())) {
    annotate(out, command_for(diagnostic.value("severity", "error")), diagnostic,
             "subcheck " + diagnostic.value("kind", "diagnostic"), diagnostic.value("message", ""), context);
  }
  const json coverage = report.value("coverage", json::object());
  annotate(out, "notice", json::object(), "subcheck coverage", coverage_text(coverage), context);
  for (const json& reason : coverage.value("incomplete", json::array())) {
    if (reason.is_string()) annotate(out, "error", json::object(), "subcheck: incomplete answer", reason, context);
  }
}

}  // namespace subcheck
