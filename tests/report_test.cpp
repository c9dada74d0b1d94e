// The report writers, fed AnalysisResult values built here (real structs, no parser):
// the text report's lines, carets and table; the JSON report's shape, checked against the
// documented schema in docs/schema/scan-v1.schema.json by a small hand-written checker.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "analyzer/analyze.h"
#include "cli/baseline.h"
#include "cli/explain.h"
#include "cli/report.h"
#include "cli/report_json.h"
#include "cli/report_text.h"
#include "report/dynamic_report.h"
#include "report/probe_document.h"
#include "rules/catalogue.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Two rules in the catalogue's own TOML format, so the tests do not depend on the
// wording of the built-in catalogue.
const std::map<std::string, std::string> kTestRules = {
    {"SI005-static-type-object.toml", R"(
id = "SI005"
name = "static-type-object"
severity = "warning"
category = "subinterpreters"
summary = "statically defined PyTypeObject"
hint = "create the type with PyType_FromModuleAndSpec and keep it in module state"
what = "A PyTypeObject defined as a C variable."
why = "Static types are shared by every interpreter."
example = "static PyTypeObject FooType = {0};"
fix = "Use PyType_FromModuleAndSpec."
references = ["https://docs.python.org/3/howto/isolating-extensions.html"]
)"},
    {"SI001-single-phase-init.toml", R"(
id = "SI001"
name = "single-phase-init"
severity = "error"
category = "subinterpreters"
summary = "module uses single-phase initialisation"
hint = "convert PyInit_* to multi-phase init"
what = "PyInit returns PyModule_Create."
why = "Isolated subinterpreters refuse it."
example = "return PyModule_Create(&def);"
fix = "return PyModuleDef_Init(&def);"
references = ["https://peps.python.org/pep-0489/"]
)"},
    {"FT003-borrowed-reference-api.toml", R"(
id = "FT003"
name = "borrowed-reference-api"
severity = "warning"
category = "free-threading"
summary = "borrowed reference API"
hint = "use the strong-reference variant"
what = "PyDict_GetItem and friends."
why = "Another thread may drop the object."
example = "PyObject *v = PyDict_GetItem(d, k);"
fix = "PyDict_GetItemRef(d, k, &v);"
references = ["https://docs.python.org/3/howto/free-threading-extensions.html"]
)"},
};

const RuleCatalogue& test_rules() {
  static const RuleCatalogue rules = RuleCatalogue::from_sources(kTestRules);
  return rules;
}

