// Building the probe host (prober/host/probe_host.c, compiled into subcheck as a string) for
// one interpreter, with the system C compiler, on first use; cached per interpreter ABI so
// a user never rebuilds subcheck for a new Python. docs/prober.md, "Pieces".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "prober/prober.h"

namespace subcheck::prober {

// ${SUBCHECK_CACHE}, else ~/.cache/subcheck: where built hosts (and the toolchain) live.
std::filesystem::path cache_root();

// How the host gets compiled and linked for one interpreter.
struct HostBuildFlags {
  std::string source_of_flags;       // "/usr/bin/python3.13-config" or "sysconfig"
  std::vector<std::string> compile;  // -I... (and nothing the interpreter's own build chose)
  std::vector<std::string> link;     // -L... -lpython3.13 ... -Wl,-rpath,LIBDIR
};

// `pythonX.Y[t]-config --embed` next to the interpreter's executable when present, else the
// interpreter's sysconfig (INCLUDEPY, LIBDIR, LDLIBRARY, LIBS, SYSLIBS); always with an rpath
// to LIBDIR (docs/cpython-behaviour.md #17: --ldflags does not always print one). Throws
// std::runtime_error when neither answers.
HostBuildFlags host_build_flags(const Interpreter& interpreter);

// The cache key of a host: xxh64 of (host source, interpreter executable, version, soabi),
// as 16 hex digits.
std::string host_key(const Interpreter& interpreter);

// The probe host for `interpreter`: cache_root()/hosts/<key>/probe_host, compiled with $CC
// (or cc) when it is not there yet, atomically (a temp file renamed into place, so parallel
// runs never see half a binary). Throws std::runtime_error, with the compiler's output, when
// no compiler exists or the build fails.
//
// A cached host is used only when its SHA-256 is the one recorded beside it when it was
// built (probe_host.sha256); otherwise it is rebuilt, and `notes` (when given) says so
// (docs/security.md: a cache shared between CI jobs must not carry a replaced host).
std::filesystem::path ensure_host(const Interpreter& interpreter, std::vector<std::string>* notes = nullptr);

// SHA-256 of a file as 64 hex digits; empty when it cannot be read.
std::string file_sha256(const std::filesystem::path& file);

// Whether `host` is the binary that was built: its SHA-256 is the one recorded beside it.
// False, with `why` set, when it is not, or when either cannot be read.
bool host_matches_record(const std::filesystem::path& host, std::string* why = nullptr);

}  // namespace subcheck::prober
