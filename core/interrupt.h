// SIGINT and SIGTERM as a request to stop, not a death: the handler only records the
// signal; long loops (the parse workers, the CLI between phases) poll it, stop their
// children, and the report of what is known is still written, marked incomplete.
// A second signal of either kind ends the process at once (the next run removes what it
// left in the temp dir: core/run_directory.h).
#pragma once

namespace subcheck {

// Installs the handlers (idempotent). Until it is called, interrupt_signal() stays 0.
void install_interrupt_handlers();

// 0 while no signal arrived, else the first one (SIGINT or SIGTERM).
int interrupt_signal();

// A descriptor that becomes readable when a signal arrives, for poll() loops; -1 before
// install_interrupt_handlers().
int interrupt_fd();

// In a forked child: back to the default actions, so that the child dies of a signal
// instead of recording it.
void reset_interrupt_handlers_in_child();

// "SIGINT", "SIGTERM", or "signal N".
const char* signal_name(int signal);

}  // namespace subcheck
