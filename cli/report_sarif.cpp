#include "cli/report_sarif.h"

#include <xxhash.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>

#include "core/vocabulary.h"
#include "rules/catalogue.h"

namespace subcheck {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSarifSchema = "https://json.schemastore.org/sarif-2.1.0.json";
constexpr const char* kSrcRoot = "%SRCROOT%";
constexpr const char* kFingerprintKey = "subcheckFinding/v1";

// The prober's evidence as results: rules of their own, not in rules/*.toml, because no
// static check produces them.
struct ProbeRule {
  const char* id;
  const char* name;
  const char* tag;
  const char* summary;
  const char* full;
};
constexpr ProbeRule kProbeRules[] = {
    {"PROBE-SI", "probe-subinterpreters", "subinterpreters",
     "Importing the module in a subinterpreter failed when tried for real",
     "The prober imported the built module in a fresh child process: in an isolated subinterpreter (own "
     "GIL), in a legacy one and under concurrent stress. The module was refused, crashed, hung or failed "
     "to import (docs/prober.md, verdicts)."},
    {"PROBE-FT", "probe-free-threading", "free-threading",
     "Importing the module on a free-threaded build enabled the GIL or failed",
     "The prober imported the built module on a free-threaded CPython with the GIL watched: the import "
     "re-enabled the GIL, crashed, hung or failed (docs/prober.md, verdicts)."},
    {"PROBE-XC", "static-dynamic-disagreement", "subinterpreters",
     "Static analysis and the probe disagree about the module",
     "What the sources declare and what the built module did when imported do not match: the built module "
     "may not come from these sources, or the declaration is wrong (docs/prober.md, cross-checks)."},
};

const char* sarif_level(Severity severity) {
  switch (severity) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "warning";
}

const char* sarif_level(const std::string& severity) {
  return sarif_level(parse_severity(severity).value_or(Severity::warning));
}

// RFC 3986: everything but unreserved characters and '/' percent-encoded, so that a path
// with spaces, '#', '%' or '?' stays one path.
std::string uri_path(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

std::string directory_uri(const fs::path& directory) {
  std::string path = directory.generic_string();
  if (path.empty() || path.back() != '/') path += '/';
  return "file://" + uri_path(path);
}

json rule_descriptor(const Rule& rule) {
  std::string help = rule.what + "\n\nWhy: " + rule.why + "\n\nFix: " + rule.fix;
  return {{"id", rule.id},
          {"name", rule.name},
          {"shortDescription", {{"text", rule.summary}}},
          {"fullDescription", {{"text", rule.what.empty() ? rule.summary : rule.what}}},
          {"help", {{"text", help}, {"markdown", "**" + rule.id + " " + rule.name + "**\n\n" + help}}},
          {"helpUri", rule_docs_uri(rule.id)},
          {"defaultConfiguration", {{"level", sarif_level(rule.severity)}}},
          {"properties", {{"tags", {std::string(to_string(rule.category))}}}}};
}

json probe_rule_descriptor(const ProbeRule& rule) {
  return {{"id", rule.id},
          {"name", rule.name},
          {"shortDescription", {{"text", rule.summary}}},
          {"fullDescription", {{"text", rule.full}}},
          {"help", {{"text", rule.full}}},
          {"helpUri", docs_uri("prober.md")},
          {"defaultConfiguration", {{"level", rule.id == std::string("PROBE-XC") ? "warning" : "error"}}},
          {"properties", {{"tags", {rule.tag, "dynamic"}}}}};
}

json physical_location(const json& located, const FormatContext& context) {
  std::optional<ReportLocation> where = report_location(located, context.source_root);
  if (!where) return nullptr;
  json artifact = where->relative ? json{{"uri", uri_path(where->path)}, {"uriBaseId", kSrcRoot}}
                                  : json{{"uri", "file://" + uri_path(where->path)}};
  json physical = {{"artifactLocation", std::move(artifact)}};
  if (where->line > 0) {
    json region = {{"startLine", where->line}};
    if (where->column > 0) region["startColumn"] = where->column;
    physical["region"] = std::move(region);
  }
  return {{"physicalLocation", std::move(physical)}};
}

std::string joined(const json& strings) {
  std::string text;
  if (!strings.is_array()) return text;
  for (const json& item : strings) {
    if (item.is_string()) text += (text.empty() ? "" : ",") + item.get<std::string>();
  }
  return text;
}

// Result builders keep the rule index beside the id, as SARIF readers prefer.
class Results {
 public:
  Results(const FormatContext& context, const std::map<std::string, std::size_t>& rule_index)
      : context_(context), rule_index_(rule_index), fingerprints_(context.source_root) {}

  void add_finding(const json& finding, bool suppressed) {
    const std::string rule = finding.value("rule", "");
    json result = {{"ruleId", rule},
                   {"level", sarif_level(finding.value("severity", "warning"))},
                   {"message", {{"text", finding.value("message", "")}}}};
    if (auto index = rule_index_.find(rule); index != rule_index_.end()) result["ruleIndex"] = index->second;
    json location = physical_location(finding, context_);
    if (!location.is_null()) result["locations"] = json::array({location});
    result["partialFingerprints"] = {
        {kFingerprintKey, fingerprints_.next(rule, joined(finding["modules"]), finding.value("file", ""),
                                             finding.value("line", 0u), finding.value("message", ""))}};
    result["properties"] = {{"modules", finding.value("modules", json::array())},
                            {"configs", finding.value("configs", json::array())},
                            {"category", finding.value("category", "")}};
    if (suppressed) result["suppressions"] = json::array({{{"kind", "inSource"}}});
    results_.push_back(std::move(result));
  }

  void add_probe(const std::string& rule, const std::string& message, const json& location_source,
                 const std::string& identity) {
    json result = {{"ruleId", rule},
                   {"ruleIndex", rule_index_.at(rule)},
                   {"level", rule == "PROBE-XC" ? "warning" : "error"},
                   {"message", {{"text", message}}}};
    json location = physical_location(location_source, context_);
    if (!location.is_null()) result["locations"] = json::array({location});
    result["partialFingerprints"] = {
        {kFingerprintKey, finding_fingerprint(rule, identity, "", "", occurrences_[rule + identity]++)}};
    results_.push_back(std::move(result));
  }

  json take() { return std::move(results_); }

 private:
  const FormatContext& context_;
  const std::map<std::string, std::size_t>& rule_index_;
  FindingFingerprinter fingerprints_;
  std::map<std::string, std::size_t> occurrences_;  // of probe results
  json results_ = json::array();
};

void add_probe_results(Results& results, const json& report) {
  for (const ProbeFailure& failure : probe_failures(report)) {
    const json& module = *failure.module;
    const std::string name = module.value("module", ""), python = module.value("interpreter", "");
    std::string message = name;
    message.append(" on ").append(python).append(": ").append(failure.aspect).append(" ").append(failure.verdict);
    message.append(": ").append(module.value("summary", ""));
    std::string identity = name;
    identity.append("\n").append(python).append("\n").append(failure.aspect);
    results.add_probe(failure.aspect == "subinterpreters" ? "PROBE-SI" : "PROBE-FT", message,
                      probed_module_location(report, module), identity);
  }
  if (!report.contains("cross_checks") || !report["cross_checks"].is_array()) return;
  for (const json& check : report["cross_checks"]) {
    if (check.value("kind", "") != "disagreement") continue;
    const std::string name = check.value("module", ""), python = check.value("interpreter", "");
    std::string message = name;
    message.append(" on ").append(python).append(": ").append(check.value("message", ""));
    std::string identity = name;
    identity.append("\n").append(python);
    results.add_probe("PROBE-XC", message, probed_module_location(report, {{"module", name}}), identity);
  }
}

// Tool diagnostics, probe problems and the reasons the answer is incomplete.
json notifications(const json& report, const FormatContext& context) {
  json out = json::array();
  if (report.contains("diagnostics") && report["diagnostics"].is_array()) {
    for (const json& diagnostic : report["diagnostics"]) {
      json note = {{"level", sarif_level(diagnostic.value("severity", "error"))},
                   {"message", {{"text", diagnostic.value("message", "")}}},
                   {"descriptor", {{"id", diagnostic.value("kind", "parse")}}}};
      json location = physical_location(diagnostic, context);
      if (!location.is_null()) note["locations"] = json::array({location});
      out.push_back(std::move(note));
    }
  }
  const json& dynamic = dynamic_part(report);
  for (const json& problem : dynamic.value("problems", json::array())) {
    out.push_back({{"level", "warning"}, {"message", {{"text", problem}}}, {"descriptor", {{"id", "probe-problem"}}}});
  }
  if (report.contains("coverage")) {
    for (const json& reason : report["coverage"].value("incomplete", json::array())) {
      out.push_back({{"level", "error"}, {"message", {{"text", reason}}}, {"descriptor", {{"id", "incomplete"}}}});
    }
  }
  return out;
}

json run_properties(const json& report) {
  json verdicts = json::array();
  if (report.contains("findings") && report.contains("modules")) {
    for (const json& module : report["modules"]) {
      verdicts.push_back(
          {{"module", module.value("name", "")}, {"verdicts", module.value("verdicts", json::object())}});
    }
  }
  json probed = json::array();
  const json& dynamic = dynamic_part(report);
  for (const json& module : dynamic.value("modules", json::array())) {
    probed.push_back({{"module", module.value("module", "")},
                      {"python", module.value("interpreter", "")},
                      {"subinterpreters", module.value("subinterpreters", "")},
                      {"free_threading", module.value("free_threading", "")},
                      {"interpreter_pool", module.value("interpreter_pool", "")}});
  }
  return {{"moduleVerdicts", std::move(verdicts)},
          {"probeVerdicts", std::move(probed)},
          {"coverage", report.value("coverage", json::object())},
          {"complete", report.value("complete", true)},
          {"subcheckSchema", report.value("schema", "")}};
}

}  // namespace

std::string normalized_source_line(const std::string& file, unsigned line) {
  if (file.empty() || line == 0) return {};
  std::ifstream in(file, std::ios::binary);
  std::string text;
  for (unsigned number = 1; number <= line; ++number) {
    if (!std::getline(in, text)) return {};
  }
  std::string normalized;
  for (char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (normalized.empty() || normalized.back() == ' ')) continue;
    normalized += space ? ' ' : c;
  }
  while (!normalized.empty() && normalized.back() == ' ') normalized.pop_back();
  return normalized;
}

