// The static analysis pipeline, end to end:
// sources -> compile commands -> translation units -> module model -> checks -> findings -> verdicts.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/compile_db.h"
#include "analyzer/module_model.h"
#include "analyzer/parse_worker.h"
#include "core/finding.h"
#include "core/vocabulary.h"

namespace subcheck {

class RuleCatalogue;

struct AnalyzeOptions {
  std::filesystem::path root;
  std::optional<std::filesystem::path> build_dir;  // -p
  std::optional<Interpreter> python;
  unsigned jobs = 0;                                    // parse workers at once; 0: one per core
  ParseLimits parse_limits;                             // per unit: time and memory
  std::vector<std::string> extra_args;                  // appended to every command
  std::uint64_t max_file_bytes = kDefaultMaxFileBytes;  // larger sources: a warning, not parsed
  // Called after each unit is parsed: (done, total, file). May be called from workers.
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
  // Where to keep and reuse the facts of units whose inputs did not change
  // (analyzer/facts_cache.h); none: every unit is parsed.
  std::optional<std::filesystem::path> facts_cache;
  // A facts_cache that cannot be used is a warning diagnostic when the user named it;
  // the default one, silently skipped.
  bool facts_cache_named = true;
};

enum class DiagnosticKind {
  parse,           // the input: a file that does not parse, a missing header, a bad database
  unknown_module,  // a module the analysis could not judge: why, and how to supply what is missing
};

constexpr std::string_view to_string(DiagnosticKind kind) {
  return kind == DiagnosticKind::parse ? "parse" : "unknown-module";
}

// Problems with the input that are not findings: a file that does not parse,
// a missing header, an unreadable database. Shown, counted, never fatal to the scan.
// An unknown_module diagnostic fails the --fail-on gate (unless `never`): an answer
// subcheck could not give is never a pass.
struct ToolDiagnostic {
  Severity severity = Severity::error;
  SourceLocation location;
  std::string message;
  DiagnosticKind kind = DiagnosticKind::parse;
  std::string module{};  // the module an unknown_module diagnostic is about
};

struct ModuleVerdict {
  std::string module;
  // supported | shared-gil-only | unsupported | unsafe | unknown
  SubinterpreterVerdict subinterpreters = SubinterpreterVerdict::unknown;
  // gil-free | requires-gil | unsafe | unknown
  FreeThreadingVerdict free_threading = FreeThreadingVerdict::unknown;
};

struct AnalysisResult {
  AnalysisModel model;
  std::vector<Finding> findings;  // suppressed ones removed, sorted by location
  std::size_t suppressed = 0;
  std::vector<Finding> suppressed_findings;  // the ones silenced in the source (SARIF reports them as suppressed)
  std::vector<ModuleVerdict> verdicts;
  std::vector<ToolDiagnostic> diagnostics;
  std::string compile_db_origin;
  std::optional<Interpreter> python;
  int interrupted_by = 0;            // SIGINT/SIGTERM stopped the parsing: units left are not parsed
  std::string parse_isolation;       // what confined the parse workers
  std::size_t units_from_cache = 0;  // (unit, configuration) pairs whose facts were reused
};

AnalysisResult analyze(const AnalyzeOptions& options, const RuleCatalogue& rules);

// Runs every check on an already-built model (used by analyze() and by tests).
std::vector<Finding> run_checks(const AnalysisModel& model, const RuleCatalogue& rules);

// Drops findings silenced in the source (`// subcheck: ignore[ID]`, `// noqa: borrowed-ref OK`).
// `silenced`, when given, receives the dropped findings.
std::vector<Finding> apply_suppressions(std::vector<Finding> findings, const RuleCatalogue& rules,
                                        std::size_t* suppressed = nullptr, std::vector<Finding>* silenced = nullptr);

// One error diagnostic per module with an unknown verdict, saying why (headers not found,
// Python's headers failing, a PyInit subcheck cannot follow) and what to do about it.
std::vector<ToolDiagnostic> unknown_module_diagnostics(const AnalysisModel& model,
                                                       const std::vector<ModuleVerdict>& verdicts);

bool has_unknown_modules(const AnalysisResult& result);

std::vector<ModuleVerdict> compute_verdicts(const AnalysisModel& model, const std::vector<Finding>& findings,
                                            const RuleCatalogue& rules);

}  // namespace subcheck
