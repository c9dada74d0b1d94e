// Running a helper program (an interpreter being asked about itself, a compiler) directly,
// with no shell, a time limit and captured output. Shared by the analyzer and the prober.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace subcheck {

struct ProcessOptions {
  std::chrono::milliseconds timeout{10000};
  bool merge_stderr = false;         // capture stderr with stdout (else it goes to /dev/null)
  bool search_path = false;          // look argv[0] up in PATH
  std::size_t max_output = 1 << 20;  // kept; the rest is read and dropped
  // The child's stdin: this text, from an unlinked temporary file (else /dev/null).
  std::optional<std::string> input = std::nullopt;
};

struct ProcessOutcome {
  std::string spawn_error;  // set when the program could not be started
  bool timed_out = false;   // killed, with its process group, at the time limit
  int status = 0;           // waitpid status
  std::string output;
  bool output_truncated = false;
  bool succeeded() const { return spawn_error.empty() && !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

// Runs argv with stdin on /dev/null (or options.input), in a process group of its own so that a time-out
// also stops anything it started. Never throws.
ProcessOutcome run_process(const std::vector<std::string>& argv, const ProcessOptions& options);

// Finding programs, and the places subcheck and pyenv keep things.
std::string environment(const char* name);  // "" when unset
bool is_executable_file(const std::filesystem::path& path);
std::vector<std::filesystem::path> path_directories();  // $PATH, in order
std::optional<std::filesystem::path> find_in_path(const std::string& name);
std::filesystem::path pyenv_root();      // $PYENV_ROOT, else ~/.pyenv
std::filesystem::path subcheck_cache();  // $SUBCHECK_CACHE, else ~/.cache/subcheck
// "3.13.0t" -> {3, 13, 0}: the version an interpreter's directory is named after; empty
// when the text does not start with a number.
std::vector<int> leading_version(std::string_view text);

}  // namespace subcheck
