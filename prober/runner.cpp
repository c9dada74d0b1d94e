// The runner: the probe host as a sandboxed child process, the request/answer exchange
// with it, restarts, and probe() (prober.h) on top.
#include "prober/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "prober/host_build.h"
#include "prober/seccomp_policy.h"

extern char** environ;

namespace subcheck::prober {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr std::chrono::seconds kHelloTimeout{60};      // Python start-up on a loaded machine
constexpr std::chrono::seconds kAnswerGrace{15};       // beyond a probe's own time limit
constexpr std::chrono::seconds kStopGrace{5};
constexpr int kMaxHostStarts = 40;
constexpr std::size_t kStderrTail = 2000;
constexpr int kProtocolVersion = 1;

// ---------------------------------------------------------------------------------------
// Small POSIX helpers

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string errno_text(int error) { return std::strerror(error); }

std::string tail_of_file(const fs::path& file, std::size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = size > static_cast<std::streamoff>(bytes) ? size - static_cast<std::streamoff>(bytes) : 0;
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return "killed by " + signal_name(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
}

fs::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temp directory " + pattern + ": " + errno_text(errno));
  }
  return pattern;
}

// Variables a probed module may see: what locates programs and libraries and the locale.
// Everything else of the caller's environment (tokens, keys, CI secrets) stays out of the
// probe host, whose environment every probe inherits (docs/security.md). No PYTHON* but
// PYTHONHASHSEED: PYTHON_GIL hides what a module does to the GIL; PYTHONPATH, PYTHONHOME,
// PYTHONSTARTUP change what gets imported.
bool passed_to_probes(std::string_view name) {
  static constexpr std::string_view kPassed[] = {"PATH", "LD_LIBRARY_PATH", "LANG", "LANGUAGE", "TZ", "PYTHONHASHSEED"};
  return name.starts_with("LC_") || std::find(std::begin(kPassed), std::end(kPassed), name) != std::end(kPassed);
}

// The host's environment: the caller's variables that pass_to_probes() lets through, with
// HOME and TMPDIR in the session's temp directory.
std::vector<std::string> host_environment(const fs::path& home, const fs::path& tmp) {
  std::vector<std::string> env;
  for (char** entry = environ; entry && *entry; ++entry) {
    std::string_view text(*entry);
    std::string_view name = text.substr(0, text.find('='));
    if (!passed_to_probes(name)) continue;
    env.emplace_back(text);
  }
  env.push_back("HOME=" + home.string());
  env.push_back("TMPDIR=" + tmp.string());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// What the forked child tells the runner about its sandbox before it execs the host.
struct SandboxStatus {
  char kind;  // 'N' new network namespace, 'U' new user + network namespaces, 'X' neither, 'E' exec failed
  int error;
};

void write_status(int fd, char kind, int error) {
  SandboxStatus status{kind, error};
  ssize_t ignored = ::write(fd, &status, sizeof status);
  (void)ignored;
}

void write_text_file(const char* path, const char* text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t ignored = ::write(fd, text, std::strlen(text));
  (void)ignored;
  ::close(fd);
}

// Between fork and exec: async-signal-safe calls only (the caller may be multithreaded).
// A new network namespace as root (CLONE_NEWNET), else inside a new user namespace where
// unprivileged ones are allowed (mapping our own uid and gid, so files stay ours).
void enter_sandbox(int status_fd, const char* uid_map, const char* gid_map) {
  if (::unshare(CLONE_NEWNET) == 0) {
    write_status(status_fd, 'N', 0);
    return;
  }
  int first_error = errno;
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
    write_text_file("/proc/self/setgroups", "deny");
    write_text_file("/proc/self/uid_map", uid_map);
    write_text_file("/proc/self/gid_map", gid_map);
    write_status(status_fd, 'U', 0);
    return;
  }
  write_status(status_fd, 'X', errno == EPERM || errno == EINVAL ? first_error : errno);
}

[[noreturn]] void exec_host_child(int stdin_fd, int stdout_fd, int stderr_fd, int status_fd, const char* uid_map,
                                  const char* gid_map, char* const argv[], char* const envp[]) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::setpgid(0, 0);                        // terminal signals go to subcheck, not the host
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);     // ... and the host never outlives subcheck
  enter_sandbox(status_fd, uid_map, gid_map);
  ::dup2(stdin_fd, STDIN_FILENO);
  ::dup2(stdout_fd, STDOUT_FILENO);
  ::dup2(stderr_fd, STDERR_FILENO);
  ::dup2(status_fd, 3);
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 4U, ~0U, 0U) != 0)
#endif
  {
    for (int fd = 4; fd < 4096; ++fd) ::close(fd);
  }
  ::execve(argv[0], argv, envp);
  write_status(3, 'E', errno);
  ::_exit(127);
}

