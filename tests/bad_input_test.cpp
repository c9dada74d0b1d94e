// Inputs a scanner meets in the wild and must survive: a file that does not parse, a
// missing header, bytes that are not UTF-8, a very large generated file, an empty tree,
// a symlink loop, a corrupt compile database, binary junk with a .c name. analyze()
// must return (never throw), name the file and the reason where something is wrong, and
// still report the findings of the good file next to the bad ones.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "analyzer/analyze.h"
#include "analyzer/compile_db.h"
#include "rules/catalogue.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;

const std::optional<Interpreter>& bad_input_python() {
  static const std::optional<Interpreter> python = find_default_python();
  return python;
}

#define REQUIRE_PYTHON()   \
  if (!bad_input_python()) \
  GTEST_SKIP() << "no CPython >= 3.12 found (PATH, pyenv, toolchain cache): cannot parse C extensions"

// A well-formed single-phase module with two known findings. It calls PyModule_Create2
// directly: how the PyModule_Create macro is recognised is the corpus's business, not
// this file's.
constexpr std::string_view kGoodModule =
    "#include <Python.h>\n"
    "\n"
    "static PyObject *good_error = NULL;\n"  // 3: SI006
    "\n"
    "static PyModuleDef good_def = {PyModuleDef_HEAD_INIT, .m_name = \"good\", .m_size = -1};\n"
    "\n"
    "PyMODINIT_FUNC PyInit_good(void) {\n"                                       // 7: FT001
    "    PyObject *module = PyModule_Create2(&good_def, PYTHON_API_VERSION);\n"  // 8: SI001
    "    if (module == NULL) return NULL;\n"
    "    good_error = PyErr_NewException(\"good.error\", NULL, NULL);\n"
    "    return module;\n"
    "}\n";
constexpr unsigned kGoodGlobalLine = 3;
constexpr unsigned kGoodCreateLine = 8;

AnalysisResult scan(const fs::path& root) {
  AnalyzeOptions options;
  options.root = root;
  options.python = bad_input_python();
  options.jobs = 2;
  return analyze(options, RuleCatalogue::builtin());
}

// Runs analyze() and turns an escaping exception into a test failure with its message.
std::optional<AnalysisResult> scan_without_throwing(const fs::path& root) {
  try {
    return scan(root);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "analyze() threw for " << root << ": " << error.what();
  } catch (...) {
    ADD_FAILURE() << "analyze() threw a non-standard exception for " << root;
  }
  return std::nullopt;
}

std::size_t count_findings(const AnalysisResult& result, std::string_view rule, std::string_view file_name,
                           std::optional<unsigned> line = std::nullopt) {
  std::size_t count = 0;
  for (const auto& finding : result.findings) {
    if (finding.rule == rule && fs::path(finding.location.file).filename() == file_name &&
        (!line || finding.location.line == *line)) {
      ++count;
    }
  }
  return count;
}

std::string describe_findings(const AnalysisResult& result) {
  std::ostringstream out;
  for (const auto& finding : result.findings) {
    out << "  " << finding.rule << " " << finding.location.file << ":" << finding.location.line << "\n";
  }
  return out.str();
}

std::string describe_diagnostics(const AnalysisResult& result) {
  std::ostringstream out;
  for (const auto& diagnostic : result.diagnostics) {
    out << "  " << to_string(diagnostic.severity) << " " << diagnostic.location.file << ":" << diagnostic.location.line
        << ": " << diagnostic.message << "\n";
  }
  return out.str().empty() ? "  (none)\n" : out.str();
}

// A diagnostic names a file when its location is in that file or its message mentions it.
bool has_diagnostic_about(const AnalysisResult& result, std::string_view file_name,
                          std::string_view reason_contains = {}) {
  for (const auto& diagnostic : result.diagnostics) {
    bool names_file = fs::path(diagnostic.location.file).filename() == file_name ||
                      diagnostic.message.find(file_name) != std::string::npos;
    bool gives_reason = !diagnostic.message.empty() &&
                        (reason_contains.empty() || diagnostic.message.find(reason_contains) != std::string::npos);
    if (names_file && gives_reason) return true;
  }
  return false;
}

