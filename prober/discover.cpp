// Finding every extension module in what the user pointed at: an installed distribution,
// a wheel, or a directory (build tree), with the name each is imported under, the sys.path
// entry that makes that name work, its PyInit symbols, and whether the interpreter's ABI
// can load it at all.
//
// The rules, in one place:
// - An extension module file ends in ".<tag>.so" with a tag CPython or Debian uses
//   (cpython-313-<triplet>, cpython-313t-<triplet>, abi3, Debian's abi3-<triplet>, pypy…),
//   or is a plain "<name>.so" that exports PyInit_<name> (or PEP 793's PyModExport_<name>,
//   which CPython 3.15+ calls first). Other shared libraries
//   ("libfoo.so", "libpython3.13.so") are not modules and are passed over silently; a
//   candidate that is not readable ELF is skipped with a warning.
// - A file that exports several init functions holds several modules: each is probed
//   under its own name, in the file's package (the host loads it by spec from the file).
// - Names: a directory's files are named from the nearest ancestor that is not a package
//   (no __init__.py), even above the directory given, and that ancestor is the sys.path
//   entry; but inside a site-packages or dist-packages directory, from that directory
//   (namespace packages have no __init__.py). Hidden directories (.git, .venv, .tox) and __pycache__ are not walked,
//   nor are symlinked directories (no loops). An installed distribution's and a wheel's files are named from the site
//   directory / unpacked root, which is the sys.path entry.
// - Installed: RECORD; else egg-info's installed-files.txt; else dpkg's list of the package
//   that installed the metadata directory; else top_level.txt (Debian strips RECORD). A bare project name is looked up
//   in the interpreter's purelib, PEP 503 normalised, by directory name and then by the Name: in METADATA/PKG-INFO.
// - ABI: the file's tag must be one of the interpreter's EXTENSION_SUFFIXES. abi3 (either
//   spelling) never matches a free-threaded build, even though 3.13t lists ".abi3.so"
//   (docs/cpython-behaviour.md #13). A plain .so is judged by the reference counting it imports.
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <tuple>
#include <variant>

#include "prober/dpkg_lists.h"
#include "prober/elf_symbols.h"
#include "prober/prober.h"
#include "prober/wheel_archive.h"

namespace subcheck::prober {
namespace fs = std::filesystem;

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// ---------------------------------------------------------------------------------------
// Extension module file names

// "_speedups.cpython-313-x86_64-linux-gnu.so" -> {"_speedups", "cpython-313-x86_64-linux-gnu"};
// "_x.abi3.so" -> {"_x", "abi3"}; Debian's "_x.abi3-x86_64-linux-gnu.so" -> {"_x",
// "abi3-x86_64-linux-gnu"}; "_x.so" -> {"_x", ""}.
struct ExtensionName {
  std::string stem;  // the last component of the module name
  std::string tag;   // the ABI tag between stem and ".so"; empty for a plain ".so"
};

std::optional<ExtensionName> split_extension_name(const std::string& filename) {
  if (!ends_with(filename, ".so") || filename.size() <= 3) return std::nullopt;
  std::string base = filename.substr(0, filename.size() - 3);
  std::size_t dot = base.find('.');
  if (dot == std::string::npos) return ExtensionName{base, ""};
  if (dot == 0) return std::nullopt;
  std::string tag = base.substr(dot + 1);
  // Anything else ("libpython3.13.so", "foo.1.so") is an ordinary shared library.
  bool known = tag == "abi3" || starts_with(tag, "abi3-") || starts_with(tag, "cpython-") || starts_with(tag, "pypy");
  if (!known || tag.find('.') != std::string::npos) return std::nullopt;
  return ExtensionName{base.substr(0, dot), tag};
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// A name the import system can use: letters, digits, '_' (or non-ASCII letters), not
// starting with a digit. "foo-1.0" or ".libs" are not packages.
bool is_identifier(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte >= 0x80 || std::isalnum(byte) || c == '_';
  });
}

