// Compiles the embedded probe host for one interpreter and caches the binary.
#include "prober/host_build.h"
#include "core/process.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

namespace subcheck::prober {

// Generated from prober/host/probe_host.c (prober/CMakeLists.txt, embed_host.cmake).
std::string_view embedded_host_source();

namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kQueryTimeout{30};
constexpr std::chrono::seconds kCompileTimeout{300};
constexpr std::size_t kMaxCapturedOutput = std::size_t{256} * 1024;

using CommandResult = ProcessOutcome;

// Runs argv (PATH searched for argv[0], no shell), stdout and stderr captured together.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  return run_process(argv,
                     {.timeout = timeout, .merge_stderr = true, .search_path = true, .max_output = kMaxCapturedOutput});
}

std::string describe(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& arg : argv) text += (text.empty() ? "" : " ") + arg;
  return text;
}

std::string failure_text(const std::vector<std::string>& argv, const CommandResult& result) {
  std::string text = "`" + describe(argv) + "` ";
  if (!result.spawn_error.empty()) return text + "could not be started: " + result.spawn_error;
  if (result.timed_out) return text + "did not finish in time";
  if (WIFSIGNALED(result.status))
    text += "was killed by signal " + std::to_string(WTERMSIG(result.status));
  else
    text += "failed with exit status " + std::to_string(WEXITSTATUS(result.status));
  return result.output.empty() ? text : text + ":\n" + result.output;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// The config script for this interpreter, when it has one: python3.13t-config for 3.13t.
std::optional<fs::path> config_script(const Interpreter& interpreter) {
  const fs::path bin = interpreter.executable.parent_path();
  for (const std::string& name : {interpreter.executable.filename().string() + "-config",
                                  "python" + interpreter.implementation_tag + "-config"}) {
    std::error_code ec;
    if (fs::is_regular_file(bin / name, ec) && ::access((bin / name).c_str(), X_OK) == 0) return bin / name;
  }
  return std::nullopt;
}

// The library to link, as linker words: a static libpython goes in whole, so that every
// symbol an extension module needs is there to export.
std::vector<std::string> python_library_words(const std::string& libdir, const std::string& ldlibrary,
                                              const std::string& fallback) {
  if (ldlibrary.size() > 2 && ldlibrary.ends_with(".a")) {
    return {"-Wl,--whole-archive", (fs::path(libdir) / ldlibrary).string(), "-Wl,--no-whole-archive"};
  }
  if (ldlibrary.starts_with("lib") && ldlibrary.find(".so") != std::string::npos) {
    return {"-l" + ldlibrary.substr(3, ldlibrary.find(".so") - 3)};
  }
  return {fallback};
}

constexpr const char* kSysconfigQuery = R"(import sys, sysconfig, json
names = ["INCLUDEPY", "LIBDIR", "LDLIBRARY", "LIBS", "SYSLIBS", "VERSION", "ABIFLAGS", "LIBPL"]
sys.stdout.write("\nSUBCHECK-SYSCONFIG:" + json.dumps({n: sysconfig.get_config_var(n) or "" for n in names}) + "\n")
)";

HostBuildFlags flags_from_sysconfig(const Interpreter& interpreter) {
  const std::vector<std::string> argv{interpreter.executable.string(), "-I", "-S", "-c", kSysconfigQuery};
  CommandResult result = run_command(argv, kQueryTimeout);
  const std::string marker = "SUBCHECK-SYSCONFIG:";
  std::size_t at = result.output.rfind(marker);
  if (!result.succeeded() || at == std::string::npos) {
    throw std::runtime_error("cannot read the build flags of " + interpreter.executable.string() + ": " +
                             failure_text(argv, result));
  }
  auto vars = nlohmann::json::parse(result.output.substr(at + marker.size()), nullptr, false);
  if (!vars.is_object()) throw std::runtime_error(interpreter.executable.string() + " printed unreadable sysconfig");
  auto var = [&](const char* name) { return vars.value(name, std::string()); };
  HostBuildFlags flags;
  flags.source_of_flags = "sysconfig of " + interpreter.executable.string();
  flags.compile = {"-I" + var("INCLUDEPY")};
  std::string libdir = var("LDLIBRARY").ends_with(".a") && !var("LIBPL").empty() ? var("LIBPL") : var("LIBDIR");
  flags.link = {"-L" + libdir};
  for (std::string& word :
       python_library_words(libdir, var("LDLIBRARY"), "-lpython" + var("VERSION") + var("ABIFLAGS"))) {
    flags.link.push_back(std::move(word));
  }
  for (const char* name : {"LIBS", "SYSLIBS"}) {
    for (std::string& word : split_words(var(name))) flags.link.push_back(std::move(word));
  }
  flags.link.push_back("-Wl,-rpath," + var("LIBDIR"));
  return flags;
}

