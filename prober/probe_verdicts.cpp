// From probe results to verdicts, a one-line summary and notes (docs/prober.md, "Verdicts").
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <string_view>

#include "prober/probe_verdicts.h"

#include "prober/declared_facts.h"
#include "prober/probe_plan.h"

namespace subcheck::prober {

namespace {

template <typename Value>
struct Judged {
  Value value;
  std::string why;
};
using Verdict = Judged<SubinterpreterVerdict>;
using GilVerdict = Judged<FreeThreadingVerdict>;

const ProbeReading* find_reading(const std::vector<ProbeReading>& readings, ProbeKind probe) {
  for (const ProbeReading& reading : readings) {
    if (reading.result.probe == probe) return &reading;
  }
  return nullptr;
}

const ProbeResult* result_of(const ProbeReading* reading) { return reading ? &reading->result : nullptr; }

const ProbeStep* find_step(const ProbeResult* result, std::string_view where) {
  if (result == nullptr) return nullptr;
  for (const ProbeStep& step : result->steps) {
    if (step.where == where) return &step;
  }
  return nullptr;
}

std::string error_text(const ProbeStep& step) {
  return step.message.empty() ? step.error_type : step.error_type + ": " + step.message;
}

bool abnormal(const ProbeResult& result) {
  return result.outcome == ProbeOutcome::crash || result.outcome == ProbeOutcome::timeout ||
         result.outcome == ProbeOutcome::exit;
}

// The child died while importing in the main interpreter (or before it got there).
bool during_main_import(const ProbeResult& result) {
  return result.during == "main" || result.during == "start" || result.during == "setup";
}

std::string_view trimmed_last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  std::size_t start = text.rfind('\n');
  return start == std::string_view::npos ? text : text.substr(start + 1);
}

// The line of the child's output most likely to say why it died: what libc or the module
// printed just before faulthandler's "Fatal Python error" (free(): invalid pointer), that
// line itself, or else the last line printed. Not faulthandler's traceback, whose last
// line is a frame of the probe's own code.
std::string telling_output_line(const ProbeResult& result) {
  std::string_view text = result.output;
  std::string_view line;
  if (std::size_t fatal = text.find("Fatal Python error:"); fatal != std::string_view::npos) {
    line = trimmed_last_line(text.substr(0, fatal));
    if (line.empty()) line = trimmed_last_line(text.substr(0, text.find('\n', fatal)));
  } else {
    line = trimmed_last_line(text);
  }
  if (line.size() > 160) line = line.substr(0, 160);
  return std::string(line);
}

std::string where_text(const ProbeResult& result) {
  if (result.during == "teardown") return "while tearing down (after the import)";
  if (during_main_import(result)) return "while importing in the main interpreter";
  if (result.during.empty()) return "";
  return "during " + result.during;
}

// "crashed with SIGSEGV while importing in the main interpreter in the isolated probe (last
// output: ...)": the probe named is the child's, also for a reading that is part of it.
std::string abnormal_text(const ProbeReading& reading) {
  const ProbeResult& result = reading.result;
  std::string text;
  if (result.outcome == ProbeOutcome::crash)
    text = "crashed with " + signal_name(result.signal);
  else if (result.outcome == ProbeOutcome::timeout)
    text = "hung (killed after " + std::to_string(result.elapsed.count()) + " ms)";
  else
    text = "exited with code " + std::to_string(result.exit_code);
  if (std::string where = where_text(result); !where.empty()) text += " " + where;
  text += " in the " + std::string(to_string(reading.part_of.value_or(result.probe))) + " probe";
  if (std::string line = telling_output_line(result); !line.empty() && result.outcome != ProbeOutcome::timeout) {
    text += " (last output: " + line + ")";
  }
  return text;
}

// The first crash, hang or exit among the results, either while importing in the main
// interpreter (`in_main_import`) or in any later step.
std::optional<Verdict> abnormal_verdict(const std::vector<const ProbeReading*>& readings, bool in_main_import) {
  for (const ProbeReading* reading : readings) {
    const ProbeResult* result = result_of(reading);
    if (result == nullptr || !abnormal(*result) || during_main_import(*result) != in_main_import) continue;
    if (result->outcome == ProbeOutcome::exit && in_main_import) {
      return Verdict{SubinterpreterVerdict::broken,
                     "the module ends the process on import: it " + abnormal_text(*reading)};
    }
    return Verdict{
        result->outcome == ProbeOutcome::timeout ? SubinterpreterVerdict::timeout : SubinterpreterVerdict::crash,
        "it " + abnormal_text(*reading)};
  }
  return std::nullopt;
}

std::optional<Verdict> broken_verdict(const std::vector<const ProbeReading*>& readings) {
  for (const ProbeReading* reading : readings) {
    const ProbeStep* main = find_step(result_of(reading), "main");
    if (main != nullptr && !main->ok) {
      return Verdict{SubinterpreterVerdict::broken,
                     "the import fails in the main interpreter (not a subinterpreter problem): " + error_text(*main)};
    }
  }
  return std::nullopt;
}

std::string stress_shape(const ProbeResult& stress, const VerdictContext& context) {
  return std::to_string(context.stress_threads) + " threads x " +
         std::to_string(std::max<std::size_t>(stress.rss_kb.size(), 1)) + " cycles";
}

// A module that loads in one isolated subinterpreter, under concurrency and churn.
Verdict stressed_verdict(const ProbeReading* reading, const VerdictContext& context) {
  const ProbeResult* stress = result_of(reading);
  Verdict supported{SubinterpreterVerdict::supported, "loads in an isolated subinterpreter (own GIL, own obmalloc)"};
  if (stress == nullptr) return supported;
  if (abnormal(*stress)) {
    return Verdict{
        stress->outcome == ProbeOutcome::timeout ? SubinterpreterVerdict::timeout : SubinterpreterVerdict::crash,
        "loads in one isolated subinterpreter, but under stress (" + stress_shape(*stress, context) +
            " of isolated subinterpreters importing it) it " + abnormal_text(*reading)};
  }
  const ProbeStep* step = find_step(stress, "stress");
  if (stress->outcome == ProbeOutcome::ok && step != nullptr && !step->ok) {
    return Verdict{SubinterpreterVerdict::unsupported,
                   "loads in one isolated subinterpreter, but fails when several import it at once: " + step->message};
  }
  if (stress->outcome == ProbeOutcome::ok) supported.why += "; " + stress_shape(*stress, context) + " of stress passed";
  return supported;
}

Verdict subinterpreter_verdict(const std::vector<ProbeReading>& readings, const VerdictContext& context) {
  const std::vector<const ProbeReading*> first_wave{
      find_reading(readings, ProbeKind::main), find_reading(readings, ProbeKind::isolated),
      find_reading(readings, ProbeKind::isolated_fresh), find_reading(readings, ProbeKind::shared)};
  const ProbeResult* isolated = result_of(first_wave[1]);
  const ProbeResult* fresh = result_of(first_wave[2]);
  const ProbeResult* shared = result_of(first_wave[3]);

  // What happens to a plain import comes first: a module that cannot be imported at all is
  // broken, whatever a subinterpreter then makes of its failing init (which may well crash
  // the process: docs/cpython-behaviour.md #7); that crash is kept in the summary.
  if (auto verdict = abnormal_verdict(first_wave, true)) return *verdict;
  if (auto verdict = broken_verdict(first_wave)) {
    if (auto later = abnormal_verdict(first_wave, false)) verdict->why += "; besides, " + later->why;
    return *verdict;
  }
  if (auto verdict = abnormal_verdict(first_wave, false)) return *verdict;
  if (isolated == nullptr || isolated->outcome == ProbeOutcome::error) {
    return Verdict{SubinterpreterVerdict::not_tested,
                   "the isolated probe could not run: " + (isolated ? isolated->error : "not sent")};
  }
  const ProbeStep* in_isolated = find_step(isolated, "isolated");
  const ProbeStep* alone = find_step(fresh, "isolated");
  const ProbeStep* in_shared = find_step(shared, "shared");
  if (in_isolated == nullptr)
    return Verdict{SubinterpreterVerdict::not_tested, "the isolated probe reported no isolated import"};

  if (in_isolated->ok) {
    if (alone != nullptr && !alone->ok) {
      return Verdict{SubinterpreterVerdict::unsupported,
                     "loads in an isolated subinterpreter only after the main interpreter imported it; "
                     "as the first import of a process it fails: " +
                         error_text(*alone)};
    }
    return stressed_verdict(find_reading(readings, ProbeKind::stress), context);
  }
  const std::string refusal = error_text(*in_isolated);
  if (alone != nullptr && alone->ok) {
    return Verdict{SubinterpreterVerdict::unsupported,
                   "loads only in the first interpreter of a process (one interpreter per process); "
                   "after an import in the main interpreter an isolated subinterpreter gets: " +
                       refusal};
  }
  if (in_shared != nullptr && in_shared->ok) {
    return Verdict{SubinterpreterVerdict::shared_gil_only, "an isolated subinterpreter (own GIL) refuses it (" +
                                                               refusal +
                                                               "); a subinterpreter sharing the main GIL loads it"};
  }
  std::string why = "an isolated subinterpreter refuses it: " + refusal;
  if (in_shared != nullptr)
    why += "; a subinterpreter sharing the main GIL refuses it too: " + error_text(*in_shared);
  else if (shared != nullptr && shared->outcome == ProbeOutcome::error)
    why += "; the shared-GIL probe could not run: " + shared->error;
  return Verdict{SubinterpreterVerdict::unsupported, why};
}

GilVerdict free_threading_verdict(const std::vector<ProbeReading>& readings, const Interpreter& interpreter) {
  using V = FreeThreadingVerdict;
  if (!interpreter.free_threaded) return GilVerdict{V::not_tested, ""};
  const ProbeReading* reading = find_reading(readings, ProbeKind::gil);
  const ProbeResult* gil = result_of(reading);
  if (gil == nullptr) return GilVerdict{V::not_tested, "no GIL probe was run"};
  if (gil->outcome == ProbeOutcome::error)
    return GilVerdict{V::not_tested, "the GIL probe could not run: " + gil->error};
  if (abnormal(*gil)) {
    if (gil->outcome == ProbeOutcome::exit) {
      return GilVerdict{V::broken, "the import ends the process: it " + abnormal_text(*reading)};
    }
    return GilVerdict{gil->outcome == ProbeOutcome::timeout ? V::timeout : V::crash,
                      "the import " + abnormal_text(*reading)};
  }
  const ProbeStep* main = find_step(gil, "main");
  if (main != nullptr && !main->ok) return GilVerdict{V::broken, "the import fails: " + error_text(*main)};
  if (!gil->gil_before.has_value() || !gil->gil_after.has_value()) {
    return GilVerdict{V::not_tested, "the interpreter did not say whether the GIL is enabled"};
  }
  if (*gil->gil_before) return GilVerdict{V::not_tested, "the GIL was already enabled before the import"};
  if (*gil->gil_after) {
    return GilVerdict{V::requires_gil,
                      "importing it enabled the GIL (no Py_mod_gil = Py_MOD_GIL_NOT_USED slot, or no "
                      "PyUnstable_Module_SetGIL call, reached CPython)"};
  }
  return GilVerdict{V::gil_free, "the GIL stayed disabled after the import"};
}

std::string format_kib(double kib) {
  char text[32];
  if (std::fabs(kib) >= 1024)
    std::snprintf(text, sizeof text, "%.1f MiB", kib / 1024);
  else
    std::snprintf(text, sizeof text, "%.0f KiB", kib);
  return text;
}

// A leak note when the module's stress cycles kept more memory than cycles of
// subinterpreters that import nothing: malloc'd memory where known (it does not grow with
// what a subinterpreter imports), RSS otherwise (probe_verdicts.h, kLeakNoteKiBPerInterpreter).
std::optional<std::string> leak_note(const ProbeResult* stress, const VerdictContext& context) {
  if (stress == nullptr || stress->outcome != ProbeOutcome::ok) return std::nullopt;
  const bool by_heap = !stress->heap_kb.empty() && context.baseline_heap_kib_per_cycle.has_value();
  const std::optional<double> baseline =
      by_heap ? context.baseline_heap_kib_per_cycle : context.baseline_rss_kib_per_cycle;
  const std::optional<double> growth = growth_per_cycle(by_heap ? stress->heap_kb : stress->rss_kb, true);
  if (!growth || !baseline) return std::nullopt;
  const double threads = std::max(1u, context.stress_threads);
  const double excess = (*growth - *baseline) / threads;
  if (excess <= kLeakNoteKiBPerInterpreter) return std::nullopt;
  std::string note = std::string(by_heap ? "malloc'd memory" : "RSS") + " grew every stress cycle, by " +
                     format_kib(*growth) + " per cycle of " + std::to_string(context.stress_threads) +
                     " isolated subinterpreters importing it, against " + format_kib(*baseline) +
                     " for subinterpreters that import nothing: about " + format_kib(excess) +
                     " per import is never given back (a leak)";
  if (by_heap) {
    if (auto rss = growth_per_cycle(stress->rss_kb, false)) note += "; RSS grew " + format_kib(*rss) + " per cycle";
  }
  return note;
}

std::vector<std::string> notes_for(const std::vector<ProbeReading>& readings, const VerdictContext& context) {
  std::vector<std::string> notes;
  const ProbeResult* isolated = result_of(find_reading(readings, ProbeKind::isolated));
  if (isolated != nullptr && !isolated->shared_objects.empty()) {
    std::string names;
    for (const std::string& name : isolated->shared_objects) names += (names.empty() ? "" : ", ") + name;
    notes.push_back("the same object in the main interpreter and an isolated subinterpreter: " + names +
                    " (static types or other process-wide objects, touched under two GILs)");
  }
  std::set<std::string> noted;  // one note per interpreter kind
  for (const ProbeReading& reading : readings) {
    for (const ProbeStep& step : reading.result.steps) {
      if (step.via == "file" && noted.insert(step.where).second) {
        notes.push_back("loaded from its file alone in the " + step.where +
                        " interpreter: the import by name failed before reaching it (" + step.package_error + ")");
      }
    }
  }
  const ProbeResult* stress = result_of(find_reading(readings, ProbeKind::stress));
  if (auto note = leak_note(stress, context)) notes.push_back(*note);
  if (stress != nullptr && stress->outcome == ProbeOutcome::error)
    notes.push_back("the stress probe could not run: " + stress->error);
  return notes;
}

// A report about `module` on `interpreter`, verdicts still to be given.
ModuleProbeReport report_about(const ExtensionFile& module, const Interpreter& interpreter) {
  ModuleProbeReport report;
  report.module = module.module;
  report.distribution = module.distribution;
  report.file = module.file;
  report.interpreter = interpreter.implementation_tag;
  report.free_threaded = interpreter.free_threaded;
  report.declared = file_facts(module, "PyInit was not called");
  return report;
}

// The package an isolated subinterpreter imported without the module although importing
// it in the main interpreter loads the module (the isolated probe's main and isolated
// steps: a package that picks its accelerator at import time, rapidfuzz's fuzz_cpp_avx2 or
// fuzz_cpp, is judged by the one it uses), or "" (docs/cpython-behaviour.md #24).
std::string fallback_package(const std::vector<ProbeReading>& readings) {
  const ProbeResult* isolated = result_of(find_reading(readings, ProbeKind::isolated));
  const ProbeStep* main = find_step(isolated, "main");
  const ProbeStep* sub = find_step(isolated, "isolated");
  if (main == nullptr || sub == nullptr || !main->ok || !main->package_imports_it || sub->ok) return "";
  return sub->fallback;
}

}  // namespace