// A source file on disk, so the text report can quote it.
class TempSource {
 public:
  explicit TempSource(const std::string& text) {
    dir_ = fs::temp_directory_path() / ("subcheck-report-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = dir_ / "_spam.c";
    std::ofstream(path_) << text;
  }
  ~TempSource() { fs::remove_all(dir_); }
  const fs::path& dir() const { return dir_; }
  std::string path() const { return path_.string(); }

 private:
  fs::path dir_;
  fs::path path_;
};

const char* const kSpamSource =
    "#include <Python.h>\n"
    "static PyTypeObject SpamType = {0};\n"
    "\tPyObject *v = PyDict_GetItem(d, k);\n"
    "PyMODINIT_FUNC PyInit__spam(void) { return PyModule_Create(&spam_def); }\n";

Finding make_finding(std::string rule, Severity severity, std::string file, unsigned line, unsigned column,
                     std::string message,
                     std::vector<BuildConfig> configs = {BuildConfig::gil, BuildConfig::free_threaded}) {
  Finding finding;
  finding.rule = std::move(rule);
  finding.severity = severity;
  finding.location = {std::move(file), line, column};
  finding.message = std::move(message);
  finding.modules = {"_spam"};
  finding.configs = std::move(configs);
  return finding;
}

// One single-phase module `_spam` in one file, seen in both configurations, with three
// findings, one parse diagnostic and one suppressed finding.
AnalysisResult make_result(const std::string& file) {
  AnalysisResult result;
  for (BuildConfig config : kAllConfigs) {
    TranslationUnitFacts unit;
    unit.file = file;
    unit.config = config;
    unit.parsed = true;
    ModuleDefFact def;
    def.name = "spam_def";
    def.location = {file, 3, 20};
    def.m_name = "\"_spam\"";
    def.m_size = -1;
    unit.module_defs.push_back(def);
    result.model.units.push_back(std::move(unit));
  }
  ExtensionModule module;
  module.name = "_spam";
  module.location = {file, 4, 16};
  for (std::size_t i = 0; i < result.model.units.size(); ++i) {
    const TranslationUnitFacts& unit = result.model.units[i];
    ModuleConfigView view;
    view.init = InitStyle::single_phase;
    view.created_at = SourceLocation{file, 4, 45};
    view.def = &unit.module_defs.front();
    view.units = {&unit};
    module.configs.emplace(unit.config, view);
  }
  result.model.modules.push_back(module);
  result.model.owners[file] = {"_spam"};

  result.findings = {
      make_finding("SI005", Severity::warning, file, 2, 21, "static PyTypeObject 'SpamType'"),
      make_finding("FT003", Severity::warning, file, 3, 15, "PyDict_GetItem returns a borrowed reference"),
      make_finding("SI001", Severity::error, file, 4, 45, "module '_spam' uses single-phase initialisation"),
  };
  result.suppressed = 1;
  result.verdicts = {{"_spam", SubinterpreterVerdict::unsupported, FreeThreadingVerdict::requires_gil}};
  result.diagnostics = {{Severity::error, {file, 1, 10}, "'Python.h' file not found"}};
  result.compile_db_origin = "inferred";
  Interpreter python;
  python.executable = "/usr/bin/python3.13";
  python.version = "3.13.0";
  python.include_dir = "/usr/include/python3.13";
  result.python = python;
  return result;
}

ReportContext make_context(const fs::path& root) { return ReportContext{test_rules(), root, 2, FailOn::error, {}}; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// ---- text ---------------------------------------------------------------------------

TEST(TextReport, CaretLinesUpUnderTheColumn) {
  EXPECT_EQ(caret_line("static PyTypeObject SpamType = {0};", 21), std::string(20, ' ') + "^");
  EXPECT_EQ(caret_line("x", 1), "^");
}

TEST(TextReport, CaretKeepsTabsAndCountsUtf8CharactersOnce) {
  EXPECT_EQ(caret_line("\tPyObject *v", 2), "\t^");
  // "é" is two bytes: the column after it is byte 4 but character 3.
  EXPECT_EQ(caret_line("\xC3\xA9"
                       "ab",
                       4),
            "  ^");
}

TEST(TextReport, FindingReadsLikeClangWithSourceCaretAndHint) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  const std::string text = format_finding(result.findings[0], make_context(source.dir()), {false, source.dir()});
  const std::vector<std::string> lines = lines_of(text);
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_EQ(lines[0], "_spam.c:2:21: warning: static PyTypeObject 'SpamType' [SI005 static-type-object]");
  EXPECT_EQ(lines[1], "    2 | static PyTypeObject SpamType = {0};");
  EXPECT_EQ(lines[2], "      | " + std::string(20, ' ') + "^");
  EXPECT_EQ(lines[3], "  hint: create the type with PyType_FromModuleAndSpec and keep it in module state");
}

TEST(TextReport, PathsOutsideTheWorkingDirectoryStayAbsolute) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  const std::string text =
      format_finding(result.findings[2], make_context(source.dir()), {false, "/nonexistent/elsewhere"});
  EXPECT_TRUE(text.starts_with(source.path() + ":4:45: error: ")) << text;
}

TEST(TextReport, UnknownRuleStillPrintsItsIdAndNoHint) {
  TempSource source(kSpamSource);
  Finding finding = make_finding("XX999", Severity::note, source.path(), 1, 1, "something new");
  const std::string text = format_finding(finding, make_context(source.dir()), {false, source.dir()});
  EXPECT_NE(text.find("note: something new [XX999]"), std::string::npos) << text;
  EXPECT_EQ(text.find("hint:"), std::string::npos) << text;
}

