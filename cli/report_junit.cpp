#include "cli/report_junit.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "core/finding.h"
#include "core/vocabulary.h"

namespace subcheck {

using nlohmann::json;

namespace {

// What a testcase says; the strings are only written at the edge (write_case).
enum class Outcome { pass, failure, error, skipped };

struct TestCase {
  std::string name;
  std::string classname;
  Outcome outcome = Outcome::pass;
  std::string message;  // the failure/error/skipped message attribute: one line
  std::string type;     // the verdict
  std::string body;     // the details: findings, evidence, below-threshold findings as system-out
};

struct TestSuite {
  std::string name;
  std::vector<TestCase> cases;
  std::size_t count(Outcome outcome) const {
    std::size_t n = 0;
    for (const TestCase& test : cases) n += test.outcome == outcome ? 1 : 0;
    return n;
  }
};

// One decoded UTF-8 sequence: the code point, or nullopt for a byte that starts no valid
// sequence (then one byte is consumed).
std::optional<char32_t> decode_utf8(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || at + length > text.size()) {
    ++at;
    return std::nullopt;
  }
  char32_t code = length == 1 ? lead : lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) {
      ++at;
      return std::nullopt;
    }
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) {
    ++at;
    return std::nullopt;
  }
  at += length;
  return code;
}

bool xml_allows(char32_t code) {
  return code == 0x9 || code == 0xA || code == 0xD || (code >= 0x20 && code != 0xFFFE && code != 0xFFFF);
}

const char* outcome_element(Outcome outcome) {
  switch (outcome) {
    case Outcome::failure: return "failure";
    case Outcome::error: return "error";
    case Outcome::skipped: return "skipped";
    case Outcome::pass: break;
  }
  return "";
}

Outcome static_outcome(const std::string& aspect, const std::string& verdict) {
  using Sub = SubinterpreterVerdict;
  using Ft = FreeThreadingVerdict;
  if (aspect == "subinterpreters") {
    const std::optional<Sub> parsed = parse_subinterpreter_verdict(verdict);
    if (parsed == Sub::supported) return Outcome::pass;
    if (parsed == Sub::shared_gil_only || parsed == Sub::unsupported || parsed == Sub::unsafe) return Outcome::failure;
    return Outcome::error;  // unknown, or a verdict this version does not know
  }
  const std::optional<Ft> parsed = parse_free_threading_verdict(verdict);
  if (parsed == Ft::gil_free) return Outcome::pass;
  if (parsed == Ft::requires_gil || parsed == Ft::unsafe) return Outcome::failure;
  return Outcome::error;
}

// The same sets as probe_failures() (they make the exit code 1); not-tested and
// abi-mismatch were never judged: skipped with the reason.
Outcome probe_outcome(const std::string& aspect, const std::string& verdict) {
  using Sub = SubinterpreterVerdict;
  using Ft = FreeThreadingVerdict;
  if (aspect == "subinterpreters") {
    const std::optional<Sub> parsed = parse_subinterpreter_verdict(verdict);
    if (parsed == Sub::supported) return Outcome::pass;
    if (parsed == Sub::not_tested || parsed == Sub::abi_mismatch) return Outcome::skipped;
    if (parsed == Sub::shared_gil_only || parsed == Sub::unsupported || parsed == Sub::crash ||
        parsed == Sub::timeout || parsed == Sub::broken) {
      return Outcome::failure;
    }
    return Outcome::error;
  }
  const std::optional<Ft> parsed = parse_free_threading_verdict(verdict);
  if (parsed == Ft::gil_free) return Outcome::pass;
  if (parsed == Ft::not_tested || parsed == Ft::abi_mismatch) return Outcome::skipped;
  if (parsed == Ft::requires_gil || parsed == Ft::crash || parsed == Ft::timeout || parsed == Ft::broken) {
    return Outcome::failure;
  }
  return Outcome::error;
}

