#include "cli/dynamic_report.h"

#include <algorithm>
#include <iomanip>
#include <map>

#include "prober/interpreter_pool.h"

namespace subcheck {
namespace {

std::string last_component(const std::string& dotted) {
  std::size_t dot = dotted.rfind('.');
  return dot == std::string::npos ? dotted : dotted.substr(dot + 1);
}

const ModuleVerdict* static_verdict(const AnalysisResult& analysis, const std::string& module) {
  for (const ModuleVerdict& verdict : analysis.verdicts) {
    if (verdict.module == module) return &verdict;
  }
  return nullptr;
}

const ExtensionModule* static_module(const AnalysisResult& analysis, const std::string& module) {
  for (const ExtensionModule& candidate : analysis.model.modules) {
    if (candidate.name == module) return &candidate;
  }
  return nullptr;
}

// Static verdicts that a successful or refused import would contradict.
void compare_subinterpreters(const ModuleVerdict& expected, const prober::ModuleProbeReport& seen,
                             std::vector<CrossCheck>& out) {
  const SubinterpreterVerdict said = expected.subinterpreters;
  const SubinterpreterVerdict did = seen.subinterpreters;
  bool loads = did == SubinterpreterVerdict::supported;
  bool refused = did == SubinterpreterVerdict::unsupported || did == SubinterpreterVerdict::shared_gil_only;
  if ((said == SubinterpreterVerdict::supported || said == SubinterpreterVerdict::unsafe) && refused) {
    out.push_back({expected.module, seen.interpreter, "disagreement",
                   "the sources declare per-interpreter GIL support, but the isolated import was refused: " +
                       seen.summary});
  } else if ((said == SubinterpreterVerdict::unsupported || said == SubinterpreterVerdict::shared_gil_only) &&
             loads) {
    out.push_back({expected.module, seen.interpreter, "disagreement",
                   "static analysis says isolated subinterpreters refuse it (" + std::string(to_string(said)) +
                       "), but the isolated import succeeded: the built module may not come from these sources"});
  } else if (said == SubinterpreterVerdict::shared_gil_only && did == SubinterpreterVerdict::unsupported) {
    out.push_back({expected.module, seen.interpreter, "disagreement",
                   "static analysis expects legacy (shared-GIL) subinterpreters to accept it, but they refused it"});
  }
}

void compare_free_threading(const ModuleVerdict& expected, const prober::ModuleProbeReport& seen,
                            std::vector<CrossCheck>& out) {
  const FreeThreadingVerdict said = expected.free_threading;
  const FreeThreadingVerdict did = seen.free_threading;
  if (said == FreeThreadingVerdict::requires_gil && did == FreeThreadingVerdict::gil_free) {
    out.push_back({expected.module, seen.interpreter, "disagreement",
                   "no Py_mod_gil slot or PyUnstable_Module_SetGIL call was found, yet the GIL stayed off after "
                   "the import"});
  } else if ((said == FreeThreadingVerdict::gil_free || said == FreeThreadingVerdict::unsafe) &&
             did == FreeThreadingVerdict::requires_gil) {
    out.push_back({expected.module, seen.interpreter, "disagreement",
                   "the sources declare Py_MOD_GIL_NOT_USED, yet importing the module enabled the GIL"});
  }
}

// Types with the same address in two interpreters are static types; a module that
// claims per-interpreter GIL support with them is the SI004 contradiction, seen live.
void compare_shared_objects(const ExtensionModule* module, const prober::ModuleProbeReport& seen,
                            std::vector<CrossCheck>& out) {
  std::vector<std::string> shared;
  for (const prober::ProbeResult& result : seen.evidence) {
    for (const std::string& name : result.shared_objects) {  // a fallback repeats a combined child's
      if (std::find(shared.begin(), shared.end(), name) == shared.end()) shared.push_back(name);
    }
  }
  if (shared.empty() || module == nullptr) return;
  const ModuleConfigView* view = module->view(BuildConfig::gil);
  if (view == nullptr) return;
  std::string names;
  for (const std::string& name : shared) names += (names.empty() ? "" : ", ") + name;
  if (view->multiple_interpreters == MultipleInterpreters::per_interpreter_gil_supported) {
    out.push_back({module->name, seen.interpreter, "confirmed",
                   "declares Py_MOD_PER_INTERPRETER_GIL_SUPPORTED, and the isolated import shares objects with "
                   "the main interpreter (static types): " + names});
  }
}

nlohmann::json probe_result_json(const prober::ProbeResult& result) {
  nlohmann::json steps = nlohmann::json::array();
  for (const prober::ProbeStep& step : result.steps) {
    steps.push_back({{"where", step.where}, {"ok", step.ok}, {"error_type", step.error_type}, {"message", step.message}});
  }
  nlohmann::json json = {{"probe", to_string(result.probe)},
                         {"outcome", to_string(result.outcome)},
                         {"signal", result.signal},
                         {"exit_code", result.exit_code},
                         {"elapsed_ms", result.elapsed.count()},
                         {"steps", steps},
                         {"shared_objects", result.shared_objects},
                         {"rss_kb", result.rss_kb},
                         {"output", result.output},
                         {"output_truncated", result.output_truncated}};
  if (!result.during.empty()) json["during"] = result.during;
  if (result.split_from) json["split_from"] = to_string(*result.split_from);
  json["gil_before"] = result.gil_before ? nlohmann::json(*result.gil_before) : nlohmann::json(nullptr);
  json["gil_after"] = result.gil_after ? nlohmann::json(*result.gil_after) : nlohmann::json(nullptr);
  return json;
}

// One line per package that imports in isolated subinterpreters only by falling back:
// what a user of the distribution sees first ("import yaml" works there, without libyaml).
void write_fallbacks_text(std::ostream& out, const std::vector<DynamicRun>& runs) {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> tags;  // (package, module) -> interpreters
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      if (!report.fallback_package.empty()) tags[{report.fallback_package, report.module}].push_back(report.interpreter);
    }
  }
  if (tags.empty()) return;
  out << "\nfalls back in isolated subinterpreters:\n";
  for (const auto& [key, interpreters] : tags) {
    std::string list;
    for (const std::string& tag : interpreters) list += (list.empty() ? "" : ", ") + tag;
    out << "  package " << key.first << " imports in an isolated subinterpreter only without its accelerator "
        << key.second << " (" << list << ")\n";
  }
}

}  // namespace

