// What a project's pyproject.toml says about building its extensions: the build backend,
// and setuptools' `[tool.setuptools] ext-modules` (read like setup.py's Extension(...)s).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "analyzer/setup_py.h"

namespace subcheck {

struct PyprojectDeclarations {
  std::string build_backend;  // `[build-system] build-backend`; empty when not given
  // `[tool.setuptools] ext-modules` (`[[tool.setuptools.ext-modules]]`): name, sources,
  // define-macros ([["NAME", "VALUE"]] or [["NAME"]]), undef-macros, include-dirs. An entry
  // of the wrong type is a note; warnings say why the file was not read.
  SetupPyDeclarations setuptools;
};

// Reads pyproject (a regular file of at most kMaxSetupPyBytes) with TOML++; `shown` is how
// messages name it. nullopt when there is no such file. Never throws.
std::optional<PyprojectDeclarations> read_pyproject_toml(const std::filesystem::path& pyproject,
                                                         const std::string& shown) noexcept;

}  // namespace subcheck
