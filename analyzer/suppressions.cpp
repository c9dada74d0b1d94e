// Inline suppressions, as users of clang-tidy (NOLINT), ruff (noqa) and NumPy's
// borrowed-reference lint expect them:
//   x = PyDict_GetItem(d, k);  // subcheck: ignore[FT003]
//   // subcheck: ignore-next-line[SI006, global-mutable-state]
//   static PyObject *cache;
//   item = PyList_GetItem(l, 0);  // noqa: borrowed-ref OK      (FT003 only)
#include <fstream>
#include <map>
#include <sstream>

#include "analyzer/analyze.h"
#include "rules/catalogue.h"

namespace subcheck {
namespace {

class SourceLines {
 public:
  const std::string& line(const std::string& file, unsigned number) {
    auto [entry, inserted] = files_.try_emplace(file);
    if (inserted) {
      std::ifstream in(file, std::ios::binary);
      for (std::string text; std::getline(in, text);) entry->second.push_back(std::move(text));
    }
    static const std::string empty;
    return number >= 1 && number <= entry->second.size() ? entry->second[number - 1] : empty;
  }

 private:
  std::map<std::string, std::vector<std::string>> files_;
};

std::string trim(std::string text) {
  const char* space = " \t\r\n";
  text.erase(0, text.find_first_not_of(space));
  text.erase(text.find_last_not_of(space) + 1);
  return text;
}

// Does `directive` in `line` (e.g. "subcheck: ignore") name this rule?
bool names_rule(const std::string& line, const std::string& directive, const Rule& rule) {
  std::size_t at = line.find(directive);
  while (at != std::string::npos) {
    std::size_t after = at + directive.size();
    bool next_line_form = line.compare(after, 10, "-next-line") == 0;
    if (directive.find("next-line") != std::string::npos || !next_line_form) {
      if (after >= line.size() || line[after] != '[') return true;  // no list: every rule
      std::size_t close = line.find(']', after);
      std::stringstream list(
          line.substr(after + 1, close == std::string::npos ? std::string::npos : close - after - 1));
      for (std::string item; std::getline(list, item, ',');) {
        item = trim(item);
        if (item == rule.id || item == rule.name) return true;
      }
    }
    at = line.find(directive, after);
  }
  return false;
}

bool is_suppressed(const Finding& finding, const Rule& rule, SourceLines& lines) {
  const std::string& here = lines.line(finding.location.file, finding.location.line);
  if (names_rule(here, "subcheck: ignore", rule)) return true;
  if (finding.location.line > 1 &&
      names_rule(lines.line(finding.location.file, finding.location.line - 1), "subcheck: ignore-next-line", rule)) {
    return true;
  }
  return rule.name == "borrowed-reference-api" && here.find("noqa: borrowed-ref") != std::string::npos;
}

}  // namespace

std::vector<Finding> apply_suppressions(std::vector<Finding> findings, const RuleCatalogue& rules,
                                        std::size_t* suppressed, std::vector<Finding>* silenced) {
  SourceLines lines;
  std::vector<Finding> kept;
  std::size_t dropped = 0;
  for (Finding& finding : findings) {
    const Rule* rule = rules.find(finding.rule);
    if (rule && is_suppressed(finding, *rule, lines)) {
      ++dropped;
      if (silenced) silenced->push_back(std::move(finding));
    } else {
      kept.push_back(std::move(finding));
    }
  }
  if (suppressed) *suppressed = dropped;
  return kept;
}

}  // namespace subcheck
