// Writing the probes' evidence and the cross-checks (dynamic_report.h).
#include "report/dynamic_report.h"

#include <algorithm>
#include <iomanip>
#include <map>

#include "prober/interpreter_pool.h"

namespace subcheck {
namespace {

// One reading of a module's evidence. Schema v1 lists readings, one per probe answered
// (docs/prober.md), and marks one taken from another child's result with `split_from`, the
// kind of that child: kept so that v1 readers (tests/bench/prober-vs-naive.sh counts
// children by it) read the same document.
nlohmann::json probe_result_json(const prober::ProbeReading& reading) {
  const prober::ProbeResult& result = reading.result;
  nlohmann::json steps = nlohmann::json::array();
  for (const prober::ProbeStep& step : result.steps) {
    steps.push_back(
        {{"where", step.where}, {"ok", step.ok}, {"error_type", step.error_type}, {"message", step.message}});
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
  if (reading.part_of) json["split_from"] = to_string(*reading.part_of);
  json["gil_before"] = result.gil_before ? nlohmann::json(*result.gil_before) : nlohmann::json(nullptr);
  json["gil_after"] = result.gil_after ? nlohmann::json(*result.gil_after) : nlohmann::json(nullptr);
  return json;
}

// What the module declares (docs/json-schema.md, "declared"): each fact with its source.
nlohmann::json declared_json(const prober::DeclaredFacts& facts) {
  const prober::DeclaredDef& def = facts.def;
  const bool read = !facts.def_source.empty();
  nlohmann::json json = {
      {"init", to_string(def.init)},
      {"multiple_interpreters", to_string(def.multiple_interpreters)},
      {"gil", to_string(def.gil)},
      {"m_size", def.m_size ? nlohmann::json(*def.m_size) : nlohmann::json(nullptr)},
      {"imports", facts.imports},
      {"sources",
       {{"init", facts.init_source.empty() ? "none" : facts.init_source},
        {"multiple_interpreters", read ? facts.def_source : "none"},
        {"gil", read ? facts.def_source : "none"},
        {"m_size", read && def.m_size ? facts.def_source : "none"},
        {"imports", facts.imports_error.empty() ? "elf-imports" : "none"}}},
      {"unseen", "macros leave no symbol: PyList_GET_ITEM, PyTuple_GET_ITEM, Py_INCREF/Py_DECREF bodies"}};
  if (!def.error.empty()) json["error"] = def.error;
  return json;
}

nlohmann::json contradictions_json(const std::vector<prober::Contradiction>& contradictions) {
  nlohmann::json json = nlohmann::json::array();
  for (const prober::Contradiction& c : contradictions) json.push_back({{"id", c.id}, {"message", c.message}});
  return json;
}

// "declared: multi-phase, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED, gil absent, m_size 16; imports PyGILState_Ensure"
std::string declared_text(const prober::DeclaredFacts& facts) {
  const prober::DeclaredDef& def = facts.def;
  std::string text = std::string(to_string(def.init));
  if (facts.def_source.empty()) {
    if (!facts.init_source.empty()) text += " (from its imports)";
    text += " (PyInit not read: " + def.error + ")";
  } else if (def.init == InitStyle::single_phase) {
    text += " (no slots)";
    if (def.m_size) text += ", m_size " + std::to_string(*def.m_size);
  } else {
    text += ", multiple_interpreters " + std::string(to_string(def.multiple_interpreters)) + ", gil " +
            std::string(to_string(def.gil));
    if (def.m_size) text += ", m_size " + std::to_string(*def.m_size);
  }
  if (!facts.imports.empty()) {
    text += "; imports";
    for (const std::string& symbol : facts.imports) text += " " + symbol;
  }
  return text;
}

// The headline: every contradiction between what a module declares and what was observed.
void write_contradictions_text(std::ostream& out, const std::vector<DynamicRun>& runs) {
  bool any = false;
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      for (const prober::Contradiction& c : report.contradictions) {
        if (!any) out << "declared vs observed: contradictions\n";
        any = true;
        out << "  " << report.module << " [" << report.interpreter << "] " << c.id << ": " << c.message << "\n";
      }
    }
  }
  if (any) out << "\n";
}

// One line per package that imports in isolated subinterpreters only by falling back:
// what a user of the distribution sees first ("import yaml" works there, without libyaml).
void write_fallbacks_text(std::ostream& out, const std::vector<DynamicRun>& runs) {
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> tags;  // (package, module) -> interpreters
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      if (!report.fallback_package.empty())
        tags[{report.fallback_package, report.module}].push_back(report.interpreter);
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

nlohmann::json dynamic_json(const std::vector<DynamicRun>& runs, const std::vector<std::string>& problems) {
  nlohmann::json interpreters = nlohmann::json::array();
  nlohmann::json modules = nlohmann::json::array();
  nlohmann::json contradictions = nlohmann::json::array();
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
      for (const prober::ProbeReading& reading : prober::probe_readings(report)) {
        evidence.push_back(probe_result_json(reading));
      }
      modules.push_back(
          {{"module", report.module},
           {"distribution",
            report.distribution.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.distribution)},
           {"file", report.file.string()},
           {"interpreter", report.interpreter},
           {"subinterpreters", to_string(report.subinterpreters)},
           {"free_threading", to_string(report.free_threading)},
           {"interpreter_pool", to_string(prober::interpreter_pool_verdict(report, interpreter))},
           {"summary", report.summary},
           {"fallback_package",
            report.fallback_package.empty() ? nlohmann::json(nullptr) : nlohmann::json(report.fallback_package)},
           {"notes", report.notes},
           {"declared", declared_json(report.declared)},
           {"contradictions", contradictions_json(report.contradictions)},
           {"evidence", evidence}});
      for (const prober::Contradiction& c : report.contradictions) {
        contradictions.push_back(
            {{"id", c.id}, {"module", report.module}, {"interpreter", report.interpreter}, {"message", c.message}});
      }
    }
  }
  return {
      {"interpreters", interpreters}, {"contradictions", contradictions}, {"modules", modules}, {"problems", problems}};
}