void expect_good_module_findings(const AnalysisResult& result) {
  EXPECT_EQ(count_findings(result, "SI001", "good.c", kGoodCreateLine), 1u)
      << "the good module next to the bad input lost its SI001; findings:\n"
      << describe_findings(result);
  EXPECT_EQ(count_findings(result, "SI006", "good.c", kGoodGlobalLine), 1u)
      << "the good module next to the bad input lost its SI006; findings:\n"
      << describe_findings(result);
}

TEST(BadInput, FileThatDoesNotParseIsReportedAndItsNeighbourStillScanned) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  dir.write("good.c", kGoodModule);
  dir.write("broken.c",
            "#include <Python.h>\n"
            "static PyObject *half = ;\n"
            "int f( { return ]]] @@ ;\n"
            "PyMODINIT_FUNC PyInit_broken(void) { return PyModule_Create(&nothing; }\n");

  auto result = scan_without_throwing(dir.path());
  ASSERT_TRUE(result);
  EXPECT_TRUE(has_diagnostic_about(*result, "broken.c"))
      << "expected a diagnostic naming broken.c and why it failed; got:\n"
      << describe_diagnostics(*result);
  EXPECT_FALSE(has_diagnostic_about(*result, "good.c")) << describe_diagnostics(*result);
  expect_good_module_findings(*result);
}

TEST(BadInput, MissingHeaderIsNamedInADiagnostic) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  dir.write("good.c", kGoodModule);
  dir.write("needs_header.c",
            "#include <Python.h>\n"
            "#include \"vendor/no_such_header.h\"\n"
            "static PyModuleDef needs_def = {PyModuleDef_HEAD_INIT, .m_name = \"needs\", .m_size = -1};\n"
            "PyMODINIT_FUNC PyInit_needs(void) { return PyModule_Create(&needs_def); }\n");

  auto result = scan_without_throwing(dir.path());
  ASSERT_TRUE(result);
  EXPECT_TRUE(has_diagnostic_about(*result, "needs_header.c", "no_such_header.h"))
      << "expected a diagnostic naming needs_header.c and the missing header; got:\n"
      << describe_diagnostics(*result);
  expect_good_module_findings(*result);
}

// A third-party header that is not installed, used by many functions ahead of PyInit:
// far more errors than clang's error limit (issue 8: python-pyaudio without portaudio).
std::string module_with_many_errors(int helpers) {
  std::string text = "#include <Python.h>\n#include <not_installed_sdk.h>\n";
  for (int i = 0; i < helpers; ++i) {
    text += "static SdkStatus helper_" + std::to_string(i) + "(SdkHandle *h) { return sdk_call(h, SDK_FLAG); }\n";
  }
  text +=
      "static PyModuleDef sdk_def = {PyModuleDef_HEAD_INIT, .m_name = \"sdk\", .m_size = -1};\n"
      "PyMODINIT_FUNC PyInit_sdk(void) { return PyModule_Create(&sdk_def); }\n";
  return text;
}

// What clang said about a unit, every error (the report shows only the first few per file).
bool clang_said(const AnalysisResult& result, std::string_view message_part) {
  for (const TranslationUnitFacts& unit : result.model.units) {
    for (const ParseDiagnostic& diagnostic : unit.diagnostics) {
      if (diagnostic.message.find(message_part) != std::string::npos) return true;
    }
  }
  return false;
}

const ExtensionModule* module_named(const AnalysisResult& result, std::string_view name) {
  for (const ExtensionModule& module : result.model.modules) {
    if (module.name == name) return &module;
  }
  return nullptr;
}

TEST(BadInput, EveryErrorIsKeptAndAMissingHeaderDoesNotHideASinglePhaseInit) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  dir.write("sdk.c", module_with_many_errors(200));
  auto result = scan_without_throwing(dir.path());
  ASSERT_TRUE(result);
  EXPECT_FALSE(clang_said(*result, "too many errors")) << describe_diagnostics(*result);
  const ExtensionModule* module = module_named(*result, "sdk");
  ASSERT_NE(module, nullptr);
  for (const auto& [config, view] : module->configs) {
    EXPECT_EQ(view.init, InitStyle::single_phase) << to_string(config) << "\n" << describe_diagnostics(*result);
  }
  EXPECT_EQ(count_findings(*result, "SI001", "sdk.c"), 1u) << describe_findings(*result);
}

