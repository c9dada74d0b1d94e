// Compile commands: read from compile_commands.json, or inferred from the tree and the
// target Python.
#include "analyzer/compile_db.h"

#include "analyzer/compile_flags.h"
#include "analyzer/meson_build.h"
#include "analyzer/pyproject_toml.h"
#include "analyzer/setup_py.h"
#include "core/process.h"
#include "core/safe_file.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

namespace subcheck {
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------
// Walking the source tree

const std::set<std::string> kSourceExtensions = {".c", ".cc", ".cpp", ".cxx"};
const std::set<std::string> kHeaderExtensions = {".h", ".hh", ".hpp", ".hxx"};
// Extensions accepted from a compile database (which knows what it compiles as C/C++).
const std::set<std::string> kDatabaseSourceExtensions = {".c", ".cc", ".cpp", ".cxx", ".c++", ".cp", ".C", ".CPP"};

bool has_extension(const fs::path& path, const std::set<std::string>& extensions) {
  return extensions.count(path.extension().string()) > 0;
}

fs::path absolute_normal(const fs::path& path) {
  std::error_code ec;
  fs::path result = fs::absolute(path, ec).lexically_normal();
  if (result.has_parent_path() && result.filename().empty()) result = result.parent_path();
  return result;
}

fs::path canonical_or_self(const fs::path& path) {
  std::error_code ec;
  fs::path canonical = fs::canonical(path, ec);
  return ec ? path : canonical;
}

bool is_skipped_directory(const fs::path& dir) {
  std::string name = dir.filename().string();
  if (name.starts_with('.')) return true;  // .git .hg .tox .nox .venv .eggs …
  if (name == "node_modules" || name == "__pycache__" || name == "CMakeFiles") return true;
  // setuptools' object-file folders: build/temp.linux-x86_64-cpython-313
  if (name.starts_with("temp.") && dir.parent_path().filename() == "build") return true;
  std::error_code ec;
  return fs::exists(dir / "pyvenv.cfg", ec);  // a virtualenv, whatever its name
}

struct TreeScan {
  std::vector<fs::path> sources;
  std::vector<fs::path> headers;
};

// Walks the tree without leaving it: a symlink is followed only when what it points to
// lies inside the tree (a link to `/` or to /etc/passwd is reported and left alone), only
// regular files are listed (a FIFO or device with a .c name would block or never end
// when read), and sources over the size limit are reported instead of listed.
class TreeWalker {
 public:
  TreeWalker(TreeScan& scan, const fs::path& root, std::uint64_t max_file_bytes, std::vector<std::string>* warnings)
      : scan_(scan), root_(canonical_or_self(root)), max_file_bytes_(max_file_bytes), warnings_(warnings) {}

  void walk(const fs::path& dir) {
    fs::path canonical = canonical_or_self(dir);
    visited_.insert(canonical);
    ancestors_.push_back(canonical);
    for (const fs::path& entry : sorted_entries(dir)) visit(entry);
    ancestors_.pop_back();
  }

