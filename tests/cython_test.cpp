// SI011 on real Cython output (corpus/cython_pyx: what Cython 3.0.11 generated from
// pkg/cystate.pyx), in the cases one corpus scan cannot show: cdef classes built from type
// specs, a .pyx not shipped beside its C, facts read back from the facts cache; and the
// reading of Cython's `/* "pkg/mod.pyx":12` comments on its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "analyzer/analyze.h"
#include "analyzer/reader/cython_comments.h"
#include "rules/catalogue.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;

const fs::path kTarget = fs::path(SUBCHECK_CORPUS_DIR) / "cython_pyx";

struct Place {
  std::string file;  // file name only
  unsigned line = 0;
  auto operator<=>(const Place&) const = default;
  friend std::ostream& operator<<(std::ostream& out, const Place& place) {
    return out << place.file << ":" << place.line;
  }
};

std::vector<Place> si011_places(const AnalysisResult& result) {
  std::vector<Place> places;
  for (const Finding& finding : result.findings) {
    if (finding.rule == "SI011")
      places.push_back({fs::path(finding.location.file).filename().string(), finding.location.line});
  }
  std::sort(places.begin(), places.end());
  return places;
}

class CythonCdefGlobalState : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = find_default_python();
    if (!python_) GTEST_SKIP() << "no CPython >= 3.12 found: cannot scan Cython output";
  }

  AnalysisResult scan(const fs::path& root, std::vector<std::string> extra_args = {},
                      std::optional<fs::path> facts_cache = std::nullopt) const {
    AnalyzeOptions options;
    options.root = root;
    options.python = python_;
    options.jobs = 2;
    options.extra_args = std::move(extra_args);
    options.facts_cache = std::move(facts_cache);
    return analyze(options, RuleCatalogue::builtin());
  }

  std::optional<Interpreter> python_;
};

const std::vector<Place> kAtThePyx{{"cystate.pyx", 5}, {"cystate.pyx", 7}, {"cystate.pyx", 11}, {"cystate.pyx", 15}};

TEST_F(CythonCdefGlobalState, TypeSpecsLeaveTheVariablesButNotTheCdefClass) {
  // CYTHON_USE_TYPE_SPECS=1: `cdef class Parser` becomes a heap type made from a PyType_Spec
  // at import, and the static PyTypeObject is compiled out.
  EXPECT_EQ(si011_places(scan(kTarget, {"-DCYTHON_USE_TYPE_SPECS=1"})),
            (std::vector<Place>{{"cystate.pyx", 5}, {"cystate.pyx", 7}, {"cystate.pyx", 11}}));
}

