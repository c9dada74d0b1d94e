// The vocabulary every stage of subcheck shares: locations, build configurations,
// findings. Everything downstream of the parser speaks in these terms.
#pragma once

#include <array>
#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace subcheck {

enum class Severity { note, warning, error };
inline std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::note: return "note";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "error";
}
inline std::optional<Severity> parse_severity(std::string_view text) {
  if (text == "note") return Severity::note;
  if (text == "warning") return Severity::warning;
  if (text == "error") return Severity::error;
  return std::nullopt;
}

// Every translation unit is read twice, as the compiler would for each build of CPython:
// the default build and the free-threaded one (Py_GIL_DISABLED defined).
enum class BuildConfig { gil, free_threaded };
inline constexpr std::array<BuildConfig, 2> kAllConfigs{BuildConfig::gil, BuildConfig::free_threaded};
inline std::string_view to_string(BuildConfig config) { return config == BuildConfig::gil ? "gil" : "free-threaded"; }

struct SourceLocation {
  std::string file;  // absolute, normalised path
  unsigned line = 0;
  unsigned column = 0;
  bool valid() const { return !file.empty() && line > 0; }
  auto operator<=>(const SourceLocation&) const = default;
};

struct Finding {
  std::string rule;  // stable rule id, e.g. "SI001"
  Severity severity = Severity::warning;
  SourceLocation location;
  std::string message;
  std::vector<std::string> modules;  // extension modules the location belongs to
  std::vector<BuildConfig> configs;  // build configurations in which it was seen
};

// Findings, each (rule, location) once: the one place findings are de-duplicated. A
// header read by several units (of one module or of several) yields the same finding once
// per unit, and a line seen in both builds once per configuration; the finding kept has
// the first message and the union of the modules and configurations.
class FindingSet {
 public:
  void add(Finding finding);
  // Everything added, by location then rule, modules and configurations sorted; the set is
  // left empty.
  std::vector<Finding> take();

 private:
  std::vector<Finding> findings_;
  std::map<std::pair<std::string, SourceLocation>, std::size_t> index_;
};

}  // namespace subcheck
