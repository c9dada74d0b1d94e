// Reading pyproject.toml's build backend and setuptools' ext-modules with TOML++.
#include "analyzer/pyproject_toml.h"

#include <stdexcept>
#include <system_error>

#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h>  // Debian's TOML++ 3.3 ships the header under this name
#endif

#include "core/safe_file.h"

namespace subcheck {
namespace fs = std::filesystem;

namespace {

std::string at_line(const std::string& shown, const toml::node& node) {
  return shown + ":" + std::to_string(node.source().begin.line) + ": ";
}

// The strings of an array; anything else in it, or a value that is no array, is a note.
std::vector<std::string> strings_of(const toml::node& node, const std::string& key, const std::string& shown,
                                    std::vector<std::string>& notes) {
  std::vector<std::string> strings;
  const toml::array* array = node.as_array();
  if (!array) {
    notes.push_back(at_line(shown, node) + key + " is not an array of strings; it was not applied");
    return strings;
  }
  for (const toml::node& item : *array) {
    if (auto text = item.value<std::string>()) {
      strings.push_back(*text);
    } else {
      notes.push_back(at_line(shown, item) + "an " + key + " entry is not a string; it was not applied");
    }
  }
  return strings;
}

SetupExtension extension_from(const toml::table& table, const std::string& shown, std::vector<std::string>& notes) {
  SetupExtension extension;
  extension.line = static_cast<int>(table.source().begin.line);
  if (auto name = table["name"].value<std::string>()) extension.name = *name;
  if (const toml::node* sources = table.get("sources"))
    extension.sources = strings_of(*sources, "sources", shown, notes);
  if (const toml::node* dirs = table.get("include-dirs"))
    extension.include_dirs = strings_of(*dirs, "include-dirs", shown, notes);
  if (const toml::node* undef = table.get("undef-macros"))
    extension.undef_macros = strings_of(*undef, "undef-macros", shown, notes);
  if (const toml::node* macros = table.get("define-macros")) {
    const toml::array* array = macros->as_array();
    if (!array) notes.push_back(at_line(shown, *macros) + "define-macros is not an array; it was not applied");
    for (std::size_t i = 0; array && i < array->size(); ++i) {
      const toml::array* pair = (*array)[i].as_array();
      std::optional<std::string> name = pair && !pair->empty() ? (*pair)[0].value<std::string>() : std::nullopt;
      std::optional<std::string> value = pair && pair->size() == 2 ? (*pair)[1].value<std::string>() : std::nullopt;
      if (!name || !pair || pair->size() > 2 || (pair->size() == 2 && !value)) {
        notes.push_back(at_line(shown, (*array)[i]) +
                        "a define-macros entry is not [\"NAME\"] or [\"NAME\", \"VALUE\"]; it was not applied");
        continue;
      }
      extension.define_macros.emplace_back(*name, value);
    }
  }
  return extension;
}

}  // namespace

std::optional<PyprojectDeclarations> read_pyproject_toml(const fs::path& pyproject, const std::string& shown) noexcept {
  try {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(pyproject, ec)) || ec) return std::nullopt;
    PyprojectDeclarations declarations;
    std::vector<std::string>& warnings = declarations.setuptools.warnings;
    std::string text;
    try {
      text = read_regular_file(pyproject, kMaxSetupPyBytes);
    } catch (const std::runtime_error&) {
      warnings.push_back(shown + ": not read (" +
                         regular_file_problem(pyproject, kMaxSetupPyBytes).value_or("cannot be read") + ")");
      return declarations;
    }
    toml::table document;
    try {
      document = toml::parse(text, shown);
    } catch (const toml::parse_error& error) {
      // Not error.what() alone: it may quote the file's bytes.
      warnings.push_back(shown + ": not read (not valid TOML at line " + std::to_string(error.source().begin.line) +
                         ")");
      return declarations;
    }
    if (auto backend = document["build-system"]["build-backend"].value<std::string>()) {
      declarations.build_backend = *backend;
    }
    toml::node_view modules = document["tool"]["setuptools"]["ext-modules"];
    if (!modules) return declarations;
    const toml::array* array = modules.as_array();
    if (!array) {
      declarations.setuptools.notes.push_back(at_line(shown, *modules.node()) +
                                              "[tool.setuptools] ext-modules is not an array of tables; not applied");
      return declarations;
    }
    for (const toml::node& entry : *array) {
      if (const toml::table* table = entry.as_table()) {
        declarations.setuptools.extensions.push_back(extension_from(*table, shown, declarations.setuptools.notes));
      } else {
        declarations.setuptools.notes.push_back(at_line(shown, entry) +
                                                "an ext-modules entry is not a table; it was not applied");
      }
    }
    return declarations;
  } catch (const std::exception& error) {
    PyprojectDeclarations declarations;
    declarations.setuptools.warnings.push_back(shown + ": not read (" + error.what() + ")");
    return declarations;
  }
}

}  // namespace subcheck