std::string network_text(const SandboxStatus& status) {
  switch (status.kind) {
    case 'N': return "isolated (new network namespace)";
    case 'U': return "isolated (new user and network namespaces)";
    default: return "not isolated: unshare(CLONE_NEWNET) and unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: " +
                    errno_text(status.error);
  }
}

// SIGPIPE for a write to a dead host must not kill subcheck: blocked for the write, and
// taken off the pending set afterwards if the write raised it.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ssize_t written = ::write(fd, data, size);
  int saved = errno;
  if (written < 0 && saved == EPIPE) {
    const timespec zero{0, 0};
    while (::sigtimedwait(&pipe_only, nullptr, &zero) > 0) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return written;
}

ProbeResult error_result(const ProbeRequest& request, const std::string& why) {
  ProbeResult result;
  result.probe = request.probe;
  result.outcome = ProbeOutcome::error;
  result.error = why;
  return result;
}

// The probe that was alone on a host that died or hung: what the parent saw is a crash of
// that probe (a probe can kill the process it runs in, and where the sandbox is weaker,
// its host), never a probe that "could not run".
ProbeResult host_death_result(const ProbeRequest& request, const std::string& why, int host_status) {
  ProbeResult result;
  result.probe = request.probe;
  result.outcome = ProbeOutcome::crash;
  result.signal = WIFSIGNALED(host_status) ? WTERMSIG(host_status) : 0;
  result.exit_code = WIFEXITED(host_status) ? WEXITSTATUS(host_status) : 0;
  result.during = "the probe host";
  result.output = "the probe host " + why + " while running only this probe";
  return result;
}

ProbeStep step_from_json(const json& step) {
  ProbeStep out;
  out.where = step.value("where", "");
  out.ok = step.value("ok", false);
  out.error_type = step.value("error_type", "");
  out.message = step.value("message", "");
  out.via = step.value("via", "");
  out.package_error = step.value("package_error", "");
  out.fallback = step.value("fallback", "");
  out.package_imports_it = step.value("package_imports_it", false);
  return out;
}

