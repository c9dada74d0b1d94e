// The `subcheck` command: scan, rules, explain.
//
// Exit codes: 0 no finding at or above --fail-on; 1 such findings; 2 a usage or I/O error
// (bad option, missing path, unreadable config or compile database, nothing parsable);
// 3 an incomplete answer (cli/coverage.h) and no finding that already makes it 1.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "analyzer/analyze.h"
#include "analyzer/facts_cache.h"
#include "cli/atomic_output.h"
#include "cli/baseline.h"
#include "cli/config.h"
#include "cli/coverage.h"
#include "cli/explain.h"
#include "cli/path_alias.h"
#include "cli/report.h"
#include "cli/report_formats.h"
#include "cli/report_json.h"
#include "cli/report_text.h"
#include "cli/run_scope.h"
#include "cli/targets.h"
#include "core/interrupt.h"
#include "prober/prober.h"
#include "report/completeness.h"
#include "report/cross_check.h"
#include "report/distributions.h"
#include "report/dynamic_report.h"
#include "report/probe_document.h"
#include "rules/catalogue.h"

namespace fs = std::filesystem;

namespace subcheck {
namespace {

constexpr int kExitClean = 0;
constexpr int kExitUsage = 2;

// An error the user can act on: printed as "subcheck: error: ..." with exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

int report_error(const std::string& message) {
  std::cerr << "subcheck: error: " << message << "\n";
  return kExitUsage;
}

struct ScanOptions {
  std::string path;
  std::string build_dir;
  std::vector<std::string> pythons;  // --python, repeatable; the first GIL build gives the headers
  bool probe = false;                // also import the built modules (executes package code)
  bool no_stress = false;
  int timeout_seconds = 20;
  int jobs = 0;
  std::string format = "text";
  std::string output;
  std::map<std::string, std::string> format_outputs;  // --output-FORMAT FILE: more reports at once
  std::string baseline;                               // --baseline FILE: leave out the findings it records
  std::string write_baseline;                         // --write-baseline FILE: record the findings there
  std::string fail_on;                                // empty: pyproject.toml, else "error"
  std::vector<std::string> select;                    // empty: pyproject.toml, else every rule
  std::vector<std::string> ignore;
  std::vector<std::string> extra_args;
  std::uint64_t max_file_mib = kDefaultMaxFileBytes >> 20;
  int parse_timeout_seconds = static_cast<int>(ParseLimits{}.time.count());
  std::uint64_t parse_memory_mib = ParseLimits{}.memory_bytes >> 20;
  bool no_cache = false;  // parse every unit; keep nothing for the next run
  std::string cache_dir;  // empty: default_facts_cache_dir()
  bool no_color = false;
  bool quiet = false;
  bool verbose = false;
  bool audit = false;                  // `subcheck audit`: every installed distribution
  std::vector<std::string> site_dirs;  // audit: where to look (default: each Python's site-packages)
};

// "[12/240] Modules/_decimal/_decimal.c" on one terminal line, rewritten in place. The
// analyzer calls it from worker threads, hence the lock.
class ProgressLine {
 public:
  ProgressLine(bool enabled, fs::path cwd) : enabled_(enabled), cwd_(std::move(cwd)) {}
  ~ProgressLine() { finish(); }

  void update(std::size_t done, std::size_t total, const std::string& file) {
    if (!enabled_) return;
    std::lock_guard lock(mutex_);
    std::string text = "[" + std::to_string(done) + "/" + std::to_string(total) + "] ";
    std::string shown = display_path(file, cwd_);
    const std::size_t width = terminal_width();
    // Keep the end of a long path: the file name says more than the first directories.
    if (text.size() + shown.size() >= width && width > text.size() + 4) {
      shown = "..." + shown.substr(shown.size() - (width - text.size() - 4));
    }
    std::fprintf(stderr, "\r\x1b[K%s%s", text.c_str(), shown.c_str());
    std::fflush(stderr);
    shown_ = true;
  }

