// Compile commands: read from compile_commands.json, or inferred from the tree and the
// target Python.
#include "analyzer/compile_db.h"

#include "core/process.h"

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

class TreeWalker {
 public:
  TreeWalker(TreeScan& scan, std::vector<std::string>* warnings) : scan_(scan), warnings_(warnings) {}

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
    fs::file_status status = fs::status(entry, ec);  // follows symlinks; broken ones fail
    if (ec) return;
    if (fs::is_directory(status)) {
      visit_directory(entry);
    } else if (fs::is_regular_file(status)) {
      if (has_extension(entry, kSourceExtensions)) scan_.sources.push_back(entry);
      if (has_extension(entry, kHeaderExtensions)) scan_.headers.push_back(entry);
    }
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

  void warn(std::string message) {
    if (warnings_) warnings_->push_back(std::move(message));
  }

  TreeScan& scan_;
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

TreeScan scan_tree(const fs::path& root, std::vector<std::string>* warnings) {
  TreeScan scan;
  fs::path start = absolute_normal(root);
  std::error_code ec;
  if (fs::is_directory(start, ec)) {
    TreeWalker(scan, warnings).walk(start);
  } else if (fs::is_regular_file(start, ec)) {
    if (has_extension(start, kSourceExtensions)) scan.sources.push_back(start);
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
        if (line[i] == '\\' && i + 1 < line.size() && std::string_view("\"\\$`\n").find(line[i + 1]) != std::string_view::npos) ++i;
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

// Flags gcc understands and clang rejects as "unknown argument" (or fails on, like a gcc
// plugin or a missing profile). libclang reports those as errors, so the unit would look
// broken. All of them steer gcc's optimiser, code generation or diagnostics output only:
// dropping them changes nothing the preprocessor or parser sees. Distribution and CPython
// builds (LTO, PGO, hardening) are where they come from. Prefixes end in '=' or '-'.
const std::set<std::string, std::less<>> kGccOnlyFlags = {
    "-fno-gnu-unique", "-fconserve-stack", "-fallow-store-data-races", "-fno-allow-store-data-races",
    "-fkeep-inline-dllexport", "-fno-keep-inline-dllexport", "-freorder-blocks-and-partition",
    "-fno-reorder-blocks-and-partition", "-fstrict-volatile-bitfields", "-fno-strict-volatile-bitfields",
    "-fearly-inlining", "-fno-early-inlining", "-fguess-branch-probability", "-fno-guess-branch-probability",
    "-fhardened", "-fcallgraph-info", "-fprintf-return-value", "-fno-printf-return-value",
    "-fcompare-debug-second", "-mindirect-branch-register", "-fcanonical-system-headers",
    "-fno-canonical-system-headers", "-flifetime-dse", "-fno-lifetime-dse", "-faggressive-loop-optimizations",
    "-fno-aggressive-loop-optimizations", "-fmove-loop-invariants", "-fno-move-loop-invariants",
    "-fira-loop-pressure", "-fpredictive-commoning", "-fno-toplevel-reorder", "-fpeephole2",
    "-fno-peephole2", "-fno-crossjumping", "-fno-if-conversion", "-fno-code-hoisting", "-fno-dse",
    "-fno-dce", "-fanalyzer", "-fuse-linker-plugin", "-ffat-lto-objects", "-fno-fat-lto-objects",
    "-fext-numeric-literals", "-fno-enforce-eh-specs", "-fnothrow-opt", "-fdeduce-init-list",
    "-fno-nonansi-builtins",
};
constexpr std::string_view kGccOnlyFlagPrefixes[] = {
    "-flto",  // LTO only matters to the linker; gcc's -flto=N and -flto-partition= fail in clang
    "-fprofile-", "-fauto-profile", "-fipa-", "-fno-ipa-", "-ftree-", "-fno-tree-", "-fvar-tracking",
    "-fno-var-tracking", "-fdump-", "-fopt-info", "-fplugin", "-fsched-", "-fgraphite", "-floop-",
    "-mindirect-branch=", "-mfunction-return=", "-fstack-reuse=", "-fabi-version=", "-fasan-shadow-offset=",
    "-freorder-blocks-algorithm=", "-fconcepts",
};

bool is_gcc_only_flag(std::string_view arg) {
  if (kGccOnlyFlags.count(arg)) return true;
  return std::any_of(std::begin(kGccOnlyFlagPrefixes), std::end(kGccOnlyFlagPrefixes),
                     [&](std::string_view prefix) { return arg.starts_with(prefix); });
}

// Flags that only change what the compiler writes or which errors stop it.
bool is_output_or_error_flag(std::string_view arg) {
  static const std::set<std::string_view> exact = {"-c", "-E", "-S", "-M", "-MM", "-MD", "-MMD", "-MP", "-MG",
                                                   "-pedantic-errors"};
  return exact.count(arg) || arg.starts_with("-Werror") || arg.starts_with("-save-temps");
}

// Flags followed by a value that goes with them: -o X, -MF X, -MT X, -MQ X, and clang's
// -MJ X (which would write a compile database fragment).
bool is_output_flag_with_value(std::string_view arg) {
  return arg == "-o" || arg == "-MF" || arg == "-MT" || arg == "-MQ" || arg == "-MJ";
}

// The joined forms: -oX, -MFX, -MTX, -MQX, -MJX.
bool is_joined_output_flag(std::string_view arg) {
  for (std::string_view flag : {"-MF", "-MT", "-MQ", "-MJ"}) {
    if (arg.size() > flag.size() && arg.starts_with(flag)) return true;
  }
  return arg.size() > 2 && arg.starts_with("-o");
}

// Options whose value is a path. libclang parses in our working directory, not the
// entry's, so relative values are made absolute.
constexpr std::array<std::string_view, 10> kPathOptions = {
    "-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros", "-F", "-isysroot", "--sysroot", "--sysroot="};

std::string absolute_against(const fs::path& directory, const std::string& value) {
  fs::path path(value);
  if (value.empty() || path.is_absolute()) return value;
  return (directory / path).lexically_normal().string();
}

bool is_compiler_launcher(const std::string& program) {
  std::string name = fs::path(program).filename().string();
  return name == "ccache" || name == "sccache" || name == "distcc" || name == "icecc" || name == "buildcache";
}

bool is_cxx_driver(const std::string& program) {
  std::string name = fs::path(program).filename().string();
  return name.find("++") != std::string::npos;
}

struct ArgumentCleaner {
  fs::path file;           // absolute
  std::string raw_file;    // as written in the entry
  fs::path directory;      // absolute

  std::vector<std::string> clean(const std::vector<std::string>& argv) const {
    std::size_t first = 0;
    if (first < argv.size() && is_compiler_launcher(argv[first])) ++first;
    std::string compiler = first < argv.size() ? argv[first] : std::string();
    ++first;  // the compiler itself

    std::vector<std::string> args;
    bool language_given = false;
    for (std::size_t i = first; i < argv.size(); ++i) {
      const std::string& arg = argv[i];
      if (is_output_flag_with_value(arg)) {
        ++i;
        continue;
      }
      if (is_joined_output_flag(arg) || is_output_or_error_flag(arg) || is_gcc_only_flag(arg) || is_source_file(arg)) {
        continue;
      }
      if (arg == "-x" || (arg.starts_with("-x") && arg.size() > 2)) language_given = true;
      if (std::optional<std::size_t> consumed = append_path_option(argv, i, args)) {
        i += *consumed;
        continue;
      }
      args.push_back(arg);
    }
    // `g++ module.c` compiles C++: without the driver name that knowledge would be lost.
    if (!language_given && is_cxx_driver(compiler) && file.extension() == ".c") {
      args.insert(args.begin(), {"-x", "c++"});
    }
    return args;
  }

 private:
  bool is_source_file(const std::string& arg) const {
    if (arg.empty() || arg.starts_with('-')) return false;
    return arg == raw_file || fs::path(absolute_against(directory, arg)) == file;
  }

  // Appends a path option with its value made absolute; returns how many extra argv
  // entries it used, or nullopt when argv[i] is not a path option.
  std::optional<std::size_t> append_path_option(const std::vector<std::string>& argv, std::size_t i,
                                                std::vector<std::string>& args) const {
    const std::string& arg = argv[i];
    for (std::string_view option : kPathOptions) {
      if (arg == option && !option.ends_with('=')) {
        args.push_back(arg);
        if (i + 1 < argv.size()) args.push_back(absolute_against(directory, argv[i + 1]));
        return 1;
      }
      if (arg.size() > option.size() && arg.starts_with(option) && joinable(option)) {
        args.push_back(std::string(option) + absolute_against(directory, arg.substr(option.size())));
        return 0;
      }
    }
    return std::nullopt;
  }

  // -include and -imacros never take a joined value; -isystemX, -IX, --sysroot=X do.
  static bool joinable(std::string_view option) {
    return option != "-include" && option != "-imacros" && option != "--sysroot";
  }
};

[[noreturn]] void throw_corrupt(const fs::path& database, const std::string& why) {
  throw std::runtime_error("corrupt compile database " + database.string() + ": " + why);
}

nlohmann::json read_database_json(const fs::path& database) {
  std::ifstream in(database, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read compile database " + database.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw_corrupt(database, error.what());
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
  return "skipped " + std::to_string(count) + " compile database entr" + (count == 1 ? "y" : "ies") + " " +
         what + " (e.g. " + example.string() + ")";
}

// Turns database entries into commands; `only` restricts them to one file.
CompileDatabase commands_from_database(const fs::path& database, const std::optional<fs::path>& only) {
  CompileDatabase db;
  db.origin = "compile_commands.json: " + database.string();
  nlohmann::json json = read_database_json(database);
  std::set<fs::path> seen;
  std::map<std::string, std::pair<std::size_t, fs::path>> skipped;  // reason -> (count, example)
  auto skip = [&](const std::string& reason, const fs::path& file) {
    auto& [count, example] = skipped[reason];
    if (count++ == 0) example = file;
  };
  for (std::size_t index = 0; index < json.size(); ++index) {
    RawEntry raw = parse_entry(json[index], index, database);
    std::error_code ec;
    if (only && canonical_or_self(raw.file) != *only) continue;
    if (!has_extension(raw.file, kDatabaseSourceExtensions)) {
      skip("that are not C/C++ sources", raw.file);
    } else if (!fs::is_regular_file(raw.file, ec)) {
      skip("whose file does not exist", raw.file);
    } else if (!seen.insert(canonical_or_self(raw.file)).second) {
      skip("that compile a file already listed (the first entry is used)", raw.file);
    } else {
      ArgumentCleaner cleaner{raw.file, raw.raw_file, raw.directory};
      db.commands.push_back({raw.file, raw.directory, cleaner.clean(raw.argv)});
    }
  }
  for (const auto& [reason, count_and_example] : skipped) {
    db.warnings.push_back(skipped_summary(count_and_example.first, reason, count_and_example.second));
  }
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
  if (fs::is_regular_file(root / "compile_commands.json", ec)) return root / "compile_commands.json";
  std::vector<fs::path> build_dirs;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with("build") && it->is_directory(ec)) build_dirs.push_back(it->path());
  }
  std::sort(build_dirs.begin(), build_dirs.end());
  for (const fs::path& dir : build_dirs) {
    if (fs::is_regular_file(dir / "compile_commands.json", ec)) return dir / "compile_commands.json";
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
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
    CompileCommand command{source, root_, {}};
    bool is_c = source.extension() == ".c";
    command.args = is_c ? std::vector<std::string>{"-x", "c", "-std=gnu11"}
                        : std::vector<std::string>{"-x", "c++", "-std=gnu++17"};
    // System includes come first; -I directories are searched before -isystem ones by
    // the compiler anyway, so the order of the flags is about readability only.
    for (const std::string& dir : system_includes_) {
      command.args.push_back("-isystem");
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
    warnings.push_back("no Python >= 3.12 found; pass --python");
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

CompileDatabase infer_commands(const CompileDatabaseOptions& options, bool root_is_directory) {
  CompileDatabase db;
  db.origin = "inferred";
  fs::path root = absolute_normal(options.root);
  TreeScan scan = scan_tree(root, &db.warnings);
  // A single file brings its own folder, not whatever tree it happens to sit in.
  fs::path include_root = root_is_directory ? root : root.parent_path();
  std::vector<fs::path> header_dirs = root_is_directory ? header_directories(scan.headers, include_root) : std::vector<fs::path>{};
  std::vector<std::string> system_includes = python_system_includes(options.python, tree_mentions_numpy(scan), db.warnings);
  FlagInference inference(include_root, std::move(header_dirs), std::move(system_includes));
  for (const fs::path& source : scan.sources) db.commands.push_back(inference.command_for(source));
  return db;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Public interface

std::vector<fs::path> find_sources(const fs::path& root, std::vector<std::string>* warnings) {
  return scan_tree(root, warnings).sources;
}

CompileDatabase load_compile_database(const CompileDatabaseOptions& options) {
  fs::path root = absolute_normal(options.root);
  std::error_code ec;
  if (!fs::exists(root, ec)) throw std::runtime_error("no such file or directory: " + root.string());
  bool root_is_directory = fs::is_directory(root, ec);

  if (std::optional<fs::path> database = locate_database(options, root_is_directory)) {
    std::optional<fs::path> only;
    if (!root_is_directory) only = canonical_or_self(root);
    CompileDatabase db;
    try {
      db = commands_from_database(*database, only);
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
