#include "cli/report_json.h"

#include "rules/catalogue.h"

namespace subcheck {

using nlohmann::json;

namespace {

json optional_location(const std::optional<SourceLocation>& location) {
  return location ? location_json(*location) : json(nullptr);
}

json python_json(const std::optional<Interpreter>& python) {
  if (!python) return nullptr;
  return {
      {"executable", python->executable.string()},
      {"version", python->version},
      {"include_dir", python->include_dir.string()},
      {"free_threaded", python->free_threaded},
      {"numpy_include", python->numpy_include ? json(python->numpy_include->string()) : json(nullptr)},
  };
}

json module_def_json(const ModuleDefFact* def) {
  if (def == nullptr) return nullptr;
  json result = location_json(def->location);
  result["name"] = def->name;
  result["m_name"] = def->m_name;
  result["m_size"] = def->m_size ? json(*def->m_size) : json(nullptr);
  return result;
}

json slots_json(const SlotArrayFact* slots) {
  if (slots == nullptr) return nullptr;
  json result = location_json(slots->location);
  result["name"] = slots->name;
  json entries = json::array();
  for (const SlotFact& slot : slots->slots) {
    json entry = location_json(slot.location);
    entry["id"] = slot.id;
    entry["value"] = slot.value;
    entries.push_back(std::move(entry));
  }
  result["entries"] = std::move(entries);
  return result;
}

json config_view_json(const ModuleConfigView& view) {
  json files = json::array();
  for (const TranslationUnitFacts* unit : view.units) files.push_back(unit->file);
  return {
      {"init", to_string(view.init)},
      {"created_at", optional_location(view.created_at)},
      {"multiple_interpreters", view.multiple_interpreters_spelling()},
      {"multiple_interpreters_at", optional_location(view.multiple_interpreters_at)},
      {"gil", view.gil_spelling()},
      {"gil_at", optional_location(view.gil_at)},
      {"module_def", module_def_json(view.def)},
      {"slots", slots_json(view.slots)},
      {"has_exec_slot", view.has_exec_slot},
      {"has_create_slot", view.has_create_slot},
      {"files", std::move(files)},
  };
}

json module_json(const AnalysisResult& result, std::size_t index) {
  const ExtensionModule& module = result.model.modules[index];
  const ModuleConfigView* gil_view = config_view(module, BuildConfig::gil);
  const ModuleConfigView* free_threaded_view = config_view(module, BuildConfig::free_threaded);
  const ModuleVerdict verdict = verdict_for(result, index);

  json configs = json::object();
  for (const auto& [config, view] : module.configs) configs[std::string(to_string(config))] = config_view_json(view);
  // A module with a PyModExport_ hook and a PyInit_: what 3.14 and older import instead
  // (docs/cpython-behaviour.md #22); null for every other module.
  json pyinit_fallback = nullptr;
  for (const auto& [config, view] : module.pyinit_configs) {
    pyinit_fallback[std::string(to_string(config))] = config_view_json(view);
  }

  json entry = location_json(module.location);
  entry["name"] = module.name;
  entry["init"] = to_string(gil_view ? gil_view->init : InitStyle::unknown);
  entry["multiple_interpreters"] = gil_view ? gil_view->multiple_interpreters_spelling() : "absent";
  entry["gil"] = free_threaded_view ? free_threaded_view->gil_spelling() : "absent";
  entry["generator"] = module.generator.empty() ? json(nullptr) : json(module.generator);
  entry["verdicts"] = {{"subinterpreters", to_string(verdict.subinterpreters)},
                       {"free_threading", to_string(verdict.free_threading)}};
  entry["findings"] = findings_of_module(result, module.name);
  entry["configs"] = std::move(configs);
  entry["pyinit_fallback"] = std::move(pyinit_fallback);
  return entry;
}

json diagnostic_json(const ToolDiagnostic& diagnostic) {
  json entry = diagnostic.location.valid() ? location_json(diagnostic.location)
                                           : json{{"file", nullptr}, {"line", 0}, {"column", 0}};
  entry["kind"] = to_string(diagnostic.kind);
  if (!diagnostic.module.empty()) entry["module"] = diagnostic.module;
  entry["severity"] = to_string(diagnostic.severity);
  entry["message"] = diagnostic.message;
  return entry;
}

json summary_json(const ScanSummary& summary) {
  return {
      {"findings", summary.findings},       {"errors", summary.errors},
      {"warnings", summary.warnings},       {"notes", summary.notes},
      {"modules", summary.modules},         {"files", summary.files},
      {"suppressed", summary.suppressed},   {"ignored", summary.ignored},
      {"diagnostics", summary.diagnostics}, {"units_parsed", summary.units_parsed},
      {"units_total", summary.units_total},
  };
}

json settings_json(const ReportContext& context) {
  return {
      {"fail_on", to_string(context.fail_on)},
      {"select", context.filter.select_all() ? json(nullptr) : json(context.filter.selected_ids())},
      {"ignore", context.filter.ignored_ids()},
  };
}

std::string absolute_root(const std::filesystem::path& root) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(root, error);
  return (error ? root : absolute.lexically_normal()).string();
}

// A finding of a rule the catalogue does not know still gets a category from its id prefix.
std::string category_of(const Finding& finding, const Rule* rule) {
  if (rule != nullptr) return std::string(to_string(rule->category));
  return std::string(
      to_string(finding.rule.starts_with("FT") ? RuleCategory::free_threading : RuleCategory::subinterpreters));
}

}  // namespace

