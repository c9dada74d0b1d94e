#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rules/catalogue.h"
#include "tests/test_support.h"

namespace subcheck {

// Generated from rules/*.toml (rules/embed_rules.cmake), linked into the rules library.
const std::map<std::string, std::string>& embedded_rule_sources();

namespace {

struct ExpectedRule {
  std::string id;
  std::string name;
  Severity severity;
  RuleCategory category;
};

// The rules released so far, as the project specifies them: ids and names are stable
// (users suppress and ignore by them), and so are these severities and categories. A new
// rule is not added here: the tests over all rules read rules/*.toml (test::rule_files()).
const std::vector<ExpectedRule>& released_rules() {
  static const std::vector<ExpectedRule> rules{
      {"SI001", "single-phase-init", Severity::error, RuleCategory::subinterpreters},
      {"SI002", "multi-interp-slot-missing", Severity::error, RuleCategory::subinterpreters},
      {"SI003", "shared-gil-only-declared", Severity::warning, RuleCategory::subinterpreters},
      {"SI004", "per-interpreter-gil-contradiction", Severity::error, RuleCategory::subinterpreters},
      {"SI005", "static-type-object", Severity::warning, RuleCategory::subinterpreters},
      {"SI006", "global-python-object", Severity::warning, RuleCategory::subinterpreters},
      {"SI007", "pystate-find-module", Severity::warning, RuleCategory::subinterpreters},
      {"SI008", "gilstate-api", Severity::warning, RuleCategory::subinterpreters},
      {"SI009", "cython-single-interpreter", Severity::error, RuleCategory::subinterpreters},
      {"SI010", "global-mutable-state", Severity::note, RuleCategory::subinterpreters},
      {"FT001", "gil-slot-missing", Severity::error, RuleCategory::free_threading},
      {"FT002", "gil-not-used-unsynchronised-global", Severity::error, RuleCategory::free_threading},
      {"FT003", "borrowed-reference-api", Severity::warning, RuleCategory::free_threading},
      {"FT004", "dict-next-without-critical-section", Severity::warning, RuleCategory::free_threading},
      {"FT005", "nested-critical-section", Severity::warning, RuleCategory::free_threading},
      {"FT006", "refcnt-uniqueness-test", Severity::warning, RuleCategory::free_threading},
      {"FT007", "limited-api-free-threading", Severity::error, RuleCategory::free_threading},
  };
  return rules;
}

// A valid rule document, field by field (raw TOML values), so a test can drop or spoil one.
std::map<std::string, std::string> valid_fields(const std::string& id = "SI101",
                                                const std::string& name = "test-rule") {
  return {
      {"id", "\"" + id + "\""},
      {"name", "\"" + name + "\""},
      {"severity", "\"warning\""},
      {"category", id.starts_with("SI") ? "\"subinterpreters\"" : "\"free-threading\""},
      {"summary", "\"one line\""},
      {"hint", "\"do this instead\""},
      {"what", "'''\nwhat it finds\n'''"},
      {"why", "'''\nwhy it matters\n'''"},
      {"example", "'''\nstatic PyObject *cache;\n'''"},
      {"fix", "'''\nuse module state\n'''"},
      {"references", "[\"https://docs.python.org/3/howto/isolating-extensions.html\"]"},
  };
}

std::string render(const std::map<std::string, std::string>& fields, const std::string& tables = "") {
  std::string text;
  for (const auto& [key, value] : fields) text += key + " = " + value + "\n";
  return text + tables;
}

// The message of the RuleCatalogueError that from_sources throws, or "" when it accepts.
std::string rejection(const std::map<std::string, std::string>& sources) {
  try {
    RuleCatalogue::from_sources(sources);
  } catch (const RuleCatalogueError& error) {
    return error.what();
  }
  return "";
}

std::string rejection_of(const std::string& text) { return rejection({{"rules/SI101-test-rule.toml", text}}); }

TEST(RuleCatalogue, BuiltinHasEveryRuleFileUnderItsFileName) {
  const RuleCatalogue& catalogue = RuleCatalogue::builtin();
  ASSERT_GE(test::rule_files().size(), released_rules().size()) << "rules/*.toml was not listed";
  ASSERT_EQ(catalogue.rules().size(), test::rule_files().size());
  for (const test::RuleFile& file : test::rule_files()) {
    const Rule* rule = catalogue.find(file.id);
    ASSERT_NE(rule, nullptr) << file.id;
    EXPECT_EQ(rule->name, file.name) << file.id;
    EXPECT_EQ(rule->category, file.id.starts_with("SI") ? RuleCategory::subinterpreters : RuleCategory::free_threading)
        << file.id;
  }
}

TEST(RuleCatalogue, BuiltinKeepsEveryReleasedRuleWithItsSeverityAndCategory) {
  const RuleCatalogue& catalogue = RuleCatalogue::builtin();
  for (const ExpectedRule& expected : released_rules()) {
    const Rule* rule = catalogue.find(expected.id);
    ASSERT_NE(rule, nullptr) << expected.id;
    EXPECT_EQ(rule->name, expected.name) << expected.id;
    EXPECT_EQ(rule->severity, expected.severity) << expected.id;
    EXPECT_EQ(rule->category, expected.category) << expected.id;
  }
}

TEST(RuleCatalogue, BuiltinListsSubinterpreterRulesFirstThenFreeThreadingRulesInIdOrder) {
  std::vector<std::string> ids;
  for (const Rule& rule : RuleCatalogue::builtin().rules()) ids.push_back(rule.id);
  std::vector<std::string> expected;
  for (const test::RuleFile& file : test::rule_files()) expected.push_back(file.id);
  EXPECT_EQ(ids, expected);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(!a.starts_with("SI"), a) < std::make_pair(!b.starts_with("SI"), b);
  }));
}

