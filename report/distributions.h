// A dependency audit's first answer: per installed distribution and interpreter, the worst
// verdict among its extension modules (a distribution is as usable as its least usable
// module). "Could not tell" ranks above every pass, so it never reads as one.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/cross_check.h"

namespace subcheck {

struct DistributionVerdict {
  std::string distribution;
  std::string interpreter;  // implementation tag
  std::size_t modules = 0;
  SubinterpreterVerdict subinterpreters = SubinterpreterVerdict::supported;
  FreeThreadingVerdict free_threading = FreeThreadingVerdict::gil_free;
  InterpreterPoolVerdict interpreter_pool = InterpreterPoolVerdict::yes;
  std::vector<std::string> blocking;  // the modules that decided a verdict other than a pass
};

// One entry per (interpreter, distribution) among the probed modules that belong to an
// installed distribution: interpreters in the order they ran, distributions by name.
std::vector<DistributionVerdict> distribution_verdicts(const std::vector<DynamicRun>& runs);

// The `distributions` array of a probe document (docs/json-schema.md).
nlohmann::json distributions_json(const std::vector<DistributionVerdict>& verdicts);

// "N of M distributions would block InterpreterPoolExecutor ..." and the table.
void write_distributions_text(std::ostream& out, const std::vector<DistributionVerdict>& verdicts);

}  // namespace subcheck
