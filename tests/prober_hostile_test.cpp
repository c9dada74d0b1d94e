// The hostile modules of corpus/hostile against the probe sandbox (docs/security.md). Each
// test stages one attack the way issue 7 found it working, runs the real prober on it with
// a real interpreter, and asserts the property the attack would break: a file untouched, a
// listener that saw no connection, a neighbour's verdict unchanged, no process left, an
// answer at once rather than a timeout. CI runs the suite as root; so do these tests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "prober/host_build.h"
#include "prober/host_session.h"
#include "prober/prober.h"
#include "tests/test_support.h"

namespace subcheck::prober {
namespace {

namespace fs = std::filesystem;
using test::read_text;
using test::write_text;

const fs::path kCorpusIndex{SUBCHECK_PROBER_CORPUS_INDEX};
const std::vector<std::string> kTags{"3.12", "3.13", "3.13t"};
// As in the other prober tests: room for a free-threaded teardown on a loaded machine.
constexpr std::chrono::milliseconds kTimeout{8000};

struct CorpusInterpreter {
  Interpreter interpreter;
  fs::path prober_modules;   // corpus/prober built for it
  fs::path hostile_modules;  // corpus/hostile built for it
  std::string ext_suffix;
};

std::optional<CorpusInterpreter> corpus_interpreter(const std::string& tag) {
  static std::map<std::string, std::optional<CorpusInterpreter>> cache;
  if (auto hit = cache.find(tag); hit != cache.end()) return hit->second;
  std::optional<CorpusInterpreter> found;
  const auto index = nlohmann::json::parse(read_text(kCorpusIndex), nullptr, false);
  for (const auto& entry :
       index.is_object() ? index.value("interpreters", nlohmann::json::array()) : nlohmann::json::array()) {
    if (entry.value("tag", "") != tag) continue;
    if (auto interpreter = inspect_interpreter(entry.value("python", ""))) {
      const fs::path modules = entry.value("module_dir", "");
      found = CorpusInterpreter{*interpreter, modules, modules.parent_path().parent_path() / "hostile" / tag,
                                entry.value("ext_suffix", "")};
    }
  }
  return cache[tag] = found;
}

// A temp folder removed at the end (made writable again first: a probe's leftovers may not be).
class TempRoot {
 public:
  TempRoot() {
    std::string pattern = (fs::temp_directory_path() / "subcheck-hostile-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool any_process_mentions(const std::string& marker) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(marker) != std::string::npos) return true;
  }
  return false;
}

// A listening socket of the test (the caller's network namespace), non-blocking.
struct Listener {
  int fd = -1;
  int port = 0;
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
  bool saw_connection() const {
    int client = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) return false;
    ::close(client);
    return true;
  }
};

Listener tcp_listener() {
  Listener listener;
  listener.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::listen(listener.fd, 16) == 0 &&
      ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    listener.port = ntohs(address.sin_port);
  }
  return listener;
}

Listener unix_listener(const fs::path& path) {
  Listener listener;
  listener.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.fd, 16) != 0) {
    ::close(listener.fd);
    listener.fd = -1;
  }
  return listener;
}

