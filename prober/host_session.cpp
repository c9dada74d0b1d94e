// The host session (host_session.h): starting the host and waiting for its hello, sending
// requests at most `jobs` at a time, matching answers to requests, and what happens when
// the host dies or hangs.
#include "prober/host_session.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "core/interrupt.h"
#include "prober/host_build.h"
#include "prober/host_process.h"
#include "prober/seccomp_policy.h"

namespace subcheck::prober {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kHelloTimeout{60};  // Python start-up on a loaded machine
constexpr std::chrono::seconds kAnswerGrace{15};   // beyond a probe's own time limit
constexpr int kMaxHostStarts = 40;
constexpr std::size_t kStderrTail = 2000;

fs::path make_temp_dir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temp directory " + pattern + ": " + std::strerror(errno));
  }
  return pattern;
}

ProbeResult error_result(const ProbeRequest& request, const std::string& why) {
  ProbeResult result;
  result.probe = request.probe;
  result.outcome = ProbeOutcome::error;
  result.error = why;
  return result;
}

// The probe that was alone on a host that died or hung: what the parent saw is a crash of
// that probe (a probe can kill the process it runs in, and where the sandbox is weaker,
// its host), never a probe that "could not run".
ProbeResult host_death_result(const ProbeRequest& request, const std::string& why, int host_status) {
  ProbeResult result;
  result.probe = request.probe;
  result.outcome = ProbeOutcome::crash;
  result.signal = WIFSIGNALED(host_status) ? WTERMSIG(host_status) : 0;
  result.exit_code = WIFEXITED(host_status) ? WEXITSTATUS(host_status) : 0;
  result.during = "the probe host";
  result.output = "the probe host " + why + " while running only this probe";
  return result;
}

}  // namespace

struct HostSession::Impl {
  const Interpreter& interpreter;
  HostCommand command;
  fs::path scratch;  // home/, tmp/, probes/, host-stderr.log
  SandboxReport sandbox;
  std::vector<std::string> problems;
  HostProcess process;
  int starts = 0;
  long long next_id = 1;
  std::string last_start_failure;

  Impl(fs::path host, const Interpreter& interp, unsigned jobs) : interpreter(interp) {
    scratch = make_temp_dir("subcheck-probe");
    for (const char* dir : {"home", "tmp", "probes"}) fs::create_directories(scratch / dir);
    command.host = std::move(host);
    command.python = interpreter.executable;
    command.jobs = std::max(1u, jobs);
    command.probes_dir = scratch / "probes";
    command.home = scratch / "home";
    command.tmp = scratch / "tmp";
    command.stderr_log = scratch / "host-stderr.log";
  }

  ~Impl() {
    process.stop();
    std::error_code ignored;
    fs::remove_all(scratch, ignored);
  }

  std::string stderr_tail() const {
    std::string tail = process.stderr_tail(kStderrTail);
    return tail.empty() ? "" : "; its stderr ends with: " + tail;
  }

  // Spawns the host (only the one whose build was recorded and verified: host_build.h) and
  // waits for its hello line. False (last_start_failure set) when it does not come up.
  bool start() {
    ++starts;
    if (std::string why; !host_matches_record(command.host, &why)) {
      return start_failed("the probe host " + command.host.string() +
                          " is not the one that was built and verified: " + why);
    }
    command.extra_args.clear();
    if (const fs::path filter = seccomp_filter(); !filter.empty()) {
      command.extra_args.insert(command.extra_args.end(), {"--seccomp", filter.string()});
    }
    // Only ever weakens the sandbox, and the hello then says so: for tests of the fallback.
    if (const char* wanted = std::getenv("SUBCHECK_PROBE_SANDBOX"); wanted && std::string_view(wanted) == "none") {
      command.extra_args.insert(command.extra_args.end(), {"--sandbox", "none"});
    }
    if (std::string why = process.spawn(command, sandbox.network); !why.empty()) return start_failed(why);
    return await_hello();
  }

  // The probe children's seccomp filter, written once per session; empty (and a problem
  // recorded) when libseccomp cannot make it.
  fs::path seccomp_filter() {
    fs::path file = scratch / "seccomp.bpf";
    std::error_code ec;
    if (fs::exists(file, ec)) return file;
    try {
      write_probe_seccomp_filter(file);
      return file;
    } catch (const std::exception& error) {
      if (std::find(problems.begin(), problems.end(), error.what()) == problems.end())
        problems.emplace_back(error.what());
      return {};
    }
  }

