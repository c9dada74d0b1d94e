// The limited-API facts the extractor records per unit and configuration: limited_api,
// abi3t (PEP 803's Py_TARGET_ABI3T, docs/cpython-behaviour.md #25) and
// limited_api_version, from the command line and from #defines in the project's files.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "analyzer/compile_db.h"
#include "analyzer/extract.h"
#include "core/interpreter.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

const std::optional<Interpreter>& python() {
  static const std::optional<Interpreter> found = find_default_python();
  return found;
}

TranslationUnitFacts extract(const char* text, std::vector<std::string> extra_flags = {},
                             BuildConfig config = BuildConfig::gil) {
  test::TempDir tree("subcheck-limited-api-facts");
  const auto source = tree.write("mod.c", text);
  CompileCommand command{source, tree.path(), {"-isystem", python()->include_dir.string()}, {}};
  command.args.insert(command.args.end(), extra_flags.begin(), extra_flags.end());
  Extractor extractor(ExtractOptions{{tree.path()}});
  return extractor.extract(command, config);
}

#define REQUIRE_PYTHON() \
  if (!python()) GTEST_SKIP() << "no CPython >= 3.12 found: cannot parse C extensions"

TEST(LimitedApiFacts, ReadsTheAbi3tOptInAndTheVersionFromDefines) {
  REQUIRE_PYTHON();
  auto facts = extract(
      "#define Py_TARGET_ABI3T 0x030f0000 /* abi3t */\n#define Py_LIMITED_API 0x030f0000\n"
      "#ifdef Py_GIL_DISABLED\n#undef Py_LIMITED_API\n#endif\n#include <Python.h>\n");
  EXPECT_TRUE(facts.limited_api);
  EXPECT_TRUE(facts.abi3t);
  EXPECT_EQ(facts.limited_api_version, "0x030f0000");
}

TEST(LimitedApiFacts, PlainAbi3IsNotAbi3tAndSkippedBranchesDoNotCount) {
  REQUIRE_PYTHON();
  auto facts = extract(
      "#if 0\n#define Py_TARGET_ABI3T 0x030f0000\n#endif\n#define Py_LIMITED_API_EXTRA 1\n"
      "#define Py_LIMITED_API 0x030c0000\n#include <Python.h>\n");
  EXPECT_TRUE(facts.limited_api);
  EXPECT_FALSE(facts.abi3t);
  EXPECT_EQ(facts.limited_api_version, "0x030c0000");
}

TEST(LimitedApiFacts, ReadsTheFlagsOfTheCommandLine) {
  REQUIRE_PYTHON();
  auto facts = extract("#include <Python.h>\n", {"-DPy_TARGET_ABI3T=0x030f0000"});
  EXPECT_FALSE(facts.limited_api);  // pre-3.15 headers: Py_TARGET_ABI3T alone means nothing
  EXPECT_TRUE(facts.abi3t);
  EXPECT_EQ(facts.limited_api_version, "0x030f0000");
  auto plain = extract("#include <Python.h>\n", {"-DPy_LIMITED_API=0x030d0000"});
  EXPECT_TRUE(plain.limited_api);
  EXPECT_FALSE(plain.abi3t);
  EXPECT_EQ(plain.limited_api_version, "0x030d0000");
  auto none = extract("#include <Python.h>\n", {"-DPy_LIMITED_API_NOT=1"});
  EXPECT_FALSE(none.limited_api);
  EXPECT_EQ(none.limited_api_version, "");
}

}  // namespace
}  // namespace subcheck
