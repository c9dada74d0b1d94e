// setup.py's define_macros, undef_macros and include_dirs reach the inferred flags of the
// Extension's sources (issue 8), read with Python's ast and never run. setup.py is hostile
// input like the rest of the tree: what it names outside the tree is not used, and a
// setup.py that is huge, a FIFO, a symlink out of the tree or not Python costs a warning.
// Real interpreters and libclang throughout.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/analyze.h"
#include "analyzer/compile_db.h"
#include "analyzer/setup_py.h"
#include "rules/catalogue.h"
#include "tests/build_flags_support.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace build_flags_test;

#define REQUIRE_PYTHON() \
  if (!target_python()) GTEST_SKIP() << "no CPython >= 3.12 found: cannot read setup.py"

// Parses only with MY_FLAG defined and inc/ (which holds no .h, so inference never adds it)
// on the include path; then a single-phase module with SI001 on line 12.
constexpr std::string_view kFlaggedModule =
    "#ifndef MY_FLAG\n"
    "#error needs MY_FLAG\n"
    "#endif\n"
    "#include \"defs.inc\"\n"
    "#ifndef FROM_INC\n"
    "#error needs inc/defs.inc\n"
    "#endif\n"
    "#include <Python.h>\n"
    "static PyModuleDef m_def = {PyModuleDef_HEAD_INIT, .m_name = \"m\", .m_size = -1};\n"
    "\n"
    "PyMODINIT_FUNC PyInit_m(void) {\n"
    "    return PyModule_Create2(&m_def, PYTHON_API_VERSION);\n"
    "}\n";

constexpr std::string_view kSetupPy =
    "from setuptools import Extension, setup\n"
    "setup(name='m', ext_modules=[\n"
    "    Extension('m', sources=['m.c'], define_macros=[('MY_FLAG', '1')], include_dirs=['inc']),\n"
    "])\n";

std::string diagnostics_text(const AnalysisResult& result) {
  std::string text;
  for (const ToolDiagnostic& diagnostic : result.diagnostics) {
    text += "  [" + std::string(to_string(diagnostic.severity)) + "] " + diagnostic.location.file + ":" +
            std::to_string(diagnostic.location.line) + ": " + diagnostic.message + "\n";
  }
  return text;
}

void write_flagged_tree(const test::TempDir& tree) {
  tree.write("m.c", kFlaggedModule);
  tree.write("inc/defs.inc", "#define FROM_INC 1\n");
}

TEST(SetupPyFlags, DefineMacrosAndIncludeDirsMakeTheUnitParse) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-setup-py");
  write_flagged_tree(tree);

  AnalysisResult without = scan(tree.path());
  EXPECT_GT(errors_in(without), 0u) << "the unit parses without setup.py's flags:\n" << diagnostics_text(without);
  EXPECT_EQ(without.compile_db_origin, "inferred");

  tree.write("setup.py", kSetupPy);
  AnalysisResult with = scan(tree.path());
  EXPECT_EQ(errors_in(with), 0u) << diagnostics_text(with);
  EXPECT_EQ(with.compile_db_origin, "inferred (+ setup.py: 1 extension, 1 macro, 1 include dir applied)");
  EXPECT_TRUE(std::any_of(with.findings.begin(), with.findings.end(), [](const Finding& finding) {
    return finding.rule == "SI001";
  })) << "the module was not analysed";
}

TEST(SetupPyFlags, PositionalArgumentsDottedNamesUndefsAndAModuleLevelListAreRead) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-setup-py");
  tree.write("src/a.c", "int a;\n");
  tree.write("src/b.c", "int b;\n");
  tree.write("other.c", "int other;\n");
  tree.write("setup.py",
             "import setuptools\n"
             "MACROS = [('A_FLAG', None), ('VERSION', '\"1.0\"')]\n"
             "setuptools.setup(ext_modules=[\n"
             "    setuptools.Extension('a', ['src/a.c'], define_macros=MACROS, undef_macros=['NDEBUG']),\n"
             "    Extension('b', ['src/b.c'], [], [('B_FLAG', '2')]),\n"
             "])\n");
  CompileDatabase db = infer(tree.path());
  const CompileCommand* a = command_for(db, "a.c");
  const CompileCommand* b = command_for(db, "b.c");
  const CompileCommand* other = command_for(db, "other.c");
  ASSERT_TRUE(a && b && other);
  EXPECT_TRUE(has_arg(*a, "-DA_FLAG")) << joined(a->args);
  EXPECT_TRUE(has_arg(*a, "-DVERSION=\"1.0\"")) << joined(a->args);
  EXPECT_TRUE(has_arg(*a, "-UNDEBUG")) << joined(a->args);
  EXPECT_FALSE(mentions(*a, "B_FLAG"));
  EXPECT_TRUE(has_arg(*b, "-DB_FLAG=2")) << joined(b->args);
  EXPECT_FALSE(mentions(*other, "FLAG")) << "a source no Extension lists keeps the inferred flags alone";
  EXPECT_EQ(db.origin, "inferred (+ setup.py: 2 extensions, 4 macros, 0 include dirs applied)");
  EXPECT_TRUE(db.notes.empty()) << joined(db.notes);
}