std::string finding_fingerprint(const std::string& rule, const std::string& modules, const std::string& file,
                                const std::string& line_text, std::size_t occurrence) {
  const std::string key = rule + '\0' + modules + '\0' + file + '\0' + line_text + '\0' + std::to_string(occurrence);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits(key.data(), key.size())));
  return hex;
}

std::string FindingFingerprinter::next(const std::string& rule, const std::string& modules, const std::string& file,
                                       unsigned line, const std::string& message) {
  const std::optional<ReportLocation> where = report_location(json{{"file", file}}, root_);
  const std::string relative = where ? where->path : file;
  std::string text = normalized_source_line(file, line);
  if (text.empty()) text = message;  // no source line: the message stands in
  const std::string key = rule + "\n" + modules + "\n" + relative + "\n" + text;
  return finding_fingerprint(rule, modules, relative, text, occurrences_[key]++);
}

json sarif_report(const json& report, const FormatContext& context) {
  json rules = json::array();
  std::map<std::string, std::size_t> rule_index;
  for (const Rule& rule : context.rules.rules()) {
    rule_index[rule.id] = rules.size();
    rules.push_back(rule_descriptor(rule));
  }
  for (const ProbeRule& rule : kProbeRules) {
    rule_index[rule.id] = rules.size();
    rules.push_back(probe_rule_descriptor(rule));
  }

  Results results(context, rule_index);
  for (const json& finding : report.value("findings", json::array())) results.add_finding(finding, false);
  for (const json& finding : report.value("suppressed_findings", json::array())) results.add_finding(finding, true);
  add_probe_results(results, report);

  const std::string version = report.contains("tool") ? report["tool"].value("version", "") : "";
  json driver = {{"name", "subcheck"},
                 {"version", version},
                 {"semanticVersion", version},
                 {"informationUri", docs_uri("cli.md")},
                 {"rules", std::move(rules)}};
  json run = {{"tool", {{"driver", std::move(driver)}}},
              {"originalUriBaseIds", {{kSrcRoot, {{"uri", directory_uri(context.source_root)}}}}},
              {"invocations", json::array({{{"executionSuccessful", report.value("complete", true)},
                                            {"toolExecutionNotifications", notifications(report, context)}}})},
              {"results", results.take()},
              {"columnKind", "unicodeCodePoints"},
              {"properties", run_properties(report)}};
  return {{"$schema", kSarifSchema}, {"version", "2.1.0"}, {"runs", json::array({std::move(run)})}};
}

}  // namespace subcheck
