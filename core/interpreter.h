// One CPython installation as it describes itself, and where to find them. The analyzer
// reads an interpreter's headers; the prober embeds it and imports modules into it. Both
// use this one type and this one query.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace subcheck {

// CPython 3.12: the first with a per-interpreter GIL. Older interpreters are refused.
inline constexpr int kOldestSupportedMinor = 12;

struct Interpreter {
  std::filesystem::path executable;             // its own sys.executable (a pyenv shim resolves to the real one)
  std::string version;                          // "3.13.5"
  std::string implementation_tag;               // "3.13" or "3.13t": how users name it (--python 3.13t)
  bool free_threaded = false;                   // Py_GIL_DISABLED
  std::string soabi;                            // "cpython-313t-x86_64-linux-gnu"
  std::vector<std::string> extension_suffixes;  // importlib.machinery.EXTENSION_SUFFIXES
  std::filesystem::path include_dir;            // sysconfig's 'include' path (reported even when Python.h is missing)
  std::filesystem::path library_dir;            // where libpythonX.Y.so lives (LIBDIR)
  std::string library;                          // "libpython3.13t.so" (LDLIBRARY); empty when static
  std::filesystem::path dynload_dir;            // lib-dynload
  std::filesystem::path purelib;                // sysconfig's site-packages: where pip installs
  // The other directories `site` puts on sys.path for installed distributions
  // (site.getsitepackages(): Debian's python3 also reads /usr/lib/python3/dist-packages,
  // where apt installs, besides /usr/local/lib/python3.X/dist-packages, its purelib).
  std::vector<std::filesystem::path> other_site_dirs;
  // NumPy's C headers when numpy is installed for this interpreter. Found with
  // importlib.util.find_spec, which locates the package without running any of its code.
  std::optional<std::filesystem::path> numpy_include;

  bool has_headers() const;  // include_dir/Python.h exists
  // Where installed distributions are looked for: purelib, then the others, each once.
  std::vector<std::filesystem::path> site_dirs() const;
};

// An interpreter, or why a path is not one.
struct InterpreterInspection {
  std::optional<Interpreter> interpreter;
  std::string problem;
};

// Runs the interpreter directly (no shell) as `-I -S -c SCRIPT` with a 10 s limit and reads
// its self-description. A bare name ("python3.13") is looked up in PATH. Refused (with the
// reason) when it cannot be run, is not CPython, or is older than 3.12.
InterpreterInspection inspect_interpreter_verbose(const std::filesystem::path& executable);
std::optional<Interpreter> inspect_interpreter(const std::filesystem::path& executable);

// Interpreters to probe with. `requested` holds what the user gave to --python: a path, a
// name on PATH ("python3.13t"), or a version tag ("3.12", "3.13t", "3.13.5"). Empty: every
// distinct CPython >= 3.12 found on PATH, in pyenv and in subcheck's toolchain cache, oldest
// version first and, at one version, the GIL build first.
std::vector<Interpreter> find_interpreters(const std::vector<std::string>& requested,
                                           std::vector<std::string>* problems = nullptr);

// The interpreter whose headers the analyzer reads by default: the first CPython >= 3.12
// whose Python.h is installed, trying in order PATH (python3.14t, python3.14, python3.13t,
// python3.13, python3.12, python3), then ${PYENV_ROOT:-~/.pyenv}/versions/*/bin/python3, then
// ${SUBCHECK_CACHE:-~/.cache/subcheck}/cpython/*/bin/python3 (both newest version first). A
// GIL build is preferred: a free-threaded one is returned only when no GIL build exists. Both
// build configurations are emulated from the same headers (-DPy_GIL_DISABLED=1 for the
// free-threaded one), and a GIL build's pyconfig.h does not force Py_GIL_DISABLED.
std::optional<Interpreter> find_default_python();

}  // namespace subcheck
