#include "cli/targets.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/archive.h"
#include "core/safe_file.h"
#if __has_include(<toml++/toml.hpp>)
#include <toml++/toml.hpp>
#else
#include <toml++/toml.h>
#endif

namespace fs = std::filesystem;

namespace subcheck {
namespace {

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The directory that holds the project: the single top-level folder of an sdist.
fs::path project_dir(const fs::path& root) {
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(root)) entries.push_back(entry.path());
  if (entries.size() == 1 && fs::is_directory(entries.front())) return entries.front();
  return root;
}

std::string trim(std::string text) {
  const char* space = " \t\r\n";
  text.erase(0, text.find_first_not_of(space));
  text.erase(text.find_last_not_of(space) + 1);
  return text;
}

// "Foo-Bar[extra] >= 1.0 ; python_version > '3'" -> "Foo-Bar"
std::string requirement_name(const std::string& line) {
  std::string name;
  for (char ch : line) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.') {
      name += ch;
    } else {
      break;
    }
  }
  return name;
}

// PEP 508 names: letters, digits, '.', '-', '_', starting and ending with a letter or digit.
bool is_distribution_name(const std::string& name) {
  static const std::regex kName("^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$");
  return std::regex_match(name, kName);
}

std::string where(const fs::path& file, std::size_t line) { return file.string() + ":" + std::to_string(line); }

constexpr std::string_view kArchiveSuffixes[] = {".whl", ".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz"};

// A requirement line that names a path or URL instead of a distribution: ".", "..", "./x",
// "/abs", "~/x", "file:...", "dir/sub", "pkg-1.0.whl", "https://host/x.whl". Probing one
// would mean walking that path (the working directory, for "."), which is what a scan of
// the path does when asked for; a requirements file only names distributions.
std::string path_like_problem(const std::string& text) {
  std::string name = requirement_name(text);
  std::string rest = trim(text.substr(name.size()));
  bool looks_like_path = text.starts_with('.') || text.starts_with('/') || text.starts_with('~') ||
                         text.starts_with("file:") || (!rest.empty() && (rest.front() == '/' || rest.front() == '\\'));
  if (text.find("://") != std::string::npos && text.find('@') == std::string::npos) {
    return "'" + text + "' is a URL, not a distribution name";
  }
  bool names_an_archive = std::any_of(std::begin(kArchiveSuffixes), std::end(kArchiveSuffixes),
                                      [&](std::string_view suffix) { return name.ends_with(suffix); });
  if (looks_like_path || names_an_archive) {
    return "'" + text + "' is a path, not a distribution name";
  }
  if (!is_distribution_name(name)) return "'" + text + "' does not start with a distribution name";
  if (!rest.empty() && std::string_view("[(<>=!~;@").find(rest.front()) == std::string_view::npos) {
    return "'" + text + "' is not a requirement ('" + name + "' followed by '" + rest.substr(0, 1) + "')";
  }
  return {};
}

// `-e PATH` / `--editable PATH`: an editable install of a path names no distribution.
std::string editable_problem(const std::string& text) {
  for (std::string_view option : {"--editable", "-e"}) {
    if (!text.starts_with(option)) continue;
    std::string value = trim(text.substr(option.size()));
    if (!value.empty() && value.front() == '=') value = trim(value.substr(1));
    if (value.find("://") == std::string::npos && !value.starts_with("git+")) {
      return "'" + text + "' installs a path, not a distribution name";
    }
  }
  return {};
}

[[noreturn]] void throw_not_a_name(const std::string& location, const std::string& problem) {
  throw std::runtime_error(location + ": " + problem +
                           "; a requirements or lock file must name distributions (to read a directory, "
                           "scan it: subcheck scan PATH)");
}

