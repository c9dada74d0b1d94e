// Finding CPython interpreters and asking each to describe itself: one query for the
// analyzer (headers, numpy) and the prober (suffixes, library paths, site-packages).
#include "core/interpreter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <future>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/process.h"

namespace subcheck {
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kQueryTimeout{10};
constexpr std::size_t kMaxCapturedOutput = 1 << 20;
constexpr int kOldestMinor = kOldestSupportedMinor;

// ---------------------------------------------------------------------------------------
// Running a program directly (no shell) with a time limit

using RunOutcome = ProcessOutcome;

RunOutcome run_captured(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  return run_process(argv, {.timeout = timeout, .max_output = kMaxCapturedOutput});
}

// ---------------------------------------------------------------------------------------
// Asking an interpreter about itself

// The answer follows a marker, so that anything else printed cannot be taken for it.
// Written for any Python 3, so that an old interpreter is refused with its version.
constexpr std::string_view kMarker = "SUBCHECK-INTERPRETER:";
constexpr const char* kQueryScript = R"(import sys, sysconfig, json, importlib.machinery
info = {
    "implementation": sys.implementation.name,
    "version_info": list(sys.version_info[:3]),
    "executable": sys.executable,
    "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
    "soabi": sysconfig.get_config_var("SOABI") or "",
    "extension_suffixes": list(importlib.machinery.EXTENSION_SUFFIXES),
    "include": sysconfig.get_config_var("INCLUDEPY") or "",
    "libdir": sysconfig.get_config_var("LIBDIR") or "",
    "ldlibrary": sysconfig.get_config_var("LDLIBRARY") or "",
    "shared": bool(sysconfig.get_config_var("Py_ENABLE_SHARED")),
    "dynload": sysconfig.get_path("platstdlib") + "/lib-dynload",
    "purelib": sysconfig.get_path("purelib"),
    "include_path": sysconfig.get_path("include"),
    "numpy_include": None,
    "site_dirs": [],
}
try:
    import importlib.util, os, site
    info["site_dirs"] = [str(p) for p in site.getsitepackages()]
    for p in info["site_dirs"]:
        if p not in sys.path:
            sys.path.append(p)
    spec = importlib.util.find_spec("numpy")
    if spec and spec.submodule_search_locations:
        for sub in ("_core", "core"):
            candidate = os.path.join(list(spec.submodule_search_locations)[0], sub, "include")
            if os.path.isdir(os.path.join(candidate, "numpy")):
                info["numpy_include"] = candidate
                break
except Exception:
    pass
sys.stdout.write("\nSUBCHECK-INTERPRETER:" + json.dumps(info) + "\n")
)";

using Inspection = InterpreterInspection;

Inspection refused(std::string problem) { return Inspection{std::nullopt, std::move(problem)}; }

std::string describe_failure(const fs::path& program, const RunOutcome& run) {
  if (!run.spawn_error.empty()) return "cannot run " + program.string() + ": " + run.spawn_error;
  if (run.timed_out) {
    return program.string() + " did not answer within " + std::to_string(kQueryTimeout.count()) + " s";
  }
  if (WIFSIGNALED(run.status))
    return program.string() + " was killed by signal " + std::to_string(WTERMSIG(run.status));
  return program.string() + " exited with status " + std::to_string(WEXITSTATUS(run.status)) +
         " (not a Python 3 interpreter?)";
}