// PEP 793: CPython 3.15 looks for PyModExport_<name> before PyInit_<name>; older
// versions know only PyInit_ (docs/cpython-behaviour.md #22).
bool calls_module_export(const Interpreter& interpreter) {
  int major = 0, minor = 0;
  if (std::sscanf(interpreter.version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major > 3 || (major == 3 && minor >= 15);
}

// The init-symbol prefixes this interpreter calls, for ASCII and non-ASCII names.
std::vector<std::pair<std::string_view, std::string_view>> init_prefixes(const Interpreter& interpreter) {
  std::vector<std::pair<std::string_view, std::string_view>> prefixes{{"PyInit_", "PyInitU_"}};
  if (calls_module_export(interpreter)) prefixes.insert(prefixes.begin(), {"PyModExport_", "PyModExportU_"});
  return prefixes;
}

// CPython calls PyInit_<name> (or, on 3.15+, PyModExport_<name>), or the U form with the
// punycode of a non-ASCII name (docs/cpython-behaviour.md #15, #22).
bool exports_init_for(const std::vector<std::string>& init_symbols, const std::string& stem,
                      const Interpreter& interpreter) {
  for (const auto& [ascii, non_ascii] : init_prefixes(interpreter)) {
    if (!is_ascii(stem)) {
      if (std::any_of(init_symbols.begin(), init_symbols.end(),
                      [&](const std::string& symbol) { return starts_with(symbol, non_ascii); })) {
        return true;
      }
    } else if (contains(init_symbols, std::string(ascii) + stem)) {
      return true;
    }
  }
  return false;
}

// Any init symbol at all, whatever CPython version calls it: a plain .so without one
// never claimed to be a module.
bool exports_any_init(const std::vector<std::string>& init_symbols, const std::string& stem) {
  for (std::string_view prefix : {"PyInit_", "PyModExport_"}) {
    if (contains(init_symbols, std::string(prefix) + stem)) return true;
  }
  return !is_ascii(stem) && !init_symbols.empty();
}

// Why the interpreter will not find the stem's init function.
std::string missing_init_warning(const fs::path& file, const std::vector<std::string>& init_symbols,
                                 const std::string& stem, const Interpreter& interpreter) {
  if (!calls_module_export(interpreter) && contains(init_symbols, "PyModExport_" + stem)) {
    return file.string() + " exports PyModExport_" + stem +
           " (PEP 793, called by CPython 3.15 and later) but no PyInit_" + stem + ": importing it into CPython " +
           interpreter.version + " will fail";
  }
  if (calls_module_export(interpreter)) {
    return file.string() + " exports neither PyModExport_" + stem + " nor PyInit_" + stem + ": importing it will fail";
  }
  return file.string() + " exports no PyInit_" + stem + ": importing it will fail";
}

// The other modules a file holds (docs/cpython-behaviour.md #15): the ASCII names of its
// init symbols that this interpreter calls, besides the stem's, sorted and distinct. The
// non-ASCII ones (U forms) cannot be named without decoding punycode: `unnamed` gets them.
std::vector<std::string> other_modules_in(const std::vector<std::string>& init_symbols, const std::string& stem,
                                          const Interpreter& interpreter, std::vector<std::string>& unnamed) {
  std::set<std::string> names;
  for (const std::string& symbol : init_symbols) {
    for (const auto& [ascii, non_ascii] : init_prefixes(interpreter)) {
      if (starts_with(symbol, non_ascii)) {
        unnamed.push_back(symbol);
      } else if (starts_with(symbol, ascii) && symbol.substr(ascii.size()) != stem) {
        names.insert(symbol.substr(ascii.size()));
      }
    }
  }
  return {names.begin(), names.end()};
}

// ---------------------------------------------------------------------------------------
// Does the interpreter's ABI match the file's?

// "cpython-313t-x86_64-linux-gnu" -> {"cpython-313t", "x86_64-linux-gnu"}.
std::pair<std::string, std::string> split_soabi(const std::string& soabi) {
  std::size_t first = soabi.find('-');
  std::size_t second = first == std::string::npos ? std::string::npos : soabi.find('-', first + 1);
  if (second == std::string::npos) return {soabi, ""};
  return {soabi.substr(0, second), soabi.substr(second + 1)};
}

std::string mismatch_for_abi3(const std::string& tag, const Interpreter& interpreter) {
  if (interpreter.free_threaded) {
    return "built for the stable ABI (" + tag + "), which free-threaded " + interpreter.implementation_tag +
           " cannot load";
  }
  const std::string platform = split_soabi(interpreter.soabi).second;
  if (starts_with(tag, "abi3-") && !platform.empty() && tag.substr(5) != platform) {
    return "built for " + tag + ", interpreter is " + interpreter.implementation_tag + " on " + platform;
  }
  if (!contains(interpreter.extension_suffixes, ".abi3.so")) {
    return "built for the stable ABI (" + tag + "), which " + interpreter.implementation_tag + " does not load";
  }
  return {};
}

std::string mismatch_for_versioned(const std::string& tag, const Interpreter& interpreter) {
  if (contains(interpreter.extension_suffixes, "." + tag + ".so")) return {};
  auto [file_abi, file_platform] = split_soabi(tag);
  auto [interpreter_abi, interpreter_platform] = split_soabi(interpreter.soabi);
  if (file_platform == interpreter_platform || interpreter_platform.empty()) {
    return "built for " + file_abi + ", interpreter is " + interpreter.implementation_tag;
  }
  return "built for " + tag + ", interpreter is " + interpreter.implementation_tag + " (" + interpreter.soabi + ")";
}

// A plain "foo.so" says nothing in its name; the reference counting it was compiled
// with says which build it was made for (prober/elf_symbols.h).
std::string mismatch_for_plain(const ElfSymbols& symbols, const Interpreter& interpreter) {
  if (!contains(interpreter.extension_suffixes, ".so")) {
    return "a plain .so, which " + interpreter.implementation_tag + " does not load";
  }
  if (interpreter.free_threaded && symbols.imports_gil_refcount && !symbols.imports_free_threaded_refcount) {
    return "a plain .so built for a GIL build (it calls _Py_Dealloc, not the free-threaded reference counting), "
           "interpreter is " +
           interpreter.implementation_tag;
  }
  if (!interpreter.free_threaded && symbols.imports_free_threaded_refcount) {
    return "a plain .so built for a free-threaded build (it calls _Py_MergeZeroLocalRefcount/_Py_DecRefShared), "
           "interpreter is " +
           interpreter.implementation_tag;
  }
  return {};
}

std::string abi_mismatch(const ExtensionName& name, const ElfSymbols& symbols, const Interpreter& interpreter) {
  if (name.tag.empty()) return mismatch_for_plain(symbols, interpreter);
  if (name.tag == "abi3" || starts_with(name.tag, "abi3-")) return mismatch_for_abi3(name.tag, interpreter);
  if (starts_with(name.tag, "cpython-")) return mismatch_for_versioned(name.tag, interpreter);
  return "built for " + name.tag + ", not CPython";
}

// ---------------------------------------------------------------------------------------
// Examining one candidate file

class ModuleCollector {
 public:
  ModuleCollector(const Interpreter& interpreter, ProbeTarget& target) : interpreter_(interpreter), target_(target) {}

  // `packages`: the package path of the module (the file's stem is appended).
  void add(const fs::path& file, std::vector<std::string> packages, const fs::path& sys_path_entry) {
    std::optional<ExtensionName> name = split_extension_name(file.filename().string());
    if (!name) return;
    std::error_code ec;
    fs::path absolute = fs::absolute(file, ec).lexically_normal();
    if (!seen_.insert(absolute).second) return;
    auto symbols_or_error = read_elf_symbols(absolute);
    if (auto* error = std::get_if<std::string>(&symbols_or_error)) {
      // A plain .so that is not ELF (a linker script, say) never claimed to be a module.
      if (!name->tag.empty()) target_.warnings.push_back("skipped " + absolute.string() + ": " + *error);
      return;
    }
    const ElfSymbols& symbols = std::get<ElfSymbols>(symbols_or_error);
    // A plain .so is an extension module only if CPython would find its init function.
    if (name->tag.empty() && !exports_any_init(symbols.init_symbols, name->stem)) return;
    packages.push_back(name->stem);
    if (!all_identifiers(packages, absolute)) return;
    if (!exports_init_for(symbols.init_symbols, name->stem, interpreter_)) {
      target_.warnings.push_back(missing_init_warning(absolute, symbols.init_symbols, name->stem, interpreter_));
    }
    add_module(make_file(joined(packages), absolute, sys_path_entry, *name, symbols), false);
    add_other_modules(absolute, packages, sys_path_entry, *name, symbols);
  }

 private:
  // Every other module the file exports, probed under its own name in the same package;
  // importing it by name fails (the finder looks for a file of that name), so the host
  // loads it with a spec for that name and this file (docs/cpython-behaviour.md #14, #15).
  void add_other_modules(const fs::path& file, std::vector<std::string> packages, const fs::path& sys_path_entry,
                         const ExtensionName& name, const ElfSymbols& symbols) {
    std::vector<std::string> unnamed;
    for (const std::string& other : other_modules_in(symbols.init_symbols, name.stem, interpreter_, unnamed)) {
      packages.back() = other;
      if (!is_identifier(other)) continue;
      add_module(make_file(joined(packages), file, sys_path_entry, name, symbols), true);
    }
    for (const std::string& symbol : unnamed) {
      target_.warnings.push_back(file.string() + " also exports " + symbol +
                                 ", a module with a non-ASCII name (punycode): not probed");
    }
  }

  // One module per import name. A file named for the module is what `import` finds, so it
  // wins over another file that also exports the module's init function (Debian's
  // psutil: _psutil_linux's file exports PyInit__psutil_posix too), whichever is seen first.
  // Between two such other files, one this interpreter can load wins over one built for
  // another (mypyc's shim PyInit___init__ in both cd.cpython-314… and cd.cpython-315…).
  // (Two files named for one module, say an abi3 and a versioned build, both stay: the
  // ABI check tells them apart.)
  void add_module(ExtensionFile module, bool other_module_of_file) {
    auto known = index_of_.find(module.module);
    if (other_module_of_file) {
      if (known != index_of_.end()) {
        ExtensionFile& kept = target_.modules[known->second];
        const bool loadable_replaces_unloadable =
            from_other_file_.contains(module.module) && !kept.matches_interpreter && module.matches_interpreter;
        if (loadable_replaces_unloadable) kept = std::move(module);
        return;
      }
      from_other_file_.insert(module.module);
    } else if (known != index_of_.end() && from_other_file_.erase(module.module) > 0) {
      target_.modules[known->second] = std::move(module);
      return;
    }
    index_of_.emplace(module.module, target_.modules.size());
    target_.modules.push_back(std::move(module));
  }

  bool all_identifiers(const std::vector<std::string>& parts, const fs::path& file) {
    for (const std::string& part : parts) {
      if (is_identifier(part)) continue;
      target_.warnings.push_back("skipped " + file.string() + ": '" + part + "' is not an importable name");
      return false;
    }
    return true;
  }

  static std::string joined(const std::vector<std::string>& parts) {
    std::string dotted;
    for (const std::string& part : parts) dotted += (dotted.empty() ? "" : ".") + part;
    return dotted;
  }

  ExtensionFile make_file(std::string module, const fs::path& file, const fs::path& sys_path_entry,
                          const ExtensionName& name, const ElfSymbols& symbols) const {
    ExtensionFile extension;
    extension.module = std::move(module);
    extension.file = file;
    std::error_code ec;
    extension.sys_path_entry = fs::absolute(sys_path_entry, ec).lexically_normal();
    extension.init_symbols = symbols.init_symbols;
    extension.c_api_imports = symbols.c_api_imports;
    extension.mismatch_reason = abi_mismatch(name, symbols, interpreter_);
    extension.matches_interpreter = extension.mismatch_reason.empty();
    return extension;
  }

  const Interpreter& interpreter_;
  ProbeTarget& target_;
  std::set<fs::path> seen_;
  std::map<std::string, std::size_t> index_of_;  // import name -> its place in target_.modules
  std::set<std::string> from_other_file_;        // names taken from a file named for another module
};

// The package path of a file given relative to a sys.path entry: "pkg/sub/_x.so" -> {"pkg", "sub"}.
std::vector<std::string> packages_of(const fs::path& relative) {
  std::vector<std::string> packages;
  for (const fs::path& part : relative.parent_path()) {
    if (!part.empty() && part != ".") packages.push_back(part.string());
  }
  return packages;
}

// ---------------------------------------------------------------------------------------
// Directories

bool is_python_package(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "__init__.py", ec);
}

// A site directory (site-packages, Debian's dist-packages) is a sys.path entry whatever
// lies between it and a module: namespace packages (PEP 420) have no __init__.py.
bool is_site_directory(const fs::path& dir) {
  const std::string name = dir.filename().string();
  return name == "site-packages" || name == "dist-packages";
}

// Walks up while the directory is a package: the first that is not is the sys.path entry,
// unless it lies inside a site directory, which is then the entry (Debian's
// zope/interface/_zope_interface_coptimizations is zope.interface.…, zope/ having no
// __init__.py; found by the sid audit, docs/sid-audit.md).
void add_by_package_layout(const fs::path& file, ModuleCollector& collector) {
  std::vector<std::string> packages;
  fs::path dir = file.parent_path();
  while (is_python_package(dir) && dir.has_relative_path()) {
    packages.insert(packages.begin(), dir.filename().string());
    dir = dir.parent_path();
  }
  std::vector<std::string> namespaces;
  for (fs::path above = dir; above.has_relative_path(); above = above.parent_path()) {
    if (is_site_directory(above)) {
      packages.insert(packages.begin(), namespaces.begin(), namespaces.end());
      dir = above;
      break;
    }
    namespaces.insert(namespaces.begin(), above.filename().string());
  }
  collector.add(file, packages, dir);
}

// Hidden directories (.git, .venv, .tox) hold other projects' modules, not this one's.
bool skip_directory(const fs::path& dir) {
  std::string name = dir.filename().string();
  return (!name.empty() && name.front() == '.') || name == "__pycache__";
}

// Symlinked directories are not followed (the default), so the walk cannot loop.
template <typename Visit>
void walk_files(const fs::path& root, std::vector<std::string>& warnings, Visit visit) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw std::runtime_error("cannot read " + root.string() + ": " + ec.message());
  for (fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) {
      warnings.push_back("stopped walking " + root.string() + " early: " + ec.message());
      break;
    }
    std::error_code status_error;
    if (it->is_directory(status_error) && !it->is_symlink(status_error)) {
      if (skip_directory(it->path())) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(status_error)) visit(it->path());
  }
}

