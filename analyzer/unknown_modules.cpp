// Modules subcheck could not judge. "I could not tell" is never a pass: each gets an error
// diagnostic naming what was missing and how to supply it, and the scan fails its gate.
#include <algorithm>
#include <set>

#include "analyzer/analyze.h"

namespace subcheck {
namespace {

std::string where(const SourceLocation& location) {
  std::string file = location.file;
  std::size_t slash = file.rfind('/');
  if (slash != std::string::npos) file = file.substr(slash + 1);
  return file + ":" + std::to_string(location.line);
}

// Headers not found in the units that make up the module, PyInit's unit first.
std::vector<MissingHeader> missing_headers_of(const ExtensionModule& module) {
  std::vector<MissingHeader> missing;
  std::set<std::string> seen;
  for (const auto& [config, view] : module.configs) {
    for (const TranslationUnitFacts* unit : view.units) {
      for (const MissingHeader& header : unit->missing_headers) {
        if (seen.insert(header.header).second) missing.push_back(header);
      }
    }
  }
  return missing;
}

std::string missing_headers_text(const std::vector<MissingHeader>& missing) {
  std::string text;
  constexpr std::size_t kNamed = 3;
  for (std::size_t i = 0; i < missing.size() && i < kNamed; ++i) {
    if (i > 0) text += ", ";
    text += "'" + missing[i].header + "' (included at " + where(missing[i].included_at) + ")";
  }
  if (missing.size() > kNamed) text += " and " + std::to_string(missing.size() - kNamed) + " more";
  return text;
}

// Why the view of one configuration is unknown, when no header is missing.
std::string other_reason(const ExtensionModule& module, const ModuleConfigView& view) {
  const TranslationUnitFacts* unit = view.units.empty() ? nullptr : view.units.front();
  const bool hook = unit && module.hook_configs.count(unit->config);
  const std::string entry = (hook ? "PyModExport_" : "PyInit_") + module.name;
  if (!unit || !unit->parsed) return "the file defining " + entry + " could not be parsed";
  if (!unit->trustworthy) {
    return "the " + std::string(to_string(unit->config)) + " build's parse of the file defining " + entry +
           " failed inside Python's or the system's headers (see the parse diagnostics)";
  }
  if (view.def && view.def->parse_errors) return "its PyModuleDef '" + view.def->name + "' has parse errors";
  if (view.slots && view.slots->parse_errors) return "its slots array '" + view.slots->name + "' has parse errors";
  if (hook) {
    return entry +
           " returns no slot array subcheck can follow (one built at run time, a function pointer, "
           "another library, or code hidden by #if)";
  }
  if (view.failing_init_at) {  // docs/cpython-behaviour.md #31, #32
    return entry +
           " can only fail (it returns NULL, returns with an exception set, or returns its PyModuleDef without "
           "PyModuleDef_Init): every import raises SystemError or that exception, in every interpreter, so no "
           "module exists to judge";
  }
  return "PyInit_" + module.name +
         " reaches neither PyModule_Create nor PyModuleDef_Init in code subcheck can follow "
         "(a function pointer, another library, or code hidden by #if)";
}

std::string message_for(const ExtensionModule& module, const ModuleVerdict& verdict) {
  std::string text = "could not judge module '" + module.name +
                     "' (subinterpreters: " + std::string(to_string(verdict.subinterpreters)) +
                     ", free-threading: " + std::string(to_string(verdict.free_threading)) + ")";
  std::vector<MissingHeader> missing = missing_headers_of(module);
  if (!missing.empty()) {
    return text + ": header" + (missing.size() == 1 ? " " : "s ") + missing_headers_text(missing) +
           " not found. Give the directory holding it with --extra-arg=-I<dir>, scan with the project's "
           "compile database (-p BUILD_DIR), or install the package that provides it (on Debian usually a "
           "-dev package; apt-file search " +
           missing.front().header + " names it)";
  }
  for (BuildConfig config : kAllConfigs) {
    auto view = module.configs.find(config);
    if (view == module.configs.end()) {
      return text + ": no PyInit_" + module.name + " in the " + std::string(to_string(config)) + " build";
    }
    if (view->second.init == InitStyle::unknown) return text + ": " + other_reason(module, view->second);
  }
  return text;
}

}  // namespace

std::vector<ToolDiagnostic> unknown_module_diagnostics(const AnalysisModel& model,
                                                       const std::vector<ModuleVerdict>& verdicts) {
  std::vector<ToolDiagnostic> diagnostics;
  for (const ExtensionModule& module : model.modules) {
    auto verdict =
        std::find_if(verdicts.begin(), verdicts.end(), [&](const ModuleVerdict& v) { return v.module == module.name; });
    if (verdict == verdicts.end()) continue;
    if (verdict->subinterpreters != SubinterpreterVerdict::unknown &&
        verdict->free_threading != FreeThreadingVerdict::unknown) {
      continue;
    }
    ToolDiagnostic diagnostic;
    diagnostic.severity = Severity::error;
    diagnostic.location = module.location;
    diagnostic.message = message_for(module, *verdict);
    diagnostic.kind = DiagnosticKind::unknown_module;
    diagnostic.module = module.name;
    diagnostics.push_back(std::move(diagnostic));
  }
  return diagnostics;
}

bool has_unknown_modules(const AnalysisResult& result) {
  return std::any_of(result.diagnostics.begin(), result.diagnostics.end(),
                     [](const ToolDiagnostic& d) { return d.kind == DiagnosticKind::unknown_module; });
}

}  // namespace subcheck