  bool start_failed(const std::string& why) {
    last_start_failure = "the probe host for CPython " + interpreter.version + " did not start: " + why;
    problems.push_back(last_start_failure);
    return false;
  }

  bool await_hello() {
    const auto deadline = Clock::now() + kHelloTimeout;
    while (Clock::now() < deadline) {
      if (interrupt_signal() != 0) {
        process.reap(true);
        return start_failed(std::string("interrupted by ") + signal_name(interrupt_signal()));
      }
      std::string line;
      if (process.take_line(line)) {
        if (std::string wrong = check_hello_line(line, sandbox); !wrong.empty()) {
          process.reap(true);
          return start_failed(wrong);
        }
        return true;
      }
      if (!process.wait_readable(deadline)) {
        const std::string status = process.reap(false);
        return start_failed("it " + status + " before saying hello" + stderr_tail());
      }
    }
    process.reap(true);
    return start_failed("no hello within " + std::to_string(kHelloTimeout.count()) + " s" + stderr_tail());
  }
};

namespace {

struct InFlight {
  std::size_t index;
  Clock::time_point deadline;
};

// One HostSession::run: which requests wait, which run on the host, which are suspects (in
// flight when the host died with others: retried one at a time), and their results.
class Exchange {
 public:
  Exchange(HostSession::Impl& session, const std::vector<ProbeRequest>& requests, const HostSession::Progress& progress)
      : session_(session), requests_(requests), progress_(progress), results_(requests.size()) {
    for (std::size_t i = 0; i < requests.size(); ++i) pending_.push_back(i);
  }

  std::vector<ProbeResult> run() {
    while (!pending_.empty() || !suspects_.empty() || !in_flight_.empty()) {
      if (interrupt_signal() != 0) {
        stop_for_interrupt();
        break;
      }
      if (!session_.process.alive() && !restart()) break;
      dispatch();
      if (!session_.process.flush()) {
        host_lost("died (" + session_.process.reap(false) + ")");
        continue;
      }
      exchange_once();
    }
    std::vector<ProbeResult> out;
    out.reserve(results_.size());
    for (std::size_t i = 0; i < results_.size(); ++i) {
      out.push_back(results_[i] ? std::move(*results_[i]) : error_result(requests_[i], "no answer"));
    }
    return out;
  }

 private:
  void finish(std::size_t index, ProbeResult result) {
    result.probe = requests_[index].probe;  // an answer is to the request with its id
    results_[index] = std::move(result);
    if (progress_) progress_(requests_[index], *results_[index]);
  }

  void send(std::size_t index) {
    const long long id = session_.next_id++;
    session_.process.queue(request_line(requests_[index], id) + "\n");
    in_flight_[id] = {index, Clock::now() + requests_[index].timeout + kAnswerGrace};
  }

  // SIGINT or SIGTERM (core/interrupt.h): the host and every probe child it runs are
  // killed at once (the children die with the host: docs/security.md), and every request
  // still open is an error that says so. Nothing is started after it.
  void stop_for_interrupt() {
    const std::string signal = subcheck::signal_name(interrupt_signal());
    if (session_.process.alive()) {
      session_.process.reap(true);
      session_.problems.push_back("the probe host for CPython " + session_.interpreter.version +
                                  " was killed: interrupted by " + signal + " with " +
                                  std::to_string(in_flight_.size()) + " probes in flight");
    }
    const std::string why = std::string(kInterruptedProbe) + signal;
    fail_open_requests(why);
  }

  void fail_open_requests(const std::string& why) {
    for (auto& [id, flight] : in_flight_) finish(flight.index, error_result(requests_[flight.index], why));
    for (std::size_t index : suspects_) finish(index, error_result(requests_[index], why));
    for (std::size_t index : pending_) finish(index, error_result(requests_[index], why));
    in_flight_.clear();
    suspects_.clear();
    pending_.clear();
  }

  // A new host, or every request still open fails with the reason there is none.
  bool restart() {
    if (session_.starts < kMaxHostStarts && session_.start()) return true;
    const std::string why = session_.starts >= kMaxHostStarts && session_.last_start_failure.empty()
                                ? "the probe host died " + std::to_string(session_.starts) + " times; giving up"
                                : session_.last_start_failure;
    fail_open_requests(why);
    return false;
  }

