// Helpers shared by the corpus and bad-input tests: reading the expectations written in
// corpus files, enumerating corpus targets, and scratch directories.
//
// Header-only on purpose: tests/CMakeLists.txt builds every *_test.cpp into one binary and
// nothing else, so a test_support.cpp would not be compiled.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <compare>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/process.h"
#include "core/text.h"
#include "core/vocabulary.h"

namespace subcheck {

// GoogleTest prints the vocabulary's enums by their JSON spelling (found by ADL), not as numbers.
inline void PrintTo(ProbeKind value, std::ostream* out) { *out << to_string(value); }
inline void PrintTo(ProbeOutcome value, std::ostream* out) { *out << to_string(value); }
inline void PrintTo(SubinterpreterVerdict value, std::ostream* out) { *out << to_string(value); }
inline void PrintTo(FreeThreadingVerdict value, std::ostream* out) { *out << to_string(value); }
inline void PrintTo(InterpreterPoolVerdict value, std::ostream* out) { *out << to_string(value); }

}  // namespace subcheck

namespace subcheck::test {

namespace fs = std::filesystem;

inline std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const fs::path& file, std::string_view text) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// The form paths are compared in: absolute, symlinks resolved where they exist.
inline std::string normalise(const fs::path& path) {
  std::error_code error;
  fs::path canonical = fs::weakly_canonical(fs::absolute(path), error);
  return (error ? fs::absolute(path).lexically_normal() : canonical).string();
}

inline bool ends_with_path(const std::string& file, std::string_view suffix) {
  return file.size() >= suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One rules/<ID>-<name>.toml file. rule_files() lists them all, subinterpreter rules
// first, then free-threading, in id order; it is generated from rules/*.toml at build time
// (tests/rule_files.cmake), so adding a rule edits no test list.
struct RuleFile {
  std::string id;
  std::string name;
};
const std::vector<RuleFile>& rule_files();

// Sets an environment variable for one scope and restores the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "subcheck-test") {
    std::string pattern = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = fs::path(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);  // removes symlinks themselves, never what they point to
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path write(const fs::path& relative, std::string_view text) const {
    fs::path file = path_ / relative;
    write_text(file, text);
    return file;
  }

 private:
  fs::path path_;
};

using ::subcheck::is_valid_utf8;  // core/text.h

