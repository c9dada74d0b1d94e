// The `subcheck` binary under hostile input and interruption (issue 7): it must never hang
// on a FIFO, never print a file from outside the scanned tree, never treat a requirements
// line as a path, and never leave an empty or half-written report or its temp dirs behind.
// Each run has a time limit: a hang is a failure, not a stuck suite.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

extern char** environ;

namespace subcheck {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct CliRun {
  int exit_code = -1;      // 128 + signal when killed
  bool timed_out = false;  // killed by the test at its time limit
  std::string out, err;
};

struct RunOptions {
  std::chrono::seconds limit{120};
  std::vector<std::string> env;  // NAME=VALUE added to the environment
  // Called every 50 ms while the child runs, with its pid; returns true once it acted
  // (sent a signal, say), and is not called again.
  std::function<bool(pid_t)> while_running;
};

// Runs the subcheck binary with its output in files (no pipe can fill up), stdin on
// /dev/null, in a process group of its own so that the time limit kills all of it.
CliRun run_subcheck(const std::vector<std::string>& args, const RunOptions& options = {}) {
  test::TempDir capture("subcheck-hostile-cli-capture");
  const fs::path out_file = capture.path() / "stdout", err_file = capture.path() / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);

  std::vector<std::string> argv_storage{SUBCHECK_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** variable = environ; *variable; ++variable) env_storage.emplace_back(*variable);
  env_storage.insert(env_storage.end(), options.env.begin(), options.env.end());
  std::vector<char*> envp;
  for (std::string& variable : env_storage) envp.push_back(variable.data());
  envp.push_back(nullptr);

  CliRun run;
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, SUBCHECK_BINARY, &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << SUBCHECK_BINARY << ": " << std::strerror(spawned);
    return run;
  }
  const auto deadline = std::chrono::steady_clock::now() + options.limit;
  bool acted = !options.while_running;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    if (!acted) acted = options.while_running(pid);
    std::this_thread::sleep_for(50ms);
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = test::read_text(out_file);
  run.err = test::read_text(err_file);
  return run;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(HostileCli, AFifoAsPyprojectTomlIsAnErrorNotAHang) {
  test::TempDir tree("subcheck-hostile-cli");
  tree.write("mod.c", "int x;\n");
  ASSERT_EQ(::mkfifo((tree.path() / "pyproject.toml").c_str(), 0600), 0);

  CliRun run = run_subcheck({"scan", tree.path().string(), "--fail-on", "never"}, {.limit = 60s});

  ASSERT_FALSE(run.timed_out) << "subcheck blocked on the FIFO";
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(contains(run.err, "pyproject.toml: not a regular file (a FIFO)")) << run.err;
}

TEST(HostileCli, AFifoAsCompileCommandsJsonDoesNotBlockTheScan) {
  test::TempDir tree("subcheck-hostile-cli");
  tree.write("mod.c", "int x;\n");
  ASSERT_EQ(::mkfifo((tree.path() / "compile_commands.json").c_str(), 0600), 0);

  CliRun run = run_subcheck({"scan", tree.path().string(), "--fail-on", "never", "--format", "json"}, {.limit = 120s});

  ASSERT_FALSE(run.timed_out) << "subcheck blocked on the FIFO";
  EXPECT_LT(run.exit_code, 2) << run.err;
  nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;
  EXPECT_EQ(report["compile_database"], "inferred");
}

// A requirements file whose line is "." named the working directory: every .so under it
// was imported. Now it is exit 2, naming the file and the line, and nothing is probed.
TEST(HostileCli, ARequirementsLineThatIsAPathIsAnErrorAndNothingIsProbed) {
  test::TempDir dir("subcheck-hostile-cli");
  for (std::string line : {".", ".."}) {
    fs::path file = dir.write("requirements.txt", "# deps\n" + line + "\n");
    CliRun run = run_subcheck({"scan", file.string(), "--format", "json"}, {.limit = 60s});
    ASSERT_FALSE(run.timed_out);
    EXPECT_EQ(run.exit_code, 2) << run.err;
    EXPECT_TRUE(contains(run.err, file.string() + ":2: '" + line + "' is a path")) << run.err;
    EXPECT_TRUE(run.out.empty()) << "a report was written: something was probed\n" << run.out;
  }
}

TEST(HostileCli, MaxFileSizeIsHonouredAndNamed) {
  test::TempDir tree("subcheck-hostile-cli");
  tree.write("small.c", "int s;\n");
  tree.write("medium.c", std::string(2u << 20, ' ') + "int m;\n");

  CliRun run = run_subcheck({"scan", tree.path().string(), "--fail-on", "never", "--max-file-size", "1"}, {.limit = 120s});

  ASSERT_FALSE(run.timed_out);
  EXPECT_LT(run.exit_code, 2) << run.err;
  EXPECT_TRUE(contains(run.out + run.err, "medium.c: skipped: larger than the 1 MiB file size limit")) << run.out << run.err;
}

}  // namespace
}  // namespace subcheck
