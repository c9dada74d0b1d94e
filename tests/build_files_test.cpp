// meson.build's and pyproject.toml's literal flags reach the inferred flags of the
// extensions' sources, read without running meson or any build backend. Both are hostile
// input like the rest of the tree: what they name outside the tree is not used, and a
// file that is huge, a FIFO, a symlink out of the tree, unterminated or nested without end
// costs a warning or a note, never the scan. Real files, real libclang.
#include <gtest/gtest.h>

#include <sys/stat.h>

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
#include "analyzer/meson_build.h"
#include "rules/catalogue.h"
#include "tests/build_flags_support.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace build_flags_test;

// A static type object only when WITH_TYPES is defined; the module claims a GIL per
// interpreter, so the type is SI004 (which supersedes SI005) on line 4.
constexpr std::string_view kGuardedType =
    "#include <Python.h>\n"
    "#include \"shapes_config.inc\"\n"
    "#ifdef WITH_TYPES\n"
    "static PyTypeObject Shape_Type = {PyVarObject_HEAD_INIT(NULL, 0) .tp_name = \"shapes.Shape\"};\n"
    "#endif\n"
    "static int shapes_exec(PyObject *module) {\n"
    "#ifdef WITH_TYPES\n"
    "    if (PyModule_AddType(module, &Shape_Type) < 0) return -1;\n"
    "#endif\n"
    "    return 0;\n"
    "}\n"
    "static PyModuleDef_Slot shapes_slots[] = {\n"
    "    {Py_mod_exec, shapes_exec},\n"
    "    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},\n"
    "    {Py_mod_gil, Py_MOD_GIL_NOT_USED},\n"
    "    {0, NULL}};\n"
    "static PyModuleDef shapes_def = {PyModuleDef_HEAD_INIT, .m_name = \"shapes\", .m_slots = shapes_slots};\n"
    "PyMODINIT_FUNC PyInit_shapes(void) { return PyModuleDef_Init(&shapes_def); }\n";

std::size_t findings_of(const AnalysisResult& result, std::string_view rule) {
  return static_cast<std::size_t>(std::count_if(result.findings.begin(), result.findings.end(),
                                                [&](const Finding& finding) { return finding.rule == rule; }));
}

// shapes_config.inc is no header to the tree walk, so only include_directories puts
// cfg/private on the include path.
void write_shapes_tree(const test::TempDir& tree) {
  tree.write("src/shapes.c", kGuardedType);
  tree.write("cfg/private/shapes_config.inc", "#define SHAPES_CONFIG 1\n");
}

TEST(MesonBuildFlags, CArgsMacroAndIncludeDirectoriesMakeTheGuardedStaticTypeVisible) {
  if (!target_python()) GTEST_SKIP() << "no CPython >= 3.12 with headers";
  test::TempDir tree("subcheck-meson");
  write_shapes_tree(tree);
  tree.write("meson.build",
             "project('shapes', 'c')\n"
             "py = import('python').find_installation(pure: false)\n"
             "subdir('src')\n");
  tree.write("src/meson.build",
             "# the module\n"
             "config_inc = include_directories('../cfg/private')\n"
             "py.extension_module('shapes',\n"
             "  'shapes.c',\n"
             "  c_args: ['-DWITH_TYPES', '-Wno-unused'],\n"
             "  include_directories: config_inc,\n"
             "  dependencies: py.dependency(),\n"
             "  install: true)\n");
  CompileDatabase db = infer(tree.path());
  const CompileCommand* shapes = command_for(db, "shapes.c");
  ASSERT_TRUE(shapes);
  EXPECT_TRUE(has_arg(*shapes, "-DWITH_TYPES")) << joined(shapes->args);
  EXPECT_TRUE(has_arg(*shapes, "-I" + (fs::canonical(tree.path()) / "cfg/private").string())) << joined(shapes->args);
  EXPECT_EQ(db.origin, "inferred (+ meson.build: 1 extension, 1 macro, 1 include dir applied)");
  EXPECT_TRUE(any_contains(db.notes, "src/meson.build:3: c_args -Wno-unused not applied (only -D, -U and -I are)"))
      << joined(db.notes);

  AnalysisResult with = scan(tree.path());
  EXPECT_EQ(errors_in(with), 0u);
  EXPECT_EQ(findings_of(with, "SI004"), 1u) << "the static type under #ifdef WITH_TYPES was not seen";

  // Without the macro (and so without the include directory) the type is not compiled in.
  tree.write("src/meson.build", "py.extension_module('shapes', 'shapes.c')\n");
  AnalysisResult without = scan(tree.path());
  EXPECT_EQ(findings_of(without, "SI004"), 0u);
  EXPECT_GT(errors_in(without), 0u) << "shapes_config.inc was found without include_directories";
}