bool looks_like_build_tree(const fs::path& dir) {
  std::error_code ec;
  for (const char* marker : {"pyproject.toml", "setup.py", "setup.cfg", "meson.build", "CMakeLists.txt"}) {
    if (fs::exists(dir / marker, ec)) return true;
  }
  return false;
}

ProbeTarget discover_directory(const fs::path& dir, const Interpreter& interpreter) {
  ProbeTarget target;
  target.kind = looks_like_build_tree(dir) ? "build-tree" : "directory";
  ModuleCollector collector(interpreter, target);
  walk_files(dir, target.warnings, [&](const fs::path& file) { add_by_package_layout(file, collector); });
  return target;
}

// ---------------------------------------------------------------------------------------
// Installed distributions

// PEP 503: runs of '-', '_' and '.' are one '-', case does not matter.
std::string normalise_project_name(std::string_view name) {
  std::string normal;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (normal.empty() || normal.back() != '-') normal += '-';
    } else {
      normal += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return normal;
}

bool is_metadata_dir_name(const std::string& name) {
  return ends_with(name, ".dist-info") || ends_with(name, ".egg-info");
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

// The Name: header of METADATA (dist-info) or PKG-INFO (egg-info).
std::string metadata_name(const fs::path& info_dir) {
  for (const char* file : {"METADATA", "PKG-INFO"}) {
    std::ifstream in(info_dir / file);
    for (std::string line; std::getline(in, line) && !line.empty() && line != "\r";) {
      if (starts_with(line, "Name:")) {
        std::string name = line.substr(5);
        name.erase(0, name.find_first_not_of(" \t"));
        name.erase(name.find_last_not_of(" \t\r") + 1);
        return name;
      }
    }
  }
  return {};
}

// "MarkupSafe-2.1.5.dist-info" -> "MarkupSafe" (wheel names escape '-' in the project).
std::string project_of(const fs::path& info_dir) {
  std::string stem = info_dir.stem().string();
  return stem.substr(0, stem.find('-'));
}

fs::path find_installed(const std::string& project, const Interpreter& interpreter) {
  const std::string wanted = normalise_project_name(project);
  std::vector<fs::path> candidates;
  std::string searched;
  for (const fs::path& site_dir : interpreter.site_dirs()) {
    searched += (searched.empty() ? "" : ", ") + site_dir.string();
    std::vector<fs::path> here;
    std::error_code ec;
    for (fs::directory_iterator it(site_dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (is_metadata_dir_name(it->path().filename().string()) && it->is_directory(ec)) here.push_back(it->path());
    }
    // In sys.path order, as the import system finds them.
    std::sort(here.begin(), here.end());
    candidates.insert(candidates.end(), here.begin(), here.end());
  }
  for (const fs::path& info_dir : candidates) {
    if (normalise_project_name(project_of(info_dir)) == wanted) return info_dir;
  }
  for (const fs::path& info_dir : candidates) {
    if (normalise_project_name(metadata_name(info_dir)) == wanted) return info_dir;
  }
  throw std::runtime_error("'" + project +
                           "' is not a file or directory, and no distribution of that name is installed in " +
                           searched + " (" + interpreter.implementation_tag + ")");
}

// The first field of a RECORD line (CSV: a path with a comma is quoted, "" is a quote).
std::string first_csv_field(const std::string& line) {
  if (line.empty() || line.front() != '"') return line.substr(0, line.find(','));
  std::string field;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] != '"') {
      field += line[i];
    } else if (i + 1 < line.size() && line[i + 1] == '"') {
      field += '"';
      ++i;
    } else {
      break;
    }
  }
  return field;
}

