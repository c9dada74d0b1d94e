// The probe host, built for real for each available interpreter (3.12, 3.13, and 3.13t
// once ci/build-cpython.sh has built it), probing CPython's own lib-dynload modules whose
// behaviour docs/cpython-behaviour.md states, and checked against what CPython itself says in a
// separate python process (_interpreters / _xxsubinterpreters, sys._is_gil_enabled()).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "prober/host_build.h"
#include "prober/host_session.h"
#include "prober/interpreter_pool.h"
#include "prober/prober.h"
#include "tests/test_support.h"

namespace subcheck::prober {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string>& kTags = test::kInterpreterTags;
// Nothing here hangs on purpose: a generous limit costs nothing and keeps a loaded 2-core
// machine (3.14's _asyncio took over 10 s at load 20) from timing out.
constexpr std::chrono::milliseconds kProbeTimeout{20000};
constexpr std::string_view kRefusal = "does not support loading in subinterpreters";  // docs/cpython-behaviour.md #2

std::optional<Interpreter> interpreter_for(const std::string& tag) {
  static std::map<std::string, std::optional<Interpreter>> cache;
  if (auto hit = cache.find(tag); hit != cache.end()) return hit->second;
  std::vector<Interpreter> found = find_interpreters({tag});
  std::optional<Interpreter> interpreter;
  for (Interpreter& candidate : found) {
    if (candidate.implementation_tag == tag) interpreter = std::move(candidate);
  }
  return cache[tag] = interpreter;
}

#define REQUIRE_INTERPRETER(var, tag)                                                                   \
  std::optional<Interpreter> var = interpreter_for(tag);                                                \
  if (!var) {                                                                                           \
    GTEST_SKIP() << "CPython " << (tag) << " not found (pyenv, PATH, or "                               \
                 << "ci/build-cpython.sh for 3.13t into ${SUBCHECK_CACHE:-~/.cache/subcheck}/cpython)"; \
  }

// Runs a program with arguments, no shell; its stdout (stderr discarded) and exit status.
std::pair<std::string, int> run_program(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe(out) != 0) return {"", -1};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 2);
    ::close(out[0]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  std::array<char, 4096> buffer{};
  for (ssize_t n; (n = ::read(out[0], buffer.data(), buffer.size())) > 0;) text.append(buffer.data(), n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {text, status};
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

fs::path dynload_file(const Interpreter& interpreter, const std::string& stem) {
  for (const auto& suffix : interpreter.extension_suffixes) {
    fs::path file = interpreter.dynload_dir / (stem + suffix);
    if (fs::exists(file)) return file;
  }
  return {};
}

// A lib-dynload module by name; `from_file` names the .so when the module is one of several
// PyInit_* entry points of another file (CPython's _testmultiphase fixtures, docs/cpython-behaviour.md
// #15): importing it by name fails, the host then loads it from the file.
std::optional<ExtensionFile> stdlib_module(const Interpreter& interpreter, const std::string& name,
                                           const std::string& from_file = "") {
  fs::path file = dynload_file(interpreter, from_file.empty() ? name : from_file);
  if (file.empty()) return std::nullopt;
  ExtensionFile module;
  module.module = name;
  module.file = file;
  module.sys_path_entry = interpreter.dynload_dir;
  return module;
}

// ---------------------------------------------------------------------------------------
// What CPython itself says, in a fresh python process per module

// Does an isolated subinterpreter import it after the main interpreter did? "OK" or
// "REFUSED <message>". os._exit: crashes at exit (#7) are not the question here.
constexpr const char* kIsolatedOracle = R"(import sys, os, importlib
name = sys.argv[1]
importlib.import_module(name)
try:
    import _interpreters as I
    i = I.create(I.new_config('isolated'))
    err = I.exec(i, 'import ' + name)
    print('REFUSED ' + err.msg if err else 'OK')
except ImportError:
    import _xxsubinterpreters as I
    i = I.create(isolated=True)
    try:
        I.run_string(i, 'import ' + name)
        print('OK')
    except Exception as e:
        print('REFUSED ' + str(e))
sys.stdout.flush()
os._exit(0)
)";

std::string cpython_isolated_answer(const Interpreter& interpreter, const std::string& module) {
  return run_program({interpreter.executable.string(), "-I", "-c", kIsolatedOracle, module}).first;
}

std::string cpython_gil_answer(const Interpreter& interpreter, const std::string& module) {
  return run_program({interpreter.executable.string(), "-I", "-c",
                      "import sys, importlib; importlib.import_module(sys.argv[1]); print(sys._is_gil_enabled())",
                      module})
      .first;
}

// Would InterpreterPoolExecutor (3.14+) run a task importing it? "OK" or "FAILS <error>".
// Nothing is imported in the main interpreter first: a pool user need not.
constexpr const char* kPoolOracle = R"(import sys, os, concurrent.futures as cf
with cf.InterpreterPoolExecutor(max_workers=1) as pool:
    try:
        pool.submit(exec, 'import ' + sys.argv[1]).result(timeout=60)
        print('OK')
    except BaseException as e:
        print('FAILS %s: %s' % (type(e).__name__, e))
sys.stdout.flush()
os._exit(0)
)";

