// Helpers shared by the tests of the build-file readers (setup.py / setup.cfg in
// setup_py_test.cpp, meson.build / pyproject.toml in build_files_test.cpp): the inferred
// compile database and a whole scan of a test tree, with the default Python's headers.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analyze.h"
#include "analyzer/compile_db.h"
#include "rules/catalogue.h"

namespace subcheck::build_flags_test {

namespace fs = std::filesystem;

inline const std::optional<Interpreter>& target_python() {
  static const std::optional<Interpreter> python = find_default_python();
  return python;
}

inline CompileDatabase infer(const fs::path& root) {
  return load_compile_database({root, std::nullopt, target_python(), kDefaultMaxFileBytes});
}

inline AnalysisResult scan(const fs::path& root) {
  AnalyzeOptions options;
  options.root = root;
  options.python = target_python();
  options.jobs = 2;
  return analyze(options, RuleCatalogue::builtin());
}

inline bool any_contains(const std::vector<std::string>& messages, std::string_view needle) {
  return std::any_of(messages.begin(), messages.end(),
                     [&](const std::string& message) { return message.find(needle) != std::string::npos; });
}

inline std::string joined(const std::vector<std::string>& messages) {
  std::string text;
  for (const std::string& message : messages) text += "  " + message + "\n";
  return text;
}

inline std::size_t errors_in(const AnalysisResult& result) {
  return static_cast<std::size_t>(std::count_if(result.diagnostics.begin(), result.diagnostics.end(),
                                                [](const ToolDiagnostic& d) { return d.severity == Severity::error; }));
}

inline const CompileCommand* command_for(const CompileDatabase& db, std::string_view file_name) {
  for (const CompileCommand& command : db.commands) {
    if (command.file.filename() == file_name) return &command;
  }
  return nullptr;
}

inline bool has_arg(const CompileCommand& command, std::string_view arg) {
  return std::find(command.args.begin(), command.args.end(), arg) != command.args.end();
}

// Whether any argument of the command contains `text` (a -I path, a -D value).
inline bool mentions(const CompileCommand& command, std::string_view text) {
  return std::any_of(command.args.begin(), command.args.end(),
                     [&](const std::string& arg) { return arg.find(text) != std::string::npos; });
}

}  // namespace subcheck::build_flags_test
