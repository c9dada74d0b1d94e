// pybind11 modules scanned with pybind11's real headers (Debian trixie's pybind11-dev
// 2.13, unpacked by ci/lib.sh ensure_test_packages), the way a project's CI scans them.
// PYBIND11_MODULE's PyInit creates the module inside pybind11's own header
// (`module_::create_extension_module` calls PyModule_Create2), so the init style comes
// from following that call, and `py::mod_gil_not_used()` is the Py_mod_gil declaration.
// Without the headers corpus/pybind11_module.cpp covers the macro's tokens alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "analyzer/analyze.h"
#include "rules/catalogue.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;

class Pybind11Headers : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = find_default_python();
    if (!python_) GTEST_SKIP() << "no CPython >= 3.12 found";
    fs::path package = test::debian_unpacked("pybind11-dev");
    if (package.empty()) GTEST_SKIP() << "pybind11-dev is not unpacked under " << subcheck_cache() / "debian-bin";
    include_ = package / "usr" / "include";
  }

  AnalysisResult scan(const std::string& module_options) const {
    test::TempDir tree("subcheck-pybind11");
    tree.write("wrap.cpp",
               "#include <pybind11/pybind11.h>\n"
               "namespace py = pybind11;\n"
               "static int twice(int x) { return 2 * x; }\n"
               "PYBIND11_MODULE(_wrapped" +
                   module_options +
                   ") {\n"
                   "    m.def(\"twice\", &twice);\n"
                   "}\n");
    AnalyzeOptions options;
    options.root = tree.path();
    options.python = python_;
    options.jobs = 2;
    options.extra_args = {"-I" + include_.string()};
    return analyze(options, RuleCatalogue::builtin());
  }

  static std::vector<std::string> rules_of(const AnalysisResult& result) {
    std::vector<std::string> rules;
    for (const Finding& finding : result.findings) rules.push_back(finding.rule);
    std::sort(rules.begin(), rules.end());
    return rules;
  }

  std::optional<Interpreter> python_;
  fs::path include_;
};

TEST_F(Pybind11Headers, TheModuleCreatedInsidePybind11IsSinglePhase) {
  AnalysisResult result = scan(", m");
  ASSERT_EQ(result.model.modules.size(), 1u);
  const ExtensionModule& module = result.model.modules.front();
  EXPECT_EQ(module.name, "_wrapped");
  for (BuildConfig config : {BuildConfig::gil, BuildConfig::free_threaded}) {
    ASSERT_NE(module.view(config), nullptr);
    EXPECT_EQ(module.view(config)->init, InitStyle::single_phase);
    EXPECT_TRUE(module.view(config)->created_at.has_value());
  }
  // Single-phase, and the GIL comes back on a free-threaded build: both reported.
  EXPECT_EQ(rules_of(result), (std::vector<std::string>{"FT001", "SI001"}));
  // The fix is pybind11's to make, not a hand-written PyModuleDef_Init.
  for (const Finding& finding : result.findings) {
    if (finding.rule != "SI001") continue;
    EXPECT_NE(finding.message.find("upgrade to pybind11 3.0+"), std::string::npos) << finding.message;
    EXPECT_NE(finding.message.find("py::multiple_interpreters::per_interpreter_gil()"), std::string::npos)
        << finding.message;
  }
}

TEST_F(Pybind11Headers, ModGilNotUsedDeclaresTheModuleGilFree) {
  AnalysisResult result = scan(", m, py::mod_gil_not_used()");
  ASSERT_EQ(result.model.modules.size(), 1u);
  const ModuleConfigView* free_threaded = result.model.modules.front().view(BuildConfig::free_threaded);
  ASSERT_NE(free_threaded, nullptr);
  EXPECT_EQ(free_threaded->init, InitStyle::single_phase);
  EXPECT_EQ(free_threaded->gil, GilDeclaration::not_used);
  EXPECT_EQ(rules_of(result), (std::vector<std::string>{"SI001"}));
}

}  // namespace
}  // namespace subcheck
