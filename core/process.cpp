#include "core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>

extern char** environ;

namespace subcheck {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Reads until EOF or the deadline, keeping the first `max_output` bytes and draining the
// rest (a child blocked on a full pipe would otherwise look hung). True on EOF.
bool read_until_eof(int fd, std::chrono::steady_clock::time_point deadline, const ProcessOptions& options,
                    ProcessOutcome& outcome) {
  std::array<char, 8192> buffer{};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0;
    std::size_t room = options.max_output - std::min(options.max_output, outcome.output.size());
    std::size_t kept = std::min(room, static_cast<std::size_t>(n));
    outcome.output.append(buffer.data(), kept);
    if (kept < static_cast<std::size_t>(n)) outcome.output_truncated = true;
  }
}

}  // namespace

ProcessOutcome run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessOutcome outcome;
  if (argv.empty()) {
    outcome.spawn_error = "no program given";
    return outcome;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    outcome.spawn_error = std::strerror(errno);
    return outcome;
  }
  Fd read_end(fds[0]), write_end(fds[1]);

  // Input goes through a file, not a pipe: the child may never read it, and a pipe's
  // writer would then block.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> input_file(nullptr, &std::fclose);
  if (options.input) {
    input_file.reset(std::tmpfile());
    if (!input_file ||
        std::fwrite(options.input->data(), 1, options.input->size(), input_file.get()) != options.input->size() ||
        std::fflush(input_file.get()) != 0 || ::lseek(::fileno(input_file.get()), 0, SEEK_SET) != 0) {
      outcome.spawn_error = "cannot write the input to a temporary file";
      return outcome;
    }
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (input_file) {
    posix_spawn_file_actions_adddup2(&actions, ::fileno(input_file.get()), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  if (options.merge_stderr) {
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);

  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  pid_t pid = 0;
  int spawn_error = options.search_path
                        ? ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attributes, c_argv.data(), environ)
                        : ::posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, c_argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  write_end.reset();  // so that read() sees EOF when the child exits
  if (spawn_error != 0) {
    outcome.spawn_error = std::strerror(spawn_error);
    return outcome;
  }

  if (!read_until_eof(read_end.get(), std::chrono::steady_clock::now() + options.timeout, options, outcome)) {
    ::kill(-pid, SIGKILL);
    outcome.timed_out = true;
  }
  while (::waitpid(pid, &outcome.status, 0) < 0 && errno == EINTR) {
  }
  return outcome;
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

bool is_executable_file(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<std::filesystem::path> path_directories() {
  std::vector<std::filesystem::path> dirs;
  std::stringstream path(environment("PATH"));
  for (std::string dir; std::getline(path, dir, ':');) {
    if (!dir.empty()) dirs.emplace_back(dir);
  }
  return dirs;
}

std::optional<std::filesystem::path> find_in_path(const std::string& name) {
  for (const std::filesystem::path& dir : path_directories()) {
    if (is_executable_file(dir / name)) return dir / name;
  }
  return std::nullopt;
}

namespace {
std::filesystem::path home_directory() {
  std::string home = environment("HOME");
  return home.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(home);
}
}  // namespace

std::filesystem::path pyenv_root() {
  std::string root = environment("PYENV_ROOT");
  return root.empty() ? home_directory() / ".pyenv" : std::filesystem::path(root);
}

std::filesystem::path subcheck_cache() {
  std::string root = environment("SUBCHECK_CACHE");
  return root.empty() ? home_directory() / ".cache" / "subcheck" : std::filesystem::path(root);
}

std::vector<int> leading_version(std::string_view text) {
  std::vector<int> numbers;
  const char* cursor = text.data();
  const char* end = text.data() + text.size();
  while (cursor < end) {
    int value = 0;
    auto [next, error] = std::from_chars(cursor, end, value);
    if (error != std::errc()) break;
    numbers.push_back(value);
    if (next == end || *next != '.') break;
    cursor = next + 1;
  }
  return numbers;
}

}  // namespace subcheck
