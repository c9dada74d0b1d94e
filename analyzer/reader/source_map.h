// Where things are in one translation unit: file names (canonical, cached), which files
// belong to the project, expansion positions, the source text of a cursor, and the ranges
// the preprocessor skipped.
#pragma once

#include <clang-c/Index.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/finding.h"

namespace subcheck::reader {

// True when `file` lies under one of `roots`.
bool is_under(const std::string& file, const std::vector<std::filesystem::path>& roots);

// Compatibility shims projects copy in verbatim (pythoncapi-compat): their static inline
// functions are not the project's code, and most are never called.
bool is_vendored_shim(const std::string& file);

struct Position {
  CXFile file = nullptr;
  unsigned line = 0, column = 0, offset = 0;
};

// The expansion position of a location (where a macro was used, not where it is defined).
Position position(CXSourceLocation location);

class SourceMap {
 public:
  SourceMap(CXTranslationUnit unit, const std::vector<std::filesystem::path>& project_roots,
            const std::string& main_file)
      : unit_(unit), project_roots_(project_roots), main_file_(main_file) {}

  CXTranslationUnit unit() const { return unit_; }

  const std::string& file_name(CXFile file);
  // The main file, or a file under a project root that is not a vendored shim.
  bool in_project(CXFile file);
  // A cursor spelled inside a project file (not inside a Python or system macro).
  bool spelled_in_project(CXCursor cursor);

  SourceLocation location_of(CXCursor cursor, unsigned* offset = nullptr);
  // Where the cursor's own tokens are in a file: for an expression passed as a macro's
  // argument (`Py_NewRef(\n PyState_FindModule(def))`), where the argument is spelled, not
  // the macro's name; otherwise the expansion position, as location_of. The token scan of
  // API names sees the same position, so a call inside a macro argument is one call.
  SourceLocation file_location_of(CXCursor cursor, unsigned* offset = nullptr);
  SourceLocation location_of(const Position& at);
  std::string_view file_text(CXFile file);
  // The source text of a cursor, taken from the file at its expansion range, so macro
  // names (Py_MOD_GIL_NOT_USED) survive; runs of white space collapse to one space.
  std::string text_of(CXCursor cursor);
  // The same range in plain file positions. A function declared as
  // `PyMODINIT_FUNC PyInit_x(void)` starts inside a macro, and clang_tokenize given such a
  // range returns the wrong tokens.
  CXSourceRange file_range(CXSourceRange range);
  // Tokens in `#if` branches the preprocessor skipped are not code in this configuration.
  bool is_skipped(const Position& at);

  // Where clang reported errors, so a declaration can say whether it parsed cleanly.
  void note_error(const Position& at);
  bool has_error_within(CXCursor cursor);

 private:
  CXTranslationUnit unit_;
  const std::vector<std::filesystem::path>& project_roots_;
  const std::string& main_file_;
  std::unordered_map<CXFile, std::string> file_names_;
  std::unordered_map<CXFile, bool> in_project_;
  std::unordered_map<CXFile, std::vector<std::pair<unsigned, unsigned>>> skipped_;
  std::unordered_map<CXFile, std::vector<unsigned>> errors_;  // offsets, per file
};

}  // namespace subcheck::reader
