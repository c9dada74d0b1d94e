// What an extension module declares — its PyModuleDef as PyInit_<name> returned it in a
// `declared` probe child, and its C-API imports from the ELF file — next to what the
// probes observed, and the contradictions between the two (docs/prober.md, "Declared").
#pragma once

#include <string>
#include <vector>

#include "prober/prober.h"

namespace subcheck::prober {

// What the file alone says (its imports, and the init style they point to) when no
// `declared` child ran: `why_no_def` says why.
DeclaredFacts file_facts(const ExtensionFile& module, const std::string& why_no_def);

// Takes the `declared` child out of `children` (it is no import: the verdicts and the
// evidence never read it) and returns the module's declared facts.
DeclaredFacts take_declared_facts(const ExtensionFile& module, std::vector<ProbeResult>& children);

// Every contradiction between report.declared and the report's verdicts, each with a
// stable id (docs/prober.md, "Contradictions").
std::vector<Contradiction> find_contradictions(const ModuleProbeReport& report);

}  // namespace subcheck::prober
