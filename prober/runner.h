// The runner: starts the probe host in a sandbox, feeds it requests, collects the answers,
// survives the host dying, and turns the answers into verdicts (verdicts.cpp).
// probe() in prober.h is the entry point; the pieces here are public for tests and tools.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "prober/prober.h"

namespace subcheck::prober {

// One request to the probe host (docs/prober.md, "Host protocol").
struct ProbeRequest {
  ProbeKind probe = ProbeKind::main;
  std::string module;                          // dotted import name
  std::filesystem::path file;                  // the .so, for the load-by-file fallback; may be empty
  std::vector<std::filesystem::path> sys_path; // put first on sys.path
  std::chrono::milliseconds timeout{20000};
  unsigned stress_threads = 4;
  unsigned stress_cycles = 3;
};

// The request as one protocol line, without the newline.
std::string request_line(const ProbeRequest& request, long long id);

// One answer line of the host; nullopt when it is not an answer (not JSON, no numeric id).
std::optional<ProbeResult> parse_answer_line(const std::string& line, long long* id);

// A probe host process for one interpreter, started on demand in a sandbox (a new network
// namespace where the kernel allows it, a scrubbed environment, a temp HOME), restarted
// when it dies. Not thread-safe: one caller at a time.
class HostSession {
 public:
  using Progress = std::function<void(const ProbeRequest&, const ProbeResult&)>;

  HostSession(std::filesystem::path host, const Interpreter& interpreter, unsigned jobs);
  ~HostSession();  // stops the host and removes the session's temp directory
  HostSession(const HostSession&) = delete;
  HostSession& operator=(const HostSession&) = delete;

  // Runs every request, at most `jobs` at a time, and returns one result per request in
  // request order. When the host dies, the probes it was running are retried one at a
  // time on a new host; a probe that kills the host on its own gets outcome "error".
  std::vector<ProbeResult> run(const std::vector<ProbeRequest>& requests, const Progress& progress = {});

  // How the host is sandboxed; empty until it has started once.
  const SandboxReport& sandbox() const;
  // Host start failures, deaths and restarts, protocol problems.
  const std::vector<std::string>& problems() const;
  // The running host's pid, or -1 (tests use it to kill the host).
  int host_pid() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------
// Verdicts (verdicts.cpp), docs/prober.md "Verdicts"

// Growth of per-cycle samples (a stress result's rss_kb or heap_kb) in KiB per cycle,
// averaged over the cycles; nullopt with fewer than two samples, or when `every_cycle` and
// some cycle did not grow.
std::optional<double> growth_per_cycle(const std::vector<long>& samples, bool every_cycle);

// What one subinterpreter's import may keep, above what subinterpreters that import nothing
// keep, before a leak note is written. The yardstick is malloc'd memory in use where the
// host can read it (glibc): CPython keeps ~0.4 MiB of it per ended isolated subinterpreter
// whatever was imported, while RSS also keeps the obmalloc arenas of every subinterpreter
// that ended with live objects, and so grows with whatever a module imports (asyncio: MiBs).
constexpr double kLeakNoteKiBPerInterpreter = 256;

struct VerdictContext {
  const Interpreter* interpreter = nullptr;
  unsigned stress_threads = 4;
  // Growth per stress cycle of subinterpreters that import nothing new ("sys"): the
  // yardsticks for leak notes; nullopt when they could not be measured.
  std::optional<double> baseline_heap_kib_per_cycle;
  std::optional<double> baseline_rss_kib_per_cycle;
};

// Verdicts, summary and notes for one module from its probe results.
ModuleProbeReport judge_module(const ExtensionFile& module, std::vector<ProbeResult> evidence,
                               const VerdictContext& context);

// A module built for another ABI: never loaded.
ModuleProbeReport abi_mismatch_report(const ExtensionFile& module, const Interpreter& interpreter);

// A module no probe could run for (the host could not be built or started).
ModuleProbeReport untested_report(const ExtensionFile& module, const Interpreter& interpreter,
                                  const std::string& reason);

// "SIGSEGV" for 11; "signal 70" for numbers without a name.
std::string signal_name(int signal);

}  // namespace subcheck::prober
