// Scans every corpus target with the real pipeline (libclang, the target CPython's headers,
// the built-in rule catalogue) and compares what subcheck says with what the corpus files
// say it must: findings by (rule, file, line), and module facts and verdicts by name.
// Format and conventions: corpus/README.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "analyzer/analyze.h"
#include "analyzer/compile_db.h"
#include "rules/catalogue.h"
#include "tests/test_support.h"

namespace subcheck {

// Generated from rules/*.toml (rules/embed_rules.cmake), linked into the rules library.
const std::map<std::string, std::string>& embedded_rule_sources();

namespace {

namespace fs = std::filesystem;
using test::ExpectedFinding;
using test::ExpectedModule;
using test::TargetExpectations;

const fs::path kCorpusDir{SUBCHECK_CORPUS_DIR};

const std::optional<Interpreter>& corpus_python() {
  static const std::optional<Interpreter> python = find_default_python();
  return python;
}

// "3.13.0" -> 313; 0 when unreadable.
int major_minor(const std::string& version) {
  int major = 0, minor = 0;
  const char* end = version.data() + version.size();
  auto [after_major, error] = std::from_chars(version.data(), end, major);
  if (error != std::errc{} || after_major == end || *after_major != '.') return 0;
  std::from_chars(after_major + 1, end, minor);
  return major * 100 + minor;
}

std::string corpus_relative(const std::string& file) {
  fs::path relative = fs::path(file).lexically_relative(test::normalise(kCorpusDir));
  return relative.empty() || *relative.begin() == ".." ? file : relative.string();
}

std::string describe(const ExpectedFinding& finding) {
  return corpus_relative(finding.file) + ":" + std::to_string(finding.line) + "  " + finding.rule;
}

std::string configs_of(const Finding& finding) {
  std::string text;
  for (BuildConfig config : finding.configs) text += (text.empty() ? "" : ",") + std::string(to_string(config));
  return text;
}

// Missing and unexpected findings, as a list a person can act on. Empty when they agree.
std::string finding_differences(const std::vector<ExpectedFinding>& expected, const std::vector<Finding>& reported) {
  std::multiset<ExpectedFinding> unmatched(expected.begin(), expected.end());
  std::vector<const Finding*> unexpected;
  for (const Finding& finding : reported) {
    ExpectedFinding key{finding.rule, test::normalise(finding.location.file), finding.location.line};
    if (auto it = unmatched.find(key); it != unmatched.end()) {
      unmatched.erase(it);
    } else {
      unexpected.push_back(&finding);
    }
  }
  std::ostringstream out;
  if (!unmatched.empty()) {
    out << "missing findings (expected, not reported):\n";
    for (const auto& finding : unmatched) out << "  " << describe(finding) << "\n";
  }
  if (!unexpected.empty()) {
    out << "unexpected findings (reported, not expected):\n";
    for (const Finding* finding : unexpected) {
      ExpectedFinding key{finding->rule, test::normalise(finding->location.file), finding->location.line};
      out << "  " << describe(key) << "  [" << configs_of(*finding) << "] " << finding->message << "\n";
    }
  }
  return out.str();
}

// Findings on lines marked `expect-not:` for their rule, and expected message fragments
// that no finding of their rule on their line contains.
std::string marker_differences(const TargetExpectations& expected, const std::vector<Finding>& reported) {
  auto key_of = [](const Finding& finding) {
    return ExpectedFinding{finding.rule, test::normalise(finding.location.file), finding.location.line};
  };
  std::ostringstream out;
  for (const Finding& finding : reported) {
    if (std::find(expected.absent.begin(), expected.absent.end(), key_of(finding)) != expected.absent.end()) {
      out << "  " << describe(key_of(finding)) << ": fires on a line marked expect-not: " << finding.message << "\n";
    }
  }
  for (const test::ExpectedFragment& fragment : expected.fragments) {
    bool said = std::any_of(reported.begin(), reported.end(), [&](const Finding& finding) {
      return key_of(finding) == fragment.finding && finding.message.find(fragment.text) != std::string::npos;
    });
    if (!said) out << "  " << describe(fragment.finding) << ": no message contains \"" << fragment.text << "\"\n";
  }
  return out.str().empty() ? "" : "marker differences:\n" + out.str();
}

void compare_field(std::ostringstream& out, const std::string& module, const char* field, const std::string& expected,
                   const std::string& actual) {
  if (expected != actual) {
    out << "  module " << module << ": " << field << " expected " << expected << ", got " << actual << "\n";
  }
}

std::string module_differences(const std::vector<ExpectedModule>& expected, const AnalysisResult& result) {
  std::map<std::string, std::vector<const ExtensionModule*>> found;
  for (const auto& module : result.model.modules) found[module.name].push_back(&module);
  std::map<std::string, const ModuleVerdict*> verdicts;
  for (const auto& verdict : result.verdicts) verdicts[verdict.module] = &verdict;

  std::ostringstream out;
  std::set<std::string> expected_names;
  for (const auto& want : expected) {
    expected_names.insert(want.name);
    auto it = found.find(want.name);
    if (it == found.end()) {
      out << "  module " << want.name << ": not found (expected at " << corpus_relative(want.file) << ":" << want.line
          << ")\n";
      continue;
    }
    if (it->second.size() != 1) out << "  module " << want.name << ": found " << it->second.size() << " times\n";
    const ExtensionModule& module = *it->second.front();
    const ModuleConfigView* gil_view = module.view(BuildConfig::gil);
    const ModuleConfigView* free_threaded_view = module.view(BuildConfig::free_threaded);
    if (gil_view == nullptr || free_threaded_view == nullptr) {
      out << "  module " << want.name << ": missing a configuration view (gil: " << (gil_view ? "yes" : "no")
          << ", free-threaded: " << (free_threaded_view ? "yes" : "no") << ")\n";
    }
    if (gil_view != nullptr) {
      compare_field(out, want.name, "init", want.init, std::string(to_string(gil_view->init)));
      compare_field(out, want.name, "multiple_interpreters (gil config)", want.multiple_interpreters,
                    gil_view->multiple_interpreters_spelling());
    }
    if (free_threaded_view != nullptr) {
      compare_field(out, want.name, "gil (free-threaded config)", want.gil, free_threaded_view->gil_spelling());
    }
    auto verdict = verdicts.find(want.name);
    if (verdict == verdicts.end()) {
      out << "  module " << want.name << ": no verdict\n";
    } else {
      compare_field(out, want.name, "subinterpreters verdict", want.subinterpreters,
                    std::string(to_string(verdict->second->subinterpreters)));
      compare_field(out, want.name, "free_threading verdict", want.free_threading,
                    std::string(to_string(verdict->second->free_threading)));
    }
  }
  for (const auto& [name, modules] : found) {
    if (!expected_names.count(name)) out << "  module " << name << ": found but not expected\n";
  }
  return out.str().empty() ? "" : "module differences:\n" + out.str();
}

// A module expected with an unknown verdict must get exactly one unknown-module diagnostic
// (the answer it could not give fails the gate), and no other module may get one.
std::string unknown_module_differences(const std::vector<ExpectedModule>& expected, const AnalysisResult& result) {
  std::ostringstream out;
  std::map<std::string, int> reported;
  for (const auto& diagnostic : result.diagnostics) {
    if (diagnostic.kind == DiagnosticKind::unknown_module) ++reported[diagnostic.module];
  }
  for (const ExpectedModule& want : expected) {
    bool unknown = want.subinterpreters == "unknown" || want.free_threading == "unknown";
    int count = reported[want.name];
    reported.erase(want.name);
    if (unknown && count != 1)
      out << "  module " << want.name << ": " << count << " unknown-module diagnostics, expected 1\n";
    if (!unknown && count != 0) out << "  module " << want.name << ": unknown-module diagnostic for a judged module\n";
  }
  for (const auto& [name, count] : reported)
    out << "  module " << name << ": unknown-module diagnostic, not expected\n";
  return out.str().empty() ? "" : "unknown-module diagnostics:\n" + out.str();
}

std::string error_diagnostics(const AnalysisResult& result) {
  std::ostringstream out;
  for (const auto& diagnostic : result.diagnostics) {
    if (diagnostic.severity != Severity::error || diagnostic.kind == DiagnosticKind::unknown_module) continue;
    out << "  " << corpus_relative(diagnostic.location.file) << ":" << diagnostic.location.line << ": "
        << diagnostic.message << "\n";
  }
  return out.str();
}

std::string all_diagnostics(const AnalysisResult& result) {
  std::ostringstream out;
  for (const auto& diagnostic : result.diagnostics) {
    out << "  " << to_string(diagnostic.severity) << " " << corpus_relative(diagnostic.location.file) << ":"
        << diagnostic.location.line << ": " << diagnostic.message << "\n";
  }
  return out.str();
}

class CorpusTarget : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusTarget, MatchesItsExpectations) {
  const auto& python = corpus_python();
  if (!python) GTEST_SKIP() << "no CPython >= 3.12 found (PATH, pyenv, toolchain cache): cannot scan the corpus";
  ASSERT_GE(major_minor(python->version), 313)
      << "the corpus expectations are written for CPython 3.13+ headers (Py_mod_gil, PyList_GetItemRef), "
      << "but find_default_python() chose " << python->version << " at " << python->executable;

