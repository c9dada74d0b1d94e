// Compile commands on real files: a scratch tree per test, real interpreters where present.
#include "analyzer/compile_db.h"
#include "tests/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace subcheck {
namespace {

namespace fs = std::filesystem;

const fs::path kPython313 = "/root/.pyenv/versions/3.13.0/bin/python3";
const fs::path kPython312 = "/root/.pyenv/versions/3.12.1/bin/python3";
const fs::path kPython311 = "/usr/bin/python3.11";

// A fresh directory removed at the end of the test (remove_all does not follow symlinks).
class ScratchTree {
 public:
  ScratchTree() {
    std::string pattern = (fs::temp_directory_path() / "subcheck-compiledb-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  ~ScratchTree() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  ScratchTree(const ScratchTree&) = delete;
  ScratchTree& operator=(const ScratchTree&) = delete;

  const fs::path& root() const { return root_; }
  fs::path operator/(const fs::path& relative) const { return root_ / relative; }

  fs::path write(const fs::path& relative, const std::string& text = "int x;\n") const {
    fs::path path = root_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }

 private:
  fs::path root_;
};

using test::ScopedEnv;

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::ptrdiff_t position_of(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) - items.begin();
}

bool any_contains(const std::vector<std::string>& messages, const std::string& needle) {
  return std::any_of(messages.begin(), messages.end(),
                     [&](const std::string& message) { return message.find(needle) != std::string::npos; });
}

const CompileCommand& command_for(const CompileDatabase& db, const fs::path& file) {
  auto it = std::find_if(db.commands.begin(), db.commands.end(),
                         [&](const CompileCommand& command) { return command.file == file; });
  if (it == db.commands.end()) throw std::runtime_error("no command for " + file.string());
  return *it;
}

// ---------------------------------------------------------------------------------------
// find_sources

TEST(FindSources, ListsNestedSourcesSortedAndSkipsVcsVenvAndBuildLeftovers) {
  ScratchTree tree;
  fs::path a = tree.write("src/a.c");
  fs::path b = tree.write("src/sub/b.cpp");
  fs::path c = tree.write("src/sub/deeper/c.cxx");
  fs::path d = tree.write("d.cc");
  tree.write("include/api.h");
  tree.write("README.txt", "docs\n");
  tree.write(".git/hooks/hook.c");
  tree.write(".tox/py313/lib/x.c");
  tree.write("myenv/pyvenv.cfg", "home = /usr/bin\n");
  tree.write("myenv/lib/python3.13/site-packages/pkg/ext.c");
  tree.write("node_modules/pkg/binding.cc");
  tree.write("src/__pycache__/stale.c");
  tree.write("build/temp.linux-x86_64-cpython-313/src/gen.c");

  std::vector<std::string> warnings;
  std::vector<fs::path> sources = find_sources(tree.root(), &warnings);

  EXPECT_EQ(sources, (std::vector<fs::path>{d, a, b, c}));
  EXPECT_TRUE(warnings.empty());
}

TEST(FindSources, SymlinkLoopTerminatesWithAWarning) {
  ScratchTree tree;
  fs::path a = tree.write("pkg/a.c");
  fs::path b = tree.write("pkg/inner/b.c");
  fs::create_directory_symlink("..", tree / "pkg/inner/back_to_pkg");
  fs::create_directory_symlink(tree / "pkg/inner", tree / "pkg/inner_again");

  std::vector<std::string> warnings;
  std::vector<fs::path> sources = find_sources(tree.root(), &warnings);

  // The second way into pkg/inner is not scanned again; the loop is reported once.
  EXPECT_EQ(sources, (std::vector<fs::path>{a, b}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("symlink loop"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("back_to_pkg"), std::string::npos) << warnings[0];
}

TEST(FindSources, RootMayBeASingleFile) {
  ScratchTree tree;
  fs::path module = tree.write("mod.c");
  tree.write("other.c");
  EXPECT_EQ(find_sources(module), std::vector<fs::path>{module});
  EXPECT_TRUE(find_sources(tree.write("header.h")).empty());
}

TEST(FindSources, MissingRootIsAWarningNotACrash) {
  std::vector<std::string> warnings;
  EXPECT_TRUE(find_sources("/nonexistent/subcheck/tree", &warnings).empty());
  EXPECT_TRUE(any_contains(warnings, "/nonexistent/subcheck/tree"));
}

// ---------------------------------------------------------------------------------------
// compile_commands.json

TEST(CompileDatabase, ArgumentsFormIsCleanedOfOutputDependencyAndGccOnlyFlags) {
  ScratchTree tree;
  fs::path source = tree.write("src/a.c");
  tree.write("compile_commands.json", R"([{
    "directory": ")" + tree.root().string() +
                                          R"(",
    "file": "src/a.c",
    "output": "build/a.o",
    "arguments": ["/usr/bin/gcc", "-DFOO=1", "-Iinclude", "-isystem", "third_party", "-I/abs/inc",
                  "-c", "src/a.c", "-o", "build/a.o", "-MD", "-MF", "build/a.d", "-MT", "a.o", "-MQ", "a.o",
                  "-MMD", "-MJ", "a.json", "-Werror", "-Werror=format-security", "-flto=auto", "-flto-partition=none",
                  "-fno-semantic-interposition", "-fipa-pta", "-fprofile-use", "-save-temps=obj",
                  "-O2", "-fPIC"]
  }])");

  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = {}, .python = {}});

