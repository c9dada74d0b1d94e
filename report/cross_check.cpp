// Pairing probed modules with the static modules they were built from, and comparing their
// verdicts (cross_check.h).
#include "report/cross_check.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace subcheck {
namespace {

namespace fs = std::filesystem;

std::string last_component(const std::string& dotted) {
  std::size_t dot = dotted.rfind('.');
  return dot == std::string::npos ? dotted : dotted.substr(dot + 1);
}

// "pkg.sub._x" -> {"pkg", "sub"}
std::vector<std::string> package_path(const std::string& dotted) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = dotted.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(dotted.substr(start, dot - start));
  }
  return parts;
}

// How many directories of `dir`, from the last, are `packages`: packages.size() when they
// all are, -1 when not.
int package_suffix_match(const std::vector<std::string>& packages, const fs::path& dir) {
  std::vector<std::string> dirs;
  for (const fs::path& part : dir) dirs.push_back(part.string());
  if (packages.size() > dirs.size()) return -1;
  if (!std::equal(packages.rbegin(), packages.rend(), dirs.rbegin())) return -1;
  return static_cast<int>(packages.size());
}

// The one candidate with the best score (higher is better, negative does not fit); nullopt
// when none fits or two share the best score.
std::optional<std::size_t> unique_best(const std::vector<std::pair<std::size_t, int>>& scored) {
  std::optional<std::size_t> best;
  int best_score = -1;
  bool tie = false;
  for (const auto& [index, score] : scored) {
    if (score < 0 || score < best_score) continue;
    tie = score == best_score;
    best = index;
    best_score = score;
  }
  return tie ? std::nullopt : best;
}

// Static verdicts that a successful or refused import would contradict.
void compare_subinterpreters(const ModuleVerdict& expected, const prober::ModuleProbeReport& seen, CrossCheck base,
                             std::vector<CrossCheck>& out) {
  using V = SubinterpreterVerdict;
  const V said = expected.subinterpreters;
  const V did = seen.subinterpreters;
  const bool loads = did == V::supported;
  const bool refused = did == V::unsupported || did == V::shared_gil_only;
  if ((said == V::supported || said == V::unsafe) && refused) {
    base.message =
        "the sources declare per-interpreter GIL support, but the isolated import was refused: " + seen.summary;
  } else if ((said == V::unsupported || said == V::shared_gil_only) && loads) {
    base.message = "static analysis says isolated subinterpreters refuse it (" + std::string(to_string(said)) +
                   "), but the isolated import succeeded: the built module may not come from these sources";
  } else if (said == V::shared_gil_only && did == V::unsupported) {
    base.message = "static analysis expects legacy (shared-GIL) subinterpreters to accept it, but they refused it";
  } else {
    return;
  }
  out.push_back(std::move(base));
}

void compare_free_threading(const ModuleVerdict& expected, const prober::ModuleProbeReport& seen, CrossCheck base,
                            std::vector<CrossCheck>& out) {
  using V = FreeThreadingVerdict;
  const V said = expected.free_threading;
  const V did = seen.free_threading;
  if (said == V::requires_gil && did == V::gil_free) {
    base.message =
        "no Py_mod_gil slot or PyUnstable_Module_SetGIL call was found, yet the GIL stayed off after the import";
  } else if ((said == V::gil_free || said == V::unsafe) && did == V::requires_gil) {
    base.message = "the sources declare Py_MOD_GIL_NOT_USED, yet importing the module enabled the GIL";
  } else {
    return;
  }
  out.push_back(std::move(base));
}

// What the built module's PyModuleDef declares (read by the `declared` child) against what
// its sources declare: a difference means the binary was built from other sources or other
// flags than the ones scanned, and every other comparison of the pair is suspect. Py_mod_gil
// only on free-threaded interpreters (3.12's headers have no slot; the free-threaded view
// is the one read with Py_GIL_DISABLED).
void compare_declared(const ExtensionModule& module, const prober::ModuleProbeReport& seen, bool free_threaded,
                      CrossCheck base, std::vector<CrossCheck>& out) {
  const prober::DeclaredDef& declared = seen.declared.def;
  const ModuleConfigView* view = module.view(free_threaded ? BuildConfig::free_threaded : BuildConfig::gil);
  if (seen.declared.def_source != "module-def" || view == nullptr) return;
  std::string differences;
  auto differ = [&](std::string_view what, std::string_view source, std::string_view binary) {
    differences += (differences.empty() ? "" : "; ") + std::string(what) + ": the sources say " + std::string(source) +
                   ", the binary " + std::string(binary);
  };
  const bool known = view->init != InitStyle::unknown && declared.init != InitStyle::unknown;
  if (known && view->init != declared.init) differ("init", to_string(view->init), to_string(declared.init));
  const bool both_multi_phase = view->init == InitStyle::multi_phase && declared.init == InitStyle::multi_phase;
  auto comparable = [](MultipleInterpreters value) {
    return value != MultipleInterpreters::unknown && value != MultipleInterpreters::other;
  };
  if (both_multi_phase && comparable(view->multiple_interpreters) && comparable(declared.multiple_interpreters) &&
      view->multiple_interpreters != declared.multiple_interpreters) {
    differ("Py_mod_multiple_interpreters", to_string(view->multiple_interpreters),
           to_string(declared.multiple_interpreters));
  }
  auto gil_comparable = [](GilDeclaration value) {
    return value != GilDeclaration::unknown && value != GilDeclaration::other;
  };
  if (both_multi_phase && free_threaded && gil_comparable(view->gil) && gil_comparable(declared.gil) &&
      view->gil != declared.gil) {
    differ("Py_mod_gil", to_string(view->gil), to_string(declared.gil));
  }
  if (differences.empty()) return;
  base.message = "the built module does not declare what the scanned sources do (" + differences +
                 "): it was built from other sources or with other flags";
  out.push_back(std::move(base));
}

