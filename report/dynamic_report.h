// The prober's evidence as JSON and text, alone (`subcheck probe`) or beside the static
// analysis (`subcheck scan --probe`), with the cross-checks between the two
// (report/cross_check.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "prober/prober.h"
#include "report/cross_check.h"

namespace subcheck {

// The body of a `subcheck-probe` document, and the `dynamic` object of a `subcheck-scan`
// one (docs/json-schema.md): interpreters, modules, problems.
nlohmann::json dynamic_json(const std::vector<DynamicRun>& runs, const std::vector<std::string>& problems);
nlohmann::json cross_checks_json(const std::vector<CrossCheck>& checks);

// A table of module x interpreter verdicts with the one-line reason, then notes.
void write_dynamic_text(std::ostream& out, const std::vector<DynamicRun>& runs,
                        const std::vector<std::string>& problems, bool verbose);
void write_cross_checks_text(std::ostream& out, const std::vector<CrossCheck>& checks);

// True when any module got a verdict that means it cannot be used as asked: unsupported,
// shared-gil-only, crash, timeout, broken, requires-gil (free-threaded interpreters); or
// when what a module declares contradicts what was observed (docs/prober.md).
bool dynamic_failures(const std::vector<DynamicRun>& runs);

}  // namespace subcheck