TEST(TextReport, MissingSourceFileGivesHeaderAndHintOnly) {
  Finding finding = make_finding("SI005", Severity::warning, "/nonexistent/x.c", 7, 3, "static type");
  const std::vector<std::string> lines = lines_of(format_finding(finding, make_context("/"), {false, "/"}));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[1].starts_with("  hint: "));
}

TEST(TextReport, FindingWithoutLocationIsStillPrinted) {
  Finding finding = make_finding("SI005", Severity::warning, "", 0, 0, "static type");
  const std::vector<std::string> lines = lines_of(format_finding(finding, make_context("/"), {false, "/"}));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "subcheck: warning: static type [SI005 static-type-object]");
}

TEST(TextReport, ColourOnlyWhenAsked) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  const std::string plain = format_finding(result.findings[2], make_context(source.dir()), {false, source.dir()});
  const std::string coloured = format_finding(result.findings[2], make_context(source.dir()), {true, source.dir()});
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[1;31merror:\x1b[0m"), std::string::npos) << coloured;
}

TEST(TextReport, ToolDiagnosticIsTaggedParse) {
  ToolDiagnostic diagnostic{Severity::error, {"/src/x.c", 3, 10}, "'Python.h' file not found"};
  EXPECT_EQ(format_diagnostic(diagnostic, {false, "/src"}), "x.c:3:10: error: 'Python.h' file not found [parse]\n");
  ToolDiagnostic unlocated{Severity::warning, {}, "compile_commands.json: 2 entries skipped"};
  EXPECT_EQ(format_diagnostic(unlocated, {false, "/src"}),
            "subcheck: warning: compile_commands.json: 2 entries skipped [parse]\n");
}

TEST(TextReport, CapsParseDiagnosticsPerFileAndCountsTheRest) {
  AnalysisResult result;
  for (unsigned line = 1; line <= 13; ++line) {
    result.diagnostics.push_back({Severity::error, {"/src/broken.c", line, 1}, "unknown type name 'PyObject'"});
  }
  result.diagnostics.push_back({Severity::error, {"/src/other.c", 1, 1}, "'Python.h' file not found"});
  std::ostringstream capped;
  write_text_report(capped, result, make_context("/src"), {false, "/src", 10});
  EXPECT_NE(capped.str().find("broken.c:10:1: error:"), std::string::npos) << capped.str();
  EXPECT_EQ(capped.str().find("broken.c:11:1: error:"), std::string::npos) << capped.str();
  EXPECT_NE(capped.str().find("other.c:1:1: error: 'Python.h' file not found [parse]"), std::string::npos);
  EXPECT_NE(capped.str().find("broken.c: note: 3 more tool diagnostics not shown"), std::string::npos) << capped.str();

  std::ostringstream all;
  write_text_report(all, result, make_context("/src"), {false, "/src", 0});
  EXPECT_NE(all.str().find("broken.c:13:1: error:"), std::string::npos);
  EXPECT_EQ(all.str().find("not shown"), std::string::npos);
}

TEST(TextReport, SummaryCountsAndPluralises) {
  ScanSummary summary;
  summary.findings = 5;
  summary.errors = 2;
  summary.warnings = 3;
  summary.modules = 2;
  summary.files = 3;
  summary.suppressed = 1;
  EXPECT_EQ(format_summary(summary), "5 findings (2 errors, 3 warnings, 0 notes) in 2 modules, 3 files; 1 suppressed");
  ScanSummary one;
  one.findings = 1;
  one.notes = 1;
  one.modules = 1;
  one.files = 1;
  one.ignored = 4;
  one.diagnostics = 1;
  EXPECT_EQ(format_summary(one),
            "1 finding (0 errors, 0 warnings, 1 note) in 1 module, 1 file; 0 suppressed; 4 not selected; "
            "1 tool diagnostic");
}

TEST(TextReport, FullReportHasDiagnosticsFindingsModuleTableAndSummary) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  std::ostringstream out;
  write_text_report(out, result, make_context(source.dir()), {false, source.dir()});
  const std::string text = out.str();
  const std::size_t diagnostic = text.find("_spam.c:1:10: error: 'Python.h' file not found [parse]");
  const std::size_t first_finding = text.find("_spam.c:2:21: warning:");
  const std::size_t tab_finding = text.find("_spam.c:3:15: warning:");
  const std::size_t table = text.find("module  init          subinterpreters  free-threading  findings  defined at");
  const std::size_t row = text.find("_spam   single-phase  unsupported      requires-gil    3         _spam.c:4");
  const std::size_t summary =
      text.find("3 findings (1 error, 2 warnings, 0 notes) in 1 module, 1 file; 1 suppressed; 2 not selected");
  for (std::size_t position : {diagnostic, first_finding, tab_finding, table, row, summary}) {
    ASSERT_NE(position, std::string::npos) << text;
  }
  EXPECT_LT(diagnostic, first_finding);
  EXPECT_LT(tab_finding, table);
  EXPECT_LT(row, summary);
}