std::string cpython_pool_answer(const Interpreter& interpreter, const std::string& module) {
  return run_program({interpreter.executable.string(), "-I", "-c", kPoolOracle, module}).first;
}

// ---------------------------------------------------------------------------------------
// Building the host

class ProbeHostPerInterpreter : public ::testing::TestWithParam<std::string> {};

TEST_P(ProbeHostPerInterpreter, IsBuiltOnceIntoTheCacheAndReused) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  const fs::path host = ensure_host(*interpreter);
  EXPECT_EQ(host, cache_root() / "hosts" / host_key(*interpreter) / "probe_host");
  ASSERT_EQ(::access(host.c_str(), X_OK), 0) << host;
  const auto built = fs::last_write_time(host);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(ensure_host(*interpreter), host);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1)) << "the cached host was rebuilt";
  EXPECT_EQ(fs::last_write_time(host), built);
  for (const std::string& other : kTags) {
    if (other == GetParam()) continue;
    if (auto different = interpreter_for(other)) {
      EXPECT_NE(host_key(*different), host_key(*interpreter)) << other;
    }
  }
}

TEST_P(ProbeHostPerInterpreter, AnswersEveryRequestLineExactlyOnceAndExitsAtEndOfInput) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  const fs::path host = ensure_host(*interpreter);
  test::TempDir scratch("subcheck-host-protocol");
  const std::string requests =
      request_line({ProbeKind::main, "math", "", {interpreter->dynload_dir}, kProbeTimeout, 1, 1}, 1) + "\n" +
      "this is not json\n" + R"({"id": 5, "probe": "teleport", "module": "math"})" + "\n" +
      request_line({ProbeKind::gil, "math", "", {interpreter->dynload_dir}, kProbeTimeout, 1, 1}, 6) + "\n";
  const fs::path input = scratch.write("requests.jsonl", requests);
  // The host reads requests from a file here: the protocol is lines either way.
  auto [output, status] =
      run_program({"/bin/sh", "-c", "exec \"$0\" --zygote --jobs 2 --python \"$1\" --scratch \"$2\" < \"$3\"",
                   host.string(), interpreter->executable.string(), scratch.path().string(), input.string()});
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << "\n" << output;

  std::vector<nlohmann::json> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(nlohmann::json::parse(line, nullptr, false));
    ASSERT_FALSE(lines.back().is_discarded()) << "not JSON: " << line;
  }
  ASSERT_EQ(lines.size(), 5u) << output;  // hello + one answer per request line
  EXPECT_EQ(lines[0]["hello"], "subcheck-probe-host");
  EXPECT_EQ(lines[0]["free_threaded"], interpreter->free_threaded);
  std::map<std::string, nlohmann::json> by_id;
  for (std::size_t i = 1; i < lines.size(); ++i) by_id[lines[i]["id"].dump()] = lines[i];
  EXPECT_EQ(by_id["1"]["outcome"], "ok");
  EXPECT_EQ(by_id["1"]["steps"][0]["where"], "main");
  EXPECT_EQ(by_id["1"]["steps"][0]["ok"], true);
  EXPECT_EQ(by_id["null"]["outcome"], "error");
  EXPECT_EQ(by_id["5"]["outcome"], "error");
  EXPECT_NE(by_id["5"]["message"].get<std::string>().find("probe"), std::string::npos);
  // gil fields: booleans on free-threaded builds, null elsewhere.
  EXPECT_EQ(by_id["6"]["gil_before"].is_boolean(), interpreter->free_threaded) << by_id["6"].dump();
  EXPECT_EQ(by_id["6"]["gil_after"].is_boolean(), interpreter->free_threaded) << by_id["6"].dump();
  // Every probe directory was removed after its child.
  std::size_t left = 0;
  for (const auto& entry : fs::directory_iterator(scratch.path()))
    left += entry.path().filename().string().starts_with("probe-");
  EXPECT_EQ(left, 0u);
}

