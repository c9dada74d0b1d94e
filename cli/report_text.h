// The human report of `subcheck scan`, in the style of clang's diagnostics:
//
//   src/_foo.c:12:21: warning: static PyTypeObject 'FooType' [SI005 static-type-object]
//      12 | static PyTypeObject FooType = {
//         |                     ^
//     hint: create the type with PyType_FromModuleAndSpec and keep it in module state
//
// followed by a table of modules and their verdicts and a one-line summary.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "analyzer/analyze.h"
#include "cli/report.h"

namespace subcheck {

struct TextStyle {
  bool color = false;         // ANSI colours (a TTY without NO_COLOR or --no-color)
  std::filesystem::path cwd;  // paths under it are shown relative to it
  // A file whose headers are missing yields hundreds of follow-on errors: show the first
  // few per file and count the rest (0: show all; the JSON report always has all).
  std::size_t diagnostics_per_file = 10;
};

void write_text_report(std::ostream& out, const AnalysisResult& result, const ReportContext& context,
                       const TextStyle& style);

// The pieces, for tests and for other front ends.
// One finding: header line, source excerpt with caret (when the file is readable), hint.
std::string format_finding(const Finding& finding, const ReportContext& context, const TextStyle& style);
std::string format_diagnostic(const ToolDiagnostic& diagnostic, const TextStyle& style);
std::string format_module_table(const AnalysisResult& result, const TextStyle& style);
// "N findings (E errors, W warnings, N notes) in M modules, K files; S suppressed"
std::string format_summary(const ScanSummary& summary);

// The caret line for a 1-based byte column of `source_line`: tabs kept so it lines up,
// UTF-8 continuation bytes skipped so a multi-byte character takes one column.
std::string caret_line(const std::string& source_line, unsigned column);

// Whether stdout/stderr should get colours: a terminal, NO_COLOR unset or empty, no --no-color.
bool want_color(int fd, bool no_color_option);

}  // namespace subcheck