TEST(SetupPyFlags, ANonLiteralArgumentIsANoteWithItsLineAndTheRestIsApplied) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-setup-py");
  write_flagged_tree(tree);
  tree.write("setup.py",
             "import os\n"
             "from setuptools import Extension, setup\n"
             "def compute():\n"
             "    return [('MY_FLAG', '1')]\n"
             "setup(ext_modules=[Extension('m', sources=['m.c'],\n"
             "    define_macros=compute(),\n"
             "    include_dirs=['inc'])])\n"
             "Extension('n', sources=['n.c'], include_dirs=[os.path.join('a', 'b'), 'inc'], undef_macros=U)\n"
             "U = ['A']\n"
             "U = ['B']\n");
  CompileDatabase db = infer(tree.path());
  EXPECT_TRUE(any_contains(db.notes, "setup.py:6: define_macros is not a literal list; its macros were not applied"))
      << joined(db.notes);
  EXPECT_TRUE(any_contains(db.notes, "setup.py:8: an include_dirs entry is not a literal string; it was not applied"))
      << joined(db.notes);
  EXPECT_TRUE(any_contains(db.notes, "setup.py:8: undef_macros is not a literal list")) << "U is assigned twice\n"
                                                                                        << joined(db.notes);
  const CompileCommand* m = command_for(db, "m.c");
  ASSERT_TRUE(m);
  EXPECT_TRUE(mentions(*m, (fs::canonical(tree.path()) / "inc").string())) << joined(m->args);
  EXPECT_FALSE(mentions(*m, "MY_FLAG"));

  AnalysisResult result = scan(tree.path());
  EXPECT_TRUE(std::any_of(result.diagnostics.begin(), result.diagnostics.end(), [](const ToolDiagnostic& d) {
    return d.severity == Severity::note && d.message.find("define_macros is not a literal list") != std::string::npos;
  })) << diagnostics_text(result);
}

// pylibacl's setup.py: `macros = []`, then `macros.append(...)` under os.uname() tests. The
// list is replayed as on Linux, where the scan runs, and a note says so; the other
// platforms' branches are not applied.
TEST(SetupPyFlags, AListBuiltUnderPlatformTestsIsReadAsOnLinuxWithANote) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-setup-py");
  write_flagged_tree(tree);
  tree.write("setup.py",
             "import os, sys\n"
             "from setuptools import Extension, setup\n"
             "(u_sysname, u_nodename, u_release, u_version, u_machine) = os.uname()\n"
             "macros = []\n"
             "dirs = ['inc']\n"
             "if u_sysname == 'Linux':\n"
             "    macros.append(('MY_FLAG', '1'))\n"
             "elif u_sysname == 'FreeBSD':\n"
             "    macros.append(('BSD_FLAG', None))\n"
             "if not sys.platform.startswith('linux'):\n"
             "    macros.append(('NOT_LINUX', None))\n"
             "setup(ext_modules=[Extension('m', ['m.c'],\n"
             "    define_macros=macros,\n"
             "    include_dirs=dirs)])\n");
  CompileDatabase db = infer(tree.path());
  EXPECT_TRUE(any_contains(db.notes, "setup.py: read as on Linux: the platform tests at lines 6, 10 chose"))
      << joined(db.notes);
  EXPECT_EQ(db.notes.size(), 1u) << joined(db.notes);
  const CompileCommand* m = command_for(db, "m.c");
  ASSERT_TRUE(m);
  EXPECT_TRUE(has_arg(*m, "-DMY_FLAG=1")) << joined(m->args);
  EXPECT_FALSE(mentions(*m, "BSD_FLAG")) << joined(m->args);
  EXPECT_FALSE(mentions(*m, "NOT_LINUX")) << joined(m->args);
  EXPECT_TRUE(mentions(*m, (fs::canonical(tree.path()) / "inc").string())) << joined(m->args);
}