json location_json(const SourceLocation& location) {
  return {{"file", location.file}, {"line", location.line}, {"column", location.column}};
}

json finding_json(const Finding& finding, const RuleCatalogue& rules) {
  const Rule* rule = rule_of(rules, finding.rule);
  json configs = json::array();
  for (BuildConfig config : finding.configs) configs.push_back(to_string(config));
  json entry{{"rule", finding.rule}, {"name", rule ? rule->name : ""}};
  entry.update(location_json(finding.location));
  entry["severity"] = to_string(finding.severity);
  entry["message"] = finding.message;
  entry["category"] = category_of(finding, rule);
  entry["configs"] = std::move(configs);
  entry["modules"] = finding.modules;
  entry["hint"] = rule && !rule->hint.empty() ? json(rule->hint) : json(nullptr);
  return entry;
}

json scan_report_json(const AnalysisResult& result, const ReportContext& context) {
  json modules = json::array();
  for (std::size_t i = 0; i < result.model.modules.size(); ++i) modules.push_back(module_json(result, i));
  json findings = json::array();
  for (const Finding& finding : result.findings) findings.push_back(finding_json(finding, context.rules));
  json suppressed = json::array();
  for (const Finding& finding : result.suppressed_findings) suppressed.push_back(finding_json(finding, context.rules));
  json diagnostics = json::array();
  for (const ToolDiagnostic& diagnostic : result.diagnostics) diagnostics.push_back(diagnostic_json(diagnostic));

  return {
      {"schema", kJsonSchemaName},
      {"version", kJsonSchemaVersion},
      {"tool", {{"name", "subcheck"}, {"version", tool_version()}}},
      {"root", absolute_root(context.root)},
      {"python", python_json(result.python)},
      {"compile_database", result.compile_db_origin},
      {"settings", settings_json(context)},
      {"modules", std::move(modules)},
      {"findings", std::move(findings)},
      {"suppressed_findings", std::move(suppressed)},
      {"diagnostics", std::move(diagnostics)},
      {"summary", summary_json(summarize(result, context.ignored))},
  };
}

void write_json_report(std::ostream& out, const AnalysisResult& result, const ReportContext& context) {
  // Paths and messages come from user files: replace invalid UTF-8 rather than throw.
  out << scan_report_json(result, context).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace subcheck
