#include "core/interrupt.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>

namespace subcheck {
namespace {

volatile sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};
std::atomic<bool> g_installed{false};

// Async-signal-safe only: records, wakes poll() loops, and on a second signal restores
// the default action and raises it again.
void on_signal(int signal) {
  int saved_errno = errno;
  if (g_signal != 0) {
    ::signal(signal, SIG_DFL);
    ::raise(signal);
  }
  g_signal = signal;
  char byte = 1;
  if (g_pipe[1] >= 0) {
    ssize_t written = ::write(g_pipe[1], &byte, 1);  // a full pipe is already readable
    (void)written;
  }
  errno = saved_errno;
}

}  // namespace

void install_interrupt_handlers() {
  if (g_installed.exchange(true)) return;
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_pipe[0] = g_pipe[1] = -1;
  struct sigaction action{};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes under way go on; loops poll the flag
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

int interrupt_signal() { return g_signal; }

int interrupt_fd() { return g_pipe[0]; }

void reset_interrupt_handlers_in_child() {
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  if (g_pipe[0] >= 0) ::close(g_pipe[0]);
  if (g_pipe[1] >= 0) ::close(g_pipe[1]);
  g_pipe[0] = g_pipe[1] = -1;
}

const char* signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  static thread_local char text[32];
  std::snprintf(text, sizeof text, "signal %d", signal);
  return text;
}

}  // namespace subcheck