std::vector<CrossCheck> cross_check(const AnalysisResult& analysis, const std::vector<DynamicRun>& runs) {
  std::vector<CrossCheck> checks;
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      std::string name = last_component(report.module);
      const ModuleVerdict* verdict = static_verdict(analysis, name);
      if (verdict == nullptr || report.subinterpreters == SubinterpreterVerdict::abi_mismatch) continue;
      if (!run.interpreter.free_threaded) compare_subinterpreters(*verdict, report, checks);
      if (run.interpreter.free_threaded) compare_free_threading(*verdict, report, checks);
      compare_shared_objects(static_module(analysis, name), report, checks);
    }
  }
  return checks;
}

nlohmann::json dynamic_json(const std::vector<DynamicRun>& runs, const std::vector<std::string>& problems) {
  nlohmann::json interpreters = nlohmann::json::array();
  nlohmann::json modules = nlohmann::json::array();
  for (const DynamicRun& run : runs) {
    const Interpreter& interpreter = run.interpreter;
    interpreters.push_back({{"tag", interpreter.implementation_tag},
                            {"version", interpreter.version},
                            {"executable", interpreter.executable.string()},
                            {"free_threaded", interpreter.free_threaded},
                            {"soabi", interpreter.soabi},
                            {"sandbox",
                             {{"network", run.run.sandbox.network},
                              {"limits", run.run.sandbox.limits},
                              {"level", run.run.sandbox.level},
                              {"isolation", run.run.sandbox.isolation},
                              {"problems", run.run.sandbox.problems}}},
                            {"problems", run.run.problems}});
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      nlohmann::json evidence = nlohmann::json::array();
      for (const prober::ProbeResult& result : report.evidence) evidence.push_back(probe_result_json(result));
      modules.push_back({{"module", report.module},
                         {"file", report.file.string()},
                         {"interpreter", report.interpreter},
                         {"subinterpreters", to_string(report.subinterpreters)},
                         {"free_threading", to_string(report.free_threading)},
                         {"interpreter_pool", to_string(prober::interpreter_pool_verdict(report, interpreter))},
                         {"summary", report.summary},
                         {"fallback_package", report.fallback_package.empty()
                                                  ? nlohmann::json(nullptr)
                                                  : nlohmann::json(report.fallback_package)},
                         {"notes", report.notes},
                         {"evidence", evidence}});
    }
  }
  return {{"interpreters", interpreters}, {"modules", modules}, {"problems", problems}};
}