std::string finding_line(const json& finding, const FormatContext& context) {
  std::string where = "?";
  if (std::optional<ReportLocation> location = report_location(finding, context.source_root)) {
    where = location->path + ":" + std::to_string(location->line);
  }
  return finding.value("severity", "") + " " + finding.value("rule", "") + " " + finding.value("name", "") + " " +
         where + ": " + finding.value("message", "");
}

// Findings at or above --fail-on make a testcase fail even when the verdict is fine (the
// exit code is 1 for them too); those below only go into the failure text or system-out.
bool fails_threshold(const json& finding, const std::string& fail_on) {
  if (fail_on == "never") return false;
  const Severity threshold = parse_severity(fail_on).value_or(Severity::error);
  return parse_severity(finding.value("severity", "")).value_or(Severity::warning) >= threshold;
}

TestCase static_case(const json& module, const std::string& aspect, const json& report, const FormatContext& context) {
  const std::string verdict =
      module["verdicts"].value(aspect == "subinterpreters" ? "subinterpreters" : "free_threading", "");
  const std::string fail_on = report.value("settings", json::object()).value("fail_on", "error");
  const json& findings = array_member(report, "findings");
  TestCase test{
      module.value("name", ""), "subcheck.static." + aspect, static_outcome(aspect, verdict), "", verdict, ""};
  std::size_t listed = 0;
  bool above_threshold = false;
  for (const json& index : array_member(module, "findings")) {
    if (!index.is_number_unsigned() || index.get<std::size_t>() >= findings.size()) continue;
    const json& finding = findings[index.get<std::size_t>()];
    if (finding.value("category", "") != aspect) continue;
    test.body += finding_line(finding, context) + "\n";
    ++listed;
    above_threshold = above_threshold || fails_threshold(finding, fail_on);
  }
  if (test.outcome == Outcome::pass && above_threshold) test.outcome = Outcome::failure;
  if (test.outcome == Outcome::error) {
    test.message = aspect + " verdict " + verdict + ": subcheck could not judge the module (see its diagnostics)";
    for (const json& diagnostic : array_member(report, "diagnostics")) {
      if (diagnostic.value("module", "") == test.name) test.body += diagnostic.value("message", "") + "\n";
    }
  } else if (test.outcome == Outcome::failure) {
    test.message =
        aspect + " verdict " + verdict + ", " + std::to_string(listed) + " finding" + (listed == 1 ? "" : "s");
  }
  return test;
}

std::string evidence_text(const json& module) {
  std::string text = module.value("summary", "") + "\n";
  for (const json& note : array_member(module, "notes")) text += "note: " + note.get<std::string>() + "\n";
  for (const json& result : array_member(module, "evidence")) {
    text += "probe " + result.value("probe", "") + ": " + result.value("outcome", "");
    if (result.contains("during")) text += " during " + result.value("during", "");
    text += "\n";
    for (const json& step : array_member(result, "steps")) {
      text += "  import in " + step.value("where", "") + ": " +
              (step.value("ok", false) ? std::string("ok")
                                       : step.value("error_type", "") + ": " + step.value("message", "")) +
              "\n";
    }
    if (result.value("outcome", "ok") != "ok" && !result.value("output", "").empty()) {
      text += "  output:\n" + result.value("output", "") + "\n";
    }
  }
  return text;
}

TestCase probe_case(const json& module, const std::string& aspect, const std::string& python) {
  const std::string verdict = module.value(aspect == "subinterpreters" ? "subinterpreters" : "free_threading", "");
  TestCase test{module.value("module", ""),
                "subcheck.probe." + python + "." + aspect,
                probe_outcome(aspect, verdict),
                "",
                verdict,
                ""};
  if (test.outcome != Outcome::pass) {
    test.message = aspect + " verdict " + verdict + " on " + python + ": " + module.value("summary", "");
    test.body = evidence_text(module);
  } else if (const std::vector<const json*> contradictions = contradictions_about(module, aspect);
             !contradictions.empty()) {
    // The verdict passes, the declaration does not hold: a failure as in the exit code.
    test.outcome = Outcome::failure;
    test.type = contradictions.front()->value("id", "");
    test.message = "declared vs observed on " + python + ": " + contradictions.front()->value("message", "");
    test.body = evidence_text(module);
  }
  return test;
}

