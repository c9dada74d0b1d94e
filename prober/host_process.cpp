// Starting the probe host in its sandbox, talking to it through non-blocking pipes, and
// ending it (host_process.h).
#include "prober/host_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>
#include <thread>
#include <vector>

#include "core/interrupt.h"
#include "prober/probe_verdicts.h"

extern char** environ;

namespace subcheck::prober {

namespace {

namespace fs = std::filesystem;
using Clock = HostProcess::Clock;

constexpr std::chrono::seconds kStopGrace{5};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string errno_text(int error) { return std::strerror(error); }

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return "killed by " + signal_name(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "stopped";
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

// The host's environment: the caller's variables that passed_to_probes() lets through, with
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
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// ---------------------------------------------------------------------------------------
// Between fork and exec

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

// Async-signal-safe calls only (the caller may be multithreaded). A new network namespace
// as root (CLONE_NEWNET), else inside a new user namespace where unprivileged ones are
// allowed (mapping our own uid and gid, so files stay ours).
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
  ::setpgid(0, 0);                     // terminal signals go to subcheck, not the host
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // ... and the host never outlives subcheck
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
    default:
      return "not isolated: unshare(CLONE_NEWNET) and unshare(CLONE_NEWUSER|CLONE_NEWNET) failed: " +
             errno_text(status.error);
  }
}

// The child's sandbox status and, when exec failed, its exec status: read until exec
// closes the pipe (close-on-exec) or both arrived. Returns how many arrived.
std::size_t read_statuses(int status_fd, std::array<SandboxStatus, 2>& statuses) {
  std::size_t got = 0;
  for (;;) {
    ssize_t n = ::read(status_fd, reinterpret_cast<char*>(statuses.data()) + got, sizeof statuses - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
    if (got == sizeof statuses) break;
  }
  return got / sizeof(SandboxStatus);
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

// Three close-on-exec pipes, or the error text.
std::string make_pipes(std::array<std::array<int, 2>, 3>& pipes) {
  for (std::size_t i = 0; i < pipes.size(); ++i) {
    if (::pipe2(pipes[i].data(), O_CLOEXEC) != 0) {
      std::string why = "pipe: " + errno_text(errno);
      for (std::size_t j = 0; j < i; ++j) ::close(pipes[j][0]), ::close(pipes[j][1]);
      return why;
    }
  }
  return {};
}

}  // namespace

HostProcess::~HostProcess() {
  if (alive()) reap(true);
}

std::string HostProcess::spawn(const HostCommand& command, std::string& network) {
  if (alive()) reap(true);
  stderr_log_ = command.stderr_log;
  std::array<std::array<int, 2>, 3> pipes{};  // to the host's stdin, from its stdout, sandbox status
  if (std::string why = make_pipes(pipes); !why.empty()) return why;
  auto& [in_pipe, out_pipe, status_pipe] = pipes;
  int log = ::open(command.stderr_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

  std::vector<std::string> args{command.host.string(),
                                "--zygote",
                                "--jobs",
                                std::to_string(command.jobs),
                                "--python",
                                command.python.string(),
                                "--scratch",
                                command.probes_dir.string()};
  args.insert(args.end(), command.extra_args.begin(), command.extra_args.end());
  std::vector<std::string> env = host_environment(command.home, command.tmp);
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
    return "fork: " + errno_text(fork_error);
  }
  pid_ = child;
  to_host_ = in_pipe[1];
  from_host_ = out_pipe[0];
  ::fcntl(to_host_, F_SETFL, ::fcntl(to_host_, F_GETFL) | O_NONBLOCK);
  ::fcntl(from_host_, F_SETFL, ::fcntl(from_host_, F_GETFL) | O_NONBLOCK);

  std::array<SandboxStatus, 2> statuses{};
  const std::size_t got = read_statuses(status_pipe[0], statuses);
  ::close(status_pipe[0]);
  if (got >= 1) network = network_text(statuses[0]);
  if (got >= 2 && statuses[1].kind == 'E') {
    reap(true);
    return "cannot execute " + command.host.string() + ": " + errno_text(statuses[1].error);
  }
  return {};
}

bool HostProcess::take_line(std::string& line) {
  std::size_t end = input_.find('\n');
  if (end == std::string::npos) return false;
  line = input_.substr(0, end);
  input_.erase(0, end + 1);
  return true;
}

bool HostProcess::wait_readable(Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    // SIGINT/SIGTERM wakes the wait too (core/interrupt.h); the caller checks for it.
    pollfd fds[2] = {{from_host_, POLLIN, 0}, {interrupt_fd(), POLLIN, 0}};
    int ready = ::poll(fds, 2, static_cast<int>(std::max<long long>(0, left)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || fds[0].revents == 0) return true;  // nothing yet
    return read_available();
  }
}

bool HostProcess::read_available() {
  std::array<char, 65536> buffer{};
  for (;;) {
    ssize_t n = ::read(from_host_, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    input_.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

bool HostProcess::flush() {
  while (!pending_output_.empty()) {
    ssize_t n = write_without_sigpipe(to_host_, pending_output_.data(), pending_output_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    pending_output_.erase(0, static_cast<std::size_t>(n));
  }
  return true;
}

void HostProcess::forget_pipes() {
  pid_ = -1;
  close_fd(to_host_);
  close_fd(from_host_);
  pending_output_.clear();
  input_.clear();
}

std::string HostProcess::reap(bool kill_first) {
  if (pid_ <= 0) return "not running";
  if (kill_first) {
    ::kill(-pid_, SIGKILL);  // its process group (exec_host_child), should a child share it
    ::kill(pid_, SIGKILL);   // in case setpgid had not happened yet
  }
  int status = 0;
  pid_t got = 0;
  const auto deadline = Clock::now() + kStopGrace;
  while ((got = ::waitpid(pid_, &status, WNOHANG)) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (got == 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  last_status_ = status;
  forget_pipes();
  return describe_status(status);
}

void HostProcess::stop() {
  if (!alive()) return;
  close_fd(to_host_);  // EOF: the host finishes what runs and exits
  const auto deadline = Clock::now() + kStopGrace;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  forget_pipes();
}

std::string HostProcess::stderr_tail(std::size_t bytes) const {
  std::ifstream in(stderr_log_, std::ios::binary);
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

}  // namespace subcheck::prober
