// The pipeline: compile commands -> parallel parsing (both configurations) -> module
// model -> checks -> suppressions -> verdicts.
#include "analyzer/analyze.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "analyzer/check.h"
#include "analyzer/extract.h"
#include "analyzer/facts_cache.h"
#include "analyzer/parse_worker.h"
#include "rules/catalogue.h"

namespace subcheck {
namespace {

std::filesystem::path project_root_of(const std::filesystem::path& root) {
  std::error_code error;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(root, error);
  if (error) canonical = std::filesystem::absolute(root);
  return std::filesystem::is_directory(canonical) ? canonical : canonical.parent_path();
}

// Parses every (command, configuration) pair, each in a worker process of its own
// (analyzer/parse_worker.h), except those whose facts the cache holds for unchanged
// inputs. Results keep the order of the jobs so reports are deterministic.
ParseRun parse_all(const std::vector<CompileCommand>& commands, const AnalyzeOptions& options,
                   const ExtractOptions& extract_options, std::optional<FactsCache>& cache, std::size_t& from_cache) {
  std::vector<ParseJob> jobs;
  std::vector<std::optional<TranslationUnitFacts>> cached;
  for (const CompileCommand& command : commands) {
    for (BuildConfig config : kAllConfigs) {
      cached.push_back(cache ? cache->find(command, config) : std::nullopt);
      if (!cached.back()) jobs.push_back({&command, config});
    }
  }
  ParseRun run = parse_in_workers(jobs, extract_options, options.parse_limits, options.jobs, options.progress);
  from_cache = cached.size() - jobs.size();
  if (cache) {
    for (std::size_t i = 0; i < jobs.size() && i < run.units.size(); ++i)
      cache->store(*jobs[i].command, jobs[i].config, run.units[i]);
  }
  // Back in the jobs' order: each cached unit where it was, parsed ones between.
  std::vector<TranslationUnitFacts> units;
  units.reserve(cached.size());
  std::size_t next_parsed = 0;
  for (std::size_t i = 0; i < cached.size(); ++i) {
    if (cached[i]) {
      units.push_back(std::move(*cached[i]));
    } else if (next_parsed < run.units.size()) {
      units.push_back(std::move(run.units[next_parsed++]));
    } else {
      continue;
    }
    // What the build files say is no fact of the parse (nor of the cache): set it here.
    units.back().declared_modules = commands[i / std::size(kAllConfigs)].declared_modules;
  }
  run.units = std::move(units);
  return run;
}

// Parse errors of both configurations, each reported once, and one saying which build
// it is when only that build fails (an #error under Py_GIL_DISABLED, say). After the
// first few errors of a file the rest are mostly consequences: they are counted instead.
constexpr std::size_t kErrorsShownPerFile = 3;

std::vector<ToolDiagnostic> collect_diagnostics(const std::vector<TranslationUnitFacts>& units) {
  std::map<std::pair<SourceLocation, std::string>, std::vector<BuildConfig>> seen;
  std::vector<std::pair<SourceLocation, std::string>> order;
  for (const TranslationUnitFacts& unit : units) {
    for (const ParseDiagnostic& diagnostic : unit.diagnostics) {
      auto key = std::make_pair(diagnostic.location, diagnostic.message);
      auto [entry, inserted] = seen.try_emplace(key);
      if (inserted) order.push_back(key);
      if (std::find(entry->second.begin(), entry->second.end(), unit.config) == entry->second.end()) {
        entry->second.push_back(unit.config);
      }
    }
  }
  std::vector<ToolDiagnostic> diagnostics;
  std::map<std::string, std::size_t> shown, hidden;
  for (const auto& key : order) {
    const std::string& file = key.first.file;
    if (shown[file] == kErrorsShownPerFile) {
      ++hidden[file];
      continue;
    }
    ++shown[file];
    ToolDiagnostic diagnostic;
    diagnostic.location = key.first;
    diagnostic.message = key.second;
    const std::vector<BuildConfig>& configs = seen[key];
    if (configs.size() == 1) diagnostic.message += " (" + std::string(to_string(configs.front())) + " build only)";
    diagnostics.push_back(std::move(diagnostic));
  }
  for (const auto& [file, count] : hidden) {
    diagnostics.push_back(
        {Severity::error, {file, 0, 0}, std::to_string(count) + " more errors in this file not shown"});
  }
  return diagnostics;
}

// Every finding a check reports, each (rule, location) once (core/finding.h).
class CollectingSink : public FindingSink {
 public:
  CollectingSink(const Rule& rule, BuildConfig config, FindingSet& out) : rule_(rule), config_(config), out_(out) {}
  void report(const SourceLocation& location, std::string message, std::vector<std::string> modules) override {
    Finding finding;
    finding.rule = rule_.id;
    finding.severity = rule_.severity;
    finding.location = location;
    finding.message = std::move(message);
    if (finding.message.empty()) finding.message = rule_.summary;
    finding.modules = std::move(modules);
    finding.configs = {config_};
    out_.add(std::move(finding));
  }