nlohmann::json cross_checks_json(const std::vector<CrossCheck>& checks) {
  nlohmann::json json = nlohmann::json::array();
  for (const CrossCheck& check : checks) {
    json.push_back({{"module", check.module},
                    {"interpreter", check.interpreter},
                    {"import_name", check.import_name},
                    {"file", check.file.string()},
                    {"kind", to_string(check.kind)},
                    {"message", check.message}});
  }
  return json;
}

void write_dynamic_text(std::ostream& out, const std::vector<DynamicRun>& runs,
                        const std::vector<std::string>& problems, bool verbose) {
  std::size_t module_width = 6, verdict_width = 15;
  // The InterpreterPoolExecutor column only when some interpreter has the executor (3.14+).
  const bool pool_column = std::any_of(
      runs.begin(), runs.end(), [](const DynamicRun& run) { return prober::has_interpreter_pool(run.interpreter); });
  constexpr int kPoolWidth = 15;  // "not-available" and two spaces
  for (const DynamicRun& run : runs) {
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      module_width = std::max(module_width, report.module.size());
      verdict_width =
          std::max({verdict_width, to_string(report.subinterpreters).size(), to_string(report.free_threading).size()});
    }
  }
  write_contradictions_text(out, runs);
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
      out << "    declared: " << declared_text(report.declared) << "\n";
      for (const std::string& note : report.notes) out << "    note: " << note << "\n";
      if (!verbose) continue;
      for (const prober::ProbeReading& reading : prober::probe_readings(report)) {
        const prober::ProbeResult& result = reading.result;
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
    out << "\n"
        << run.interpreter.implementation_tag << " (" << run.interpreter.executable.string() << "): network "
        << run.run.sandbox.network << "; sandbox "
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
    // The full import name: two modules of one last name in different packages stay apart.
    out << "  " << check.import_name << " [" << check.interpreter << "] " << to_string(check.kind) << ": "
        << check.message << "\n";
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
      // A module whose declaration the evidence refutes fails even when its verdicts pass
      // (declared per-interpreter GIL support, imports PyGILState_*): that is the headline.
      if (sub_bad(report.subinterpreters) || ft_bad(report.free_threading) || !report.contradictions.empty())
        return true;
    }
  }
  return false;
}

}  // namespace subcheck