TEST(TextReport, SaysSoWhenThereIsNoModule) {
  AnalysisResult result;
  std::ostringstream out;
  write_text_report(out, result, make_context("/"), {false, "/"});
  EXPECT_NE(out.str().find("no extension module found"), std::string::npos);
  EXPECT_NE(out.str().find("0 findings (0 errors, 0 warnings, 0 notes) in 0 modules, 0 files; 0 suppressed"),
            std::string::npos);
}

TEST(Summary, NothingParsedWhenNoUnitHasAnAst) {
  AnalysisResult result = make_result("/src/x.c");
  EXPECT_FALSE(nothing_parsed(result));
  for (TranslationUnitFacts& unit : result.model.units) unit.parsed = false;
  EXPECT_TRUE(nothing_parsed(result));
  EXPECT_TRUE(nothing_parsed(AnalysisResult{}));
  ScanSummary summary = summarize(result, 0);
  EXPECT_EQ(summary.units_total, 2u);
  EXPECT_EQ(summary.units_parsed, 0u);
  EXPECT_EQ(summary.files, 1u);
}

TEST(Summary, VerdictFallsBackToUnknown) {
  AnalysisResult result = make_result("/src/x.c");
  result.verdicts.clear();
  ModuleVerdict verdict = verdict_for(result, 0);
  EXPECT_EQ(verdict.module, "_spam");
  EXPECT_EQ(verdict.subinterpreters, SubinterpreterVerdict::unknown);
  EXPECT_EQ(verdict.free_threading, FreeThreadingVerdict::unknown);
}

// ---- JSON ---------------------------------------------------------------------------

// A checker for the subset of JSON Schema that docs/schema/scan-v1.schema.json uses:
// type (string or list), required, properties, additionalProperties, items, enum, const,
// $ref into $defs. Returns the problems found, each with its JSON pointer. Stricter than
// JSON Schema on one point: a key the schema does not list under `properties` (and no
// additionalProperties schema covers) is a problem, so every emitted field is documented.
class SchemaChecker {
 public:
  explicit SchemaChecker(json schema) : schema_(std::move(schema)) {}

  std::vector<std::string> check(const json& value) {
    problems_.clear();
    check_node(value, schema_, "");
    return problems_;
  }

 private:
  static bool has_type(const json& value, const std::string& type) {
    if (type == "object") return value.is_object();
    if (type == "array") return value.is_array();
    if (type == "string") return value.is_string();
    if (type == "integer") return value.is_number_integer();
    if (type == "number") return value.is_number();
    if (type == "boolean") return value.is_boolean();
    if (type == "null") return value.is_null();
    return false;
  }

  const json& resolve(const json& schema) const {
    if (!schema.contains("$ref")) return schema;
    const std::string ref = schema["$ref"];
    const std::string prefix = "#/$defs/";
    if (!ref.starts_with(prefix)) throw std::runtime_error("unsupported $ref " + ref);
    return schema_.at("$defs").at(ref.substr(prefix.size()));
  }

