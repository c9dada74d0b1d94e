// The line protocol between the runner and the probe host (docs/prober.md, "Host
// protocol"): one JSON object per line each way. Strings of the vocabulary (probe kinds,
// outcomes) exist only here, where lines are written and read.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/vocabulary.h"
#include "prober/prober.h"

namespace subcheck::prober {

// The protocol version the host must announce in its hello line.
inline constexpr int kHostProtocolVersion = 1;

// One request to the probe host.
struct ProbeRequest {
  ProbeKind probe = ProbeKind::main;
  std::string module;                           // dotted import name
  std::filesystem::path file;                   // the .so, for the load-by-file fallback; may be empty
  std::vector<std::filesystem::path> sys_path;  // put first on sys.path
  std::chrono::milliseconds timeout{20000};
  unsigned stress_threads = 4;
  unsigned stress_cycles = 3;
};

// The request as one protocol line, without the newline.
std::string request_line(const ProbeRequest& request, long long id);

// One answer line of the host; nullopt when it is not an answer (not JSON, no numeric id).
// An outcome this runner does not know, or an answer whose fields do not read, is read as
// outcome `error` with the reason (at once: a malformed record is never a timeout).
std::optional<ProbeResult> parse_answer_line(const std::string& line, long long* id);

// The host's first line: empty when it is a hello in our protocol version, else what is
// wrong with it. What the hello says of the probes' sandbox (the rlimits, the isolation
// level, what is in force and what failed) goes to `sandbox`; a sandbox that is not
// "none" also sets its `network`.
std::string check_hello_line(const std::string& line, SandboxReport& sandbox);

}  // namespace subcheck::prober
