// Worker processes for parsing (see parse_worker.h). The parent is an event loop over
// pidfds: it forks a child per unit (no exec: the child already holds libclang and the
// command), waits for it with a deadline, reads its facts from a memfd, and turns every
// other ending into a diagnostic for that unit.
#include "analyzer/parse_worker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <optional>
#include <set>
#include <thread>

#include "analyzer/facts_codec.h"
#include "core/interrupt.h"
#include "core/safe_file.h"

namespace subcheck {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// Exit codes of a worker that ended on its own terms.
constexpr int kWorkerOutOfMemory = 86;
constexpr int kWorkerConfinementFailed = 87;
constexpr int kWorkerWriteFailed = 88;

// ---------------------------------------------------------------------------------------
// Landlock: the kernel's unprivileged file system confinement (Linux 5.13+). The
// constants are the kernel's ABI, spelled here because Debian 12's <linux/landlock.h>
// predates the newer ones.

constexpr std::uint64_t kFsExecute = 1ull << 0, kFsWriteFile = 1ull << 1, kFsReadFile = 1ull << 2,
                        kFsReadDir = 1ull << 3, kFsRemoveDir = 1ull << 4, kFsRemoveFile = 1ull << 5,
                        kFsMakeChar = 1ull << 6, kFsMakeDir = 1ull << 7, kFsMakeReg = 1ull << 8,
                        kFsMakeSock = 1ull << 9, kFsMakeFifo = 1ull << 10, kFsMakeBlock = 1ull << 11,
                        kFsMakeSym = 1ull << 12, kFsRefer = 1ull << 13, kFsTruncate = 1ull << 14,
                        kFsIoctlDev = 1ull << 15;
constexpr std::uint64_t kNetBindTcp = 1ull << 0, kNetConnectTcp = 1ull << 1;
constexpr std::uint64_t kScopeAbstractUnixSocket = 1ull << 0, kScopeSignal = 1ull << 1;
constexpr unsigned kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;

struct RulesetAttr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;
  std::uint64_t scoped;
};

struct __attribute__((packed)) PathBeneathAttr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
};

int landlock_abi() {
#ifdef SYS_landlock_create_ruleset
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  return abi > 0 ? static_cast<int>(abi) : 0;
#else
  return 0;
#endif
}

// What this ABI can forbid: every file system right it knows, TCP from ABI 4, abstract
// sockets and signals from ABI 6.
RulesetAttr ruleset_for(int abi) {
  RulesetAttr attr{kFsExecute | kFsWriteFile | kFsReadFile | kFsReadDir | kFsRemoveDir | kFsRemoveFile | kFsMakeChar |
                       kFsMakeDir | kFsMakeReg | kFsMakeSock | kFsMakeFifo | kFsMakeBlock | kFsMakeSym,
                   0, 0};
  if (abi >= 2) attr.handled_access_fs |= kFsRefer;
  if (abi >= 3) attr.handled_access_fs |= kFsTruncate;
  if (abi >= 5) attr.handled_access_fs |= kFsIoctlDev;
  if (abi >= 4) attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
  if (abi >= 6) attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
  return attr;
}

// From here on this process may read files and list directories under `readable`, and
// nothing else: no write, no file creation or removal anywhere, no TCP. False when the
// kernel refused.
bool confine_to(const std::vector<fs::path>& readable, int abi) {
#ifdef SYS_landlock_create_ruleset
  RulesetAttr attr = ruleset_for(abi);
  std::size_t size = abi >= 6 ? sizeof attr : abi >= 4 ? 2 * sizeof(std::uint64_t) : sizeof(std::uint64_t);
  int ruleset = static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0));
  if (ruleset < 0) return false;
  for (const fs::path& dir : readable) {
    int fd = ::open(dir.c_str(), O_PATH | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0) continue;  // missing: nothing to read there anyway
    PathBeneathAttr rule{kFsReadFile | kFsReadDir, fd};
    ::syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &rule, 0);
    ::close(fd);
  }
  bool confined =
      ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && ::syscall(SYS_landlock_restrict_self, ruleset, 0) == 0;
  ::close(ruleset);
  return confined;
#else
  (void)readable;
  (void)abi;
  return false;
#endif
}

}  // namespace