TEST(RuleCatalogue, BuiltinRulesHaveEveryTextFieldFilledAndOneLineSummaries) {
  for (const Rule& rule : RuleCatalogue::builtin().rules()) {
    SCOPED_TRACE(rule.id);
    for (const std::string* text : {&rule.summary, &rule.hint, &rule.what, &rule.why, &rule.example, &rule.fix}) {
      EXPECT_FALSE(text->empty());
      EXPECT_NE(text->back(), '\n') << "trailing newline kept";
    }
    EXPECT_EQ(rule.summary.find('\n'), std::string::npos);
    EXPECT_EQ(rule.hint.find('\n'), std::string::npos);
    EXPECT_FALSE(rule.references.empty());
  }
}

TEST(RuleCatalogue, EveryBuiltinReferenceIsAnHttpsUrl) {
  for (const Rule& rule : RuleCatalogue::builtin().rules()) {
    for (const std::string& reference : rule.references) {
      EXPECT_TRUE(reference.starts_with("https://")) << rule.id << ": " << reference;
      EXPECT_EQ(reference.find(' '), std::string::npos) << rule.id << ": " << reference;
    }
  }
}

TEST(RuleCatalogue, BuiltinIdsAndNamesAreUnique) {
  std::set<std::string> ids, names;
  for (const Rule& rule : RuleCatalogue::builtin().rules()) {
    EXPECT_TRUE(ids.insert(rule.id).second) << rule.id;
    EXPECT_TRUE(names.insert(rule.name).second) << rule.name;
  }
}

TEST(RuleCatalogue, EmbeddedFilesAreNamedAfterTheirRule) {
  std::set<std::string> expected_files;
  for (const Rule& rule : RuleCatalogue::builtin().rules()) {
    expected_files.insert("rules/" + rule.id + "-" + rule.name + ".toml");
  }
  std::set<std::string> files;
  for (const auto& [file, text] : embedded_rule_sources()) files.insert(file);
  EXPECT_EQ(files, expected_files);
}

TEST(RuleCatalogue, BorrowedReferenceRuleMapsEveryApiToItsStrongReferenceReplacement) {
  // A list read by index may instead be read under the list's own critical section.
  const std::string kListAdvice =
      "PyList_GetItemRef, or read the list inside Py_BEGIN_CRITICAL_SECTION(list) (a loop over its items, an "
      "algorithm that reorders it in place)";
  const std::map<std::string, std::string> expected{
      {"PyDict_GetItem", "PyDict_GetItemRef"},
      {"PyDict_GetItemWithError", "PyDict_GetItemRef"},
      {"PyDict_GetItemString", "PyDict_GetItemStringRef"},
      {"PyDict_SetDefault", "PyDict_SetDefaultRef"},
      {"PyList_GetItem", kListAdvice},
      {"PyList_GET_ITEM", kListAdvice},
      {"PyWeakref_GetObject", "PyWeakref_GetRef"},
      {"PyWeakref_GET_OBJECT", "PyWeakref_GetRef"},
      {"PyImport_AddModule", "PyImport_AddModuleRef"},
      {"PyCell_GET", "PyCell_Get"},
      {"_PyType_Lookup", "_PyType_LookupRef"},
  };
  EXPECT_EQ(RuleCatalogue::builtin().at("FT003").data, expected);
}