  void check_node(const json& value, const json& raw_schema, const std::string& where) {
    const json& schema = resolve(raw_schema);
    if (schema.contains("type")) {
      std::vector<std::string> types;
      if (schema["type"].is_array()) {
        for (const json& type : schema["type"]) types.push_back(type);
      } else {
        types.push_back(schema["type"]);
      }
      bool matched = false;
      for (const std::string& type : types) matched = matched || has_type(value, type);
      if (!matched) {
        problems_.push_back(where + ": expected " + schema["type"].dump() + ", got " + value.dump());
        return;
      }
    }
    if (schema.contains("const") && value != schema["const"]) problems_.push_back(where + ": not the const value");
    if (schema.contains("enum")) {
      bool listed = false;
      for (const json& choice : schema["enum"]) listed = listed || choice == value;
      if (!listed) problems_.push_back(where + ": " + value.dump() + " not in enum");
    }
    if (value.is_object()) check_object(value, schema, where);
    if (value.is_array() && schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i)
        check_node(value[i], schema["items"], where + "/" + std::to_string(i));
    }
  }

  void check_object(const json& value, const json& schema, const std::string& where) {
    for (const json& key : schema.value("required", json::array())) {
      if (!value.contains(key.get<std::string>())) {
        problems_.push_back(std::string(where).append(": missing ").append(key.get<std::string>()));
      }
    }
    const json properties = schema.value("properties", json::object());
    for (const auto& [key, member] : value.items()) {
      const std::string path = std::string(where).append("/").append(key);
      if (properties.contains(key)) {
        check_node(member, properties[key], path);
      } else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
        check_node(member, schema["additionalProperties"], path);
      } else {
        problems_.push_back(std::string(where).append(": undocumented key ").append(key));
      }
    }
  }

  json schema_;
  std::vector<std::string> problems_;
};

json documented_schema() {
  std::ifstream in(fs::path(SUBCHECK_SOURCE_DIR) / "docs/schema/scan-v1.schema.json");
  EXPECT_TRUE(in.good()) << "docs/schema/scan-v1.schema.json is missing";
  return json::parse(in);
}

TEST(JsonReport, MatchesTheDocumentedSchema) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  const json report = scan_report_json(result, make_context(source.dir()));
  SchemaChecker checker(documented_schema());
  const std::vector<std::string> problems = checker.check(report);
  for (const std::string& problem : problems) ADD_FAILURE() << problem;
}

TEST(JsonReport, TheBaselineObjectMatchesTheDocumentedSchema) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  json report = scan_report_json(result, make_context(source.dir()));
  report["baseline"] = baseline_outcome_json(BaselineOutcome{"subcheck-baseline.json", 4, 3, 1});
  SchemaChecker checker(documented_schema());
  for (const std::string& problem : checker.check(report)) ADD_FAILURE() << problem;
  report["baseline"].erase("stale");
  EXPECT_EQ(checker.check(report), std::vector<std::string>{"/baseline: missing stale"});
}

TEST(JsonReport, SchemaCheckerCatchesAMissingKeyAndAWrongType) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  json report = scan_report_json(result, make_context(source.dir()));
  report["findings"][0].erase("rule");
  report["modules"][0]["line"] = "four";
  SchemaChecker checker(documented_schema());
  const std::vector<std::string> problems = checker.check(report);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "/findings/0: missing rule");
  EXPECT_EQ(problems[1], "/modules/0/line: expected \"integer\", got \"four\"");
}

// A probed module that declares per-interpreter GIL support and is refused: its declared
// facts and the contradiction are in the probe document, as docs/schema/probe-v1 says,
// and the contradiction heads the text report.
DynamicRun declared_but_refused_run() {
  DynamicRun run;
  run.interpreter.implementation_tag = "3.13";
  run.interpreter.version = "3.13.5";
  prober::ModuleProbeReport report;
  report.module = "pkg._fast";
  report.file = "/site/pkg/_fast.so";
  report.interpreter = "3.13";
  report.subinterpreters = SubinterpreterVerdict::unsupported;
  report.summary = "an isolated subinterpreter refuses it";
  report.declared.def.init = InitStyle::multi_phase;
  report.declared.def.multiple_interpreters = MultipleInterpreters::per_interpreter_gil_supported;
  report.declared.def.gil = GilDeclaration::absent;
  report.declared.def.m_size = 16;
  report.declared.def_source = report.declared.init_source = "module-def";
  report.declared.imports = {"PyGILState_Ensure", "PyModuleDef_Init"};
  report.contradictions = {{"declared-isolated-fails", "declares Py_MOD_PER_INTERPRETER_GIL_SUPPORTED, but ..."}};
  run.run.modules.push_back(report);
  return run;
}