// The target Python's headers are among the include directories; /usr holds the system's
// headers and libclang's own. Not the working directory of the entry, not $HOME, not
// /etc, not /dev.
std::vector<fs::path> readable_directories(const CompileCommand& command, const ExtractOptions& options) {
  std::vector<fs::path> dirs(options.project_roots.begin(), options.project_roots.end());
  dirs.emplace_back("/usr");
  static const std::vector<std::string> kDirectoryOptions = {
      "-I", "-isystem",    "-iquote",      "-idirafter",     "-isysroot",       "--sysroot=",
      "-F", "-iframework", "-cxx-isystem", "-isystem-after", "--gcc-toolchain="};
  const std::vector<std::string>& args = command.args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    for (const std::string& option : kDirectoryOptions) {
      if (args[i] == option && i + 1 < args.size()) {
        dirs.emplace_back(args[i + 1]);
      } else if (args[i].size() > option.size() && args[i].starts_with(option)) {
        dirs.emplace_back(args[i].substr(option.size()));
      }
    }
  }
  return dirs;
}

namespace {

// ---------------------------------------------------------------------------------------
// The child

std::uint64_t current_address_space() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t pages = 0;
  statm >> pages;
  return pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

void set_limit(int resource, rlim_t soft, rlim_t hard) {
  rlimit limit{soft, hard};
  ::setrlimit(resource, &limit);
}

bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return false;
    done += static_cast<std::size_t>(wrote);
  }
  return true;
}

