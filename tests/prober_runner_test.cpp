// The runner with tiny misbehaving extension modules, compiled here against each available
// interpreter's headers: a module that aborts, one that spins forever, one that calls
// exit(3), one that floods stdout, one that leaks, one that kills its parent (the probe
// host, where there is no PID namespace), and a calm one that reports the sandbox it finds
// itself in. Real interpreters, real crashes.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "prober/host_build.h"
#include "prober/host_session.h"
#include "prober/prober.h"
#include "tests/test_support.h"

namespace subcheck::prober {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string>& kTags = test::kInterpreterTags;
// Long enough for a free-threaded build to end a subinterpreter and finalise on a loaded
// 2-core machine (2 s was not: a well-behaved module's teardown timed out in CI).
constexpr std::chrono::milliseconds kTimeout{6000};

// A multi-phase module that declares per-interpreter-GIL support and (where the slot
// exists) Py_MOD_GIL_NOT_USED, and runs BODY in its exec slot; NAME is its name.
constexpr const char* kModuleTemplate = R"(#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int module_exec(PyObject *module) {
    (void)module;
    BODY
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, module_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "NAME", NULL, 0, NULL, slots};

PyMODINIT_FUNC PyInit_NAME(void) { return PyModuleDef_Init(&def); }
)";

const std::map<std::string, std::string> kBodies{
    {"calm", R"c(
    struct rlimit as, fsize, core, cpu;
    getrlimit(RLIMIT_AS, &as); getrlimit(RLIMIT_FSIZE, &fsize);
    getrlimit(RLIMIT_CORE, &core); getrlimit(RLIMIT_CPU, &cpu);
    char netns[128] = "", cwd[1024] = "";
    ssize_t n = readlink("/proc/self/ns/net", netns, sizeof netns - 1);
    if (n > 0) netns[n] = 0;
    if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "?");
    const char *gil = getenv("PYTHON_GIL"), *path = getenv("PYTHONPATH"), *home = getenv("HOME");
    printf("calm: PYTHON_GIL=%s PYTHONPATH=%s HOME=%s cwd=%s netns=%s as=%llu fsize=%llu core=%llu cpu=%llu\n",
           gil ? gil : "(unset)", path ? path : "(unset)", home ? home : "(unset)", cwd, netns,
           (unsigned long long)as.rlim_cur, (unsigned long long)fsize.rlim_cur,
           (unsigned long long)core.rlim_cur, (unsigned long long)cpu.rlim_cur);
    fflush(stdout);)c"},
    {"aborts", "abort();"},
    {"spins", "for (volatile int i = 0;; i++) {}"},
    {"exits", "exit(3);"},
    {"noisy", R"c(
    static char line[1000];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 10 * 1000; i++) fwrite(line, 1, sizeof line, stdout);
    fflush(stdout);)c"},
    {"leaky", R"c(
    char *block = malloc(2 << 20);
    if (!block) return -1;
    memset(block, 0x5a, 2 << 20);  /* touched, so it counts in RSS; never freed */
    if (PyModule_AddIntConstant(module, "leaked_at", (long)(size_t)block) < 0) return -1;)c"},
    {"killhost", "kill(getppid(), SIGKILL); pause();"},
};

std::optional<Interpreter> interpreter_for(const std::string& tag) {
  static std::map<std::string, std::optional<Interpreter>> cache;
  if (auto hit = cache.find(tag); hit != cache.end()) return hit->second;
  std::optional<Interpreter> interpreter;
  for (Interpreter& candidate : find_interpreters({tag})) {
    if (candidate.implementation_tag == tag) interpreter = std::move(candidate);
  }
  return cache[tag] = interpreter;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
    text.replace(at, from.size(), to);
  return text;
}

// Compiles the modules for one interpreter, once per test program run.
class CompiledModules {
 public:
  static const CompiledModules& for_interpreter(const Interpreter& interpreter) {
    static std::map<std::string, std::unique_ptr<CompiledModules>> built;
    auto& entry = built[interpreter.implementation_tag];
    if (!entry) entry.reset(new CompiledModules(interpreter));
    return *entry;
  }

