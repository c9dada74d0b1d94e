// The facts cache (analyzer/facts_cache.h) through analyze(): a re-scan of an unchanged
// tree parses nothing and reports the same; an edited header re-parses exactly the units
// that include it; a unit with a parse error is never kept; a damaged entry is a miss; a
// cache directory that is a symlink is refused and the scan goes on without it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "analyzer/analyze.h"
#include "core/interpreter.h"
#include "rules/catalogue.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;

const std::optional<Interpreter>& python() {
  static const std::optional<Interpreter> found = find_default_python();
  return found;
}

constexpr const char* kModule = R"(#include <Python.h>
#include "shared.h"
static PyObject *error;  /* written at import: SI006 */
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "%NAME%", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_%NAME%(void) {
  PyObject *m = PyModule_Create(&def);
  error = PyErr_NewException("%NAME%.error", NULL, NULL);
  return m;
}
)";

std::string module_source(const std::string& name) {
  std::string text = kModule;
  for (std::size_t at; (at = text.find("%NAME%")) != std::string::npos;) text.replace(at, 6, name);
  return text;
}

class FactsCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!python()) GTEST_SKIP() << "no CPython >= 3.12 found: cannot parse C extensions";
    tree_.write("shared.h", "#define SHARED 1\n");
    tree_.write("alpha.c", module_source("alpha"));
    tree_.write("beta.c",
                "#include <Python.h>\nstatic int counter;\nPyMODINIT_FUNC PyInit_beta(void) { return NULL; }\n");
  }

  AnalysisResult scan(std::optional<fs::path> cache_dir) {
    AnalyzeOptions options;
    options.root = tree_.path();
    options.python = python();
    options.jobs = 2;
    options.facts_cache = std::move(cache_dir);
    return analyze(options, RuleCatalogue::builtin());
  }

  static std::vector<std::string> finding_keys(const AnalysisResult& result) {
    std::vector<std::string> keys;
    for (const Finding& finding : result.findings)
      keys.push_back(finding.rule + "@" + finding.location.file + ":" + std::to_string(finding.location.line));
    return keys;
  }

  test::TempDir tree_{"subcheck-facts-cache-tree"};
  test::TempDir cache_{"subcheck-facts-cache"};
};

TEST_F(FactsCacheTest, AnUnchangedTreeIsNotParsedAgainAndReportsTheSame) {
  const AnalysisResult cold = scan(std::nullopt);
  const AnalysisResult fill = scan(cache_.path());
  const AnalysisResult warm = scan(cache_.path());
  EXPECT_EQ(fill.units_from_cache, 0u);
  EXPECT_EQ(warm.units_from_cache, 4u);  // two units, two configurations each
  ASSERT_FALSE(cold.findings.empty());
  EXPECT_EQ(finding_keys(warm), finding_keys(cold));
  EXPECT_EQ(warm.verdicts.size(), cold.verdicts.size());
  for (std::size_t i = 0; i < cold.verdicts.size() && i < warm.verdicts.size(); ++i) {
    EXPECT_EQ(warm.verdicts[i].subinterpreters, cold.verdicts[i].subinterpreters);
    EXPECT_EQ(warm.verdicts[i].free_threading, cold.verdicts[i].free_threading);
  }
}

TEST_F(FactsCacheTest, AnEditedHeaderReparsesOnlyTheUnitsThatIncludeIt) {
  scan(cache_.path());
  tree_.write("shared.h", "#define SHARED 2\n");  // alpha.c includes it, beta.c does not
  const AnalysisResult after = scan(cache_.path());
  EXPECT_EQ(after.units_from_cache, 2u);  // beta's two configurations
  tree_.write("beta.c", "#include <Python.h>\nPyMODINIT_FUNC PyInit_beta(void) { return NULL; } /* edited */\n");
  EXPECT_EQ(scan(cache_.path()).units_from_cache, 2u);  // now alpha's
}

TEST_F(FactsCacheTest, AUnitWithAParseErrorIsNeverKept) {
  tree_.write("gamma.c", "#include <Python.h>\n#include \"not_installed.h\"\nint broken = ;\n");
  scan(cache_.path());
  EXPECT_EQ(scan(cache_.path()).units_from_cache, 4u);  // alpha and beta, not gamma
}

TEST_F(FactsCacheTest, ADamagedEntryIsAMissAndIsReplaced) {
  scan(cache_.path());
  for (const fs::directory_entry& entry : fs::directory_iterator(cache_.path())) {
    std::ofstream(entry.path(), std::ios::trunc) << "not msgpack";
  }
  const AnalysisResult damaged = scan(cache_.path());
  EXPECT_EQ(damaged.units_from_cache, 0u);
  EXPECT_FALSE(damaged.findings.empty());
  EXPECT_EQ(scan(cache_.path()).units_from_cache, 4u);
}

TEST_F(FactsCacheTest, ACacheDirectoryThatIsASymlinkIsRefusedAndTheScanGoesOn) {
  const fs::path link = cache_.path() / "link";
  fs::create_directory_symlink("/", link);
  const AnalysisResult result = scan(link);
  EXPECT_EQ(result.units_from_cache, 0u);
  EXPECT_FALSE(result.findings.empty());
  bool warned = false;
  for (const ToolDiagnostic& diagnostic : result.diagnostics)
    warned = warned || diagnostic.message.find("facts cache") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_TRUE(fs::is_symlink(link));  // left as it was, nothing written through it
}

}  // namespace
}  // namespace subcheck
