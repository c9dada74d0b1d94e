// Which probes run, and how children's results are read (probe_plan.h).
#include "prober/probe_plan.h"

#include <algorithm>

namespace subcheck::prober {

namespace {

namespace fs = std::filesystem;

bool clean_step(const ProbeResult& result, std::size_t index, std::string_view where) {
  return result.steps.size() > index && result.steps[index].where == where && result.steps[index].ok &&
         result.steps[index].via.empty();
}

// A combined child whose every step went as in a module that loads everywhere: nothing any
// step did can have changed what a later one saw, so its steps stand for the separate probes.
bool combined_clean(const ProbeResult& result, bool free_threaded) {
  if (result.probe != ProbeKind::combined || result.outcome != ProbeOutcome::ok || result.steps.size() != 3) {
    return false;
  }
  if (!clean_step(result, 0, "isolated-fresh") || !clean_step(result, 1, "main") ||
      !clean_step(result, 2, "isolated")) {
    return false;
  }
  // On free-threaded builds the GIL must still be off before the main import (the isolated
  // import before it must not have turned it on) and known after it.
  return !free_threaded || (result.gil_before == std::optional<bool>(false) && result.gil_after);
}

ProbeReading part_of(const ProbeResult& child, ProbeKind probe, std::vector<ProbeStep> steps) {
  ProbeResult part;
  part.probe = probe;
  part.outcome = child.outcome;
  part.elapsed = child.elapsed;
  part.steps = std::move(steps);
  part.output = child.output;  // the one child's output: each part's evidence
  part.output_truncated = child.output_truncated;
  return {std::move(part), child.probe};
}

// The clean combined child as the probes it stands for: `isolated-fresh` (its first step,
// as "isolated"), `isolated` (main and isolated steps, shared objects) and on free-threaded
// builds `gil` (the main step and the GIL before and after it); each with the child's output.
void split_combined(const ProbeResult& combined, bool free_threaded, std::vector<ProbeReading>& out) {
  ProbeStep fresh = combined.steps[0];
  fresh.where = "isolated";
  out.push_back(part_of(combined, ProbeKind::isolated_fresh, {fresh}));
  ProbeReading isolated = part_of(combined, ProbeKind::isolated, {combined.steps[1], combined.steps[2]});
  isolated.result.shared_objects = combined.shared_objects;
  if (free_threaded) {
    isolated.result.gil_before = combined.gil_before;
    isolated.result.gil_after = combined.gil_after;
  }
  out.push_back(std::move(isolated));
  if (free_threaded) {
    ProbeReading gil = part_of(combined, ProbeKind::gil, {combined.steps[1]});
    gil.result.gil_before = combined.gil_before;
    gil.result.gil_after = combined.gil_after;
    out.push_back(std::move(gil));
  }
}

// A combined child whose first step, the fresh isolated import, completed without
// succeeding cleanly: the child then did exactly what an `isolated-fresh` child does (wrote
// the step, ended the subinterpreter, Py_FinalizeEx; a crash after that is "teardown"), so
// its result is that probe's.
std::optional<ProbeReading> combined_as_fresh(const ProbeResult& combined) {
  if (combined.probe != ProbeKind::combined || combined.outcome == ProbeOutcome::error || combined.steps.size() != 1 ||
      combined.steps[0].where != "isolated-fresh" || (combined.steps[0].ok && combined.steps[0].via.empty())) {
    return std::nullopt;
  }
  if (combined.outcome != ProbeOutcome::ok && combined.during != "teardown") return std::nullopt;
  ProbeReading fresh{combined, ProbeKind::combined};
  fresh.result.probe = ProbeKind::isolated_fresh;
  fresh.result.steps[0].where = "isolated";
  fresh.result.gil_before.reset();
  fresh.result.gil_after.reset();
  return fresh;
}

// The `gil` reading from the `isolated` child's main import: what a separate `gil` child
// (the same import, then exit) would have reported; a crash after the main import is not
// the import's.
ProbeReading gil_from_isolated(const ProbeResult& isolated) {
  ProbeResult gil;
  gil.probe = ProbeKind::gil;
  gil.elapsed = isolated.elapsed;
  gil.error = isolated.error;
  const bool died_in_main = isolated.outcome != ProbeOutcome::ok &&
                            (isolated.during == "main" || isolated.during == "start" || isolated.during == "setup");
  gil.outcome = isolated.outcome == ProbeOutcome::error || died_in_main ? isolated.outcome : ProbeOutcome::ok;
  if (died_in_main) {
    gil.signal = isolated.signal;
    gil.exit_code = isolated.exit_code;
    gil.during = isolated.during;
  }
  gil.output = isolated.output;
  gil.output_truncated = isolated.output_truncated;
  for (const ProbeStep& step : isolated.steps) {
    if (step.where == "main") gil.steps.push_back(step);
  }
  gil.gil_before = isolated.gil_before;
  gil.gil_after = isolated.gil_after;
  return {std::move(gil), ProbeKind::isolated};
}

bool has_reading(const std::vector<ProbeReading>& readings, ProbeKind probe) {
  return std::any_of(readings.begin(), readings.end(), [&](const ProbeReading& r) { return r.result.probe == probe; });
}

const ProbeStep* isolated_step(const std::vector<ProbeReading>& readings) {
  for (const ProbeReading& reading : readings) {
    if (reading.result.probe != ProbeKind::isolated || reading.result.outcome != ProbeOutcome::ok) continue;
    for (const ProbeStep& step : reading.result.steps) {
      if (step.where == "isolated") return &step;
    }
  }
  return nullptr;
}

bool second_wave(ProbeKind probe) { return probe == ProbeKind::shared || probe == ProbeKind::stress; }

std::vector<fs::path> sys_path_for(const ExtensionFile& module, const Interpreter& interpreter) {
  std::vector<fs::path> path;
  if (!module.sys_path_entry.empty()) path.push_back(module.sys_path_entry);
  for (const fs::path& entry : interpreter.site_dirs()) {
    if (!entry.empty() && std::find(path.begin(), path.end(), entry) == path.end()) path.push_back(entry);
  }
  return path;
}

}  // namespace

// No separate `main` probe: the isolated import after the main one starts with exactly that
// import, in the same fresh process state. `declared` calls PyInit alone in its own child:
// in the combined child it would run before the isolated-fresh import and change what that
// import sees (a single-phase module's init would already have run).
std::vector<ProbeKind> first_wave_probes() { return {ProbeKind::combined, ProbeKind::declared}; }

// The separate probes (but the one the combined child stood for) attribute every failure
// exactly. The `isolated` child carries the GIL measurement around its main import, so
// free-threaded builds need no separate `gil` child.
std::vector<ProbeKind> fallback_probes(const std::vector<ProbeReading>& readings) {
  std::vector<ProbeKind> probes;
  for (ProbeKind probe : {ProbeKind::isolated, ProbeKind::isolated_fresh}) {
    if (!has_reading(readings, probe)) probes.push_back(probe);
  }
  return probes;
}

// `shared` separates shared-GIL-only modules from unsupported ones and cannot change the
// verdict of a module an isolated subinterpreter loads (docs/prober.md, "Which probes run").
std::vector<ProbeKind> second_wave_probes(const std::vector<ProbeReading>& readings, bool stress) {
  const ProbeStep* isolated = isolated_step(readings);
  if (isolated == nullptr) return {};
  if (!isolated->ok) return {ProbeKind::shared};
  if (stress) return {ProbeKind::stress};
  return {};
}

bool isolated_import_succeeded(const std::vector<ProbeReading>& readings) {
  const ProbeStep* step = isolated_step(readings);
  return step != nullptr && step->ok;
}

std::vector<ProbeReading> read_children(const std::vector<ProbeResult>& children, bool free_threaded) {
  std::vector<ProbeReading> readings;
  const ProbeResult* isolated_child = nullptr;
  for (const ProbeResult& child : children) {
    if (second_wave(child.probe)) continue;
    if (child.probe == ProbeKind::isolated && isolated_child == nullptr) isolated_child = &child;
    if (combined_clean(child, free_threaded)) {
      split_combined(child, free_threaded, readings);
    } else if (std::optional<ProbeReading> fresh = combined_as_fresh(child)) {
      readings.push_back(std::move(*fresh));
    } else {
      readings.push_back({child, std::nullopt});
    }
  }
  if (free_threaded && isolated_child != nullptr && !has_reading(readings, ProbeKind::gil)) {
    readings.push_back(gil_from_isolated(*isolated_child));
  }
  for (const ProbeResult& child : children) {
    if (second_wave(child.probe)) readings.push_back({child, std::nullopt});
  }
  return readings;
}

std::vector<ProbeReading> probe_readings(const ModuleProbeReport& report) {
  return read_children(report.evidence, report.free_threaded);
}

ProbeRequest request_for(const ExtensionFile& module, const Interpreter& interpreter, ProbeKind probe,
                         const ProbeOptions& options) {
  ProbeRequest request;
  request.probe = probe;
  request.module = module.module;
  request.file = module.file;
  request.sys_path = sys_path_for(module, interpreter);
  request.timeout = options.timeout;
  request.stress_threads = options.stress_threads;
  request.stress_cycles = options.stress_cycles;
  if (probe == ProbeKind::stress) request.timeout = 2 * options.timeout;  // threads x cycles imports
  return request;
}

ProbeRequest stress_yardstick(const Interpreter& interpreter, const ProbeOptions& options) {
  ExtensionFile nothing;
  nothing.module = "sys";
  ProbeRequest request = request_for(nothing, interpreter, ProbeKind::stress, options);
  request.sys_path.clear();
  return request;
}

}  // namespace subcheck::prober