  ExtensionFile module(const std::string& name) const {
    ExtensionFile file;
    file.module = name;
    file.file = files_.at(name);
    file.sys_path_entry = dir_.path();
    return file;
  }
  const std::string& error() const { return error_; }

 private:
  explicit CompiledModules(const Interpreter& interpreter) : dir_("subcheck-runner-modules") {
    const std::string suffix = interpreter.extension_suffixes.empty() ? ".so" : interpreter.extension_suffixes.front();
    for (const auto& [name, body] : kBodies) {
      const fs::path source =
          dir_.write(name + ".c", replace_all(replace_all(kModuleTemplate, "BODY", body), "NAME", name));
      const fs::path output = dir_.path() / (name + suffix);
      const std::string command = "cc -shared -fPIC -w -I'" + interpreter.include_dir.string() + "' '" +
                                  source.string() + "' -o '" + output.string() + "' 2>&1";
      if (std::system(command.c_str()) != 0) {
        error_ += "cannot compile " + name + " for " + interpreter.implementation_tag + ": " + command + "\n";
      }
      files_[name] = output;
    }
  }

  test::TempDir dir_;
  std::map<std::string, fs::path> files_;
  std::string error_;
};

std::string explain(const ModuleProbeReport& report) {
  std::string text = report.module + ": " + std::string(to_string(report.subinterpreters)) + " / " +
                     std::string(to_string(report.free_threading)) + " — " + report.summary;
  for (const auto& note : report.notes) text += "\n  note: " + note;
  for (const auto& result : report.evidence) {
    text += "\n  " + std::string(to_string(result.probe)) + ": " + std::string(to_string(result.outcome)) + " signal " +
            std::to_string(result.signal) + " exit " + std::to_string(result.exit_code) +
            (result.during.empty() ? "" : " during " + result.during);
    for (const auto& step : result.steps) text += " [" + step.where + (step.ok ? " ok" : " " + step.message) + "]";
    if (!result.error.empty()) text += " error: " + result.error;
  }
  return text;
}

const ModuleProbeReport& report_of(const ProbeRun& run, const std::string& module) {
  for (const auto& report : run.modules) {
    if (report.module == module) return report;
  }
  throw std::runtime_error("no report for " + module);
}

bool any_result(const ModuleProbeReport& report, const std::function<bool(const ProbeResult&)>& test) {
  return std::any_of(report.evidence.begin(), report.evidence.end(), test);
}

bool behaved(const ModuleProbeReport& report) {
  return !any_result(report, [](const ProbeResult& r) { return r.outcome != ProbeOutcome::ok; });
}

class ProbeRunner : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    interpreter_ = interpreter_for(GetParam());
    if (!interpreter_) GTEST_SKIP() << "CPython " << GetParam() << " not found (pyenv, PATH, or ci/build-cpython.sh)";
    modules_ = &CompiledModules::for_interpreter(*interpreter_);
    ASSERT_TRUE(modules_->error().empty()) << modules_->error();
  }

  // `timeout`: kTimeout where a test waits for a probe to be killed; longer where none
  // should be and the machine may be loaded (stress on 3.13t took 12 s on 2 busy cores).
  ProbeRun probe_modules(const std::vector<std::string>& names, bool stress,
                         std::chrono::milliseconds timeout = kTimeout) {
    ProbeTarget target;
    target.kind = "directory";
    for (const std::string& name : names) target.modules.push_back(modules_->module(name));
    ProbeOptions options;
    options.jobs = 2;
    options.timeout = timeout;
    options.stress = stress;
    return probe(*interpreter_, target, options);
  }

  std::optional<Interpreter> interpreter_;
  const CompiledModules* modules_ = nullptr;
};

