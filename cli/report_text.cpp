#include "cli/report_text.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "rules/catalogue.h"

namespace subcheck {

namespace {

// ANSI escapes, as clang uses them.
constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kRed = "\x1b[1;31m";
constexpr std::string_view kGreen = "\x1b[1;32m";
constexpr std::string_view kYellow = "\x1b[1;33m";
constexpr std::string_view kMagenta = "\x1b[1;35m";
constexpr std::string_view kCyan = "\x1b[1;36m";

std::string paint(std::string_view text, std::string_view colour, const TextStyle& style) {
  if (!style.color) return std::string(text);
  return std::string(colour) + std::string(text) + std::string(kReset);
}

std::string_view severity_colour(Severity severity) {
  switch (severity) {
    case Severity::error: return kRed;
    case Severity::warning: return kMagenta;
    case Severity::note: return kCyan;
  }
  return kBold;
}

std::string_view verdict_colour(std::string_view verdict) {
  if (verdict == "supported" || verdict == "gil-free") return kGreen;
  if (verdict == "shared-gil-only" || verdict == "requires-gil") return kYellow;
  if (verdict == "unsupported" || verdict == "unsafe") return kRed;
  return kBold;
}

// Reads each source file once, however many findings point into it.
class SourceLines {
 public:
  const std::string* line(const std::string& file, unsigned number) {
    auto [it, inserted] = files_.try_emplace(file);
    if (inserted) it->second = read_lines(file);
    if (number == 0 || number > it->second.size()) return nullptr;
    return &it->second[number - 1];
  }

 private:
  static std::vector<std::string> read_lines(const std::string& file) {
    std::vector<std::string> lines;
    std::ifstream in(file, std::ios::binary);
    std::string text;
    while (std::getline(in, text)) {
      if (!text.empty() && text.back() == '\r') text.pop_back();
      lines.push_back(std::move(text));
    }
    return lines;
  }
  std::map<std::string, std::vector<std::string>> files_;
};

std::string location_prefix(const SourceLocation& location, const TextStyle& style) {
  std::ostringstream text;
  text << display_path(location.file, style.cwd) << ':' << location.line;
  if (location.column > 0) text << ':' << location.column;
  text << ':';
  return paint(text.str(), kBold, style);
}

// "   12 | source" and "      |     ^", as clang 16+ prints them.
std::string source_excerpt(const SourceLocation& location, SourceLines& sources, const TextStyle& style) {
  const std::string* source = sources.line(location.file, location.line);
  if (source == nullptr) return "";
  const std::string number = std::to_string(location.line);
  const std::string gutter_pad(std::max<std::size_t>(number.size(), 4), ' ');
  std::string padded_number = gutter_pad.substr(number.size()) + number;
  std::string text = " " + padded_number + " | " + *source + "\n";
  if (location.column > 0) {
    std::string caret = caret_line(*source, location.column);
    caret.pop_back();  // the '^' itself, painted alone so that tabs and spaces stay plain
    text += " " + gutter_pad + " | " + caret + paint("^", kGreen, style) + "\n";
  }
  return text;
}

std::string rule_tag(const Finding& finding, const Rule* rule) {
  if (rule == nullptr) return "[" + finding.rule + "]";
  return "[" + finding.rule + " " + rule->name + "]";
}

std::string format_finding_with(const Finding& finding, const ReportContext& context, const TextStyle& style,
                                SourceLines& sources) {
  const Rule* rule = rule_of(context.rules, finding.rule);
  std::string text =
      (finding.location.valid() ? location_prefix(finding.location, style) : paint("subcheck:", kBold, style)) + " ";
  text += paint(std::string(to_string(finding.severity)) + ":", severity_colour(finding.severity), style);
  text += " " + paint(finding.message, kBold, style) + " " + rule_tag(finding, rule) + "\n";
  text += source_excerpt(finding.location, sources, style);
  if (rule != nullptr && !rule->hint.empty()) {
    text += "  " + paint("hint:", kCyan, style) + " " + rule->hint + "\n";
  }
  return text;
}

std::string plural(std::size_t count, std::string_view singular, std::string_view plural_form) {
  return std::to_string(count) + " " + std::string(count == 1 ? singular : plural_form);
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

void write_diagnostics(std::ostream& out, const std::vector<ToolDiagnostic>& diagnostics, const TextStyle& style) {
  std::map<std::string, std::size_t> shown_per_file;
  std::map<std::string, std::size_t> hidden_per_file;  // ordered: the summary lines are stable
  for (const ToolDiagnostic& diagnostic : diagnostics) {
    std::size_t& shown = shown_per_file[diagnostic.location.file];
    // A module that could not be judged is always shown: it decides the exit status.
    const bool always = diagnostic.kind == DiagnosticKind::unknown_module;
    if (!always && style.diagnostics_per_file != 0 && diagnostic.location.valid() &&
        shown >= style.diagnostics_per_file) {
      ++hidden_per_file[diagnostic.location.file];
      continue;
    }
    ++shown;
    out << format_diagnostic(diagnostic, style);
  }
  for (const auto& [file, hidden] : hidden_per_file) {
    out << paint(display_path(file, style.cwd) + ":", kBold, style) << " " << paint("note:", kCyan, style) << " "
        << plural(hidden, "more tool diagnostic", "more tool diagnostics")
        << " not shown (--verbose or --format json lists them all)\n";
  }
}

}  // namespace

std::string caret_line(const std::string& source_line, unsigned column) {
  std::string caret;
  const std::size_t end = std::min<std::size_t>(column > 0 ? column - 1 : 0, source_line.size());
  for (std::size_t i = 0; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(source_line[i]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte: same column as its lead
    caret += c == '\t' ? '\t' : ' ';
  }
  return caret + "^";
}

bool want_color(int fd, bool no_color_option) {
  if (no_color_option) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return ::isatty(fd) == 1;
}

std::string format_finding(const Finding& finding, const ReportContext& context, const TextStyle& style) {
  SourceLines sources;
  return format_finding_with(finding, context, style, sources);
}

std::string format_diagnostic(const ToolDiagnostic& diagnostic, const TextStyle& style) {
  std::string text;
  if (diagnostic.location.valid()) {
    text = location_prefix(diagnostic.location, style) + " ";
  } else {
    text = paint("subcheck:", kBold, style) + " ";
  }
  text += paint(std::string(to_string(diagnostic.severity)) + ":", severity_colour(diagnostic.severity), style);
  text += " " + diagnostic.message + " [" + std::string(to_string(diagnostic.kind)) + "]\n";
  return text;
}

// "export (PyInit: single-phase)" for a module with both a 3.15 export hook and a PyInit_,
// which 3.14 and older call instead (docs/cpython-behaviour.md #22).
static std::string init_column(const ExtensionModule& module, const ModuleConfigView* view) {
  std::string text(to_string(view ? view->init : InitStyle::unknown));
  if (const ModuleConfigView* fallback = module.pyinit_view(BuildConfig::gil)) {
    text += " (PyInit: " + std::string(to_string(fallback->init)) + ")";
  }
  return text;
}

std::string format_module_table(const AnalysisResult& result, const TextStyle& style) {
  const std::vector<std::string> header{"module",         "init",     "subinterpreters",
                                        "free-threading", "findings", "defined at"};
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < result.model.modules.size(); ++i) {
    const ExtensionModule& module = result.model.modules[i];
    const ModuleConfigView* view = config_view(module, BuildConfig::gil);
    const ModuleVerdict verdict = verdict_for(result, i);
    std::string where = display_path(module.location.file, style.cwd);
    if (module.location.line > 0) where += ":" + std::to_string(module.location.line);
    rows.push_back({module.name, init_column(module, view), std::string(to_string(verdict.subinterpreters)),
                    std::string(to_string(verdict.free_threading)),
                    std::to_string(findings_of_module(result, module.name).size()), where});
  }
  std::vector<std::size_t> widths;
  for (const std::string& title : header) widths.push_back(title.size());
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }

  std::string text;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const bool last = c + 1 == header.size();
    text += paint(last ? header[c] : pad(header[c], widths[c] + 2), kBold, style);
  }
  text += "\n";
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool last = c + 1 == row.size();
      std::string cell = last ? row[c] : pad(row[c], widths[c] + 2);
      // Verdict columns are coloured after padding so the escapes do not skew alignment.
      if (c == 2 || c == 3) cell = paint(cell, verdict_colour(row[c]), style);
      text += cell;
    }
    text += "\n";
  }
  return text;
}

std::string format_summary(const ScanSummary& summary) {
  std::string text = plural(summary.findings, "finding", "findings") + " (" +
                     plural(summary.errors, "error", "errors") + ", " +
                     plural(summary.warnings, "warning", "warnings") + ", " + plural(summary.notes, "note", "notes") +
                     ") in " + plural(summary.modules, "module", "modules") + ", " +
                     plural(summary.files, "file", "files") + "; " + std::to_string(summary.suppressed) + " suppressed";
  if (summary.ignored > 0) text += "; " + std::to_string(summary.ignored) + " not selected";
  if (summary.diagnostics > 0) {
    text += "; " + plural(summary.diagnostics, "tool diagnostic", "tool diagnostics");
  }
  return text;
}

void write_text_report(std::ostream& out, const AnalysisResult& result, const ReportContext& context,
                       const TextStyle& style) {
  write_diagnostics(out, result.diagnostics, style);
  SourceLines sources;
  for (const Finding& finding : result.findings) out << format_finding_with(finding, context, style, sources);
  if (!result.diagnostics.empty() || !result.findings.empty()) out << "\n";

  if (result.model.modules.empty()) {
    out << "no extension module found (no PyInit_* function or binding-generator module macro)\n";
  } else {
    out << format_module_table(result, style);
  }
  out << "\n" << format_summary(summarize(result, context.ignored)) << "\n";
}

}  // namespace subcheck