  void finish() {
    std::lock_guard lock(mutex_);
    if (!shown_) return;
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  static std::size_t terminal_width() {
    winsize size{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
  }

  bool enabled_;
  fs::path cwd_;
  std::mutex mutex_;
  bool shown_ = false;
};

void configure_logging(const ScanOptions& options) {
  // Log lines go to stderr so that stdout carries only the report (JSON stays parsable).
  auto logger =
      spdlog::stderr_color_mt("subcheck", want_color(STDERR_FILENO, options.no_color) ? spdlog::color_mode::automatic
                                                                                      : spdlog::color_mode::never);
  logger->set_pattern("subcheck: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(options.verbose ? spdlog::level::debug : options.quiet ? spdlog::level::err : spdlog::level::warn);
}

fs::path checked_scan_root(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) throw UsageError(path + ": no such file or directory");
  fs::path absolute = fs::absolute(path, error);
  if (error) throw UsageError(path + ": " + error.message());
  absolute = absolute.lexically_normal();
  if (absolute.has_parent_path() && absolute.filename().empty()) absolute = absolute.parent_path();
  return absolute;
}

std::optional<fs::path> checked_build_dir(const std::string& build_dir) {
  if (build_dir.empty()) return std::nullopt;
  std::error_code error;
  // -p takes the directory holding compile_commands.json, or that file itself.
  if (fs::is_regular_file(build_dir, error) && fs::path(build_dir).filename() == "compile_commands.json") {
    return fs::absolute(build_dir, error).lexically_normal().parent_path();
  }
  if (!fs::is_directory(build_dir, error)) {
    throw UsageError("-p " + build_dir + ": neither a directory nor a compile_commands.json file");
  }
  return fs::absolute(build_dir, error).lexically_normal();
}

// The headers to compile against: the first --python that is a GIL build (or the first
// given), which must work; otherwise the first suitable CPython on the machine. The
// analyzer reports a missing one as a tool diagnostic.
std::optional<Interpreter> checked_python(const std::vector<std::string>& pythons) {
  if (pythons.empty()) return find_default_python();
  std::optional<Interpreter> chosen;
  for (const std::string& python : pythons) {
    auto target = inspect_interpreter(python);
    if (!target) continue;  // a tag such as "3.13t" is resolved by the prober, not here
    if (!chosen || (chosen->free_threaded && !target->free_threaded)) chosen = target;
  }
  if (!chosen) chosen = find_default_python();
  if (!chosen) throw UsageError("--python: none of the given interpreters is CPython 3.12 or newer with headers");
  return chosen;
}

// Interpreters to probe with: every --python (paths, names or tags like 3.13t), or every
// CPython >= 3.12 on the machine. None at all is a usage error: there is nothing to run.
// `missing` gets the --python values that named no usable interpreter (the answer is then
// incomplete: exit 3).
std::vector<Interpreter> checked_interpreters(const std::vector<std::string>& pythons,
                                              std::vector<std::string>* missing = nullptr) {
  std::vector<std::string> problems;
  std::vector<Interpreter> interpreters = find_interpreters(pythons, &problems);
  for (const std::string& problem : problems) spdlog::warn("{}", problem);
  if (missing != nullptr && !pythons.empty()) *missing = problems;
  if (interpreters.empty()) throw UsageError("no CPython 3.12 or newer to probe with; pass --python");
  return interpreters;
}

prober::ProbeOptions probe_options(const ScanOptions& options, ProgressLine& progress) {
  prober::ProbeOptions probe;
  probe.jobs = static_cast<unsigned>(options.jobs);
  probe.timeout = std::chrono::seconds(options.timeout_seconds);
  probe.stress = !options.no_stress;
  probe.progress = [&progress](std::size_t done, std::size_t total, const std::string& what) {
    progress.update(done, total, what);
  };
  return probe;
}

// Probes `target` on every interpreter. A target that cannot be read on one interpreter
// (a hostile wheel, a distribution not installed there) is a problem for that one only.
std::vector<DynamicRun> run_dynamic(const std::string& target, const std::vector<Interpreter>& interpreters,
                                    const prober::ProbeOptions& options, std::vector<std::string>& problems,
                                    std::vector<std::string>& unprobed, std::vector<PathAlias>& aliases,
                                    bool distribution_name = false) {
  std::vector<DynamicRun> runs;
  for (const Interpreter& interpreter : interpreters) {
    if (interrupt_signal()) break;  // SIGINT/SIGTERM: no interpreter is started after it
    try {
      // A name from a requirements file is looked up as a distribution, never as a path.
      prober::ProbeTarget found = distribution_name ? prober::discover_distribution(target, interpreter)
                                                    : prober::discover(target, interpreter);
      for (const std::string& warning : found.warnings)
        problems.push_back(interpreter.implementation_tag + ": " + warning);
      runs.push_back({interpreter, prober::probe(interpreter, found, options)});
      // The unpacked wheel goes with `found`: reports name its members inside the wheel.
      if (found.scratch) {
        std::vector<PathAlias> more = aliases_for(*found.scratch, found.archive);
        aliases.insert(aliases.end(), more.begin(), more.end());
      }
    } catch (const std::exception& error) {
      problems.push_back(interpreter.implementation_tag + ": " + target + ": " + error.what());
      unprobed.push_back(problems.back());
    }
  }
  return runs;
}

// Things that hold built modules only: nothing to parse, everything to import.
bool is_binary_target(const std::string& path) {
  std::error_code error;
  fs::path p(path);
  if (p.extension() == ".whl") return true;
  if (fs::is_directory(p, error) && p.filename().string().ends_with(".dist-info")) return true;
  return !fs::exists(p, error) && path.find('/') == std::string::npos;  // a project name
}

// A directory of built extension modules (`.so`) without a C or C++ source: nothing to
// parse, so `scan` probes it as it probes a wheel.
bool is_built_modules_directory(const std::string& path) {
  std::error_code error;
  if (!fs::is_directory(path, error)) return false;
  bool built = false;
  for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, error), end;
       !error && it != end; it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    const fs::path& file = it->path();
    static const std::set<std::string> kSources = {".c", ".cc", ".cpp", ".cxx"};
    if (kSources.count(file.extension().string()) != 0) return false;
    if (file.extension() == ".so") built = true;
  }
  return built;
}

// Command line first, then [tool.subcheck], then the defaults.
struct EffectiveSettings {
  FailOn fail_on = FailOn::error;
  RuleFilter filter;
};

EffectiveSettings resolve_settings(const ScanOptions& options, const ProjectConfig& config,
                                   const RuleCatalogue& rules) {
  EffectiveSettings settings;
  const std::string config_name = config.file ? config.file->string() : "pyproject.toml";
  if (!options.fail_on.empty()) {
    auto fail_on = parse_fail_on(options.fail_on);
    if (!fail_on) {
      throw ConfigError("--fail-on: '" + options.fail_on + "' is not one of " + std::string(kFailOnChoices));
    }
    settings.fail_on = *fail_on;
  } else if (config.fail_on) {
    settings.fail_on = *config.fail_on;
  }

  const bool select_from_cli = !options.select.empty();
  const bool ignore_from_cli = !options.ignore.empty();
  const std::vector<std::string> select =
      select_from_cli ? options.select : config.select.value_or(std::vector<std::string>{});
  const std::vector<std::string> ignore =
      ignore_from_cli ? options.ignore : config.ignore.value_or(std::vector<std::string>{});
  settings.filter = RuleFilter::from_patterns(select, ignore, rules,
                                              select_from_cli ? "--select" : config_name + ": [tool.subcheck] select",
                                              ignore_from_cli ? "--ignore" : config_name + ": [tool.subcheck] ignore");
  return settings;
}

// The report goes to --output (atomically: cli/atomic_output.h) or stdout; a file that
// cannot be created is a usage error, found before the (possibly long) analysis starts.
std::unique_ptr<AtomicOutput> open_output(const std::string& output) {
  try {
    return std::make_unique<AtomicOutput>(output);
  } catch (const std::runtime_error& error) {
    throw UsageError(error.what());
  }
}

void commit_output(AtomicOutput& output) {
  try {
    output.commit();
  } catch (const std::runtime_error& error) {
    throw UsageError(error.what());
  }
}

// One report to write: its format and where. --format and -o give the first; each
// --output-FORMAT FILE one more, all written atomically (cli/atomic_output.h) after the run.
struct ReportOutput {
  std::string format;
  std::unique_ptr<AtomicOutput> file;
};

std::vector<ReportOutput> open_outputs(const ScanOptions& options) {
  std::vector<ReportOutput> outputs;
  outputs.push_back({options.format, open_output(options.output)});
  std::vector<std::string> targets{options.output.empty() || options.output == "-" ? "-" : options.output};
  for (const auto& [format, file] : options.format_outputs) {
    if (file.empty()) continue;
    const std::string target = file == "-" ? "-" : fs::absolute(file).lexically_normal().string();
    const std::string main_target =
        targets.front() == "-" ? "-" : fs::absolute(targets.front()).lexically_normal().string();
    if (target == main_target || std::find(targets.begin() + 1, targets.end(), target) != targets.end()) {
      std::string message = "--output-" + format;
      message.append(" ").append(file).append(": another report is written there already");
      throw UsageError(message);
    }
    targets.push_back(target);
    outputs.push_back({format, open_output(file)});
  }
  return outputs;
}

void commit_outputs(std::vector<ReportOutput>& outputs) {
  for (ReportOutput& output : outputs) commit_output(*output.file);
}

// JSON, or a format written from the JSON document (cli/report_formats.h).
void write_document(std::ostream& out, const std::string& format, const nlohmann::json& report,
                    const FormatContext& context) {
  if (format == "json") {
    out << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    write_document_format(out, format, report, context);
  }
}

int interrupted_exit(int signal, const std::string& reason) {
  std::cerr << "subcheck: error: " << reason << "; the report written is incomplete\n";
  return exit_status_for_interrupt(signal);
}

// `subcheck audit`: every distribution installed in the site directories (each
// interpreter's own site-packages unless given) that has extension modules. Their modules
// are found distribution by distribution, then probed together on that interpreter (one
// run, its children in parallel). Pure-Python distributions are counted, not reported.
// Returns how many distributions were read, and how many there were.
std::pair<std::size_t, std::size_t> run_audit(const ScanOptions& options, const std::vector<Interpreter>& interpreters,
                                              ProgressLine& progress, std::vector<DynamicRun>& runs,
                                              std::vector<std::string>& problems, std::vector<std::string>& unprobed) {
  std::size_t read = 0, total = 0;
  for (const Interpreter& interpreter : interpreters) {
    std::vector<fs::path> distributions;
    std::vector<fs::path> site_dirs(options.site_dirs.begin(), options.site_dirs.end());
    if (site_dirs.empty()) site_dirs = interpreter.site_dirs();
    std::string searched;
    for (const fs::path& dir : site_dirs) {
      std::vector<fs::path> more = prober::installed_distributions(dir);
      distributions.insert(distributions.end(), more.begin(), more.end());
      searched += (searched.empty() ? "" : ", ") + dir.string();
    }
    total += distributions.size();
    prober::ProbeTarget all;
    all.kind = "installed";
    std::size_t with_modules = 0;
    for (const fs::path& info_dir : distributions) {
      ++read;
      try {
        prober::ProbeTarget found = prober::discover(info_dir.string(), interpreter);
        with_modules += found.modules.empty() ? 0 : 1;
        all.modules.insert(all.modules.end(), found.modules.begin(), found.modules.end());
        for (const std::string& warning : found.warnings)
          problems.push_back(interpreter.implementation_tag + ": " + warning);
      } catch (const std::exception& error) {
        problems.push_back(interpreter.implementation_tag + ": " + info_dir.filename().string() + ": " + error.what());
        unprobed.push_back(problems.back());
      }
    }
    if (!options.quiet) {
      std::cerr << "subcheck: audit: " << interpreter.implementation_tag << ": " << distributions.size()
                << " distributions in " << searched << ", " << with_modules << " with extension modules ("
                << all.modules.size() << " modules) to probe\n";
    }
    if (interrupt_signal()) break;
    if (!all.modules.empty())
      runs.push_back({interpreter, prober::probe(interpreter, all, probe_options(options, progress))});
  }
  return {read, total};
}

// `subcheck probe` and `subcheck scan` of a wheel or an installed distribution: only the
// dynamic evidence. Exit 1 when a module cannot be used as asked (unless --fail-on never),
// 2 when nothing could be probed at all.
// A requirements or lock file names distributions to probe where they are installed.
int run_probe(const ScanOptions& options) {
  configure_logging(options);
  std::vector<std::string> targets{options.path};
  const bool from_requirements = is_requirements_file(options.path) && fs::exists(options.path);
  if (from_requirements) {
    try {
      targets = read_requirement_names(options.path);
    } catch (const std::exception& error) {
      throw UsageError(error.what());
    }
    if (targets.empty()) throw UsageError(options.path + ": names no distribution");
  }
  std::vector<std::string> missing_interpreters;
  std::vector<Interpreter> interpreters = checked_interpreters(options.pythons, &missing_interpreters);
  std::vector<ReportOutput> outputs = open_outputs(options);
  ProgressLine progress(!options.quiet && ::isatty(STDERR_FILENO) == 1, fs::current_path());
  std::vector<std::string> problems, unprobed;
  std::vector<DynamicRun> runs;
  std::vector<PathAlias> aliases;
  std::size_t probed_targets = 0, all_targets = targets.size();
  if (options.audit) {
    std::tie(probed_targets, all_targets) = run_audit(options, interpreters, progress, runs, problems, unprobed);
  } else {
    for (const std::string& target : targets) {
      if (interrupt_signal()) break;
      ++probed_targets;
      std::vector<DynamicRun> more = run_dynamic(target, interpreters, probe_options(options, progress), problems,
                                                 unprobed, aliases, from_requirements);
      runs.insert(runs.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
  }
  progress.finish();
  const int signal = interrupt_signal();
  const std::string incomplete =
      incomplete_reason(signal, std::to_string(probed_targets) + " of " + std::to_string(all_targets) +
                                    (options.audit ? " distributions looked at" : " targets probed") +
                                    " (the last one possibly in part)");
  Coverage coverage;
  add_dynamic_coverage(coverage, runs, unprobed, missing_interpreters, skipped_problems(problems, unprobed));

  std::error_code exists_error;
  const FormatContext format_context{
      RuleCatalogue::builtin(),
      fs::exists(options.path, exists_error) ? source_root(options.path, fs::current_path()) : fs::current_path(),
      github_link_base()};
  for (ReportOutput& output : outputs) {
    std::ostream& out = output.file->stream();
    if (output.format != "text") {
      nlohmann::json report = probe_document(options.path, runs, problems, incomplete);
      report["coverage"] = coverage_json(coverage);
      apply_aliases(report, aliases);
      write_document(out, output.format, report, format_context);
    } else {
      std::ostringstream text;
      if (options.audit || from_requirements) write_distributions_text(text, distribution_verdicts(runs));
      write_dynamic_text(text, runs, problems, options.verbose);
      text << "\n" << format_coverage(coverage);
      if (!incomplete.empty()) text << "\nincomplete report: " << incomplete << "\n";
      out << apply_aliases(text.str(), aliases);
    }
  }
  commit_outputs(outputs);
  if (signal) return interrupted_exit(signal, incomplete);
  if (runs.empty() && options.audit && unprobed.empty()) {
    std::cerr << "subcheck: audit: no installed distribution has extension modules\n";
    return kExitClean;
  }
  if (runs.empty()) return report_error(options.path + ": nothing could be probed (see the problems above)");
  const bool never = options.fail_on == "never";
  return exit_code_with_coverage(dynamic_failures(runs) && !never ? 1 : kExitClean, coverage, never);
}

// --baseline read before the (possibly long) analysis, so that a bad file is exit 2 at once.
std::optional<Baseline> checked_baseline(const std::string& file) {
  if (file.empty()) return std::nullopt;
  try {
    return read_baseline(file);
  } catch (const BaselineError& error) {
    throw UsageError(error.what());
  }
}

// --write-baseline records the findings the report would show without a baseline (after
// --select/--ignore); --baseline then leaves out those it records. Returns what it did.
std::optional<BaselineOutcome> handle_baseline(std::vector<Finding>& findings, const std::optional<Baseline>& baseline,
                                               AtomicOutput* write_to, const fs::path& root) {
  if (write_to != nullptr) write_to->stream() << baseline_document(findings, root).dump(2) << "\n";
  if (!baseline) return std::nullopt;
  return apply_baseline(findings, *baseline, root);
}

// What one scan found, for its reports: the static result, the probes and cross-checks
// (empty without --probe), the coverage, why it is incomplete and what --baseline did.
struct ScanEvidence {
  const AnalysisResult& result;
  const ReportContext& context;
  const std::vector<DynamicRun>& runs;
  const std::vector<std::string>& problems;
  const std::vector<CrossCheck>& checks;
  const Coverage& coverage;
  const std::string& incomplete;
  const std::optional<BaselineOutcome>& baseline;
  const std::vector<PathAlias>& aliases;  // unpacked archives, named as their members
};

// Text, or the JSON document (and the formats written from it).
void write_scan_report(ReportOutput& output, const ScanEvidence& scan, const FormatContext& format_context,
                       const ScanOptions& options, const fs::path& cwd) {
  std::ostream& out = output.file->stream();
  if (output.format != "text") {
    nlohmann::json report = scan_report_json(scan.result, scan.context);
    if (options.probe) {
      report["dynamic"] = dynamic_json(scan.runs, scan.problems);
      report["cross_checks"] = cross_checks_json(scan.checks);
    }
    report["coverage"] = coverage_json(scan.coverage);
    if (scan.baseline) report["baseline"] = baseline_outcome_json(*scan.baseline);
    mark_completeness(report, scan.incomplete);
    apply_aliases(report, scan.aliases);
    write_document(out, output.format, report, format_context);
    return;
  }
  TextStyle style{output.file->to_terminal_stdout() && want_color(STDOUT_FILENO, options.no_color), cwd};
  if (options.verbose) style.diagnostics_per_file = 0;
  std::ostringstream text;
  write_text_report(text, scan.result, scan.context, style);
  if (options.probe) {
    text << "\n";
    write_dynamic_text(text, scan.runs, scan.problems, options.verbose);
    write_cross_checks_text(text, scan.checks);
  }
  text << format_coverage(scan.coverage);
  if (scan.baseline) text << format_baseline_outcome(*scan.baseline);
  if (!scan.incomplete.empty()) text << "\nincomplete report: " << scan.incomplete << "\n";
  out << apply_aliases(text.str(), scan.aliases);
}

int run_scan(const ScanOptions& options) {
  const bool binary_target = is_binary_target(options.path) || is_requirements_file(options.path);
  const bool built_only = !binary_target && is_built_modules_directory(options.path);
  if ((binary_target || built_only) && (!options.baseline.empty() || !options.write_baseline.empty())) {
    throw UsageError("--baseline and --write-baseline apply to source scans, not to " + options.path);
  }
  if (built_only && !options.quiet) {
    std::cerr << "subcheck: " << options.path
              << ": no C or C++ sources found; probing its built extension modules as for a wheel\n";
  }
  if (binary_target || built_only) return run_probe(options);
  configure_logging(options);
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  // An sdist is read where it is unpacked; the unpacked tree lives until the scan ends.
  UnpackedSdist sdist;
  std::vector<PathAlias> aliases;
  fs::path root = checked_scan_root(options.path);
  if (is_sdist(root) && fs::is_regular_file(root)) {
    try {
      sdist = unpack_sdist(root);
    } catch (const std::exception& error) {
      throw UsageError(error.what());
    }
    for (const std::string& warning : sdist.warnings) spdlog::warn("{}: {}", options.path, warning);
    root = sdist.root;
    aliases = aliases_for(*sdist.scratch, options.path);
  }
  const ProjectConfig config = load_project_config(root);
  if (config.file) spdlog::debug("configuration: {}", config.file->string());
  const EffectiveSettings settings = resolve_settings(options, config, rules);

  AnalyzeOptions analyze_options;
  analyze_options.root = root;
  analyze_options.build_dir = checked_build_dir(options.build_dir);
  analyze_options.python = checked_python(options.pythons);
  if (analyze_options.python) {
    spdlog::debug("python: {} {}, headers in {}", analyze_options.python->executable.string(),
                  analyze_options.python->version, analyze_options.python->include_dir.string());
  }
  analyze_options.jobs = static_cast<unsigned>(options.jobs);
  analyze_options.extra_args = options.extra_args;
  analyze_options.max_file_bytes = options.max_file_mib << 20;
  analyze_options.parse_limits.time = std::chrono::seconds(options.parse_timeout_seconds);
  analyze_options.parse_limits.memory_bytes = options.parse_memory_mib << 20;
  if (!options.no_cache) {
    analyze_options.facts_cache = options.cache_dir.empty() ? default_facts_cache_dir() : fs::path(options.cache_dir);
    analyze_options.facts_cache_named = !options.cache_dir.empty();
  }
  std::vector<Interpreter> interpreters;
  std::vector<std::string> missing_interpreters;
  if (options.probe) interpreters = checked_interpreters(options.pythons, &missing_interpreters);

  std::vector<ReportOutput> outputs = open_outputs(options);
  const std::optional<Baseline> baseline = checked_baseline(options.baseline);
  std::unique_ptr<AtomicOutput> baseline_output =
      options.write_baseline.empty() ? nullptr : open_output(options.write_baseline);

  const fs::path cwd = fs::current_path();
  ProgressLine progress(!options.quiet && ::isatty(STDERR_FILENO) == 1, cwd);
  analyze_options.progress = [&progress](std::size_t done, std::size_t total, const std::string& file) {
    progress.update(done, total, file);
  };

  AnalysisResult result;
  const auto started = std::chrono::steady_clock::now();
  try {
    result = analyze(analyze_options, rules);
  } catch (const std::exception& error) {
    progress.finish();
    // A corrupt compile_commands.json or an unreadable tree: the scan never started.
    throw UsageError(error.what());
  }
  progress.finish();
  spdlog::debug("compile database: {}", result.compile_db_origin);
  spdlog::debug("facts of {} of {} (unit, configuration) pairs reused from the cache", result.units_from_cache,
                result.model.units.size());
  spdlog::debug("{} translation units analysed in {:.1f} s", result.model.units.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  spdlog::debug("parse workers: {}", result.parse_isolation);

  // Built modules in the tree, imported for real: evidence beside the static findings.
  std::vector<std::string> problems, unprobed;
  std::vector<DynamicRun> runs;
  // Interrupted while parsing: what was parsed is reported, nothing more is started.
  if (options.probe && !interrupt_signal()) {
    runs = run_dynamic(root.string(), interpreters, probe_options(options, progress), problems, unprobed, aliases);
  }
  progress.finish();
  const int signal = interrupt_signal();
  const std::size_t parsed_units = static_cast<std::size_t>(std::count_if(
      result.model.units.begin(), result.model.units.end(), [](const auto& unit) { return unit.parsed; }));
  const std::string incomplete = incomplete_reason(
      signal, result.interrupted_by
                  ? std::to_string(parsed_units) + " of " + std::to_string(result.model.units.size()) +
                        " translation units parsed" + (options.probe ? ", nothing probed" : "")
              : options.probe ? "the probes under way when it came were stopped; later ones did not run"
                              : "after the analysis had finished");
  std::vector<CrossCheck> checks = cross_check(result, runs);
  Coverage coverage = static_coverage(result);
  if (options.probe) {
    add_dynamic_coverage(coverage, runs, unprobed, missing_interpreters, skipped_problems(problems, unprobed));
  }

  ReportContext context{rules, root, 0, settings.fail_on, settings.filter};
  context.ignored = drop_disabled_findings(result.findings, settings.filter);
  drop_disabled_findings(result.suppressed_findings, settings.filter);
  const std::optional<BaselineOutcome> baseline_outcome =
      handle_baseline(result.findings, baseline, baseline_output.get(), baseline_root(root));

  const FormatContext format_context{rules, source_root(root, cwd), github_link_base()};
  const ScanEvidence evidence{result, context, runs, problems, checks, coverage, incomplete, baseline_outcome, aliases};
  for (ReportOutput& output : outputs) write_scan_report(output, evidence, format_context, options, cwd);
  commit_outputs(outputs);
  if (baseline_output) commit_output(*baseline_output);
  if (signal) return interrupted_exit(signal, incomplete);

  if (result.model.units.empty()) {
    return report_error(options.path + ": nothing to analyse: no C or C++ translation unit found");
  }
  if (nothing_parsed(result)) {
    return report_error(options.path + ": no translation unit could be parsed (see the diagnostics)");
  }
  int code = exit_code_for(result.findings, settings.fail_on);
  const bool disagreement = has_disagreement(checks);
  if (code == kExitClean && settings.fail_on != FailOn::never && (dynamic_failures(runs) || disagreement)) code = 1;
  // An answer subcheck could not give is not a pass: exit 3 (cli/coverage.h).
  code = exit_code_with_coverage(code, coverage, settings.fail_on == FailOn::never);
  if (code == kExitIncomplete) {
    std::cerr << "subcheck: the answer is incomplete (see the `incomplete:` lines); exit 3 "
                 "(--fail-on never accepts that)\n";
  }
  return code;
}

int run_rules(const std::string& format) {
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  if (format == "json") {
    std::cout << rules_json(rules).dump(2) << "\n";
  } else {
    std::cout << format_rules_table(rules);
  }
  return kExitClean;
}

int run_explain(const std::string& id_or_name) {
  const RuleCatalogue& rules = RuleCatalogue::builtin();
  const Rule* rule = rules.find(id_or_name);
  if (rule == nullptr) return report_error(unknown_rule_message(id_or_name, rules));
  std::cout << format_explanation(*rule);
  return kExitClean;
}

constexpr const char* kMainFooter = R"(Examples:
  subcheck scan .                          scan the extension sources under the current directory
  subcheck scan src/_speedups.c            scan one file
  subcheck scan . -p build                 use build/compile_commands.json for the flags
  subcheck scan . --format json -o scan.json
  subcheck scan . --fail-on warning --ignore SI010
  subcheck probe markupsafe --python 3.13t  import an installed distribution's modules for real
  subcheck audit --python 3.13             every installed distribution with extension modules
  subcheck rules                           list every rule
  subcheck explain SI001                   what a rule finds and how to fix it

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or I/O error,
3 incomplete answer (a module not judged, a unit not parsed, a probe that could not run).
Documentation: docs/cli.md)";

constexpr const char* kScanFooter = R"(Options given here win over [tool.subcheck] in PATH/pyproject.toml
(keys: select, ignore, fail-on). Rules are named by id (SI006), name (global-python-object)
or id prefix (FT, SI00).

Examples:
  subcheck scan .
  subcheck scan . -p build --python python3.13 -j 2
  subcheck scan . -p build/compile_commands.json
  subcheck scan build/lib.linux-x86_64-cpython-313   built modules only: probed
  subcheck scan . --select FT --format json --output ft.json
  subcheck scan . --format sarif -o scan.sarif --output-markdown summary.md
  subcheck scan . --output-junit subcheck-junit.xml
  subcheck scan src/_speedups.c --fail-on never --no-color
  subcheck scan . --write-baseline subcheck-baseline.json   record today's findings
  subcheck scan . --baseline subcheck-baseline.json         then report only new ones)";

// --format and -o for the main report, --output-FORMAT FILE for more (docs/cli.md, "Formats").
void add_format_options(CLI::App& command, ScanOptions& options) {
  command.add_option("--format", options.format, "Report format: text, json, sarif, github, markdown, junit or html")
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(kReportFormats), std::end(kReportFormats))))
      ->type_name("FORMAT")
      ->default_str("text");
  command.add_option("-o,--output", options.output, "Write the report to FILE instead of stdout")->type_name("FILE");
  for (std::string_view format : kReportFormats) {
    const std::string name(format);
    command.add_option("--output-" + name, options.format_outputs[name], "Also write the " + name + " report to FILE")
        ->type_name("FILE");
  }
}