// A file listed relative to `base`, as a path relative to the site directory; nullopt
// when it lies outside it (scripts in ../../../bin).
std::optional<fs::path> inside_site(const fs::path& base, const std::string& listed, const fs::path& site) {
  fs::path relative = (base / listed).lexically_normal().lexically_relative(site);
  if (relative.empty() || *relative.begin() == "..") return std::nullopt;
  return relative;
}

void add_listed_files(const std::vector<std::string>& listed, const fs::path& base, const fs::path& site,
                      ModuleCollector& collector, ProbeTarget& target) {
  for (const std::string& entry : listed) {
    if (entry.empty() || !split_extension_name(fs::path(entry).filename().string())) continue;
    std::optional<fs::path> relative = inside_site(base, entry, site);
    if (!relative) continue;
    std::error_code ec;
    if (!fs::is_regular_file(site / *relative, ec)) {
      target.warnings.push_back((site / *relative).string() + " is listed as installed but missing");
      continue;
    }
    collector.add(site / *relative, packages_of(*relative), site);
  }
}

// Debian strips RECORD from the distributions it packages: top_level.txt names the
// packages and modules the distribution put into the site directory.
void add_top_level(const fs::path& info_dir, const fs::path& site, ModuleCollector& collector, ProbeTarget& target) {
  for (const std::string& name : read_lines(info_dir / "top_level.txt")) {
    if (name.empty() || !is_identifier(name)) continue;
    std::error_code ec;
    if (fs::is_directory(site / name, ec)) {
      walk_files(site / name, target.warnings,
                 [&](const fs::path& file) { collector.add(file, packages_of(file.lexically_relative(site)), site); });
    }
    for (fs::directory_iterator it(site, ec), end; !ec && it != end; it.increment(ec)) {
      std::string filename = it->path().filename().string();
      if (starts_with(filename, name + ".") && it->is_regular_file(ec)) collector.add(it->path(), {}, site);
    }
  }
}