// Types with the same address in two interpreters are static types; a module that
// claims per-interpreter GIL support with them is the SI004 contradiction, seen live.
void compare_shared_objects(const ExtensionModule& module, const prober::ModuleProbeReport& seen, CrossCheck base,
                            std::vector<CrossCheck>& out) {
  std::vector<std::string> shared;
  for (const prober::ProbeResult& child : seen.evidence) {
    for (const std::string& name : child.shared_objects) {  // an isolated child repeats a combined child's
      if (std::find(shared.begin(), shared.end(), name) == shared.end()) shared.push_back(name);
    }
  }
  const ModuleConfigView* view = module.view(BuildConfig::gil);
  if (shared.empty() || view == nullptr) return;
  if (view->multiple_interpreters != MultipleInterpreters::per_interpreter_gil_supported) return;
  std::string names;
  for (const std::string& name : shared) names += (names.empty() ? "" : ", ") + name;
  base.kind = CrossCheckKind::confirmed;
  base.message =
      "declares Py_MOD_PER_INTERPRETER_GIL_SUPPORTED, and the isolated import shares objects with the "
      "main interpreter (static types): " +
      names;
  out.push_back(std::move(base));
}

// The source files that define a module of this name: its PyInit_<name> / PyInitU_<name>
// (external linkage) or a binding macro naming it. A PyInit from a shared header counts
// once (one file).
std::set<std::string> files_defining(const AnalysisModel& model, const std::string& name) {
  std::set<std::string> files;
  for (const TranslationUnitFacts& unit : model.units) {
    for (const FunctionFact& function : unit.functions) {
      if (function.external_linkage && (function.name == "PyInit_" + name || function.name == "PyInitU_" + name)) {
        files.insert(function.location.file);
      }
    }
    for (const BindingModuleFact& binding : unit.binding_modules) {
      if (binding.module_name == name) files.insert(binding.location.file);
    }
  }
  return files;
}

// Import names probed, by last component: whether a last name belongs to one module only.
std::map<std::string, std::set<std::string>> probed_names(const std::vector<DynamicRun>& runs) {
  std::map<std::string, std::set<std::string>> names;
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules)
      names[last_component(report.module)].insert(report.module);
  }
  return names;
}

}  // namespace

std::string_view to_string(CrossCheckKind kind) {
  return kind == CrossCheckKind::confirmed ? "confirmed" : "disagreement";
}

std::optional<std::size_t> static_module_for(const AnalysisResult& analysis, const std::string& import_name,
                                             const fs::path& built_file, bool unique_probed_name) {
  const std::string name = last_component(import_name);
  const std::vector<std::string> packages = package_path(import_name);
  const fs::path built_dir = built_file.parent_path().lexically_normal();
  constexpr int kInPlace = 1000;  // beats any package match
  std::vector<std::pair<std::size_t, int>> scored;
  std::size_t same_name = 0;
  for (std::size_t i = 0; i < analysis.model.modules.size() && i < analysis.verdicts.size(); ++i) {
    const ExtensionModule& module = analysis.model.modules[i];
    if (module.name != name) continue;
    ++same_name;
    if (module.location.file.empty()) continue;
    const fs::path source_dir = fs::path(module.location.file).parent_path().lexically_normal();
    const bool in_place = !built_dir.empty() && source_dir == built_dir;
    scored.emplace_back(i, in_place ? kInPlace : package_suffix_match(packages, source_dir));
  }
  // The static model keeps one module per name (analyzer/module_model.cpp resolves by name):
  // where several files define modules of this name, a static module's verdict may mix
  // theirs, and no file can say which binary it stands for.
  if (!scored.empty() && files_defining(analysis.model, name).size() > same_name) return std::nullopt;
  if (std::optional<std::size_t> best = unique_best(scored)) return best;
  const bool none_fits = std::all_of(scored.begin(), scored.end(), [](const auto& s) { return s.second < 0; });
  if (none_fits && scored.size() == 1 && unique_probed_name) return scored.front().first;
  return std::nullopt;
}

std::vector<CrossCheck> cross_check(const AnalysisResult& analysis, const std::vector<DynamicRun>& runs) {
  std::vector<CrossCheck> checks;
  const auto names = probed_names(runs);
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      if (report.subinterpreters == SubinterpreterVerdict::abi_mismatch) continue;
      const bool unique = names.at(last_component(report.module)).size() == 1;
      const std::optional<std::size_t> index = static_module_for(analysis, report.module, report.file, unique);
      if (!index) continue;
      const ExtensionModule& module = analysis.model.modules[*index];
      const ModuleVerdict& verdict = analysis.verdicts[*index];
      const CrossCheck base{module.name, report.module, report.file, report.interpreter, CrossCheckKind::disagreement,
                            ""};
      if (!run.interpreter.free_threaded) compare_subinterpreters(verdict, report, base, checks);
      if (run.interpreter.free_threaded) compare_free_threading(verdict, report, base, checks);
      compare_declared(module, report, run.interpreter.free_threaded, base, checks);
      compare_shared_objects(module, report, base, checks);
    }
  }
  return checks;
}

bool has_disagreement(const std::vector<CrossCheck>& checks) {
  return std::any_of(checks.begin(), checks.end(),
                     [](const CrossCheck& check) { return check.kind == CrossCheckKind::disagreement; });
}

}  // namespace subcheck