TEST(JsonReport, ProbeDocumentWithDeclaredFactsMatchesTheDocumentedSchema) {
  std::ifstream in(fs::path(SUBCHECK_SOURCE_DIR) / "docs/schema/probe-v1.schema.json");
  ASSERT_TRUE(in.good());
  SchemaChecker checker(json::parse(in));
  const std::vector<DynamicRun> runs{declared_but_refused_run()};
  const json document = probe_document("pkg", runs, {}, "");
  for (const std::string& problem : checker.check(document)) ADD_FAILURE() << problem;
  const json& declared = document["modules"][0]["declared"];
  EXPECT_EQ(declared["init"], "multi-phase");
  EXPECT_EQ(declared["multiple_interpreters"], "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED");
  EXPECT_EQ(declared["m_size"], 16);
  EXPECT_EQ(declared["sources"]["multiple_interpreters"], "module-def");
  EXPECT_EQ(declared["sources"]["imports"], "elf-imports");
  EXPECT_EQ(document["contradictions"][0]["id"], "declared-isolated-fails");
  EXPECT_EQ(document["contradictions"][0]["module"], "pkg._fast");

  std::ostringstream text;
  write_dynamic_text(text, runs, {}, false);
  const std::string out = text.str();
  EXPECT_TRUE(out.starts_with("declared vs observed: contradictions\n  pkg._fast [3.13] declared-isolated-fails:"))
      << out;
  EXPECT_NE(out.find("declared: multi-phase, multiple_interpreters Py_MOD_PER_INTERPRETER_GIL_SUPPORTED, gil absent, "
                     "m_size 16; imports PyGILState_Ensure PyModuleDef_Init"),
            std::string::npos)
      << out;
}

TEST(JsonReport, TopLevelFieldsByHand) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  const json report = scan_report_json(result, make_context(source.dir()));
  EXPECT_EQ(report["schema"], "subcheck-scan");
  EXPECT_EQ(report["version"], 1);
  EXPECT_EQ(report["tool"]["name"], "subcheck");
  EXPECT_EQ(report["tool"]["version"], std::string(tool_version()));
  EXPECT_EQ(report["root"], source.dir().string());
  EXPECT_EQ(report["python"]["version"], "3.13.0");
  EXPECT_EQ(report["python"]["numpy_include"], nullptr);
  EXPECT_EQ(report["compile_database"], "inferred");
  EXPECT_EQ(report["settings"]["fail_on"], "error");
  EXPECT_EQ(report["settings"]["select"], nullptr);
  EXPECT_EQ(report["summary"]["findings"], 3);
  EXPECT_EQ(report["summary"]["errors"], 1);
  EXPECT_EQ(report["summary"]["suppressed"], 1);
  EXPECT_EQ(report["summary"]["ignored"], 2);
  EXPECT_EQ(report["diagnostics"][0]["kind"], "parse");
  EXPECT_EQ(report["diagnostics"][0]["line"], 1);
}

TEST(JsonReport, ModuleCarriesBothConfigurationsAndIndexesItsFindings) {
  TempSource source(kSpamSource);
  AnalysisResult result = make_result(source.path());
  const json module = scan_report_json(result, make_context(source.dir()))["modules"][0];
  EXPECT_EQ(module["name"], "_spam");
  EXPECT_EQ(module["file"], source.path());
  EXPECT_EQ(module["line"], 4);
  EXPECT_EQ(module["init"], "single-phase");
  EXPECT_EQ(module["multiple_interpreters"], "absent");
  EXPECT_EQ(module["gil"], "absent");
  EXPECT_EQ(module["generator"], nullptr);
  EXPECT_EQ(module["verdicts"]["subinterpreters"], "unsupported");
  EXPECT_EQ(module["verdicts"]["free_threading"], "requires-gil");
  EXPECT_EQ(module["findings"], json::array({0, 1, 2}));
  ASSERT_TRUE(module["configs"].contains("gil"));
  ASSERT_TRUE(module["configs"].contains("free-threaded"));
  EXPECT_EQ(module["configs"]["gil"]["module_def"]["name"], "spam_def");
  EXPECT_EQ(module["configs"]["gil"]["module_def"]["m_size"], -1);
  EXPECT_EQ(module["configs"]["gil"]["created_at"]["column"], 45);
  EXPECT_EQ(module["configs"]["free-threaded"]["slots"], nullptr);
  EXPECT_EQ(module["configs"]["free-threaded"]["files"], json::array({source.path()}));
}

