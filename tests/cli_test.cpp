// The `subcheck` command as a user runs it: the built binary (SUBCHECK_BINARY) as a
// subprocess, its stdout, stderr and exit code; plus the option and config handling it
// is built from (cli/config.h), in process.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/config.h"
#include "cli/report_junit.h"
#include "rules/catalogue.h"
#include "tests/test_support.h"

extern char** environ;

namespace subcheck {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scratch directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("subcheck-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

 private:
  fs::path path_;
};

// Runs the subcheck binary with `args`, stdout and stderr captured through files so that
// neither pipe can fill up and block the child.
RunResult run_subcheck(const std::vector<std::string>& args, const fs::path& working_directory = {}) {
  TempDir capture;
  const fs::path out_file = capture.path() / "stdout";
  const fs::path err_file = capture.path() / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!working_directory.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());

  std::vector<std::string> argv_storage{SUBCHECK_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_storage.size() + 1);
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  RunResult result;
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, SUBCHECK_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << SUBCHECK_BINARY << ": " << std::strerror(spawned);
    return result;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_file);
  result.err = read_file(err_file);
  return result;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A small single-phase extension module: SI001 (error) is certain, FT001 too.
const char* const kSinglePhaseModule = R"(#include <Python.h>

static PyObject *cached_name;

static PyObject *
spam_name(PyObject *self, PyObject *args)
{
    if (cached_name == NULL) {
        cached_name = PyUnicode_FromString("spam");
    }
    return Py_NewRef(cached_name);
}