ProbeTarget discover_installed(const fs::path& info_dir, const Interpreter& interpreter) {
  ProbeTarget target;
  target.kind = "installed";
  const fs::path site = info_dir.parent_path();
  ModuleCollector collector(interpreter, target);
  std::error_code ec;
  if (fs::is_regular_file(info_dir / "RECORD", ec)) {
    std::vector<std::string> listed;
    for (const std::string& line : read_lines(info_dir / "RECORD")) listed.push_back(first_csv_field(line));
    add_listed_files(listed, site, site, collector, target);
  } else if (fs::is_regular_file(info_dir / "installed-files.txt", ec)) {  // egg-info, relative to itself
    add_listed_files(read_lines(info_dir / "installed-files.txt"), info_dir, site, collector, target);
  } else if (std::optional<DpkgFiles> dpkg = dpkg_files_of(info_dir)) {
    target.warnings.push_back(info_dir.filename().string() + " has no RECORD: modules found from dpkg's " +
                              dpkg->list.string());
    add_listed_files(dpkg->files, site, site, collector, target);
  } else if (fs::is_regular_file(info_dir / "top_level.txt", ec)) {
    target.warnings.push_back(info_dir.filename().string() + " has no RECORD: modules found from top_level.txt");
    add_top_level(info_dir, site, collector, target);
  } else {
    throw std::runtime_error(
        info_dir.string() +
        " has no RECORD, installed-files.txt or top_level.txt, and no Debian package lists it: cannot tell "
        "which files it installed (pass the package directory instead)");
  }
  std::string distribution = metadata_name(info_dir);
  if (distribution.empty()) distribution = project_of(info_dir);
  for (ExtensionFile& module : target.modules) module.distribution = distribution;
  return target;
}