  EXPECT_EQ(db.origin, "compile_commands.json: " + (tree / "compile_commands.json").string());
  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].file, source);
  EXPECT_EQ(db.commands[0].directory, tree.root());
  EXPECT_EQ(db.commands[0].args, (std::vector<std::string>{"-DFOO=1", "-I" + (tree / "include").string(), "-isystem",
                                                           (tree / "third_party").string(), "-I/abs/inc",
                                                           "-fno-semantic-interposition", "-O2", "-fPIC"}));
  // -MJ (writes a database fragment) and -fprofile-use (reads a profile) are dropped with a
  // warning each; the rest is what every build has and goes without a word.
  ASSERT_EQ(db.warnings.size(), 2u);
  EXPECT_TRUE(any_contains(db.warnings, "dropped -MJ "));
  EXPECT_TRUE(any_contains(db.warnings, "dropped -fprofile-use "));
}

TEST(CompileDatabase, CommandFormSplitsLikeAShellWithQuotedSpaces) {
  ScratchTree tree;
  fs::path source = tree.write("src/my file.c");
  // The JSON text holds: ccache cc -DGREETING="\"hello world\"" -I'dir with space' ...
  tree.write("build/compile_commands.json", R"([{
    "directory": ")" + tree.root().string() + R"(",
    "file": ")" + source.string() + R"(",
    "command": "ccache cc -DGREETING=\"\\\"hello world\\\"\" -I'dir with space' -DPLAIN=a\\ b -c \"src/my file.c\" -o out.o"
  }])");

  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = {}, .python = {}});

  EXPECT_EQ(db.origin, "compile_commands.json: " + (tree / "build/compile_commands.json").string());
  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].file, source);
  EXPECT_EQ(db.commands[0].args, (std::vector<std::string>{"-DGREETING=\"hello world\"",
                                                           "-I" + (tree / "dir with space").string(), "-DPLAIN=a b"}));
}

TEST(CompileDatabase, CxxDriverOnACFileKeepsCompilingItAsCxx) {
  ScratchTree tree;
  tree.write("mod.c");
  tree.write("compile_commands.json", R"([
    {"directory": ")" + tree.root().string() +
                                          R"(", "file": "mod.c", "command": "g++ -c mod.c"}])");
  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = {}, .python = {}});
  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].args, (std::vector<std::string>{"-x", "c++"}));
}

TEST(CompileDatabase, SkipsMissingNonCAndRepeatedEntriesWithWarnings) {
  ScratchTree tree;
  fs::path kept = tree.write("a.c");
  tree.write("asm.S", "nop\n");
  std::string dir = tree.root().string();
  tree.write("compile_commands.json", R"([
    {"directory": ")" + dir + R"(", "file": "a.c", "arguments": ["cc", "-DFIRST", "-c", "a.c"]},
    {"directory": ")" + dir + R"(", "file": "a.c", "arguments": ["cc", "-DSECOND", "-c", "a.c"]},
    {"directory": ")" + dir + R"(", "file": "gone.c", "arguments": ["cc", "-c", "gone.c"]},
    {"directory": ")" + dir + R"(", "file": "asm.S", "arguments": ["cc", "-c", "asm.S"]}])");

  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = {}, .python = {}});

  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].file, kept);
  EXPECT_EQ(db.commands[0].args, std::vector<std::string>{"-DFIRST"});
  EXPECT_EQ(db.warnings.size(), 3u);
  EXPECT_TRUE(any_contains(db.warnings, "gone.c"));
  EXPECT_TRUE(any_contains(db.warnings, "asm.S"));
  EXPECT_TRUE(any_contains(db.warnings, "already listed"));
}

