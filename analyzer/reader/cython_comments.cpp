#include "analyzer/reader/cython_comments.h"

#include <cctype>
#include <filesystem>
#include <vector>

namespace subcheck::reader {

namespace {

// `/* "pkg/mod.pyx":12` then the end of the line, at the start of `text`.
std::optional<CythonOrigin> read_origin_comment(std::string_view text) {
  constexpr std::string_view opening = "/* \"";
  if (!text.starts_with(opening)) return std::nullopt;
  text.remove_prefix(opening.size());
  std::size_t quote = text.find_first_of("\"\n");
  if (quote == std::string_view::npos || quote == 0 || text[quote] != '"') return std::nullopt;
  CythonOrigin origin{std::string(text.substr(0, quote)), 0};
  text.remove_prefix(quote + 1);
  if (!text.starts_with(':')) return std::nullopt;
  text.remove_prefix(1);
  std::size_t digits = 0;
  for (; digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0; ++digits) {
    if (origin.line > 10'000'000) return std::nullopt;
    origin.line = origin.line * 10 + static_cast<unsigned>(text[digits] - '0');
  }
  if (digits == 0 || (digits < text.size() && text[digits] != '\n' && text[digits] != '\r')) return std::nullopt;
  return origin;
}

}  // namespace

std::optional<CythonOrigin> cython_origin_before(std::string_view text, std::size_t from, std::size_t offset) {
  if (from >= offset || offset > text.size()) return std::nullopt;
  std::string_view window = text.substr(from, offset - from);
  for (std::size_t end = std::string_view::npos;;) {
    std::size_t at = window.rfind("/* \"", end);
    if (at == std::string_view::npos) return std::nullopt;
    if (auto origin = read_origin_comment(window.substr(at))) return origin;
    if (at == 0) return std::nullopt;
    end = at - 1;
  }
}

std::optional<CythonOrigin> cython_class_origin(std::string_view text, std::string_view suffix) {
  const std::string definition = "struct __pyx_obj_" + std::string(suffix) + " {";
  std::size_t at = text.find(definition);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view before = text.substr(0, at);
  while (!before.empty() && std::isspace(static_cast<unsigned char>(before.back())) != 0) before.remove_suffix(1);
  if (!before.ends_with("*/")) return std::nullopt;
  std::size_t start = before.rfind("/* \"");
  if (start == std::string_view::npos || before.substr(start).find("*/") != before.size() - start - 2) {
    return std::nullopt;  // the comment right before the struct is another one
  }
  return read_origin_comment(before.substr(start));
}

SourceLocation locate_cython_origin(const std::string& generated_file, const CythonOrigin& origin) {
  namespace fs = std::filesystem;
  const fs::path spelled(origin.file);
  const fs::path directory = fs::path(generated_file).parent_path();
  std::vector<fs::path> candidates;
  if (spelled.is_absolute()) {
    candidates.push_back(spelled);
  } else {
    candidates.push_back(directory / spelled.filename());  // pkg/mod.c beside pkg/mod.pyx
    fs::path up = directory;
    for (int level = 0; level < 8 && !up.empty(); ++level, up = up.parent_path()) {
      candidates.push_back(up / spelled);  // src/ + pkg/mod.pyx
      if (up == up.parent_path()) break;
    }
  }
  for (const fs::path& candidate : candidates) {
    std::error_code error;
    if (!fs::is_regular_file(candidate, error)) continue;
    fs::path canonical = fs::weakly_canonical(candidate, error);
    return {(error ? candidate : canonical).string(), origin.line, 1};
  }
  return {origin.file, origin.line, 1};
}

SourceLocation CythonSourceLocator::locate(const std::string& generated_file, const CythonOrigin& origin) {
  auto key = std::make_pair(generated_file, origin.file);
  auto known = files_.find(key);
  if (known == files_.end()) {
    known = files_.emplace(std::move(key), locate_cython_origin(generated_file, {origin.file, 0}).file).first;
  }
  return {known->second, origin.line, 1};
}

}  // namespace subcheck::reader