void add_scan_command(CLI::App& app, ScanOptions& options) {
  CLI::App* scan = app.add_subcommand("scan", "Analyse extension module sources and report what would break");
  scan->footer(kScanFooter);
  scan->add_option("PATH", options.path,
                   "Source tree, single file or sdist to scan; a wheel, distribution, requirements file or directory "
                   "of built modules (no sources) is probed")
      ->required()
      ->type_name("PATH");
  scan->add_option("-p,--build-dir", options.build_dir, "compile_commands.json, or the directory holding it")
      ->type_name("PATH");
  scan->add_option("--python", options.pythons,
                   "CPython 3.12+ to use (repeatable): a path, a name on PATH or a tag such as 3.13t. The first "
                   "GIL build gives the headers; --probe imports with every one")
      ->allow_extra_args(false)
      ->type_name("EXE");
  scan->add_flag("--probe", options.probe,
                 "Also import the tree's built extension modules in real interpreters (runs the package's code, "
                 "sandboxed)");
  scan->add_flag("--no-stress", options.no_stress, "With --probe: skip the concurrent subinterpreter stress probe");
  scan->add_option("--timeout", options.timeout_seconds, "With --probe: seconds each probe child may take")
      ->check(CLI::Range(1, 3600))
      ->type_name("SECONDS");
  scan->add_option("-j,--jobs", options.jobs, "Parallel parser jobs (0: one per core)")
      ->check(CLI::Range(0, 1024))
      ->type_name("N");
  add_format_options(*scan, options);
  scan->add_option("--fail-on", options.fail_on,
                   "Lowest severity that makes the exit code 1: error (default), warning, note or never")
      ->type_name("LEVEL");
  // One value per occurrence (repeatable), so `--select SI001 .` does not swallow PATH.
  scan->add_option("--select", options.select, "Only report these rules (comma-separated ids, names or prefixes)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("RULES");
  scan->add_option("--ignore", options.ignore, "Do not report these rules (comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->type_name("RULES");
  scan->add_option("--baseline", options.baseline,
                   "Report only findings FILE does not record (written by --write-baseline); the exit code "
                   "follows the new findings only")
      ->type_name("FILE");
  scan->add_option("--write-baseline", options.write_baseline,
                   "Record this run's findings in FILE (by fingerprint, not line) for later --baseline runs")
      ->type_name("FILE");
  scan->add_option("--extra-arg", options.extra_args,
                   "Extra compiler flag appended to every command (repeatable; --extra-arg=-DFOO)")
      ->allow_extra_args(false)
      ->type_name("FLAG");
  scan->add_option("--max-file-size", options.max_file_mib,
                   "Largest source file read, in MiB (default 8); larger ones are a warning, not parsed")
      ->check(CLI::Range(1, 4096))
      ->type_name("MIB");
  scan->add_option("--parse-timeout", options.parse_timeout_seconds,
                   "Seconds one translation unit may take to parse (wall clock and CPU; default 120)")
      ->check(CLI::Range(1, 86400))
      ->type_name("SECONDS");
  scan->add_option("--parse-memory", options.parse_memory_mib,
                   "MiB of address space one parse worker may add (default 4096)")
      ->check(CLI::Range(64, 1 << 20))
      ->type_name("MIB");
  scan->add_flag("--no-cache", options.no_cache,
                 "Parse every unit, and keep nothing: by default the facts of units whose files did not change "
                 "are reused (docs/cli.md, \"Incremental scans\")");
  scan->add_option("--cache-dir", options.cache_dir,
                   "Where the reusable facts are kept (default $SUBCHECK_CACHE/facts, else "
                   "$XDG_CACHE_HOME/subcheck/facts, else ~/.cache/subcheck/facts)")
      ->type_name("DIR");
  scan->add_flag("--no-color", options.no_color, "No colours, even on a terminal (NO_COLOR is honoured too)");
  scan->add_flag("-q,--quiet", options.quiet, "No progress line and no warnings on stderr");
  scan->add_flag("-v,--verbose", options.verbose,
                 "Show every tool diagnostic, and log settings, Python and timing on stderr");
}

constexpr const char* kProbeFooter =
    R"(Each extension module is imported, each check in a fresh child process with a time
limit: in the main interpreter, in an isolated subinterpreter (own GIL), in a legacy
subinterpreter, under concurrent stress, and on free-threaded builds with the GIL watched.
This runs the package's code, sandboxed (no network where the kernel allows, resource
limits, a temporary HOME). docs/prober.md describes the probes and verdicts.

Examples:
  subcheck probe dist/fastcache-1.0-cp313-cp313-linux_x86_64.whl --python 3.13
  subcheck probe markupsafe --python 3.12 --python 3.13 --python 3.13t
  subcheck probe build/lib.linux-x86_64-cpython-313 --no-stress --format json)";