 private:
  std::vector<fs::path> sorted_entries(const fs::path& dir) {
    std::vector<fs::path> entries;
    std::error_code ec;
    fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    for (fs::directory_iterator end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
    if (ec) warn("cannot read directory " + dir.string() + ": " + ec.message());
    std::sort(entries.begin(), entries.end());
    return entries;
  }

  void visit(const fs::path& entry) {
    std::error_code ec;
    fs::file_status own = fs::symlink_status(entry, ec);
    if (ec) return;
    if (fs::is_symlink(own) && !link_stays_inside(entry)) return;
    fs::file_status status = fs::status(entry, ec);  // follows symlinks; broken ones fail
    if (ec) return;
    if (fs::is_directory(status)) {
      visit_directory(entry);
    } else if (fs::is_regular_file(status)) {
      visit_file(entry);
    } else {
      warn(entry.string() + ": skipped: not a regular file (" + type_name(status.type()) + ")");
    }
  }

  // A symlink whose target (resolved all the way) is inside the tree; else a warning.
  bool link_stays_inside(const fs::path& link) {
    std::error_code ec;
    fs::path target = fs::canonical(link, ec);
    if (ec) return false;  // dangling or a loop: nothing to read
    if (is_within(target, root_)) return true;
    warn(link.string() + ": symlink to " + target.string() + " leads out of the scanned tree; not followed");
    return false;
  }

  void visit_file(const fs::path& file) {
    bool is_source = has_extension(file, kSourceExtensions);
    bool is_header = has_extension(file, kHeaderExtensions);
    if (!is_source && !is_header) return;
    std::error_code ec;
    std::uintmax_t size = fs::file_size(file, ec);
    if (!ec && size > max_file_bytes_) {
      warn(file.string() + ": skipped: larger than the " + describe_size(max_file_bytes_) + " file size limit (" +
           describe_size(size) + "; see --max-file-size)");
      return;
    }
    if (is_source) scan_.sources.push_back(file);
    if (is_header) scan_.headers.push_back(file);
  }

  void visit_directory(const fs::path& dir) {
    if (is_skipped_directory(dir)) return;
    fs::path canonical = canonical_or_self(dir);
    if (std::find(ancestors_.begin(), ancestors_.end(), canonical) != ancestors_.end()) {
      warn("symlink loop: " + dir.string() + " leads back to " + canonical.string() + "; not followed");
      return;
    }
    if (visited_.count(canonical)) return;  // a second way into a folder already scanned
    walk(dir);
  }

  static std::string type_name(fs::file_type type) {
    switch (type) {
      case fs::file_type::fifo: return "a FIFO";
      case fs::file_type::character: return "a character device";
      case fs::file_type::block: return "a block device";
      case fs::file_type::socket: return "a socket";
      default: return "a special file";
    }
  }

  void warn(std::string message) {
    if (warnings_) warnings_->push_back(std::move(message));
  }

  TreeScan& scan_;
  fs::path root_;  // canonical
  std::uint64_t max_file_bytes_;
  std::vector<std::string>* warnings_;
  std::set<fs::path> visited_;
  std::vector<fs::path> ancestors_;
};

// Sorted, and each file once even when symlinks make it reachable by several paths.
std::vector<fs::path> sorted_unique_files(std::vector<fs::path> files) {
  std::sort(files.begin(), files.end());
  std::set<fs::path> seen;
  std::vector<fs::path> unique;
  for (fs::path& file : files) {
    if (seen.insert(canonical_or_self(file)).second) unique.push_back(std::move(file));
  }
  return unique;
}

TreeScan scan_tree(const fs::path& root, std::uint64_t max_file_bytes, std::vector<std::string>* warnings) {
  TreeScan scan;
  fs::path start = absolute_normal(root);
  std::error_code ec;
  if (fs::is_directory(start, ec)) {
    TreeWalker(scan, start, max_file_bytes, warnings).walk(start);
  } else if (fs::is_regular_file(start, ec)) {
    if (auto problem = regular_file_problem(start, max_file_bytes)) {
      if (warnings) warnings->push_back(start.string() + ": skipped: " + *problem);
    } else if (has_extension(start, kSourceExtensions)) {
      scan.sources.push_back(start);
    }
  } else if (fs::exists(start, ec)) {
    if (warnings) warnings->push_back(start.string() + ": skipped: not a regular file or directory");
  } else if (warnings) {
    warnings->push_back("no such file or directory: " + start.string());
  }
  scan.sources = sorted_unique_files(std::move(scan.sources));
  scan.headers = sorted_unique_files(std::move(scan.headers));
  return scan;
}

// ---------------------------------------------------------------------------------------
// Reading compile_commands.json

// POSIX shell word splitting as compile databases use it: blanks separate words, single
// quotes are literal, double quotes allow \" \\ \$ \` escapes, a backslash outside quotes
// escapes the next character. No expansion of any kind.
std::vector<std::string> split_command_line(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      for (++i; i < line.size() && line[i] != '\''; ++i) word += line[i];
    } else if (c == '"') {
      for (++i; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size() &&
            std::string_view("\"\\$`\n").find(line[i + 1]) != std::string_view::npos)
          ++i;
        word += line[i];
      }
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

std::string absolute_against(const fs::path& directory, const std::string& value) {
  fs::path path(value);
  if (value.empty() || path.is_absolute()) return value;
  return (directory / path).lexically_normal().string();
}

[[noreturn]] void throw_corrupt(const fs::path& database, const std::string& why) {
  throw std::runtime_error("corrupt compile database " + database.string() + ": " + why);
}

// Large projects have databases of a few hundred MiB; a FIFO or a device is refused.
constexpr std::uint64_t kMaxDatabaseBytes = std::uint64_t{1} << 30;

nlohmann::json read_database_json(const fs::path& database) {
  std::string text;
  try {
    text = read_regular_file(database, kMaxDatabaseBytes);
  } catch (const std::runtime_error& error) {
    throw std::runtime_error(std::string("cannot read compile database ") + error.what());
  }
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    // Not error.what(): it quotes the bytes it read, and the file may not be a database at
    // all but a symlink to a secret.
    throw_corrupt(database, "not valid JSON (at byte " + std::to_string(error.byte) + ")");
  }
  if (!json.is_array()) throw_corrupt(database, "expected a JSON array of entries");
  return json;
}

struct RawEntry {
  fs::path file;         // absolute, lexically normal
  std::string raw_file;  // as written
  fs::path directory;    // absolute
  std::vector<std::string> argv;
};

RawEntry parse_entry(const nlohmann::json& entry, std::size_t index, const fs::path& database) {
  std::string where = "entry " + std::to_string(index) + ": ";
  if (!entry.is_object()) throw_corrupt(database, where + "not an object");
  auto text_field = [&](const char* name) -> std::string {
    auto it = entry.find(name);
    if (it == entry.end() || !it->is_string()) throw_corrupt(database, where + "no \"" + name + "\" string");
    return it->get<std::string>();
  };
  RawEntry raw;
  raw.directory = absolute_against(database.parent_path(), text_field("directory"));
  raw.raw_file = text_field("file");
  raw.file = absolute_against(raw.directory, raw.raw_file);
  if (auto arguments = entry.find("arguments"); arguments != entry.end()) {
    if (!arguments->is_array()) throw_corrupt(database, where + "\"arguments\" is not an array");
    for (const auto& argument : *arguments) {
      if (!argument.is_string()) throw_corrupt(database, where + "\"arguments\" holds a non-string");
      raw.argv.push_back(argument.get<std::string>());
    }
  } else {
    raw.argv = split_command_line(text_field("command"));
  }
  return raw;
}

std::string skipped_summary(std::size_t count, const std::string& what, const fs::path& example) {
  return "skipped " + std::to_string(count) + " compile database entr" + (count == 1 ? "y" : "ies") + " " + what +
         " (e.g. " + example.string() + ")";
}

// Dropped flags, each reported once however many entries carried it.
class DroppedFlagSummary {
 public:
  void add(const std::vector<DroppedFlag>& dropped) {
    std::set<std::string> in_this_entry;
    for (const DroppedFlag& flag : dropped) {
      auto [entry, inserted] = flags_.try_emplace(flag.flag, Seen{0, flag.example, flag.reason});
      if (inserted) order_.push_back(flag.flag);
      if (in_this_entry.insert(flag.flag).second) ++entry->second.entries;
    }
  }