Interpreter interpreter_from(const nlohmann::json& info, const fs::path& program) {
  const auto& version = info.at("version_info");
  Interpreter interpreter;
  auto executable = info.at("executable").get<std::string>();
  interpreter.executable = fs::path(executable).is_absolute() ? fs::path(executable) : program;
  interpreter.version = std::to_string(version.at(0).get<int>()) + "." + std::to_string(version.at(1).get<int>()) +
                        "." + std::to_string(version.at(2).get<int>());
  interpreter.free_threaded = info.at("gil_disabled").get<bool>();
  interpreter.implementation_tag = std::to_string(version.at(0).get<int>()) + "." +
                                   std::to_string(version.at(1).get<int>()) + (interpreter.free_threaded ? "t" : "");
  interpreter.soabi = info.at("soabi").get<std::string>();
  interpreter.extension_suffixes = info.at("extension_suffixes").get<std::vector<std::string>>();
  interpreter.include_dir = info.at("include_path").get<std::string>();
  interpreter.library_dir = info.at("libdir").get<std::string>();
  if (info.at("shared").get<bool>()) interpreter.library = info.at("ldlibrary").get<std::string>();
  interpreter.dynload_dir = fs::path(info.at("dynload").get<std::string>()).lexically_normal();
  interpreter.purelib = info.at("purelib").get<std::string>();
  if (info.contains("site_dirs") && info["site_dirs"].is_array()) {
    for (const auto& dir : info["site_dirs"])
      if (dir.is_string()) interpreter.other_site_dirs.emplace_back(dir.get<std::string>());
  }
  if (info.at("numpy_include").is_string())
    interpreter.numpy_include = fs::path(info.at("numpy_include").get<std::string>());
  return interpreter;
}

Inspection parse_description(const std::string& output, const fs::path& program) {
  std::size_t marker = output.rfind(kMarker);
  if (marker == std::string::npos) return refused(program.string() + " printed no interpreter description");
  auto info = nlohmann::json::parse(output.substr(marker + kMarker.size()), nullptr, /*allow_exceptions=*/false);
  if (!info.is_object()) return refused(program.string() + " printed an unreadable interpreter description");
  try {
    auto implementation = info.at("implementation").get<std::string>();
    const auto& version = info.at("version_info");
    int major = version.at(0).get<int>(), minor = version.at(1).get<int>();
    if (implementation != "cpython") return refused(program.string() + " is " + implementation + ", not CPython");
    if (major != 3 || minor < kOldestMinor) {
      return refused(program.string() + " is CPython " + std::to_string(major) + "." + std::to_string(minor) +
                     "; subcheck needs 3." + std::to_string(kOldestMinor) + " or newer");
    }
    return Inspection{interpreter_from(info, program), {}};
  } catch (const nlohmann::json::exception& error) {
    return refused(program.string() + " printed an incomplete interpreter description: " + error.what());
  }
}

Inspection inspect(const fs::path& asked_for) {
  fs::path program = asked_for;
  if (!asked_for.has_parent_path()) {
    std::optional<fs::path> found = find_in_path(asked_for.string());
    if (!found) return refused(asked_for.string() + ": not found on PATH");
    program = *found;
  }
  if (!is_executable_file(program)) return refused(program.string() + " is not an executable file");
  RunOutcome run = run_captured({program.string(), "-I", "-S", "-c", kQueryScript}, kQueryTimeout);
  if (!run.spawn_error.empty() || run.timed_out || !WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0) {
    return refused(describe_failure(program, run));
  }
  return parse_description(run.output, program);
}

// ---------------------------------------------------------------------------------------
// Where interpreters live

fs::path real_path(const fs::path& path) {
  std::error_code ec;
  fs::path resolved = fs::canonical(path, ec);
  return ec ? fs::absolute(path).lexically_normal() : resolved;
}

// A pyenv or cache directory named like a version older than 3.12 is not worth running.
bool named_too_old(const std::string& name) {
  std::vector<int> version = leading_version(name);
  return version.size() >= 2 && (version[0] < 3 || (version[0] == 3 && version[1] < kOldestMinor));
}

// python3.12 ... python3.14t, python3.15 and later too.
bool is_versioned_python_name(const std::string& name) {
  static const std::regex kName(R"(^python3\.(\d+)t?$)");
  std::smatch match;
  return std::regex_match(name, match, kName) && std::stoi(match[1].str()) >= kOldestMinor;
}

