// Probe planning: which probe children the runner starts for a module, wave by wave, and
// how the results of the children that ran are read as the results of the probes the
// verdicts ask about (docs/prober.md, "Which probes the runner sends"). The combined
// first-wave child is an optimisation of this unit alone: the report keeps what each child
// did (ModuleProbeReport::evidence); readings are derived from it here, in one place.
#pragma once

#include <vector>

#include "prober/host_protocol.h"
#include "prober/prober.h"

namespace subcheck::prober {

// The first wave, for every module: one `combined` child and one `declared` child.
std::vector<ProbeKind> first_wave_probes();

// After the first wave: the separate probes still unanswered (`isolated`, `isolated-fresh`)
// when the combined child was not clean.
std::vector<ProbeKind> fallback_probes(const std::vector<ProbeReading>& readings);

// The second wave, which depends on the isolated import: `shared` once it was refused,
// `stress` (when `stress`) once it succeeded, nothing when it did not run.
std::vector<ProbeKind> second_wave_probes(const std::vector<ProbeReading>& readings, bool stress);

// The isolated import ran and succeeded (a module that stress would exercise).
bool isolated_import_succeeded(const std::vector<ProbeReading>& readings);

// The readings of a module's children, in the order the children ran, with the `gil`
// reading derived from the isolated child (free-threaded interpreters) before the second
// wave's: a clean combined child becomes the parts it stands for; a combined child whose
// fresh isolated import completed without succeeding becomes `isolated-fresh`; any other
// is kept as itself (the verdicts do not read `combined`).
std::vector<ProbeReading> read_children(const std::vector<ProbeResult>& children, bool free_threaded);

// The request for one probe of one module.
ProbeRequest request_for(const ExtensionFile& module, const Interpreter& interpreter, ProbeKind probe,
                         const ProbeOptions& options);

// Stress for subinterpreters that import nothing new ("sys"): the yardstick for leak notes.
ProbeRequest stress_yardstick(const Interpreter& interpreter, const ProbeOptions& options);

}  // namespace subcheck::prober