// A test that is not about the platform (an environment variable) cannot be decided: the
// list it changes is not read, and the note names where it changes.
TEST(SetupPyFlags, AListChangedUnderAnUndecidedTestIsANoteNotAnEmptyList) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-setup-py");
  write_flagged_tree(tree);
  tree.write("setup.py",
             "import os\n"
             "from setuptools import Extension, setup\n"
             "macros = []\n"
             "dirs = ['inc']\n"
             "if os.environ.get('WITH_FLAG'):\n"
             "    macros.append(('MY_FLAG', '1'))\n"
             "setup(ext_modules=[Extension('m', ['m.c'],\n"
             "    define_macros=macros,\n"
             "    include_dirs=dirs)])\n");
  CompileDatabase db = infer(tree.path());
  EXPECT_TRUE(any_contains(db.notes,
                           "setup.py:8: define_macros names a list setup.py changes in place after "
                           "assigning it (line 6)"))
      << joined(db.notes);
  EXPECT_EQ(db.notes.size(), 1u) << "dirs is never changed: it is read\n" << joined(db.notes);
  const CompileCommand* m = command_for(db, "m.c");
  ASSERT_TRUE(m);
  EXPECT_FALSE(mentions(*m, "MY_FLAG")) << joined(m->args);
  EXPECT_TRUE(mentions(*m, (fs::canonical(tree.path()) / "inc").string())) << joined(m->args);
}

TEST(SetupPyFlags, SetupCfgBuildExtOptionsApplyToEveryExtension) {
  REQUIRE_PYTHON();
  test::TempDir tree("subcheck-setup-py");
  write_flagged_tree(tree);
  tree.write("setup.py", "from setuptools import Extension, setup\nsetup(ext_modules=[Extension('m', ['m.c'])])\n");
  tree.write("setup.cfg",
             "[metadata]\nname = m\n\n[build_ext]\ndefine = MY_FLAG, OTHER\ninclude-dirs = inc:/etc\nundef = NDEBUG\n");
  CompileDatabase db = infer(tree.path());
  const CompileCommand* m = command_for(db, "m.c");
  ASSERT_TRUE(m);
  EXPECT_TRUE(has_arg(*m, "-DMY_FLAG=1")) << joined(m->args);
  EXPECT_TRUE(has_arg(*m, "-DOTHER=1")) << joined(m->args);
  EXPECT_TRUE(has_arg(*m, "-UNDEBUG")) << joined(m->args);
  EXPECT_TRUE(has_arg(*m, "-I" + (fs::canonical(tree.path()) / "inc").string())) << joined(m->args);
  EXPECT_FALSE(mentions(*m, "/etc"));
  EXPECT_TRUE(any_contains(db.warnings, "setup.cfg [build_ext]: include directory '/etc' lies outside"))
      << joined(db.warnings);
  EXPECT_EQ(db.origin, "inferred (+ setup.py, setup.cfg: 1 extension, 3 macros, 1 include dir applied)");

  AnalysisResult result = scan(tree.path());
  EXPECT_EQ(errors_in(result), 0u) << diagnostics_text(result);

  // A setup.cfg that cannot be read costs its own options only.
  fs::remove(tree.path() / "setup.cfg");
  ASSERT_EQ(::mkfifo((tree.path() / "setup.cfg").c_str(), 0600), 0);
  tree.write("setup.py",
             "from setuptools import Extension, setup\n"
             "setup(ext_modules=[Extension('m', ['m.c'], define_macros=[('FROM_PY', None)])])\n");
  db = infer(tree.path());
  EXPECT_TRUE(any_contains(db.warnings, "setup.cfg: not read (not a regular file (a FIFO))")) << joined(db.warnings);
  ASSERT_TRUE((m = command_for(db, "m.c")));
  EXPECT_TRUE(has_arg(*m, "-DFROM_PY")) << joined(m->args);
}