// The options `probe` and `audit` share: which Pythons, how the probes run, the reports.
void add_probing_options(CLI::App& command, ScanOptions& options) {
  command
      .add_option("--python", options.pythons, "CPython 3.12+ to probe with (repeatable): path, name or tag (3.13t)")
      ->allow_extra_args(false)
      ->type_name("EXE");
  command.add_option("-j,--jobs", options.jobs, "Probe children at once (0: one per core)")
      ->check(CLI::Range(0, 1024))
      ->type_name("N");
  command.add_option("--timeout", options.timeout_seconds, "Seconds each probe child may take")
      ->check(CLI::Range(1, 3600))
      ->type_name("SECONDS");
  command.add_flag("--no-stress", options.no_stress, "Skip the concurrent subinterpreter stress probe");
  add_format_options(command, options);
  command.add_option("--fail-on", options.fail_on, "never: exit 0 whatever the verdicts")->type_name("LEVEL");
  command.add_flag("--no-color", options.no_color, "No colours, even on a terminal (NO_COLOR is honoured too)");
  command.add_flag("-q,--quiet", options.quiet, "No progress line and no warnings on stderr");
  command.add_flag("-v,--verbose", options.verbose, "Show every probe's steps");
}

void add_probe_command(CLI::App& app, ScanOptions& options) {
  CLI::App* probe = app.add_subcommand("probe", "Import every extension module of a package in real interpreters");
  probe->footer(kProbeFooter);
  probe->add_option("TARGET", options.path, "A wheel, an installed distribution (name or .dist-info) or a directory")
      ->required()
      ->type_name("TARGET");
  add_probing_options(*probe, options);
}

