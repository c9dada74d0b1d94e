#include "analyzer/reader/source_map.h"

#include <algorithm>
#include <cctype>

#include "analyzer/reader/cursors.h"

namespace subcheck::reader {

bool is_under(const std::string& file, const std::vector<std::filesystem::path>& roots) {
  for (const auto& root : roots) {
    std::string prefix = root.string();
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    if (file.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool is_vendored_shim(const std::string& file) {
  std::string name = std::filesystem::path(file).filename().string();
  return name == "pythoncapi_compat.h" || name == "pythoncapi-compat.h";
}

Position position(CXSourceLocation location) {
  Position at;
  clang_getExpansionLocation(location, &at.file, &at.line, &at.column, &at.offset);
  return at;
}

const std::string& SourceMap::file_name(CXFile file) {
  auto found = file_names_.find(file);
  if (found != file_names_.end()) return found->second;
  std::string name = take(clang_File_tryGetRealPathName(file));
  if (name.empty()) name = take(clang_getFileName(file));
  if (!name.empty()) {
    std::error_code error;
    auto normal = std::filesystem::weakly_canonical(name, error);
    if (!error) name = normal.string();
  }
  return file_names_.emplace(file, name).first->second;
}

bool SourceMap::in_project(CXFile file) {
  if (!file) return false;
  auto found = in_project_.find(file);
  if (found != in_project_.end()) return found->second;
  const std::string& name = file_name(file);
  bool inside = name == main_file_ || (is_under(name, project_roots_) && !is_vendored_shim(name));
  in_project_.emplace(file, inside);
  return inside;
}

// A call spelled inside a Python or system header macro (Py_TYPE inside
// PyList_GET_ITEM, say) is that header's business; the macro use is recorded instead.
bool SourceMap::spelled_in_project(CXCursor cursor) {
  CXFile file = nullptr;
  clang_getSpellingLocation(clang_getCursorLocation(cursor), &file, nullptr, nullptr, nullptr);
  return in_project(file);
}

SourceLocation SourceMap::location_of(CXCursor cursor, unsigned* offset) {
  Position at = position(clang_getCursorLocation(cursor));
  if (offset) *offset = at.offset;
  if (!at.file) return {};
  return SourceLocation{file_name(at.file), at.line, at.column};
}

SourceLocation SourceMap::file_location_of(CXCursor cursor, unsigned* offset) {
  Position at;
  clang_getFileLocation(clang_getCursorLocation(cursor), &at.file, &at.line, &at.column, &at.offset);
  if (!at.file) return location_of(cursor, offset);
  if (offset) *offset = at.offset;
  return SourceLocation{file_name(at.file), at.line, at.column};
}

SourceLocation SourceMap::location_of(const Position& at) {
  if (!at.file) return {};
  return SourceLocation{file_name(at.file), at.line, at.column};
}

std::string_view SourceMap::file_text(CXFile file) {
  if (!file) return {};
  std::size_t size = 0;
  const char* text = clang_getFileContents(unit_, file, &size);
  return text ? std::string_view(text, size) : std::string_view();
}

std::string SourceMap::text_of(CXCursor cursor) {
  CXSourceRange range = clang_getCursorExtent(cursor);
  Position begin = position(clang_getRangeStart(range));
  Position end = position(clang_getRangeEnd(range));
  if (!begin.file || begin.file != end.file || end.offset < begin.offset) return {};
  std::string_view text = file_text(begin.file);
  if (end.offset > text.size()) return {};
  std::string result(text.substr(begin.offset, end.offset - begin.offset));
  // Collapse runs of white space so multi-line arguments compare cleanly.
  std::string compact;
  for (char ch : result) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      if (!compact.empty() && compact.back() != ' ') compact += ' ';
    } else {
      compact += ch;
    }
  }
  while (!compact.empty() && compact.back() == ' ') compact.pop_back();
  return compact;
}

CXSourceRange SourceMap::file_range(CXSourceRange range) {
  Position begin = position(clang_getRangeStart(range));
  Position end = position(clang_getRangeEnd(range));
  if (!begin.file || begin.file != end.file) return range;
  return clang_getRange(clang_getLocationForOffset(unit_, begin.file, begin.offset),
                        clang_getLocationForOffset(unit_, end.file, end.offset));
}

bool SourceMap::is_skipped(const Position& at) {
  auto [entry, inserted] = skipped_.try_emplace(at.file);
  if (inserted) {
    CXSourceRangeList* ranges = clang_getSkippedRanges(unit_, at.file);
    for (unsigned i = 0; ranges && i < ranges->count; ++i) {
      Position begin = position(clang_getRangeStart(ranges->ranges[i]));
      Position end = position(clang_getRangeEnd(ranges->ranges[i]));
      entry->second.emplace_back(begin.offset, end.offset);
    }
    clang_disposeSourceRangeList(ranges);
  }
  return std::any_of(entry->second.begin(), entry->second.end(),
                     [&](const auto& range) { return at.offset >= range.first && at.offset <= range.second; });
}

void SourceMap::note_error(const Position& at) {
  if (at.file) errors_[at.file].push_back(at.offset);
}

bool SourceMap::has_error_within(CXCursor cursor) {
  if (errors_.empty()) return false;
  CXSourceRange range = clang_getCursorExtent(cursor);
  Position begin = position(clang_getRangeStart(range));
  Position end = position(clang_getRangeEnd(range));
  if (!begin.file || begin.file != end.file) return false;
  auto found = errors_.find(begin.file);
  if (found == errors_.end()) return false;
  return std::any_of(found->second.begin(), found->second.end(),
                     [&](unsigned offset) { return offset >= begin.offset && offset <= end.offset; });
}

}  // namespace subcheck::reader
