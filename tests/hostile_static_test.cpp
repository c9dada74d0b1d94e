// The static side under attack (issue 7): a compile database, a source tree and its files
// are hostile input. Whatever they hold, a scan must not write or load anything, must not
// read or show files outside the tree, must not block on FIFOs or devices, and must keep
// the results of the good files next to the bad ones. Every tree and database here is
// built by the test; the properties are checked on the file system and on everything the
// analysis returns, not on particular wording.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analyze.h"
#include "analyzer/compile_db.h"
#include "analyzer/extract.h"
#include "rules/catalogue.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;

const std::optional<Interpreter>& hostile_python() {
  static const std::optional<Interpreter> python = find_default_python();
  return python;
}

#define REQUIRE_PYTHON() \
  if (!hostile_python()) GTEST_SKIP() << "no CPython >= 3.12 found: cannot parse C extensions"

// Single-phase, with a process-global object: SI001 on line 8, SI006 on line 3.
constexpr std::string_view kGoodModule =
    "#include <Python.h>\n"
    "\n"
    "static PyObject *good_error = NULL;\n"
    "\n"
    "static PyModuleDef good_def = {PyModuleDef_HEAD_INIT, .m_name = \"good\", .m_size = -1};\n"
    "\n"
    "PyMODINIT_FUNC PyInit_good(void) {\n"
    "    PyObject *module = PyModule_Create2(&good_def, PYTHON_API_VERSION);\n"
    "    if (module == NULL) return NULL;\n"
    "    good_error = PyErr_NewException(\"good.error\", NULL, NULL);\n"
    "    return module;\n"
    "}\n";

// Text that must never appear in anything subcheck returns: it stands for /etc/shadow.
constexpr std::string_view kSecret = "subcheck_secret_token_5f3a9c";
const std::string kSecretFile = std::string(kSecret) + " is_the_secret = 1;\n";

AnalysisResult scan(const fs::path& root, const std::optional<fs::path>& build_dir = std::nullopt) {
  AnalyzeOptions options;
  options.root = root;
  options.build_dir = build_dir;
  options.python = hostile_python();
  options.jobs = 2;
  return analyze(options, RuleCatalogue::builtin());
}

bool has_finding(const AnalysisResult& result, std::string_view rule, std::string_view file_name, unsigned line) {
  return std::any_of(result.findings.begin(), result.findings.end(), [&](const Finding& finding) {
    return finding.rule == rule && fs::path(finding.location.file).filename() == file_name &&
           finding.location.line == line;
  });
}

void expect_good_module_findings(const AnalysisResult& result) {
  EXPECT_TRUE(has_finding(result, "SI001", "good.c", 8)) << "the good module lost its SI001";
  EXPECT_TRUE(has_finding(result, "SI006", "good.c", 3)) << "the good module lost its SI006";
}

// Every piece of text the analysis hands on to a report.
std::string everything_said(const AnalysisResult& result) {
  std::ostringstream out;
  for (const ToolDiagnostic& diagnostic : result.diagnostics) {
    out << diagnostic.location.file << ":" << diagnostic.message << "\n";
  }
  for (const Finding& finding : result.findings) out << finding.location.file << ":" << finding.message << "\n";
  return out.str();
}

std::string diagnostics_text(const AnalysisResult& result) {
  std::ostringstream out;
  for (const ToolDiagnostic& diagnostic : result.diagnostics) {
    out << "  " << diagnostic.location.file << ":" << diagnostic.location.line << ": " << diagnostic.message << "\n";
  }
  return out.str();
}

bool any_contains(const std::vector<std::string>& messages, std::string_view needle) {
  return std::any_of(messages.begin(), messages.end(),
                     [&](const std::string& message) { return message.find(needle) != std::string::npos; });
}

std::size_t count_containing(const std::vector<std::string>& messages, std::string_view needle) {
  return static_cast<std::size_t>(std::count_if(messages.begin(), messages.end(), [&](const std::string& message) {
    return message.find(needle) != std::string::npos;
  }));
}

std::set<fs::path> listing(const fs::path& dir) {
  std::set<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) files.insert(entry.path());
  return files;
}

std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// One compile_commands.json entry in the "arguments" form.
std::string entry(const fs::path& directory, const std::string& file, const std::vector<std::string>& arguments) {
  std::string text =
      "{\"directory\": " + json_string(directory.string()) + ", \"file\": " + json_string(file) + ", \"arguments\": [";
  for (std::size_t i = 0; i < arguments.size(); ++i) text += (i ? ", " : "") + json_string(arguments[i]);
  return text + "]}";
}