std::vector<std::string> names_from_requirements_txt(const fs::path& file) {
  std::istringstream in(read_regular_file(file));
  std::vector<std::string> names;
  std::string line, logical;
  std::size_t number = 0, first_line = 1;
  while (std::getline(in, line)) {
    ++number;
    if (logical.empty()) first_line = number;
    // A trailing backslash continues the line (hash lists).
    if (!line.empty() && line.back() == '\\') {
      logical += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    logical += line;
    std::string text = trim(logical.substr(0, logical.find('#')));
    logical.clear();
    if (text.empty()) continue;
    if (text.front() == '-') {  // -r, -c, --hash, --index-url: not a name; -e PATH: an error
      if (std::string problem = editable_problem(text); !problem.empty())
        throw_not_a_name(where(file, first_line), problem);
      continue;
    }
    if (std::string problem = path_like_problem(text); !problem.empty())
      throw_not_a_name(where(file, first_line), problem);
    names.push_back(requirement_name(text));
  }
  return names;
}

std::vector<std::string> names_from_toml_lock(const fs::path& file) {
  std::string text = read_regular_file(file);
  toml::table document;
  try {
    document = toml::parse(text, file.string());
  } catch (const toml::parse_error& error) {
    throw std::runtime_error(where(file, error.source().begin.line) + ": " + std::string(error.description()));
  }
  std::vector<std::string> names;
  // pylock.toml: [[packages]]; poetry.lock and uv.lock: [[package]].
  for (const char* key : {"packages", "package"}) {
    const toml::array* packages = document[key].as_array();
    if (!packages) continue;
    for (const toml::node& package : *packages) {
      const toml::table* table = package.as_table();
      const toml::node* name_node = table ? table->get("name") : nullptr;
      auto name = name_node ? name_node->value<std::string>() : std::nullopt;
      if (!name) continue;
      if (!is_distribution_name(*name)) {
        throw_not_a_name(where(file, name_node->source().begin.line),
                         "package name '" + *name + "' is not a distribution name");
      }
      names.push_back(*name);
    }
  }
  return names;
}

std::vector<std::string> names_from_pipfile_lock(const fs::path& file) {
  nlohmann::json document = nlohmann::json::parse(read_regular_file(file), nullptr, false);
  if (document.is_discarded() || !document.is_object()) throw std::runtime_error(file.string() + ": not valid JSON");
  std::vector<std::string> names;
  for (const char* section : {"default", "develop"}) {
    if (!document.contains(section) || !document[section].is_object()) continue;
    for (const auto& [name, _] : document[section].items()) {
      if (!is_distribution_name(name)) {
        throw_not_a_name(file.string() + ": \"" + section + "\"", "'" + name + "' is not a distribution name");
      }
      names.push_back(name);
    }
  }
  return names;
}

}  // namespace

bool is_sdist(const fs::path& path) {
  std::string name = path.filename().string();
  for (std::string_view suffix : {".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip"}) {
    if (ends_with(name, suffix)) return true;
  }
  return false;
}

bool is_requirements_file(const fs::path& path) {
  std::string name = path.filename().string();
  return (name.rfind("requirements", 0) == 0 && (ends_with(name, ".txt") || ends_with(name, ".in"))) ||
         (name.rfind("pylock", 0) == 0 && ends_with(name, ".toml")) || name == "poetry.lock" || name == "uv.lock" ||
         name == "Pipfile.lock";
}

UnpackedSdist unpack_sdist(const fs::path& archive_path, const UnpackLimits& limits) {
  std::string pattern = (fs::temp_directory_path() / "subcheck-sdist-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
  UnpackedSdist result;
  result.scratch = std::shared_ptr<const fs::path>(new fs::path(pattern), [](const fs::path* dir) {
    std::error_code ignored;
    fs::remove_all(*dir, ignored);
    delete dir;
  });
  const fs::path& root = *result.scratch;
  ArchiveOptions options;
  options.limits.max_members = limits.max_members;
  options.limits.max_total_uncompressed = limits.max_total_bytes;
  options.limits.max_member_bytes = limits.max_member_bytes;
  options.special_members = SpecialMembers::leave_out;
  result.warnings = extract_archive(archive_path, root, options).warnings;
  result.root = project_dir(root);
  return result;
}

std::vector<std::string> read_requirement_names(const fs::path& file) {
  std::string name = file.filename().string();
  std::vector<std::string> names = name == "Pipfile.lock" ? names_from_pipfile_lock(file)
                                   : ends_with(name, ".toml") || ends_with(name, ".lock")
                                       ? names_from_toml_lock(file)
                                       : names_from_requirements_txt(file);
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (std::string& entry : names) {
    std::string key = entry;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char ch) { return ch == '_' || ch == '.' ? '-' : static_cast<char>(std::tolower(ch)); });
    if (seen.insert(key).second) unique.push_back(std::move(entry));
  }
  return unique;
}

}  // namespace subcheck