nlohmann::json cross_checks_json(const std::vector<CrossCheck>& checks) {
  nlohmann::json json = nlohmann::json::array();
  for (const CrossCheck& check : checks) {
    json.push_back({{"module", check.module},
                    {"interpreter", check.interpreter},
                    {"kind", check.kind},
                    {"message", check.message}});
  }
  return json;
}

void write_dynamic_text(std::ostream& out, const std::vector<DynamicRun>& runs,
                        const std::vector<std::string>& problems, bool verbose) {
  std::size_t module_width = 6, verdict_width = 15;
  // The InterpreterPoolExecutor column only when some interpreter has the executor (3.14+).
  const bool pool_column = std::any_of(runs.begin(), runs.end(), [](const DynamicRun& run) {
    return prober::has_interpreter_pool(run.interpreter);
  });
  constexpr int kPoolWidth = 15;  // "not-available" and two spaces
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      module_width = std::max(module_width, report.module.size());
      verdict_width =
          std::max({verdict_width, to_string(report.subinterpreters).size(), to_string(report.free_threading).size()});
    }
  }
  out << std::left << std::setw(static_cast<int>(module_width) + 2) << "module" << std::setw(8) << "python"
      << std::setw(static_cast<int>(verdict_width) + 2) << "subinterpreters"
      << std::setw(static_cast<int>(verdict_width) + 2) << "free-threading";
  if (pool_column) out << std::setw(kPoolWidth) << "pool-executor";
  out << "evidence\n";
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      out << std::setw(static_cast<int>(module_width) + 2) << report.module << std::setw(8) << report.interpreter
          << std::setw(static_cast<int>(verdict_width) + 2) << to_string(report.subinterpreters)
          << std::setw(static_cast<int>(verdict_width) + 2) << to_string(report.free_threading);
      if (pool_column) {
        out << std::setw(kPoolWidth) << to_string(prober::interpreter_pool_verdict(report, run.interpreter));
      }
      out << report.summary << "\n";
      for (const std::string& note : report.notes) out << "    note: " << note << "\n";
      if (!verbose) continue;
      for (const prober::ProbeResult& result : report.evidence) {
        out << "    " << to_string(result.probe) << ": " << to_string(result.outcome);
        if (result.signal) out << " (signal " << result.signal << ")";
        for (const prober::ProbeStep& step : result.steps) {
          out << "; " << step.where << (step.ok ? " ok" : " failed");
          if (!step.ok && !step.message.empty()) out << " (" << step.error_type << ": " << step.message << ")";
        }
        out << "\n";
      }
    }
  }
  write_fallbacks_text(out, runs);
  for (const DynamicRun& run : runs) {
    out << "\n" << run.interpreter.implementation_tag << " (" << run.interpreter.executable.string()
        << "): network " << run.run.sandbox.network << "; sandbox "
        << (run.run.sandbox.level.empty() ? "not started" : run.run.sandbox.level) << "\n";
    for (const std::string& missing : run.run.sandbox.problems) out << "  sandbox: " << missing << "\n";
    for (const std::string& problem : run.run.problems) out << "  problem: " << problem << "\n";
  }
  for (const std::string& problem : problems) out << "problem: " << problem << "\n";
}

void write_cross_checks_text(std::ostream& out, const std::vector<CrossCheck>& checks) {
  if (checks.empty()) return;
  out << "\nstatic vs dynamic:\n";
  for (const CrossCheck& check : checks) {
    out << "  " << check.module << " [" << check.interpreter << "] " << check.kind << ": " << check.message << "\n";
  }
}

bool dynamic_failures(const std::vector<DynamicRun>& runs) {
  using Sub = SubinterpreterVerdict;
  using Ft = FreeThreadingVerdict;
  auto sub_bad = [](Sub verdict) {
    return verdict == Sub::unsupported || verdict == Sub::shared_gil_only || verdict == Sub::crash ||
           verdict == Sub::timeout || verdict == Sub::broken;
  };
  auto ft_bad = [](Ft verdict) {
    return verdict == Ft::crash || verdict == Ft::timeout || verdict == Ft::broken || verdict == Ft::requires_gil;
  };
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      if (sub_bad(report.subinterpreters) || ft_bad(report.free_threading)) return true;
    }
  }
  return false;
}

}  // namespace subcheck
