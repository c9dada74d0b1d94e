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

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
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
  std::vector<std::string> env_storage(options.env);
  auto overridden = [&](std::string_view variable) {
    return std::any_of(options.env.begin(), options.env.end(), [&](const std::string& mine) {
      return variable.substr(0, variable.find('=') + 1) == mine.substr(0, mine.find('=') + 1);
    });
  };
  for (char** variable = environ; *variable; ++variable) {
    if (!overridden(*variable)) env_storage.emplace_back(*variable);
  }
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

  CliRun run = run_subcheck({"scan", tree.path().string(), "--fail-on", "never"},
                            {.limit = 60s, .env = {}, .while_running = {}});

  ASSERT_FALSE(run.timed_out) << "subcheck blocked on the FIFO";
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(contains(run.err, "pyproject.toml: not a regular file (a FIFO)")) << run.err;
}

TEST(HostileCli, AFifoAsCompileCommandsJsonDoesNotBlockTheScan) {
  test::TempDir tree("subcheck-hostile-cli");
  tree.write("mod.c", "int x;\n");
  ASSERT_EQ(::mkfifo((tree.path() / "compile_commands.json").c_str(), 0600), 0);

  CliRun run = run_subcheck({"scan", tree.path().string(), "--fail-on", "never", "--format", "json"},
                            {.limit = 120s, .env = {}, .while_running = {}});

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
    CliRun run =
        run_subcheck({"scan", file.string(), "--format", "json"}, {.limit = 60s, .env = {}, .while_running = {}});
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

  CliRun run = run_subcheck({"scan", tree.path().string(), "--fail-on", "never", "--max-file-size", "1"},
                            {.limit = 120s, .env = {}, .while_running = {}});

  ASSERT_FALSE(run.timed_out);
  EXPECT_LT(run.exit_code, 2) << run.err;
  EXPECT_TRUE(contains(run.out + run.err, "medium.c: skipped: larger than the 1 MiB file size limit"))
      << run.out << run.err;
}

// ---------------------------------------------------------------------------------------
// Interruption: the report, temp dirs and children

std::vector<fs::path> run_directories(const fs::path& tmpdir) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(tmpdir)) {
    if (entry.path().filename().string().starts_with("subcheck-")) found.push_back(entry.path());
  }
  return found;
}

// Processes whose command line mentions `marker` (a path unique to the test): subcheck and
// its forked parse workers, which share its command line.
std::vector<pid_t> processes_mentioning(const std::string& marker) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    std::string cmdline;
    try {
      cmdline = test::read_text(entry.path() / "cmdline");
    } catch (const std::exception&) {
      continue;
    }
    if (cmdline.find(marker) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

// A tree whose second unit blocks its parser on a FIFO until the parse time limit, so that
// a scan of it is still parsing when the test interrupts it.
struct SlowTree {
  test::TempDir dir{"subcheck-hostile-slow"};
  SlowTree() {
    dir.write("good.c", "#include <Python.h>\nstatic PyObject *cache;\nint use(void) { return cache != 0; }\n");
    ::mkfifo((dir.path() / "pipe.h").c_str(), 0600);
    dir.write("slow.c", "#include \"pipe.h\"\nint after_fifo;\n");
  }
};

std::function<bool(pid_t)> send_after(std::chrono::milliseconds delay, int signal, bool to_group) {
  auto start = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  return [=](pid_t pid) {
    if (std::chrono::steady_clock::now() - *start < delay) return false;
    ::kill(to_group ? -pid : pid, signal);
    return true;
  };
}

void expect_no_process_left(const std::string& marker) {
  std::vector<pid_t> left;
  for (int attempt = 0; attempt < 50; ++attempt) {  // PDEATHSIG and reaping take a moment
    left = processes_mentioning(marker);
    if (left.empty()) return;
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << left.size() << " process(es) of the run still alive, e.g. pid " << left.front();
  for (pid_t pid : left) ::kill(pid, SIGKILL);
}

class Interrupted : public ::testing::TestWithParam<int> {};

TEST_P(Interrupted, TheReportIsWrittenMarkedIncompleteAndNothingIsLeftBehind) {
  const int signal = GetParam();
  SlowTree tree;
  test::TempDir tmpdir("subcheck-hostile-tmpdir"), out("subcheck-hostile-out");
  const fs::path report = out.write("report.json", "old report\n");

  CliRun run = run_subcheck({"scan", tree.dir.path().string(), "--format", "json", "-o", report.string(),
                             "--parse-timeout", "300", "-j", "2"},
                            {.limit = 120s,
                             .env = {"TMPDIR=" + tmpdir.path().string()},
                             // SIGINT as a terminal sends it: to the whole process group.
                             .while_running = send_after(4000ms, signal, signal == SIGINT)});

  ASSERT_FALSE(run.timed_out) << "the interrupted scan did not end";
  EXPECT_EQ(run.exit_code, 128 + signal) << run.err;
  nlohmann::json written = nlohmann::json::parse(test::read_text(report), nullptr, false);
  ASSERT_FALSE(written.is_discarded()) << "the report is not complete JSON:\n" << test::read_text(report);
  EXPECT_EQ(written["complete"], false);
  EXPECT_TRUE(contains(written.value("incomplete_reason", ""), signal == SIGINT ? "SIGINT" : "SIGTERM"))
      << written.dump(2);
  EXPECT_TRUE(run_directories(tmpdir.path()).empty()) << "temp dirs left in " << tmpdir.path();
  EXPECT_EQ(std::distance(fs::directory_iterator(out.path()), fs::directory_iterator()), 1)
      << "a temporary report file was left beside the report";
  expect_no_process_left(tree.dir.path().string());
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupted, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGINT ? "SIGINT" : "SIGTERM");
                         });

