#include "report/distributions.h"

#include <algorithm>
#include <array>
#include <iomanip>
#include <map>
#include <set>

#include "prober/interpreter_pool.h"

namespace subcheck {
namespace {

// Worst first. A definite failure says more than "could not tell", and "could not tell"
// ranks above the pass.
constexpr std::array kSubinterpreterOrder{SubinterpreterVerdict::crash,        SubinterpreterVerdict::timeout,
                                          SubinterpreterVerdict::broken,       SubinterpreterVerdict::unsupported,
                                          SubinterpreterVerdict::unsafe,       SubinterpreterVerdict::shared_gil_only,
                                          SubinterpreterVerdict::abi_mismatch, SubinterpreterVerdict::not_tested,
                                          SubinterpreterVerdict::unknown,      SubinterpreterVerdict::supported};
constexpr std::array kFreeThreadingOrder{
    FreeThreadingVerdict::crash,        FreeThreadingVerdict::timeout, FreeThreadingVerdict::broken,
    FreeThreadingVerdict::requires_gil, FreeThreadingVerdict::unsafe,  FreeThreadingVerdict::abi_mismatch,
    FreeThreadingVerdict::not_tested,   FreeThreadingVerdict::unknown, FreeThreadingVerdict::gil_free};
constexpr std::array kPoolOrder{InterpreterPoolVerdict::no, InterpreterPoolVerdict::unknown,
                                InterpreterPoolVerdict::not_available, InterpreterPoolVerdict::yes};

template <typename Verdict, std::size_t N>
std::size_t rank(const std::array<Verdict, N>& order, Verdict verdict) {
  return static_cast<std::size_t>(std::find(order.begin(), order.end(), verdict) - order.begin());
}

template <typename Verdict, std::size_t N>
bool worse(const std::array<Verdict, N>& order, Verdict candidate, Verdict current) {
  return rank(order, candidate) < rank(order, current);
}

void add_module(DistributionVerdict& verdict, const prober::ModuleProbeReport& report, const Interpreter& interpreter) {
  ++verdict.modules;
  if (worse(kSubinterpreterOrder, report.subinterpreters, verdict.subinterpreters))
    verdict.subinterpreters = report.subinterpreters;
  if (worse(kFreeThreadingOrder, report.free_threading, verdict.free_threading))
    verdict.free_threading = report.free_threading;
  const InterpreterPoolVerdict pool = prober::interpreter_pool_verdict(report, interpreter);
  if (worse(kPoolOrder, pool, verdict.interpreter_pool)) verdict.interpreter_pool = pool;
  const bool passes = report.subinterpreters == SubinterpreterVerdict::supported &&
                      (report.free_threading == FreeThreadingVerdict::gil_free || !interpreter.free_threaded);
  if (!passes && std::find(verdict.blocking.begin(), verdict.blocking.end(), report.module) == verdict.blocking.end())
    verdict.blocking.push_back(report.module);
}

// A file built for another Python (abi-mismatch) is one this interpreter's import system
// never picks: Debian's dist-packages, say, holds each module once per supported Python.
// It counts only when the distribution has nothing built for this interpreter.
std::set<std::string> distributions_built_for(const DynamicRun& run) {
  std::set<std::string> built;
  for (const prober::ModuleProbeReport& report : run.run.modules)
    if (report.subinterpreters != SubinterpreterVerdict::abi_mismatch) built.insert(report.distribution);
  return built;
}

}  // namespace

std::vector<DistributionVerdict> distribution_verdicts(const std::vector<DynamicRun>& runs) {
  std::vector<DistributionVerdict> verdicts;
  for (const DynamicRun& run : runs) {
    std::map<std::string, DistributionVerdict> by_name;  // this interpreter's, sorted by name
    const std::set<std::string> built_here = distributions_built_for(run);
    for (const prober::ModuleProbeReport& report : run.run.modules) {
      if (report.distribution.empty()) continue;
      if (report.subinterpreters == SubinterpreterVerdict::abi_mismatch && built_here.contains(report.distribution))
        continue;
      auto [entry, added] = by_name.try_emplace(report.distribution);
      DistributionVerdict& verdict = entry->second;
      if (added) {
        verdict.distribution = report.distribution;
        verdict.interpreter = run.interpreter.implementation_tag;
        // A GIL build says nothing about free-threading: not-tested there, never a pass.
        if (!run.interpreter.free_threaded) verdict.free_threading = FreeThreadingVerdict::not_tested;
      }
      add_module(verdict, report, run.interpreter);
    }
    for (auto& [name, verdict] : by_name) verdicts.push_back(std::move(verdict));
  }
  return verdicts;
}

nlohmann::json distributions_json(const std::vector<DistributionVerdict>& verdicts) {
  nlohmann::json json = nlohmann::json::array();
  for (const DistributionVerdict& verdict : verdicts) {
    json.push_back({{"distribution", verdict.distribution},
                    {"interpreter", verdict.interpreter},
                    {"modules", verdict.modules},
                    {"subinterpreters", to_string(verdict.subinterpreters)},
                    {"free_threading", to_string(verdict.free_threading)},
                    {"interpreter_pool", to_string(verdict.interpreter_pool)},
                    {"blocking_modules", verdict.blocking}});
  }
  return json;
}

void write_distributions_text(std::ostream& out, const std::vector<DistributionVerdict>& verdicts) {
  if (verdicts.empty()) return;
  std::set<std::string> all, blocked_subinterpreters, gil_on;
  std::size_t width = 12;
  for (const DistributionVerdict& verdict : verdicts) {
    all.insert(verdict.distribution);
    width = std::max(width, verdict.distribution.size());
    if (verdict.subinterpreters != SubinterpreterVerdict::supported)
      blocked_subinterpreters.insert(verdict.distribution);
    if (verdict.free_threading == FreeThreadingVerdict::requires_gil) gil_on.insert(verdict.distribution);
  }
  out << blocked_subinterpreters.size() << " of " << all.size()
      << " distributions with extension modules would not load (or could not be shown to load) in an isolated "
         "subinterpreter, as InterpreterPoolExecutor's workers need";
  if (!gil_on.empty()) out << "; " << gil_on.size() << " re-enable the GIL on a free-threaded build";
  out << "\n\n"
      << std::left << std::setw(static_cast<int>(width) + 2) << "distribution" << std::setw(8) << "python"
      << std::setw(9) << "modules" << std::setw(17) << "subinterpreters" << std::setw(16) << "free-threading"
      << "blocking modules\n";
  for (const DistributionVerdict& verdict : verdicts) {
    std::string blocking;
    for (const std::string& module : verdict.blocking) blocking += (blocking.empty() ? "" : ", ") + module;
    out << std::setw(static_cast<int>(width) + 2) << verdict.distribution << std::setw(8) << verdict.interpreter
        << std::setw(9) << verdict.modules << std::setw(17) << to_string(verdict.subinterpreters) << std::setw(16)
        << to_string(verdict.free_threading) << blocking << "\n";
  }
  out << "\n";
}

}  // namespace subcheck