// Where ci/fetch-debian-source.sh --binary unpacked a Debian package (PACKAGE_VERSION_ARCH
// under $SUBCHECK_CACHE/debian-bin), or an empty path.
inline fs::path debian_unpacked(const std::string& package) {
  std::error_code ec;
  for (fs::directory_iterator it(subcheck_cache() / "debian-bin", ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind(package + "_", 0) == 0) return it->path();
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Corpus expectations (format: corpus/README.md)

struct ExpectedModule {
  std::string name;
  std::string init;
  std::string multiple_interpreters;
  std::string gil;
  std::string subinterpreters;
  std::string free_threading;
  std::string file;  // where the expectation is written
  unsigned line = 0;
};

struct ExpectedFinding {
  std::string rule;
  std::string file;  // normalised
  unsigned line = 0;
  auto operator<=>(const ExpectedFinding&) const = default;
};

// `// expect: SI006 "SpeedupsError"`: the SI006 finding on that line says "SpeedupsError".
struct ExpectedFragment {
  ExpectedFinding finding;
  std::string text;
};

struct TargetExpectations {
  std::vector<ExpectedModule> modules;
  std::vector<ExpectedFinding> findings;  // sorted
  std::vector<ExpectedFragment> fragments;
  std::vector<ExpectedFinding> absent;  // `// expect-not: RULE`: deliberate true negatives
  std::optional<std::size_t> suppressed;
  bool allows_diagnostics = false;
  std::vector<std::string> errors;  // malformed expectation comments
};

// Files that may carry expectations: C and C++ sources and headers, and the Cython sources
// generated C was made from (findings of SI011 are reported there; `# expect:` in them).
inline bool is_source_file(const fs::path& path) {
  static const std::set<std::string> kExtensions{".c",  ".cc",  ".cpp", ".cxx", ".h",
                                                 ".hh", ".hpp", ".hxx", ".pyx", ".pxd"};
  return kExtensions.count(path.extension().string()) > 0;
}

inline bool is_translation_unit(const fs::path& path) {
  static const std::set<std::string> kExtensions{".c", ".cc", ".cpp", ".cxx"};
  return kExtensions.count(path.extension().string()) > 0;
}

// Each top-level source file is a target, and so is each top-level directory.
inline std::vector<std::string> corpus_targets(const fs::path& corpus_dir) {
  std::vector<std::string> targets;
  for (const auto& entry : fs::directory_iterator(corpus_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.front() == '.') continue;
    if (entry.is_directory() || (entry.is_regular_file() && is_translation_unit(entry.path()))) {
      targets.push_back(normalise(entry.path()));
    }
  }
  std::sort(targets.begin(), targets.end());
  return targets;
}

inline std::vector<fs::path> files_of_target(const fs::path& target) {
  std::vector<fs::path> files;
  if (fs::is_regular_file(target)) {
    files.push_back(target);
  } else {
    for (const auto& entry : fs::recursive_directory_iterator(target)) {
      if (entry.is_regular_file() && is_source_file(entry.path())) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The interpreters every interpreter-parameterised test is instantiated for. Each test
// runs on whichever of them exists here (pyenv, the toolchain cache, PATH: the sid root
// has python3.14 and python3.15) and GTEST_SKIPs with the reason otherwise.
inline const std::vector<std::string> kInterpreterTags{"3.12", "3.13", "3.13t", "3.14", "3.15"};

// "3.13t" -> "py3_13t": ci/test-summary.py groups the run by these suffixes.
inline std::string interpreter_test_name(const std::string& tag) {
  std::string name = "py" + tag;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// A readable, gtest-safe name: "multi_tu_module", "singlephase_basic_c".
inline std::string target_test_name(const fs::path& target) {
  std::string name = target.filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

namespace detail {

inline const std::map<std::string, std::set<std::string>>& module_keys() {
  static const std::map<std::string, std::set<std::string>> keys{
      {"name", {}},
      {"init", {"single-phase", "multi-phase", "export", "unknown"}},
      {"multiple_interpreters",
       {"absent", "unknown", "Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED", "Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED",
        "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED"}},
      {"gil", {"absent", "unknown", "Py_MOD_GIL_USED", "Py_MOD_GIL_NOT_USED"}},
      {"subinterpreters", {"supported", "shared-gil-only", "unsupported", "unsafe", "unknown"}},
      {"free_threading", {"gil-free", "requires-gil", "unsafe", "unknown"}},
  };
  return keys;
}

inline std::string where(const fs::path& file, unsigned line) {
  return file.filename().string() + ":" + std::to_string(line);
}

// The text after a marker, up to the end of the comment or line.
inline std::string marker_value(const std::string& line, std::size_t after_marker) {
  std::string value = line.substr(after_marker);
  if (auto end = value.find("*/"); end != std::string::npos) value.resize(end);
  return value;
}

inline void parse_module_line(const std::string& text, const fs::path& file, unsigned line, TargetExpectations& out) {
  ExpectedModule module;
  module.file = normalise(file);
  module.line = line;
  std::map<std::string, std::string> fields;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    auto equals = word.find('=');
    if (equals == std::string::npos) {
      out.errors.push_back(where(file, line) + ": module expectation word without '=': " + word);
      continue;
    }
    std::string key = word.substr(0, equals), value = word.substr(equals + 1);
    auto known = module_keys().find(key);
    if (known == module_keys().end()) {
      out.errors.push_back(where(file, line) + ": unknown module expectation key '" + key + "'");
    } else if (!known->second.empty() && !known->second.count(value)) {
      out.errors.push_back(where(file, line) + ": '" + value + "' is not a valid " + key);
    } else if (!fields.emplace(key, value).second) {
      out.errors.push_back(where(file, line) + ": '" + key + "' given twice");
    }
  }
  for (const auto& [key, allowed] : module_keys()) {
    if (!fields.count(key)) out.errors.push_back(where(file, line) + ": module expectation lacks '" + key + "'");
  }
  module.name = fields["name"];
  module.init = fields["init"];
  module.multiple_interpreters = fields["multiple_interpreters"];
  module.gil = fields["gil"];
  module.subinterpreters = fields["subinterpreters"];
  module.free_threading = fields["free_threading"];
  out.modules.push_back(std::move(module));
}

// The words of an `expect:` or `expect-not:` value: rule ids, and for `expect:` quoted
// message fragments, each belonging to the rule id before it.
inline void parse_finding_line(const std::string& value, const fs::path& file, unsigned line, TargetExpectations& out,
                               bool negative = false) {
  static const std::regex kWord(R"re(\s*("[^"]*"|[^\s"]+|"[^"]*$))re");
  static const std::regex kRuleId("^[A-Z]{2}[0-9]{3}$");
  const std::string marker = negative ? "expect-not:" : "expect:";
  std::size_t count = 0;
  std::optional<ExpectedFinding> last;
  for (auto word = std::sregex_iterator(value.begin(), value.end(), kWord); word != std::sregex_iterator(); ++word) {
    const std::string text = (*word)[1].str();
    if (text.front() == '"') {
      if (text.size() < 2 || text.back() != '"' || text.size() == 2) {
        out.errors.push_back(where(file, line) + ": " + marker + " has an unterminated or empty fragment");
      } else if (negative || !last) {
        out.errors.push_back(where(file, line) + ": " + marker + " fragment " + text + " follows no rule id");
      } else {
        out.fragments.push_back({*last, text.substr(1, text.size() - 2)});
      }
      continue;
    }
    ++count;
    if (!std::regex_match(text, kRuleId)) {
      out.errors.push_back(where(file, line) + ": '" + text + "' in " + marker + " is not a rule id");
      last.reset();
      continue;
    }
    last = ExpectedFinding{text, normalise(file), line};
    (negative ? out.absent : out.findings).push_back(*last);
  }
  if (count == 0) out.errors.push_back(where(file, line) + ": " + marker + " names no rule");
}

inline void parse_file(const fs::path& file, TargetExpectations& out) {
  // A marker's value runs to the next `//` or the end of the line; in Cython sources, where
  // comments start with `#`, to the next `#` or the end of the line.
  static const std::regex kExpect(R"(//\s*expect:((?:[^/]|/(?!/))*))");
  static const std::regex kExpectNot(R"(//\s*expect-not:((?:[^/]|/(?!/))*))");
  static const std::regex kCythonExpect(R"(#\s*expect:([^#]*))");
  static const std::regex kCythonExpectNot(R"(#\s*expect-not:([^#]*))");
  const bool cython = file.extension() == ".pyx" || file.extension() == ".pxd";
  const std::regex& expect = cython ? kCythonExpect : kExpect;
  const std::regex& expect_not = cython ? kCythonExpectNot : kExpectNot;
  constexpr std::string_view kModule = "subcheck-expect-module:";
  constexpr std::string_view kSuppressed = "subcheck-expect-suppressed:";
  constexpr std::string_view kAllowDiagnostics = "subcheck-allow-diagnostics:";

  std::istringstream lines(read_text(file));
  unsigned number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (auto at = line.find(kModule); at != std::string::npos) {
      parse_module_line(marker_value(line, at + kModule.size()), file, number, out);
    }
    if (auto at = line.find(kSuppressed); at != std::string::npos) {
      std::istringstream value(marker_value(line, at + kSuppressed.size()));
      std::size_t count = 0;
      if (!(value >> count)) {
        out.errors.push_back(where(file, number) + ": subcheck-expect-suppressed needs a number");
      } else if (out.suppressed) {
        out.errors.push_back(where(file, number) + ": subcheck-expect-suppressed given twice");
      } else {
        out.suppressed = count;
      }
    }
    if (line.find(kAllowDiagnostics) != std::string::npos) out.allows_diagnostics = true;
    std::smatch match;
    if (std::regex_search(line, match, expect)) {
      parse_finding_line(match[1].str(), file, number, out);
    }
    if (std::regex_search(line, match, expect_not)) {
      parse_finding_line(match[1].str(), file, number, out, /*negative=*/true);
    }
  }
}

}  // namespace detail

inline TargetExpectations read_expectations(const fs::path& target) {
  TargetExpectations expectations;
  for (const auto& file : files_of_target(target)) detail::parse_file(file, expectations);
  std::sort(expectations.findings.begin(), expectations.findings.end());
  for (const ExpectedFinding& absent : expectations.absent) {
    if (std::binary_search(expectations.findings.begin(), expectations.findings.end(), absent)) {
      expectations.errors.push_back(absent.file + ":" + std::to_string(absent.line) + ": " + absent.rule +
                                    " is both expected and expected not to fire");
    }
  }
  return expectations;
}

}  // namespace subcheck::test