TEST(CompileDatabase, ExplicitBuildDirWinsAndMustHoldADatabase) {
  ScratchTree tree;
  tree.write("a.c");
  std::string entry =
      R"([{"directory": ")" + tree.root().string() + R"(", "file": "a.c", "arguments": ["cc", "-DFROM_)";
  tree.write("compile_commands.json", entry + R"(ROOT", "a.c"]}])");
  tree.write("out/compile_commands.json", entry + R"(OUT", "a.c"]}])");

  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = tree / "out", .python = {}});
  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].args, std::vector<std::string>{"-DFROM_OUT"});

  EXPECT_THROW(load_compile_database({.root = tree.root(), .build_dir = tree / "include", .python = {}}),
               std::runtime_error);
}

TEST(CompileDatabase, SingleFileRootKeepsOnlyItsEntry) {
  ScratchTree tree;
  fs::path a = tree.write("a.c");
  tree.write("b.c");
  std::string dir = tree.root().string();
  tree.write("build/compile_commands.json", R"([
    {"directory": ")" + dir + R"(", "file": "a.c", "arguments": ["cc", "-DA", "-c", "a.c"]},
    {"directory": ")" + dir + R"(", "file": "b.c", "arguments": ["cc", "-DB", "-c", "b.c"]}])");

  CompileDatabase db = load_compile_database({.root = a, .build_dir = tree / "build", .python = {}});
  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands[0].file, a);
  EXPECT_EQ(db.commands[0].args, std::vector<std::string>{"-DA"});
}

TEST(CompileDatabase, CorruptDatabaseNamedWithDashPThrowsWithItsPath) {
  ScratchTree tree;
  tree.write("a.c");
  fs::path database = tree.write("compile_commands.json", R"([{"directory": "/tmp", "file": )");
  try {
    load_compile_database({.root = tree.root(), .build_dir = tree.root(), .python = {}});
    FAIL() << "a truncated database was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(database.string()), std::string::npos) << error.what();
  }

  tree.write("compile_commands.json", R"({"directory": "/tmp"})");
  EXPECT_THROW(load_compile_database({.root = tree.root(), .build_dir = tree.root(), .python = {}}),
               std::runtime_error);
  tree.write("compile_commands.json", R"([{"directory": "/tmp", "file": "a.c"}])");
  EXPECT_THROW(load_compile_database({.root = tree.root(), .build_dir = tree.root(), .python = {}}),
               std::runtime_error);
}

TEST(CompileDatabase, CorruptDatabaseFoundInTheTreeIsAWarningAndFlagsAreInferred) {
  ScratchTree tree;
  tree.write("a.c");
  fs::path database = tree.write("compile_commands.json", R"([{"directory": "/tmp", "file": )");
  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = {}, .python = {}});
  ASSERT_EQ(db.commands.size(), 1u);
  EXPECT_EQ(db.commands.front().file.filename(), "a.c");
  bool named = std::any_of(db.warnings.begin(), db.warnings.end(), [&](const std::string& warning) {
    return warning.find(database.string()) != std::string::npos && warning.find("inferred") != std::string::npos;
  });
  EXPECT_TRUE(named) << "no warning names " << database;
}

// ---------------------------------------------------------------------------------------
// Inferred flags

