// From what the probe children did to verdicts, a one-line summary and notes
// (docs/prober.md, "Verdicts").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "prober/prober.h"

namespace subcheck::prober {

// Growth of per-cycle samples (a stress result's rss_kb or heap_kb) in KiB per cycle,
// averaged over the cycles; nullopt with fewer than two samples, or when `every_cycle` and
// some cycle did not grow.
std::optional<double> growth_per_cycle(const std::vector<long>& samples, bool every_cycle);

// What one subinterpreter's import may keep, above what subinterpreters that import nothing
// keep, before a leak note is written. The yardstick is malloc'd memory in use where the
// host can read it (glibc): CPython keeps ~0.4 MiB of it per ended isolated subinterpreter
// whatever was imported, while RSS also keeps the obmalloc arenas of every subinterpreter
// that ended with live objects, and so grows with whatever a module imports (asyncio: MiBs).
constexpr double kLeakNoteKiBPerInterpreter = 256;

struct VerdictContext {
  const Interpreter* interpreter = nullptr;
  unsigned stress_threads = 4;
  // Growth per stress cycle of subinterpreters that import nothing new ("sys"): the
  // yardsticks for leak notes; nullopt when they could not be measured.
  std::optional<double> baseline_heap_kib_per_cycle;
  std::optional<double> baseline_rss_kib_per_cycle;
};

// Verdicts, summary and notes for one module from what its probe children did.
ModuleProbeReport judge_module(const ExtensionFile& module, std::vector<ProbeResult> children,
                               const VerdictContext& context);

// A module built for another ABI: never loaded.
ModuleProbeReport abi_mismatch_report(const ExtensionFile& module, const Interpreter& interpreter);

// A module no probe could run for (the host could not be built or started).
ModuleProbeReport untested_report(const ExtensionFile& module, const Interpreter& interpreter,
                                  const std::string& reason);

// A module whose probes SIGINT/SIGTERM cut short: `not-tested` whatever its children
// showed so far (they stay its evidence), with `reason` as the summary.
ModuleProbeReport interrupted_report(const ExtensionFile& module, std::vector<ProbeResult> children,
                                     const Interpreter& interpreter, const std::string& reason);

// "SIGSEGV" for 11; "signal 70" for numbers without a name.
std::string signal_name(int signal);

}  // namespace subcheck::prober