std::string database(const std::vector<std::string>& entries) {
  std::string text = "[";
  for (std::size_t i = 0; i < entries.size(); ++i) text += (i ? ",\n" : "\n") + entries[i];
  return text + "\n]\n";
}

// ---------------------------------------------------------------------------------------
// Compile database flags

// The flags of the issue that made libclang write: a header list appended to any file,
// serialized diagnostics, a module cache, a time trace.
std::vector<std::string> writing_flags(const fs::path& canary, const fs::path& outside) {
  return {"-H",
          "-Xclang",
          "-header-include-file",
          "-Xclang",
          canary.string(),
          "-fmodules",
          "-fmodules-cache-path=" + (outside / "module-cache").string(),
          "--serialize-diagnostics",
          (outside / "diagnostics.dia").string(),
          "-Xclang",
          "-serialize-diagnostic-file",
          "-Xclang",
          (outside / "cc1.dia").string(),
          "-ftime-trace",
          "-ftime-trace=" + (outside / "trace.json").string(),
          "-MJ",
          (outside / "fragment.json").string()};
}

TEST(HostileCompileDatabase, FlagsThatWriteFilesNeverReachLibclang) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-hostile-tree"), outside("subcheck-hostile-outside");
  const fs::path canary = outside.write("shell-rc", "echo canary\n");
  tree.write("good.c", kGoodModule);
  std::vector<std::string> arguments{"cc", "-c", "good.c", "-isystem", hostile_python()->include_dir.string()};
  for (std::string& flag : writing_flags(canary, outside.path())) arguments.push_back(flag);
  tree.write("compile_commands.json", database({entry(tree.path(), "good.c", arguments)}));
  const std::set<fs::path> tree_before = listing(tree.path()), outside_before = listing(outside.path());

  AnalysisResult result = scan(tree.path());

  EXPECT_EQ(test::read_text(canary), "echo canary\n") << "libclang wrote into a file named by the database";
  EXPECT_EQ(listing(outside.path()), outside_before) << "libclang created files outside the tree";
  EXPECT_EQ(listing(tree.path()), tree_before) << "libclang created files in the scanned tree";
  expect_good_module_findings(result);
  std::vector<std::string> messages;
  for (const ToolDiagnostic& diagnostic : result.diagnostics) messages.push_back(diagnostic.message);
  for (std::string_view flag : {"-H", "-Xclang", "--serialize-diagnostics", "-fmodules",
                                "-fmodules-cache-path=", "-ftime-trace", "-ftime-trace=", "-MJ"}) {
    EXPECT_TRUE(any_contains(messages, "dropped " + std::string(flag) + " ")) << flag << " dropped without a word:\n"
                                                                              << diagnostics_text(result);
  }
}

// The test above can only fail if the flags are dangerous: given to libclang as they
// stand, they do write.
TEST(HostileCompileDatabase, TheWritingFlagsDoWriteWhenGivenToLibclangUnfiltered) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-hostile-tree"), outside("subcheck-hostile-outside");
  const fs::path canary = outside.write("shell-rc", "echo canary\n");
  const fs::path source = tree.write("good.c", kGoodModule);
  CompileCommand command{source, tree.path(), {"-isystem", hostile_python()->include_dir.string()}, {}};
  std::vector<std::string> flags = writing_flags(canary, outside.path());
  command.args.insert(command.args.end(), flags.begin(), flags.begin() + 7);  // -H ... -fmodules-cache-path=
  Extractor extractor(ExtractOptions{{tree.path()}});
  extractor.extract(command, BuildConfig::gil);
  EXPECT_GT(test::read_text(canary).size(), std::string("echo canary\n").size())
      << "-H -Xclang -header-include-file no longer writes: the test above proves less";
  EXPECT_TRUE(fs::exists(outside.path() / "module-cache")) << "-fmodules-cache-path no longer writes";
}