// The prober corpus's modules built for a GIL build of CPython (corpus/prober/CMakeLists.txt
// writes the index): {python, module_dir, ext_suffix}, or nullopt when none was built.
std::optional<nlohmann::json> gil_prober_corpus() {
  const auto index = nlohmann::json::parse(test::read_text(SUBCHECK_PROBER_CORPUS_INDEX), nullptr, false);
  if (!index.is_object()) return std::nullopt;
  for (const std::string tag : {"3.13", "3.12"}) {
    for (const nlohmann::json& entry : index.value("interpreters", nlohmann::json::array())) {
      if (entry.value("tag", "") == tag) return std::make_optional(entry);
    }
  }
  return std::nullopt;
}

// SIGINT while `subcheck probe` runs a module whose import never ends (probe_hang): the
// probe host and its children are killed at once, not left to their time limit; the report
// of what is known is written and marked incomplete; nothing of the run survives it. The
// host and its probe children are found by the run's temp dir, which their command line
// names (--scratch) and subcheck's own does not.
TEST(InterruptedProbe, KillsTheProbeHostAndItsChildrenAndWritesTheReportMarkedIncomplete) {
  const std::optional<nlohmann::json> corpus = gil_prober_corpus();
  if (!corpus) GTEST_SKIP() << "no prober corpus built for a GIL build of CPython 3.12/3.13";
  test::TempDir target("subcheck-interrupted-target"), tmpdir("subcheck-interrupted-tmpdir"),
      out("subcheck-interrupted-out");
  const fs::path modules = (*corpus)["module_dir"].get<std::string>();
  for (const std::string module : {"probe_hang", "probe_isolated"}) {
    const std::string file = module + (*corpus)["ext_suffix"].get<std::string>();
    fs::copy_file(modules / file, target.path() / file);
  }
  const fs::path report = out.path() / "report.json";
  const std::string marker = tmpdir.path().string();

  // Mid-way: once the host and at least one probe child run (and a moment more, so that the
  // quick module may finish), SIGINT to subcheck alone; the host is in a process group of
  // its own, so nothing else sends it anything.
  auto probes_seen = std::make_shared<std::optional<std::chrono::steady_clock::time_point>>();
  auto interrupt_mid_way = [=](pid_t pid) {
    if (!*probes_seen && processes_mentioning(marker).size() >= 2) *probes_seen = std::chrono::steady_clock::now();
    if (!*probes_seen || std::chrono::steady_clock::now() - **probes_seen < 1500ms) return false;
    ::kill(pid, SIGINT);
    return true;
  };
  const auto started = std::chrono::steady_clock::now();
  CliRun run = run_subcheck({"probe", target.path().string(), "--python", (*corpus)["python"].get<std::string>(),
                             "--timeout", "600", "--no-stress", "-j", "2", "--format", "json", "-o", report.string()},
                            {.limit = 300s, .env = {"TMPDIR=" + marker}, .while_running = interrupt_mid_way});
  const auto took = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(run.timed_out) << "the interrupted probe did not end\n" << run.err;
  ASSERT_TRUE(probes_seen->has_value()) << "no probe host or child was seen running\n" << run.err;
  EXPECT_EQ(run.exit_code, 130) << run.err;
  EXPECT_LT(took, 240s) << "subcheck waited for the hanging probe's time limit";
  nlohmann::json written = nlohmann::json::parse(test::read_text(report), nullptr, false);
  ASSERT_FALSE(written.is_discarded()) << "the report is not complete JSON:\n" << test::read_text(report);
  EXPECT_EQ(written["schema"], "subcheck-probe");
  EXPECT_EQ(written["complete"], false);
  EXPECT_TRUE(contains(written.value("incomplete_reason", ""), "SIGINT")) << written.dump(2);
  bool hang_reported = false;
  for (const nlohmann::json& module : written["modules"]) {
    if (module["module"] != "probe_hang") continue;
    hang_reported = true;
    EXPECT_EQ(module["subinterpreters"], "not-tested") << module.dump(2);
    EXPECT_TRUE(contains(module.dump(), "interrupted by SIGINT")) << module.dump(2);
  }
  EXPECT_TRUE(hang_reported) << written.dump(2);
  expect_no_process_left(marker);
  EXPECT_TRUE(run_directories(tmpdir.path()).empty()) << "temp dirs left in " << tmpdir.path();
}

