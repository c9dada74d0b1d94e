// Would concurrent.futures.InterpreterPoolExecutor run a task that imports a module?
#pragma once

#include "core/interpreter.h"
#include "core/vocabulary.h"

namespace subcheck::prober {

struct ModuleProbeReport;

// The answer for one probed module, derived from its isolated-subinterpreter verdict:
// the executor's workers are isolated subinterpreters (docs/cpython-behaviour.md #23), and
// they import concurrently, which the stress probe covers (#18). not-available before 3.14.
InterpreterPoolVerdict interpreter_pool_verdict(const ModuleProbeReport& report, const Interpreter& interpreter);

// Does this interpreter have concurrent.futures.InterpreterPoolExecutor (3.14+)?
bool has_interpreter_pool(const Interpreter& interpreter);

}  // namespace subcheck::prober