// ---------------------------------------------------------------------------------------
// Wheels

// A private directory (mkdtemp: mode 0700) removed with everything in it when the last
// ProbeTarget sharing it goes.
std::shared_ptr<const fs::path> make_scratch_dir() {
  std::string pattern = (fs::temp_directory_path() / "subcheck-wheel-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a private directory for the wheel under " +
                             fs::temp_directory_path().string());
  }
  return std::shared_ptr<const fs::path>(new fs::path(pattern), [](const fs::path* dir) {
    std::error_code ignored;
    fs::remove_all(*dir, ignored);  // removes links themselves, never what they point to
    delete dir;
  });
}

bool in_metadata_dir(const fs::path& relative) {
  return !relative.empty() && is_metadata_dir_name(relative.begin()->string());
}

ProbeTarget discover_wheel(const fs::path& wheel, const Interpreter& interpreter) {
  ProbeTarget target;
  target.kind = "wheel";
  target.scratch = make_scratch_dir();  // removed again if extraction throws
  target.archive = wheel;
  const fs::path& root = *target.scratch;
  WheelContents contents = extract_wheel(wheel, root);
  target.warnings = std::move(contents.warnings);
  std::sort(contents.files.begin(), contents.files.end());
  ModuleCollector collector(interpreter, target);
  for (const fs::path& relative : contents.files) {
    if (!in_metadata_dir(relative)) collector.add(root / relative, packages_of(relative), root);
  }
  return target;
}