TEST(MesonBuildFlags, ProjectArgumentsFilesVariablesAndLanguagesAreRead) {
  test::TempDir tree("subcheck-meson");
  tree.write("a.c", "int a;\n");
  tree.write("b.cpp", "int b;\n");
  tree.write("other.c", "int other;\n");
  tree.write("inc/x.txt", "not a header\n");
  tree.write("meson.build",
             "project('p', ['c', 'cpp'])\n"
             "add_project_arguments('-DFROM_PROJECT=1', '-U', 'NDEBUG', language: 'c')\n"
             "add_global_arguments(['-DCPP_ONLY'], language: ['cpp'])\n"
             "common = ['-DCOMMON']\n"
             "common += ['-DMORE']\n"
             "srcs = files('a.c', 'b.cpp')\n"
             "if get_option('debug')\n"
             "  maybe = ['-DMAYBE']\n"
             "endif\n"
             "py.extension_module('p', srcs,\n"
             "  c_args: common + maybe, cpp_args: common,\n"
             "  include_directories: ['inc', '/usr/include'],\n"
             "  dependencies: [dependency('pybind11'), dependency('numpy')])\n"
             "configure_file(output: 'config.h', configuration: conf)\n");
  CompileDatabase db = infer(tree.path());
  const CompileCommand* a = command_for(db, "a.c");
  const CompileCommand* b = command_for(db, "b.cpp");
  const CompileCommand* other = command_for(db, "other.c");
  ASSERT_TRUE(a && b && other);
  for (std::string_view flag : {"-DFROM_PROJECT=1", "-UNDEBUG", "-DCOMMON", "-DMORE"})
    EXPECT_TRUE(has_arg(*a, flag)) << flag << "\n" << joined(a->args);
  EXPECT_FALSE(mentions(*a, "CPP_ONLY")) << joined(a->args);
  EXPECT_FALSE(mentions(*a, "MAYBE")) << "assigned inside an if";
  for (std::string_view flag : {"-DCPP_ONLY", "-DCOMMON", "-DMORE"})
    EXPECT_TRUE(has_arg(*b, flag)) << flag << "\n" << joined(b->args);
  EXPECT_FALSE(mentions(*b, "FROM_PROJECT"));
  EXPECT_TRUE(has_arg(*a, "-I" + (fs::canonical(tree.path()) / "inc").string())) << joined(a->args);
  // Exactly: the Python include directory may itself lie under /usr/include (in the sid root).
  EXPECT_FALSE(has_arg(*a, "-I/usr/include")) << "outside the tree\n" << joined(a->args);
  EXPECT_FALSE(mentions(*other, "COMMON")) << "no extension lists other.c";
  EXPECT_TRUE(any_contains(db.warnings, "include directory '/usr/include' lies outside the scanned tree"))
      << joined(db.warnings);
  EXPECT_TRUE(any_contains(db.notes,
                           "meson.build:10: a c_args entry, 'maybe', assigned inside an if or foreach "
                           "block, is not a literal; not applied"))
      << joined(db.notes);
  EXPECT_TRUE(any_contains(db.notes,
                           "meson.build:10: a dependency of extension_module('p'), "
                           "dependency('pybind11'), was not applied"))
      << joined(db.notes);
  EXPECT_FALSE(any_contains(db.notes, "dependency('numpy')")) << "inference adds NumPy's headers";
  EXPECT_TRUE(any_contains(db.notes, "meson.build:14: configure_file(...)")) << joined(db.notes);
  EXPECT_EQ(db.origin, "inferred (+ meson.build: 2 extensions, 7 macros, 2 include dirs applied)");
}