TEST_P(ProbeHostPerInterpreter, IsBuiltFromSysconfigWhenNoConfigScriptIsThere) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  test::TempDir scratch("subcheck-host-sysconfig");
  ScopedEnv cache_env("SUBCHECK_CACHE", (scratch.path() / "cache").string());
  // The same interpreter through a symlink in a directory without pythonX.Y-config.
  Interpreter bare = *interpreter;
  bare.executable = scratch.path() / "bin" / "python";
  fs::create_directories(bare.executable.parent_path());
  fs::create_symlink(interpreter->executable, bare.executable);
  const HostBuildFlags flags = host_build_flags(bare);
  EXPECT_TRUE(flags.source_of_flags.starts_with("sysconfig")) << flags.source_of_flags;
  EXPECT_TRUE(std::any_of(flags.link.begin(), flags.link.end(),
                          [](const std::string& flag) { return flag.starts_with("-Wl,-rpath,"); }));

  const fs::path host = ensure_host(bare);
  HostSession session(host, bare, 1);
  const std::vector<ProbeResult> results =
      session.run({ProbeRequest{ProbeKind::isolated, "math", "", {interpreter->dynload_dir}, kProbeTimeout, 1, 1}});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, ProbeOutcome::ok) << results[0].error;
  ASSERT_EQ(results[0].steps.size(), 2u);
  EXPECT_TRUE(results[0].steps[1].ok) << results[0].steps[1].message;
}