TEST(HostileCompileDatabase, EachDroppedFlagIsOneWarningNamingItHoweverManyEntriesHaveIt) {
  test::TempDir tree("subcheck-hostile-tree");
  std::vector<std::string> entries;
  for (std::string name : {"a.c", "b.c", "c.c"}) {
    tree.write(name, "int x;\n");
    entries.push_back(entry(tree.path(), name,
                            {"cc", "-DKEEP=1", "-std=c11", "-fno-strict-aliasing", "-Wp,-D_FORTIFY_SOURCE=2", "-O2",
                             "-Xclang", "-load", "-Xclang", "/tmp/evil.so", "-mllvm", "-debug-pass=Structure",
                             "@/tmp/flags.rsp", "-fplugin=/tmp/evil.so", "-Wp,-MD,/tmp/deps", "-c", name}));
  }
  tree.write("compile_commands.json", database(entries));

  CompileDatabase db = load_compile_database({.root = tree.path(), .build_dir = {}, .python = {}});

  ASSERT_EQ(db.commands.size(), 3u);
  for (const CompileCommand& command : db.commands) {
    EXPECT_EQ(command.args,
              (std::vector<std::string>{"-DKEEP=1", "-std=c11", "-fno-strict-aliasing", "-D_FORTIFY_SOURCE=2", "-O2"}));
  }
  for (std::string_view flag :
       {"dropped -Xclang ", "dropped -mllvm ", "dropped @FILE ", "dropped -fplugin= ", "dropped -Wp, "}) {
    EXPECT_EQ(count_containing(db.warnings, flag), 1u) << flag;
  }
  EXPECT_EQ(count_containing(db.warnings, "3 entries"), 5u) << "each warning counts the entries it covers";
}

TEST(HostileCompileDatabase, IncludedFilesMustBeTheProjectsOwn) {
  test::TempDir tree("subcheck-hostile-tree"), outside("subcheck-hostile-outside");
  const fs::path secret = outside.write("secret.h", kSecretFile);
  const fs::path config = tree.write("config.h", "#define HAVE_X 1\n");
  tree.write("a.c", "int x;\n");
  ::mkfifo((tree.path() / "fifo.h").c_str(), 0600);
  tree.write("compile_commands.json",
             database({entry(tree.path(), "a.c",
                             {"cc", "-include", secret.string(), "-imacros", secret.string(), "-include", "config.h",
                              "-include", "fifo.h", "-I/dev", "-isystem", "/proc/self", "-I/sys/kernel", "-idirafter",
                              "/dev/shm", "-Ilocal", "-c", "a.c"})}));

  CompileDatabase db = load_compile_database({.root = tree.path(), .build_dir = {}, .python = {}});

  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].args,
            (std::vector<std::string>{"-include", config.string(), "-I" + (tree.path() / "local").string()}));
  EXPECT_EQ(count_containing(db.warnings, "dropped -include "), 1u);
  EXPECT_TRUE(any_contains(db.warnings, "dropped -imacros "));
  EXPECT_TRUE(any_contains(db.warnings, "dropped -I "));
  EXPECT_TRUE(any_contains(db.warnings, "dropped -isystem "));
  EXPECT_TRUE(any_contains(db.warnings, "dropped -idirafter "));
}

TEST(HostileCompileDatabase, EntriesForFilesOutsideTheTreeAreSkipped) {
  test::TempDir tree("subcheck-hostile-tree"), outside("subcheck-hostile-outside");
  const fs::path kept = tree.write("a.c", "int a;\n");
  const fs::path elsewhere = outside.write("elsewhere.c", "int b;\n");
  fs::create_symlink(elsewhere, tree.path() / "link.c");
  tree.write("compile_commands.json",
             database({entry(tree.path(), "a.c", {"cc", "-c", "a.c"}),
                       entry(outside.path(), elsewhere.string(), {"cc", "-c", elsewhere.string()}),
                       entry(tree.path(), "link.c", {"cc", "-c", "link.c"})}));

  CompileDatabase db = load_compile_database({.root = tree.path(), .build_dir = {}, .python = {}});

  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].file, kept);
  EXPECT_TRUE(any_contains(db.warnings, "skipped 2 compile database entries whose file is outside the scanned tree"));
}

TEST(HostileCompileDatabase, ADatabaseThatIsASymlinkOutOfTheTreeIsNotRead) {
  test::TempDir tree("subcheck-hostile-tree"), outside("subcheck-hostile-outside");
  tree.write("a.c", "int a;\n");
  const fs::path secret = outside.write("compile_commands.json", "not json: " + std::string(kSecret));
  fs::create_symlink(secret, tree.path() / "compile_commands.json");

  CompileDatabase db = load_compile_database({.root = tree.path(), .build_dir = {}, .python = {}});

  EXPECT_EQ(db.origin, "inferred");
  EXPECT_FALSE(any_contains(db.warnings, kSecret));
}