// Findings no module claims (a header shared by none, a file outside every module).
std::optional<TestCase> unattributed_case(const json& report, const std::string& aspect, const FormatContext& context) {
  TestCase test{"(findings outside any module)", "subcheck.static." + aspect, Outcome::pass, "", "", ""};
  const std::string fail_on = report.value("settings", json::object()).value("fail_on", "error");
  std::size_t listed = 0;
  bool above_threshold = false;
  for (const json& finding : array_member(report, "findings")) {
    if (finding.value("category", "") != aspect || !array_member(finding, "modules").empty()) continue;
    test.body += finding_line(finding, context) + "\n";
    ++listed;
    above_threshold = above_threshold || fails_threshold(finding, fail_on);
  }
  if (listed == 0) return std::nullopt;
  if (above_threshold) {
    test.outcome = Outcome::failure;
    test.message = std::to_string(listed) + " finding" + (listed == 1 ? "" : "s") + " outside any module";
  }
  return test;
}

std::vector<TestSuite> static_suites(const json& report, const FormatContext& context) {
  std::vector<TestSuite> suites;
  if (!report.contains("findings")) return suites;  // a probe report
  for (const std::string aspect : {"subinterpreters", "free-threading"}) {
    TestSuite suite{aspect, {}};
    for (const json& module : array_member(report, "modules"))
      suite.cases.push_back(static_case(module, aspect, report, context));
    if (std::optional<TestCase> rest = unattributed_case(report, aspect, context)) suite.cases.push_back(*rest);
    suites.push_back(std::move(suite));
  }
  return suites;
}

// Per Python tag; free-threading only on free-threaded builds (a GIL build never tests it).
std::vector<TestSuite> probe_suites(const json& report) {
  std::vector<TestSuite> suites;
  const json& dynamic = dynamic_part(report);
  std::vector<std::string> seen;
  for (const json& interpreter : array_member(dynamic, "interpreters")) {
    const std::string tag = interpreter.value("tag", "");
    if (std::find(seen.begin(), seen.end(), tag) != seen.end()) continue;  // a requirements file repeats them
    seen.push_back(tag);
    std::vector<std::string> aspects{"subinterpreters"};
    if (interpreter.value("free_threaded", false)) aspects.emplace_back("free-threading");
    for (const std::string& aspect : aspects) {
      TestSuite suite{aspect, {}};
      suite.name += " (" + tag + ")";
      for (const json& module : array_member(dynamic, "modules")) {
        if (module.value("interpreter", "") == tag) suite.cases.push_back(probe_case(module, aspect, tag));
      }
      suites.push_back(std::move(suite));
    }
  }
  return suites;
}

// "I could not tell" is not a pass: an incomplete answer (a unit not parsed, a probe that
// could not run, an interrupted run) is an error here as it is exit code 3.
TestSuite coverage_suite(const json& report) {
  TestCase test{"complete answer", "subcheck.coverage", Outcome::pass, "", "", ""};
  const json coverage = report.value("coverage", json::object());
  for (const json& reason : array_member(coverage, "incomplete")) test.body += reason.get<std::string>() + "\n";
  if (!report.value("complete", true)) test.body += report.value("incomplete_reason", "interrupted") + "\n";
  for (const json& problem : array_member(dynamic_part(report), "problems")) {
    test.body += "probe problem: " + problem.get<std::string>() + "\n";
  }
  if (!array_member(coverage, "incomplete").empty() || !report.value("complete", true)) {
    test.outcome = Outcome::error;
    test.type = "incomplete";
    test.message = "the answer is incomplete";
  }
  return {"coverage", {std::move(test)}};
}

