// The probe host as a child process: started in its sandbox (a new network namespace where
// the kernel allows it, only the environment variables probes may see, the session's temp
// HOME and TMPDIR, its own process group, killed with subcheck), the pipes to and from it,
// and its end. The per-probe sandbox (namespaces, seccomp) is the host's own (probe_host.c). What to send
// and when is HostSession's job (host_session.h).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace subcheck::prober {

// How to start one host.
struct HostCommand {
  std::filesystem::path host;           // the probe_host binary (host_build.h)
  std::filesystem::path python;         // the interpreter it embeds (--python)
  unsigned jobs = 1;                    // probe children it may run at once
  std::filesystem::path probes_dir;     // --scratch: where the host makes each probe's directory
  std::filesystem::path home;           // HOME of the host and its children
  std::filesystem::path tmp;            // TMPDIR
  std::filesystem::path stderr_log;     // the host's stderr, appended
  std::vector<std::string> extra_args;  // --seccomp FILE, --sandbox none (host_session.cpp)
};

class HostProcess {
 public:
  using Clock = std::chrono::steady_clock;

  HostProcess() = default;
  ~HostProcess();  // kills a host still running
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  // Forks and execs the host. Empty when it runs, else why not. `network` says what the
  // sandbox achieved ("isolated (new network namespace)" or "not isolated: <reason>"); it
  // is left alone when the child did not get that far.
  std::string spawn(const HostCommand& command, std::string& network);

  bool alive() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int from_host() const { return from_host_; }
  int to_host() const { return to_host_; }
  // The wait status of the last host reap() saw end (0 before any).
  int last_status() const { return last_status_; }

  // Bytes to write to the host's stdin with flush().
  void queue(const std::string& bytes) { pending_output_ += bytes; }
  bool has_pending_output() const { return !pending_output_.empty(); }
  // Writes what it can without blocking. False when the host is gone.
  bool flush();
  // Reads what the host wrote without blocking. False at EOF (the host is gone).
  bool read_available();
  // Waits until `deadline` for output and reads it. False at EOF.
  bool wait_readable(Clock::time_point deadline);
  // One complete line from the host's output, if one is buffered (without the newline).
  bool take_line(std::string& line);

  // Waits for the host to exit, killing it first if asked (or when it does not exit within
  // a grace period); forgets its pipes and buffers. Returns how it ended ("killed by
  // SIGKILL", "exited with status 1").
  std::string reap(bool kill_first);
  // Closes its stdin (the host finishes what runs and exits) and waits, killing it after a
  // grace period.
  void stop();

  // The end of the host's stderr log, trailing blanks removed; empty when there is none.
  std::string stderr_tail(std::size_t bytes) const;

 private:
  void forget_pipes();

  pid_t pid_ = -1;
  int last_status_ = 0;
  int to_host_ = -1, from_host_ = -1;
  std::string pending_output_;  // request bytes not yet written
  std::string input_;           // answer bytes not yet split into lines
  std::filesystem::path stderr_log_;
};

}  // namespace subcheck::prober