TEST(PyprojectToml, SetuptoolsExtModulesApplyAndOtherBackendsSayWhereTheFlagsAre) {
  test::TempDir tree("subcheck-pyproject");
  tree.write("src/m.c", "int m;\n");
  tree.write("inc/keep.txt", "\n");
  tree.write("pyproject.toml",
             "[build-system]\n"
             "requires = ['setuptools>=74']\n"
             "build-backend = 'setuptools.build_meta'\n"
             "\n"
             "[[tool.setuptools.ext-modules]]\n"
             "name = 'm'\n"
             "sources = ['src/m.c']\n"
             "define-macros = [['M_FLAG', '2'], ['BARE'], [3]]\n"
             "undef-macros = ['NDEBUG']\n"
             "include-dirs = ['inc', '/etc']\n");
  CompileDatabase db = infer(tree.path());
  const CompileCommand* m = command_for(db, "m.c");
  ASSERT_TRUE(m);
  EXPECT_TRUE(has_arg(*m, "-DM_FLAG=2")) << joined(m->args);
  EXPECT_TRUE(has_arg(*m, "-DBARE")) << joined(m->args);
  EXPECT_TRUE(has_arg(*m, "-UNDEBUG")) << joined(m->args);
  EXPECT_TRUE(has_arg(*m, "-I" + (fs::canonical(tree.path()) / "inc").string())) << joined(m->args);
  EXPECT_FALSE(mentions(*m, "/etc"));
  EXPECT_TRUE(any_contains(db.notes, "pyproject.toml:8: a define-macros entry is not [\"NAME\"]")) << joined(db.notes);
  EXPECT_EQ(db.origin, "inferred (+ pyproject.toml: 1 extension, 3 macros, 1 include dir applied)");

  tree.write("pyproject.toml", "[build-system]\nbuild-backend = \"scikit_build_core.build\"\n");
  db = infer(tree.path());
  EXPECT_EQ(db.origin, "inferred");
  EXPECT_TRUE(any_contains(db.notes,
                           "build-backend scikit_build_core.build computes the compile flags in its own "
                           "build system"))
      << joined(db.notes);
  EXPECT_TRUE(any_contains(db.notes, "CMAKE_EXPORT_COMPILE_COMMANDS=ON")) << joined(db.notes);

  tree.write("pyproject.toml", "[build-system]\nbuild-backend = \"mesonpy\"\n");
  tree.write("meson.build", "py.extension_module('m', 'src/m.c', c_args: '-DVIA_MESON')\n");
  db = infer(tree.path());
  EXPECT_TRUE(has_arg(*command_for(db, "m.c"), "-DVIA_MESON"));
  EXPECT_TRUE(any_contains(db.notes, "build-backend mesonpy: the flags were read from meson.build"))
      << joined(db.notes);

  tree.write("pyproject.toml", "[build-system\nbuild-backend = \n");
  db = infer(tree.path());
  EXPECT_TRUE(any_contains(db.warnings, "pyproject.toml: not read (not valid TOML at line 1)")) << joined(db.warnings);
}