TEST(SetupPyHostile, IncludeDirsAndMacrosOutsideTheTreeAreNeverUsed) {
  REQUIRE_PYTHON();
  test::TempDir outside("subcheck-setup-py-outside");
  outside.write("secret.h", "#define SECRET 1\n");
  test::TempDir tree("subcheck-setup-py");
  tree.write("m.c", "int m;\n");
  fs::create_symlink(outside.path(), tree.path() / "link_out");
  tree.write("setup.py",
             "from setuptools import Extension\n"
             "Extension('m', ['m.c'], include_dirs=['/etc', '../../..', 'link_out', '/dev', 'missing'],\n"
             "          define_macros=[('X -include /etc/passwd', '1'), ('Y', 'a\\nb'), ('OK', '1')],\n"
             "          undef_macros=['-fplugin=/tmp/x.so'])\n");
  CompileDatabase db = infer(tree.path());
  const CompileCommand* m = command_for(db, "m.c");
  ASSERT_TRUE(m);
  fs::path python_include = target_python()->include_dir;
  fs::path canonical_tree = fs::canonical(tree.path());
  for (const std::string& arg : m->args) {
    if (!arg.starts_with("-I")) continue;
    fs::path dir = arg.substr(2);
    EXPECT_TRUE(is_within(fs::weakly_canonical(dir), canonical_tree)) << arg << " lies outside the tree";
  }
  EXPECT_FALSE(mentions(*m, "/etc"));
  EXPECT_FALSE(mentions(*m, outside.path().filename().string()));
  EXPECT_FALSE(mentions(*m, "plugin"));
  EXPECT_FALSE(mentions(*m, "-DY"));
  EXPECT_TRUE(has_arg(*m, "-DOK=1")) << joined(m->args);
  for (std::string_view dir : {"'/etc'", "'../../..'", "'link_out'", "'/dev'"}) {
    EXPECT_TRUE(any_contains(db.warnings,
                             std::string("include directory ") + std::string(dir) + " lies outside the scanned tree"))
        << dir << "\n"
        << joined(db.warnings);
  }
  EXPECT_TRUE(any_contains(db.warnings, "include directory 'missing' does not exist")) << joined(db.warnings);
  EXPECT_TRUE(any_contains(db.warnings, "'X -include /etc/passwd' is not a C macro name")) << joined(db.warnings);
  EXPECT_TRUE(any_contains(db.warnings, "'-fplugin=/tmp/x.so' is not a C macro name")) << joined(db.warnings);
}

TEST(SetupPyHostile, AHugeFifoSymlinkedOrBrokenSetupPyIsAWarningAndTheScanGoesOn) {
  REQUIRE_PYTHON();
  test::TempDir outside("subcheck-setup-py-outside");
  outside.write("setup.py",
                "from setuptools import Extension\nExtension('m', ['m.c'], define_macros=[('LEAK', '1')])\n");
  struct Case {
    std::string name;
    std::function<void(const fs::path&)> make;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"100 MB",
       [](const fs::path& p) {
         test::write_text(p, "from setuptools import Extension\n");
         fs::resize_file(p, std::uintmax_t{100} << 20);
       },
       "larger than"},
      {"FIFO", [](const fs::path& p) { ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0); }, "not a regular file (a FIFO)"},
      {"symlink out", [&](const fs::path& p) { fs::create_symlink(outside.path() / "setup.py", p); },
       "leads out of the scanned tree"},
      {"syntax error", [](const fs::path& p) { test::write_text(p, "from setuptools import (\nExtension('m'\n"); },
       "syntax error at line"},
      {"deep nesting", [](const fs::path& p) { test::write_text(p, "x = " + std::string(200000, '[') + "\n"); },
       "not read ("},
      {"binary", [](const fs::path& p) { test::write_text(p, std::string("\0\xff\xfe setup", 9)); }, "not read ("},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    test::TempDir tree("subcheck-setup-py");
    tree.write("m.c", "int m;\n");
    c.make(tree.path() / "setup.py");
    auto start = std::chrono::steady_clock::now();
    CompileDatabase db = infer(tree.path());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
    EXPECT_TRUE(any_contains(db.warnings, c.expected)) << joined(db.warnings);
    EXPECT_EQ(db.origin, "inferred");
    ASSERT_EQ(db.commands.size(), 1u);
    EXPECT_FALSE(mentions(db.commands[0], "LEAK"));
  }
}

}  // namespace
}  // namespace subcheck