INSTANTIATE_TEST_SUITE_P(Interpreters, ProbeHostPerInterpreter, ::testing::ValuesIn(kTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

TEST(ProbeHostBuild, SaysThatNoCompilerExists) {
  std::optional<Interpreter> interpreter;
  for (const std::string& tag : kTags) {
    if (!interpreter) interpreter = interpreter_for(tag);
  }
  if (!interpreter) GTEST_SKIP() << "no CPython >= 3.12 found";
  test::TempDir cache("subcheck-host-cache");
  ScopedEnv cache_env("SUBCHECK_CACHE", cache.path().string());
  ScopedEnv cc_env("CC", "/nonexistent/bin/cc");
  try {
    ensure_host(*interpreter);
    FAIL() << "built a host without a compiler";
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("no C compiler"), std::string::npos) << text;
    EXPECT_NE(text.find("/nonexistent/bin/cc"), std::string::npos) << text;
  }
  EXPECT_FALSE(fs::exists(cache_root() / "hosts" / host_key(*interpreter) / "probe_host"));
}

TEST(ProbeHostBuild, ShowsTheCompilersErrorsWhenTheBuildFails) {
  std::optional<Interpreter> interpreter;
  for (const std::string& tag : kTags) {
    if (!interpreter) interpreter = interpreter_for(tag);
  }
  if (!interpreter) GTEST_SKIP() << "no CPython >= 3.12 found";
  test::TempDir cache("subcheck-host-cache");
  ScopedEnv cache_env("SUBCHECK_CACHE", cache.path().string());
  ScopedEnv cc_env("CC", "cc -include subcheck_no_such_header.h");
  try {
    ensure_host(*interpreter);
    FAIL() << "the build should have failed";
  } catch (const std::runtime_error& error) {
    const std::string text = error.what();
    EXPECT_NE(text.find("subcheck_no_such_header.h"), std::string::npos) << "the compiler's message is missing:\n"
                                                                         << text;
  }
  const fs::path dir = cache_root() / "hosts" / host_key(*interpreter);
  EXPECT_FALSE(fs::exists(dir / "probe_host"));
  for (const auto& entry : fs::directory_iterator(dir)) ADD_FAILURE() << "left behind: " << entry.path();
}

// ---------------------------------------------------------------------------------------
// lib-dynload modules in each interpreter

class LibDynload : public ::testing::TestWithParam<std::string> {
 protected:
  struct Run {
    Interpreter interpreter;
    ProbeRun run;
    std::map<std::string, const ModuleProbeReport*> reports;
  };

  // Modules whose behaviour docs/cpython-behaviour.md states, probed once per interpreter.
  static const Run& probed(const std::string& tag) {
    static std::map<std::string, Run> runs;
    if (auto hit = runs.find(tag); hit != runs.end()) return hit->second;
    Run& entry = runs[tag];
    entry.interpreter = *interpreter_for(tag);
    ProbeTarget target;
    target.kind = "directory";
    for (const char* name : {"math", "_json", "_testsinglephase", "_testmultiphase", "xxsubtype", "_ctypes", "_decimal",
                             "_datetime", "_elementtree", "_lsprof", "pyexpat", "_asyncio"}) {
      if (auto module = stdlib_module(entry.interpreter, name)) target.modules.push_back(*module);
    }
    for (const char* name : {"_test_shared_gil_only", "_test_non_isolated", "_testmultiphase_exec_raise"}) {
      if (auto module = stdlib_module(entry.interpreter, name, "_testmultiphase")) target.modules.push_back(*module);
    }
    ProbeOptions options;
    options.jobs = 2;
    options.timeout = kProbeTimeout;
    options.stress = false;  // prober_runner_test.cpp covers stress
    entry.run = probe(entry.interpreter, target, options);
    for (const ModuleProbeReport& report : entry.run.modules) entry.reports[report.module] = &report;
    return entry;
  }

  static std::string explain(const ModuleProbeReport& report) {
    std::string text = report.module + ": " + std::string(to_string(report.subinterpreters)) + " / " +
                       std::string(to_string(report.free_threading)) + " — " + report.summary;
    for (const auto& result : report.evidence) {
      text += "\n  " + std::string(to_string(result.probe)) + ": " + std::string(to_string(result.outcome)) +
              (result.during.empty() ? "" : " during " + result.during);
      for (const auto& step : result.steps) {
        text += " [" + step.where + (step.ok ? " ok" : " " + step.error_type + ": " + step.message) + "]";
      }
      if (!result.error.empty()) text += " error: " + result.error;
    }
    return text;
  }
};

const ModuleProbeReport* report_of(const std::map<std::string, const ModuleProbeReport*>& reports,
                                   const std::string& module) {
  auto it = reports.find(module);
  return it == reports.end() ? nullptr : it->second;
}

bool refused_in_isolated(const ModuleProbeReport& report) {
  for (const auto& result : report.evidence) {
    for (const auto& step : result.steps) {
      if (result.probe == ProbeKind::isolated && step.where == "isolated" && !step.ok &&
          step.message.find(kRefusal) != std::string::npos) {
        return true;
      }
    }
  }
  return false;
}

TEST_P(LibDynload, VerdictsAgreeWithCPythonItself) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  const Run& run = probed(GetParam());
  EXPECT_TRUE(run.run.problems.empty()) << run.run.problems.front();
  EXPECT_FALSE(run.run.sandbox.network.empty());
  ASSERT_GE(run.reports.size(), 8u);  // Debian builds math, _json, _datetime ... into the interpreter
  for (const auto& [name, report] : run.reports) {
    EXPECT_EQ(report->interpreter, GetParam());
    if (name.starts_with("_test_") || name == "_testmultiphase_exec_raise") continue;  // not importable by name
    if (name == "_asyncio" && GetParam() == "3.12") continue;  // crashes at exit: its own test below
    const std::string cpython = cpython_isolated_answer(*interpreter, name);
    ASSERT_FALSE(cpython.empty()) << "CPython printed nothing for " << name;
    const bool cpython_loads_it = cpython.starts_with("OK");
    EXPECT_EQ(report->subinterpreters == SubinterpreterVerdict::supported, cpython_loads_it)
        << "CPython says: " << cpython << explain(*report);
    if (!cpython_loads_it) {
      EXPECT_TRUE(refused_in_isolated(*report)) << explain(*report);
      EXPECT_NE(cpython.find(kRefusal), std::string::npos) << cpython;
    }
  }
}