class Hostile : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    corpus_ = corpus_interpreter(GetParam());
    if (!corpus_) GTEST_SKIP() << "CPython " << GetParam() << " is not in the prober corpus index " << kCorpusIndex;
    ASSERT_FALSE(root_.path().empty());
    target_ = root_.path() / "target";
    fs::create_directories(target_);
  }

  fs::path module_file(const std::string& module, bool hostile) const {
    return (hostile ? corpus_->hostile_modules : corpus_->prober_modules) / (module + corpus_->ext_suffix);
  }

  // Copies modules into the scanned folder, with the test's instructions beside them.
  void stage(const std::vector<std::string>& hostile, const std::vector<std::string>& neighbours,
             const std::map<std::string, std::string>& instructions = {}) {
    for (const auto& [modules, is_hostile] : {std::pair{&hostile, true}, std::pair{&neighbours, false}}) {
      for (const std::string& module : *modules) {
        ASSERT_TRUE(fs::exists(module_file(module, is_hostile))) << module_file(module, is_hostile);
        fs::copy_file(module_file(module, is_hostile), target_ / module_file(module, is_hostile).filename());
      }
    }
    std::string text;
    for (const auto& [key, value] : instructions) text += key + "=" + value + "\n";
    write_text(target_ / "hostile.cfg", text);
  }

  ProbeRun run_probes(std::chrono::milliseconds timeout = kTimeout) {
    ProbeTarget target = discover(target_.string(), corpus_->interpreter);
    ProbeOptions options;
    options.jobs = 2;
    options.timeout = timeout;
    options.stress = false;
    return probe(corpus_->interpreter, target, options);
  }

  static const ModuleProbeReport& report_of(const ProbeRun& run, const std::string& module) {
    for (const ModuleProbeReport& report : run.modules) {
      if (report.module == module) return report;
    }
    static const ModuleProbeReport none;
    ADD_FAILURE() << "no report for " << module;
    return none;
  }

  // The verdict a neighbour gets when probed on its own.
  SubinterpreterVerdict verdict_alone(const std::string& module) {
    TempRoot alone;
    fs::copy_file(module_file(module, false), alone.path() / module_file(module, false).filename());
    ProbeTarget target = discover(alone.path().string(), corpus_->interpreter);
    ProbeOptions options;
    options.jobs = 2;
    options.timeout = kTimeout;
    options.stress = false;
    return report_of(probe(corpus_->interpreter, target, options), module).subinterpreters;
  }

  static void expect_full_sandbox(const ProbeRun& run) {
    EXPECT_EQ(run.sandbox.level, "namespaces") << "problems: " << testing::PrintToString(run.sandbox.problems);
  }

  std::optional<CorpusInterpreter> corpus_;
  TempRoot root_;
  fs::path target_;
};

TEST_P(Hostile, WritesNothingOutsideItsScratchFolderNorIntoTheCallersHome) {
  const fs::path fake_home = root_.path() / "home";
  fs::create_directories(fake_home);
  const fs::path outside = root_.path() / "outside.txt";
  const char* home = std::getenv("HOME");
  const fs::path real_home = home ? home : "/root";
  const fs::path real_home_file = real_home / "subcheck-hostile-was-here.txt";
  ASSERT_FALSE(fs::exists(real_home_file)) << "left over from an earlier run: " << real_home_file;
  stage({"hostile_write_outside"}, {}, {{"caller_home", fake_home.string()}, {"outside", outside.string()}});

  const ProbeRun run = run_probes();
  expect_full_sandbox(run);
  EXPECT_FALSE(fs::exists(outside));
  EXPECT_FALSE(fs::exists(fake_home / "subcheck-hostile-was-here.txt"));
  EXPECT_FALSE(fs::exists(real_home_file));
  std::error_code ec;
  fs::remove(real_home_file, ec);
  // Nothing in the attack fails the import: its own verdict stands.
  EXPECT_EQ(report_of(run, "hostile_write_outside").subinterpreters, SubinterpreterVerdict::supported);
}

TEST_P(Hostile, NeitherDeletesANeighbourNorChangesTheScannedTree) {
  const SubinterpreterVerdict expected = verdict_alone("probe_isolated");
  const fs::path neighbour = target_ / module_file("probe_isolated", false).filename();
  const fs::path scanned_file = target_ / "setup.py";
  write_text(scanned_file, "from setuptools import setup\nsetup()\n");
  stage({"hostile_vandal"}, {"probe_isolated"},
        {{"neighbour", neighbour.string()}, {"target_file", scanned_file.string()}});

  const ProbeRun run = run_probes();
  expect_full_sandbox(run);
  EXPECT_TRUE(fs::exists(neighbour));
  EXPECT_EQ(read_text(scanned_file), "from setuptools import setup\nsetup()\n");
  EXPECT_EQ(report_of(run, "probe_isolated").subinterpreters, expected);
}

TEST_P(Hostile, ReachesNoNetworkNorAnySocketOfTheHost) {
  Listener tcp = tcp_listener();
  ASSERT_GT(tcp.port, 0);
  Listener unix_socket = unix_listener(root_.path() / "host.sock");
  ASSERT_GE(unix_socket.fd, 0);
  stage({"hostile_network"}, {},
        {{"port", std::to_string(tcp.port)},
         {"unix_socket", (root_.path() / "host.sock").string()},
         {"caller_pid", std::to_string(::getpid())}});

  const ProbeRun run = run_probes();
  expect_full_sandbox(run);
  EXPECT_FALSE(tcp.saw_connection()) << "a probe connected to 127.0.0.1:" << tcp.port << " of the caller";
  EXPECT_FALSE(unix_socket.saw_connection()) << "a probe connected to the caller's Unix socket";
  EXPECT_EQ(run.sandbox.network, "isolated (a network namespace per probe)");
}