TEST(RuleCatalogue, ApiRulesListEveryApiTheyMatchInTheirData) {
  auto keys = [](const Rule& rule) {
    std::set<std::string> names;
    for (const auto& [api, replacement] : rule.data) {
      EXPECT_FALSE(replacement.empty()) << rule.id << " " << api;
      names.insert(api);
    }
    return names;
  };
  const RuleCatalogue& catalogue = RuleCatalogue::builtin();
  EXPECT_EQ(keys(catalogue.at("SI007")),
            (std::set<std::string>{"PyState_FindModule", "PyState_AddModule", "PyState_RemoveModule"}));
  EXPECT_EQ(keys(catalogue.at("SI008")), (std::set<std::string>{"PyGILState_Ensure", "PyGILState_Release"}));
}

TEST(RuleCatalogue, FindsByIdOrNameIgnoringCase) {
  const RuleCatalogue& catalogue = RuleCatalogue::builtin();
  const Rule* by_id = catalogue.find("SI001");
  ASSERT_NE(by_id, nullptr);
  EXPECT_EQ(by_id->name, "single-phase-init");
  EXPECT_EQ(catalogue.find("si001"), by_id);
  EXPECT_EQ(catalogue.find("single-phase-init"), by_id);
  EXPECT_EQ(catalogue.find("Single-Phase-Init"), by_id);
  EXPECT_EQ(catalogue.find("ft003"), catalogue.find("borrowed-reference-api"));
  EXPECT_EQ(catalogue.find("SI999"), nullptr);
  EXPECT_EQ(catalogue.find("single-phase"), nullptr);
  EXPECT_EQ(catalogue.find(""), nullptr);
}

TEST(RuleCatalogue, AtReturnsTheRuleOrThrowsOutOfRange) {
  EXPECT_EQ(RuleCatalogue::builtin().at("FT001").name, "gil-slot-missing");
  EXPECT_THROW(RuleCatalogue::builtin().at("XX001"), std::out_of_range);
}

TEST(RuleCatalogue, SpellsCategoriesAsTheTomlFilesDo) {
  EXPECT_EQ(to_string(RuleCategory::subinterpreters), "subinterpreters");
  EXPECT_EQ(to_string(RuleCategory::free_threading), "free-threading");
}

TEST(RuleCatalogueFromSources, ParsesAValidRuleWithItsDataAndTrimsMultiLineText) {
  RuleCatalogue catalogue = RuleCatalogue::from_sources(
      {{"rules/SI101-test-rule.toml", render(valid_fields(), "[data]\nPyFoo = \"PyFooRef\"\n")}});
  ASSERT_EQ(catalogue.rules().size(), 1u);
  const Rule& rule = catalogue.rules().front();
  EXPECT_EQ(rule.id, "SI101");
  EXPECT_EQ(rule.name, "test-rule");
  EXPECT_EQ(rule.severity, Severity::warning);
  EXPECT_EQ(rule.category, RuleCategory::subinterpreters);
  EXPECT_EQ(rule.what, "what it finds");
  EXPECT_EQ(rule.example, "static PyObject *cache;");
  EXPECT_EQ(rule.references, std::vector<std::string>{"https://docs.python.org/3/howto/isolating-extensions.html"});
  EXPECT_EQ(rule.data, (std::map<std::string, std::string>{{"PyFoo", "PyFooRef"}}));
}