  // Suspects go alone on the host; otherwise up to `jobs` requests are in flight.
  void dispatch() {
    if (in_flight_.empty()) solo_ = !suspects_.empty();
    if (solo_ && in_flight_.empty()) {
      send(suspects_.front());
      suspects_.pop_front();
    } else if (!solo_) {
      while (in_flight_.size() < session_.command.jobs && !pending_.empty()) {
        send(pending_.front());
        pending_.pop_front();
      }
    }
  }

  // The host died or hung: a probe that was alone on it is the culprit (a crash, or a
  // timeout when the host hung); the others go back, to be retried one at a time.
  void host_lost(const std::string& why, bool hung = false) {
    session_.problems.push_back("the probe host for CPython " + session_.interpreter.version + " " + why +
                                session_.stderr_tail() +
                                (in_flight_.empty() ? "" : "; probes in flight: " + std::to_string(in_flight_.size())));
    const bool culprit_known = solo_ || in_flight_.size() == 1;
    for (auto& [id, flight] : in_flight_) {
      if (culprit_known) {
        ProbeResult lost = host_death_result(requests_[flight.index], why, session_.process.last_status());
        if (hung) lost.outcome = ProbeOutcome::timeout;
        finish(flight.index, std::move(lost));
      } else {
        suspects_.push_back(flight.index);
      }
    }
    in_flight_.clear();
  }

  // Waits (at most a second, or until the nearest deadline) for the host, takes its
  // answers, and notices its death or a probe over its deadline.
  void exchange_once() {
    HostProcess& process = session_.process;
    Clock::time_point deadline = Clock::now() + std::chrono::seconds(1);
    for (const auto& [id, flight] : in_flight_) deadline = std::min(deadline, flight.deadline);
    // The interrupt descriptor wakes the wait when SIGINT/SIGTERM comes (-1 is ignored).
    pollfd fds[3] = {{process.from_host(), POLLIN, 0},
                     {process.to_host(), static_cast<short>(process.has_pending_output() ? POLLOUT : 0), 0},
                     {interrupt_fd(), POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    int ready = ::poll(fds, 3, static_cast<int>(std::max<long long>(0, left)));
    if (ready < 0 && errno != EINTR) {
      const std::string why = std::strerror(errno);
      process.reap(true);
      host_lost("could not be polled (" + why + ") and was killed");
      return;
    }
    bool open = true;
    if (ready > 0 && fds[0].revents) open = process.read_available();
    take_answers();
    if (!open) {
      host_lost("died (" + process.reap(false) + ")");
      return;
    }
    const auto now = Clock::now();
    if (std::any_of(in_flight_.begin(), in_flight_.end(), [&](const auto& f) { return now >= f.second.deadline; })) {
      process.reap(true);
      host_lost("did not answer in time and was killed", true);
    }
  }

  void take_answers() {
    for (std::string line; session_.process.take_line(line);) {
      long long id = 0;
      std::optional<ProbeResult> result = parse_answer_line(line, &id);
      auto flight = result ? in_flight_.find(id) : in_flight_.end();
      if (flight == in_flight_.end()) {
        session_.problems.push_back("unexpected line from the probe host: " + line.substr(0, 200));
        continue;
      }
      finish(flight->second.index, std::move(*result));
      in_flight_.erase(flight);
    }
  }

  HostSession::Impl& session_;
  const std::vector<ProbeRequest>& requests_;
  const HostSession::Progress& progress_;
  std::vector<std::optional<ProbeResult>> results_;
  std::deque<std::size_t> pending_, suspects_;
  std::map<long long, InFlight> in_flight_;
  bool solo_ = false;  // what is in flight is a suspect, alone on the host
};

}  // namespace

HostSession::HostSession(fs::path host, const Interpreter& interpreter, unsigned jobs)
    : impl_(std::make_unique<Impl>(std::move(host), interpreter, jobs)) {}

HostSession::~HostSession() = default;

std::vector<ProbeResult> HostSession::run(const std::vector<ProbeRequest>& requests, const Progress& progress) {
  return Exchange(*impl_, requests, progress).run();
}

const SandboxReport& HostSession::sandbox() const { return impl_->sandbox; }
const std::vector<std::string>& HostSession::problems() const { return impl_->problems; }
int HostSession::host_pid() const { return impl_->process.pid(); }

}  // namespace subcheck::prober