// Free-threaded builds install python3.13t (and python3t) next to or instead of python3.
std::vector<fs::path> pythons_in_bin(const fs::path& bin) {
  std::vector<fs::path> found;
  if (is_executable_file(bin / "python3")) found.push_back(bin / "python3");
  static const std::regex kFreeThreaded(R"(^python3(\.\d+)?t$)");
  std::vector<fs::path> others;
  std::error_code ec;
  for (fs::directory_iterator it(bin, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (std::regex_match(name, kFreeThreaded) && is_executable_file(it->path())) others.push_back(it->path());
  }
  std::sort(others.begin(), others.end());
  found.insert(found.end(), others.begin(), others.end());
  return found;
}

// <parent>/*/bin/python3 (and free-threaded names), directory names sorted.
std::vector<fs::path> pythons_under(const fs::path& parent) {
  std::vector<fs::path> installs;
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    if (!named_too_old(it->path().filename().string())) installs.push_back(it->path());
  }
  std::sort(installs.begin(), installs.end());
  std::vector<fs::path> pythons;
  for (const fs::path& install : installs) {
    for (fs::path& python : pythons_in_bin(install / "bin")) pythons.push_back(std::move(python));
  }
  return pythons;
}

// pyenv's shims are shell scripts that run whichever version is selected; the versions
// themselves are found directly, so running each shim would only cost time.
std::vector<fs::path> pythons_on_path() {
  const fs::path shims = real_path(pyenv_root() / "shims");
  std::vector<fs::path> pythons;
  for (const fs::path& dir : path_directories()) {
    if (real_path(dir) == shims) continue;
    std::vector<fs::path> here;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      if ((name == "python3" || is_versioned_python_name(name)) && is_executable_file(it->path())) {
        here.push_back(it->path());
      }
    }
    std::sort(here.begin(), here.end());
    pythons.insert(pythons.end(), here.begin(), here.end());
  }
  return pythons;
}

// Which file a path ends at: python3 is usually a symlink to python3.X, and a
// free-threaded install's python3.13 and python3.13t are hard links to one file.
std::pair<dev_t, ino_t> file_identity(const fs::path& path) {
  struct stat status{};
  if (::stat(path.c_str(), &status) != 0) return {0, 0};
  return {status.st_dev, status.st_ino};
}

// A virtual environment's python is a link to its base interpreter but has its own
// site-packages: <venv>/bin/python3 with <venv>/pyvenv.cfg.
fs::path virtual_environment_of(const fs::path& python) {
  fs::path root = python.parent_path().parent_path();
  std::error_code ec;
  return fs::exists(root / "pyvenv.cfg", ec) ? root : fs::path();
}

// Each distinct installation once, in search order.
std::vector<fs::path> default_candidates() {
  std::vector<fs::path> all = pythons_on_path();
  for (fs::path& python : pythons_under(pyenv_root() / "versions")) all.push_back(std::move(python));
  for (fs::path& python : pythons_under(subcheck_cache() / "cpython")) all.push_back(std::move(python));
  std::vector<fs::path> distinct;
  std::set<std::pair<std::pair<dev_t, ino_t>, fs::path>> seen;
  for (fs::path& python : all) {
    if (seen.insert({file_identity(python), virtual_environment_of(python)}).second)
      distinct.push_back(std::move(python));
  }
  return distinct;
}

// Runs the interpreters at once: each start-up is mostly waiting.
std::vector<Inspection> inspect_all(const std::vector<fs::path>& programs) {
  std::vector<std::future<Inspection>> pending;
  for (const fs::path& program : programs) pending.push_back(std::async(std::launch::async, inspect, program));
  std::vector<Inspection> inspections;
  for (auto& future : pending) inspections.push_back(future.get());
  return inspections;
}

bool version_less(const std::string& a, const std::string& b) { return leading_version(a) < leading_version(b); }

// Oldest version first; at one version the GIL build before the free-threaded one.
void sort_interpreters(std::vector<Interpreter>& interpreters) {
  std::stable_sort(interpreters.begin(), interpreters.end(), [](const Interpreter& a, const Interpreter& b) {
    if (a.version != b.version) return version_less(a.version, b.version);
    return !a.free_threaded && b.free_threaded;
  });
}

