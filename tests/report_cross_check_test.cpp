// The static/dynamic join (report/cross_check.h) on real input: two extension modules that
// share their last name, `_speedups`, in packages `a` and `b`, compiled here against a real
// interpreter's headers, scanned by the real analyzer (libclang) and imported by the real
// prober. Their sources say different things about subinterpreters, and so do their
// binaries: each probed module must be compared with its own sources only. The join the CLI
// used before (by last name) paired both with the first `_speedups` and reported a
// disagreement for the other.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "analyzer/analyze.h"
#include "core/interpreter.h"
#include "prober/prober.h"
#include "report/cross_check.h"
#include "rules/catalogue.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;

// A module that refuses isolated subinterpreters, and says so in its sources.
constexpr const char* kRefusing = R"(#include <Python.h>
static PyModuleDef_Slot slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
    {0, NULL},
};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "_speedups", .m_slots = slots};
PyMODINIT_FUNC PyInit__speedups(void) { return PyModuleDef_Init(&def); }
)";

// A module that supports them (no state at all), and says so.
constexpr const char* kSupporting = R"(#include <Python.h>
static PyModuleDef_Slot slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "_speedups", .m_slots = slots};
PyMODINIT_FUNC PyInit__speedups(void) { return PyModuleDef_Init(&def); }
)";

// A module of a name no other has, which supports them: joined whatever the layout.
constexpr const char* kOnly = R"(#include <Python.h>
static PyModuleDef_Slot slots[] = {
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {0, NULL},
};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "_only", .m_slots = slots};
PyMODINIT_FUNC PyInit__only(void) { return PyModuleDef_Init(&def); }
)";

// A GIL build (the subinterpreter verdicts are compared on GIL builds only).
std::optional<Interpreter> gil_interpreter() {
  for (const std::string tag : {"3.13", "3.12"}) {
    for (Interpreter& candidate : find_interpreters({tag})) {
      if (candidate.implementation_tag == tag && !candidate.free_threaded) return candidate;
    }
  }
  return std::nullopt;
}