  void append_warnings(const fs::path& database, std::vector<std::string>& warnings) const {
    for (const std::string& name : order_) {
      const Seen& seen = flags_.at(name);
      warnings.push_back(database.string() + ": dropped " + name + " from " + std::to_string(seen.entries) +
                         (seen.entries == 1 ? " entry" : " entries") + " (e.g. '" + seen.example +
                         "'): " + seen.reason);
    }
  }

 private:
  struct Seen {
    std::size_t entries;
    std::string example;
    std::string reason;
  };
  std::map<std::string, Seen> flags_;
  std::vector<std::string> order_;
};

struct DatabaseScope {
  fs::path tree;                 // canonical: the scanned directory, or the single file
  std::optional<fs::path> only;  // canonical: a single-file scan keeps only its entry
  std::uint64_t max_file_bytes = kDefaultMaxFileBytes;
};

// Why an entry's source is not analysed, or nullopt.
std::optional<std::string> entry_problem(const RawEntry& raw, const DatabaseScope& scope) {
  if (!has_extension(raw.file, kDatabaseSourceExtensions)) return "that are not C/C++ sources";
  std::error_code ec;
  if (!fs::exists(raw.file, ec)) return "whose file does not exist";
  if (!is_within(canonical_or_self(raw.file), scope.tree)) return "whose file is outside the scanned tree";
  if (auto problem = regular_file_problem(raw.file, scope.max_file_bytes)) {
    return "whose file is " + (problem->starts_with("larger") ? *problem + "; see --max-file-size" : *problem);
  }
  return std::nullopt;
}

// Turns database entries into commands, each source once, inside the scanned tree.
CompileDatabase commands_from_database(const fs::path& database, const DatabaseScope& scope) {
  CompileDatabase db;
  db.origin = "compile_commands.json: " + database.string();
  nlohmann::json json = read_database_json(database);
  std::set<fs::path> seen;
  std::map<std::string, std::pair<std::size_t, fs::path>> skipped;  // reason -> (count, example)
  auto skip = [&](const std::string& reason, const fs::path& file) {
    auto& [count, example] = skipped[reason];
    if (count++ == 0) example = file;
  };
  fs::path tree_dir = scope.only ? scope.tree.parent_path() : scope.tree;
  std::vector<fs::path> trusted_roots{tree_dir, canonical_or_self(database.parent_path())};
  DroppedFlagSummary dropped;
  for (std::size_t index = 0; index < json.size(); ++index) {
    RawEntry raw = parse_entry(json[index], index, database);
    if (scope.only && canonical_or_self(raw.file) != *scope.only) continue;
    if (auto problem = entry_problem(raw, scope)) {
      skip(*problem, raw.file);
    } else if (!seen.insert(canonical_or_self(raw.file)).second) {
      skip("that compile a file already listed (the first entry is used)", raw.file);
    } else {
      CleanedFlags flags = clean_compile_flags(raw.argv, {raw.file, raw.raw_file, raw.directory, trusted_roots});
      dropped.add(flags.dropped);
      db.commands.push_back({raw.file, raw.directory, std::move(flags.args), {}});
    }
  }
  for (const auto& [reason, count_and_example] : skipped) {
    db.warnings.push_back(skipped_summary(count_and_example.first, reason, count_and_example.second));
  }
  dropped.append_warnings(database, db.warnings);
  return db;
}

std::optional<fs::path> locate_database(const CompileDatabaseOptions& options, bool root_is_directory) {
  std::error_code ec;
  if (options.build_dir) {
    fs::path given = absolute_normal(*options.build_dir);
    if (fs::is_regular_file(given, ec)) return given;
    if (fs::is_regular_file(given / "compile_commands.json", ec)) return given / "compile_commands.json";
    throw std::runtime_error("no compile_commands.json in " + given.string());
  }
  if (!root_is_directory) return std::nullopt;
  fs::path root = absolute_normal(options.root);
  // One found in the tree is the tree's: a symlink out of it (to a secret) is not read.
  fs::path tree = canonical_or_self(root);
  auto usable = [&](const fs::path& candidate) {
    return fs::is_regular_file(candidate, ec) && is_within(canonical_or_self(candidate), tree);
  };
  if (usable(root / "compile_commands.json")) return root / "compile_commands.json";
  std::vector<fs::path> build_dirs;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with("build") && it->is_directory(ec)) build_dirs.push_back(it->path());
  }
  std::sort(build_dirs.begin(), build_dirs.end());
  for (const fs::path& dir : build_dirs) {
    if (usable(dir / "compile_commands.json")) return dir / "compile_commands.json";
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// Inferring flags

constexpr std::size_t kMaxHeaderDirectories = 64;

// Steps through the directory tree from a to b (both absolute, lexically normal).
std::size_t tree_distance(const fs::path& a, const fs::path& b) {
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() && ib != b.end() && *ia == *ib) {
    ++ia;
    ++ib;
  }
  return static_cast<std::size_t>(std::distance(ia, a.end()) + std::distance(ib, b.end()));
}

