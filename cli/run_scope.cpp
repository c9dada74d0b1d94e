#include "cli/run_scope.h"

#include <cstdlib>

#include "core/interrupt.h"

namespace subcheck {

RunScope::RunScope() {
  install_interrupt_handlers();
  remove_stale_run_directories();
  directory_ = std::make_unique<RunDirectory>();
  if (const char* tmpdir = std::getenv("TMPDIR")) {
    had_tmpdir_ = true;
    old_tmpdir_ = tmpdir;
  }
  ::setenv("TMPDIR", directory_->path().c_str(), 1);
}

RunScope::~RunScope() {
  if (had_tmpdir_) {
    ::setenv("TMPDIR", old_tmpdir_.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  directory_.reset();
}

}  // namespace subcheck