// Sources in src/a and src/b, the same sources built in place beside them, and built again
// into build/lib/a and build/lib/b (the layout of `setup.py build`).
class TwoSpeedups : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    interpreter_ = gil_interpreter();
    if (!interpreter_) return;
    tree_ = std::make_unique<test::TempDir>("subcheck-report-join");
    const std::string suffix = interpreter_->extension_suffixes.front();
    for (const auto& [package, name, source] :
         {std::tuple{"a", "_speedups", kRefusing}, std::tuple{"b", "_speedups", kSupporting},
          std::tuple{"a", "_only", kOnly}}) {
      const fs::path source_file = tree_->write(fs::path("src") / package / (std::string(name) + ".c"), source);
      tree_->write(fs::path("src") / package / "__init__.py", "");
      tree_->write(fs::path("build/lib") / package / "__init__.py", "");
      for (const fs::path& dir : {source_file.parent_path(), tree_->path() / "build/lib" / package}) {
        const std::string command = "cc -shared -fPIC -w -I'" + interpreter_->include_dir.string() + "' '" +
                                    source_file.string() + "' -o '" + (dir / (name + suffix)).string() + "'";
        if (std::system(command.c_str()) != 0) compile_error_ += command + "\n";
      }
    }
    AnalyzeOptions options;
    options.root = tree_->path() / "src";
    options.python = interpreter_;
    options.jobs = 2;
    analysis_ = std::make_unique<AnalysisResult>(analyze(options, RuleCatalogue::builtin()));
  }
  static void TearDownTestSuite() {
    analysis_.reset();
    tree_.reset();
  }

  void SetUp() override {
    if (!interpreter_) GTEST_SKIP() << "no CPython 3.12 or 3.13 GIL build on this machine";
    ASSERT_TRUE(compile_error_.empty()) << compile_error_;
  }

  // Probes every module under `dir` (discovered as the prober does for a tree).
  static std::vector<DynamicRun> probe_tree(const fs::path& dir) {
    prober::ProbeOptions options;
    options.jobs = 2;
    options.stress = false;
    options.timeout = std::chrono::seconds(20);
    const prober::ProbeTarget target = prober::discover(dir.string(), *interpreter_);
    return {DynamicRun{*interpreter_, prober::probe(*interpreter_, target, options)}};
  }

  static const prober::ModuleProbeReport* probed(const std::vector<DynamicRun>& runs, const std::string& name) {
    for (const prober::ModuleProbeReport& report : runs.front().run.modules) {
      if (report.module == name) return &report;
    }
    return nullptr;
  }

  // The source file of the static module the join picks for a probed module.
  static std::string joined_source(const prober::ModuleProbeReport& report) {
    std::optional<std::size_t> index = static_module_for(*analysis_, report.module, report.file, false);
    return index ? analysis_->model.modules[*index].location.file : "(none)";
  }

  static std::string source_of(const std::string& package, const std::string& name = "_speedups") {
    return (tree_->path() / "src" / package / (name + ".c")).lexically_normal().string();
  }

  // Each `_speedups` is compared with its own package's sources or with none; never with
  // the other's. The static model of today keeps one module per PyInit name
  // (analyzer/module_model.cpp resolves by name), mixing the two, so neither is compared;
  // `_only`, the one module of its name, is compared with its sources.
  static void expect_each_joined_to_its_own_source(const std::vector<DynamicRun>& runs) {
    const prober::ModuleProbeReport* a = probed(runs, "a._speedups");
    const prober::ModuleProbeReport* b = probed(runs, "b._speedups");
    const prober::ModuleProbeReport* only = probed(runs, "a._only");
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_NE(only, nullptr);
    // What the two binaries do differs, so a module compared with the other's sources
    // disagrees: the last-name join reported exactly that for one of them.
    EXPECT_EQ(a->subinterpreters, SubinterpreterVerdict::unsupported) << a->summary;
    EXPECT_EQ(b->subinterpreters, SubinterpreterVerdict::supported) << b->summary;
    const std::string a_source = joined_source(*a), b_source = joined_source(*b);
    EXPECT_TRUE(a_source == source_of("a") || a_source == "(none)") << a_source;
    EXPECT_TRUE(b_source == source_of("b") || b_source == "(none)") << b_source;
    EXPECT_EQ(joined_source(*only), source_of("a", "_only"));
    for (const CrossCheck& check : cross_check(*analysis_, runs)) {
      ADD_FAILURE() << check.import_name << " (" << check.file.string() << ") " << to_string(check.kind) << ": "
                    << check.message;
    }
  }

  static inline std::optional<Interpreter> interpreter_;
  static inline std::unique_ptr<test::TempDir> tree_;
  static inline std::unique_ptr<AnalysisResult> analysis_;
  static inline std::string compile_error_;
};

TEST_F(TwoSpeedups, ModulesBuiltInPlaceAreComparedWithTheSourcesBesideThem) {
  expect_each_joined_to_its_own_source(probe_tree(tree_->path() / "src"));
}

TEST_F(TwoSpeedups, ModulesOfABuildTreeAreComparedWithTheSourcesOfTheirPackage) {
  expect_each_joined_to_its_own_source(probe_tree(tree_->path() / "build/lib"));
}

// A probed `_speedups` of a package no source directory is named after, while another
// probed module has that last name too: nothing says which sources built it, so it is
// compared with none (the last-name join took the first `_speedups` it found).
TEST_F(TwoSpeedups, AModuleNoSourceFitsIsComparedWithNothing) {
  const std::vector<DynamicRun> runs = probe_tree(tree_->path() / "build/lib");
  const prober::ModuleProbeReport* b = probed(runs, "b._speedups");
  ASSERT_NE(b, nullptr);
  const fs::path elsewhere = tree_->path() / "build/lib/c" / b->file.filename();
  EXPECT_EQ(static_module_for(*analysis_, "c._speedups", elsewhere, false), std::nullopt);
}

}  // namespace
}  // namespace subcheck
