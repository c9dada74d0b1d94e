// Reports of the prober's evidence, alone (`subcheck probe`) or beside the static
// analysis (`subcheck scan --probe`), with the places where the two disagree.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analyzer/analyze.h"
#include "prober/prober.h"

namespace subcheck {

// One interpreter's probe run and the interpreter it ran on.
struct DynamicRun {
  Interpreter interpreter;
  prober::ProbeRun run;
};

// Where static and dynamic evidence about one module do not say the same thing.
struct CrossCheck {
  std::string module;
  std::string interpreter;
  std::string kind;      // "disagreement" or "confirmed"
  std::string message;
};

std::vector<CrossCheck> cross_check(const AnalysisResult& analysis, const std::vector<DynamicRun>& runs);

nlohmann::json dynamic_json(const std::vector<DynamicRun>& runs, const std::vector<std::string>& problems);
nlohmann::json cross_checks_json(const std::vector<CrossCheck>& checks);

// A table of module x interpreter verdicts with the one-line reason, then notes.
void write_dynamic_text(std::ostream& out, const std::vector<DynamicRun>& runs,
                        const std::vector<std::string>& problems, bool verbose);
void write_cross_checks_text(std::ostream& out, const std::vector<CrossCheck>& checks);

// True when any module got a verdict that means it cannot be used as asked: unsupported,
// shared-gil-only, crash, timeout, broken, requires-gil (free-threaded interpreters).
bool dynamic_failures(const std::vector<DynamicRun>& runs);

}  // namespace subcheck