// `[data.NAME]` sub-tables are further lists, kept apart from the matched APIs (SI008's
// thread-creating and synchronous-callback APIs).
TEST(RuleCatalogueFromSources, KeepsDataSubTablesApartFromTheMatchedApis) {
  RuleCatalogue catalogue = RuleCatalogue::from_sources(
      {{"rules/SI101-test-rule.toml",
        render(valid_fields(), "[data]\nPyFoo = \"PyFooRef\"\n[data.starts]\n\"std::thread\" = \"C++\"\n")}});
  const Rule& rule = catalogue.rules().front();
  EXPECT_EQ(rule.data, (std::map<std::string, std::string>{{"PyFoo", "PyFooRef"}}));
  EXPECT_EQ(rule.data_tables,
            (std::map<std::string, std::map<std::string, std::string>>{{"starts", {{"std::thread", "C++"}}}}));
  EXPECT_EQ(rejection_of(render(valid_fields(), "[data.starts]\nbar = 2\n")),
            "rules/SI101-test-rule.toml: data.starts entry 'bar' must be a string");
  const Rule& si008 = RuleCatalogue::builtin().at("SI008");
  EXPECT_TRUE(si008.data_tables.at("thread_start").contains("pthread_create"));
  EXPECT_TRUE(si008.data_tables.at("synchronous_callback").contains("sqlite3_create_function_v2"));
}

TEST(RuleCatalogueFromSources, OrdersSubinterpreterRulesBeforeFreeThreadingRules) {
  RuleCatalogue catalogue = RuleCatalogue::from_sources({
      {"a.toml", render(valid_fields("FT101", "ft-rule"))},
      {"b.toml", render(valid_fields("SI102", "second"))},
      {"c.toml", render(valid_fields("SI101", "first"))},
  });
  std::vector<std::string> ids;
  for (const Rule& rule : catalogue.rules()) ids.push_back(rule.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"SI101", "SI102", "FT101"}));
}

TEST(RuleCatalogueFromSources, RejectsEachMissingFieldNamingFileAndField) {
  for (const auto& [field, value] : valid_fields()) {
    auto fields = valid_fields();
    fields.erase(field);
    EXPECT_EQ(rejection_of(render(fields)), "rules/SI101-test-rule.toml: missing field '" + field + "'");
  }
}

TEST(RuleCatalogueFromSources, RejectsEmptyAndNonStringFields) {
  auto empty_why = valid_fields();
  empty_why["why"] = "\"  \"";
  EXPECT_EQ(rejection_of(render(empty_why)), "rules/SI101-test-rule.toml: empty field 'why'");
  auto numeric_summary = valid_fields();
  numeric_summary["summary"] = "42";
  EXPECT_EQ(rejection_of(render(numeric_summary)), "rules/SI101-test-rule.toml: field 'summary' must be a string");
  auto two_line_hint = valid_fields();
  two_line_hint["hint"] = "\"first\\nsecond\"";
  EXPECT_EQ(rejection_of(render(two_line_hint)), "rules/SI101-test-rule.toml: field 'hint' must be one line");
}

TEST(RuleCatalogueFromSources, RejectsABadSeverity) {
  auto fields = valid_fields();
  fields["severity"] = "\"fatal\"";
  EXPECT_EQ(rejection_of(render(fields)),
            "rules/SI101-test-rule.toml: bad severity 'fatal' (want note, warning or error)");
}

TEST(RuleCatalogueFromSources, RejectsMalformedIdsNamesAndCategories) {
  auto bad_id = valid_fields("SIX01");
  EXPECT_NE(rejection_of(render(bad_id)).find("rules/SI101-test-rule.toml: bad id 'SIX01'"), std::string::npos);
  auto lower_id = valid_fields("si101");
  lower_id["category"] = "\"subinterpreters\"";
  EXPECT_NE(rejection_of(render(lower_id)).find("bad id 'si101'"), std::string::npos);
  auto bad_name = valid_fields("SI101", "Test_Rule");
  EXPECT_NE(rejection_of(render(bad_name)).find("bad name 'Test_Rule'"), std::string::npos);
  auto bad_category = valid_fields();
  bad_category["category"] = "\"threads\"";
  EXPECT_NE(rejection_of(render(bad_category)).find("bad category 'threads'"), std::string::npos);
}

TEST(RuleCatalogueFromSources, RejectsAnIdThatContradictsItsCategory) {
  auto fields = valid_fields("FT101");
  fields["category"] = "\"subinterpreters\"";
  EXPECT_NE(rejection_of(render(fields)).find("id FT101 does not match category 'subinterpreters'"), std::string::npos);
}