// Descriptors 0-2 on /dev/null (stdin: `#include "/dev/stdin"` reads nothing) and the
// stderr memfd, the result memfd as 3, everything else the parent had open closed.
void arrange_descriptors(int result_fd, int stderr_fd) {
  int result = ::fcntl(result_fd, F_DUPFD, 100), err = ::fcntl(stderr_fd, F_DUPFD, 100);
  int null = ::open("/dev/null", O_RDWR);
  ::dup2(null, STDIN_FILENO);
  ::dup2(null, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  ::dup2(result, 3);
  ::close_range(4, ~0u, 0);
}

struct ChildTask {
  const ParseJob* job;
  const ExtractOptions* options;
  const ParseLimits* limits;
  int landlock_abi;
  pid_t parent;
};

[[noreturn]] void run_child(const ChildTask& task, int result_fd, int stderr_fd) {
  reset_interrupt_handlers_in_child();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // subcheck killed by SIGKILL takes its workers along
  if (::getppid() != task.parent) ::_exit(1);
  arrange_descriptors(result_fd, stderr_fd);
  const rlim_t seconds = static_cast<rlim_t>(task.limits->time.count());
  set_limit(RLIMIT_CPU, seconds, seconds + 2);
  set_limit(RLIMIT_CORE, 0, 0);
  // The address space inherited from the parent (its facts so far) is not the unit's.
  rlim_t memory = static_cast<rlim_t>(current_address_space() + task.limits->memory_bytes);
  if (task.landlock_abi > 0 &&
      !confine_to(readable_directories(*task.job->command, *task.options), task.landlock_abi)) {
    ::_exit(kWorkerConfinementFailed);
  }
  set_limit(RLIMIT_AS, memory, memory);
  try {
    Extractor extractor(*task.options);
    std::string bytes = encode_facts(extractor.extract(*task.job->command, task.job->config));
    ::_exit(write_all(3, bytes) ? 0 : kWorkerWriteFailed);
  } catch (const std::bad_alloc&) {
    ::_exit(kWorkerOutOfMemory);
  } catch (...) {
    ::_exit(kWorkerWriteFailed);
  }
}

// ---------------------------------------------------------------------------------------
// The parent

std::string read_memfd(int fd, std::size_t max_bytes) {
  std::string bytes;
  char buffer[64 * 1024];
  for (off_t offset = 0; bytes.size() < max_bytes;) {
    ssize_t got = ::pread(fd, buffer, sizeof buffer, offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    bytes.append(buffer, static_cast<std::size_t>(got));
    offset += got;
  }
  return bytes;
}

std::string unit_file(const CompileCommand& command) {
  std::error_code error;
  fs::path canonical = fs::weakly_canonical(command.file, error);
  return (error ? command.file : canonical).string();
}

TranslationUnitFacts failed_unit(const ParseJob& job, std::string message) {
  TranslationUnitFacts facts;
  facts.file = unit_file(*job.command);
  facts.config = job.config;
  facts.parsed = false;
  facts.complete = false;
  facts.diagnostics.push_back({Severity::error, {facts.file, 0, 0}, std::move(message)});
  return facts;
}

struct Worker {
  std::size_t job = 0;
  pid_t pid = -1;
  int pidfd = -1;
  int result_fd = -1;
  int stderr_fd = -1;
  Clock::time_point deadline;
  bool killed_at_deadline = false;
};

class WorkerPool {
 public:
  WorkerPool(const std::vector<ParseJob>& jobs, const ExtractOptions& options, const ParseLimits& limits,
             unsigned workers, const std::function<void(std::size_t, std::size_t, const std::string&)>& progress)
      : jobs_(jobs),
        options_(options),
        limits_(limits),
        max_workers_(std::max(1u, workers)),
        progress_(progress),
        abi_(landlock_abi()) {
    run_.units.resize(jobs.size());
    run_.isolation = describe_isolation();
  }

  ParseRun run() {
    std::size_t next = 0;
    while (next < jobs_.size() || !running_.empty()) {
      if (int signal = interrupt_signal()) {
        stop_all(signal, next);
        break;
      }
      while (running_.size() < max_workers_ && next < jobs_.size()) start(next++);
      wait_for_any();
    }
    return std::move(run_);
  }

 private:
  std::string describe_isolation() const {
    std::string text = "a process per unit: address space +" + describe_size(limits_.memory_bytes) + ", " +
                       std::to_string(limits_.time.count()) + " s";
    if (abi_ > 0)
      return text + ", Landlock ABI " + std::to_string(abi_) +
             " (nothing written; reads limited to the "
             "tree, its include directories and /usr)";
    return text + "; Landlock unavailable: workers may read and write what subcheck may";
  }

  void start(std::size_t index) {
    Worker worker;
    worker.job = index;
    worker.result_fd = ::memfd_create("subcheck-facts", MFD_CLOEXEC);
    worker.stderr_fd = ::memfd_create("subcheck-stderr", MFD_CLOEXEC);
    if (worker.result_fd < 0 || worker.stderr_fd < 0) {
      finish(worker, failed_unit(jobs_[index], std::string("cannot start a parse worker: ") + std::strerror(errno)));
      return;
    }
    ChildTask task{&jobs_[index], &options_, &limits_, abi_, ::getpid()};
    worker.pid = ::fork();
    if (worker.pid == 0) run_child(task, worker.result_fd, worker.stderr_fd);
    if (worker.pid < 0) {
      finish(worker, failed_unit(jobs_[index], std::string("cannot start a parse worker: ") + std::strerror(errno)));
      return;
    }
    worker.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, worker.pid, 0));
    worker.deadline = Clock::now() + limits_.time;
    running_.push_back(worker);
  }

  // Sleeps until a worker ends, a deadline passes or a signal arrives.
  void wait_for_any() {
    if (running_.empty()) return;
    std::vector<pollfd> fds;
    Clock::time_point nearest = Clock::time_point::max();
    for (const Worker& worker : running_) {
      fds.push_back({worker.pidfd, POLLIN, 0});
      nearest = std::min(nearest, worker.deadline);
    }
    if (interrupt_fd() >= 0) fds.push_back({interrupt_fd(), POLLIN, 0});
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(nearest - Clock::now()).count();
    // Without a pidfd (an old kernel) poll only sleeps: check every 20 ms.
    bool all_pidfds = std::all_of(running_.begin(), running_.end(), [](const Worker& w) { return w.pidfd >= 0; });
    int timeout = static_cast<int>(std::clamp<long long>(wait + 1, 0, all_pidfds ? 1000 : 20));
    ::poll(fds.data(), fds.size(), timeout);
    reap();
  }

  void reap() {
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      if (Clock::now() >= it->deadline && !it->killed_at_deadline) {
        ::kill(it->pid, SIGKILL);
        it->killed_at_deadline = true;
      }
      pid_t done = ::waitpid(it->pid, &status, it->killed_at_deadline ? 0 : WNOHANG);
      if (done != it->pid) {
        ++it;
        continue;
      }
      Worker worker = *it;
      it = running_.erase(it);
      finish(worker, outcome(worker, status));
    }
  }

  TranslationUnitFacts outcome(const Worker& worker, int status) {
    const ParseJob& job = jobs_[worker.job];
    const std::string limit_hint = " (an #include of a FIFO or device, or a macro that expands without end?)";
    if (worker.killed_at_deadline) {
      return failed_unit(
          job, "parsing stopped at the " + std::to_string(limits_.time.count()) + " s time limit" + limit_hint);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      try {
        TranslationUnitFacts facts = decode_facts(read_memfd(worker.result_fd, std::size_t{1} << 31));
        // libclang recovers from LLVM's out-of-memory abort and reports a crash: its stderr
        // says which it was.
        if (!facts.parsed &&
            read_memfd(worker.stderr_fd, std::size_t{64} * 1024).find("out of memory") != std::string::npos) {
          return failed_unit(
              job, "parsing stopped at the " + describe_size(limits_.memory_bytes) + " memory limit" + limit_hint);
        }
        redact_foreign_diagnostics(facts, options_.project_roots, readable_directories(*job.command, options_));
        return facts;
      } catch (const std::exception& error) {
        return failed_unit(job, error.what());
      }
    }
    std::string said = read_memfd(worker.stderr_fd, std::size_t{64} * 1024);
    bool out_of_memory = (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerOutOfMemory) ||
                         said.find("out of memory") != std::string::npos || said.find("bad_alloc") != std::string::npos;
    if (out_of_memory) {
      return failed_unit(
          job, "parsing stopped at the " + describe_size(limits_.memory_bytes) + " memory limit" + limit_hint);
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
      return failed_unit(
          job, "parsing stopped at the " + std::to_string(limits_.time.count()) + " s CPU time limit" + limit_hint);
    }
    if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM) && interrupt_signal()) {
      return failed_unit(job, std::string("not parsed: interrupted by ") + signal_name(interrupt_signal()));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerConfinementFailed) {
      return failed_unit(job, "the parse worker could not confine itself (Landlock refused); not parsed");
    }
    if (WIFSIGNALED(status)) {
      return failed_unit(
          job, std::string("libclang crashed while parsing this file (") + ::strsignal(WTERMSIG(status)) + ")");
    }
    return failed_unit(job, "the parse worker failed (exit status " + std::to_string(WEXITSTATUS(status)) + ")");
  }

  void finish(Worker& worker, TranslationUnitFacts facts) {
    for (int fd : {worker.pidfd, worker.result_fd, worker.stderr_fd}) {
      if (fd >= 0) ::close(fd);
    }
    run_.units[worker.job] = std::move(facts);
    ++done_;
    if (progress_) progress_(done_, jobs_.size(), jobs_[worker.job].command->file.string());
  }

  void stop_all(int signal, std::size_t next) {
    run_.interrupted_by = signal;
    for (Worker& worker : running_) {
      ::kill(worker.pid, SIGKILL);
      int status = 0;
      ::waitpid(worker.pid, &status, 0);
      finish(worker, failed_unit(jobs_[worker.job], std::string("not parsed: interrupted by ") + signal_name(signal)));
    }
    running_.clear();
    for (std::size_t index = next; index < jobs_.size(); ++index) {
      run_.units[index] = failed_unit(jobs_[index], std::string("not parsed: interrupted by ") + signal_name(signal));
    }
  }

  const std::vector<ParseJob>& jobs_;
  const ExtractOptions& options_;
  const ParseLimits& limits_;
  unsigned max_workers_;
  const std::function<void(std::size_t, std::size_t, const std::string&)>& progress_;
  int abi_;
  std::vector<Worker> running_;
  std::size_t done_ = 0;
  ParseRun run_;
};

