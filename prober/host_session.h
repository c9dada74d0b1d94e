// A session with the probe host of one interpreter: requests in, one result per request
// out, at most `jobs` at a time, surviving the host dying or hanging (docs/prober.md, "At
// most jobs probes are in flight").
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "prober/host_protocol.h"
#include "prober/prober.h"

namespace subcheck::prober {

// The start of the error of a probe that SIGINT/SIGTERM stopped or kept from starting
// (core/interrupt.h): "not probed: interrupted by SIGINT".
inline constexpr std::string_view kInterruptedProbe = "not probed: interrupted by ";

// A probe host process for one interpreter (host_process.h), started on demand in its
// sandbox and restarted when it dies. Not thread-safe: one caller at a time.
class HostSession {
 public:
  using Progress = std::function<void(const ProbeRequest&, const ProbeResult&)>;

  HostSession(std::filesystem::path host, const Interpreter& interpreter, unsigned jobs);
  ~HostSession();  // stops the host and removes the session's temp directory
  HostSession(const HostSession&) = delete;
  HostSession& operator=(const HostSession&) = delete;

  // Runs every request, at most `jobs` at a time, and returns one result per request in
  // request order. When the host dies, the probes it was running are retried one at a
  // time on a new host; a probe that kills the host on its own gets outcome `error`.
  std::vector<ProbeResult> run(const std::vector<ProbeRequest>& requests, const Progress& progress = {});

  // How the host is sandboxed; empty until it has started once.
  const SandboxReport& sandbox() const;
  // Host start failures, deaths and restarts, protocol problems.
  const std::vector<std::string>& problems() const;
  // The running host's pid, or -1 (tests use it to kill the host).
  int host_pid() const;

  struct Impl;  // host_session.cpp; named here so that file's helpers can use it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace subcheck::prober