// The cached host is copied to a private cache first: the attack aims at that copy.
TEST_P(Hostile, CannotReplaceTheCachedProbeHost) {
  const fs::path shared_host = ensure_host(corpus_->interpreter);
  const fs::path cache = root_.path() / "cache";
  const fs::path private_dir = cache / "hosts" / shared_host.parent_path().filename();
  fs::create_directories(private_dir);
  for (const char* name : {"probe_host", "probe_host.sha256"})
    fs::copy_file(shared_host.parent_path() / name, private_dir / name);
  test::ScopedEnv use_cache("SUBCHECK_CACHE", cache.string());
  const fs::path host = private_dir / "probe_host";
  const std::string before = file_sha256(host);
  stage({"hostile_replace_host"}, {}, {{"host", host.string()}});

  const ProbeRun run = run_probes();
  expect_full_sandbox(run);
  EXPECT_EQ(file_sha256(host), before);
  EXPECT_TRUE(host_matches_record(host));
  EXPECT_FALSE(fs::exists(private_dir / "probe_host.orig"));
}

TEST_P(Hostile, AReplacedHostIsRebuiltAndTheRunSaysSo) {
  const fs::path shared_host = ensure_host(corpus_->interpreter);
  const fs::path cache = root_.path() / "cache";
  const fs::path private_dir = cache / "hosts" / shared_host.parent_path().filename();
  fs::create_directories(private_dir);
  for (const char* name : {"probe_host", "probe_host.sha256"})
    fs::copy_file(shared_host.parent_path() / name, private_dir / name);
  const fs::path host = private_dir / "probe_host";
  fs::permissions(host, fs::perms::owner_all);
  write_text(host, "#!/bin/sh\necho replaced >&2\nexit 99\n");
  test::ScopedEnv use_cache("SUBCHECK_CACHE", cache.string());
  stage({}, {"probe_isolated"});

  const ProbeRun run = run_probes();
  bool said_so = false;
  for (const std::string& problem : run.problems) said_so = said_so || problem.find("was rebuilt") != std::string::npos;
  EXPECT_TRUE(said_so) << testing::PrintToString(run.problems);
  EXPECT_TRUE(host_matches_record(host));
  EXPECT_EQ(report_of(run, "probe_isolated").subinterpreters, SubinterpreterVerdict::supported);
}

TEST_P(Hostile, ADaemonForgingAnswersChangesNoNeighboursVerdict) {
  const SubinterpreterVerdict single_phase = verdict_alone("probe_singlephase_basic");
  const SubinterpreterVerdict isolated = verdict_alone("probe_isolated");
  stage({"hostile_forge_answers"}, {"probe_singlephase_basic", "probe_isolated"});

  const ProbeRun run = run_probes();
  expect_full_sandbox(run);
  EXPECT_EQ(report_of(run, "probe_singlephase_basic").subinterpreters, single_phase);
  EXPECT_EQ(report_of(run, "probe_isolated").subinterpreters, isolated);
  for (const std::string& problem : run.problems) {
    EXPECT_EQ(problem.find("unexpected line"), std::string::npos) << problem;
  }
}

TEST_P(Hostile, FakeRecordsInItsOwnResultPipeMakeAnErrorNotSupported) {
  stage({"hostile_fake_records"}, {});
  const ProbeRun run = run_probes();
  const ModuleProbeReport& report = report_of(run, "hostile_fake_records");
  EXPECT_NE(report.subinterpreters, SubinterpreterVerdict::supported);
  bool voided = false;
  for (const ProbeResult& result : report.evidence) {
    voided = voided || (result.outcome == ProbeOutcome::error &&
                        result.error.find("malformed result record") != std::string::npos);
  }
  EXPECT_TRUE(voided) << report.summary;
}

