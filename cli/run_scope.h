// What a `scan` or `probe` run sets up so that it ends cleanly whatever happens to it:
// stale temp dirs of killed runs removed, a temp dir of its own (core/run_directory.h)
// that every unpacked sdist, wheel and probe scratch dir goes under ($TMPDIR points to it
// for the run), and SIGINT/SIGTERM recorded instead of killing (core/interrupt.h) so that
// the report of what is known is still written, marked incomplete.
#pragma once

#include <memory>
#include <string>

#include "core/run_directory.h"

namespace subcheck {

class RunScope {
 public:
  RunScope();
  ~RunScope();  // removes the run's temp dir and restores $TMPDIR
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

 private:
  std::unique_ptr<RunDirectory> directory_;
  std::string old_tmpdir_;
  bool had_tmpdir_ = false;
};

// The exit status of a run stopped by `signal`: 128 + signal, as a shell reports a process
// killed by it (130 for SIGINT, 143 for SIGTERM).
inline int exit_status_for_interrupt(int signal) { return 128 + signal; }

}  // namespace subcheck