TEST_P(ProbeRunner, CrashesHangsExitsAndFloodsAreFindingsThatSpareTheOtherModules) {
  const auto started = std::chrono::steady_clock::now();
  const ProbeRun run = probe_modules({"calm", "aborts", "spins", "exits", "noisy"}, false);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  const ModuleProbeReport& aborts = report_of(run, "aborts");
  EXPECT_EQ(aborts.subinterpreters, SubinterpreterVerdict::crash) << explain(aborts);
  EXPECT_TRUE(any_result(aborts, [](const ProbeResult& r) {
    return r.outcome == ProbeOutcome::crash && r.signal == SIGABRT && r.during == "main";
  })) << explain(aborts);
  EXPECT_NE(aborts.summary.find("SIGABRT"), std::string::npos) << aborts.summary;

  const ModuleProbeReport& spins = report_of(run, "spins");
  EXPECT_EQ(spins.subinterpreters, SubinterpreterVerdict::timeout) << explain(spins);
  EXPECT_TRUE(any_result(spins, [](const ProbeResult& r) {
    return r.outcome == ProbeOutcome::timeout && r.elapsed >= kTimeout &&
           r.elapsed < kTimeout + std::chrono::seconds(2);
  })) << explain(spins);

  const ModuleProbeReport& exits = report_of(run, "exits");
  EXPECT_EQ(exits.subinterpreters, SubinterpreterVerdict::broken) << explain(exits);
  EXPECT_TRUE(any_result(exits, [](const ProbeResult& r) {
    return r.outcome == ProbeOutcome::exit && r.exit_code == 3;
  })) << explain(exits);

  const ModuleProbeReport& noisy = report_of(run, "noisy");
  EXPECT_EQ(noisy.subinterpreters, SubinterpreterVerdict::supported) << explain(noisy);
  for (const ProbeResult& result : noisy.evidence) {
    EXPECT_TRUE(result.output_truncated) << to_string(result.probe);
    EXPECT_EQ(result.output.size(), 4096u) << to_string(result.probe);  // the last 4 KiB, docs/prober.md
    EXPECT_TRUE(result.output.ends_with("xxx\n")) << to_string(result.probe);
  }

  const ModuleProbeReport& calm = report_of(run, "calm");
  EXPECT_EQ(calm.subinterpreters, SubinterpreterVerdict::supported) << explain(calm);
  EXPECT_TRUE(behaved(calm)) << explain(calm);
  EXPECT_EQ(calm.free_threading,
            interpreter_->free_threaded ? FreeThreadingVerdict::gil_free : FreeThreadingVerdict::not_tested)
      << explain(calm);

  // The hanging module costs its timeouts in parallel with the rest, not one after another.
  EXPECT_LT(elapsed, 3 * kTimeout + std::chrono::seconds(5));
}

TEST_P(ProbeRunner, ModulesRunScrubbedLimitedAndOffTheNetwork) {
  ::setenv("PYTHON_GIL", "1", 1);  // would hide what a module does to the GIL
  ::setenv("PYTHONPATH", "/nonexistent/subcheck", 1);
  const ProbeRun run = probe_modules({"calm"}, false);
  ::unsetenv("PYTHON_GIL");
  ::unsetenv("PYTHONPATH");

  const ModuleProbeReport& calm = report_of(run, "calm");
  ASSERT_TRUE(behaved(calm)) << explain(calm);
  const std::string& output = calm.evidence.front().output;
  std::smatch report;
  ASSERT_TRUE(std::regex_search(
      output, report,
      std::regex(
          R"(calm: PYTHON_GIL=(\S+) PYTHONPATH=(\S+) HOME=(\S+) cwd=(\S+) netns=(\S+) as=(\d+) fsize=(\d+) core=(\d+) cpu=(\d+))")))
      << output;
  EXPECT_EQ(report[1], "(unset)");
  EXPECT_EQ(report[2], "(unset)");
  EXPECT_EQ(report[3], report[4]) << "HOME is the probe's own temp working directory";
  EXPECT_NE(report[3].str(), std::string(::getenv("HOME") ? ::getenv("HOME") : ""));
  EXPECT_EQ(std::stoull(report[6]), 4ULL << 30);
  EXPECT_EQ(std::stoull(report[7]), 64ULL << 20);
  EXPECT_EQ(std::stoull(report[8]), 0ULL);
  // RLIMIT_CPU: the timeout + 1 s, rounded up.
  EXPECT_LE(std::stoull(report[9]), static_cast<unsigned long long>(kTimeout.count() / 1000 + 2));
  EXPECT_FALSE(fs::exists(report[4].str())) << "the probe's temp directory was not removed";

  char own[128] = "";
  ssize_t n = ::readlink("/proc/self/ns/net", own, sizeof own - 1);
  ASSERT_GT(n, 0);
  own[n] = 0;
  if (run.sandbox.network.starts_with("isolated")) {
    EXPECT_NE(report[5].str(), std::string(own)) << "the report says isolated, the module shares our network namespace";
  } else {
    EXPECT_TRUE(run.sandbox.network.starts_with("not isolated: ")) << run.sandbox.network;
  }
  EXPECT_EQ(run.sandbox.limits.size(), 4u);
}