TEST(JsonReport, FindingCarriesRuleNameCategoryAndConfigs) {
  const json finding = finding_json(
      make_finding("FT003", Severity::warning, "/src/x.c", 3, 15, "borrowed", {BuildConfig::free_threaded}),
      test_rules());
  EXPECT_EQ(finding["rule"], "FT003");
  EXPECT_EQ(finding["name"], "borrowed-reference-api");
  EXPECT_EQ(finding["category"], "free-threading");
  EXPECT_EQ(finding["severity"], "warning");
  EXPECT_EQ(finding["file"], "/src/x.c");
  EXPECT_EQ(finding["line"], 3);
  EXPECT_EQ(finding["column"], 15);
  EXPECT_EQ(finding["configs"], json::array({"free-threaded"}));
  EXPECT_EQ(finding["modules"], json::array({"_spam"}));
  EXPECT_EQ(finding["hint"], "use the strong-reference variant");
}

TEST(JsonReport, WriterEmitsOneParsableDocumentEvenForInvalidUtf8) {
  AnalysisResult result;
  result.findings = {make_finding("SI005", Severity::warning, "/src/bad\xff.c", 1, 1, "message \xfe")};
  std::ostringstream out;
  write_json_report(out, result, make_context("/src"));
  const json report = json::parse(out.str());
  EXPECT_EQ(report["findings"].size(), 1u);
  EXPECT_TRUE(out.str().ends_with("}\n"));
}

// ---- rules and explain ----------------------------------------------------------------

TEST(Explain, RulesTableHasOneAlignedRowPerRule) {
  const std::vector<std::string> lines = lines_of(format_rules_table(test_rules()));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(lines[0].starts_with("id     name                    severity  category")) << lines[0];
  bool found = false;
  for (const std::string& line : lines) {
    found = found || line == "FT003  borrowed-reference-api  warning   free-threading   borrowed reference API";
  }
  EXPECT_TRUE(found) << format_rules_table(test_rules());
}

TEST(Explain, ExplanationHasEverySection) {
  const std::string text = format_explanation(test_rules().at("SI001"));
  EXPECT_TRUE(text.starts_with("SI001 single-phase-init (error, subinterpreters)\n")) << text;
  for (const char* part : {"What it finds\n  PyInit returns PyModule_Create.", "Why it matters\n",
                           "Example\n  return PyModule_Create(&def);", "Fix\n  return PyModuleDef_Init(&def);",
                           "References\n  - https://peps.python.org/pep-0489/"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n---\n" << text;
  }
}

TEST(Explain, UnknownRuleSuggestsCloseMatches) {
  EXPECT_EQ(unknown_rule_message("SI05", test_rules()),
            "no rule 'SI05'; did you mean SI005 (static-type-object) or SI001 (single-phase-init)?");
  EXPECT_EQ(unknown_rule_message("static-type-objects", test_rules()),
            "no rule 'static-type-objects'; did you mean SI005 (static-type-object)?");
  EXPECT_EQ(unknown_rule_message("completely-unrelated-words", test_rules()),
            "no rule 'completely-unrelated-words'; `subcheck rules` lists them all");
}

TEST(Explain, RulesJsonListsIdsAndNames) {
  const json rules = rules_json(test_rules());
  ASSERT_EQ(rules.size(), 3u);
  for (const json& rule : rules) {
    EXPECT_TRUE(rule["id"].is_string());
    EXPECT_TRUE(rule["name"].is_string());
    EXPECT_TRUE(rule["references"].is_array());
  }
}

}  // namespace
}  // namespace subcheck