constexpr const char* kAuditFooter =
    R"(Every distribution installed in the site directories (each --python's own site-packages
unless DIR is given) that has extension modules is probed on that Python, as `subcheck
probe` probes one; pure-Python distributions are left out. The report starts with one
verdict per distribution and Python, its worst module's, then every module's evidence.
A distribution whose files cannot be told (no RECORD, installed-files.txt or top_level.txt)
makes the answer incomplete (exit 3).

Examples:
  subcheck audit --python 3.13 --python 3.13t
  subcheck audit .venv/lib/python3.13/site-packages --python .venv/bin/python --format json -o audit.json
  subcheck audit --python 3.14 --output-markdown summary.md)";

void add_audit_command(CLI::App& app, ScanOptions& options) {
  CLI::App* audit = app.add_subcommand("audit", "Probe every installed distribution that has extension modules");
  audit->footer(kAuditFooter);
  audit->add_option("DIR", options.site_dirs, "Site directories to audit (default: each Python's site-packages)")
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory);
  add_probing_options(*audit, options);
}

int run(int argc, char** argv) {
  CLI::App app{
      "subcheck: can these Python C extensions load in isolated subinterpreters (PEP 684/734)\n"
      "and on free-threaded CPython (PEP 703)?",
      "subcheck"};
  app.footer(kMainFooter);
  app.set_version_flag("--version", "subcheck " + std::string(tool_version()));

  ScanOptions scan_options;
  add_scan_command(app, scan_options);
  ScanOptions probe_options_;
  add_probe_command(app, probe_options_);
  ScanOptions audit_options;
  audit_options.audit = true;
  audit_options.path = "installed distributions";
  add_audit_command(app, audit_options);

  std::string rules_format = "text";
  CLI::App* rules = app.add_subcommand("rules", "List the rules: id, name, severity, category, summary");
  rules->add_option("--format", rules_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("FORMAT");

  std::string explain_id;
  CLI::App* explain = app.add_subcommand("explain", "Explain one rule: what, why, example, fix, references");
  explain->add_option("RULE", explain_id, "Rule id (SI001) or name (single-phase-init)")->required()->type_name("RULE");
  explain->footer("Examples:\n  subcheck explain SI001\n  subcheck explain borrowed-reference-api");

  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& success) {
    return app.exit(success);  // --help, --version
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitUsage;
  }

  try {
    if (app.got_subcommand("scan") || app.got_subcommand("probe") || app.got_subcommand("audit")) {
      RunScope scope;  // this run's temp dir, stale ones removed, SIGINT/SIGTERM recorded
      if (app.got_subcommand("scan")) return run_scan(scan_options);
      return run_probe(app.got_subcommand("probe") ? probe_options_ : audit_options);
    }
    if (app.got_subcommand("rules")) return run_rules(rules_format);
    if (app.got_subcommand("explain")) return run_explain(explain_id);
  } catch (const UsageError& error) {
    return report_error(error.what());
  } catch (const ConfigError& error) {
    return report_error(error.what());
  } catch (const RuleCatalogueError& error) {
    return report_error(std::string("the built-in rule catalogue is broken: ") + error.what());
  } catch (const std::exception& error) {
    // A file system error while writing, say: still a clean message and exit code 2.
    return report_error(error.what());
  }
  std::cerr << app.help() << "\nsubcheck: error: a command is required (scan, probe, audit, rules or explain)\n";
  return kExitUsage;
}

}  // namespace
}  // namespace subcheck

int main(int argc, char** argv) { return subcheck::run(argc, argv); }