void write_case(std::ostream& out, const TestCase& test) {
  out << "    <testcase name=\"" << escape_xml(test.name) << "\" classname=\"" << escape_xml(test.classname)
      << "\" time=\"0\"";
  if (test.outcome == Outcome::pass && test.body.empty()) {
    out << "/>\n";
    return;
  }
  out << ">\n";
  if (test.outcome == Outcome::pass) {
    out << "      <system-out>" << escape_xml(test.body, false) << "</system-out>\n";
  } else {
    const char* element = outcome_element(test.outcome);
    out << "      <" << element << " message=\"" << escape_xml(test.message) << "\"";
    if (test.outcome != Outcome::skipped) out << " type=\"" << escape_xml(test.type) << "\"";
    if (test.outcome == Outcome::skipped) {
      // JUnit's <skipped> carries no text in the strict schemas: the details go to system-out.
      out << "/>\n";
      if (!test.body.empty()) out << "      <system-out>" << escape_xml(test.body, false) << "</system-out>\n";
    } else {
      out << ">" << escape_xml(test.body, false) << "</" << element << ">\n";
    }
  }
  out << "    </testcase>\n";
}

void write_suite(std::ostream& out, const TestSuite& suite, std::size_t id) {
  out << "  <testsuite name=\"" << escape_xml(suite.name) << "\" tests=\"" << suite.cases.size() << "\" failures=\""
      << suite.count(Outcome::failure) << "\" errors=\"" << suite.count(Outcome::error) << "\" skipped=\""
      << suite.count(Outcome::skipped) << "\" time=\"0\" id=\"" << id << "\">\n";
  for (const TestCase& test : suite.cases) write_case(out, test);
  out << "  </testsuite>\n";
}

// The scanned path as the findings' paths are given: relative to the source root ("." for
// the root itself), else absolute; the report stays the same on another machine.
std::string scanned_path(const json& report, const FormatContext& context) {
  const std::filesystem::path root(report.value("root", ""));
  const std::filesystem::path relative = root.lexically_relative(context.source_root);
  if (relative.empty() || *relative.begin() == "..") return root.generic_string();
  return relative.generic_string();
}

}  // namespace

std::string escape_xml(std::string_view text, bool in_attribute) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t start = at;
    const std::optional<char32_t> code = decode_utf8(text, at);
    if (!code) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
      continue;
    }
    switch (*code) {
      case '&': out += "&amp;"; continue;
      case '<': out += "&lt;"; continue;
      case '>': out += "&gt;"; continue;
      case '\r': out += "&#13;"; continue;
      default: break;
    }
    if (in_attribute) {
      const char* reference = *code == '"'    ? "&quot;"
                              : *code == '\'' ? "&apos;"
                              : *code == '\t' ? "&#9;"
                              : *code == '\n' ? "&#10;"
                                              : nullptr;
      if (reference != nullptr) {
        out += reference;
        continue;
      }
    }
    if (!xml_allows(*code)) {
      char spelled[16];
      std::snprintf(spelled, sizeof spelled, "\\u%04x", static_cast<unsigned>(*code));
      out += spelled;
      continue;
    }
    out.append(text.substr(start, at - start));
  }
  return out;
}

void write_junit_report(std::ostream& out, const json& report, const FormatContext& context) {
  std::vector<TestSuite> suites = static_suites(report, context);
  for (TestSuite& suite : probe_suites(report)) suites.push_back(std::move(suite));
  suites.push_back(coverage_suite(report));
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  for (const TestSuite& suite : suites) {
    tests += suite.cases.size();
    failures += suite.count(Outcome::failure);
    errors += suite.count(Outcome::error);
    skipped += suite.count(Outcome::skipped);
  }
  const std::string what = report.value("schema", "") == "subcheck-probe"
                               ? "subcheck probe " + report.value("target", "")
                               : "subcheck scan " + scanned_path(report, context);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"" << escape_xml(what) << "\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\" time=\"0\">\n";
  for (std::size_t i = 0; i < suites.size(); ++i) write_suite(out, suites[i], i);
  out << "</testsuites>\n";
}

}  // namespace subcheck