// One installation seen through two paths: the same file, or a copy that describes the
// same build and site-packages. (A virtual environment's python links to its base
// interpreter's file but has its own site-packages: it stays.)
bool same_installation(const Interpreter& a, const Interpreter& b) {
  if (a.purelib != b.purelib) return false;
  if (file_identity(a.executable) == file_identity(b.executable)) return true;
  return a.version == b.version && a.free_threaded == b.free_threaded && a.soabi == b.soabi &&
         a.dynload_dir == b.dynload_dir;
}

// Keeps the first of several descriptions of one interpreter.
void add_distinct(std::vector<Interpreter>& interpreters, Interpreter interpreter) {
  for (const Interpreter& known : interpreters) {
    if (same_installation(known, interpreter)) return;
  }
  interpreters.push_back(std::move(interpreter));
}

std::vector<Interpreter> discover_all() {
  std::vector<Interpreter> interpreters;
  for (Inspection& inspection : inspect_all(default_candidates())) {
    if (inspection.interpreter) add_distinct(interpreters, std::move(*inspection.interpreter));
  }
  sort_interpreters(interpreters);
  return interpreters;
}

// <parent>/*/bin/python3, newest version first: where the analyzer looks for headers.
std::vector<fs::path> newest_pythons_under(const fs::path& parent) {
  std::vector<fs::path> version_dirs;
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    version_dirs.push_back(it->path());
  }
  std::sort(version_dirs.begin(), version_dirs.end(), [](const fs::path& a, const fs::path& b) {
    auto va = leading_version(a.filename().string());
    auto vb = leading_version(b.filename().string());
    if (va != vb) return va > vb;
    return a.filename() < b.filename();
  });
  std::vector<fs::path> pythons;
  for (const fs::path& dir : version_dirs) {
    if (is_executable_file(dir / "bin" / "python3")) pythons.push_back(dir / "bin" / "python3");
  }
  return pythons;
}

std::vector<fs::path> header_candidates() {
  std::vector<fs::path> candidates;
  for (const char* name : {"python3.14t", "python3.14", "python3.13t", "python3.13", "python3.12", "python3"}) {
    if (auto found = find_in_path(name)) candidates.push_back(*found);
  }
  for (fs::path& python : newest_pythons_under(pyenv_root() / "versions")) candidates.push_back(std::move(python));
  for (fs::path& python : newest_pythons_under(subcheck_cache() / "cpython")) candidates.push_back(std::move(python));
  return candidates;
}

// ---------------------------------------------------------------------------------------
// What the user asked for

// "3.13t" (a tag) or "3.13.5" / "3.13.5t" (an exact version).
struct VersionRequest {
  std::string version_prefix;  // "3.13" or "3.13.5"
  bool free_threaded = false;
};

std::optional<VersionRequest> parse_version_request(const std::string& text) {
  static const std::regex kVersion(R"(^(3\.\d+(?:\.\d+)?)(t?)$)");
  std::smatch match;
  if (!std::regex_match(text, match, kVersion)) return std::nullopt;
  return VersionRequest{match[1].str(), match[2].length() > 0};
}

bool satisfies(const Interpreter& interpreter, const VersionRequest& request) {
  if (interpreter.free_threaded != request.free_threaded) return false;
  const std::string& version = interpreter.version;
  const std::string& prefix = request.version_prefix;
  return version == prefix || (version.size() > prefix.size() && version.compare(0, prefix.size(), prefix) == 0 &&
                               version[prefix.size()] == '.');
}

// The newest patch release among the matches; at a tie the one found first.
std::optional<Interpreter> best_match(const std::vector<Interpreter>& known, const VersionRequest& request) {
  const Interpreter* best = nullptr;
  for (const Interpreter& interpreter : known) {
    if (!satisfies(interpreter, request)) continue;
    if (best == nullptr || version_less(best->version, interpreter.version)) best = &interpreter;
  }
  return best ? std::optional<Interpreter>(*best) : std::nullopt;
}