std::string signal_name(int signal) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* abbreviation = ::sigabbrev_np(signal)) return std::string("SIG") + abbreviation;
#endif
  return "signal " + std::to_string(signal);
}

std::optional<double> growth_per_cycle(const std::vector<long>& samples, bool every_cycle) {
  if (samples.size() < 2 || std::any_of(samples.begin(), samples.end(), [](long kb) { return kb < 0; })) {
    return std::nullopt;
  }
  if (every_cycle) {
    for (std::size_t i = 1; i < samples.size(); ++i) {
      if (samples[i] <= samples[i - 1]) return std::nullopt;
    }
  }
  return static_cast<double>(samples.back() - samples.front()) / static_cast<double>(samples.size() - 1);
}

ModuleProbeReport judge_module(const ExtensionFile& module, std::vector<ProbeResult> children,
                               const VerdictContext& context) {
  ModuleProbeReport report = report_about(module, *context.interpreter);
  report.declared = take_declared_facts(module, children);
  const std::vector<ProbeReading> readings = read_children(children, report.free_threaded);
  const Verdict sub = subinterpreter_verdict(readings, context);
  const GilVerdict ft = free_threading_verdict(readings, *context.interpreter);
  report.subinterpreters = sub.value;
  report.free_threading = ft.value;
  report.summary = sub.why;
  report.notes = notes_for(readings, context);
  if (sub.value != SubinterpreterVerdict::supported) report.fallback_package = fallback_package(readings);
  if (!report.fallback_package.empty()) {
    report.summary += "; package " + report.fallback_package +
                      " still imports in an isolated subinterpreter, but only without " + module.module +
                      " (it falls back)";
    report.notes.push_back("package " + report.fallback_package +
                           " imports in an isolated subinterpreter only without its accelerator " + module.module +
                           ": in the main interpreter its import loads " + module.module +
                           "; in an isolated subinterpreter it imports without it, so code there runs the package's "
                           "fallback (pure Python, or whatever it uses instead)");
  }
  if (!ft.why.empty()) report.summary += "; free-threading: " + ft.why;
  report.evidence = std::move(children);
  report.contradictions = find_contradictions(report);
  return report;
}