// The interpreter_pool answer (derived from the isolated verdict, docs/json-schema.md)
// against a real InterpreterPoolExecutor task in a fresh process per module.
TEST_P(LibDynload, InterpreterPoolAnswerMatchesARealPoolTask) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  const Run& run = probed(GetParam());
  for (const auto& [name, report] : run.reports) {
    const InterpreterPoolVerdict derived = interpreter_pool_verdict(*report, *interpreter);
    if (!has_interpreter_pool(*interpreter)) {
      EXPECT_EQ(derived, InterpreterPoolVerdict::not_available) << name;
      continue;
    }
    if (name.starts_with("_test_") || name == "_testmultiphase_exec_raise") continue;  // not importable by name
    const std::string cpython = cpython_pool_answer(*interpreter, name);
    ASSERT_TRUE(cpython.starts_with("OK") || cpython.starts_with("FAILS")) << name << ": " << cpython;
    EXPECT_EQ(derived, cpython.starts_with("OK") ? InterpreterPoolVerdict::yes : InterpreterPoolVerdict::no)
        << "a pool task says: " << cpython << explain(*report);
  }
}

TEST_P(LibDynload, SinglePhaseAndMultiPhaseFixturesGetTheirVerdicts) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  const auto& reports = probed(GetParam()).reports;
  // Single-phase: refused by every subinterpreter that checks extensions (#1, #4).
  if (const auto* single = report_of(reports, "_testsinglephase")) {
    EXPECT_EQ(single->subinterpreters, SubinterpreterVerdict::unsupported) << explain(*single);
    EXPECT_TRUE(refused_in_isolated(*single)) << explain(*single);
  }
  if (const auto* multi = report_of(reports, "_testmultiphase")) {
    EXPECT_EQ(multi->subinterpreters, SubinterpreterVerdict::supported) << explain(*multi);
  }
  // Multi-phase, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED: shared-GIL only (#1). Loaded from
  // _testmultiphase's file under its own PyInit name (#15), which the notes say.
  if (const auto* shared_only = report_of(reports, "_test_shared_gil_only")) {
    EXPECT_EQ(shared_only->subinterpreters, SubinterpreterVerdict::shared_gil_only) << explain(*shared_only);
    EXPECT_TRUE(std::any_of(shared_only->notes.begin(), shared_only->notes.end(), [](const std::string& note) {
      return note.find("from its file alone") != std::string::npos;
    })) << explain(*shared_only);
  }
  if (const auto* not_supported = report_of(reports, "_test_non_isolated")) {
    EXPECT_EQ(not_supported->subinterpreters, SubinterpreterVerdict::unsupported) << explain(*not_supported);
  }
  if (const auto* raises = report_of(reports, "_testmultiphase_exec_raise")) {
    EXPECT_EQ(raises->subinterpreters, SubinterpreterVerdict::broken) << explain(*raises);
  }
  // Static types are the same object in two interpreters: xxsubtype's spamdict/spamlist.
  if (const auto* statics = report_of(reports, "xxsubtype")) {
    const auto& isolated = statics->evidence;
    bool reported = std::any_of(isolated.begin(), isolated.end(), [](const ProbeResult& r) {
      return std::find(r.shared_objects.begin(), r.shared_objects.end(), "spamdict") != r.shared_objects.end();
    });
    EXPECT_TRUE(reported) << explain(*statics);
  }
}