// ---------------------------------------------------------------------------------------

bool looks_like_project_name(const std::string& text) {
  static const std::regex kProjectName(R"(^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$)");
  return std::regex_match(text, kProjectName);
}

void sort_modules(ProbeTarget& target) {
  std::sort(target.modules.begin(), target.modules.end(), [](const ExtensionFile& a, const ExtensionFile& b) {
    return std::tie(a.module, a.file) < std::tie(b.module, b.file);
  });
}

ProbeTarget discover_path(const fs::path& path, const Interpreter& interpreter) {
  std::error_code ec;
  const std::string name = path.filename().string();
  if (fs::is_directory(path, ec)) {
    if (is_metadata_dir_name(name)) return discover_installed(path, interpreter);
    return discover_directory(path, interpreter);
  }
  if (fs::is_regular_file(path, ec) && ends_with(name, ".whl")) return discover_wheel(path, interpreter);
  throw std::runtime_error(path.string() +
                           " is not a wheel (.whl), an installed distribution (.dist-info) or a directory");
}

}  // namespace

ProbeTarget discover(const std::string& input, const Interpreter& interpreter) {
  std::error_code ec;
  const fs::path path = fs::absolute(fs::path(input), ec).lexically_normal();
  ProbeTarget target;
  if (!input.empty() && fs::exists(path, ec)) {
    target = discover_path(path, interpreter);
  } else if (looks_like_project_name(input)) {
    target = discover_installed(find_installed(input, interpreter), interpreter);
  } else {
    throw std::runtime_error("no such file or directory: " + input);
  }
  sort_modules(target);
  return target;
}

ProbeTarget discover_distribution(const std::string& name, const Interpreter& interpreter) {
  if (!looks_like_project_name(name)) throw std::runtime_error("'" + name + "' is not a distribution name");
  ProbeTarget target = discover_installed(find_installed(name, interpreter), interpreter);
  sort_modules(target);
  return target;
}

std::vector<fs::path> installed_distributions(const fs::path& site_dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(site_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code kind_error;
    // symlink_status: a link named like metadata is not followed out of the site directory.
    if (is_metadata_dir_name(it->path().filename().string()) && fs::is_directory(it->symlink_status(kind_error)))
      found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace subcheck::prober
