#include "prober/interpreter_pool.h"

#include <cstdio>

#include "prober/prober.h"

namespace subcheck::prober {

bool has_interpreter_pool(const Interpreter& interpreter) {
  int major = 0, minor = 0;
  if (std::sscanf(interpreter.version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major > 3 || (major == 3 && minor >= 14);
}

// supported: the isolated import worked (and, unless --no-stress, so did concurrent ones);
// refused, broken, crashed or built for another ABI: the task fails or takes the process
// down; a timeout or no probe at all cannot tell ("I could not tell" is never a yes).
InterpreterPoolVerdict interpreter_pool_verdict(const ModuleProbeReport& report, const Interpreter& interpreter) {
  if (!has_interpreter_pool(interpreter)) return InterpreterPoolVerdict::not_available;
  switch (report.subinterpreters) {
    case SubinterpreterVerdict::supported: return InterpreterPoolVerdict::yes;
    case SubinterpreterVerdict::shared_gil_only:
    case SubinterpreterVerdict::unsupported:
    case SubinterpreterVerdict::unsafe:
    case SubinterpreterVerdict::broken:
    case SubinterpreterVerdict::crash:
    case SubinterpreterVerdict::abi_mismatch: return InterpreterPoolVerdict::no;
    case SubinterpreterVerdict::timeout:
    case SubinterpreterVerdict::unknown:
    case SubinterpreterVerdict::not_tested: return InterpreterPoolVerdict::unknown;
  }
  return InterpreterPoolVerdict::unknown;
}

}  // namespace subcheck::prober