TEST_F(CythonCdefGlobalState, WithoutThePyxReportsAtTheCDeclarationNamingThePyxLine) {
  test::TempDir dir("subcheck-cython");
  fs::create_directories(dir.path() / "pkg");
  fs::copy_file(kTarget / "pkg" / "cystate.c", dir.path() / "pkg" / "cystate.c");
  const AnalysisResult result = scan(dir.path());
  std::vector<std::string> messages;
  for (const Finding& finding : result.findings) {
    if (finding.rule == "SI011") messages.push_back(finding.message);
  }
  ASSERT_EQ(messages.size(), 4u);
  std::vector<Place> places = si011_places(result);
  for (const Place& place : places) EXPECT_EQ(place.file, "cystate.c");
  auto says = [&](const std::string& text) {
    return std::any_of(messages.begin(), messages.end(),
                       [&](const std::string& message) { return message.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(says("'_cache'")) << messages.front();
  EXPECT_TRUE(says("(declared at pkg/cystate.pyx:5, not found beside the generated C)"));
  EXPECT_TRUE(says("(declared at pkg/cystate.pyx:15, not found beside the generated C)"));
}

TEST_F(CythonCdefGlobalState, ASuppressionCommentInThePyxSilencesIt) {
  test::TempDir dir("subcheck-cython");
  fs::create_directories(dir.path() / "pkg");
  fs::copy_file(kTarget / "pkg" / "cystate.c", dir.path() / "pkg" / "cystate.c");
  std::string pyx = test::read_text(kTarget / "pkg" / "cystate.pyx");
  const std::string line = "cdef int _calls = 0";
  ASSERT_NE(pyx.find(line), std::string::npos);
  pyx.replace(pyx.find(line), line.size(), line + "  # subcheck: ignore[cython-cdef-global-state]");
  dir.write("pkg/cystate.pyx", pyx);
  const AnalysisResult result = scan(dir.path());
  EXPECT_EQ(si011_places(result), (std::vector<Place>{{"cystate.pyx", 5}, {"cystate.pyx", 11}, {"cystate.pyx", 15}}));
  EXPECT_EQ(result.suppressed, 1u);
}

TEST_F(CythonCdefGlobalState, FactsReadBackFromTheCacheKeepThePyxLines) {
  test::TempDir cache("subcheck-cython-cache");
  EXPECT_EQ(si011_places(scan(kTarget, {}, cache.path())), kAtThePyx);
  const AnalysisResult again = scan(kTarget, {}, cache.path());
  EXPECT_EQ(si011_places(again), kAtThePyx);
}

TEST(CythonComments, ReadTheNearestSourceLineCommentInTheWindow) {
  const std::string text =
      "static int f(void) {\n"
      "  /* \"pkg/mod.pyx\":4\n"
      " * cdef object cache = {}             # <<<<<<<<<<<<<<\n"
      " */\n"
      "  x = 1;\n"
      "  /* \"pkg/mod.pyx\":9 is not a source-line comment */\n"
      "  y = 2;\n"
      "}\n";
  const std::size_t start = 0, write = text.find("y = 2");
  auto origin = reader::cython_origin_before(text, start, write);
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->file, "pkg/mod.pyx");
  EXPECT_EQ(origin->line, 4u);
  // Nothing before the window's start counts: a write with no comment in its own function.
  EXPECT_FALSE(reader::cython_origin_before(text, text.find("x = 1"), write).has_value());
}

TEST(CythonComments, ReadTheCdefClassLineBeforeItsObjectStruct) {
  const std::string text =
      "struct __pyx_obj_3pkg_3mod_Parser;\n"
      "/* \"pkg/mod.pyx\":13\n"
      " * cdef class Parser:             # <<<<<<<<<<<<<<\n"
      " */\n"
      "struct __pyx_obj_3pkg_3mod_Parser {\n"
      "  PyObject_HEAD\n"
      "};\n"
      "struct __pyx_obj_3pkg_3mod_Other {\n"
      "};\n";
  auto origin = reader::cython_class_origin(text, "3pkg_3mod_Parser");
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->line, 13u);
  EXPECT_FALSE(reader::cython_class_origin(text, "3pkg_3mod_Other").has_value());
  EXPECT_FALSE(reader::cython_class_origin(text, "3pkg_3mod_Missing").has_value());
}

TEST(CythonComments, LocateThePyxBesideTheCOrUnderAParentByItsRecordedPath) {
  test::TempDir dir("subcheck-cython-locate");
  const fs::path pyx = dir.write("src/pkg/mod.pyx", "cdef object cache = {}\n");
  const std::string c_file = (dir.path() / "build" / "gen" / "mod.c").string();
  const std::string beside = (dir.path() / "src" / "pkg" / "mod.c").string();
  const std::string canonical = fs::weakly_canonical(pyx).string();
  EXPECT_EQ(reader::locate_cython_origin(beside, {"pkg/mod.pyx", 4}).file, canonical);
  EXPECT_EQ(reader::locate_cython_origin(beside, {"src/pkg/mod.pyx", 4}).file, canonical);
  EXPECT_EQ(reader::locate_cython_origin(c_file, {"pkg/mod.pyx", 4}).file, "pkg/mod.pyx");
  EXPECT_EQ(reader::locate_cython_origin(beside, {"pkg/mod.pyx", 4}).line, 4u);
}

}  // namespace
}  // namespace subcheck