// ---------------------------------------------------------------------------------------
// The tree

TEST(HostileTree, ASymlinkToTheRootDirectoryIsNotWalked) {
  test::TempDir tree("subcheck-hostile-tree");
  tree.write("good.c", "int x;\n");
  fs::create_directory_symlink("/", tree.path() / "everything");
  fs::create_directory_symlink("/usr/include", tree.path() / "system");

  std::vector<std::string> warnings;
  std::vector<fs::path> sources = find_sources(tree.path(), &warnings);

  EXPECT_EQ(sources, std::vector<fs::path>{tree.path() / "good.c"});
  EXPECT_TRUE(any_contains(warnings, "everything: symlink to / leads out of the scanned tree"));
  EXPECT_TRUE(any_contains(warnings, "system: symlink to /usr/include leads out"));
}

TEST(HostileTree, InTreeSymlinksToFilesOutsideAreNotListedAndInTreeOnesAre) {
  test::TempDir tree("subcheck-hostile-tree"), outside("subcheck-hostile-outside");
  const fs::path secret = outside.write("secret.c", kSecretFile);
  const fs::path real = tree.write("src/real.c", "int r;\n");
  fs::create_symlink(secret, tree.path() / "evil.c");
  fs::create_symlink("/etc/passwd", tree.path() / "passwd.c");
  fs::create_symlink("src/real.c", tree.path() / "alias.c");  // inside: followed, listed once

  std::vector<std::string> warnings;
  std::vector<fs::path> sources = find_sources(tree.path(), &warnings);

  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(fs::canonical(sources[0]), fs::canonical(real));
  EXPECT_TRUE(any_contains(warnings, "evil.c: symlink to"));
  EXPECT_TRUE(any_contains(warnings, "passwd.c: symlink to /etc/passwd leads out"));
}

TEST(HostileTree, FifosSocketsAndDevicesAreSkippedWithAWarningAndNeverOpened) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-hostile-tree");
  tree.write("good.c", kGoodModule);
  ASSERT_EQ(::mkfifo((tree.path() / "fifo.c").c_str(), 0600), 0);
  ASSERT_EQ(::mkfifo((tree.path() / "fifo.h").c_str(), 0600), 0);
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string socket_path = (tree.path() / "sock.c").string();
  ASSERT_LT(socket_path.size(), sizeof address.sun_path);
  std::copy(socket_path.begin(), socket_path.end(), address.sun_path);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  fs::create_symlink("/dev/zero", tree.path() / "zero.c");  // a device, through a link out of the tree

  AnalysisResult result = scan(tree.path());  // a FIFO opened for reading would block here
  ::close(sock);

  expect_good_module_findings(result);
  std::vector<std::string> messages;
  for (const ToolDiagnostic& diagnostic : result.diagnostics) messages.push_back(diagnostic.message);
  EXPECT_TRUE(any_contains(messages, "fifo.c: skipped: not a regular file (a FIFO)")) << diagnostics_text(result);
  EXPECT_TRUE(any_contains(messages, "sock.c: skipped: not a regular file (a socket)")) << diagnostics_text(result);
  EXPECT_EQ(result.model.units.size(), 2u) << "only good.c, in both configurations";
}

TEST(HostileTree, ASparseTwoGigabyteSourceIsADiagnosticAndTheRestIsScanned) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-hostile-tree");
  tree.write("good.c", kGoodModule);
  const fs::path huge = tree.path() / "huge.c";
  {
    int fd = ::open(huge.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, off_t{2} << 30), 0);  // 2 GiB of holes: no disk used
    ::close(fd);
  }

  AnalysisResult result = scan(tree.path());

  expect_good_module_findings(result);
  std::vector<std::string> messages;
  for (const ToolDiagnostic& diagnostic : result.diagnostics) messages.push_back(diagnostic.message);
  EXPECT_TRUE(any_contains(messages, "huge.c: skipped: larger than the 8 MiB file size limit (2048 MiB"))
      << diagnostics_text(result);
}