TEST_P(Hostile, AMalformedRecordIsAnErrorAtOnceNotATimeout) {
  stage({"hostile_bad_record"}, {});
  const auto started = std::chrono::steady_clock::now();
  const ProbeRun run = run_probes(std::chrono::milliseconds(30000));
  const auto took = std::chrono::steady_clock::now() - started;
  const ModuleProbeReport& report = report_of(run, "hostile_bad_record");
  ASSERT_FALSE(report.evidence.empty());
  for (const ProbeResult& result : report.evidence) {
    EXPECT_EQ(result.outcome, ProbeOutcome::error) << to_string(result.probe);
    EXPECT_NE(result.error.find("not a JSON object"), std::string::npos) << result.error;
    EXPECT_LT(result.elapsed, std::chrono::milliseconds(5000)) << to_string(result.probe);
  }
  // The module hangs after its bad record: only the record ends its probes early.
  EXPECT_LT(took, std::chrono::seconds(20));
}

TEST_P(Hostile, KillingItsParentsLosesNoResult) {
  const SubinterpreterVerdict isolated = verdict_alone("probe_isolated");
  stage({"hostile_kill"}, {"probe_isolated"}, {{"caller_pid", std::to_string(::getpid())}});
  const ProbeRun run = run_probes();  // this process surviving is the first assertion
  expect_full_sandbox(run);
  EXPECT_EQ(report_of(run, "probe_isolated").subinterpreters, isolated);
  EXPECT_NE(report_of(run, "hostile_kill").subinterpreters, SubinterpreterVerdict::not_tested);
}

TEST_P(Hostile, LeavesNoProcessBehind) {
  // A duration no other process on the machine uses: how the daemons are found.
  const std::string marker = "7" + std::to_string(::getpid()) + "3.25";
  stage({"hostile_daemons"}, {}, {{"sleep_seconds", marker}});
  const ProbeRun run = run_probes();
  expect_full_sandbox(run);
  EXPECT_FALSE(any_process_mentions(marker)) << "a daemon of the probe is still running: sleep " << marker;
}

TEST_P(Hostile, ReportsTheIsolationInForceAndFallsBackLoudly) {
  stage({}, {"probe_isolated"});
  const ProbeRun full = run_probes();
  expect_full_sandbox(full);
  ASSERT_FALSE(full.sandbox.isolation.empty());
  EXPECT_NE(full.sandbox.isolation.front().find("user namespace"), std::string::npos);

  test::ScopedEnv weaker("SUBCHECK_PROBE_SANDBOX", "none");
  const ProbeRun weak = run_probes();
  EXPECT_EQ(weak.sandbox.level, "none");
  EXPECT_NE(weak.sandbox.network, "isolated (a network namespace per probe)");
  ASSERT_FALSE(weak.sandbox.problems.empty());
  for (const std::string& item : weak.sandbox.isolation) {
    EXPECT_EQ(item.find("namespace per probe"), std::string::npos) << item;
  }
  EXPECT_EQ(report_of(weak, "probe_isolated").subinterpreters, SubinterpreterVerdict::supported);
}

// A probe alone on a host that dies is a crash of that probe, never "could not run": the
// parent saw the process it ran in die.
TEST_P(Hostile, AProbeAloneOnAHostThatDiesIsACrashNotUntested) {
  HostSession session(ensure_host(corpus_->interpreter), corpus_->interpreter, 1);
  ProbeRequest request;
  request.probe = ProbeKind::isolated;
  request.module = "probe_hang";
  request.file = module_file("probe_hang", false);
  request.sys_path = {corpus_->prober_modules};
  request.timeout = std::chrono::milliseconds(20000);
  std::atomic<bool> done = false;
  std::thread killer([&] {
    for (int i = 0; i < 400 && !done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 40 && session.host_pid() > 0) ::kill(session.host_pid(), SIGKILL);
    }
  });
  const std::vector<ProbeResult> results = session.run({request});
  done = true;
  killer.join();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, ProbeOutcome::crash) << results[0].error;
  EXPECT_EQ(results[0].signal, SIGKILL);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, Hostile, ::testing::ValuesIn(kTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = "py" + info.param;
                           std::replace(name.begin(), name.end(), '.', '_');
                           return name;
                         });

}  // namespace
}  // namespace subcheck::prober