std::optional<bool> optional_bool(const json& answer, const char* key) {
  auto it = answer.find(key);
  if (it == answer.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Protocol lines

std::string request_line(const ProbeRequest& request, long long id) {
  json line = {{"id", id},
               {"probe", to_string(request.probe)},
               {"module", request.module},
               {"file", request.file.string()},
               {"sys_path", json::array()},
               {"timeout_ms", request.timeout.count()}};
  for (const fs::path& entry : request.sys_path) line["sys_path"].push_back(entry.string());
  if (request.probe == ProbeKind::stress) line["stress"] = {{"threads", request.stress_threads}, {"cycles", request.stress_cycles}};
  return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<ProbeResult> parse_answer_line(const std::string& line, long long* id) {
  json answer = json::parse(line, nullptr, false);
  if (!answer.is_object() || !answer.contains("id") || !answer["id"].is_number_integer()) return std::nullopt;
  *id = answer["id"].get<long long>();
  try {
    ProbeResult result;
    // The host echoes the request's kind; the runner knows it anyway (HostSession::run sets it
    // from the request), so an answer without one is not refused for that.
    result.probe = parse_probe_kind(answer.value("probe", "")).value_or(ProbeKind::main);
    const std::string outcome = answer.value("outcome", "error");
    // An outcome this runner does not know is a protocol problem, never a pass.
    result.outcome = parse_probe_outcome(outcome).value_or(ProbeOutcome::error);
    result.signal = answer.value("signal", 0);
    result.exit_code = answer.value("exit_code", 0);
    result.during = answer.value("during", "");
    result.elapsed = std::chrono::milliseconds(answer.value("elapsed_ms", 0LL));
    for (const json& step : answer.value("steps", json::array())) result.steps.push_back(step_from_json(step));
    result.shared_objects = answer.value("shared_objects", std::vector<std::string>{});
    result.gil_before = optional_bool(answer, "gil_before");
    result.gil_after = optional_bool(answer, "gil_after");
    result.rss_kb = answer.value("rss_kb", std::vector<long>{});
    result.heap_kb = answer.value("heap_kb", std::vector<long>{});
    if (std::any_of(result.heap_kb.begin(), result.heap_kb.end(), [](long kb) { return kb < 0; })) result.heap_kb.clear();
    result.output = answer.value("output", "");
    result.output_truncated = answer.value("output_truncated", false);
    if (!parse_probe_outcome(outcome)) {
      result.error = "the probe host answered with an unknown outcome '" + outcome.substr(0, 40) + "'";
    } else if (result.outcome == ProbeOutcome::error) {
      result.error = answer.value("message", "the probe host could not run the probe");
    }
    return result;
  } catch (const json::exception& error) {
    // An answer for a known id that does not read: an error for that probe at once (the
    // host validates what its children write, so this is a host bug, not a module's).
    ProbeResult result;
    const json& kind = answer["probe"];
    result.probe = kind.is_string() ? parse_probe_kind(kind.get<std::string>()).value_or(ProbeKind::main) : ProbeKind::main;
    result.outcome = ProbeOutcome::error;
    result.error = std::string("the probe host's answer does not read: ") + error.what();
    return result;
  }
}

// ---------------------------------------------------------------------------------------
// The host session

struct HostSession::Impl {
  fs::path host;
  const Interpreter& interpreter;
  unsigned jobs;
  fs::path scratch;  // home/, tmp/, probes/, host-stderr.log
  SandboxReport sandbox;
  std::vector<std::string> problems;

  pid_t pid = -1;
  int to_host = -1, from_host = -1;
  std::string pending_output;  // request bytes not yet written
  std::string input;           // answer bytes not yet split into lines
  int starts = 0;
  int last_host_status = 0;  // wait status of the last host that ended
  long long next_id = 1;
  std::string last_start_failure;

  Impl(fs::path host_path, const Interpreter& interp, unsigned job_count)
      : host(std::move(host_path)), interpreter(interp), jobs(std::max(1u, job_count)) {
    scratch = make_temp_dir("subcheck-probe");
    for (const char* dir : {"home", "tmp", "probes"}) fs::create_directories(scratch / dir);
  }

  ~Impl() {
    stop();
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
  }

  bool alive() const { return pid > 0; }
  fs::path stderr_log() const { return scratch / "host-stderr.log"; }

  std::string stderr_tail() const {
    std::string tail = tail_of_file(stderr_log(), kStderrTail);
    return tail.empty() ? "" : "; its stderr ends with: " + tail;
  }

  // Spawns the host and waits for its hello line. False (last_start_failure set) when it
  // does not come up.
  bool start() {
    ++starts;
    int in_pipe[2], out_pipe[2], status_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) return start_failed("pipe: " + errno_text(errno));
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
      ::close(in_pipe[0]);
      ::close(in_pipe[1]);
      return start_failed("pipe: " + errno_text(errno));
    }
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
      for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
      return start_failed("pipe: " + errno_text(errno));
    }
    int log = ::open(stderr_log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

    if (std::string why; !host_matches_record(host, &why)) {
      return start_failed("the probe host " + host.string() + " is not the one that was built and verified: " + why);
    }
    std::vector<std::string> args{host.string(), "--zygote", "--jobs", std::to_string(jobs), "--python",
                                  interpreter.executable.string(), "--scratch", (scratch / "probes").string()};
    if (const fs::path filter = seccomp_filter(); !filter.empty()) args.insert(args.end(), {"--seccomp", filter.string()});
    // Only ever weakens the sandbox, and the hello then says so: for tests of the fallback.
    if (const char* wanted = std::getenv("SUBCHECK_PROBE_SANDBOX"); wanted && std::string_view(wanted) == "none") {
      args.insert(args.end(), {"--sandbox", "none"});
    }
    std::vector<std::string> env = host_environment(scratch / "home", scratch / "tmp");
    std::vector<char*> argv = c_strings(args), envp = c_strings(env);
    const std::string uid_map = std::to_string(::getuid()) + " " + std::to_string(::getuid()) + " 1\n";
    const std::string gid_map = std::to_string(::getgid()) + " " + std::to_string(::getgid()) + " 1\n";

    pid_t child = ::fork();
    if (child == 0) {
      exec_host_child(in_pipe[0], out_pipe[1], log >= 0 ? log : STDERR_FILENO, status_pipe[1], uid_map.c_str(),
                      gid_map.c_str(), argv.data(), envp.data());
    }
    int fork_error = errno;
    for (int fd : {in_pipe[0], out_pipe[1], status_pipe[1]}) ::close(fd);
    if (log >= 0) ::close(log);
    if (child < 0) {
      for (int fd : {in_pipe[1], out_pipe[0], status_pipe[0]}) ::close(fd);
      return start_failed("fork: " + errno_text(fork_error));
    }
    pid = child;
    to_host = in_pipe[1];
    from_host = out_pipe[0];
    ::fcntl(to_host, F_SETFL, ::fcntl(to_host, F_GETFL) | O_NONBLOCK);
    ::fcntl(from_host, F_SETFL, ::fcntl(from_host, F_GETFL) | O_NONBLOCK);

    std::array<SandboxStatus, 2> statuses{};
    std::size_t got = 0;
    for (;;) {  // until exec closes the pipe
      ssize_t n = ::read(status_pipe[0], reinterpret_cast<char*>(statuses.data()) + got, sizeof statuses - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
      if (got == sizeof statuses) break;
    }
    ::close(status_pipe[0]);
    if (got >= sizeof(SandboxStatus)) sandbox.network = network_text(statuses[0]);
    if (got >= 2 * sizeof(SandboxStatus) && statuses[1].kind == 'E') {
      reap(true);
      return start_failed("cannot execute " + host.string() + ": " + errno_text(statuses[1].error));
    }
    return await_hello();
  }

  // The probe children's seccomp filter, written once per session; empty (and a problem
  // recorded) when libseccomp cannot make it.
  fs::path seccomp_filter() {
    const fs::path file = scratch / "seccomp.bpf";
    std::error_code ec;
    if (fs::exists(file, ec)) return file;
    try {
      write_probe_seccomp_filter(file);
      return file;
    } catch (const std::exception& error) {
      if (std::find(problems.begin(), problems.end(), error.what()) == problems.end()) problems.push_back(error.what());
      return {};
    }
  }

  // The hello's "sandbox" object: what every probe child gets.
  void read_sandbox(const json& hello) {
    const json described = hello.value("sandbox", json::object());
    sandbox.level = described.is_object() ? described.value("level", "") : "";
    sandbox.isolation = described.is_object() ? described.value("isolation", std::vector<std::string>{})
                                              : std::vector<std::string>{};
    sandbox.problems = described.is_object() ? described.value("problems", std::vector<std::string>{})
                                             : std::vector<std::string>{};
    if (sandbox.level.empty()) {
      sandbox.level = "none";
      sandbox.problems.push_back("the probe host did not describe its sandbox");
    }
    if (sandbox.level != "none") sandbox.network = "isolated (a network namespace per probe)";
  }

  bool start_failed(const std::string& why) {
    last_start_failure = "the probe host for CPython " + interpreter.version + " did not start: " + why;
    problems.push_back(last_start_failure);
    return false;
  }

  bool await_hello() {
    const auto deadline = Clock::now() + kHelloTimeout;
    while (Clock::now() < deadline) {
      std::string line;
      if (take_line(line)) {
        json hello = json::parse(line, nullptr, false);
        if (!hello.is_object() || hello.value("hello", "") != "subcheck-probe-host") {
          kill_host();
          return start_failed("its first line is not a hello: " + line.substr(0, 200));
        }
        if (hello.value("protocol", 0) != kProtocolVersion) {
          kill_host();
          return start_failed("it speaks protocol " + std::to_string(hello.value("protocol", 0)) + ", not " +
                              std::to_string(kProtocolVersion));
        }
        sandbox.limits = hello.value("limits", std::vector<std::string>{});
        try {
          read_sandbox(hello);
        } catch (const json::exception&) {
          kill_host();
          return start_failed("its hello describes the sandbox in a form subcheck does not read");
        }
        return true;
      }
      if (!wait_readable(deadline)) {
        const std::string status = reap(false);
        return start_failed("it " + status + " before saying hello" + stderr_tail());
      }
    }
    kill_host();
    return start_failed("no hello within " + std::to_string(kHelloTimeout.count()) + " s" + stderr_tail());
  }

  // One complete line from the host's output, if one is buffered.
  bool take_line(std::string& line) {
    std::size_t end = input.find('\n');
    if (end == std::string::npos) return false;
    line = input.substr(0, end);
    input.erase(0, end + 1);
    return true;
  }

  // Reads what the host wrote, waiting until `deadline`. False at EOF (the host is gone).
  bool wait_readable(Clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd pfd{from_host, POLLIN, 0};
      int ready = ::poll(&pfd, 1, static_cast<int>(std::max<long long>(0, left)));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return true;  // nothing yet
      return read_available();
    }
  }

  // False at EOF.
  bool read_available() {
    std::array<char, 65536> buffer{};
    for (;;) {
      ssize_t n = ::read(from_host, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      if (n <= 0) return false;
      input.append(buffer.data(), static_cast<std::size_t>(n));
    }
  }

  // Writes what it can of the pending requests. False when the host is gone.
  bool flush() {
    while (!pending_output.empty()) {
      ssize_t n = write_without_sigpipe(to_host, pending_output.data(), pending_output.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      if (n <= 0) return false;
      pending_output.erase(0, static_cast<std::size_t>(n));
    }
    return true;
  }

  // Waits for the host to exit (after a kill, or for a host found dead); records why.
  std::string reap(bool kill_first) {
    if (pid <= 0) return "not running";
    if (kill_first) ::kill(pid, SIGKILL);
    int status = 0;
    pid_t got = 0;
    const auto deadline = Clock::now() + kStopGrace;
    while ((got = ::waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (got == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
    pid = -1;
    last_host_status = status;
    close_fd(to_host);
    close_fd(from_host);
    pending_output.clear();
    input.clear();
    return describe_status(status);
  }

  void kill_host() { reap(true); }

  void stop() {
    if (!alive()) return;
    close_fd(to_host);  // EOF: the host finishes what runs and exits
    const auto deadline = Clock::now() + kStopGrace;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (Clock::now() >= deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pid = -1;
    close_fd(from_host);
  }

  std::vector<ProbeResult> run(const std::vector<ProbeRequest>& requests, const Progress& progress);
};

namespace {

struct InFlight {
  std::size_t index;
  Clock::time_point deadline;
};

}  // namespace

std::vector<ProbeResult> HostSession::Impl::run(const std::vector<ProbeRequest>& requests,
                                                const Progress& progress) {
  std::vector<std::optional<ProbeResult>> results(requests.size());
  std::deque<std::size_t> pending, suspects;
  for (std::size_t i = 0; i < requests.size(); ++i) pending.push_back(i);
  std::map<long long, InFlight> in_flight;
  bool solo = false;  // what is in flight is a suspect, alone on the host

  auto finish = [&](std::size_t index, ProbeResult result) {
    result.probe = requests[index].probe;  // an answer is to the request with its id
    results[index] = std::move(result);
    if (progress) progress(requests[index], *results[index]);
  };
  auto send = [&](std::size_t index) {
    const long long id = next_id++;
    pending_output += request_line(requests[index], id) + "\n";
    in_flight[id] = {index, Clock::now() + requests[index].timeout + kAnswerGrace};
  };
  // The host died or hung: a probe that was alone on it is the culprit; the others go
  // back, to be retried one at a time.
  auto host_lost = [&](const std::string& why, bool hung = false) {
    problems.push_back("the probe host for CPython " + interpreter.version + " " + why + stderr_tail() +
                       (in_flight.empty() ? "" : "; probes in flight: " + std::to_string(in_flight.size())));
    const bool culprit_known = solo || in_flight.size() == 1;
    for (auto& [id, flight] : in_flight) {
      if (culprit_known) {
        ProbeResult lost = host_death_result(requests[flight.index], why, last_host_status);
        if (hung) lost.outcome = ProbeOutcome::timeout;
        finish(flight.index, std::move(lost));
      } else {
        suspects.push_back(flight.index);
      }
    }
    in_flight.clear();
  };

  while (!pending.empty() || !suspects.empty() || !in_flight.empty()) {
    if (!alive() && (starts >= kMaxHostStarts || !start())) {
      const std::string why = starts >= kMaxHostStarts && last_start_failure.empty()
                                  ? "the probe host died " + std::to_string(starts) + " times; giving up"
                                  : last_start_failure;
      for (auto& [id, flight] : in_flight) finish(flight.index, error_result(requests[flight.index], why));
      for (std::size_t index : suspects) finish(index, error_result(requests[index], why));
      for (std::size_t index : pending) finish(index, error_result(requests[index], why));
      break;
    }
    if (in_flight.empty()) solo = !suspects.empty();
    if (solo && in_flight.empty()) {
      send(suspects.front());
      suspects.pop_front();
    } else if (!solo) {
      while (in_flight.size() < jobs && !pending.empty()) {
        send(pending.front());
        pending.pop_front();
      }
    }
    if (!flush()) {
      host_lost("died (" + reap(false) + ")");
      continue;
    }

    Clock::time_point deadline = Clock::now() + std::chrono::seconds(1);
    for (const auto& [id, flight] : in_flight) deadline = std::min(deadline, flight.deadline);
    pollfd fds[2] = {{from_host, POLLIN, 0}, {to_host, static_cast<short>(pending_output.empty() ? 0 : POLLOUT), 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    int ready = ::poll(fds, 2, static_cast<int>(std::max<long long>(0, left)));
    if (ready < 0 && errno != EINTR) {
      const std::string why = errno_text(errno);
      kill_host();
      host_lost("could not be polled (" + why + ") and was killed");
      continue;
    }
    bool open = true;
    if (ready > 0 && fds[0].revents) open = read_available();
    for (std::string line; take_line(line);) {
      long long id = 0;
      std::optional<ProbeResult> result = parse_answer_line(line, &id);
      auto flight = result ? in_flight.find(id) : in_flight.end();
      if (flight == in_flight.end()) {
        problems.push_back("unexpected line from the probe host: " + line.substr(0, 200));
        continue;
      }
      finish(flight->second.index, std::move(*result));
      in_flight.erase(flight);
    }
    if (!open) {
      host_lost("died (" + reap(false) + ")");
      continue;
    }
    const auto now = Clock::now();
    if (std::any_of(in_flight.begin(), in_flight.end(), [&](const auto& f) { return now >= f.second.deadline; })) {
      kill_host();
      host_lost("did not answer in time and was killed", true);
    }
  }

  std::vector<ProbeResult> out;
  out.reserve(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    out.push_back(results[i] ? std::move(*results[i]) : error_result(requests[i], "no answer"));
  }
  return out;
}

HostSession::HostSession(fs::path host, const Interpreter& interpreter, unsigned jobs)
    : impl_(std::make_unique<Impl>(std::move(host), interpreter, jobs)) {}

HostSession::~HostSession() = default;

std::vector<ProbeResult> HostSession::run(const std::vector<ProbeRequest>& requests, const Progress& progress) {
  return impl_->run(requests, progress);
}

const SandboxReport& HostSession::sandbox() const { return impl_->sandbox; }
const std::vector<std::string>& HostSession::problems() const { return impl_->problems; }
int HostSession::host_pid() const { return impl_->pid; }

// ---------------------------------------------------------------------------------------
// probe(): every module of a target on one interpreter

namespace {

std::vector<fs::path> sys_path_for(const ExtensionFile& module, const Interpreter& interpreter) {
  std::vector<fs::path> path;
  for (const fs::path& entry : {module.sys_path_entry, interpreter.purelib}) {
    if (!entry.empty() && std::find(path.begin(), path.end(), entry) == path.end()) path.push_back(entry);
  }
  return path;
}

ProbeRequest request_for(const ExtensionFile& module, const Interpreter& interpreter, ProbeKind probe,
                         const ProbeOptions& options) {
  ProbeRequest request;
  request.probe = probe;
  request.module = module.module;
  request.file = module.file;
  request.sys_path = sys_path_for(module, interpreter);
  request.timeout = options.timeout;
  request.stress_threads = options.stress_threads;
  request.stress_cycles = options.stress_cycles;
  if (probe == ProbeKind::stress) request.timeout = 2 * options.timeout;  // threads x cycles imports
  return request;
}

// The first wave, for every module: one `combined` child (fresh isolated import, main
// import, isolated import, finalisation). No separate `main` probe: the isolated import
// after the main one starts with exactly that import, in the same fresh process state.
std::vector<ProbeKind> first_wave_probes() { return {ProbeKind::combined}; }

bool clean_step(const ProbeResult& result, std::size_t index, std::string_view where) {
  return result.steps.size() > index && result.steps[index].where == where && result.steps[index].ok &&
         result.steps[index].via.empty();
}

// A combined child whose every step went as in a module that loads everywhere: nothing any
// step did can have changed what a later one saw, so its steps stand for the separate probes.
bool combined_clean(const ProbeResult& result, const Interpreter& interpreter) {
  if (result.probe != ProbeKind::combined || result.outcome != ProbeOutcome::ok || result.steps.size() != 3) return false;
  if (!clean_step(result, 0, "isolated-fresh") || !clean_step(result, 1, "main") ||
      !clean_step(result, 2, "isolated")) {
    return false;
  }
  // On free-threaded builds the GIL must still be off before the main import (the isolated
  // import before it must not have turned it on) and known after it.
  if (interpreter.free_threaded && (result.gil_before != std::optional<bool>(false) || !result.gil_after)) return false;
  return true;
}

ProbeResult split_part(const ProbeResult& combined, ProbeKind probe, std::vector<ProbeStep> steps) {
  ProbeResult part;
  part.probe = probe;
  part.outcome = combined.outcome;
  part.elapsed = combined.elapsed;
  part.steps = std::move(steps);
  part.split_from = ProbeKind::combined;
  part.output = combined.output;  // the one child's output: each part's evidence
  part.output_truncated = combined.output_truncated;
  return part;
}

// The clean combined child as the results of the probes it stands for: `isolated-fresh`
// (its first step, as "isolated"), `isolated` (main and isolated steps, shared objects) and
// on free-threaded builds `gil` (the main step and the GIL before and after it); each with
// the child's output.
std::vector<ProbeResult> split_combined(const ProbeResult& combined, const Interpreter& interpreter) {
  std::vector<ProbeResult> parts;
  ProbeStep fresh = combined.steps[0];
  fresh.where = "isolated";
  parts.push_back(split_part(combined, ProbeKind::isolated_fresh, {fresh}));
  ProbeResult isolated = split_part(combined, ProbeKind::isolated, {combined.steps[1], combined.steps[2]});
  isolated.shared_objects = combined.shared_objects;
  if (interpreter.free_threaded) {
    isolated.gil_before = combined.gil_before;
    isolated.gil_after = combined.gil_after;
  }
  parts.push_back(std::move(isolated));
  if (interpreter.free_threaded) {
    ProbeResult gil = split_part(combined, ProbeKind::gil, {combined.steps[1]});
    gil.gil_before = combined.gil_before;
    gil.gil_after = combined.gil_after;
    parts.push_back(std::move(gil));
  }
  return parts;
}

// A combined child whose first step, the fresh isolated import, completed without
// succeeding cleanly: the child then did exactly what an `isolated-fresh` child does (wrote
// the step, ended the subinterpreter, Py_FinalizeEx; a crash after that is "teardown"), so
// its result is that probe's.
std::optional<ProbeResult> combined_as_fresh(const ProbeResult& combined) {
  if (combined.probe != ProbeKind::combined || combined.outcome == ProbeOutcome::error || combined.steps.size() != 1 ||
      combined.steps[0].where != "isolated-fresh" || (combined.steps[0].ok && combined.steps[0].via.empty())) {
    return std::nullopt;
  }
  if (combined.outcome != ProbeOutcome::ok && combined.during != "teardown") return std::nullopt;
  ProbeResult fresh = combined;
  fresh.probe = ProbeKind::isolated_fresh;
  fresh.split_from = ProbeKind::combined;
  fresh.steps[0].where = "isolated";
  fresh.gil_before.reset();
  fresh.gil_after.reset();
  return fresh;
}

bool has_result(const std::vector<ProbeResult>& evidence, ProbeKind probe) {
  return std::any_of(evidence.begin(), evidence.end(), [&](const ProbeResult& r) { return r.probe == probe; });
}

// After a combined child that was not clean: the separate probes (but the one the combined
// child stood for), whose results attribute every failure exactly. The `isolated` child
// carries the GIL measurement around its main import, so free-threaded builds need no
// separate `gil` child.
std::vector<ProbeKind> fallback_probes(const std::vector<ProbeResult>& evidence) {
  std::vector<ProbeKind> probes;
  for (ProbeKind probe : {ProbeKind::isolated, ProbeKind::isolated_fresh}) {
    if (!has_result(evidence, probe)) probes.push_back(probe);
  }
  return probes;
}

// The `gil` result the verdicts read, from the `isolated` child's main import: what a
// separate `gil` child (the same import, then exit) would have reported.
ProbeResult gil_from_isolated(const ProbeResult& isolated) {
  ProbeResult gil;
  gil.probe = ProbeKind::gil;
  gil.split_from = ProbeKind::isolated;
  gil.elapsed = isolated.elapsed;
  gil.error = isolated.error;
  const bool died_in_main =
      isolated.outcome != ProbeOutcome::ok && (isolated.during == "main" || isolated.during == "start" || isolated.during == "setup");
  gil.outcome = isolated.outcome == ProbeOutcome::error || died_in_main ? isolated.outcome : ProbeOutcome::ok;
  if (died_in_main) {
    gil.signal = isolated.signal;
    gil.exit_code = isolated.exit_code;
    gil.during = isolated.during;
  }
  gil.output = isolated.output;
  gil.output_truncated = isolated.output_truncated;
  for (const ProbeStep& step : isolated.steps) {
    if (step.where == "main") gil.steps.push_back(step);
  }
  gil.gil_before = isolated.gil_before;
  gil.gil_after = isolated.gil_after;
  return gil;
}

const ProbeStep* isolated_step(const std::vector<ProbeResult>& evidence) {
  for (const ProbeResult& result : evidence) {
    if (result.probe != ProbeKind::isolated || result.outcome != ProbeOutcome::ok) continue;
    for (const ProbeStep& step : result.steps) {
      if (step.where == "isolated") return &step;
    }
  }
  return nullptr;
}

// The second wave, which depends on the first: `stress` once the isolated import
// succeeded; `shared` once it was refused (it separates shared-GIL-only modules from
// unsupported ones, and cannot change the verdict of a module an isolated subinterpreter
// loads: docs/prober.md, "Which probes run").
std::vector<ProbeKind> second_wave_probes(const std::vector<ProbeResult>& evidence, const ProbeOptions& options) {
  const ProbeStep* isolated = isolated_step(evidence);
  if (isolated == nullptr) return {};
  if (!isolated->ok) return {ProbeKind::shared};
  if (options.stress) return {ProbeKind::stress};
  return {};
}

unsigned effective_jobs(const ProbeOptions& options) {
  if (options.jobs > 0) return options.jobs;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

namespace {

// Evidence per module of a target, filled wave by wave.
struct Probing {
  const Interpreter& interpreter;
  const ProbeTarget& target;
  const ProbeOptions& options;
  std::vector<std::size_t> runnable;                 // modules whose file matches the interpreter
  std::vector<std::vector<ProbeResult>> evidence;    // per module of the target
  std::size_t done = 0, total = 0;

  HostSession::Progress progress() {
    return [this](const ProbeRequest& request, const ProbeResult& result) {
      ++done;
      if (options.progress) options.progress(done, total, request.module + " (" + std::string(to_string(request.probe)) + "): " +
                                                           std::string(to_string(result.outcome)));
    };
  }

  // Sends `probes_of(evidence so far)` for every runnable module, plus `extra` requests
  // whose results are returned; the others go to the modules' evidence.
  template <typename ProbesOf>
  std::vector<ProbeResult> run_wave(HostSession& session, ProbesOf probes_of, std::vector<ProbeRequest> extra = {}) {
    std::vector<ProbeRequest> wave;
    std::vector<std::size_t> owner;
    for (std::size_t i : runnable) {
      for (ProbeKind probe_name : probes_of(evidence[i])) {
        wave.push_back(request_for(target.modules[i], interpreter, probe_name, options));
        owner.push_back(i);
      }
    }
    if (wave.empty()) return {};
    wave.insert(wave.end(), extra.begin(), extra.end());
    total = done + wave.size();
    std::vector<ProbeResult> results = session.run(wave, progress());
    for (std::size_t k = 0; k < owner.size(); ++k) evidence[owner[k]].push_back(std::move(results[k]));
    return {std::make_move_iterator(results.begin() + static_cast<std::ptrdiff_t>(owner.size())),
            std::make_move_iterator(results.end())};
  }
};

// Stress for subinterpreters that import nothing new: the yardstick for leak notes.
ProbeRequest stress_yardstick(const Interpreter& interpreter, const ProbeOptions& options) {
  ExtensionFile nothing;
  nothing.module = "sys";
  ProbeRequest request = request_for(nothing, interpreter, ProbeKind::stress, options);
  request.sys_path.clear();
  return request;
}

void run_waves(Probing& probing, HostSession& session, VerdictContext& context) {
  const Interpreter& interpreter = probing.interpreter;
  probing.total = probing.runnable.size() * (first_wave_probes().size() + 1);
  probing.run_wave(session, [&](const std::vector<ProbeResult>&) { return first_wave_probes(); });
  // A clean combined child becomes the results of the probes it stands for; any other is
  // kept as evidence, and the separate probes run for that module.
  for (std::size_t i : probing.runnable) {
    std::vector<ProbeResult>& evidence = probing.evidence[i];
    if (evidence.size() != 1) continue;
    if (combined_clean(evidence.front(), interpreter)) {
      evidence = split_combined(evidence.front(), interpreter);
    } else if (std::optional<ProbeResult> fresh = combined_as_fresh(evidence.front())) {
      evidence.front() = std::move(*fresh);
    }
  }
  probing.run_wave(session, fallback_probes);
  if (interpreter.free_threaded) {
    for (std::size_t i : probing.runnable) {
      std::vector<ProbeResult>& evidence = probing.evidence[i];
      auto isolated = std::find_if(evidence.begin(), evidence.end(), [](const ProbeResult& r) {
        return r.probe == ProbeKind::isolated && !r.split_from;
      });
      if (isolated != evidence.end() && !has_result(evidence, ProbeKind::gil)) evidence.push_back(gil_from_isolated(*isolated));
    }
  }

  const bool stressing = probing.options.stress &&
                         std::any_of(probing.runnable.begin(), probing.runnable.end(), [&](std::size_t i) {
                           const ProbeStep* step = isolated_step(probing.evidence[i]);
                           return step != nullptr && step->ok;
                         });
  std::vector<ProbeRequest> extra;
  if (stressing) extra.push_back(stress_yardstick(interpreter, probing.options));
  std::vector<ProbeResult> yardstick = probing.run_wave(
      session, [&](const std::vector<ProbeResult>& evidence) { return second_wave_probes(evidence, probing.options); },
      std::move(extra));
  if (!yardstick.empty() && yardstick.front().outcome == ProbeOutcome::ok) {
    context.baseline_rss_kib_per_cycle = growth_per_cycle(yardstick.front().rss_kb, false);
    context.baseline_heap_kib_per_cycle = growth_per_cycle(yardstick.front().heap_kb, false);
  }
}

}  // namespace

ProbeRun probe(const Interpreter& interpreter, const ProbeTarget& target, const ProbeOptions& options) {
  ProbeRun run;
  Probing probing{interpreter, target, options, {}, std::vector<std::vector<ProbeResult>>(target.modules.size())};
  for (std::size_t i = 0; i < target.modules.size(); ++i) {
    if (target.modules[i].matches_interpreter) probing.runnable.push_back(i);
  }
  VerdictContext context;
  context.interpreter = &interpreter;
  context.stress_threads = options.stress_threads;
  std::string untested;

  if (!probing.runnable.empty()) {
    fs::path host;
    try {
      host = ensure_host(interpreter, &run.problems);
    } catch (const std::exception& error) {
      untested = error.what();
      run.problems.push_back(untested);
    }
    if (!host.empty()) {
      HostSession session(host, interpreter, effective_jobs(options));
      run_waves(probing, session, context);
      run.sandbox = session.sandbox();
      run.problems.insert(run.problems.end(), session.problems().begin(), session.problems().end());
    }
  }

  for (std::size_t i = 0; i < target.modules.size(); ++i) {
    const ExtensionFile& module = target.modules[i];
    if (!module.matches_interpreter) run.modules.push_back(abi_mismatch_report(module, interpreter));
    else if (!untested.empty()) run.modules.push_back(untested_report(module, interpreter, untested));
    else run.modules.push_back(judge_module(module, std::move(probing.evidence[i]), context));
  }
  if (run.sandbox.network.empty()) run.sandbox.network = "not started (nothing to probe)";
  return run;
}

}  // namespace subcheck::prober