ModuleProbeReport abi_mismatch_report(const ExtensionFile& module, const Interpreter& interpreter) {
  ModuleProbeReport report = report_about(module, interpreter);
  report.subinterpreters = SubinterpreterVerdict::abi_mismatch;
  report.free_threading = FreeThreadingVerdict::abi_mismatch;
  report.summary =
      "not loaded: " + (module.mismatch_reason.empty() ? "its file name is not one of CPython " +
                                                             interpreter.implementation_tag + "'s extension suffixes"
                                                       : module.mismatch_reason);
  return report;
}

ModuleProbeReport untested_report(const ExtensionFile& module, const Interpreter& interpreter,
                                  const std::string& reason) {
  ModuleProbeReport report = report_about(module, interpreter);
  report.subinterpreters = SubinterpreterVerdict::not_tested;
  report.free_threading = FreeThreadingVerdict::not_tested;
  report.summary = "not probed: " + reason;
  return report;
}

ModuleProbeReport interrupted_report(const ExtensionFile& module, std::vector<ProbeResult> children,
                                     const Interpreter& interpreter, const std::string& reason) {
  ModuleProbeReport report = untested_report(module, interpreter, reason);
  report.summary = "not probed to the end: " + reason;
  report.declared = take_declared_facts(module, children);
  report.evidence = std::move(children);
  return report;
}

}  // namespace subcheck::prober