  const fs::path target = GetParam();
  const TargetExpectations expectations = test::read_expectations(target);
  ASSERT_TRUE(expectations.errors.empty()) << [&] {
    std::string text = "malformed expectations:\n";
    for (const auto& error : expectations.errors) text += "  " + error + "\n";
    return text;
  }();

  AnalyzeOptions options;
  options.root = target;
  options.python = python;
  options.jobs = 2;
  const AnalysisResult result = analyze(options, RuleCatalogue::builtin());

  std::string report = finding_differences(expectations.findings, result.findings);
  report += marker_differences(expectations, result.findings);
  report += module_differences(expectations.modules, result);
  report += unknown_module_differences(expectations.modules, result);
  if (!expectations.allows_diagnostics) {
    if (std::string errors = error_diagnostics(result); !errors.empty()) {
      report += "error diagnostics (the target should parse cleanly):\n" + errors;
    }
  }
  if (expectations.suppressed && *expectations.suppressed != result.suppressed) {
    report += "suppressed findings: expected " + std::to_string(*expectations.suppressed) + ", got " +
              std::to_string(result.suppressed) + "\n";
  }
  EXPECT_TRUE(report.empty()) << "corpus target " << corpus_relative(target.string()) << " (Python " << python->version
                              << ", " << result.compile_db_origin << ")\n"
                              << report
                              << (result.diagnostics.empty() ? "" : "diagnostics:\n" + all_diagnostics(result));
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusTarget, ::testing::ValuesIn(test::corpus_targets(kCorpusDir)),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::target_test_name(info.param);
                         });