bool has_header_or_source_name(const fs::path& file) {
  static const std::set<std::string> kExtensions = {".h",   ".hh", ".hpp", ".hxx", ".h++", ".inc", ".inl",
                                                    ".def", ".c",  ".cc",  ".cpp", ".cxx", ".tcc", ".ipp"};
  return kExtensions.count(file.extension().string()) > 0;
}

}  // namespace

void redact_foreign_diagnostics(TranslationUnitFacts& facts, const std::vector<fs::path>& project_roots,
                                const std::vector<fs::path>& header_dirs) {
  auto under_any = [](const fs::path& file, const std::vector<fs::path>& dirs) {
    return std::any_of(dirs.begin(), dirs.end(), [&](const fs::path& dir) { return is_within(file, dir); });
  };
  for (ParseDiagnostic& diagnostic : facts.diagnostics) {
    const fs::path file = diagnostic.location.file;
    if (file.empty() || under_any(file, project_roots)) continue;
    if (has_header_or_source_name(file) && under_any(file, header_dirs)) continue;
    diagnostic.message = "error in a file outside the scanned tree (not one of its headers); its text is not shown";
  }
}

ParseRun parse_in_workers(const std::vector<ParseJob>& jobs, const ExtractOptions& options, const ParseLimits& limits,
                          unsigned workers,
                          const std::function<void(std::size_t, std::size_t, const std::string&)>& progress) {
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  return WorkerPool(jobs, options, limits, workers, progress).run();
}

}  // namespace subcheck