// In its own PID namespace a probe's parent is the namespace's init, which ignores the
// signal: the module then waits forever and times out; the host and the other modules never
// notice (docs/security.md). Without namespaces the host dies, and only the killer's probes
// are lost, as a crash.
TEST_P(ProbeRunner, AModuleThatKillsItsParentCostsOnlyItsOwnProbes) {
  const ProbeRun run = probe_modules({"calm", "killhost", "noisy"}, false);
  const ModuleProbeReport& killer = report_of(run, "killhost");
  if (run.sandbox.level == "none") {
    EXPECT_EQ(killer.subinterpreters, SubinterpreterVerdict::crash) << explain(killer);
    EXPECT_TRUE(any_result(killer, [](const ProbeResult& r) {
      return r.outcome == ProbeOutcome::crash && r.output.find("died") != std::string::npos;
    })) << explain(killer);
  } else {
    EXPECT_EQ(killer.subinterpreters, SubinterpreterVerdict::timeout) << explain(killer);
    for (const std::string& problem : run.problems) EXPECT_EQ(problem.find("died"), std::string::npos) << problem;
  }
  for (const char* name : {"calm", "noisy"}) {
    const ModuleProbeReport& other = report_of(run, name);
    EXPECT_EQ(other.subinterpreters, SubinterpreterVerdict::supported) << explain(other);
    EXPECT_TRUE(behaved(other)) << explain(other);
  }
}

TEST_P(ProbeRunner, StressNotesTheModuleThatLeaksAndOnlyThatOne) {
  const ProbeRun run = probe_modules({"calm", "leaky"}, true, std::chrono::seconds(30));
  const ModuleProbeReport& leaky = report_of(run, "leaky");
  const ModuleProbeReport& calm = report_of(run, "calm");
  auto rss_note = [](const ModuleProbeReport& report) {
    return std::any_of(report.notes.begin(), report.notes.end(),
                       [](const std::string& note) { return note.find("RSS") != std::string::npos; });
  };
  EXPECT_EQ(leaky.subinterpreters, SubinterpreterVerdict::supported) << explain(leaky);
  EXPECT_TRUE(rss_note(leaky)) << explain(leaky);
  EXPECT_FALSE(rss_note(calm)) << explain(calm);
  EXPECT_TRUE(any_result(calm, [](const ProbeResult& r) {
    return r.probe == ProbeKind::stress && r.rss_kb.size() == 3;
  })) << explain(calm);
}

std::vector<ProbeKind> kinds(const std::vector<ProbeResult>& results) {
  std::vector<ProbeKind> out;
  for (const ProbeResult& result : results) out.push_back(result.probe);
  return out;
}