class RequestResolver {
 public:
  // One interpreter for one --python value, or a problem saying why not.
  Inspection resolve(const std::string& request) {
    if (request.find('/') != std::string::npos) return inspect(fs::absolute(request));
    if (auto version = parse_version_request(request)) return by_version(request, *version);
    Inspection on_path = refused("--python " + request + ": not found on PATH");
    if (auto found = find_in_path(request)) {
      on_path = inspect(*found);
      if (on_path.interpreter) return on_path;
    }
    // "python3.13t" that is not on PATH (or is a pyenv shim for a version not selected)
    // but lives in pyenv or the toolchain cache.
    static const std::regex kPythonName(R"(^python(3\.\d+t?)$)");
    std::smatch match;
    if (std::regex_match(request, match, kPythonName)) {
      Inspection by_tag = by_version(request, *parse_version_request(match[1].str()));
      if (by_tag.interpreter) return by_tag;
    }
    return on_path;
  }

 private:
  Inspection by_version(const std::string& request, const VersionRequest& version) {
    if (!known_) known_ = discover_all();
    if (auto match = best_match(*known_, version)) return Inspection{std::move(match), {}};
    std::string found;
    for (const Interpreter& interpreter : *known_) {
      found +=
          (found.empty() ? "" : ", ") + interpreter.implementation_tag + " (" + interpreter.executable.string() + ")";
    }
    return refused("--python " + request + ": no such interpreter found on PATH, in pyenv or in " +
                   (subcheck_cache() / "cpython").string() + "; found: " + (found.empty() ? "none" : found));
  }

  std::optional<std::vector<Interpreter>> known_;
};

}  // namespace

bool Interpreter::has_headers() const {
  std::error_code ec;
  return fs::is_regular_file(include_dir / "Python.h", ec);
}

std::vector<fs::path> Interpreter::site_dirs() const {
  std::vector<fs::path> dirs{purelib.lexically_normal()};
  for (const fs::path& dir : other_site_dirs) {
    const fs::path normal = dir.lexically_normal();
    if (std::find(dirs.begin(), dirs.end(), normal) == dirs.end()) dirs.push_back(normal);
  }
  return dirs;
}

InterpreterInspection inspect_interpreter_verbose(const fs::path& executable) { return inspect(executable); }

std::optional<Interpreter> inspect_interpreter(const fs::path& executable) { return inspect(executable).interpreter; }

std::optional<Interpreter> find_default_python() {
  std::optional<Interpreter> free_threaded_fallback;
  std::set<fs::path> tried;
  for (const fs::path& candidate : header_candidates()) {
    if (!tried.insert(real_path(candidate)).second) continue;
    std::optional<Interpreter> interpreter = inspect(candidate).interpreter;
    if (!interpreter || !interpreter->has_headers()) continue;
    if (!interpreter->free_threaded) return interpreter;
    if (!free_threaded_fallback) free_threaded_fallback = std::move(interpreter);
  }
  return free_threaded_fallback;
}

std::vector<Interpreter> find_interpreters(const std::vector<std::string>& requested,
                                           std::vector<std::string>* problems) {
  if (requested.empty()) {
    std::vector<Interpreter> found = discover_all();
    if (found.empty() && problems != nullptr) {
      problems->push_back("no CPython 3." + std::to_string(kOldestMinor) + " or newer found on PATH, in " +
                          (pyenv_root() / "versions").string() + " or in " + (subcheck_cache() / "cpython").string());
    }
    return found;
  }
  std::vector<Interpreter> interpreters;
  RequestResolver resolver;
  for (const std::string& request : requested) {
    Inspection inspection = resolver.resolve(request);
    if (inspection.interpreter) {
      add_distinct(interpreters, std::move(*inspection.interpreter));
    } else if (problems != nullptr) {
      problems->push_back(inspection.problem);
    }
  }
  sort_interpreters(interpreters);
  return interpreters;
}

}  // namespace subcheck
