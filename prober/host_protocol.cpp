// Writing request lines and reading answer and hello lines (host_protocol.h).
#include "prober/host_protocol.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace subcheck::prober {

namespace {

using json = nlohmann::json;

ProbeStep step_from_json(const json& step) {
  ProbeStep out;
  out.where = step.value("where", "");
  out.ok = step.value("ok", false);
  out.error_type = step.value("error_type", "");
  out.message = step.value("message", "");
  out.via = step.value("via", "");
  out.package_error = step.value("package_error", "");
  out.fallback = step.value("fallback", "");
  out.package_imports_it = step.value("package_imports_it", false);
  return out;
}

// A `declared` record; spellings this runner does not know read as `other`/`unknown`.
DeclaredDef declared_from_json(const json& declared) {
  DeclaredDef def;
  def.init = parse_init_style(declared.value("init", "")).value_or(InitStyle::unknown);
  if (auto size = declared.find("m_size"); size != declared.end() && size->is_number_integer())
    def.m_size = size->get<long long>();
  def.slots = declared.value("slots", 0);
  def.error = declared.value("error", "");
  if (def.init == InitStyle::multi_phase) {
    def.multiple_interpreters = parse_multiple_interpreters(declared.value("multiple_interpreters", "other"))
                                    .value_or(MultipleInterpreters::other);
    def.gil = parse_gil_declaration(declared.value("gil", "other")).value_or(GilDeclaration::other);
  } else if (def.init == InitStyle::single_phase) {
    // A single-phase module has no slots: CPython treats it as supporting neither.
    def.multiple_interpreters = MultipleInterpreters::absent;
    def.gil = GilDeclaration::absent;
  }
  return def;
}

std::optional<bool> optional_bool(const json& answer, const char* key) {
  auto it = answer.find(key);
  if (it == answer.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

// The outcome, and for outcome `error` why: the host's message, or that the outcome is not
// one this runner knows (a protocol problem is never read as a pass).
void read_outcome(const json& answer, ProbeResult& result) {
  const std::string outcome = answer.value("outcome", "error");
  const std::optional<ProbeOutcome> known = parse_probe_outcome(outcome);
  result.outcome = known.value_or(ProbeOutcome::error);
  if (!known) {
    result.error = "the probe host answered with an unknown outcome '" + outcome.substr(0, 40) + "'";
  } else if (result.outcome == ProbeOutcome::error) {
    result.error = answer.value("message", "the probe host could not run the probe");
  }
}

// The hello's "sandbox" object: what every probe child gets.
void read_sandbox(const json& hello, SandboxReport& sandbox) {
  const json described = hello.value("sandbox", json::object());
  sandbox.level = described.is_object() ? described.value("level", "") : "";
  sandbox.isolation =
      described.is_object() ? described.value("isolation", std::vector<std::string>{}) : std::vector<std::string>{};
  sandbox.problems =
      described.is_object() ? described.value("problems", std::vector<std::string>{}) : std::vector<std::string>{};
  if (sandbox.level.empty()) {
    sandbox.level = "none";
    sandbox.problems.emplace_back("the probe host did not describe its sandbox");
  }
  if (sandbox.level != "none") sandbox.network = "isolated (a network namespace per probe)";
}

}  // namespace

std::string request_line(const ProbeRequest& request, long long id) {
  json line = {{"id", id},
               {"probe", to_string(request.probe)},
               {"module", request.module},
               {"file", request.file.string()},
               {"sys_path", json::array()},
               {"timeout_ms", request.timeout.count()}};
  for (const std::filesystem::path& entry : request.sys_path) line["sys_path"].push_back(entry.string());
  if (request.probe == ProbeKind::stress) {
    line["stress"] = {{"threads", request.stress_threads}, {"cycles", request.stress_cycles}};
  }
  return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<ProbeResult> parse_answer_line(const std::string& line, long long* id) {
  json answer = json::parse(line, nullptr, false);
  if (!answer.is_object() || !answer.contains("id") || !answer["id"].is_number_integer()) return std::nullopt;
  *id = answer["id"].get<long long>();
  try {
    ProbeResult result;
    // The host echoes the request's kind; HostSession sets it from the request it matched by
    // id anyway, so an answer without one is not refused for that.
    result.probe = parse_probe_kind(answer.value("probe", "")).value_or(ProbeKind::main);
    read_outcome(answer, result);
    result.signal = answer.value("signal", 0);
    result.exit_code = answer.value("exit_code", 0);
    result.during = answer.value("during", "");
    result.elapsed = std::chrono::milliseconds(answer.value("elapsed_ms", 0LL));
    for (const json& step : answer.value("steps", json::array())) result.steps.push_back(step_from_json(step));
    result.shared_objects = answer.value("shared_objects", std::vector<std::string>{});
    result.gil_before = optional_bool(answer, "gil_before");
    result.gil_after = optional_bool(answer, "gil_after");
    result.rss_kb = answer.value("rss_kb", std::vector<long>{});
    result.heap_kb = answer.value("heap_kb", std::vector<long>{});
    if (std::any_of(result.heap_kb.begin(), result.heap_kb.end(), [](long kb) { return kb < 0; }))
      result.heap_kb.clear();
    if (auto declared = answer.find("declared"); declared != answer.end() && declared->is_object())
      result.declared = declared_from_json(*declared);
    result.output = answer.value("output", "");
    result.output_truncated = answer.value("output_truncated", false);
    return result;
  } catch (const json::exception& error) {
    // An answer for a known id that does not read: an error for that probe at once (the
    // host validates what its children write, so this is a host bug, not a module's).
    ProbeResult result;
    const json& kind = answer["probe"];
    result.probe =
        kind.is_string() ? parse_probe_kind(kind.get<std::string>()).value_or(ProbeKind::main) : ProbeKind::main;
    result.outcome = ProbeOutcome::error;
    result.error = std::string("the probe host's answer does not read: ") + error.what();
    return result;
  }
}

std::string check_hello_line(const std::string& line, SandboxReport& sandbox) {
  const json hello = json::parse(line, nullptr, false);
  if (!hello.is_object() || hello.value("hello", "") != "subcheck-probe-host") {
    return "its first line is not a hello: " + line.substr(0, 200);
  }
  try {
    const int protocol = hello.value("protocol", 0);
    if (protocol != kHostProtocolVersion) {
      return "it speaks protocol " + std::to_string(protocol) + ", not " + std::to_string(kHostProtocolVersion);
    }
    sandbox.limits = hello.value("limits", std::vector<std::string>{});
  } catch (const json::exception& error) {
    return std::string("its hello line is malformed: ") + error.what();
  }
  try {
    read_sandbox(hello, sandbox);
  } catch (const json::exception&) {
    return "its hello describes the sandbox in a form subcheck does not read";
  }
  return {};
}

}  // namespace subcheck::prober