TEST(RuleCatalogueFromSources, RejectsDuplicateIdsAndNames) {
  std::string same_id = rejection({
      {"rules/SI101-first.toml", render(valid_fields("SI101", "first"))},
      {"rules/SI101-second.toml", render(valid_fields("SI101", "second"))},
  });
  EXPECT_EQ(same_id, "rules/SI101-second.toml: duplicate id SI101 (also in rules/SI101-first.toml)");
  std::string same_name = rejection({
      {"rules/SI101-twin.toml", render(valid_fields("SI101", "twin"))},
      {"rules/SI102-twin.toml", render(valid_fields("SI102", "twin"))},
  });
  EXPECT_EQ(same_name, "rules/SI102-twin.toml: duplicate name twin (also in rules/SI101-twin.toml)");
}

TEST(RuleCatalogueFromSources, RejectsMalformedTomlNamingTheFileAndPosition) {
  std::string message = rejection_of("id = \"SI101\"\nname = \"unterminated\n");
  EXPECT_TRUE(message.starts_with("rules/SI101-test-rule.toml: malformed TOML at line 2")) << message;
}

TEST(RuleCatalogueFromSources, RejectsUnknownFieldsSoTyposDoNotGoUnnoticed) {
  auto fields = valid_fields();
  fields["summray"] = "\"typo\"";
  EXPECT_EQ(rejection_of(render(fields)), "rules/SI101-test-rule.toml: unknown field 'summray'");
}

TEST(RuleCatalogueFromSources, RejectsReferencesThatAreNotHttpsUrls) {
  auto http = valid_fields();
  http["references"] = "[\"https://peps.python.org/pep-0684/\", \"http://example.org\"]";
  EXPECT_EQ(rejection_of(render(http)), "rules/SI101-test-rule.toml: reference 2 is not an https URL");
  auto empty = valid_fields();
  empty["references"] = "[]";
  EXPECT_EQ(rejection_of(render(empty)), "rules/SI101-test-rule.toml: field 'references' is empty");
  auto scalar = valid_fields();
  scalar["references"] = "\"https://peps.python.org/pep-0684/\"";
  EXPECT_NE(rejection_of(render(scalar)).find("field 'references' must be an array"), std::string::npos);
}

TEST(RuleCatalogueFromSources, ReadsSupersedesAndRejectsIdsNotInTheCatalogue) {
  auto first = valid_fields("SI101", "first");
  first["supersedes"] = "[\"SI102\"]";
  const RuleCatalogue catalogue = RuleCatalogue::from_sources({
      {"rules/SI101-first.toml", render(first)},
      {"rules/SI102-second.toml", render(valid_fields("SI102", "second"))},
  });
  EXPECT_EQ(catalogue.at("SI101").supersedes, std::vector<std::string>{"SI102"});
  EXPECT_TRUE(catalogue.at("SI102").supersedes.empty());
  EXPECT_EQ(RuleCatalogue::builtin().at("SI004").supersedes,
            (std::vector<std::string>{"SI005", "SI006", "SI007", "SI010", "SI012"}));

  EXPECT_EQ(rejection({{"rules/SI101-first.toml", render(first)}}),
            "rules/SI101-first.toml: supersedes 'SI102', which is not another rule of the catalogue");
  auto itself = valid_fields();
  itself["supersedes"] = "[\"SI101\"]";
  EXPECT_EQ(rejection_of(render(itself)),
            "rules/SI101-test-rule.toml: supersedes 'SI101', which is not another rule of the catalogue");
  auto scalar = valid_fields();
  scalar["supersedes"] = "\"SI102\"";
  EXPECT_EQ(rejection_of(render(scalar)),
            "rules/SI101-test-rule.toml: field 'supersedes' must be an array of rule ids");
}

TEST(RuleCatalogueFromSources, RejectsDataThatIsNotATableOfStrings) {
  EXPECT_EQ(rejection_of(render(valid_fields(), "[data]\nPyFoo = 1\n")),
            "rules/SI101-test-rule.toml: data entry 'PyFoo' must be a string");
  auto scalar = valid_fields();
  scalar["data"] = "\"PyFoo\"";
  EXPECT_EQ(rejection_of(render(scalar)), "rules/SI101-test-rule.toml: field 'data' must be a table of strings");
}

