// Where compile flags come from: a compile_commands.json when the project has one,
// otherwise flags inferred from the tree and the target Python.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/interpreter.h"
#include "core/safe_file.h"

namespace subcheck {

struct CompileCommand {
  std::filesystem::path file;       // absolute source path
  std::filesystem::path directory;  // working directory of the compile
  std::vector<std::string> args;    // compiler flags only: no compiler, -c, -o, or the file
  // The extensions a build file (setup.py, pyproject.toml, meson.build) lists this source
  // among, by import name's last component (`pkg._ext` -> `_ext`): the source is compiled
  // into each, whatever the call graph the parse yields (a missing header can hide calls).
  std::vector<std::string> declared_modules;
};

struct CompileDatabaseOptions {
  std::filesystem::path root;                      // the tree being scanned
  std::optional<std::filesystem::path> build_dir;  // -p DIR: where compile_commands.json lives
  std::optional<Interpreter> python;
  std::uint64_t max_file_bytes = kDefaultMaxFileBytes;  // larger sources are skipped with a warning
};

struct CompileDatabase {
  std::vector<CompileCommand> commands;
  // "compile_commands.json: PATH", "inferred", or "inferred (+ setup.py: 2 extensions,
  // 3 macros, 1 include dir applied)" when flags were inferred and setup.py, pyproject.toml
  // or meson.build declares extensions (each that did is named)
  std::string origin;
  std::vector<std::string> warnings;  // e.g. missing Python headers, skipped entries
  std::vector<std::string> notes;     // e.g. a setup.py argument that is not a literal
};

// Reads compile_commands.json (build_dir, which may also name the file itself; else the
// root; else the first root/build*/ holding one) or infers one command per C/C++ source
// under root.
//
// From a database: entries whose file is missing, is not C/C++, lies outside the scanned
// tree (after resolving symlinks), is not a regular file or is over max_file_bytes, or
// repeats an earlier entry are skipped (with a warning); when root is a single file only
// its entry is kept. A database found in the tree (not named by build_dir) must resolve
// inside the tree. Flags pass through clean_compile_flags (analyzer/compile_flags.h): an
// allow-list of what steers parsing only; every refused or unknown flag is one warning
// naming it and how many entries had it. When no entry is usable, flags are inferred
// instead (with a warning).
//
// Inferred: `-x c -std=gnu11` (.c) or `-x c++ -std=gnu++17`; then `-isystem` Python's
// include dir (so its headers are system headers, never analysed) and `-isystem` numpy's
// include when the tree includes numpy headers; then `-I` for the file's directory, the
// root, root/include, root/src and up to 64 other directories holding headers, nearest to
// the file first. Without a Python target a warning says so and no Python include is added;
// this function does not search for one itself (see find_default_python). When the root is
// a directory holding setup.py, each source an Extension(...) lists gets that extension's
// literal -D/-U/-I, and those of setup.cfg's [build_ext] (analyzer/setup_py.h; include
// directories only inside the tree), before
// the inferred -I; likewise pyproject.toml's [tool.setuptools] ext-modules
// (analyzer/pyproject_toml.h) and meson.build's extension_module(...)s
// (analyzer/meson_build.h), a source keeping the flags of the first extension that lists
// it. The origin then says "inferred (+ setup.py, meson.build: …)" (the files that declared
// extensions), an argument that is not a literal (or a pyproject.toml build backend whose
// flags live in its own build system) is one of `notes`, and a build file that cannot be
// read is a warning.
//
// A corrupt database found in the tree is reported as a warning and flags are inferred;
// throws std::runtime_error naming the path on a corrupt database named by build_dir, a
// build_dir without compile_commands.json, or a root that does not exist.
CompileDatabase load_compile_database(const CompileDatabaseOptions& options);

// The C/C++ sources (.c .cc .cpp .cxx) under root, sorted, absolute, each file once even
// when reachable through symlinks. Skipped: folders whose name starts with '.', virtualenvs
// (holding pyvenv.cfg), node_modules, __pycache__, CMakeFiles and build/temp.*. Symlinks
// are followed only when they resolve inside root (one leading out of it, to `/` or to a
// file elsewhere, is a warning and is not followed); a folder already visited is not
// entered again, and one that leads back to its own ancestor is a warning (symlink loop).
// Only regular files are listed: FIFOs, devices and sockets are warnings, and so are
// sources larger than max_file_bytes. A root that is a single source file is returned alone.
std::vector<std::filesystem::path> find_sources(const std::filesystem::path& root,
                                                std::vector<std::string>* warnings = nullptr,
                                                std::uint64_t max_file_bytes = kDefaultMaxFileBytes);

}  // namespace subcheck