// A preprocessor expression of 2^31 tokens: minutes of CPU in constant memory.
std::string time_bomb() {
  std::string text = "#define A0 1\n";
  for (int i = 1; i <= 30; ++i) {
    text += "#define A" + std::to_string(i) + " (A" + std::to_string(i - 1) + " + A" + std::to_string(i - 1) + ")\n";
  }
  return text + "#if A30 > 0\nint reached;\n#endif\n";
}

TEST(HostileCli, AnInterruptedSdistScanRemovesTheUnpackedTree) {
  test::TempDir tmpdir("subcheck-hostile-tmpdir"), work("subcheck-hostile-sdist");
  work.write("slow-1.0/good.c", "int good;\n");
  work.write("slow-1.0/slow.c", time_bomb());
  work.write("slow-1.0/filler.bin", std::string(4u << 20, 'x'));  // something worth cleaning up
  const fs::path sdist = work.path() / "slow-1.0.tar.gz";
  std::string command = "tar -czf '" + sdist.string() + "' -C '" + work.path().string() + "' slow-1.0";
  ASSERT_EQ(std::system(command.c_str()), 0);

  CliRun run = run_subcheck({"scan", sdist.string(), "--format", "json", "--parse-timeout", "300"},
                            {.limit = 120s,
                             .env = {"TMPDIR=" + tmpdir.path().string()},
                             .while_running = send_after(3000ms, SIGTERM, false)});

  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 128 + SIGTERM) << "the scan ended before the signal: it proves nothing\n" << run.err;
  EXPECT_TRUE(run_directories(tmpdir.path()).empty()) << "the unpacked sdist was left in " << tmpdir.path();
  expect_no_process_left(sdist.string());
}

TEST(HostileCli, ARunKilledBySigkillLeavesOneDirectoryThatTheNextRunRemoves) {
  SlowTree tree;
  test::TempDir tmpdir("subcheck-hostile-tmpdir"), out("subcheck-hostile-out");
  const fs::path report = out.write("report.json", "old report\n");

  CliRun killed = run_subcheck(
      {"scan", tree.dir.path().string(), "--format", "json", "-o", report.string(), "--parse-timeout", "300"},
      {.limit = 120s,
       .env = {"TMPDIR=" + tmpdir.path().string()},
       .while_running = send_after(3000ms, SIGKILL, false)});

  ASSERT_FALSE(killed.timed_out);
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
  EXPECT_EQ(test::read_text(report), "old report\n") << "the report was emptied or half-written";
  expect_no_process_left(tree.dir.path().string());  // the workers die with their parent
  ASSERT_EQ(run_directories(tmpdir.path()).size(), 1u) << "expected the killed run's directory";

  test::TempDir other("subcheck-hostile-next");
  other.write("ok.c", "int ok;\n");
  CliRun next = run_subcheck({"scan", other.path().string(), "--fail-on", "never"},
                             {.limit = 120s, .env = {"TMPDIR=" + tmpdir.path().string()}, .while_running = {}});
  EXPECT_LT(next.exit_code, 2) << next.err;
  EXPECT_TRUE(run_directories(tmpdir.path()).empty()) << "the next run did not remove the dead run's directory";
}

TEST(HostileCli, OutputToADeviceIsWrittenThroughNotReplaced) {
  test::TempDir tree("subcheck-hostile-cli");
  tree.write("ok.c", "int ok;\n");
  CliRun run = run_subcheck({"scan", tree.path().string(), "--fail-on", "never", "-o", "/dev/null"},
                            {.limit = 120s, .env = {}, .while_running = {}});
  EXPECT_LT(run.exit_code, 2) << run.err;
  struct stat info{};
  ASSERT_EQ(::stat("/dev/null", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode)) << "/dev/null was replaced by a file";
}

}  // namespace
}  // namespace subcheck