TEST(HostileTree, TheFileSizeLimitIsAnOptionForTreesAndDatabases) {
  test::TempDir tree("subcheck-hostile-tree");
  const fs::path small = tree.write("small.c", "int s;\n");
  const fs::path medium = tree.write("medium.c", std::string(3u << 20, ' ') + "int m;\n");  // 3 MiB

  std::vector<std::string> warnings;
  EXPECT_EQ(find_sources(tree.path(), &warnings).size(), 2u) << "3 MiB is under the default limit";
  EXPECT_EQ(find_sources(tree.path(), &warnings, 1u << 20), std::vector<fs::path>{small});
  EXPECT_TRUE(any_contains(warnings, "medium.c: skipped: larger than the 1 MiB file size limit (3.0 MiB"));

  tree.write("compile_commands.json", database({entry(tree.path(), "small.c", {"cc", "-c", "small.c"}),
                                                entry(tree.path(), "medium.c", {"cc", "-c", "medium.c"})}));
  CompileDatabase db =
      load_compile_database({.root = tree.path(), .build_dir = {}, .python = {}, .max_file_bytes = 1u << 20});
  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].file, small);
  EXPECT_TRUE(any_contains(db.warnings, "larger than the 1 MiB file size limit")) << db.warnings.size();
}

// ---------------------------------------------------------------------------------------
// Parsing: each unit in a bounded worker process

AnalysisResult scan_with_limits(const fs::path& root, std::chrono::seconds time, std::uint64_t memory_bytes,
                                std::vector<std::string> extra_args = {}) {
  AnalyzeOptions options;
  options.root = root;
  options.python = hostile_python();
  options.jobs = 2;
  options.parse_limits = {time, memory_bytes};
  options.extra_args = std::move(extra_args);
  return analyze(options, RuleCatalogue::builtin());
}

bool has_error_about(const AnalysisResult& result, std::string_view file_name) {
  return std::any_of(result.diagnostics.begin(), result.diagnostics.end(), [&](const ToolDiagnostic& diagnostic) {
    return diagnostic.severity == Severity::error && fs::path(diagnostic.location.file).filename() == file_name;
  });
}

TEST(HostileParse, IncludingAFifoDevZeroOrStdinCostsThatUnitOnly) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-hostile-tree");
  tree.write("good.c", kGoodModule);
  ASSERT_EQ(::mkfifo((tree.path() / "pipe.h").c_str(), 0600), 0);
  tree.write("fifo_include.c", "#include \"pipe.h\"\nint after_fifo;\n");
  tree.write("zero_include.c", "#include \"/dev/zero\"\nint after_zero;\n");
  tree.write("stdin_include.c", "#include \"/dev/stdin\"\nint after_stdin;\n");

  const auto started = std::chrono::steady_clock::now();
  AnalysisResult result = scan_with_limits(tree.path(), std::chrono::seconds(10), std::uint64_t{1} << 30);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  expect_good_module_findings(result);
  for (std::string_view file : {"fifo_include.c", "zero_include.c", "stdin_include.c"}) {
    EXPECT_TRUE(has_error_about(result, file)) << file << " has no diagnostic:\n" << diagnostics_text(result);
  }
  EXPECT_LT(seconds, 100.0) << "the bounded units took " << seconds << " s";
}

// 2^40 initialisers: without a bound, libclang takes all memory until LLVM aborts.
constexpr std::string_view kMacroBomb =
    "#define A0 1,\n#define A1 A0 A0\n#define A2 A1 A1\n#define A3 A2 A2\n#define A4 A3 A3\n#define A5 A4 A4\n"
    "#define A6 A5 A5\n#define A7 A6 A6\n#define A8 A7 A7\n#define A9 A8 A8\n#define A10 A9 A9\n"
    "#define A11 A10 A10\n#define A12 A11 A11\n#define A13 A12 A12\n#define A14 A13 A13\n#define A15 A14 A14\n"
    "#define A16 A15 A15\n#define A17 A16 A16\n#define A18 A17 A17\n#define A19 A18 A18\n#define A20 A19 A19\n"
    "#define A21 A20 A20\n#define A22 A21 A21\n#define A23 A22 A22\n#define A24 A23 A23\n#define A25 A24 A24\n"
    "#define A26 A25 A25\n#define A27 A26 A26\n#define A28 A27 A27\n#define A29 A28 A28\n#define A30 A29 A29\n"
    "#define A31 A30 A30\n#define A32 A31 A31\n#define A33 A32 A32\n#define A34 A33 A33\n#define A35 A34 A34\n"
    "#define A36 A35 A35\n#define A37 A36 A36\n#define A38 A37 A37\n#define A39 A38 A38\n#define A40 A39 A39\n"
    "int bomb[] = {A40 0};\n";