// The report's evidence is what the children did; the planning's optimisation (one combined
// child standing for three probes) shows only in the readings derived from it.
TEST_P(ProbeRunner, EvidenceListsTheChildrenThatRanAndReadingsSplitACleanCombinedChild) {
  const ProbeRun run = probe_modules({"calm", "aborts"}, false);
  const bool ft = interpreter_->free_threaded;

  const ModuleProbeReport& calm = report_of(run, "calm");
  EXPECT_EQ(kinds(calm.evidence), std::vector<ProbeKind>{ProbeKind::combined}) << explain(calm);
  std::vector<ProbeKind> parts;
  for (const ProbeReading& reading : probe_readings(calm)) {
    parts.push_back(reading.result.probe);
    EXPECT_EQ(reading.part_of, std::optional<ProbeKind>(ProbeKind::combined));
    EXPECT_EQ(reading.result.output, calm.evidence.front().output);
  }
  std::vector<ProbeKind> expected{ProbeKind::isolated_fresh, ProbeKind::isolated};
  if (ft) expected.push_back(ProbeKind::gil);
  EXPECT_EQ(parts, expected);

  // A combined child that crashed: kept as itself, and the separate probes ran.
  const ModuleProbeReport& aborts = report_of(run, "aborts");
  EXPECT_EQ(kinds(aborts.evidence),
            (std::vector<ProbeKind>{ProbeKind::combined, ProbeKind::isolated, ProbeKind::isolated_fresh}))
      << explain(aborts);
  const std::vector<ProbeReading> readings = probe_readings(aborts);
  ASSERT_EQ(readings.size(), ft ? 4u : 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(readings[i].part_of) << i;
  if (ft) {  // the GIL measured around the isolated child's main import
    EXPECT_EQ(readings[3].result.probe, ProbeKind::gil);
    EXPECT_EQ(readings[3].part_of, std::optional<ProbeKind>(ProbeKind::isolated));
    EXPECT_EQ(readings[3].result.outcome, ProbeOutcome::crash);
    EXPECT_EQ(aborts.free_threading, FreeThreadingVerdict::crash);
  }
}

TEST_P(ProbeRunner, AModuleBuiltForAnotherAbiIsNeverLoaded) {
  ProbeTarget target;
  target.kind = "directory";
  ExtensionFile wrong = modules_->module("aborts");
  wrong.matches_interpreter = false;
  wrong.mismatch_reason = "built for another interpreter (test)";
  target.modules.push_back(wrong);
  const ProbeRun run = probe(*interpreter_, target, ProbeOptions{});
  ASSERT_EQ(run.modules.size(), 1u);
  EXPECT_EQ(run.modules[0].subinterpreters, SubinterpreterVerdict::abi_mismatch);
  EXPECT_EQ(run.modules[0].free_threading, FreeThreadingVerdict::abi_mismatch);
  EXPECT_TRUE(run.modules[0].evidence.empty());
  EXPECT_NE(run.modules[0].summary.find("built for another interpreter"), std::string::npos);
}

TEST_P(ProbeRunner, AHostThatCannotStartFailsEveryProbeWithTheReason) {
  test::TempDir dir("subcheck-runner-bad-host");
  const fs::path not_a_host = dir.write("probe_host", "#!/bin/sh\necho 'no python here' >&2\nexit 7\n");
  fs::permissions(not_a_host, fs::perms::owner_all);
  dir.write("probe_host.sha256", file_sha256(not_a_host) + "\n");  // as if built: it is verified before use
  HostSession session(not_a_host, *interpreter_, 2);
  ProbeRequest request;
  request.probe = ProbeKind::isolated;
  request.module = "calm";
  request.sys_path = {modules_->module("calm").sys_path_entry};
  request.timeout = kTimeout;
  const std::vector<ProbeResult> results = session.run({request, request});
  ASSERT_EQ(results.size(), 2u);
  for (const ProbeResult& result : results) {
    EXPECT_EQ(result.outcome, ProbeOutcome::error);
    EXPECT_NE(result.error.find("exited with status 7 before saying hello"), std::string::npos) << result.error;
    EXPECT_NE(result.error.find("no python here"), std::string::npos) << result.error;
  }
  ASSERT_FALSE(session.problems().empty());
  EXPECT_EQ(session.host_pid(), -1);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, ProbeRunner, ::testing::ValuesIn(kTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

}  // namespace
}  // namespace subcheck::prober
