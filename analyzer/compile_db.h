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

// Ask a Python interpreter about itself. nullopt when it cannot be run or is older than 3.12.
std::optional<PythonTarget> query_python(const std::filesystem::path& executable);

// The first CPython >= 3.12 found: PATH (python3.14 … python3.12, python3), then pyenv
// versions, then subcheck's own toolchain cache.
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

// Reads compile_commands.json (in build_dir, the root, or root/build*) or infers one
// command per C/C++ source under root. Throws std::runtime_error on a corrupt database.
CompileDatabase load_compile_database(const CompileDatabaseOptions& options);

// The C/C++ sources under root, skipping VCS, build and virtualenv folders and symlink loops.
std::vector<std::filesystem::path> find_sources(const std::filesystem::path& root,
                                                std::vector<std::string>* warnings = nullptr);

}  // namespace subcheck