// An error limit the user asks for (--extra-arg) wins over subcheck's own: the parse then
// stops early, and a module read from a parse that stopped is unknown, said so.
TEST(BadInput, AnErrorLimitFromTheCommandIsHonouredAndMakesTheModuleUnknown) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  dir.write("sdk.c", module_with_many_errors(20));
  AnalyzeOptions options;
  options.root = dir.path();
  options.python = bad_input_python();
  options.jobs = 2;
  options.extra_args = {"-ferror-limit=5"};
  AnalysisResult result = analyze(options, RuleCatalogue::builtin());
  EXPECT_TRUE(clang_said(result, "too many errors")) << describe_diagnostics(result);
  const ExtensionModule* module = module_named(result, "sdk");
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->configs.at(BuildConfig::gil).init, InitStyle::unknown);
  EXPECT_TRUE(has_diagnostic_about(result, "sdk.c", "could not judge module 'sdk'")) << describe_diagnostics(result);
}

TEST(BadInput, NonUtf8BytesInACommentAndAStringDoNotStopTheScan) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  dir.write("good.c", kGoodModule);
  dir.write("latin1.c",
            "#include <Python.h>\n"
            "/* caf\xe9, na\xefve, \xff\xfe: a Latin-1 comment */\n"
            "static PyObject *latin_cache = NULL;\n"  // 3: SI006
            "static const char greeting[] = \"gr\xfc\xdf Gott \xff\";\n"
            "static PyModuleDef latin_def = {PyModuleDef_HEAD_INIT, .m_name = \"latin1\", .m_size = -1};\n"
            "PyMODINIT_FUNC PyInit_latin1(void) {\n"
            "    PyObject *module = PyModule_Create2(&latin_def, PYTHON_API_VERSION);\n"  // 7: SI001
            "    if (module == NULL) return NULL;\n"
            "    latin_cache = PyUnicode_DecodeLatin1(greeting, sizeof(greeting) - 1, NULL);\n"
            "    return module;\n"
            "}\n");

  auto result = scan_without_throwing(dir.path());
  ASSERT_TRUE(result);
  EXPECT_EQ(count_findings(*result, "SI006", "latin1.c", 3), 1u) << describe_findings(*result);
  EXPECT_EQ(count_findings(*result, "SI001", "latin1.c", 7), 1u) << describe_findings(*result);
  expect_good_module_findings(*result);
  // Reports are written as UTF-8 (JSON requires it): nothing may carry the raw bytes on.
  for (const auto& finding : result->findings) {
    EXPECT_TRUE(test::is_valid_utf8(finding.message)) << finding.rule << " message is not UTF-8";
  }
  for (const auto& diagnostic : result->diagnostics) {
    EXPECT_TRUE(test::is_valid_utf8(diagnostic.message)) << "diagnostic message is not UTF-8";
  }
}

// About 50,000 lines: 2,500 functions of 20 lines, 500 counters each written once, and
// a Python-object global declared past line 50,000 so the end of the file is seen too.
struct GeneratedFile {
  std::string text;
  unsigned counters = 0;
  unsigned tail_global_line = 0;
  unsigned lines = 0;
};

GeneratedFile generate_large_file() {
  constexpr unsigned kFunctions = 2500, kCounters = 500;
  GeneratedFile file;
  std::ostringstream out;
  unsigned line = 0;
  auto emit = [&](const std::string& text) {
    out << text << "\n";
    ++line;
  };
  emit("#include <Python.h>");
  for (unsigned i = 0; i < kCounters; ++i) emit("static long counter_" + std::to_string(i) + " = 0;");
  for (unsigned i = 0; i < kFunctions; ++i) {
    const std::string n = std::to_string(i);
    emit("long big_work_" + n + "(long x) {");
    emit("    long acc = x + " + n + ";");
    for (int step = 0; step < 15; ++step) emit("    acc = acc * 3 + " + std::to_string(step) + " - (acc >> 2);");
    emit(i < kCounters ? "    counter_" + n + " += acc;" : "    acc ^= " + n + ";");
    emit("    return acc;");
    emit("}");
  }
  // Methods run at run time: a write in a function nothing calls would not count (SI010).
  emit("static PyMethodDef big_methods[] = {");
  for (unsigned i = 0; i < kCounters; ++i) {
    const std::string n = std::to_string(i);
    emit("    {\"work_" + n + "\", (PyCFunction)(void (*)(void))big_work_" + n + ", METH_NOARGS, NULL},");
  }
  emit("    {NULL, NULL, 0, NULL}};");
  emit(
      "static PyModuleDef big_def = {PyModuleDef_HEAD_INIT, .m_name = \"big\", .m_size = -1, .m_methods = "
      "big_methods};");
  file.tail_global_line = line + 1;
  emit("static PyObject *tail_cache = NULL;");
  emit("PyMODINIT_FUNC PyInit_big(void) {");
  emit("    PyObject *module = PyModule_Create2(&big_def, PYTHON_API_VERSION);");
  emit("    if (module == NULL) return NULL;");
  emit("    tail_cache = PyLong_FromLong(big_work_0(1));");
  emit("    return module;");
  emit("}");
  file.text = out.str();
  file.counters = kCounters;
  file.lines = line;
  return file;
}