TEST(MesonBuildHostile, HugeUnterminatedDeepFifoAndOutsideFilesAreWarningsAndTheScanGoesOn) {
  test::TempDir outside("subcheck-meson-outside");
  outside.write("meson.build", "py.extension_module('m', 'm.c', c_args: ['-DLEAK'])\n");
  outside.write("sub/meson.build", "py.extension_module('m', '../m.c', c_args: ['-DLEAK'])\n");
  struct Case {
    std::string name;
    std::function<void(const test::TempDir&)> make;
    std::string expected;  // in a warning or a note
  };
  const std::string ok_module = "py.extension_module('m', 'm.c', c_args: ['-DOK'])\n";
  std::vector<Case> cases = {
      {"100 MB",
       [](const test::TempDir& t) {
         fs::path p = t.write("meson.build", "project('x')\n");
         fs::resize_file(p, std::uintmax_t{100} << 20);
       },
       "larger than"},
      {"FIFO", [](const test::TempDir& t) { ASSERT_EQ(::mkfifo((t.path() / "meson.build").c_str(), 0600), 0); },
       "not a regular file (a FIFO)"},
      {"symlink out",
       [&](const test::TempDir& t) { fs::create_symlink(outside.path() / "meson.build", t.path() / "meson.build"); },
       "leads out of the scanned tree"},
      {"subdir symlink out",
       [&](const test::TempDir& t) {
         t.write("meson.build", "subdir('sub')\n" + ok_module);
         fs::create_symlink(outside.path() / "sub", t.path() / "sub");
       },
       "subdir('sub'): "},
      {"subdir FIFO",
       [&](const test::TempDir& t) {
         t.write("meson.build", "subdir('sub')\n" + ok_module);
         fs::create_directory(t.path() / "sub");
         ASSERT_EQ(::mkfifo((t.path() / "sub/meson.build").c_str(), 0600), 0);
       },
       "not a regular file (a FIFO)"},
      {"subdir loop",
       [&](const test::TempDir& t) {
         t.write("meson.build", "subdir('a')\n" + ok_module);
         t.write("a/meson.build", "subdir('..')\n");
       },
       "it was read already"},
      {"unterminated string",
       [&](const test::TempDir& t) { t.write("meson.build", ok_module + "x = 'never closed\ny = '''also\n"); },
       "meson.build:2: 2 statements not understood"},
      {"deep nesting",
       [&](const test::TempDir& t) { t.write("meson.build", ok_module + "x = " + std::string(200000, '[') + "\n"); },
       "meson.build:2: 1 statement not understood"},
      {"deep values",
       [&](const test::TempDir& t) {
         std::string text = ok_module + "v0 = ['-DX']\n";
         for (int i = 1; i < 20000; ++i) text += "v" + std::to_string(i) + " = [v" + std::to_string(i - 1) + "]\n";
         t.write("meson.build", text + "v1 += v1\npy.extension_module('n', 'n.c', c_args: v19999)\n");
       },
       "an array nested too deeply, is not a literal"},
      {"values that grow",
       [&](const test::TempDir& t) {
         std::string text = ok_module + "a = [";
         for (int i = 0; i < 10000; ++i) text += "'-DX',";
         text += "]\n";
         for (int i = 0; i < 2000; ++i) text += "b" + std::to_string(i) + " = a + []\n";
         t.write("meson.build", text);
       },
       "reading stopped (its values grew too large to follow)"},
      {"many notes",
       [&](const test::TempDir& t) {
         std::string text = ok_module;
         for (int i = 0; i < 2000; ++i) text += "configure_file(output: 'c.h')\n";
         t.write("meson.build", text);
       },
       "1500 more notes on meson.build files not shown"},
      {"binary", [&](const test::TempDir& t) { t.write("meson.build", ok_module + std::string("\0\xff\xfe(", 4)); },
       "not understood"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    test::TempDir tree("subcheck-meson");
    tree.write("m.c", "int m;\n");
    c.make(tree);
    auto start = std::chrono::steady_clock::now();
    CompileDatabase db = infer(tree.path());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
    EXPECT_TRUE(any_contains(db.warnings, c.expected) || any_contains(db.notes, c.expected))
        << "warnings:\n"
        << joined(db.warnings) << "notes:\n"
        << joined(db.notes);
    const CompileCommand* m = command_for(db, "m.c");
    ASSERT_TRUE(m);
    EXPECT_FALSE(mentions(*m, "LEAK"));
  }
}

}  // namespace
}  // namespace subcheck