TEST_P(LibDynload, ThreePointTwelveRefusesModulesThatThreePointThirteenLoads) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  const auto& reports = probed(GetParam()).reports;
  const bool refuses = interpreter->version.starts_with("3.12.");
  for (const char* name : {"_ctypes", "_datetime", "_decimal", "_elementtree", "_lsprof", "pyexpat"}) {  // #8
    const ModuleProbeReport* report = report_of(reports, name);
    if (report == nullptr) continue;  // not built into this interpreter
    if (refuses) {
      EXPECT_NE(report->subinterpreters, SubinterpreterVerdict::supported) << explain(*report);
      EXPECT_TRUE(refused_in_isolated(*report)) << explain(*report);
    } else if (!interpreter->free_threaded) {
      EXPECT_EQ(report->subinterpreters, SubinterpreterVerdict::supported) << explain(*report);
    }
  }
}

// docs/cpython-behaviour.md #7 is about 3.12 alone: instantiated for 3.12 only (below).
class LibDynloadThreePointTwelve : public LibDynload {};

TEST_P(LibDynloadThreePointTwelve, AsyncioInAnIsolatedSubinterpreterAbortsAtExit) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  ASSERT_TRUE(interpreter->version.starts_with("3.12.")) << interpreter->version;
  const ModuleProbeReport* report = report_of(probed(GetParam()).reports, "_asyncio");
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(report->subinterpreters, SubinterpreterVerdict::crash) << explain(*report);
  bool teardown_abort = std::any_of(report->evidence.begin(), report->evidence.end(), [](const ProbeResult& r) {
    return r.outcome == ProbeOutcome::crash && r.signal == SIGABRT && r.during == "teardown" && !r.steps.empty();
  });
  EXPECT_TRUE(teardown_abort) << explain(*report);
}

TEST_P(LibDynload, FreeThreadedVerdictsAgreeWithSysIsGilEnabled) {
  REQUIRE_INTERPRETER(interpreter, GetParam());
  const auto& reports = probed(GetParam()).reports;
  for (const auto& [name, report] : reports) {
    if (!interpreter->free_threaded) {
      EXPECT_EQ(report->free_threading, FreeThreadingVerdict::not_tested) << explain(*report);
      continue;
    }
    if (name.starts_with("_test_") || name == "_testmultiphase_exec_raise") continue;
    const std::string cpython = cpython_gil_answer(*interpreter, name);
    ASSERT_TRUE(cpython.starts_with("True") || cpython.starts_with("False")) << name << ": " << cpython;
    EXPECT_EQ(report->free_threading,
              cpython.starts_with("True") ? FreeThreadingVerdict::requires_gil : FreeThreadingVerdict::gil_free)
        << "sys._is_gil_enabled() after the import: " << cpython << explain(*report);
  }
  if (interpreter->free_threaded) {
    // Single-phase, and still free of the GIL: its init calls PyUnstable_Module_SetGIL
    // (docs/cpython-behaviour.md #10; Modules/_testsinglephase.c in 3.13).
    const ModuleProbeReport* single = report_of(reports, "_testsinglephase");
    ASSERT_NE(single, nullptr);
    EXPECT_EQ(single->free_threading, FreeThreadingVerdict::gil_free) << explain(*single);
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, LibDynload, ::testing::ValuesIn(kTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });
INSTANTIATE_TEST_SUITE_P(Interpreters, LibDynloadThreePointTwelve, ::testing::Values(std::string("3.12")),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

}  // namespace
}  // namespace subcheck::prober
