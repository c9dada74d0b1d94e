// Static against dynamic evidence about one module (`subcheck scan --probe`): which static
// module a probed module was built from, and where the two say different things about it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analyze.h"
#include "prober/prober.h"

namespace subcheck {

// One interpreter's probe run and the interpreter it ran on.
struct DynamicRun {
  Interpreter interpreter;
  prober::ProbeRun run;
};

enum class CrossCheckKind {
  disagreement,  // the probe contradicts what the sources say
  confirmed,     // the probe shows, live, what a static finding says
};

std::string_view to_string(CrossCheckKind kind);

// Where static and dynamic evidence about one module meet (docs/json-schema.md,
// "cross_checks").
struct CrossCheck {
  std::string module;          // the static module's name (PyInit_<name>)
  std::string import_name;     // the probed module's full import name ("pkg._speedups")
  std::filesystem::path file;  // the probed file (the built .so)
  std::string interpreter;     // implementation tag of the probing interpreter
  CrossCheckKind kind = CrossCheckKind::disagreement;
  std::string message;
};

// The index (into analysis.model.modules and analysis.verdicts) of the static module a
// probed module was built from, keyed by the probed module's full import name and its
// file, never by the last name component alone. Candidates are the static modules whose
// PyInit_<name> is the import name's last component. Of those: the one whose source sits
// in the built file's directory (an in-place build); else the one whose source directory
// ends with the import name's package path (src/pkg/sub/_x.c for pkg.sub._x; any
// directory fits a top-level module), the longest such match winning. When none fits, a
// pair that is one-to-one by last name (the tree's only `_x` source, and `_x` the last
// name of only one probed module: `unique_probed_name`) still matches, for builds that
// put a source's module into another package. nullopt when nothing matches, when the best
// candidates cannot be told apart, or when more files define a module of that name than
// the static model has modules of it (the analyzer merges modules by name, so its verdict
// for the name may mix several sources): no comparison is better than one with the wrong
// sources.
std::optional<std::size_t> static_module_for(const AnalysisResult& analysis, const std::string& import_name,
                                             const std::filesystem::path& built_file, bool unique_probed_name);

// Every cross-check of the probed modules that have a static counterpart (abi-mismatch
// reports are never compared: nothing was loaded).
std::vector<CrossCheck> cross_check(const AnalysisResult& analysis, const std::vector<DynamicRun>& runs);

// True when any cross-check is a disagreement.
bool has_disagreement(const std::vector<CrossCheck>& checks);

}  // namespace subcheck