 private:
  const Rule& rule_;
  BuildConfig config_;
  FindingSet& out_;
};

// Takes out of `superseded` the modules `by` speaks for; true when none is left.
bool covered_by(Finding& superseded, const Finding& by) {
  if (superseded.modules.empty()) return false;  // unattributed: SI004 cannot speak for it
  std::erase_if(superseded.modules, [&](const std::string& module) {
    return std::find(by.modules.begin(), by.modules.end(), module) != by.modules.end();
  });
  return superseded.modules.empty();
}

// A finding of a rule another rule `supersedes` (its TOML) at the same place is dropped
// for the modules the other's finding names: SI004 at a static type says what SI005 says,
// once (docs/rules.md).
std::vector<Finding> drop_superseded(std::vector<Finding> findings, const RuleCatalogue& rules) {
  std::map<SourceLocation, std::vector<const Finding*>> at;
  for (const Finding& finding : findings) at[finding.location].push_back(&finding);
  std::vector<bool> dropped(findings.size(), false);
  for (std::size_t i = 0; i < findings.size(); ++i) {
    for (const Finding* other : at[findings[i].location]) {
      const std::vector<std::string>& supersedes = rules.at(other->rule).supersedes;
      if (std::find(supersedes.begin(), supersedes.end(), findings[i].rule) == supersedes.end()) continue;
      if (covered_by(findings[i], *other)) dropped[i] = true;
    }
  }
  std::vector<Finding> kept;
  for (std::size_t i = 0; i < findings.size(); ++i) {
    if (!dropped[i]) kept.push_back(std::move(findings[i]));
  }
  return kept;
}

}  // namespace

std::vector<Finding> run_checks(const AnalysisModel& model, const RuleCatalogue& rules) {
  FindingSet findings;
  for (const std::unique_ptr<Check>& check : make_all_checks()) {
    const Rule& rule = rules.at(check->rule_id());
    for (BuildConfig config : kAllConfigs) {
      if (!check->applies_to(config)) continue;
      CollectingSink sink(rule, config, findings);
      CheckContext context{model, config, rule, sink, rules};
      check->run(context);
    }
  }
  return drop_superseded(findings.take(), rules);
}

AnalysisResult analyze(const AnalyzeOptions& options, const RuleCatalogue& rules) {
  if (!std::filesystem::exists(options.root)) {
    throw std::runtime_error("no such file or directory: " + options.root.string());
  }
  AnalysisResult result;
  result.python = options.python;
  CompileDatabase database =
      load_compile_database({options.root, options.build_dir, options.python, options.max_file_bytes});
  result.compile_db_origin = database.origin;
  for (const std::string& warning : database.warnings) {
    result.diagnostics.push_back({Severity::warning, {}, warning});
  }
  for (const std::string& note : database.notes) result.diagnostics.push_back({Severity::note, {}, note});
  for (CompileCommand& command : database.commands) {
    command.args.insert(command.args.end(), options.extra_args.begin(), options.extra_args.end());
  }
  ExtractOptions extract_options;
  extract_options.project_roots.push_back(project_root_of(options.root));
  std::optional<FactsCache> cache;
  if (options.facts_cache) {
    std::string roots;
    for (const std::filesystem::path& root : extract_options.project_roots) roots += root.string() + "\n";
    try {
      cache.emplace(*options.facts_cache, roots);
    } catch (const std::exception& error) {  // an unusable cache costs the speed, not the scan
      if (options.facts_cache_named) result.diagnostics.push_back({Severity::warning, {}, error.what()});
    }
  }
  ParseRun parsed = parse_all(database.commands, options, extract_options, cache, result.units_from_cache);
  result.interrupted_by = parsed.interrupted_by;
  result.parse_isolation = parsed.isolation;
  for (ToolDiagnostic& diagnostic : collect_diagnostics(parsed.units))
    result.diagnostics.push_back(std::move(diagnostic));

  result.model = build_module_model(std::move(parsed.units));
  result.findings =
      apply_suppressions(run_checks(result.model, rules), rules, &result.suppressed, &result.suppressed_findings);
  result.verdicts = compute_verdicts(result.model, result.findings, rules);
  for (ToolDiagnostic& diagnostic : unknown_module_diagnostics(result.model, result.verdicts)) {
    result.diagnostics.push_back(std::move(diagnostic));
  }
  return result;
}

}  // namespace subcheck