// ---------------------------------------------------------------------------------------
// The corpus as a whole: well formed, and no rule without a case for and against it.

std::map<std::string, TargetExpectations> all_expectations() {
  std::map<std::string, TargetExpectations> by_target;
  for (const auto& target : test::corpus_targets(kCorpusDir)) {
    by_target.emplace(corpus_relative(target), test::read_expectations(target));
  }
  return by_target;
}

TEST(CorpusCoverage, ExpectationsAreWellFormedAndNameKnownRules) {
  const auto by_target = all_expectations();
  ASSERT_FALSE(by_target.empty()) << "no corpus targets in " << kCorpusDir;
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  for (const auto& [target, expectations] : by_target) {
    for (const auto& error : expectations.errors) ADD_FAILURE() << target << ": " << error;
    EXPECT_FALSE(expectations.modules.empty()) << target << " declares no subcheck-expect-module";
    for (const auto& finding : expectations.findings) {
      EXPECT_NE(rules.find(finding.rule), nullptr)
          << describe(finding) << ": rule " << finding.rule << " is not in the built-in catalogue";
    }
  }
}

// The corpus is written against the rules of rules/*.toml; the built-in catalogue must
// know every one of them, and each must have cases for and against it (below).
TEST(CorpusCoverage, CatalogueHasEveryProjectRule) {
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  ASSERT_FALSE(test::rule_files().empty()) << "no rules/*.toml listed";
  for (const test::RuleFile& file : test::rule_files()) {
    EXPECT_NE(rules.find(file.id), nullptr) << file.id << " is missing from the built-in rule catalogue";
  }
  EXPECT_EQ(rules.rules().size(), test::rule_files().size());
}