HostBuildFlags flags_from_config_script(const Interpreter& interpreter, const fs::path& script) {
  HostBuildFlags flags;
  flags.source_of_flags = script.string();
  // --includes, not --cflags: the interpreter's own optimisation and warning flags may not
  // suit the compiler at hand, and the host needs none of them.
  for (const auto& [option, out] : {std::pair{"--includes", &flags.compile}, std::pair{"--ldflags", &flags.link}}) {
    std::vector<std::string> argv{script.string(), "--embed", option};
    CommandResult result = run_command(argv, kQueryTimeout);
    if (!result.succeeded()) throw std::runtime_error(failure_text(argv, result));
    *out = split_words(result.output);
  }
  if (interpreter.library.empty() || interpreter.library.ends_with(".a")) {
    // A static libpython: link all of it (see python_library_words).
    const std::string lib = "-lpython" + interpreter.implementation_tag;
    for (std::string& word : flags.link) {
      if (word == lib) word = "-Wl,--whole-archive," + lib + ",--no-whole-archive";
    }
  }
  if (!interpreter.library_dir.empty()) flags.link.push_back("-Wl,-rpath," + interpreter.library_dir.string());
  return flags;
}

std::string hex64(XXH64_hash_t value) {
  static const char* digits = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) text[static_cast<std::size_t>(i)] = digits[value & 0xF];
  return text;
}

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

bool is_executable(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

// dir/<stem>.<pid>.<n><extension>: a name no other process building at the same time uses.
fs::path unique_name(const fs::path& dir, const std::string& stem, const std::string& extension) {
  static std::atomic<unsigned> counter = 0;
  return dir / (stem + "." + std::to_string(::getpid()) + "." + std::to_string(++counter) + extension);
}

fs::path hash_record(const fs::path& host) { return host.parent_path() / "probe_host.sha256"; }

std::string read_record(const fs::path& record) {
  std::ifstream in(record);
  std::string text;
  in >> text;
  return text.size() == 64 ? text : std::string();
}

// The built host and its record, read-only; the folder writable by its owner alone.
void protect(const fs::path& host) {
  ::chmod(host.c_str(), 0555);
  ::chmod(hash_record(host).c_str(), 0444);
  ::chmod(host.parent_path().c_str(), 0755);
}

}  // namespace

fs::path cache_root() { return subcheck_cache(); }

std::string file_sha256(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  std::array<char, 1 << 16> chunk{};
  for (ssize_t got = 0; ok && (got = ::read(fd, chunk.data(), chunk.size())) != 0;) {
    if (got < 0 && errno == EINTR) continue;
    ok = got > 0 && EVP_DigestUpdate(ctx.get(), chunk.data(), static_cast<std::size_t>(got)) == 1;
  }
  ::close(fd);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (!ok || EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1) return {};
  static const char* digits = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += digits[digest[i] >> 4];
    hex += digits[digest[i] & 0xF];
  }
  return hex;
}

bool host_matches_record(const fs::path& host, std::string* why) {
  const std::string recorded = read_record(hash_record(host));
  const std::string actual = file_sha256(host);
  std::string problem;
  if (recorded.empty())
    problem = "no SHA-256 was recorded for it when it was built";
  else if (actual.empty())
    problem = "it cannot be read";
  else if (actual != recorded)
    problem = "its SHA-256 " + actual + " is not the " + recorded + " recorded when it was built";
  if (why) *why = problem;
  return problem.empty();
}

HostBuildFlags host_build_flags(const Interpreter& interpreter) {
  if (auto script = config_script(interpreter)) return flags_from_config_script(interpreter, *script);
  return flags_from_sysconfig(interpreter);
}

