// probe() (prober.h): every module of a target on one interpreter, wave by wave through one
// host session; what each wave sends is the plan's (probe_plan.h), the verdicts are
// probe_verdicts.cpp's.
#include <algorithm>
#include <thread>

#include "core/interrupt.h"
#include "prober/host_build.h"
#include "prober/host_session.h"
#include "prober/probe_plan.h"
#include "prober/probe_verdicts.h"

namespace subcheck::prober {

namespace {

namespace fs = std::filesystem;

unsigned effective_jobs(const ProbeOptions& options) {
  if (options.jobs > 0) return options.jobs;
  return std::max(1u, std::thread::hardware_concurrency());
}

// What the children of each module of a target did, filled wave by wave.
struct Probing {
  const Interpreter& interpreter;
  const ProbeTarget& target;
  const ProbeOptions& options;
  std::vector<std::size_t> runnable;               // modules whose file matches the interpreter
  std::vector<std::vector<ProbeResult>> children;  // per module of the target
  std::size_t done = 0, total = 0;

  HostSession::Progress progress() {
    return [this](const ProbeRequest& request, const ProbeResult& result) {
      ++done;
      if (options.progress) {
        options.progress(done, total,
                         request.module + " (" + std::string(to_string(request.probe)) +
                             "): " + std::string(to_string(result.outcome)));
      }
    };
  }

  std::vector<ProbeReading> readings(std::size_t module) const {
    return read_children(children[module], interpreter.free_threaded);
  }

  // Sends `probes_of(the module's readings so far)` for every runnable module, plus `extra`
  // requests whose results are returned; the others go to the modules' children.
  template <typename ProbesOf>
  std::vector<ProbeResult> run_wave(HostSession& session, ProbesOf probes_of, std::vector<ProbeRequest> extra = {}) {
    std::vector<ProbeRequest> wave;
    std::vector<std::size_t> owner;
    for (std::size_t i : runnable) {
      for (ProbeKind probe : probes_of(readings(i))) {
        wave.push_back(request_for(target.modules[i], interpreter, probe, options));
        owner.push_back(i);
      }
    }
    if (wave.empty()) return {};
    wave.insert(wave.end(), extra.begin(), extra.end());
    total = done + wave.size();
    std::vector<ProbeResult> results = session.run(wave, progress());
    for (std::size_t k = 0; k < owner.size(); ++k) children[owner[k]].push_back(std::move(results[k]));
    return {std::make_move_iterator(results.begin() + static_cast<std::ptrdiff_t>(owner.size())),
            std::make_move_iterator(results.end())};
  }
};

// The first wave (one combined child per module), the fallback probes for modules whose
// combined child was not clean, then the second wave with, when anything is stressed, the
// yardstick stress whose growth goes to the verdicts' context. After SIGINT/SIGTERM
// (core/interrupt.h) no further wave starts: the session has already stopped the host.
void run_waves(Probing& probing, HostSession& session, VerdictContext& context) {
  probing.total = probing.runnable.size() * (first_wave_probes().size() + 1);
  probing.run_wave(session, [](const std::vector<ProbeReading>&) { return first_wave_probes(); });
  if (interrupt_signal() != 0) return;
  probing.run_wave(session, fallback_probes);
  if (interrupt_signal() != 0) return;

  const bool stressing = probing.options.stress &&
                         std::any_of(probing.runnable.begin(), probing.runnable.end(),
                                     [&](std::size_t i) { return isolated_import_succeeded(probing.readings(i)); });
  std::vector<ProbeRequest> extra;
  if (stressing) extra.push_back(stress_yardstick(probing.interpreter, probing.options));
  std::vector<ProbeResult> yardstick = probing.run_wave(
      session,
      [&](const std::vector<ProbeReading>& readings) { return second_wave_probes(readings, probing.options.stress); },
      std::move(extra));
  if (!yardstick.empty() && yardstick.front().outcome == ProbeOutcome::ok) {
    context.baseline_rss_kib_per_cycle = growth_per_cycle(yardstick.front().rss_kb, false);
    context.baseline_heap_kib_per_cycle = growth_per_cycle(yardstick.front().heap_kb, false);
  }
}

// After SIGINT/SIGTERM: whether a module got every probe its verdicts need, none of them
// stopped by the signal. A module that did keeps its verdicts; any other is `not-tested`.
bool probed_to_the_end(const std::vector<ProbeResult>& children, const std::vector<ProbeReading>& readings,
                       bool stress) {
  for (const ProbeResult& child : children) {
    if (child.outcome == ProbeOutcome::error && child.error.starts_with(kInterruptedProbe)) return false;
  }
  if (!fallback_probes(readings).empty()) return false;
  for (ProbeKind wanted : second_wave_probes(readings, stress)) {
    if (std::none_of(children.begin(), children.end(),
                     [&](const ProbeResult& child) { return child.probe == wanted; })) {
      return false;
    }
  }
  return true;
}

ModuleProbeReport report_for(Probing& probing, std::size_t i, const VerdictContext& context,
                             const std::string& untested) {
  const ExtensionFile& module = probing.target.modules[i];
  const Interpreter& interpreter = probing.interpreter;
  if (!module.matches_interpreter) return abi_mismatch_report(module, interpreter);
  if (!untested.empty()) return untested_report(module, interpreter, untested);
  if (const int signal = interrupt_signal();
      signal != 0 && !probed_to_the_end(probing.children[i], probing.readings(i), probing.options.stress)) {
    return interrupted_report(module, std::move(probing.children[i]), interpreter,
                              std::string("interrupted by ") + subcheck::signal_name(signal));
  }
  return judge_module(module, std::move(probing.children[i]), context);
}

}  // namespace

ProbeRun probe(const Interpreter& interpreter, const ProbeTarget& target, const ProbeOptions& options) {
  ProbeRun run;
  Probing probing{interpreter, target, options, {}, std::vector<std::vector<ProbeResult>>(target.modules.size())};
  for (std::size_t i = 0; i < target.modules.size(); ++i) {
    if (target.modules[i].matches_interpreter) probing.runnable.push_back(i);
  }
  VerdictContext context;
  context.interpreter = &interpreter;
  context.stress_threads = options.stress_threads;
  std::string untested;

  if (!probing.runnable.empty()) {
    fs::path host;
    try {
      host = ensure_host(interpreter, &run.problems);
    } catch (const std::exception& error) {
      untested = error.what();
      run.problems.push_back(untested);
    }
    if (!host.empty()) {
      HostSession session(host, interpreter, effective_jobs(options));
      run_waves(probing, session, context);
      run.sandbox = session.sandbox();
      run.problems.insert(run.problems.end(), session.problems().begin(), session.problems().end());
    }
  }

  for (std::size_t i = 0; i < target.modules.size(); ++i)
    run.modules.push_back(report_for(probing, i, context, untested));
  if (run.sandbox.network.empty()) run.sandbox.network = "not started (nothing to probe)";
  return run;
}

}  // namespace subcheck::prober