TEST(CorpusCoverage, EveryRuleHasATruePositiveAndATrueNegative) {
  const auto by_target = all_expectations();
  const auto& rules = RuleCatalogue::builtin().rules();
  ASSERT_FALSE(rules.empty()) << "the built-in rule catalogue is empty";
  for (const Rule& rule : rules) {
    std::vector<std::string> positives, negatives;
    auto names_rule = [&](const ExpectedFinding& finding) { return finding.rule == rule.id; };
    for (const auto& [target, expectations] : by_target) {
      if (std::any_of(expectations.findings.begin(), expectations.findings.end(), names_rule)) {
        positives.push_back(target);
      }
      // Every target's expect-not markers are checked by CorpusTarget.MatchesItsExpectations.
      if (std::any_of(expectations.absent.begin(), expectations.absent.end(), names_rule)) {
        negatives.push_back(target);
      }
    }
    EXPECT_FALSE(positives.empty()) << rule.id << " (" << rule.name << ") has no expected finding anywhere in corpus/";
    EXPECT_FALSE(negatives.empty()) << rule.id << " (" << rule.name
                                    << ") has no deliberate true negative: no '// expect-not: " << rule.id
                                    << "' marker anywhere in corpus/";
  }
}

// ---------------------------------------------------------------------------------------
// The expectation reader itself, so a corpus typo cannot make a test pass vacuously.

TEST(CorpusExpectations, ReadsModulesFindingsAndMarkers) {
  test::TempDir dir("subcheck-expectations");
  const fs::path file = dir.write(
      "case.c",
      "/* subcheck-expect-module: name=demo init=multi-phase multiple_interpreters=absent gil=Py_MOD_GIL_NOT_USED "
      "subinterpreters=shared-gil-only free_threading=gil-free */\n"
      "/* subcheck-expect-suppressed: 2 */\n"
      "static PyObject *cache;  // expect: SI006\n"
      "int plain;\n"
      "x = PyDict_GetItem(d, k);  // subcheck: ignore[SI010]  // expect: FT003 FT003\n");
  const TargetExpectations expectations = test::read_expectations(file);

  EXPECT_TRUE(expectations.errors.empty());
  ASSERT_EQ(expectations.modules.size(), 1u);
  EXPECT_EQ(expectations.modules[0].name, "demo");
  EXPECT_EQ(expectations.modules[0].init, "multi-phase");
  EXPECT_EQ(expectations.modules[0].multiple_interpreters, "absent");
  EXPECT_EQ(expectations.modules[0].gil, "Py_MOD_GIL_NOT_USED");
  EXPECT_EQ(expectations.modules[0].subinterpreters, "shared-gil-only");
  EXPECT_EQ(expectations.modules[0].free_threading, "gil-free");
  EXPECT_EQ(expectations.suppressed, std::optional<std::size_t>(2));
  EXPECT_FALSE(expectations.allows_diagnostics);
  const std::string normalised = test::normalise(file);
  const std::vector<ExpectedFinding> want{{"FT003", normalised, 5}, {"FT003", normalised, 5}, {"SI006", normalised, 3}};
  EXPECT_EQ(expectations.findings, want);
}