std::string host_key(const Interpreter& interpreter) {
  XXH64_state_t* state = XXH64_createState();
  XXH64_reset(state, 0);
  auto add = [&](std::string_view part) {
    XXH64_update(state, part.data(), part.size());
    XXH64_update(state, "\0", 1);  // so that ("ab", "c") and ("a", "bc") differ
  };
  add(embedded_host_source());
  add(interpreter.executable.string());
  add(interpreter.version);
  add(interpreter.soabi);
  XXH64_hash_t hash = XXH64_digest(state);
  XXH64_freeState(state);
  return hex64(hash);
}

fs::path ensure_host(const Interpreter& interpreter, std::vector<std::string>* notes) {
  const fs::path dir = cache_root() / "hosts" / host_key(interpreter);
  const fs::path host = dir / "probe_host";
  std::error_code ec;
  if (fs::exists(host, ec)) {
    std::string why;
    if (is_executable(host) && host_matches_record(host, &why)) return host;
    if (notes) notes->push_back("the cached probe host " + host.string() + " was rebuilt: " + why);
    ::chmod(dir.c_str(), 0755);
    fs::remove(host, ec);
  }

  const std::string what =
      "cannot build the probe host for CPython " + interpreter.version + " (" + interpreter.executable.string() + ")";
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(what + ": cannot create " + dir.string() + ": " + ec.message());
  // A build folder of its own, with the source under its usual name: the name goes into
  // the binary's symbol table, and parallel builds of one source must give one binary (its
  // SHA-256 is recorded).
  const fs::path build_dir = unique_name(dir, "build", "");
  fs::create_directories(build_dir, ec);
  const fs::path source = build_dir / "probe_host.c";  // cc goes by the extension
  write_file(source, embedded_host_source());
  const fs::path temporary = unique_name(dir, "probe_host", ".tmp");

  HostBuildFlags flags;
  try {
    flags = host_build_flags(interpreter);
  } catch (const std::exception& error) {
    fs::remove_all(build_dir, ec);
    throw std::runtime_error(what + ": " + error.what());
  }
  // $CC when set (it may carry flags: "ccache gcc -m64"), else the first of cc, gcc, clang.
  const std::string chosen = environment("CC");
  std::vector<std::vector<std::string>> compilers;
  if (!chosen.empty())
    compilers.push_back(split_words(chosen));
  else
    compilers = {{"cc"}, {"gcc"}, {"clang"}};
  std::vector<std::string> argv;
  CommandResult result;
  for (const std::vector<std::string>& compiler : compilers) {
    argv = compiler;
    for (const char* flag : {"-std=gnu11", "-O2", "-pthread", "-w"}) argv.emplace_back(flag);
    argv.insert(argv.end(), flags.compile.begin(), flags.compile.end());
    argv.insert(argv.end(), {source.string(), "-o", temporary.string()});
    argv.insert(argv.end(), flags.link.begin(), flags.link.end());
    argv.emplace_back("-rdynamic");  // extension modules resolve the C API against the host
    result = run_command(argv, kCompileTimeout);
    if (result.spawn_error.empty()) break;  // it ran: its verdict stands
  }
  fs::remove_all(build_dir, ec);
  if (!result.succeeded()) {
    fs::remove(temporary, ec);
    std::string hint = !result.spawn_error.empty()
                           ? " (no C compiler: install gcc or clang, or set CC to one)"
                           : " (flags from " + flags.source_of_flags + "; are the interpreter's headers installed?)";
    throw std::runtime_error(what + hint + ": " + failure_text(argv, result));
  }
  write_file(dir / "probe_host.c", embedded_host_source());  // kept for whoever debugs a host
  // The record first, then the binary: a host that is in place always has its record. A
  // parallel build of the same source may have put its own pair in place meanwhile; each
  // pair is checked as a pair below.
  const fs::path record_temporary = unique_name(dir, "probe_host", ".sha256.tmp");
  write_file(record_temporary, file_sha256(temporary) + "\n");
  fs::rename(record_temporary, hash_record(host), ec);
  if (!ec) fs::rename(temporary, host, ec);
  if (ec) {
    fs::remove(temporary, ec);
    fs::remove(record_temporary, ec);
    if (!is_executable(host)) throw std::runtime_error(what + ": cannot move the built host into " + host.string());
  }
  protect(host);
  if (std::string why; !host_matches_record(host, &why)) throw std::runtime_error(what + ": " + why);
  return host;
}

}  // namespace subcheck::prober