TEST(BadInput, FiftyThousandLineFileIsScannedToTheEnd) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  const GeneratedFile big = generate_large_file();
  ASSERT_GE(big.lines, 50000u);
  dir.write("big.c", big.text);

  const auto start = std::chrono::steady_clock::now();
  auto result = scan_without_throwing(dir.path());
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(result);
  EXPECT_EQ(count_findings(*result, "SI010", "big.c"), big.counters) << "one SI010 per counter written";
  EXPECT_EQ(count_findings(*result, "SI006", "big.c", big.tail_global_line), 1u)
      << "the global past line 50,000 was not seen";
  EXPECT_EQ(count_findings(*result, "SI001", "big.c"), 1u);
  EXPECT_FALSE(has_diagnostic_about(*result, "big.c")) << describe_diagnostics(*result);
  EXPECT_LT(seconds, 120.0) << "a 50k-line file took " << seconds << " s";
}

TEST(BadInput, EmptyTreeGivesNoModulesAndNoFindings) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  fs::create_directories(dir.path() / "src" / "empty");

  auto result = scan_without_throwing(dir.path());
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->findings.empty()) << describe_findings(*result);
  EXPECT_TRUE(result->model.modules.empty());
  EXPECT_TRUE(result->verdicts.empty());
  EXPECT_EQ(result->suppressed, 0u);
}

TEST(BadInput, SymlinkLoopIsNotFollowedForever) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  dir.write("pkg/good.c", kGoodModule);
  fs::create_directory_symlink("..", dir.path() / "pkg" / "up");   // pkg/up -> the root
  fs::create_directory_symlink(".", dir.path() / "pkg" / "self");  // pkg/self -> pkg
  fs::create_symlink("/nonexistent/subcheck/missing.c", dir.path() / "pkg" / "dangling.c");

  auto result = scan_without_throwing(dir.path());
  ASSERT_TRUE(result);
  expect_good_module_findings(*result);  // exactly once each: no copy through pkg/up or pkg/self
  EXPECT_EQ(result->model.modules.size(), 1u) << "the module was found through more than one path";
}

TEST(BadInput, CorruptCompileDatabaseIsADiagnosticNotACrash) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  dir.write("good.c", kGoodModule);
  dir.write("compile_commands.json", "[ { \"directory\": \"/tmp\", \"file\": ");

  auto result = scan_without_throwing(dir.path());
  ASSERT_TRUE(result);
  EXPECT_TRUE(has_diagnostic_about(*result, "compile_commands.json"))
      << "expected a diagnostic naming the unreadable compile_commands.json; got:\n"
      << describe_diagnostics(*result);
}

TEST(BadInput, BinaryJunkWithACExtensionDoesNotStopTheScan) {
  REQUIRE_PYTHON();
  test::TempDir dir("subcheck-badinput");
  dir.write("good.c", kGoodModule);
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 131 + 7) % 256));
  dir.write("junk.c", junk);

  auto result = scan_without_throwing(dir.path());
  ASSERT_TRUE(result);
  EXPECT_TRUE(has_diagnostic_about(*result, "junk.c")) << describe_diagnostics(*result);
  expect_good_module_findings(*result);
}

}  // namespace
}  // namespace subcheck