TEST(CorpusExpectations, RejectsMalformedExpectations) {
  test::TempDir dir("subcheck-expectations");
  const fs::path file =
      dir.write("bad.c",
                "/* subcheck-expect-module: name=demo init=two-phase gil=absent subinterpreters=fine */\n"
                "int x;  // expect: global-python-object\n"
                "int y;  // expect:\n");
  const TargetExpectations expectations = test::read_expectations(file);
  auto mentions = [&](const std::string& text) {
    return std::any_of(expectations.errors.begin(), expectations.errors.end(),
                       [&](const std::string& error) { return error.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(mentions("'two-phase' is not a valid init"));
  EXPECT_TRUE(mentions("'fine' is not a valid subinterpreters"));
  EXPECT_TRUE(mentions("lacks 'multiple_interpreters'"));
  EXPECT_TRUE(mentions("lacks 'free_threading'"));
  EXPECT_TRUE(mentions("'global-python-object' in expect: is not a rule id"));
  EXPECT_TRUE(mentions("bad.c:3: expect: names no rule"));
  EXPECT_TRUE(expectations.findings.empty());
}

TEST(CorpusExpectations, ReadsExpectNotMarkersAndMessageFragments) {
  test::TempDir dir("subcheck-expectations");
  const fs::path file = dir.write(
      "case.c",
      "static PyObject *cache;  // expect: SI006 \"'cache'\" SI004 \"declares Py_MOD_PER\"  // expect-not: SI010\n"
      "static const int table[] = {1};  // expect-not: SI006 SI010\n");
  const TargetExpectations expectations = test::read_expectations(file);
  EXPECT_TRUE(expectations.errors.empty()) << (expectations.errors.empty() ? "" : expectations.errors.front());
  const std::string normalised = test::normalise(file);
  EXPECT_EQ(expectations.findings, (std::vector<ExpectedFinding>{{"SI004", normalised, 1}, {"SI006", normalised, 1}}));
  EXPECT_EQ(expectations.absent, (std::vector<ExpectedFinding>{
                                     {"SI010", normalised, 1}, {"SI006", normalised, 2}, {"SI010", normalised, 2}}));
  ASSERT_EQ(expectations.fragments.size(), 2u);
  EXPECT_EQ(expectations.fragments[0].finding, (ExpectedFinding{"SI006", normalised, 1}));
  EXPECT_EQ(expectations.fragments[0].text, "'cache'");
  EXPECT_EQ(expectations.fragments[1].finding, (ExpectedFinding{"SI004", normalised, 1}));
  EXPECT_EQ(expectations.fragments[1].text, "declares Py_MOD_PER");
}

TEST(CorpusExpectations, ReadsCythonSourceMarkersAfterAHash) {
  test::TempDir dir("subcheck-expectations");
  const fs::path file = dir.write("pkg/mod.pyx",
                                  "cdef object cache = {}  # expect: SI011 \"'cache'\"  # a comment\n"
                                  "cdef double scale = 2.5  # expect-not: SI011\n"
                                  "x = 1  // expect: SI006\n");
  const TargetExpectations expectations = test::read_expectations(dir.path());
  EXPECT_TRUE(expectations.errors.empty()) << (expectations.errors.empty() ? "" : expectations.errors.front());
  const std::string normalised = test::normalise(file);
  EXPECT_EQ(expectations.findings, (std::vector<ExpectedFinding>{{"SI011", normalised, 1}}));
  EXPECT_EQ(expectations.absent, (std::vector<ExpectedFinding>{{"SI011", normalised, 2}}));
  ASSERT_EQ(expectations.fragments.size(), 1u);
  EXPECT_EQ(expectations.fragments[0].text, "'cache'");
}

TEST(CorpusExpectations, RejectsMalformedMarkers) {
  test::TempDir dir("subcheck-expectations");
  const fs::path file = dir.write("bad.c",
                                  "int a;  // expect: \"no rule before\" SI006\n"
                                  "int b;  // expect-not: SI006 \"fragments mean nothing here\"\n"
                                  "int c;  // expect: SI006 \"unterminated\n"
                                  "int d;  // expect: SI006  // expect-not: SI006\n"
                                  "int e;  // expect-not:\n");
  const TargetExpectations expectations = test::read_expectations(file);
  auto mentions = [&](const std::string& text) {
    return std::any_of(expectations.errors.begin(), expectations.errors.end(),
                       [&](const std::string& error) { return error.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(mentions("bad.c:1: expect: fragment \"no rule before\" follows no rule id"));
  EXPECT_TRUE(mentions("bad.c:2: expect-not: fragment"));
  EXPECT_TRUE(mentions("bad.c:3: expect: has an unterminated or empty fragment"));
  EXPECT_TRUE(mentions(":4: SI006 is both expected and expected not to fire"));
  EXPECT_TRUE(mentions("bad.c:5: expect-not: names no rule"));
}

TEST(CorpusExpectations, EveryTopLevelFileAndDirectoryIsATarget) {
  const auto targets = test::corpus_targets(kCorpusDir);
  auto has = [&](const std::string& name) {
    return std::any_of(targets.begin(), targets.end(),
                       [&](const std::string& target) { return fs::path(target).filename() == name; });
  };
  EXPECT_TRUE(has("multi_tu_module"));
  EXPECT_TRUE(has("pybind11_module.cpp"));
  EXPECT_TRUE(has("singlephase_basic.c"));
  EXPECT_FALSE(has("README.md"));
  EXPECT_FALSE(has("module.h"));  // inside multi_tu_module/, part of that target
}

}  // namespace
}  // namespace subcheck

namespace subcheck {
namespace {

// ---------------------------------------------------------------------------------------
// Verdicts follow what each rule's [verdict] table declares (docs/rules.md), not severities.

// The built-in rule sources with `edit` applied to each file's text.
template <typename Edit>
RuleCatalogue edited_catalogue(Edit&& edit) {
  std::map<std::string, std::string> sources = embedded_rule_sources();
  for (auto& [file, text] : sources) edit(text);
  return RuleCatalogue::from_sources(sources);
}

// error -> note, warning -> error, note -> warning: every rule changes severity.
void rotate_severity(std::string& text) {
  const std::string key = "\nseverity = \"";
  std::size_t start = text.find(key);
  if (start == std::string::npos) return;
  start += key.size();
  std::size_t end = text.find('"', start);
  const std::string severity = text.substr(start, end - start);
  const std::string rotated = severity == "error" ? "note" : severity == "warning" ? "error" : "warning";
  text.replace(start, end - start, rotated);
}

void drop_verdict_table(std::string& text) {
  if (std::size_t table = text.find("\n[verdict]"); table != std::string::npos) text.resize(table + 1);
}

std::map<std::string, std::string> verdicts_by_module(const std::vector<ModuleVerdict>& verdicts) {
  std::map<std::string, std::string> by_module;
  for (const ModuleVerdict& verdict : verdicts) {
    by_module[verdict.module] =
        std::string(to_string(verdict.subinterpreters)) + " / " + std::string(to_string(verdict.free_threading));
  }
  return by_module;
}

// Verdicts of every corpus target under `rules`, by "target: module".
std::map<std::string, std::string> corpus_verdicts_under(const std::map<std::string, AnalysisResult>& results,
                                                         const RuleCatalogue& rules) {
  std::map<std::string, std::string> all;
  for (const auto& [target, result] : results) {
    std::vector<Finding> findings = apply_suppressions(run_checks(result.model, rules), rules);
    for (const auto& [module, verdict] : verdicts_by_module(compute_verdicts(result.model, findings, rules))) {
      all[target + ": " + module] = verdict;
    }
  }
  return all;
}

TEST(CorpusVerdicts, ChangingRuleSeveritiesChangesNoVerdictButDroppingVerdictTablesDoes) {
  const auto& python = corpus_python();
  if (!python) GTEST_SKIP() << "no CPython >= 3.12 found: cannot scan the corpus";
  const RuleCatalogue& builtin = RuleCatalogue::builtin();
  const RuleCatalogue rotated = edited_catalogue(rotate_severity);
  for (const Rule& rule : builtin.rules()) {
    ASSERT_NE(rotated.at(rule.id).severity, rule.severity) << rule.id << ": the edit did not change its severity";
  }
  std::map<std::string, AnalysisResult> results;
  for (const std::string& target : test::corpus_targets(kCorpusDir)) {
    AnalyzeOptions options;
    options.root = target;
    options.python = python;
    options.jobs = 2;
    results.emplace(corpus_relative(target), analyze(options, builtin));
  }
  const auto as_built = corpus_verdicts_under(results, builtin);
  ASSERT_FALSE(as_built.empty());
  EXPECT_EQ(corpus_verdicts_under(results, rotated), as_built);
  // The comparison can see a change: without the [verdict] tables, contradicted claims pass.
  EXPECT_NE(corpus_verdicts_under(results, edited_catalogue(drop_verdict_table)), as_built);
}

}  // namespace
}  // namespace subcheck
