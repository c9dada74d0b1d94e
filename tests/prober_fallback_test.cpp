// A package that imports in an isolated subinterpreter only by falling back (PyYAML: `import
// yaml` works there, yaml._yaml is refused, yaml.__with_libyaml__ is False). The packages of
// corpus/prober/packages, built by CMake for every interpreter of the prober corpus, are
// probed for real: probe_fallback imports its refused accelerator in a try/except,
// probe_lazy never imports it. Only the first is a fallback; both accelerators are refused.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "prober/prober.h"
#include "report/dynamic_report.h"
#include "tests/test_support.h"

namespace subcheck::prober {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpusIndex{SUBCHECK_PROBER_CORPUS_INDEX};
// Nothing here hangs; the limit only has to survive a loaded 2-core machine (8 s did not:
// a free-threaded shared-GIL probe took longer at a load average of 14).
constexpr std::chrono::milliseconds kTimeout{20000};

struct PackagesFor {
  Interpreter interpreter;
  fs::path directory;  // ${build}/corpus/prober/packages/<tag>
};

std::optional<PackagesFor> packages_for(const std::string& tag) {
  const auto index = nlohmann::json::parse(test::read_text(kCorpusIndex), nullptr, false);
  if (!index.is_object()) return std::nullopt;
  for (const auto& entry : index.value("interpreters", nlohmann::json::array())) {
    if (entry.value("tag", "") != tag) continue;
    if (auto interpreter = inspect_interpreter(entry.value("python", ""))) {
      return PackagesFor{*interpreter, fs::path(entry.value("module_dir", "")).parent_path() / "packages" / tag};
    }
  }
  return std::nullopt;
}

const ModuleProbeReport* report_of(const ProbeRun& run, const std::string& module) {
  for (const ModuleProbeReport& report : run.modules) {
    if (report.module == module) return &report;
  }
  return nullptr;
}

class ProberFallback : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!fs::exists(kCorpusIndex)) GTEST_SKIP() << "no " << kCorpusIndex << ": corpus/prober was not configured";
    packages_ = packages_for(GetParam());
    if (!packages_) GTEST_SKIP() << "CPython " << GetParam() << " is not in the prober corpus index " << kCorpusIndex;
    ASSERT_TRUE(fs::is_directory(packages_->directory / "probe_fallback")) << packages_->directory;
  }

  ProbeRun probe_packages() const {
    ProbeOptions options;
    options.jobs = 2;
    options.timeout = kTimeout;
    options.stress = false;
    return probe(packages_->interpreter, discover(packages_->directory.string(), packages_->interpreter), options);
  }

  std::optional<PackagesFor> packages_;
};

TEST_P(ProberFallback, APackageThatImportsOnlyWithoutItsAcceleratorIsReportedAsFallingBack) {
  const ProbeRun run = probe_packages();
  const ModuleProbeReport* fallback = report_of(run, "probe_fallback._accel");
  const ModuleProbeReport* lazy = report_of(run, "probe_lazy._accel");
  ASSERT_NE(fallback, nullptr);
  ASSERT_NE(lazy, nullptr);

  // Both accelerators are single-phase: refused by every subinterpreter with the check on.
  EXPECT_EQ(fallback->subinterpreters, SubinterpreterVerdict::unsupported) << fallback->summary;
  EXPECT_EQ(lazy->subinterpreters, SubinterpreterVerdict::unsupported) << lazy->summary;

  // Only probe_fallback's own import tried it and went on without it.
  EXPECT_EQ(fallback->fallback_package, "probe_fallback") << fallback->summary;
  EXPECT_NE(fallback->summary.find("package probe_fallback still imports in an isolated subinterpreter, but only "
                                   "without probe_fallback._accel"),
            std::string::npos)
      << fallback->summary;
  bool noted = false;
  for (const std::string& note : fallback->notes) {
    noted = noted ||
            note.find("imports in an isolated subinterpreter only without its accelerator probe_fallback._accel") !=
                std::string::npos;
  }
  EXPECT_TRUE(noted) << fallback->summary;
  EXPECT_EQ(lazy->fallback_package, "") << lazy->summary;
  EXPECT_EQ(lazy->summary.find("falls back"), std::string::npos) << lazy->summary;

  // The report a user reads: the module's JSON field and a line per package in the text.
  std::vector<DynamicRun> runs{DynamicRun{packages_->interpreter, run}};
  const nlohmann::json json = dynamic_json(runs, {});
  int fields = 0;
  for (const auto& module : json.at("modules")) {
    if (module.at("module") == "probe_fallback._accel") {
      EXPECT_EQ(module.at("fallback_package"), "probe_fallback");
      ++fields;
    } else if (module.at("module") == "probe_lazy._accel") {
      EXPECT_TRUE(module.at("fallback_package").is_null());
      ++fields;
    }
  }
  EXPECT_EQ(fields, 2);
  std::ostringstream text;
  write_dynamic_text(text, runs, {}, false);
  EXPECT_NE(text.str().find("package probe_fallback imports in an isolated subinterpreter only without its accelerator "
                            "probe_fallback._accel (" +
                            GetParam() + ")"),
            std::string::npos)
      << text.str();
  EXPECT_EQ(text.str().find("package probe_lazy imports"), std::string::npos) << text.str();
}

INSTANTIATE_TEST_SUITE_P(Interpreters, ProberFallback, ::testing::ValuesIn(test::kInterpreterTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

}  // namespace
}  // namespace subcheck::prober