TEST(InferredFlags, LanguageByExtensionAndIncludeDirectoriesFromTheTree) {
  ScratchTree tree;
  fs::path c_source = tree.write("src/mod.c");
  fs::path cxx_source = tree.write("src/cxx/mod.cpp");
  tree.write("include/api.h");
  tree.write("third_party/lib/detail.hpp");

  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = {}, .python = {}});

  EXPECT_EQ(db.origin, "inferred");
  ASSERT_EQ(db.commands.size(), 2u);
  const CompileCommand& c = command_for(db, c_source);
  const CompileCommand& cxx = command_for(db, cxx_source);
  EXPECT_EQ(std::vector<std::string>(c.args.begin(), c.args.begin() + 3),
            (std::vector<std::string>{"-x", "c", "-std=gnu11"}));
  EXPECT_EQ(std::vector<std::string>(cxx.args.begin(), cxx.args.begin() + 3),
            (std::vector<std::string>{"-x", "c++", "-std=gnu++17"}));
  EXPECT_EQ(std::vector<std::string>(c.args.begin() + 3, c.args.end()),
            (std::vector<std::string>{
                "-I" + (tree / "src").string(), "-I" + tree.root().string(), "-I" + (tree / "include").string(),
                // the parent of a header folder, for <lib/detail.hpp>
                "-I" + (tree / "third_party").string(), "-I" + (tree / "third_party/lib").string()}));
  EXPECT_EQ(cxx.args[3], "-I" + (tree / "src/cxx").string());
  // No Python target: a warning and no Python include.
  EXPECT_TRUE(contains(db.warnings, "no Python >= 3.12 found; pass --python"));
  EXPECT_FALSE(contains(c.args, "-isystem"));
}

TEST(InferredFlags, HeaderDirectoriesAreCappedNearestFirst) {
  ScratchTree tree;
  fs::path source = tree.write("pkg/near/mod.c");
  tree.write("pkg/near/inner/close.h");
  for (int i = 0; i < 70; ++i) tree.write("vendor/lib" + std::to_string(100 + i) + "/deep/x.h");

  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = {}, .python = {}});

  const CompileCommand& command = command_for(db, source);
  std::size_t include_flags = std::count_if(command.args.begin(), command.args.end(),
                                            [](const std::string& arg) { return arg.starts_with("-I"); });
  // The file's folder and the root, then 64 header folders and their parents, nearest
  // first; pkg/near (the parent of pkg/near/inner) is the file's own folder, given once.
  EXPECT_EQ(include_flags, 2u + 64u - 1u);
  EXPECT_EQ(command.args[5], "-I" + (tree / "pkg/near/inner").string());
  EXPECT_TRUE(contains(command.args, "-I" + (tree / "vendor/lib100").string()));
  EXPECT_FALSE(contains(command.args, "-I" + (tree / "vendor/lib169/deep").string()));
}

TEST(InferredFlags, NumpyIncludeOnlyWhenTheTreeIncludesNumpyHeaders) {
  ScratchTree tree;
  fs::path numpy_include = tree / "fake-numpy/include";
  fs::create_directories(numpy_include);
  Interpreter python;
  python.executable = "/opt/python3";
  python.version = "3.13.0";
  python.include_dir = tree / "fake-python/include";
  python.numpy_include = numpy_include;
  fs::create_directories(python.include_dir);
  fs::path source = tree.write("proj/mod.c", "#include <Python.h>\nint x;\n");

  CompileDatabase without = load_compile_database({.root = tree / "proj", .build_dir = {}, .python = python});
  EXPECT_FALSE(contains(command_for(without, source).args, numpy_include.string()));
  EXPECT_TRUE(any_contains(without.warnings, "Python.h not found"));

  tree.write("proj/arrays.h", "#include \"numpy/arrayobject.h\"\n");
  CompileDatabase with = load_compile_database({.root = tree / "proj", .build_dir = {}, .python = python});
  const std::vector<std::string>& args = command_for(with, source).args;
  EXPECT_EQ(std::vector<std::string>(args.begin() + 3, args.begin() + 7),
            (std::vector<std::string>{"-isystem", python.include_dir.string(), "-isystem", numpy_include.string()}));

  python.numpy_include.reset();
  CompileDatabase missing = load_compile_database({.root = tree / "proj", .build_dir = {}, .python = python});
  EXPECT_TRUE(any_contains(missing.warnings, "numpy is not importable"));
}

