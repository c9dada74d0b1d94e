#include "cli/report_formats.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "cli/report_github.h"
#include "cli/report_html.h"
#include "cli/report_junit.h"
#include "cli/report_markdown.h"
#include "cli/report_sarif.h"
#include "core/vocabulary.h"

#ifndef SUBCHECK_DOCS_URI
#define SUBCHECK_DOCS_URI "file:///usr/share/doc/subcheck/"
#endif

namespace subcheck {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_document_format(std::string_view format) {
  return format == "sarif" || format == "github" || format == "markdown" || format == "junit" || format == "html";
}

VerdictTone verdict_tone(std::string_view verdict) {
  using Sub = SubinterpreterVerdict;
  using Ft = FreeThreadingVerdict;
  using Pool = InterpreterPoolVerdict;
  if (std::optional<Sub> sub = parse_subinterpreter_verdict(verdict)) {
    switch (*sub) {
      case Sub::supported: return VerdictTone::pass;
      case Sub::unsafe: return VerdictTone::hazard;
      case Sub::unknown:
      case Sub::timeout: return VerdictTone::unknown;
      case Sub::abi_mismatch:
      case Sub::not_tested: return VerdictTone::not_asked;
      case Sub::shared_gil_only:
      case Sub::unsupported:
      case Sub::broken:
      case Sub::crash: return VerdictTone::fail;
    }
  }
  if (std::optional<Ft> ft = parse_free_threading_verdict(verdict)) {
    // Those the subinterpreter vocabulary shares were decided above.
    return *ft == Ft::gil_free ? VerdictTone::pass : VerdictTone::fail;  // requires-gil
  }
  if (std::optional<Pool> pool = parse_interpreter_pool_verdict(verdict)) {
    switch (*pool) {
      case Pool::yes: return VerdictTone::pass;
      case Pool::no: return VerdictTone::fail;
      case Pool::unknown: return VerdictTone::unknown;
      case Pool::not_available: return VerdictTone::not_asked;
    }
  }
  return VerdictTone::unknown;
}

fs::path source_root(const fs::path& scanned, const fs::path& cwd) {
  std::error_code error;
  fs::path root = fs::is_directory(scanned, error) ? scanned : scanned.parent_path();
  root = fs::absolute(root, error).lexically_normal();
  const fs::path relative = root.lexically_relative(cwd);
  if (!relative.empty() && *relative.begin() != "..") return cwd;
  return root;
}

std::string docs_uri(std::string_view page) { return std::string(SUBCHECK_DOCS_URI) + std::string(page); }

std::string rule_docs_uri(std::string_view rule_id) {
  std::string anchor(rule_id);
  for (char& c : anchor) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return docs_uri("rules.md#" + anchor);
}

std::string github_link_base() {
  const char* server = std::getenv("GITHUB_SERVER_URL");
  const char* repository = std::getenv("GITHUB_REPOSITORY");
  const char* sha = std::getenv("GITHUB_SHA");
  if (!server || !repository || !sha || !*server || !*repository || !*sha) return {};
  return std::string(server) + "/" + repository + "/blob/" + sha + "/";
}

void write_document_format(std::ostream& out, std::string_view format, const json& report,
                           const FormatContext& context) {
  if (format == "sarif") {
    // Paths and messages come from user files: replace invalid UTF-8 rather than throw.
    out << sarif_report(report, context).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else if (format == "github") {
    write_github_annotations(out, report, context);
  } else if (format == "junit") {
    write_junit_report(out, report, context);
  } else if (format == "html") {
    write_html_report(out, report, context);
  } else {
    write_markdown_summary(out, report, context);
  }
}

std::optional<ReportLocation> report_location(const json& located, const fs::path& root) {
  const json* file = located.is_object() && located.contains("file") ? &located["file"] : nullptr;
  if (file == nullptr || !file->is_string() || file->get<std::string>().empty()) return std::nullopt;
  ReportLocation location;
  const fs::path path = fs::path(file->get<std::string>()).lexically_normal();
  const fs::path relative = path.is_absolute() ? path.lexically_relative(root) : path;
  location.relative = !relative.empty() && *relative.begin() != ".." && !relative.is_absolute();
  location.path = location.relative ? relative.generic_string() : path.generic_string();
  location.line = located.value("line", 0u);
  location.column = located.value("column", 0u);
  return location;
}

// Callers pass a named report that outlives the reference (the writers hold the document
// for the whole write).
const json& dynamic_part(const json& report) {
  static const json kNothingProbed = json::object();
  if (report.contains("dynamic") && report["dynamic"].is_object()) return report["dynamic"];
  if (report.value("schema", "") == "subcheck-probe")
    return report;        // NOLINT(bugprone-return-const-ref-from-parameter)
  return kNothingProbed;  // a scan without --probe
}

const json& array_member(const json& object, const char* key) {
  static const json kEmpty = json::array();
  if (!object.is_object()) return kEmpty;
  auto found = object.find(key);
  return found != object.end() && found->is_array() ? *found : kEmpty;
}

std::string joined_strings(const json& array) {
  std::string out;
  if (!array.is_array()) return out;
  for (const json& item : array)
    if (item.is_string()) out += (out.empty() ? "" : ", ") + item.get<std::string>();
  return out;
}

std::vector<ProbeFailure> probe_failures(const json& report) {
  using Sub = SubinterpreterVerdict;
  using Ft = FreeThreadingVerdict;
  std::vector<ProbeFailure> failures;
  const json& dynamic = dynamic_part(report);
  if (!dynamic.contains("modules") || !dynamic["modules"].is_array()) return failures;
  for (const json& module : dynamic["modules"]) {
    const std::string sub_text = module.value("subinterpreters", "");
    const std::string ft_text = module.value("free_threading", "");
    const std::optional<Sub> sub = parse_subinterpreter_verdict(sub_text);
    const std::optional<Ft> ft = parse_free_threading_verdict(ft_text);
    // The same set as dynamic_failures(): these verdicts make the exit code 1.
    if (sub && (*sub == Sub::unsupported || *sub == Sub::shared_gil_only || *sub == Sub::crash ||
                *sub == Sub::timeout || *sub == Sub::broken)) {
      failures.push_back({&module, "subinterpreters", sub_text, Severity::error});
    }
    if (ft && (*ft == Ft::crash || *ft == Ft::timeout || *ft == Ft::broken || *ft == Ft::requires_gil)) {
      failures.push_back({&module, "free-threading", ft_text, Severity::error});
    }
    for (const std::string aspect : {"subinterpreters", "free-threading"}) {
      const bool already = std::any_of(failures.begin(), failures.end(), [&](const ProbeFailure& failure) {
        return failure.module == &module && failure.aspect == aspect;
      });
      const std::vector<const json*> contradictions = contradictions_about(module, aspect);
      if (!already && !contradictions.empty())
        failures.push_back({&module, aspect, contradictions.front()->value("id", ""), Severity::error});
    }
  }
  return failures;
}

std::string contradiction_aspect(const std::string& id) {
  // declared-gil-not-used-reenabled, declared-setgil-reenabled: the GIL; the others
  // (declared-isolated-fails, declared-shared-fails, declared-subinterpreters-uses-gilstate)
  // subinterpreters.
  return id.ends_with("-reenabled") ? "free-threading" : "subinterpreters";
}

std::vector<const json*> contradictions_about(const json& module, const std::string& aspect) {
  std::vector<const json*> found;
  for (const json& contradiction : array_member(module, "contradictions"))
    if (contradiction_aspect(contradiction.value("id", "")) == aspect) found.push_back(&contradiction);
  return found;
}

json probed_module_location(const json& report, const json& probed) {
  std::string name = probed.value("module", "");
  if (std::size_t dot = name.rfind('.'); dot != std::string::npos) name = name.substr(dot + 1);
  if (report.contains("modules") && report["modules"].is_array() && report.contains("findings")) {
    for (const json& module : report["modules"]) {
      if (module.value("name", "") == name && module.contains("file") && module["file"].is_string()) return module;
    }
  }
  return {{"file", probed.value("file", "")}, {"line", 0}, {"column", 0}};
}

}  // namespace subcheck
