// Where compile flags come from: a compile_commands.json when the project has one,
// otherwise flags inferred from the tree and the target Python.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace subcheck {

struct CompileCommand {
  std::filesystem::path file;        // absolute source path
  std::filesystem::path directory;   // working directory of the compile
  std::vector<std::string> args;     // compiler flags only: no compiler, -c, -o, or the file
};

// A Python installation whose headers decide PY_VERSION_HEX and the object layout.
struct PythonTarget {
  std::filesystem::path executable;
  std::string version;               // "3.13.0"
  std::filesystem::path include_dir; // sysconfig 'include'
  bool free_threaded = false;        // Py_GIL_DISABLED in its sysconfig
  std::optional<std::filesystem::path> numpy_include;
};

// Ask a Python interpreter about itself. nullopt when it cannot be run (missing, not
// executable, fails, or takes longer than 10 s) or is not CPython >= 3.12. A bare name
// ("python3.13") is looked up in PATH. The interpreter is executed directly (no shell) as
// `-I -S -c SCRIPT`; numpy is looked for in its site-packages without running .pth files.
// `executable` is the interpreter's own sys.executable (a pyenv shim resolves to the real
// interpreter). The include dir is reported even when Python.h is missing from it.
std::optional<PythonTarget> query_python(const std::filesystem::path& executable);

// The first CPython >= 3.12 whose Python.h is installed, trying in order: PATH
// (python3.14t, python3.14, python3.13t, python3.13, python3.12, python3), then
// ${PYENV_ROOT:-~/.pyenv}/versions/*/bin/python3, then
// ${SUBCHECK_CACHE:-~/.cache/subcheck}/cpython/*/bin/python3 (both newest version first).
// A GIL build is preferred: the first GIL build in that order wins, and a free-threaded
// one is returned only when no GIL build exists. Both build configurations are emulated
// from the same headers (-DPy_GIL_DISABLED=1 for free-threaded), and a GIL build's
// pyconfig.h does not force Py_GIL_DISABLED on the `gil` configuration.
std::optional<PythonTarget> find_default_python();

struct CompileDatabaseOptions {
  std::filesystem::path root;                    // the tree being scanned
  std::optional<std::filesystem::path> build_dir; // -p DIR: where compile_commands.json lives
  std::optional<PythonTarget> python;
};

struct CompileDatabase {
  std::vector<CompileCommand> commands;
  std::string origin;                 // "compile_commands.json: PATH" or "inferred"
  std::vector<std::string> warnings;  // e.g. missing Python headers, skipped entries
};

// Reads compile_commands.json (build_dir, which may also name the file itself; else the
// root; else the first root/build*/ holding one) or infers one command per C/C++ source
// under root.
//
// From a database: entries whose file is missing, is not C/C++, or repeats an earlier
// entry are skipped (with a warning); when root is a single file only its entry is kept.
// Flags are cleaned: the compiler (and a ccache/sccache/distcc launcher), -c, -o X, the
// source file, dependency-file flags (-M -MM -MD -MMD -MP -MG -MF X -MT X -MQ X -MJ X),
// -Werror*, -pedantic-errors, -save-temps* and a short list of gcc-only optimiser flags that
// clang rejects as unknown arguments are dropped; relative -I/-isystem/-iquote/-idirafter/
// -include/-imacros/-F/--sysroot/-isysroot paths are made absolute against the entry's
// directory (libclang does not chdir); `-x c++` is added for a C file compiled by a C++
// driver. When no entry is usable, flags are inferred instead (with a warning).
//
// Inferred: `-x c -std=gnu11` (.c) or `-x c++ -std=gnu++17`; then `-isystem` Python's
// include dir (so its headers are system headers, never analysed) and `-isystem` numpy's
// include when the tree includes numpy headers; then `-I` for the file's directory, the
// root, root/include, root/src and up to 64 other directories holding headers, nearest to
// the file first. Without a Python target a warning says so and no Python include is added;
// this function does not search for one itself (see find_default_python).
//
// A corrupt database found in the tree is reported as a warning and flags are inferred;
// throws std::runtime_error naming the path on a corrupt database named by build_dir, a
// build_dir without compile_commands.json, or a root that does not exist.
CompileDatabase load_compile_database(const CompileDatabaseOptions& options);

// The C/C++ sources (.c .cc .cpp .cxx) under root, sorted, absolute, each file once even
// when reachable through symlinks. Skipped: folders whose name starts with '.', virtualenvs
// (holding pyvenv.cfg), node_modules, __pycache__, CMakeFiles and build/temp.*. Symlinked
// folders are followed, but a folder already visited is not entered again, and one that
// leads back to its own ancestor is reported in warnings as a symlink loop. A root that is
// a single source file is returned alone.
std::vector<std::filesystem::path> find_sources(const std::filesystem::path& root,
                                                std::vector<std::string>* warnings = nullptr);

}  // namespace subcheck