static PyMethodDef spam_methods[] = {
    {"name", spam_name, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef spam_def = {
    PyModuleDef_HEAD_INIT, "spam", NULL, -1, spam_methods,
};

PyMODINIT_FUNC
PyInit_spam(void)
{
    return PyModule_Create(&spam_def);
}
)";

// ---- the binary: help, version, rules, explain -------------------------------------------

TEST(Cli, HelpShowsCommandsAndExamples) {
  RunResult run = run_subcheck({"--help"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  for (const char* part : {"scan", "rules", "explain", "Examples:", "subcheck scan .", "Exit codes"}) {
    EXPECT_TRUE(contains(run.out, part)) << part << "\n" << run.out;
  }
}

TEST(Cli, ScanHelpListsEveryOption) {
  RunResult run = run_subcheck({"scan", "--help"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  for (const char* option :
       {"--build-dir", "--python", "--jobs", "--format", "--output", "--fail-on", "--select", "--ignore", "--no-color",
        "--quiet", "--baseline", "--write-baseline", "--output-junit", "junit", "pyproject.toml"}) {
    EXPECT_TRUE(contains(run.out, option)) << option << "\n" << run.out;
  }
}

TEST(Cli, VersionPrintsNameAndVersion) {
  RunResult run = run_subcheck({"--version"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(^subcheck \d+\.\d+\.\d+)"))) << run.out;
}

TEST(Cli, NoCommandIsAUsageError) {
  RunResult run = run_subcheck({});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "a command is required")) << run.err;
}

TEST(Cli, UnknownOptionIsAUsageError) {
  RunResult run = run_subcheck({"scan", ".", "--frobnicate"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "frobnicate")) << run.err;
}

TEST(Cli, RulesListsEveryRuleOfTheCatalogue) {
  RunResult run = run_subcheck({"rules"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(run.out.starts_with("id ")) << run.out;
  for (const Rule& rule : RuleCatalogue::builtin().rules()) {
    EXPECT_TRUE(std::regex_search(
        run.out, std::regex("\\n" + rule.id + " +" + rule.name + " +" + std::string(to_string(rule.severity)) + " +")))
        << rule.id << "\n"
        << run.out;
  }
  RunResult as_json = run_subcheck({"rules", "--format", "json"});
  ASSERT_EQ(as_json.exit_code, 0);
  EXPECT_EQ(json::parse(as_json.out).size(), RuleCatalogue::builtin().rules().size());
}

TEST(Cli, ExplainById) {
  RunResult run = run_subcheck({"explain", "SI001"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(run.out.starts_with("SI001 single-phase-init (error, subinterpreters)")) << run.out;
  for (const char* section : {"What it finds", "Why it matters", "Example", "Fix", "References"}) {
    EXPECT_TRUE(contains(run.out, section)) << section;
  }
}

TEST(Cli, ExplainByNameGivesTheSameText) {
  RunResult by_id = run_subcheck({"explain", "SI001"});
  RunResult by_name = run_subcheck({"explain", "single-phase-init"});
  EXPECT_EQ(by_name.exit_code, 0);
  EXPECT_EQ(by_name.out, by_id.out);
}

TEST(Cli, ExplainUnknownIdNamesCloseMatches) {
  RunResult run = run_subcheck({"explain", "SI01"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(run.out.empty());
  EXPECT_TRUE(contains(run.err, "no rule 'SI01'")) << run.err;
  EXPECT_TRUE(contains(run.err, "did you mean SI001 (single-phase-init)")) << run.err;
}

// ---- the binary: scan's usage errors --------------------------------------------------

TEST(Cli, ScanOfAMissingPathIsAnError) {
  RunResult run = run_subcheck({"scan", "/nonexistent/subcheck/tree"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "/nonexistent/subcheck/tree: no such file or directory")) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

TEST(Cli, BadFailOnIsAnError) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  RunResult run = run_subcheck({"scan", tree.path().string(), "--fail-on", "sometimes"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "--fail-on")) << run.err;
  EXPECT_TRUE(contains(run.err, "sometimes")) << run.err;
}

TEST(Cli, BadFormatIsAnError) {
  TempDir tree;
  RunResult run = run_subcheck({"scan", tree.path().string(), "--format", "xml"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "xml")) << run.err;
}

TEST(Cli, UnknownRuleInSelectIsAnErrorWithSuggestion) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  RunResult run = run_subcheck({"scan", tree.path().string(), "--select", "SI001,FT03"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "--select: 'FT03' names no rule")) << run.err;
  EXPECT_TRUE(contains(run.err, "FT003")) << run.err;
}

TEST(Cli, BadPyprojectValueIsAnErrorNamingFileAndKey) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  const fs::path pyproject =
      tree.write("pyproject.toml", "[project]\nname = \"spam\"\n\n[tool.subcheck]\nfail-on = \"sometimes\"\n");
  RunResult run = run_subcheck({"scan", tree.path().string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, pyproject.string())) << run.err;
  EXPECT_TRUE(contains(run.err, "fail-on")) << run.err;
  EXPECT_TRUE(contains(run.err, "sometimes")) << run.err;
}

TEST(Cli, BrokenPyprojectTomlIsAnError) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  tree.write("pyproject.toml", "[tool.subcheck\nselect = [\n");
  RunResult run = run_subcheck({"scan", tree.path().string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "pyproject.toml:1:")) << run.err;
  EXPECT_TRUE(contains(run.err, "invalid TOML")) << run.err;
}

TEST(Cli, UnknownPyprojectRuleIsAnError) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  tree.write("pyproject.toml", "[tool.subcheck]\nignore = [\"global-python-objects\"]\n");
  RunResult run = run_subcheck({"scan", tree.path().string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "pyproject.toml: [tool.subcheck] ignore: 'global-python-objects' names no rule"))
      << run.err;
  EXPECT_TRUE(contains(run.err, "SI006 (global-python-object)")) << run.err;
}

TEST(Cli, MissingBuildDirIsAnError) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  RunResult run = run_subcheck({"scan", tree.path().string(), "-p", (tree.path() / "no-build").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "no-build: neither a directory nor a compile_commands.json file")) << run.err;
}

// -p takes the compile database itself as well as the directory holding it (docs/cli.md).
TEST(Cli, BuildDirMayBeTheCompileDatabaseFile) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  tree.write("build/compile_commands.json",
             "[{\"directory\": \"" + tree.path().string() +
                 "\", \"file\": \"spam.c\", \"arguments\": [\"cc\", \"-c\", \"spam.c\"]}]");
  const fs::path database = tree.path() / "build/compile_commands.json";
  // The database's command has no -I for Python.h: the module is unknown (exit 3), but the
  // database given is the one read.
  RunResult as_file = run_subcheck({"scan", tree.path().string(), "-p", database.string(), "--verbose"});
  EXPECT_EQ(as_file.exit_code, 3) << as_file.err;
  EXPECT_TRUE(contains(as_file.err, "compile database: compile_commands.json: " + database.string())) << as_file.err;
  RunResult as_dir = run_subcheck({"scan", tree.path().string(), "-p", (tree.path() / "build").string(), "--verbose"});
  EXPECT_EQ(as_dir.exit_code, 3) << as_dir.err;
  EXPECT_TRUE(contains(as_dir.err, "compile database: compile_commands.json: " + database.string())) << as_dir.err;

  tree.write("build/flags.txt", "-DFOO\n");
  RunResult other = run_subcheck({"scan", tree.path().string(), "-p", (tree.path() / "build/flags.txt").string()});
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_TRUE(contains(other.err, "flags.txt: neither a directory nor a compile_commands.json file")) << other.err;
}

TEST(Cli, CorruptCompileDatabaseIsAnError) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  tree.write("build/compile_commands.json", "[{\"file\": \"spam.c\", \"directory\": ");
  RunResult run = run_subcheck({"scan", tree.path().string(), "-p", (tree.path() / "build").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "compile_commands.json")) << run.err;
}

TEST(Cli, UnwritableOutputIsAnError) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  RunResult run =
      run_subcheck({"scan", tree.path().string(), "--output", (tree.path() / "no/such/dir/out.json").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "--output")) << run.err;
}

TEST(Cli, TreeWithoutSourcesIsAnError) {
  TempDir tree;
  tree.write("README.md", "nothing to see\n");
  RunResult run = run_subcheck({"scan", tree.path().string(), "--quiet"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "nothing to analyse: no C or C++ translation unit found")) << run.err;
}

// ---- the binary: real scans ---------------------------------------------------------------

TEST(CliScan, SinglePhaseModuleFailsWithSI001InText) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  RunResult run = run_subcheck({"scan", tree.path().string(), "--quiet"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(spam\.c:26:12: error: .* \[SI001 single-phase-init\])")))
      << run.out;
  EXPECT_TRUE(contains(run.out, "  hint: ")) << run.out;
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(\nspam +single-phase +unsupported +requires-gil +\d+)")))
      << run.out;
  EXPECT_TRUE(std::regex_search(
      run.out,
      std::regex(R"(\d+ findings? \(\d+ errors?, \d+ warnings?, \d+ notes?\) in 1 module, 1 file; 0 suppressed)")))
      << run.out;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << "colour in a file";
}

TEST(CliScan, JsonReportIsValidAndCarriesTheModule) {
  TempDir tree;
  const fs::path source = tree.write("spam.c", kSinglePhaseModule);
  RunResult run = run_subcheck({"scan", tree.path().string(), "--format", "json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_FALSE(contains(run.err, "\r")) << "progress line although stderr is not a terminal";
  json report = json::parse(run.out);
  EXPECT_EQ(report["schema"], "subcheck-scan");
  EXPECT_EQ(report["version"], 1);
  ASSERT_EQ(report["modules"].size(), 1u) << report.dump(2);
  const json& module = report["modules"][0];
  EXPECT_EQ(module["name"], "spam");
  EXPECT_EQ(module["init"], "single-phase");
  EXPECT_EQ(module["file"], fs::canonical(source).string());
  EXPECT_EQ(module["verdicts"]["subinterpreters"], "unsupported");
  std::set<std::string> rules;
  for (const json& finding : report["findings"]) rules.insert(finding["rule"].get<std::string>());
  EXPECT_TRUE(rules.contains("SI001")) << report["findings"].dump(2);
  for (const json& index : module["findings"]) EXPECT_LT(index.get<std::size_t>(), report["findings"].size());
}

TEST(CliScan, OutputFileReceivesTheReport) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  const fs::path output = tree.path() / "report.json";
  RunResult run = run_subcheck({"scan", (tree.path() / "spam.c").string(), "--format", "json", "-o", output.string()});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
  EXPECT_EQ(json::parse(read_file(output))["modules"].size(), 1u);
}

TEST(CliScan, FailOnNeverExitsZeroAndIgnoreDropsTheRule) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  RunResult never = run_subcheck({"scan", tree.path().string(), "--fail-on", "never", "--quiet"});
  EXPECT_EQ(never.exit_code, 0) << never.err;
  EXPECT_TRUE(contains(never.out, "[SI001 single-phase-init]"));

  RunResult ignored = run_subcheck({"scan", tree.path().string(), "--ignore", "SI,FT", "--quiet"});
  EXPECT_EQ(ignored.exit_code, 0) << ignored.err;
  EXPECT_FALSE(contains(ignored.out, "[SI001")) << ignored.out;
  EXPECT_TRUE(contains(ignored.out, "0 findings")) << ignored.out;
  EXPECT_TRUE(contains(ignored.out, "not selected")) << ignored.out;
}

// A module created by a macro from a header that is not installed: no finding at all,
// and no way to tell how it initialises. That must fail the gate, say why, and say how
// to supply the header (issue 8).
const char* const kModuleBehindAMissingHeader = R"(#include <Python.h>
#include "vendor_sdk.h"

static PyModuleDef sdk_def = {PyModuleDef_HEAD_INIT, "sdk", NULL, -1, NULL};

PyMODINIT_FUNC
PyInit_sdk(void)
{
    return VENDOR_MODULE_CREATE(&sdk_def);
}
)";

// An answer subcheck could not give is exit 3 (incomplete), not a pass and not a finding.
TEST(CliScan, AModuleThatCannotBeJudgedExitsIncompleteAndNamesTheMissingHeader) {
  TempDir tree;
  tree.write("sdk.c", kModuleBehindAMissingHeader);
  RunResult text = run_subcheck({"scan", tree.path().string(), "--no-color"});
  EXPECT_EQ(text.exit_code, 3) << text.err;
  EXPECT_TRUE(contains(text.out, "could not judge module 'sdk'")) << text.out;
  EXPECT_TRUE(contains(text.out, "'vendor_sdk.h'")) << text.out;
  EXPECT_TRUE(contains(text.out, "--extra-arg=-I")) << text.out;
  EXPECT_TRUE(contains(text.out, "[unknown-module]")) << text.out;
  EXPECT_TRUE(contains(text.err, "the answer is incomplete")) << text.err;
  EXPECT_TRUE(contains(text.out, "covered: 2 of 2 translation units parsed, 1 modules found (1 unknown)")) << text.out;
  EXPECT_TRUE(contains(text.out, "incomplete: 1 module could not be judged")) << text.out;

  RunResult as_json = run_subcheck({"scan", tree.path().string(), "--format", "json"});
  EXPECT_EQ(as_json.exit_code, 3) << as_json.err;
  json report = json::parse(as_json.out);
  ASSERT_EQ(report["modules"].size(), 1u);
  EXPECT_EQ(report["modules"][0]["verdicts"]["subinterpreters"], "unknown");
  bool named = false;
  for (const json& diagnostic : report["diagnostics"]) {
    named |= diagnostic["kind"] == "unknown-module" && diagnostic["module"] == "sdk";
  }
  EXPECT_TRUE(named) << report["diagnostics"].dump(2);
  EXPECT_EQ(report["coverage"]["modules_unknown"], 1);
  ASSERT_EQ(report["coverage"]["incomplete"].size(), 1u) << report["coverage"].dump(2);

  RunResult never = run_subcheck({"scan", tree.path().string(), "--fail-on", "never", "--quiet"});
  EXPECT_EQ(never.exit_code, 0) << never.err;
}

// Findings at or above --fail-on win over an incomplete answer: 1, a definite "change this".
TEST(CliScan, FindingsWinOverAnIncompleteAnswer) {
  TempDir tree;
  tree.write("sdk.c", kModuleBehindAMissingHeader);
  tree.write("spam.c", kSinglePhaseModule);
  RunResult both = run_subcheck({"scan", tree.path().string(), "--format", "json"});
  EXPECT_EQ(both.exit_code, 1) << both.err;
  json report = json::parse(both.out);
  EXPECT_FALSE(report["coverage"]["incomplete"].empty()) << report["coverage"].dump(2);
  RunResult below = run_subcheck({"scan", tree.path().string(), "--select", "SI010", "--quiet"});
  EXPECT_EQ(below.exit_code, 3) << below.out << below.err;
}

TEST(CliScan, PyprojectSettingsApplyAndTheCommandLineWins) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  tree.write("pyproject.toml", "[tool.subcheck]\nselect = [\"FT\"]\nfail-on = \"never\"\n");
  RunResult from_config = run_subcheck({"scan", tree.path().string(), "--format", "json"});
  EXPECT_EQ(from_config.exit_code, 0) << from_config.err;
  json report = json::parse(from_config.out);
  EXPECT_EQ(report["settings"]["fail_on"], "never");
  for (const json& finding : report["findings"]) EXPECT_EQ(finding["category"], "free-threading");

  RunResult overridden =
      run_subcheck({"scan", tree.path().string(), "--select", "SI001", "--fail-on", "error", "--quiet"});
  EXPECT_EQ(overridden.exit_code, 1) << overridden.err;
  EXPECT_TRUE(contains(overridden.out, "[SI001 single-phase-init]")) << overridden.out;
}

// ---- the binary on the shared corpus ----------------------------------------------------

// ---- --format junit (tests/ci/junit_validate_test.py validates whole reports with xmllint)

TEST(Junit, EscapesMarkupAndWhatXml10CannotHold) {
  EXPECT_EQ(escape_xml(R"(a&b<c>d"e'f)"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  EXPECT_EQ(escape_xml("tab\tlf\ncr\r"), "tab&#9;lf&#10;cr&#13;");
  // Element text: quotes, tab and LF as they are, CR still a reference.
  EXPECT_EQ(escape_xml("a\"b'c\td\ne\r<&", false), "a\"b'c\td\ne&#13;&lt;&amp;");
  EXPECT_EQ(escape_xml(std::string("nul\0vt\x0b"
                                   "esc\x1b",
                                   11)),
            "nul\\u0000vt\\u000besc\\u001b");
  EXPECT_EQ(escape_xml("\xEF\xBF\xBE\xEF\xBF\xBF"), "\\ufffe\\uffff");  // U+FFFE, U+FFFF
  EXPECT_EQ(escape_xml("bad\xff"
                       "byte\xC0\xAF"),
            "bad\xEF\xBF\xBD"
            "byte\xEF\xBF\xBD\xEF\xBF\xBD");                                              // overlong too
  EXPECT_EQ(escape_xml("caf\xC3\xA9 \xF0\x9F\x90\x8D"), "caf\xC3\xA9 \xF0\x9F\x90\x8D");  // UTF-8 kept
  EXPECT_EQ(escape_xml("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");          // a surrogate is not UTF-8
}

TEST(Junit, UnknownIsAnErrorNotTestedIsSkippedNeverAPass) {
  const json report = {
      {"schema", "subcheck-scan"},
      {"root", "/src"},
      {"settings", {{"fail_on", "error"}}},
      {"findings", json::array()},
      {"modules",
       {{{"name", "opaque"},
         {"verdicts", {{"subinterpreters", "unknown"}, {"free_threading", "gil-free"}}},
         {"findings", json::array()}}}},
      {"diagnostics", {{{"kind", "unknown-module"}, {"module", "opaque"}, {"message", "missing vendor.h"}}}},
      {"dynamic",
       {{"interpreters", {{{"tag", "3.13t"}, {"free_threaded", true}}}},
        {"modules",
         {{{"module", "pkg.opaque"},
           {"interpreter", "3.13t"},
           {"subinterpreters", "not-tested"},
           {"free_threading", "crash"},
           {"summary", "not probed: no host"},
           {"evidence", json::array()}}}}}},
      {"coverage", {{"incomplete", {"module opaque: verdict unknown"}}}}};
  std::ostringstream out;
  write_junit_report(out, report, FormatContext{RuleCatalogue::builtin(), "/src", ""});
  const std::string xml = out.str();
  EXPECT_TRUE(contains(xml, R"x(<error message="subinterpreters verdict unknown)x")) << xml;
  EXPECT_TRUE(contains(xml, "missing vendor.h")) << xml;
  EXPECT_TRUE(
      contains(xml, R"x(<testsuite name="subinterpreters (3.13t)" tests="1" failures="0" errors="0" skipped="1")x"))
      << xml;
  EXPECT_TRUE(contains(xml, R"x(<testsuite name="free-threading (3.13t)" tests="1" failures="1")x")) << xml;
  EXPECT_TRUE(contains(xml, R"x(<error message="the answer is incomplete" type="incomplete">)x")) << xml;
  EXPECT_TRUE(contains(xml, R"x(<testsuites name="subcheck scan ." tests="5" failures="1" errors="2" skipped="1")x"))
      << xml;
}

// ---- --write-baseline and --baseline -----------------------------------------------------

// The single-phase module plus a borrowed-reference call (FT003, a warning: the runs use
// --fail-on warning so that it alone decides the exit code).
const std::string kOldHazard = "    return PyDict_GetItem(args, self);\n";
const std::string kNewHazard = "    return PyDict_GetItem(self, args);\n";

std::string module_with(const std::string& hazards) {
  return std::string(kSinglePhaseModule) + "\nstatic PyObject *\nlookup(PyObject *self, PyObject *args)\n{\n" +
         hazards + "}\n";
}

unsigned line_of(const std::string& text, const std::string& part) {
  const std::size_t at = text.find(part);
  return at == std::string::npos ? 0 : static_cast<unsigned>(std::count(text.begin(), text.begin() + at, '\n') + 1);
}

RunResult scan_with_baseline(const TempDir& tree, const fs::path& baseline) {
  return run_subcheck({"scan", (tree.path() / "src").string(), "--format", "json", "--fail-on", "warning", "--baseline",
                       baseline.string(), "--quiet"});
}

TEST(CliBaseline, SurvivesShiftedLinesReportsOnlyNewFindingsAndCountsStaleEntries) {
  TempDir tree;
  const fs::path baseline = tree.path() / "baseline.json";
  tree.write("src/spam.c", module_with(kOldHazard));
  RunResult written = run_subcheck({"scan", (tree.path() / "src").string(), "--fail-on", "warning", "--write-baseline",
                                    baseline.string(), "--quiet"});
  EXPECT_EQ(written.exit_code, 1) << written.out << written.err;
  const json document = json::parse(read_file(baseline));
  EXPECT_EQ(document["schema"], "subcheck-baseline");
  EXPECT_EQ(document["version"], 1);
  const std::size_t entries = document["entries"].size();
  ASSERT_GE(entries, 3u) << document.dump(2);  // SI001, FT001, FT003 at least
  EXPECT_TRUE(std::any_of(document["entries"].begin(), document["entries"].end(), [](const json& entry) {
    return entry["rule"] == "FT003" && entry["file"] == "spam.c";
  })) << document.dump(2);

  // Lines inserted above every finding: nothing new.
  const std::string shifted_head = "/* a comment\n * that moves\n * every line */\n\n";
  tree.write("src/spam.c", shifted_head + module_with(kOldHazard));
  RunResult shifted = scan_with_baseline(tree, baseline);
  EXPECT_EQ(shifted.exit_code, 0) << shifted.out << shifted.err;
  json report = json::parse(shifted.out);
  EXPECT_EQ(report["findings"].size(), 0u) << report["findings"].dump(2);
  EXPECT_EQ(report["baseline"]["suppressed"], entries) << report["baseline"].dump();
  EXPECT_EQ(report["baseline"]["stale"], 0) << report["baseline"].dump();
  EXPECT_EQ(report["baseline"]["entries"], entries);

  // A new hazard: exactly it.
  const std::string with_new = shifted_head + module_with(kOldHazard + kNewHazard);
  tree.write("src/spam.c", with_new);
  RunResult added = scan_with_baseline(tree, baseline);
  EXPECT_EQ(added.exit_code, 1) << added.out << added.err;
  report = json::parse(added.out);
  ASSERT_EQ(report["findings"].size(), 1u) << report["findings"].dump(2);
  EXPECT_EQ(report["findings"][0]["rule"], "FT003");
  EXPECT_EQ(report["findings"][0]["line"], line_of(with_new, kNewHazard));
  EXPECT_EQ(report["baseline"]["stale"], 0);

  // The old hazard gone: one stale entry, in JSON and in text.
  tree.write("src/spam.c", shifted_head + module_with(kNewHazard));
  RunResult removed = scan_with_baseline(tree, baseline);
  report = json::parse(removed.out);
  EXPECT_EQ(report["baseline"]["stale"], 1) << report["baseline"].dump();
  EXPECT_EQ(report["baseline"]["suppressed"], entries - 1);
  ASSERT_EQ(report["findings"].size(), 1u) << report["findings"].dump(2);
  RunResult text = run_subcheck(
      {"scan", (tree.path() / "src").string(), "--fail-on", "warning", "--baseline", baseline.string(), "--quiet"});
  EXPECT_TRUE(contains(text.out, "finding" + std::string(entries - 1 == 1 ? "" : "s") + " suppressed, 1 of " +
                                     std::to_string(entries) + " entries no longer match"))
      << text.out;
}

TEST(CliBaseline, AMalformedBaselineIsAUsageError) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json {", "not JSON"},
      {R"({"schema": "subcheck-scan", "version": 1, "entries": []})", "schema"},
      {R"({"schema": "subcheck-baseline", "version": 2, "fingerprint": "subcheckFinding/v1", "entries": []})",
       "version"},
      {R"({"schema": "subcheck-baseline", "version": 1, "fingerprint": "subcheckFinding/v1", "entries": [{}]})",
       "fingerprint"},
  };
  for (const auto& [text, why] : bad) {
    const fs::path file = tree.write("baseline.json", text);
    RunResult run = run_subcheck({"scan", tree.path().string(), "--baseline", file.string(), "--quiet"});
    EXPECT_EQ(run.exit_code, 2) << text << "\n" << run.err;
    EXPECT_TRUE(contains(run.err, "subcheck: error: --baseline " + file.string())) << run.err;
    EXPECT_TRUE(contains(run.err, why)) << run.err;
  }
  RunResult missing = run_subcheck({"scan", tree.path().string(), "--baseline", (tree.path() / "nope.json").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_TRUE(contains(missing.err, "cannot be read")) << missing.err;
}

TEST(CliBaseline, FingerprintsAreSarifsPartialFingerprints) {
  TempDir tree;
  tree.write("spam.c", module_with(kOldHazard));
  const fs::path baseline = tree.path() / "baseline.json";
  RunResult run =
      run_subcheck({"scan", ".", "--format", "sarif", "--write-baseline", baseline.string(), "--quiet"}, tree.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::set<std::string> sarif, recorded;
  // Named documents: a range-for over a member of a temporary would dangle.
  const json sarif_report = json::parse(run.out);
  const json document = json::parse(read_file(baseline));
  for (const json& result : sarif_report["runs"][0]["results"]) {
    sarif.insert(result["partialFingerprints"]["subcheckFinding/v1"].get<std::string>());
  }
  for (const json& entry : document["entries"]) {
    recorded.insert(entry["fingerprint"].get<std::string>());
  }
  EXPECT_FALSE(recorded.empty());
  EXPECT_EQ(sarif, recorded);
}

struct CorpusTarget {
  fs::path path;
  std::set<std::string> expected_rules;
};

// Each file or directory directly under corpus/ is a scan target; its `// expect:` comments
// (`# expect:` in a Cython source) say which rules must be found.
std::vector<CorpusTarget> corpus_targets() {
  std::vector<CorpusTarget> targets;
  const fs::path corpus(SUBCHECK_CORPUS_DIR);
  if (!fs::is_directory(corpus)) return targets;
  const std::regex expect(R"(expect:((?:\s+[A-Z]{2}\d{3})+))");
  const std::regex rule_id(R"([A-Z]{2}\d{3})");
  auto collect = [&](const fs::path& file, CorpusTarget& target) {
    const std::string ext = file.extension().string();
    if (ext != ".c" && ext != ".cpp" && ext != ".cc" && ext != ".h" && ext != ".pyx") return;
    const std::string text = read_file(file);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), expect); it != std::sregex_iterator(); ++it) {
      const std::string ids = (*it)[1];
      for (auto id = std::sregex_iterator(ids.begin(), ids.end(), rule_id); id != std::sregex_iterator(); ++id) {
        target.expected_rules.insert(id->str());
      }
    }
  };
  std::vector<fs::path> entries;
  for (const fs::directory_entry& entry : fs::directory_iterator(corpus)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& entry : entries) {
    CorpusTarget target{entry, {}};
    if (fs::is_directory(entry)) {
      for (const fs::directory_entry& file : fs::recursive_directory_iterator(entry)) collect(file.path(), target);
    } else {
      collect(entry, target);
    }
    if (!target.expected_rules.empty()) targets.push_back(std::move(target));
  }
  return targets;
}

// The fewest targets that between them expect every rule the corpus covers: enough to run
// every rule through the binary without scanning the whole corpus once per target.
std::vector<CorpusTarget> covering_targets(const std::vector<CorpusTarget>& targets) {
  std::vector<CorpusTarget> chosen;
  std::set<std::string> covered;
  for (const CorpusTarget& target : targets) {
    const bool adds = std::any_of(target.expected_rules.begin(), target.expected_rules.end(),
                                  [&](const std::string& id) { return !covered.contains(id); });
    if (!adds) continue;
    covered.insert(target.expected_rules.begin(), target.expected_rules.end());
    chosen.push_back(target);
  }
  return chosen;
}

// tar(1) builds the archives here: the CLI must take what real sdist tools produce.
fs::path make_sdist(const TempDir& dir, const std::string& member_dir, const std::string& archive) {
  std::string command = "tar -C " + dir.path().string() + " -czf " + (dir.path() / archive).string() + " " + member_dir;
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  return dir.path() / archive;
}

TEST(CliScan, SdistIsUnpackedAndScanned) {
  TempDir dir;
  dir.write("spam-1.0/PKG-INFO", "Metadata-Version: 2.1\nName: spam\n");
  dir.write("spam-1.0/spam.c", kSinglePhaseModule);
  fs::path sdist = make_sdist(dir, "spam-1.0", "spam-1.0.tar.gz");
  RunResult run = run_subcheck({"scan", sdist.string(), "--no-color"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(contains(run.out, "[SI001 single-phase-init]")) << run.out;
  // The unpacked tree is gone when the report is read: it names the archive's member.
  const std::string member = (fs::absolute(sdist).lexically_normal() / "spam-1.0" / "spam.c").string();
  EXPECT_TRUE(contains(run.out, member + ":")) << run.out;
  EXPECT_FALSE(contains(run.out, "subcheck-sdist-")) << run.out;

  RunResult document = run_subcheck({"scan", sdist.string(), "--format", "json"});
  const json report = json::parse(document.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << document.out;
  EXPECT_FALSE(contains(document.out, "subcheck-sdist-")) << document.out;
  EXPECT_EQ(report["root"], (fs::absolute(sdist).lexically_normal() / "spam-1.0").string());
  ASSERT_FALSE(report["findings"].empty());
  for (const json& finding : report["findings"]) EXPECT_EQ(finding["file"], member) << finding.dump();
}

TEST(CliScan, HostileSdistIsRefusedWithExitTwo) {
  TempDir dir;
  dir.write("evil.c", kSinglePhaseModule);
  fs::path sdist = dir.path() / "evil-1.0.tar.gz";
  // -P keeps the leading "../" that tar would otherwise strip: a zip-slip member.
  std::string command = "cd " + (dir.path() / "sub").string() + " 2>/dev/null || mkdir -p " +
                        (dir.path() / "sub").string() + "; cd " + (dir.path() / "sub").string() + " && tar -P -czf " +
                        sdist.string() + " ../evil.c";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  RunResult run = run_subcheck({"scan", sdist.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "refusing to unpack")) << run.err;
}

TEST(CliScan, BrokenLockFileIsAnError) {
  TempDir dir;
  fs::path lock = dir.write("uv.lock", "version = 1\n[[package]\n");
  RunResult run = run_subcheck({"scan", lock.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(contains(run.err, "uv.lock:2")) << run.err;
}

TEST(CliCorpus, ScansReportTheExpectedRulesInTextAndJson) {
  const std::vector<CorpusTarget> targets = covering_targets(corpus_targets());
  ASSERT_FALSE(targets.empty()) << "no corpus target with `expect:` comments under " << SUBCHECK_CORPUS_DIR;
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  for (const CorpusTarget& target : targets) {
    SCOPED_TRACE(target.path.string());
    const bool expects_error =
        std::any_of(target.expected_rules.begin(), target.expected_rules.end(), [&](const auto& id) {
          const Rule* rule = rules.find(id);
          return rule != nullptr && rule->severity == Severity::error;
        });
    RunResult text = run_subcheck({"scan", target.path.string(), "--quiet"});
    EXPECT_EQ(text.exit_code, expects_error ? 1 : 0) << text.out << text.err;
    for (const std::string& id : target.expected_rules) {
      EXPECT_TRUE(contains(text.out, "[" + id + " ")) << id << "\n" << text.out;
    }

    RunResult as_json = run_subcheck({"scan", target.path.string(), "--format", "json", "--quiet"});
    EXPECT_EQ(as_json.exit_code, text.exit_code);
    json report;
    ASSERT_NO_THROW(report = json::parse(as_json.out)) << as_json.out;
    std::set<std::string> found;
    for (const json& finding : report.at("findings")) found.insert(finding.at("rule").get<std::string>());
    EXPECT_EQ(found, target.expected_rules);
    EXPECT_EQ(report.at("summary").at("findings"), report.at("findings").size());
  }
}

// ---- in process: config and rule selection ----------------------------------------------

TEST(Config, ReadsSelectIgnoreAndFailOn) {
  ProjectConfig config = parse_project_config(
      "[tool.subcheck]\nselect = [\"SI\", \"FT003\"]\nignore = \"SI010\"\nfail-on = \"warning\"\n", "pyproject.toml");
  ASSERT_TRUE(config.select.has_value());
  EXPECT_EQ(*config.select, (std::vector<std::string>{"SI", "FT003"}));
  EXPECT_EQ(*config.ignore, (std::vector<std::string>{"SI010"}));
  EXPECT_EQ(config.fail_on, FailOn::warning);
}

TEST(Config, NoSectionMeansNothingSet) {
  ProjectConfig config = parse_project_config("[project]\nname = \"spam\"\n", "pyproject.toml");
  EXPECT_FALSE(config.select || config.ignore || config.fail_on);
}

TEST(Config, ErrorsNameTheFileAndTheKey) {
  auto message_of = [](const std::string& text) {
    try {
      parse_project_config(text, "/p/pyproject.toml");
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message_of("[tool.subcheck]\nfail-on = \"fatal\"\n"),
            "/p/pyproject.toml: [tool.subcheck] fail-on: 'fatal' is not one of error, warning, note or never");
  EXPECT_EQ(message_of("[tool.subcheck]\nfail-on = 3\n"),
            "/p/pyproject.toml: [tool.subcheck] fail-on: expected a string: error, warning, note or never");
  EXPECT_EQ(message_of("[tool.subcheck]\nselect = [1, 2]\n"),
            "/p/pyproject.toml: [tool.subcheck] select: every element must be a string");
  EXPECT_EQ(message_of("[tool.subcheck]\nignore = { SI001 = true }\n"),
            "/p/pyproject.toml: [tool.subcheck] ignore: expected an array of rule ids or names");
  EXPECT_EQ(message_of("[tool.subcheck]\nexclude = [\"vendor/*\"]\n"),
            "/p/pyproject.toml: [tool.subcheck] exclude: unknown key (known: select, ignore, fail-on)");
  EXPECT_EQ(message_of("[tool]\nsubcheck = 1\n"), "/p/pyproject.toml: [tool.subcheck] must be a table");
  EXPECT_TRUE(message_of("[tool.subcheck\n").starts_with("/p/pyproject.toml:1:")) << message_of("[tool.subcheck\n");
}

TEST(Config, PyprojectIsFoundBesideAFileOrInADirectory) {
  TempDir tree;
  const fs::path source = tree.write("spam.c", "");
  EXPECT_FALSE(project_config_path(tree.path()).has_value());
  EXPECT_FALSE(load_project_config(tree.path()).file.has_value());
  tree.write("pyproject.toml", "[tool.subcheck]\nfail-on = \"note\"\n");
  EXPECT_EQ(project_config_path(tree.path()), tree.path() / "pyproject.toml");
  EXPECT_EQ(project_config_path(source), tree.path() / "pyproject.toml");
  EXPECT_EQ(load_project_config(source).fail_on, FailOn::note);
}

TEST(Config, FailOnParsesEveryChoice) {
  EXPECT_EQ(parse_fail_on("error"), FailOn::error);
  EXPECT_EQ(parse_fail_on("warning"), FailOn::warning);
  EXPECT_EQ(parse_fail_on("note"), FailOn::note);
  EXPECT_EQ(parse_fail_on("never"), FailOn::never);
  EXPECT_FALSE(parse_fail_on("Error").has_value());
  for (FailOn value : {FailOn::note, FailOn::warning, FailOn::error, FailOn::never}) {
    EXPECT_EQ(parse_fail_on(to_string(value)), value);
  }
}

Finding finding_of(std::string rule, Severity severity) {
  Finding finding;
  finding.rule = std::move(rule);
  finding.severity = severity;
  return finding;
}

TEST(Config, ExitCodeFollowsFailOn) {
  const std::vector<Finding> warnings{finding_of("SI005", Severity::warning), finding_of("SI010", Severity::note)};
  EXPECT_EQ(exit_code_for(warnings, FailOn::error), 0);
  EXPECT_EQ(exit_code_for(warnings, FailOn::warning), 1);
  EXPECT_EQ(exit_code_for(warnings, FailOn::note), 1);
  EXPECT_EQ(exit_code_for({finding_of("SI010", Severity::note)}, FailOn::warning), 0);
  EXPECT_EQ(exit_code_for({finding_of("SI001", Severity::error)}, FailOn::error), 1);
  EXPECT_EQ(exit_code_for({finding_of("SI001", Severity::error)}, FailOn::never), 0);
  EXPECT_EQ(exit_code_for({}, FailOn::note), 0);
}

TEST(RuleSelection, PatternsMatchIdsNamesAndPrefixes) {
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  EXPECT_EQ(match_rule_pattern("SI006", rules), (std::set<std::string>{"SI006"}));
  EXPECT_EQ(match_rule_pattern("si006", rules), (std::set<std::string>{"SI006"}));
  EXPECT_EQ(match_rule_pattern("global-python-object", rules), (std::set<std::string>{"SI006"}));
  EXPECT_EQ(match_rule_pattern("SI00", rules).size(), 9u);  // SI001 … SI009
  std::set<std::string> free_threading = match_rule_pattern("FT", rules);
  EXPECT_EQ(free_threading.size(), 7u);
  EXPECT_TRUE(match_rule_pattern("SI0066", rules).empty());
  EXPECT_TRUE(match_rule_pattern("", rules).empty());
}

TEST(RuleSelection, SelectThenIgnore) {
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  RuleFilter filter = RuleFilter::from_patterns({"FT", "SI001"}, {"FT003"}, rules, "--select", "--ignore");
  EXPECT_TRUE(filter.enabled("SI001"));
  EXPECT_TRUE(filter.enabled("FT001"));
  EXPECT_FALSE(filter.enabled("FT003"));
  EXPECT_FALSE(filter.enabled("SI006"));
  EXPECT_FALSE(filter.select_all());
  EXPECT_EQ(filter.ignored_ids(), (std::vector<std::string>{"FT003"}));

  std::vector<Finding> findings{finding_of("SI001", Severity::error), finding_of("FT003", Severity::warning),
                                finding_of("SI006", Severity::warning), finding_of("FT001", Severity::error)};
  EXPECT_EQ(drop_disabled_findings(findings, filter), 2u);
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].rule, "SI001");
  EXPECT_EQ(findings[1].rule, "FT001");
}

TEST(RuleSelection, DefaultFilterEnablesEverything) {
  RuleFilter filter;
  EXPECT_TRUE(filter.select_all());
  EXPECT_TRUE(filter.enabled("SI001"));
  EXPECT_TRUE(filter.enabled("XX999"));
}

TEST(RuleSelection, UnknownPatternNamesOriginAndCloseMatches) {
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  try {
    RuleFilter::from_patterns({}, {"borowed-reference-api"}, rules, "--select", "--ignore");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_TRUE(std::string(error.what())
                    .starts_with(
                        "--ignore: 'borowed-reference-api' names no rule; did you mean FT003 (borrowed-reference-api)"))
        << error.what();
  }
}

}  // namespace
}  // namespace subcheck

// ---- scan --probe: static and dynamic evidence side by side ----------------------------

namespace subcheck {
namespace {

// The prober corpus built for one interpreter (corpus/prober/CMakeLists.txt).
std::optional<json> corpus_interpreter(const std::string& tag) {
  std::ifstream in(SUBCHECK_PROBER_CORPUS_INDEX);
  json index = json::parse(in, nullptr, false);
  if (index.is_discarded()) return std::nullopt;
  for (const json& interpreter : index["interpreters"]) {
    if (interpreter["tag"] == tag) return std::make_optional(interpreter);
  }
  return std::nullopt;
}

// A tree with a module's source and the binary built from it, as after `pip install -e .`.
void add_built_module(const TempDir& tree, const json& interpreter, const std::string& module,
                      const std::string& source_text) {
  tree.write(module + ".c", source_text);
  fs::path built =
      fs::path(interpreter["module_dir"].get<std::string>()) / (module + interpreter["ext_suffix"].get<std::string>());
  fs::copy_file(built, tree.path() / built.filename());
}

const json* cross_check_for(const json& report, const std::string& module, const std::string& kind) {
  for (const json& check : report["cross_checks"]) {
    if (check["module"] == module && check["kind"] == kind) return &check;
  }
  return nullptr;
}

class CliScanProbe : public ::testing::TestWithParam<std::string> {};

TEST_P(CliScanProbe, ShowsDynamicVerdictsAndFlagsWhereTheyDisagreeWithTheSources) {
  std::optional<json> interpreter = corpus_interpreter(GetParam());
  if (!interpreter) {
    GTEST_SKIP() << "no prober corpus built for " << GetParam() << " (" << SUBCHECK_PROBER_CORPUS_INDEX << "): CPython "
                 << GetParam() << " was not found when CMake ran";
  }
  if (GetParam() == "3.12") GTEST_SKIP() << "the sources below use Py_mod_gil, which CPython 3.12's headers lack";
  const bool free_threaded = (*interpreter)["free_threaded"].get<bool>();
  TempDir tree;
  // The real source: a per-interpreter-GIL claim with a static type. The probe sees the
  // type shared by two interpreters, confirming the analyzer's SI004.
  add_built_module(tree, *interpreter, "probe_static_type",
                   read_file(fs::path(SUBCHECK_CORPUS_DIR) / "prober/probe_static_type.c"));
  // A source that claims per-interpreter GIL support beside a binary built without the
  // slot (stale build, wrong branch): isolated subinterpreters refuse the binary.
  add_built_module(tree, *interpreter, "probe_multiphase_no_slot", R"(#include <Python.h>
static PyModuleDef_Slot slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "probe_multiphase_no_slot", .m_slots = slots};
PyMODINIT_FUNC PyInit_probe_multiphase_no_slot(void) { return PyModuleDef_Init(&def); }
)");

  RunResult run =
      run_subcheck({"scan", tree.path().string(), "--probe", "--python", (*interpreter)["python"].get<std::string>(),
                    "--no-stress", "--timeout", "20", "--format", "json", "--quiet"});
  ASSERT_EQ(run.exit_code, 1) << run.err;
  json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;

  std::map<std::string, std::string> dynamic;
  for (const json& module : report["dynamic"]["modules"]) dynamic[module["module"]] = module["subinterpreters"];
  EXPECT_EQ(dynamic["probe_static_type"], "supported") << report["dynamic"].dump(2);
  EXPECT_EQ(dynamic["probe_multiphase_no_slot"], "shared-gil-only") << report["dynamic"].dump(2);

  const json* confirmed = cross_check_for(report, "probe_static_type", "confirmed");
  ASSERT_NE(confirmed, nullptr) << report["cross_checks"].dump(2);
  EXPECT_TRUE(contains((*confirmed)["message"], "StaticThing")) << confirmed->dump();
  const json* disagreement = cross_check_for(report, "probe_multiphase_no_slot", "disagreement");
  ASSERT_NE(disagreement, nullptr) << report["cross_checks"].dump(2);
  // A GIL build compares the subinterpreter verdicts: isolated ones refused the binary. A
  // free-threaded build compares the GIL: the binary without the slot turned it on.
  EXPECT_TRUE(contains((*disagreement)["message"], free_threaded ? "enabled the GIL" : "refused"))
      << disagreement->dump();
  // And the cause, read from the binary itself: its PyModuleDef has no slot where the
  // sources have one. The matching pair (probe_static_type) has no such line.
  auto declared_differs = [&](const std::string& module, const std::string& slot) {
    for (const json& check : report["cross_checks"])
      if (check["module"] == module && contains(check["message"], "does not declare what the scanned sources do") &&
          contains(check["message"], slot + ": the sources say"))
        return true;
    return false;
  };
  EXPECT_TRUE(declared_differs("probe_multiphase_no_slot", "Py_mod_multiple_interpreters"))
      << report["cross_checks"].dump(2);
  EXPECT_EQ(declared_differs("probe_multiphase_no_slot", "Py_mod_gil"), free_threaded)
      << report["cross_checks"].dump(2);
  EXPECT_FALSE(declared_differs("probe_static_type", "Py_mod_multiple_interpreters")) << report["cross_checks"].dump(2);
}

// The first GIL interpreter the prober corpus was built for.
std::optional<json> gil_corpus_interpreter() {
  for (const char* tag : {"3.13", "3.12", "3.14", "3.15"}) {
    if (std::optional<json> interpreter = corpus_interpreter(tag)) return interpreter;
  }
  return std::nullopt;
}

// Copies the prober corpus module `name`, built for `interpreter`, into `tree`.
void copy_built_module(const json& interpreter, const std::string& name, const TempDir& tree) {
  const std::string file = name + interpreter["ext_suffix"].get<std::string>();
  fs::copy_file(fs::path(interpreter["module_dir"].get<std::string>()) / file, tree.path() / file);
}

// A directory with built modules and no source: `scan` probes it as a wheel and says why;
// `probe` takes the output options `scan` has, --no-color included.
TEST(CliProbe, ScanOfADirectoryOfBuiltModulesOnlyProbesThem) {
  const std::optional<json> interpreter = gil_corpus_interpreter();
  if (!interpreter)
    GTEST_SKIP() << "no prober corpus built for a GIL interpreter (" << SUBCHECK_PROBER_CORPUS_INDEX << ")";
  TempDir tree;
  copy_built_module(*interpreter, "probe_isolated", tree);
  const std::string python = (*interpreter)["python"].get<std::string>();
  const std::string tag = (*interpreter)["tag"].get<std::string>();

  RunResult scan = run_subcheck({"scan", tree.path().string(), "--python", python, "--no-stress", "--no-color"});
  EXPECT_EQ(scan.exit_code, 0) << scan.out << scan.err;
  EXPECT_TRUE(contains(scan.err, "no C or C++ sources found; probing its built extension modules")) << scan.err;
  EXPECT_TRUE(contains(scan.out, "covered: probes: " + tag + ": ")) << scan.out;

  RunResult document =
      run_subcheck({"scan", tree.path().string(), "--python", python, "--no-stress", "--quiet", "--format", "json"});
  EXPECT_EQ(document.exit_code, 0) << document.err;
  EXPECT_TRUE(document.err.empty()) << document.err;
  const json report = json::parse(document.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << document.out;
  EXPECT_EQ(report["coverage"]["probes"][0]["python"], tag) << report.dump(2);

  RunResult probe = run_subcheck({"probe", tree.path().string(), "--python", python, "--no-stress", "--no-color"});
  EXPECT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_TRUE(contains(probe.out, "covered: probes: " + tag + ": ")) << probe.out;
  EXPECT_TRUE(contains(run_subcheck({"probe", "--help"}).out, "--no-color"));
}

// A wheel is unpacked into a private directory removed when the probe ends: the report
// names each module's file inside the wheel, as Python's zipimport names `__file__`.
TEST(CliProbe, WheelModulesAreNamedInsideTheWheel) {
  std::optional<json> interpreter = corpus_interpreter("3.13");
  if (!interpreter) GTEST_SKIP() << "no prober corpus built for 3.13 (" << SUBCHECK_PROBER_CORPUS_INDEX << ")";
  TempDir tree;
  const std::string so_name = "probe_isolated" + (*interpreter)["ext_suffix"].get<std::string>();
  fs::copy_file(fs::path((*interpreter)["module_dir"].get<std::string>()) / so_name, tree.path() / so_name);
  tree.write("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n");
  tree.write("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n");
  tree.write("demo-1.0.dist-info/RECORD", "");
  const fs::path wheel = tree.path() / "demo-1.0-cp313-cp313-linux_x86_64.whl";
  const std::string zip = "cd " + tree.path().string() + " && /usr/bin/python3 -m zipfile -c " + wheel.string() + " " +
                          so_name + " demo-1.0.dist-info";
  ASSERT_EQ(std::system(zip.c_str()), 0) << zip;

  RunResult run = run_subcheck({"probe", wheel.string(), "--python", (*interpreter)["python"].get<std::string>(),
                                "--no-stress", "--quiet", "--format", "json"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;
  EXPECT_FALSE(contains(run.out, "subcheck-wheel-")) << run.out;
  EXPECT_TRUE(contains(run.out, "\"" + (fs::absolute(wheel).lexically_normal() / so_name).string() + "\"")) << run.out;
}

// `subcheck audit DIR`: one verdict per distribution (its worst module's), pure-Python
// distributions left out, and a distribution whose files cannot be told makes the answer
// incomplete (exit 3), never a pass.
TEST(CliAudit, OneVerdictPerDistributionAndAnUnreadableOneIsIncomplete) {
  std::optional<json> interpreter = corpus_interpreter("3.13");
  if (!interpreter) GTEST_SKIP() << "no prober corpus built for 3.13 (" << SUBCHECK_PROBER_CORPUS_INDEX << ")";
  const fs::path built((*interpreter)["module_dir"].get<std::string>());
  const std::string suffix = (*interpreter)["ext_suffix"].get<std::string>();
  TempDir site;
  // "good" ships a module that loads in isolated subinterpreters; "mixed" adds one that
  // refuses them, so the distribution is as usable as that one.
  for (const char* name : {"probe_isolated", "probe_multiphase_not_supported"})
    fs::copy_file(built / (name + suffix), site.path() / (name + suffix));
  site.write("good-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: good\nVersion: 1.0\n");
  site.write("good-1.0.dist-info/RECORD", "probe_isolated" + suffix + ",,\n");
  site.write("mixed-2.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: mixed\nVersion: 2.0\n");
  site.write("mixed-2.0.dist-info/RECORD",
             "probe_isolated" + suffix + ",,\nprobe_multiphase_not_supported" + suffix + ",,\n");
  site.write("purepy-3.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: purepy\nVersion: 3.0\n");
  site.write("purepy-3.0.dist-info/RECORD", "purepy.py,,\n");
  site.write("purepy.py", "");
  const std::string python = (*interpreter)["python"].get<std::string>();

  RunResult run = run_subcheck({"audit", site.path().string(), "--python", python, "--no-stress", "--format", "json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;  // mixed cannot be used in subinterpreters
  EXPECT_TRUE(contains(
      run.err, "3 distributions in " + site.path().string() + ", 2 with extension modules (3 modules) to probe"))
      << run.err;
  const json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;
  ASSERT_EQ(report["distributions"].size(), 2u) << report["distributions"].dump(2);
  const json& good = report["distributions"][0];
  const json& mixed = report["distributions"][1];
  EXPECT_EQ(good["distribution"], "good");
  EXPECT_EQ(good["subinterpreters"], "supported");
  EXPECT_EQ(good["blocking_modules"], json::array());
  EXPECT_EQ(mixed["distribution"], "mixed");
  EXPECT_EQ(mixed["modules"], 2);
  EXPECT_EQ(mixed["subinterpreters"], "unsupported");
  EXPECT_EQ(mixed["blocking_modules"], json::array({"probe_multiphase_not_supported"}));
  EXPECT_EQ(mixed["free_threading"], "not-tested");  // a GIL build cannot say

  RunResult text = run_subcheck({"audit", site.path().string(), "--python", python, "--no-stress", "--no-color"});
  EXPECT_TRUE(contains(text.out, "1 of 2 distributions with extension modules would not load")) << text.out;
  RunResult markdown =
      run_subcheck({"audit", site.path().string(), "--python", python, "--no-stress", "--format", "markdown"});
  EXPECT_TRUE(contains(markdown.out, "### Distributions")) << markdown.out;
  EXPECT_TRUE(contains(markdown.out, "| mixed | " + (*interpreter)["tag"].get<std::string>() +
                                         " | 2 | ❌ unsupported | ➖ not-tested |"))
      << markdown.out;

  // Without "mixed", everything probed passes; a distribution nothing says the files of
  // turns that into "incomplete", not into a pass.
  fs::remove_all(site.path() / "mixed-2.0.dist-info");
  site.write("opaque-4.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: opaque\nVersion: 4.0\n");
  RunResult gated = run_subcheck({"audit", site.path().string(), "--python", python, "--no-stress", "--quiet"});
  EXPECT_EQ(gated.exit_code, 3) << gated.out << gated.err;
  EXPECT_TRUE(contains(gated.out, "opaque-4.0.dist-info")) << gated.out;
  RunResult accepted =
      run_subcheck({"audit", site.path().string(), "--python", python, "--no-stress", "--fail-on", "never"});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
}

// Debian's dist-packages holds each module once per supported Python: the file built for
// another one is never imported here and does not decide the distribution's verdict, unless
// the distribution has nothing built for this Python.
TEST(CliAudit, FilesBuiltForAnotherPythonCountOnlyWhenNothingIsBuiltForThisOne) {
  const std::optional<json> here = corpus_interpreter("3.13");
  std::optional<json> other = corpus_interpreter("3.12");
  if (!other) other = corpus_interpreter("3.13t");
  if (!here || !other) GTEST_SKIP() << "needs the prober corpus built for 3.13 and 3.12 or 3.13t";
  TempDir site;
  copy_built_module(*here, "probe_isolated", site);
  copy_built_module(*other, "probe_isolated", site);
  copy_built_module(*other, "probe_multiphase_not_supported", site);
  const std::string suffix = (*here)["ext_suffix"], other_suffix = (*other)["ext_suffix"];
  site.write("twin-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: twin\nVersion: 1.0\n");
  site.write("twin-1.0.dist-info/RECORD", "probe_isolated" + suffix + ",,\nprobe_isolated" + other_suffix + ",,\n");
  site.write("elsewhere-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: elsewhere\nVersion: 1.0\n");
  site.write("elsewhere-1.0.dist-info/RECORD", "probe_multiphase_not_supported" + other_suffix + ",,\n");
  RunResult run = run_subcheck({"audit", site.path().string(), "--python", (*here)["python"].get<std::string>(),
                                "--no-stress", "--format", "json", "--fail-on", "never"});
  const json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out << run.err;
  ASSERT_EQ(report["distributions"].size(), 2u) << report["distributions"].dump(2);
  const json& elsewhere = report["distributions"][0];
  const json& twin = report["distributions"][1];
  EXPECT_EQ(twin["distribution"], "twin");
  EXPECT_EQ(twin["subinterpreters"], "supported") << twin.dump();
  EXPECT_EQ(twin["modules"], 1);
  EXPECT_EQ(twin["blocking_modules"], json::array());
  EXPECT_EQ(elsewhere["distribution"], "elsewhere");
  EXPECT_EQ(elsewhere["subinterpreters"], "abi-mismatch") << elsewhere.dump();  // never a pass
}

// Every verdict passes, yet the module declares per-interpreter GIL support and calls
// PyGILState_*: the contradiction alone fails the run, and every format says so.
TEST(CliProbe, AContradictionFailsTheRunWhenEveryVerdictPasses) {
  const std::optional<json> interpreter = gil_corpus_interpreter();
  if (!interpreter)
    GTEST_SKIP() << "no prober corpus built for a GIL interpreter (" << SUBCHECK_PROBER_CORPUS_INDEX << ")";
  TempDir tree;
  copy_built_module(*interpreter, "probe_isolated_gilstate", tree);
  const std::string python = (*interpreter)["python"].get<std::string>();
  const fs::path junit = tree.path() / "report.xml";
  RunResult run = run_subcheck({"probe", tree.path().string(), "--python", python, "--no-stress", "--format", "json",
                                "--output-junit", junit.string()});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;
  ASSERT_EQ(report["modules"].size(), 1u);
  EXPECT_EQ(report["modules"][0]["subinterpreters"], "supported");
  EXPECT_EQ(report["contradictions"][0]["id"], "declared-subinterpreters-uses-gilstate");
  EXPECT_TRUE(contains(read_file(junit), "type=\"declared-subinterpreters-uses-gilstate\"")) << read_file(junit);
  RunResult markdown =
      run_subcheck({"probe", tree.path().string(), "--python", python, "--no-stress", "--format", "markdown"});
  EXPECT_TRUE(contains(markdown.out, "subinterpreters `declared-subinterpreters-uses-gilstate`")) << markdown.out;
  RunResult accepted =
      run_subcheck({"probe", tree.path().string(), "--python", python, "--no-stress", "--fail-on", "never", "--quiet"});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
}

// A --python that names no interpreter: the others are probed, and the answer is incomplete (3).
TEST(CliProbe, AnInterpreterAskedForAndNotFoundMakesTheAnswerIncomplete) {
  const std::optional<json> interpreter = gil_corpus_interpreter();
  if (!interpreter)
    GTEST_SKIP() << "no prober corpus built for a GIL interpreter (" << SUBCHECK_PROBER_CORPUS_INDEX << ")";
  TempDir tree;
  copy_built_module(*interpreter, "probe_isolated", tree);
  const std::string python = (*interpreter)["python"].get<std::string>();
  const std::string tag = (*interpreter)["tag"].get<std::string>();
  RunResult all_found = run_subcheck({"probe", tree.path().string(), "--python", python, "--no-stress", "--quiet"});
  EXPECT_EQ(all_found.exit_code, 0) << all_found.out << all_found.err;
  EXPECT_TRUE(contains(all_found.out, "covered: probes: " + tag + ": ")) << all_found.out;
  EXPECT_FALSE(contains(all_found.out, "incomplete:")) << all_found.out;

  const fs::path missing = tree.path() / "no-such-python3.99";
  RunResult one_missing = run_subcheck(
      {"probe", tree.path().string(), "--python", python, "--python", missing.string(), "--no-stress", "--quiet"});
  EXPECT_EQ(one_missing.exit_code, 3) << one_missing.out << one_missing.err;
  EXPECT_TRUE(contains(one_missing.out, "incomplete: interpreter not found: ")) << one_missing.out;
  EXPECT_TRUE(contains(one_missing.out, "no-such-python3.99")) << one_missing.out;

  RunResult accepted = run_subcheck({"probe", tree.path().string(), "--python", python, "--python", missing.string(),
                                     "--no-stress", "--quiet", "--fail-on", "never", "--format", "json"});
  EXPECT_EQ(accepted.exit_code, 0) << accepted.err;
  const json report = json::parse(accepted.out);
  ASSERT_EQ(report["coverage"]["incomplete"].size(), 1u) << report["coverage"].dump(2);
  EXPECT_EQ(report["coverage"]["probes"][0]["python"], tag);

  // The same run as a job summary: the probe table, and the reason the answer is incomplete.
  RunResult summary = run_subcheck({"probe", tree.path().string(), "--python", python, "--python", missing.string(),
                                    "--no-stress", "--quiet", "--format", "markdown"});
  EXPECT_EQ(summary.exit_code, 3) << summary.err;
  EXPECT_TRUE(contains(summary.out, "| `probe_isolated` | " + tag + " | ✅ supported | ")) << summary.out;
  EXPECT_TRUE(contains(summary.out, "- ❔ **incomplete:** interpreter not found: ")) << summary.out;
}

// Started from `/` or `/usr`, libclang once took the relative resource directory
// lib/clang/<N> that exists there and found no builtin header (stddef.h): every module
// became `unknown`. subcheck passes an absolute -resource-dir.
TEST(CliScan, ReadsTheSameFromAnyWorkingDirectory) {
  TempDir tree;
  tree.write("multiphase_isolated.c", read_file(fs::path(SUBCHECK_CORPUS_DIR) / "multiphase_isolated.c"));
  for (const fs::path cwd : {"/", "/usr", "/usr/lib"}) {
    RunResult run = run_subcheck({"scan", tree.path().string(), "--format", "json", "--quiet"}, cwd);
    ASSERT_EQ(run.exit_code, 0) << "from " << cwd << ": " << run.err;
    json report = json::parse(run.out, nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << run.out;
    ASSERT_EQ(report["modules"].size(), 1u) << run.out;
    EXPECT_EQ(report["modules"][0]["verdicts"]["subinterpreters"], "supported") << "from " << cwd;
    EXPECT_EQ(report["modules"][0]["verdicts"]["free_threading"], "gil-free") << "from " << cwd;
  }
}

// The headers of each interpreter number the module slots their own way (3.15: 84-87
// instead of 1-4, docs/cpython-behaviour.md #22); the declared slots must be read the same.
class CliScanHeaders : public ::testing::TestWithParam<std::string> {};

TEST_P(CliScanHeaders, ReadsTheDeclaredSlotsWithThisInterpretersHeaders) {
  std::optional<json> interpreter = corpus_interpreter(GetParam());
  if (!interpreter) {
    GTEST_SKIP() << "no prober corpus built for " << GetParam() << " (" << SUBCHECK_PROBER_CORPUS_INDEX << "): CPython "
                 << GetParam() << " was not found when CMake ran";
  }
  if (GetParam() == "3.12") GTEST_SKIP() << "the module uses Py_mod_gil, which CPython 3.12's headers lack";
  TempDir tree;
  tree.write("multiphase_isolated.c", read_file(fs::path(SUBCHECK_CORPUS_DIR) / "multiphase_isolated.c"));
  RunResult run = run_subcheck({"scan", tree.path().string(), "--python", (*interpreter)["python"].get<std::string>(),
                                "--format", "json", "--quiet"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;
  ASSERT_EQ(report["modules"].size(), 1u) << run.out;
  const json& module = report["modules"][0];
  EXPECT_EQ(module["multiple_interpreters"], "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED") << module.dump(2);
  EXPECT_EQ(module["gil"], "Py_MOD_GIL_NOT_USED") << module.dump(2);
  EXPECT_EQ(module["verdicts"]["subinterpreters"], "supported") << module.dump(2);
  EXPECT_EQ(module["verdicts"]["free_threading"], "gil-free") << module.dump(2);
  EXPECT_TRUE(module["configs"]["gil"]["has_exec_slot"].get<bool>()) << module.dump(2);
}

// 3.15's export hooks (PEP 793, docs/cpython-behaviour.md #22). probe_modexport.c has a
// PyModExport_ hook behind `#if PY_VERSION_HEX >= 0x030F0000` and a single-phase PyInit_:
// with 3.15's headers the module is the hook's (isolated, no GIL) and PyInit_ is what
// older Pythons would import; with older headers only PyInit_ is there.
class CliScanExportHook : public ::testing::TestWithParam<std::string> {};

TEST_P(CliScanExportHook, ThreePointFifteenSeesTheHookAndKeepsPyInitAsTheFallback) {
  std::optional<json> interpreter = corpus_interpreter(GetParam());
  if (!interpreter) {
    GTEST_SKIP() << "no prober corpus built for " << GetParam() << " (" << SUBCHECK_PROBER_CORPUS_INDEX << "): CPython "
                 << GetParam() << " was not found when CMake ran";
  }
  TempDir tree;
  tree.write("probe_modexport.c", read_file(fs::path(SUBCHECK_CORPUS_DIR) / "prober" / "probe_modexport.c"));
  const std::string python = (*interpreter)["python"].get<std::string>();
  RunResult run = run_subcheck({"scan", tree.path().string(), "--python", python, "--format", "json", "--quiet"});
  json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out << run.err;
  ASSERT_EQ(report["modules"].size(), 1u) << run.out;
  const json& module = report["modules"][0];
  if (GetParam() != "3.15") {
    EXPECT_EQ(run.exit_code, 1) << run.err;  // SI001: single-phase
    EXPECT_EQ(module["init"], "single-phase") << module.dump(2);
    EXPECT_TRUE(module["pyinit_fallback"].is_null()) << module.dump(2);
    return;
  }
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;  // the single-phase PyInit_ is not what 3.15 imports
  EXPECT_EQ(module["init"], "export") << module.dump(2);
  const std::string source = read_file(tree.path() / "probe_modexport.c");
  const auto hook_line =
      1 + std::count(source.begin(), source.begin() + source.find("PyModExport_probe_modexport(void)"), '\n');
  EXPECT_EQ(module["line"], hook_line) << "reported at PyModExport_probe_modexport: " << module.dump(2);
  EXPECT_EQ(module["multiple_interpreters"], "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED") << module.dump(2);
  EXPECT_EQ(module["gil"], "Py_MOD_GIL_NOT_USED") << module.dump(2);
  EXPECT_EQ(module["verdicts"]["subinterpreters"], "supported") << module.dump(2);
  EXPECT_EQ(module["verdicts"]["free_threading"], "gil-free") << module.dump(2);
  EXPECT_EQ(module["configs"]["gil"]["slots"]["name"], "modexport_slots") << module.dump(2);
  EXPECT_EQ(module["pyinit_fallback"]["gil"]["init"], "single-phase") << module.dump(2);

  RunResult text = run_subcheck({"scan", tree.path().string(), "--python", python, "--quiet"});
  EXPECT_TRUE(contains(text.out, "export (PyInit: single-phase)")) << text.out;
}

// corpus/export_hook declares 3.15's PySlot and PyMODEXPORT_FUNC itself below 3.15 and
// takes them from the headers on 3.15 (where the module slot ids are 84-87, not 1-4):
// every interpreter's headers must give the same answer.
TEST_P(CliScanExportHook, ReadsTheHookSlotsTheSameWithThisInterpretersHeaders) {
  std::optional<json> interpreter = corpus_interpreter(GetParam());
  if (!interpreter) {
    GTEST_SKIP() << "no prober corpus built for " << GetParam() << " (" << SUBCHECK_PROBER_CORPUS_INDEX << "): CPython "
                 << GetParam() << " was not found when CMake ran";
  }
  if (GetParam() == "3.12") GTEST_SKIP() << "the modules use Py_mod_gil, which CPython 3.12's headers lack";
  RunResult run = run_subcheck({"scan", (fs::path(SUBCHECK_CORPUS_DIR) / "export_hook").string(), "--python",
                                (*interpreter)["python"].get<std::string>(), "--format", "json", "--quiet"});
  json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out << run.err;
  std::map<std::string, std::string> seen;
  for (const json& module : report["modules"]) {
    seen[module["name"].get<std::string>()] =
        module["init"].get<std::string>() + " " + module["multiple_interpreters"].get<std::string>() + " " +
        module["gil"].get<std::string>() + " " + module["verdicts"]["subinterpreters"].get<std::string>() + " " +
        module["verdicts"]["free_threading"].get<std::string>();
  }
  const std::map<std::string, std::string> expected{
      {"export_isolated", "export Py_MOD_PER_INTERPRETER_GIL_SUPPORTED Py_MOD_GIL_NOT_USED supported gil-free"},
      {"export_hazards", "export absent absent shared-gil-only requires-gil"},
  };
  EXPECT_EQ(seen, expected) << run.out;
  std::multiset<std::string> rules;
  for (const json& finding : report["findings"]) rules.insert(finding["rule"].get<std::string>());
  EXPECT_EQ(rules, (std::multiset<std::string>{"FT001", "SI002", "SI006"})) << run.out;
}

// Shapes the corpus does not spell: positional PySlot entries (PySlot_PTR, for C++ before
// designated initialisers), `&slots[0]` returned by a helper the hook calls, and a
// PyInit_ beside the hook in the same file (docs/cpython-behaviour.md #22).
TEST(CliScanExportHookShapes, PositionalSlotsThroughAHelperAndAPyInitBesideTheHook) {
  TempDir tree;
  tree.write("pep793_compat.h", read_file(fs::path(SUBCHECK_CORPUS_DIR) / "export_hook" / "pep793_compat.h"));
  tree.write("both.c", R"(#include "pep793_compat.h"
#ifndef PySlot_PTR
#define PySlot_PTR(NAME, VALUE) {(NAME), PySlot_INTPTR, {0}, {(void*)(VALUE)}}
#endif
static PySlot both_slots[] = {
    PySlot_PTR(Py_mod_name, "both"),
    PySlot_PTR(Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED),
    PySlot_PTR(Py_mod_gil, Py_MOD_GIL_NOT_USED),
    PySlot_END,
};
static PySlot *slots_of_both(void) { return &both_slots[0]; }
PyMODEXPORT_FUNC PyModExport_both(void) { return slots_of_both(); }

static struct PyModuleDef both_def = {PyModuleDef_HEAD_INIT, "both", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_both(void) { return PyModule_Create(&both_def); }
)");
  RunResult run = run_subcheck({"scan", tree.path().string(), "--format", "json", "--quiet"});
  json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out << run.err;
  ASSERT_EQ(report["modules"].size(), 1u) << run.out;
  const json& module = report["modules"][0];
  EXPECT_EQ(module["init"], "export") << module.dump(2);
  EXPECT_EQ(module["line"], 12) << "at the hook: " << module.dump(2);
  EXPECT_EQ(module["multiple_interpreters"], "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED") << module.dump(2);
  EXPECT_EQ(module["gil"], "Py_MOD_GIL_NOT_USED") << module.dump(2);
  EXPECT_EQ(module["configs"]["gil"]["slots"]["name"], "both_slots") << module.dump(2);
  EXPECT_EQ(module["pyinit_fallback"]["gil"]["init"], "single-phase") << module.dump(2);
  EXPECT_EQ(module["pyinit_fallback"]["free-threaded"]["init"], "single-phase") << module.dump(2);
  EXPECT_TRUE(report["findings"].empty()) << "what 3.15 imports is isolated: " << run.out;
  EXPECT_EQ(run.exit_code, 0) << run.err;
}

// A hook whose slots are built at run time declares nothing subcheck can read: the module
// is unknown, with a diagnostic that names the hook, never judged by the defaults.
TEST(CliScanExportHookShapes, SlotsBuiltAtRunTimeLeaveTheModuleUnknown) {
  TempDir tree;
  tree.write("pep793_compat.h", read_file(fs::path(SUBCHECK_CORPUS_DIR) / "export_hook" / "pep793_compat.h"));
  tree.write("dyn.c", R"(#include "pep793_compat.h"
#include <stdlib.h>
PyMODEXPORT_FUNC PyModExport_dyn(void) { return calloc(4, sizeof(PySlot)); }
)");
  RunResult run = run_subcheck({"scan", tree.path().string(), "--format", "json", "--quiet"});
  json report = json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out << run.err;
  ASSERT_EQ(report["modules"].size(), 1u) << run.out;
  EXPECT_EQ(report["modules"][0]["init"], "unknown") << run.out;
  EXPECT_EQ(report["modules"][0]["verdicts"]["subinterpreters"], "unknown") << run.out;
  EXPECT_TRUE(report["findings"].empty()) << run.out;
  EXPECT_EQ(run.exit_code, 3) << run.err;
  ASSERT_EQ(report["diagnostics"].size(), 1u) << run.out;
  EXPECT_TRUE(contains(report["diagnostics"][0]["message"], "PyModExport_dyn returns no slot array"))
      << report["diagnostics"].dump(2);
}

INSTANTIATE_TEST_SUITE_P(Interpreters, CliScanExportHook, ::testing::ValuesIn(test::kInterpreterTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

// ---- Report formats (cli/report_formats.h): SARIF, GitHub annotations, Markdown, and several at once.

const json* sarif_result(const json& sarif, const std::string& rule, bool suppressed) {
  for (const json& result : sarif["runs"][0]["results"]) {
    if (result["ruleId"] == rule && result.contains("suppressions") == suppressed) return &result;
  }
  return nullptr;
}

TEST(CliFormats, SarifFingerprintsSurviveAnUnrelatedEditAndSuppressedFindingsAreMarked) {
  TempDir tree;
  std::string source = kSinglePhaseModule;
  source.insert(source.find("static PyObject *\nspam_name"),
                "static PyObject *quiet_one; // subcheck: ignore[SI006]\n\n");
  source.insert(source.find("    return Py_NewRef(cached_name);"), "    quiet_one = PyTuple_New(0);\n");
  tree.write("spam.c", source);
  RunResult before = run_subcheck({"scan", tree.path().string(), "--format", "sarif", "--quiet"}, tree.path());
  ASSERT_EQ(before.exit_code, 1) << before.err;
  const json first = json::parse(before.out);
  EXPECT_EQ(first["version"], "2.1.0");
  const json* kept = sarif_result(first, "SI006", false);
  const json* silenced = sarif_result(first, "SI006", true);
  ASSERT_NE(kept, nullptr) << before.out;
  ASSERT_NE(silenced, nullptr) << before.out;
  EXPECT_EQ((*silenced)["suppressions"][0]["kind"], "inSource");
  const json& location = (*kept)["locations"][0]["physicalLocation"];
  EXPECT_EQ(location["artifactLocation"]["uri"], "spam.c");
  EXPECT_EQ(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
  EXPECT_EQ(location["region"]["startLine"], 3);
  std::set<std::string> fingerprints;
  for (const json& result : first["runs"][0]["results"]) {
    EXPECT_TRUE(fingerprints.insert(result["partialFingerprints"]["subcheckFinding/v1"].get<std::string>()).second)
        << "two results share a fingerprint: " << result.dump();
  }

  // Lines added above and the finding's own line re-indented: the line number moves, the fingerprint does not.
  std::string edited = "/* a licence header\n * of four\n * lines\n */\n" + source;
  edited.replace(edited.find("static PyObject *cached_name;"), 29, "static  PyObject   *cached_name;");
  tree.write("spam.c", edited);
  RunResult after = run_subcheck({"scan", tree.path().string(), "--format", "sarif", "--quiet"}, tree.path());
  const json second = json::parse(after.out);
  const json* moved = sarif_result(second, "SI006", false);
  ASSERT_NE(moved, nullptr) << after.out;
  EXPECT_EQ((*moved)["locations"][0]["physicalLocation"]["region"]["startLine"], 7);
  EXPECT_EQ((*moved)["partialFingerprints"], (*kept)["partialFingerprints"]);
  EXPECT_EQ((*sarif_result(second, "SI006", true))["partialFingerprints"], (*silenced)["partialFingerprints"]);
}

// GitHub's runner reads %25 %0D %0A in messages, and also %3A %2C in properties.
std::string unescape_github(std::string text) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"%0D", "\r"}, {"%0A", "\n"}, {"%3A", ":"}, {"%2C", ","}, {"%25", "%"}}) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return text;
}

TEST(CliFormats, GithubAnnotationsEscapeMessagesAndProperties) {
  TempDir tree;
  std::string hidden = kModuleBehindAMissingHeader;
  hidden.replace(hidden.find("vendor_sdk.h"), 12, "vendor%sdk.h");
  tree.write("odd,na:me%.c", hidden);
  tree.write("spam.c", kSinglePhaseModule);
  const fs::path report_file = tree.path() / "report.json";
  RunResult run =
      run_subcheck({"scan", ".", "--format", "github", "--output-json", report_file.string(), "--quiet"}, tree.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const json report = json::parse(read_file(report_file));
  std::istringstream lines(run.out);
  std::size_t annotations = 0, with_odd_file = 0, hints = 0;
  bool diagnostic_message = false;
  for (std::string line; std::getline(lines, line);) {
    ++annotations;
    EXPECT_TRUE(line.starts_with("::error ") || line.starts_with("::warning ") || line.starts_with("::notice "))
        << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    const std::size_t end = line.find("::", 2);
    ASSERT_NE(end, std::string::npos) << line;
    const std::string properties = line.substr(line.find(' ') + 1, end - line.find(' ') - 1);
    const std::string message = line.substr(end + 2);
    // Properties are split at raw commas and ':' never appears raw in them.
    EXPECT_EQ(properties.find(':'), std::string::npos) << line;
    if (properties.starts_with("file=odd%2Cna%3Ame%25.c,")) ++with_odd_file;
    if (unescape_github(message).find("'vendor%sdk.h' file not found") != std::string::npos) {
      diagnostic_message = true;
      EXPECT_NE(message.find("vendor%25sdk.h"), std::string::npos) << line;
    }
    if (message.find("%0A") != std::string::npos) ++hints;
  }
  EXPECT_GE(with_odd_file, 2u) << run.out;  // the missing header and the unknown module
  EXPECT_TRUE(diagnostic_message) << run.out;
  EXPECT_GE(hints, report["findings"].size()) << run.out;  // every finding carries its hint on a second line
  // One line per finding and diagnostic, the coverage notice and one per incomplete reason.
  EXPECT_EQ(annotations,
            report["findings"].size() + report["diagnostics"].size() + 1 + report["coverage"]["incomplete"].size())
      << run.out;
}

TEST(CliFormats, MarkdownSummaryStaysUnderOneMebibyteAndSaysWhatItCut) {
  TempDir tree;
  std::string source = kSinglePhaseModule;
  const std::string padding(150, 'x');
  std::string assignments = "\nvoid\nset_globals(void)\n{\n";
  for (int i = 0; i < 7000; ++i) {
    const std::string name = "global_" + std::to_string(i) + "_" + padding;
    source += "static PyObject *" + name + ";\n";
    // A new object each time (Py_None alone would be one value for the whole process).
    assignments += "    " + name + " = PyTuple_New(0);\n";
  }
  // Handed on through a global, so the module can run it: writes in a function it never
  // runs are not findings.
  source += assignments + "}\nvoid (*set_globals_hook)(void) = set_globals;\n";
  tree.write("big.c", source);
  const fs::path report_file = tree.path() / "report.json";
  RunResult run = run_subcheck({"scan", "big.c", "--format", "markdown", "--output-json", report_file.string(),
                                "--quiet", "--max-file-size", "16"},
                               tree.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const json report = json::parse(read_file(report_file));
  const std::size_t findings = report["findings"].size();
  ASSERT_GT(findings, 7000u);
  EXPECT_LE(run.out.size(), 1000u * 1000u);
  EXPECT_GT(run.out.size(), 900u * 1000u) << "the cap should cut late, not early";
  EXPECT_TRUE(contains(run.out, "| module | subinterpreters | free-threading | findings |")) << run.out.substr(0, 2000);
  EXPECT_TRUE(contains(run.out, "| `spam` | ❌ unsupported |")) << run.out.substr(0, 2000);
  const auto si006 = std::count_if(report["findings"].begin(), report["findings"].end(),
                                   [](const json& finding) { return finding["rule"] == "SI006"; });
  EXPECT_TRUE(contains(run.out, " | global-python-object | warning | " + std::to_string(si006) + " |"))
      << run.out.substr(0, 2000);
  std::size_t listed = 0;
  for (std::size_t at = run.out.find("\n- **"); at != std::string::npos; at = run.out.find("\n- **", at + 1)) ++listed;
  const std::string note = run.out.substr(run.out.rfind("> **Cut"));
  EXPECT_TRUE(contains(note, std::to_string(findings - listed) + " findings;")) << note << " listed " << listed;
  // Errors come first.
  EXPECT_LT(run.out.find("- **error**"), run.out.find("- **warning**"));

  RunResult small = run_subcheck({"scan", ".", "--format", "markdown", "--quiet", "--select", "SI001"}, tree.path());
  EXPECT_FALSE(contains(small.out, "> **Cut")) << small.out.substr(0, 3000);
  EXPECT_TRUE(contains(small.out, "[big.c:")) << small.out;
}

TEST(CliFormats, SeveralFormatsFromOneRunAndTwoReportsToOneFileAreRefused) {
  TempDir tree;
  tree.write("spam.c", kSinglePhaseModule);
  const fs::path sarif = tree.path() / "out" / "scan.sarif", markdown = tree.path() / "summary.md",
                 as_json = tree.path() / "scan.json";
  fs::create_directories(sarif.parent_path());
  RunResult run = run_subcheck({"scan", ".", "--format", "github", "--output-sarif", sarif.string(),
                                "--output-markdown", markdown.string(), "--output-json", as_json.string()},
                               tree.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_TRUE(contains(run.out, "::error file=spam.c,line=")) << run.out;
  EXPECT_EQ(json::parse(read_file(sarif))["version"], "2.1.0");
  EXPECT_TRUE(contains(read_file(markdown), "## subcheck scan: ")) << read_file(markdown);
  EXPECT_EQ(json::parse(read_file(as_json))["schema"], "subcheck-scan");
  for (const auto& entry : fs::directory_iterator(sarif.parent_path())) {
    EXPECT_EQ(entry.path(), sarif) << "a temporary file was left behind";
  }

  RunResult clash =
      run_subcheck({"scan", ".", "--format", "json", "-o", "same.txt", "--output-sarif", "./same.txt"}, tree.path());
  EXPECT_EQ(clash.exit_code, 2);
  EXPECT_TRUE(contains(clash.err, "another report is written there already")) << clash.err;
  EXPECT_FALSE(fs::exists(tree.path() / "same.txt"));
}

INSTANTIATE_TEST_SUITE_P(Interpreters, CliScanHeaders, ::testing::ValuesIn(test::kInterpreterTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

INSTANTIATE_TEST_SUITE_P(Interpreters, CliScanProbe, ::testing::ValuesIn(test::kInterpreterTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

}  // namespace
}  // namespace subcheck