// Directories holding headers, and their parents inside the tree: `#include <brotli/x.h>`
// needs `c/include`, the parent of the folder that holds x.h.
std::vector<fs::path> header_directories(const std::vector<fs::path>& headers, const fs::path& root) {
  std::set<fs::path> dirs;
  for (const fs::path& header : headers) {
    fs::path dir = header.parent_path();
    dirs.insert(dir);
    fs::path parent = dir.parent_path();
    auto [mismatch, _] = std::mismatch(root.begin(), root.end(), parent.begin(), parent.end());
    if (mismatch == root.end()) dirs.insert(parent);
  }
  return {dirs.begin(), dirs.end()};
}

bool mentions_numpy_headers(const fs::path& file) {
  // The walk listed regular files within the size limit; reading through the same checks
  // keeps a file swapped for a FIFO since then from blocking the scan.
  std::string text = read_regular_file_prefix(file, kDefaultMaxFileBytes).value_or(std::string());
  for (std::string_view needle : {"numpy/arrayobject.h", "numpy/ndarrayobject.h", "<numpy/", "\"numpy/"}) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

bool tree_mentions_numpy(const TreeScan& scan) {
  return std::any_of(scan.sources.begin(), scan.sources.end(), mentions_numpy_headers) ||
         std::any_of(scan.headers.begin(), scan.headers.end(), mentions_numpy_headers);
}

class FlagInference {
 public:
  FlagInference(fs::path root, std::vector<fs::path> header_dirs, std::vector<std::string> system_includes)
      : root_(std::move(root)), header_dirs_(std::move(header_dirs)), system_includes_(std::move(system_includes)) {}

  CompileCommand command_for(const fs::path& source) const {
    CompileCommand command{source, root_, {}, {}};
    bool is_c = source.extension() == ".c";
    command.args = is_c ? std::vector<std::string>{"-x", "c", "-std=gnu11"}
                        : std::vector<std::string>{"-x", "c++", "-std=gnu++17"};
    // System includes come first; -I directories are searched before -isystem ones by
    // the compiler anyway, so the order of the flags is about readability only.
    for (const std::string& dir : system_includes_) {
      command.args.emplace_back("-isystem");
      command.args.push_back(dir);
    }
    for (const fs::path& dir : include_directories_for(source)) command.args.push_back("-I" + dir.string());
    return command;
  }

 private:
  std::vector<fs::path> include_directories_for(const fs::path& source) const {
    std::vector<fs::path> dirs;
    auto add = [&](const fs::path& dir) {
      std::error_code ec;
      if (fs::is_directory(dir, ec) && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
    };
    add(source.parent_path());
    add(root_);
    add(root_ / "include");
    add(root_ / "src");
    for (const fs::path& dir : nearest_header_dirs(source.parent_path())) add(dir);
    return dirs;
  }

  std::vector<fs::path> nearest_header_dirs(const fs::path& from) const {
    std::vector<std::pair<std::size_t, fs::path>> ranked;
    for (const fs::path& dir : header_dirs_) ranked.emplace_back(tree_distance(from, dir), dir);
    std::sort(ranked.begin(), ranked.end());
    std::vector<fs::path> nearest;
    for (std::size_t i = 0; i < ranked.size() && i < kMaxHeaderDirectories; ++i) nearest.push_back(ranked[i].second);
    return nearest;
  }

  fs::path root_;
  std::vector<fs::path> header_dirs_;
  std::vector<std::string> system_includes_;
};

std::vector<std::string> python_system_includes(const std::optional<Interpreter>& python, bool wants_numpy,
                                                std::vector<std::string>& warnings) {
  std::vector<std::string> includes;
  if (!python) {
    warnings.emplace_back("no Python >= 3.12 found; pass --python");
    return includes;
  }
  if (!python->has_headers()) {
    warnings.push_back("Python.h not found in " + python->include_dir.string() + " (headers of " +
                       python->executable.string() + " are not installed)");
  }
  includes.push_back(python->include_dir.string());
  if (wants_numpy) {
    if (python->numpy_include) {
      includes.push_back(python->numpy_include->string());
    } else {
      warnings.push_back("the sources include NumPy headers but numpy is not importable by " +
                         python->executable.string() + "; units that include them will not parse");
    }
  }
  return includes;
}

// "2 extensions", "1 macro".
std::string counted(std::size_t count, const std::string& one, const std::string& many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

// What the build files contributed, for the origin string: "setup.py, meson.build: 2
// extensions, 3 macros, 1 include dir applied".
struct DeclaredFlagsTally {
  std::vector<std::string> files;  // those that declared an extension
  std::set<std::size_t> applied;   // db.commands that got declared flags (the first wins)
  std::size_t extensions = 0, macros = 0, include_dirs = 0;
};

bool is_macro_flag(const std::string& flag) { return flag.starts_with("-D") || flag.starts_with("-U"); }
bool is_include_flag(const std::string& flag) { return flag.starts_with("-I"); }

// An extension's import name ends in the name its PyInit_ function carries: `pkg._ext`
// is built from PyInit__ext. A name that is not a literal says nothing.
void note_declared_module(const std::string& extension_name, CompileCommand& command) {
  if (extension_name.empty()) return;
  std::string module = extension_name.substr(extension_name.rfind('.') + 1);
  if (module.empty()) return;
  std::vector<std::string>& modules = command.declared_modules;
  if (std::find(modules.begin(), modules.end(), module) == modules.end()) modules.push_back(module);
}

// The one place declared flags reach commands: the -D/-U/-I of each extension (setup.py's,
// pyproject.toml's, meson.build's), after `shared` (setup.cfg's [build_ext]), are added to
// the inferred command of each of its sources in the tree (relative to base_dir, or
// absolute), before the inferred -I so that the project's own directories are searched
// first. A source already given flags by an earlier extension or file keeps those. Sources
// that no extension lists keep the inferred flags alone.
void apply_declared_extensions(const SetupPyDeclarations& declarations, const std::vector<std::string>& shared,
                               const fs::path& base_dir, const fs::path& tree, const std::string& shown,
                               CompileDatabase& db, DeclaredFlagsTally& tally) {
  db.warnings.insert(db.warnings.end(), declarations.warnings.begin(), declarations.warnings.end());
  db.notes.insert(db.notes.end(), declarations.notes.begin(), declarations.notes.end());
  if (declarations.extensions.empty()) return;
  std::map<fs::path, std::size_t> command_of;  // canonical source -> index in db.commands
  for (std::size_t i = 0; i < db.commands.size(); ++i) command_of.emplace(canonical_or_self(db.commands[i].file), i);
  DroppedFlagSummary dropped;
  bool any_applied = false;
  for (const SetupExtension& extension : declarations.extensions) {
    if (!extension.sources) continue;
    std::vector<std::size_t> targets;
    for (const std::string& source : *extension.sources) {
      auto it = command_of.find(canonical_or_self(absolute_normal(base_dir / source)));
      if (it == command_of.end()) continue;
      note_declared_module(extension.name, db.commands[it->second]);
      if (tally.applied.insert(it->second).second) targets.push_back(it->second);
    }
    if (targets.empty()) continue;
    any_applied = true;
    std::vector<std::string> own = setup_extension_flags(extension, base_dir, tree, shown, db.warnings);
    tally.macros += static_cast<std::size_t>(std::count_if(own.begin(), own.end(), is_macro_flag));
    tally.include_dirs += static_cast<std::size_t>(std::count_if(own.begin(), own.end(), is_include_flag));
    std::vector<std::string> argv{"cc"};
    argv.insert(argv.end(), shared.begin(), shared.end());
    argv.insert(argv.end(), own.begin(), own.end());
    for (std::size_t target : targets) {
      CompileCommand& command = db.commands[target];
      CleanedFlags flags = clean_compile_flags(argv, {command.file, command.file.string(), base_dir, {tree}});
      dropped.add(flags.dropped);
      auto first_include = std::find_if(command.args.begin(), command.args.end(), is_include_flag);
      command.args.insert(first_include, flags.args.begin(), flags.args.end());
    }
  }
  dropped.append_warnings(shown, db.warnings);
  tally.files.push_back(fs::path(shown).filename().string());
  tally.extensions += declarations.extensions.size();
  if (any_applied && !shared.empty()) {
    tally.files.emplace_back("setup.cfg");
    tally.macros += static_cast<std::size_t>(std::count_if(shared.begin(), shared.end(), is_macro_flag));
    tally.include_dirs += static_cast<std::size_t>(std::count_if(shared.begin(), shared.end(), is_include_flag));
  }
}

// A build file at the root that is a symlink out of the tree is not read.
bool inside_tree(const fs::path& file, const fs::path& tree, std::vector<std::string>& warnings) {
  if (is_within(canonical_or_self(file), tree)) return true;
  warnings.push_back(file.string() + ": not read (a symlink that leads out of the scanned tree)");
  return false;
}

bool exists_here(const fs::path& file) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(file, ec)) && !ec;
}

// setup.py's Extension(...)s and setup.cfg's [build_ext] (analyzer/setup_py.h).
void apply_setup_py(const std::optional<Interpreter>& python, const fs::path& root, const fs::path& tree,
                    CompileDatabase& db, DeclaredFlagsTally& tally) {
  fs::path setup_py = root / "setup.py";
  if (!exists_here(setup_py)) return;
  std::string shown = setup_py.string();
  if (!python) {
    db.warnings.push_back(shown +
                          ": not read (no Python to parse it); its define_macros and include_dirs were not applied");
    return;
  }
  if (!inside_tree(setup_py, tree, db.warnings)) return;
  std::optional<fs::path> setup_cfg;
  if (exists_here(root / "setup.cfg") && inside_tree(root / "setup.cfg", tree, db.warnings))
    setup_cfg = root / "setup.cfg";
  std::optional<SetupPyDeclarations> declarations = read_setup_py(setup_py, shown, *python, setup_cfg);
  if (!declarations) return;
  // setup.cfg's [build_ext] options: build_ext applies them to every extension.
  std::vector<std::string> build_ext_flags;
  if (declarations->build_ext && !declarations->extensions.empty()) {
    build_ext_flags =
        setup_extension_flags(*declarations->build_ext, root, tree, setup_cfg->string() + " [build_ext]", db.warnings);
  }
  apply_declared_extensions(*declarations, build_ext_flags, root, tree, shown, db, tally);
}

// pyproject.toml: setuptools' ext-modules are applied like setup.py's; meson-python's
// flags are meson.build's (read next); other backends that compile are a note on how to
// supply their flags.
void apply_pyproject_toml(const fs::path& root, const fs::path& tree, CompileDatabase& db, DeclaredFlagsTally& tally) {
  fs::path pyproject = root / "pyproject.toml";
  if (!exists_here(pyproject) || !inside_tree(pyproject, tree, db.warnings)) return;
  std::string shown = pyproject.string();
  std::optional<PyprojectDeclarations> declarations = read_pyproject_toml(pyproject, shown);
  if (!declarations) return;
  apply_declared_extensions(declarations->setuptools, {}, root, tree, shown, db, tally);
  const std::string& backend = declarations->build_backend;
  if (backend.empty() || db.commands.empty()) return;
  if (backend == "mesonpy") {
    db.notes.push_back(shown + ": build-backend mesonpy: " +
                       (exists_here(root / "meson.build") ? std::string("the flags were read from meson.build")
                                                          : std::string("there is no meson.build beside it to read")));
    return;
  }
  // Backends that compile nothing, or whose flags subcheck reads (setup.py, ext-modules).
  for (std::string_view known : {"setuptools.build_meta", "setuptools.build_meta:__legacy__", "flit_core.buildapi",
                                 "hatchling.build", "poetry.core.masonry.api", "pdm.backend"}) {
    if (backend == known) return;
  }
  db.notes.push_back(shown + ": build-backend " + backend +
                     " computes the compile flags in its own build system, which subcheck does not run; supply "
                     "them with a compile database (CMake: configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON, then "
                     "scan with -p BUILD_DIR) or with --extra-arg=-DNAME / --extra-arg=-IDIR");
}

void apply_meson_build(const fs::path& root, const fs::path& tree, CompileDatabase& db, DeclaredFlagsTally& tally) {
  if (std::optional<SetupPyDeclarations> declarations = read_meson_build(root, tree)) {
    // Sources and include directories come back absolute.
    apply_declared_extensions(*declarations, {}, root, tree, (root / "meson.build").string(), db, tally);
  }
}

// Flags the tree's build files declare, on top of the inferred ones.
void apply_build_files(const std::optional<Interpreter>& python, const fs::path& root, CompileDatabase& db) {
  fs::path tree = canonical_or_self(root);
  DeclaredFlagsTally tally;
  apply_setup_py(python, root, tree, db, tally);
  apply_pyproject_toml(root, tree, db, tally);
  apply_meson_build(root, tree, db, tally);
  if (tally.files.empty()) return;
  std::string from;
  for (const std::string& file : tally.files) from += (from.empty() ? "" : ", ") + file;
  db.origin += " (+ " + from + ": " + counted(tally.extensions, "extension", "extensions") + ", " +
               counted(tally.macros, "macro", "macros") + ", " +
               counted(tally.include_dirs, "include dir", "include dirs") + " applied)";
}

CompileDatabase infer_commands(const CompileDatabaseOptions& options, bool root_is_directory) {
  CompileDatabase db;
  db.origin = "inferred";
  fs::path root = absolute_normal(options.root);
  TreeScan scan = scan_tree(root, options.max_file_bytes, &db.warnings);
  // A single file brings its own folder, not whatever tree it happens to sit in.
  fs::path include_root = root_is_directory ? root : root.parent_path();
  std::vector<fs::path> header_dirs =
      root_is_directory ? header_directories(scan.headers, include_root) : std::vector<fs::path>{};
  std::vector<std::string> system_includes =
      python_system_includes(options.python, tree_mentions_numpy(scan), db.warnings);
  FlagInference inference(include_root, std::move(header_dirs), std::move(system_includes));
  for (const fs::path& source : scan.sources) db.commands.push_back(inference.command_for(source));
  if (root_is_directory) apply_build_files(options.python, root, db);
  return db;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Public interface

std::vector<fs::path> find_sources(const fs::path& root, std::vector<std::string>* warnings,
                                   std::uint64_t max_file_bytes) {
  return scan_tree(root, max_file_bytes, warnings).sources;
}

CompileDatabase load_compile_database(const CompileDatabaseOptions& options) {
  fs::path root = absolute_normal(options.root);
  std::error_code ec;
  if (!fs::exists(root, ec)) throw std::runtime_error("no such file or directory: " + root.string());
  bool root_is_directory = fs::is_directory(root, ec);

  if (std::optional<fs::path> database = locate_database(options, root_is_directory)) {
    DatabaseScope scope{canonical_or_self(root), std::nullopt, options.max_file_bytes};
    if (!root_is_directory) scope.only = scope.tree;
    CompileDatabase db;
    try {
      db = commands_from_database(*database, scope);
    } catch (const std::runtime_error& error) {
      // One the user named with -p must be right; one we found in the tree is a guess,
      // and a broken guess must not cost the scan.
      if (options.build_dir) throw;
      CompileDatabase inferred = infer_commands(options, root_is_directory);
      inferred.warnings.insert(inferred.warnings.begin(), std::string(error.what()) + "; flags inferred instead");
      return inferred;
    }
    if (!db.commands.empty()) return db;
    CompileDatabase inferred = infer_commands(options, root_is_directory);
    inferred.warnings.insert(inferred.warnings.begin(), db.warnings.begin(), db.warnings.end());
    inferred.warnings.insert(inferred.warnings.begin(),
                             database->string() + " has no usable entry for " + root.string() + "; flags inferred");
    return inferred;
  }
  return infer_commands(options, root_is_directory);
}

}  // namespace subcheck