// Of the released rules (a new rule declares its own table, and the severity test below
// covers every rule).
TEST(RuleCatalogue, OnlyTheContradictionAndRefusalRulesLowerVerdicts) {
  struct Declared {
    std::optional<SubinterpreterVerdict> subinterpreters;
    std::optional<FreeThreadingVerdict> free_threading;
    VerdictClaim when;
  };
  const std::map<std::string, Declared> expected{
      {"SI004", {SubinterpreterVerdict::unsafe, std::nullopt, VerdictClaim::declares_per_interpreter_gil}},
      {"SI009", {SubinterpreterVerdict::unsupported, std::nullopt, VerdictClaim::always}},
      {"FT002", {std::nullopt, FreeThreadingVerdict::unsafe, VerdictClaim::declares_gil_not_used}},
      {"FT007", {std::nullopt, FreeThreadingVerdict::unsafe, VerdictClaim::always}},
  };
  for (const ExpectedRule& released : released_rules()) {
    const Rule& rule = RuleCatalogue::builtin().at(released.id);
    auto want = expected.find(rule.id);
    ASSERT_EQ(rule.verdict.has_value(), want != expected.end()) << rule.id;
    if (!rule.verdict) continue;
    EXPECT_EQ(rule.verdict->subinterpreters, want->second.subinterpreters) << rule.id;
    EXPECT_EQ(rule.verdict->free_threading, want->second.free_threading) << rule.id;
    EXPECT_EQ(rule.verdict->when, want->second.when) << rule.id;
  }
}

TEST(RuleCatalogueFromSources, ReadsAVerdictTable) {
  RuleCatalogue catalogue = RuleCatalogue::from_sources(
      {{"rules/SI101-test-rule.toml",
        render(valid_fields(), "[verdict]\nsubinterpreters = \"unsafe\"\nwhen = \"declares-per-interpreter-gil\"\n")}});
  const Rule& rule = catalogue.rules().front();
  ASSERT_TRUE(rule.verdict.has_value());
  EXPECT_EQ(rule.verdict->subinterpreters, SubinterpreterVerdict::unsafe);
  EXPECT_FALSE(rule.verdict->free_threading.has_value());
  EXPECT_EQ(rule.verdict->when, VerdictClaim::declares_per_interpreter_gil);
  EXPECT_FALSE(RuleCatalogue::from_sources({{"a.toml", render(valid_fields())}}).rules().front().verdict);
}

TEST(RuleCatalogueFromSources, RejectsVerdictTablesWithUnknownValuesNamingFileAndField) {
  auto verdict = [](const std::string& body) { return rejection_of(render(valid_fields(), "[verdict]\n" + body)); };
  const std::string file = "rules/SI101-test-rule.toml: ";
  EXPECT_EQ(verdict("subinterpreters = \"broken\"\nwhen = \"always\"\n"),
            file + "bad verdict.subinterpreters 'broken' (want unsupported or unsafe)");
  EXPECT_EQ(verdict("subinterpreters = \"supported\"\nwhen = \"always\"\n"),
            file + "bad verdict.subinterpreters 'supported' (want unsupported or unsafe)");
  EXPECT_EQ(verdict("free-threading = \"gil-free\"\nwhen = \"always\"\n"),
            file + "bad verdict.free-threading 'gil-free' (want unsafe or requires-gil)");
  EXPECT_EQ(verdict("subinterpreters = \"unsafe\"\nwhen = \"sometimes\"\n"),
            file + "bad verdict.when 'sometimes' (want always, declares-per-interpreter-gil or declares-gil-not-used)");
  EXPECT_EQ(verdict("subinterpreters = \"unsafe\"\n"), file + "missing field 'verdict.when'");
  EXPECT_EQ(verdict("when = \"always\"\n"),
            file + "field 'verdict' lowers nothing (give subinterpreters or free-threading)");
  EXPECT_EQ(verdict("subinterpreters = \"unsafe\"\nwhen = \"always\"\nseverity = \"error\"\n"),
            file + "unknown field 'verdict.severity' (known: subinterpreters, free-threading, when)");
  EXPECT_EQ(verdict("subinterpreters = 3\nwhen = \"always\"\n"),
            file + "field 'verdict.subinterpreters' must be a string");
  auto scalar = valid_fields();
  scalar["verdict"] = "\"unsafe\"";
  EXPECT_EQ(rejection_of(render(scalar)), file + "field 'verdict' must be a table");
}

}  // namespace
}  // namespace subcheck