TEST(InferredFlags, RealPythonIncludeComesFirstAsSystemInclude) {
  if (!fs::exists(kPython313)) GTEST_SKIP() << kPython313 << " is not installed";
  std::optional<Interpreter> python = inspect_interpreter(kPython313);
  ASSERT_TRUE(python.has_value());
  ScratchTree tree;
  fs::path source = tree.write("mod.c", "#include <Python.h>\n");

  CompileDatabase db = load_compile_database({.root = tree.root(), .build_dir = {}, .python = python});

  const std::vector<std::string>& args = command_for(db, source).args;
  ASSERT_GE(args.size(), 6u);
  EXPECT_EQ(args[3], "-isystem");
  EXPECT_EQ(args[4], python->include_dir.string());
  EXPECT_LT(position_of(args, "-isystem"), position_of(args, "-I" + tree.root().string()));
  EXPECT_TRUE(db.warnings.empty());
}

// ---------------------------------------------------------------------------------------
// Python interpreters

TEST(QueryPython, DescribesARealInterpreter) {
  if (!fs::exists(kPython313)) GTEST_SKIP() << kPython313 << " is not installed";
  std::optional<Interpreter> python = inspect_interpreter(kPython313);
  ASSERT_TRUE(python.has_value());
  EXPECT_EQ(python->version, "3.13.0");
  EXPECT_TRUE(fs::exists(python->include_dir / "Python.h")) << python->include_dir;
  EXPECT_FALSE(python->free_threaded);
  EXPECT_TRUE(fs::exists(python->executable)) << python->executable;
}

TEST(QueryPython, NulloptForAMissingExecutable) {
  EXPECT_FALSE(inspect_interpreter("/nonexistent/bin/python3").has_value());
  EXPECT_FALSE(inspect_interpreter("no-such-python-anywhere-on-path").has_value());
}

TEST(QueryPython, NulloptForPythonOlderThan312) {
  if (!fs::exists(kPython311)) GTEST_SKIP() << kPython311 << " is not installed";
  EXPECT_FALSE(inspect_interpreter(kPython311).has_value());
}

TEST(QueryPython, NulloptForAProgramThatIsNotPython) {
  EXPECT_FALSE(inspect_interpreter("/bin/true").has_value());   // exits 0, prints nothing
  EXPECT_FALSE(inspect_interpreter("/bin/false").has_value());  // fails
}

TEST(FindDefaultPython, FallsBackToTheToolchainCacheNewestFirst) {
  if (!fs::exists(kPython313) || !fs::exists(kPython312)) GTEST_SKIP() << "pyenv 3.12.1 and 3.13.0 needed";
  ScratchTree tree;
  for (auto [version, python] : {std::pair{"3.12.1", kPython312}, std::pair{"3.13.0", kPython313}}) {
    fs::create_directories(tree / "cache/cpython" / version / "bin");
    fs::create_symlink(python, tree / "cache/cpython" / version / "bin/python3");
  }
  fs::create_directories(tree / "home");
  ScopedEnv path("PATH", (tree / "empty-path").string());
  ScopedEnv home("HOME", (tree / "home").string());
  ScopedEnv pyenv("PYENV_ROOT", (tree / "no-pyenv").string());
  ScopedEnv cache("SUBCHECK_CACHE", (tree / "cache").string());

  std::optional<Interpreter> python = find_default_python();

  ASSERT_TRUE(python.has_value());
  EXPECT_EQ(python->version, "3.13.0");
  EXPECT_FALSE(python->free_threaded);
}

TEST(FindDefaultPython, NulloptWhenNothingIsInstalled) {
  ScratchTree tree;
  ScopedEnv path("PATH", (tree / "empty-path").string());
  ScopedEnv home("HOME", tree.root().string());
  ScopedEnv pyenv("PYENV_ROOT", (tree / "no-pyenv").string());
  ScopedEnv cache("SUBCHECK_CACHE", (tree / "no-cache").string());
  EXPECT_FALSE(find_default_python().has_value());
}

TEST(FindDefaultPython, FindsAnInterpreterOnThisMachine) {
  if (!fs::exists(kPython313)) GTEST_SKIP() << kPython313 << " is not installed";
  std::optional<Interpreter> python = find_default_python();
  ASSERT_TRUE(python.has_value());
  EXPECT_TRUE(fs::exists(python->include_dir / "Python.h"));
  EXPECT_FALSE(python->free_threaded);
}

}  // namespace
}  // namespace subcheck