TEST(HostileParse, AMacroBombIsStoppedAtTheLimitsAndTheRestIsScanned) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-hostile-tree");
  tree.write("good.c", kGoodModule);
  tree.write("bomb.c", kMacroBomb);

  AnalysisResult result = scan_with_limits(tree.path(), std::chrono::seconds(20), std::uint64_t{512} << 20);

  expect_good_module_findings(result);
  bool stopped = std::any_of(result.diagnostics.begin(), result.diagnostics.end(), [](const ToolDiagnostic& d) {
    return fs::path(d.location.file).filename() == "bomb.c" && d.message.find("limit") != std::string::npos;
  });
  EXPECT_TRUE(stopped) << "no limit diagnostic for bomb.c:\n" << diagnostics_text(result);
}

TEST(HostileParse, ASecretBehindAnInTreeSymlinkOrAnAbsoluteIncludeIsNeverShown) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-hostile-tree"), outside("subcheck-hostile-outside");
  outside.write("secret.h", kSecretFile);
  outside.write("secret", kSecretFile);
  fs::create_symlink(outside.path() / "secret.h", tree.path() / "config.h");
  tree.write("good.c", kGoodModule);
  tree.write("leak.c", "#include \"config.h\"\n#include \"" + (outside.path() / "secret").string() + "\"\nint x;\n");

  AnalysisResult result = scan(tree.path());

  expect_good_module_findings(result);
  EXPECT_EQ(everything_said(result).find(kSecret), std::string::npos) << everything_said(result);
}

// Defence in depth: flags that are the user's own (--extra-arg) are not filtered, yet a
// worker confined by Landlock cannot write with them either.
TEST(HostileParse, AConfinedWorkerWritesNothingEvenWithUnfilteredFlags) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-hostile-tree"), outside("subcheck-hostile-outside");
  const fs::path canary = outside.write("shell-rc", "echo canary\n");
  tree.write("good.c", kGoodModule);
  std::vector<std::string> writing = writing_flags(canary, outside.path());

  AnalysisResult result = scan_with_limits(tree.path(), std::chrono::seconds(60), std::uint64_t{4} << 30,
                                           std::vector<std::string>(writing.begin(), writing.begin() + 7));

  if (result.parse_isolation.find("Landlock ABI") == std::string::npos) {
    GTEST_SKIP() << "no Landlock on this kernel: " << result.parse_isolation;
  }
  EXPECT_EQ(test::read_text(canary), "echo canary\n");
  EXPECT_FALSE(fs::exists(outside.path() / "module-cache"));
}

TEST(HostileParse, FactsFromWorkersGiveTheFindingsOfAnInProcessParse) {
  REQUIRE_PYTHON();
  const fs::path project = fs::path(SUBCHECK_CORPUS_DIR) / "example_project";
  AnalysisResult through_workers = scan(project);

  CompileDatabase database = load_compile_database({.root = project, .build_dir = {}, .python = hostile_python()});
  Extractor extractor(ExtractOptions{{fs::canonical(project)}});
  std::vector<TranslationUnitFacts> units;
  for (const CompileCommand& command : database.commands) {
    for (BuildConfig config : kAllConfigs) units.push_back(extractor.extract(command, config));
  }
  AnalysisModel model = build_module_model(std::move(units));
  std::vector<Finding> in_process =
      apply_suppressions(run_checks(model, RuleCatalogue::builtin()), RuleCatalogue::builtin());

  ASSERT_FALSE(in_process.empty());
  ASSERT_EQ(through_workers.findings.size(), in_process.size());
  for (std::size_t i = 0; i < in_process.size(); ++i) {
    EXPECT_EQ(through_workers.findings[i].rule, in_process[i].rule);
    EXPECT_EQ(through_workers.findings[i].location, in_process[i].location);
    EXPECT_EQ(through_workers.findings[i].message, in_process[i].message);
    EXPECT_EQ(through_workers.findings[i].configs, in_process[i].configs);
  }
  EXPECT_EQ(through_workers.model.modules.size(), model.modules.size());
}

}  // namespace
}  // namespace subcheck
