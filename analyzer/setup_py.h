// What a project's setup.py declares for its extensions, read without running it.
//
// setup.py is code, and hostile input like the rest of the tree: it is never executed or
// imported. The target Python parses it with `ast` only (`-I -S -c SCRIPT`, the text on
// stdin, a 5 s limit) and reports each `Extension(...)` call (`Extension`,
// `setuptools.Extension`, `distutils.core.Extension`: any call whose name is `Extension`)
// with the arguments that are literals: `name`, `sources`, `include_dirs`,
// `define_macros`, `undef_macros`, by keyword or in Extension's positional order. A name
// assigned once, at module level, to a literal is followed (`macros = [...]` then
// `define_macros=macros`). Anything else (a call, `os.path.join(...)`, a name assigned
// twice, `**kwargs`) is reported as not literal, with its line. A setup.cfg beside it is
// parsed in the same run with configparser, for its [build_ext] options.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/interpreter.h"

namespace subcheck {

inline constexpr std::uintmax_t kMaxSetupPyBytes = std::uintmax_t{1} << 20;  // 1 MiB

struct SetupExtension {
  int line = 0;
  std::string name;  // empty when not a literal
  std::optional<std::vector<std::string>> sources;
  std::vector<std::pair<std::string, std::optional<std::string>>> define_macros;
  std::vector<std::string> undef_macros;
  std::vector<std::string> include_dirs;
};

// Also what pyproject.toml's ext-modules and meson.build declare (analyzer/pyproject_toml.h,
// analyzer/meson_build.h): one shape, one place that applies it (analyzer/compile_db.cpp).
struct SetupPyDeclarations {
  std::vector<SetupExtension> extensions;
  // One line per argument that was not a literal, e.g. "setup.py:14: define_macros is not
  // a literal list; its macros were not applied".
  std::vector<std::string> notes;
  // setup.cfg's [build_ext] `define` (comma-separated, each set to 1, as distutils does),
  // `undef` and `include_dirs` (':'-separated): build_ext applies them to every extension.
  std::optional<SetupExtension> build_ext;
  // Why setup.py was not read at all (too large, a FIFO, a syntax error, a time-out), or
  // a problem with what it declares (an include directory outside the tree).
  std::vector<std::string> warnings;
};

// Reads setup_py when there is one (a regular file of at most kMaxSetupPyBytes, opened
// through core/safe_file.h), and setup_cfg (likewise, parsed with configparser) when given.
// `shown` is how messages name setup.py. nullopt when there is no setup.py.
std::optional<SetupPyDeclarations> read_setup_py(const std::filesystem::path& setup_py, const std::string& shown,
                                                 const Interpreter& python,
                                                 const std::optional<std::filesystem::path>& setup_cfg = std::nullopt);

// The compile flags an extension declares for its sources: `-DNAME` / `-DNAME=VALUE`,
// `-UNAME`, `-IDIR` (DIR relative to setup_dir). A macro whose name is not a C identifier
// or whose value holds a line break, and an include directory that is missing, not a
// directory or (after resolving symlinks; absolute ones too) outside `tree` (canonical) are
// left out, each with a warning. The flags still pass through clean_compile_flags afterwards.
std::vector<std::string> setup_extension_flags(const SetupExtension& extension, const std::filesystem::path& setup_dir,
                                               const std::filesystem::path& tree, const std::string& shown,
                                               std::vector<std::string>& warnings);

}  // namespace subcheck
