// The allow-list of compile flags (see compile_flags.h), in the spirit of clangd's
// CommandMangler and clang::tooling's argument adjusters (which strip output, dependency
// and diagnostics-file flags) but stricter: those trust the database; this does not.
#include "analyzer/compile_flags.h"

#include "core/safe_file.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>

namespace subcheck {
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------
// Dropped without a word: what every compile database has and libclang does not need.

// Flags gcc understands and clang rejects as "unknown argument" (or fails on, like a
// missing profile). All of them steer gcc's optimiser, code generation or diagnostics
// output only: dropping them changes nothing the preprocessor or parser sees.
// Distribution and CPython builds (LTO, PGO, hardening) are where they come from.
const std::set<std::string, std::less<>> kGccOnlyFlags = {
    "-fno-gnu-unique",
    "-fconserve-stack",
    "-fallow-store-data-races",
    "-fno-allow-store-data-races",
    "-fkeep-inline-dllexport",
    "-fno-keep-inline-dllexport",
    "-freorder-blocks-and-partition",
    "-fno-reorder-blocks-and-partition",
    "-fstrict-volatile-bitfields",
    "-fno-strict-volatile-bitfields",
    "-fearly-inlining",
    "-fno-early-inlining",
    "-fguess-branch-probability",
    "-fno-guess-branch-probability",
    "-fhardened",
    "-fcallgraph-info",
    "-fprintf-return-value",
    "-fno-printf-return-value",
    "-fcompare-debug-second",
    "-mindirect-branch-register",
    "-fcanonical-system-headers",
    "-fno-canonical-system-headers",
    "-flifetime-dse",
    "-fno-lifetime-dse",
    "-faggressive-loop-optimizations",
    "-fno-aggressive-loop-optimizations",
    "-fmove-loop-invariants",
    "-fno-move-loop-invariants",
    "-fira-loop-pressure",
    "-fpredictive-commoning",
    "-fno-toplevel-reorder",
    "-fpeephole2",
    "-fno-peephole2",
    "-fno-crossjumping",
    "-fno-if-conversion",
    "-fno-code-hoisting",
    "-fno-dse",
    "-fno-dce",
    "-fanalyzer",
    "-fuse-linker-plugin",
    "-ffat-lto-objects",
    "-fno-fat-lto-objects",
    "-fext-numeric-literals",
    "-fno-enforce-eh-specs",
    "-fnothrow-opt",
    "-fdeduce-init-list",
    "-fno-nonansi-builtins",
};
constexpr std::string_view kGccOnlyFlagPrefixes[] = {
    "-flto",  // LTO only matters to the linker; gcc's -flto=N and -flto-partition= fail in clang
    "-fipa-",
    "-fno-ipa-",
    "-ftree-",
    "-fno-tree-",
    "-fvar-tracking",
    "-fno-var-tracking",
    "-fopt-info",
    "-fsched-",
    "-fgraphite",
    "-floop-",
    "-mindirect-branch=",
    "-mfunction-return=",
    "-fstack-reuse=",
    "-fabi-version=",
    "-fasan-shadow-offset=",
    "-freorder-blocks-algorithm=",
    "-fconcepts",
};

bool is_gcc_only_flag(std::string_view arg) {
  if (kGccOnlyFlags.count(arg)) return true;
  return std::any_of(std::begin(kGccOnlyFlagPrefixes), std::end(kGccOnlyFlagPrefixes),
                     [&](std::string_view prefix) { return arg.starts_with(prefix); });
}

// Flags that only change what the compiler writes or which errors stop it. libclang never
// writes an object or dependency file: it parses.
bool is_output_or_error_flag(std::string_view arg) {
  static const std::set<std::string_view> exact = {
      "-c", "-E", "-S", "-M", "-MM", "-MD", "-MMD", "-MP", "-MG", "-pedantic-errors", "-pipe", "-fsyntax-only"};
  return exact.count(arg) || arg.starts_with("-Werror") || arg.starts_with("-save-temps");
}

// Flags followed by a value that goes with them: -o X, -MF X, -MT X, -MQ X.
bool is_output_flag_with_value(std::string_view arg) {
  return arg == "-o" || arg == "-MF" || arg == "-MT" || arg == "-MQ";
}

// The joined forms: -oX, -MFX, -MTX, -MQX.
bool is_joined_output_flag(std::string_view arg) {
  for (std::string_view flag : {"-MF", "-MT", "-MQ"}) {
    if (arg.size() > flag.size() && arg.starts_with(flag)) return true;
  }
  return arg.size() > 2 && arg.starts_with("-o");
}

// Linker and assembler flags: libclang neither links nor assembles.
bool is_link_or_assembler_flag(std::string_view arg) {
  static const std::set<std::string_view> exact = {
      "-shared",        "-static",           "-rdynamic", "-pie",           "-no-pie",      "-s",
      "-static-libgcc", "-static-libstdc++", "-nostdlib", "-nodefaultlibs", "-nostartfiles"};
  return exact.count(arg) || arg.starts_with("-l") || arg.starts_with("-L") || arg.starts_with("-Wl,") ||
         arg.starts_with("-Wa,");
}

// ---------------------------------------------------------------------------------------
// Refused, with a warning.

constexpr std::string_view kPassThrough =
    "passes options unchecked to the compiler front end, LLVM, the preprocessor, assembler or linker "
    "(they can write, read and load files)";
constexpr std::string_view kWritesOrReads = "makes the compiler write, read or load files outside the project";
constexpr std::string_view kPrints = "makes the compiler print to the terminal instead of only parsing";

// Options that take the next argument as their value, refused with it.
std::optional<std::string_view> refused_with_value(std::string_view arg) {
  if (arg.starts_with("-X") || arg == "-mllvm") return kPassThrough;
  static const std::set<std::string_view> files = {"-MJ",
                                                   "-load",
                                                   "-plugin",
                                                   "-add-plugin",
                                                   "--serialize-diagnostics",
                                                   "-serialize-diagnostic-file",
                                                   "-dependency-file",
                                                   "-dependency-dot",
                                                   "-header-include-file",
                                                   "-module-dependency-dir",
                                                   "-stack-usage-file",
                                                   "-filelist",
                                                   "-include-pch",
                                                   "-include-pth",
                                                   "-ivfsoverlay",
                                                   "-iapinotes-modules",
                                                   "-specs",
                                                   "--specs",
                                                   "--config",
                                                   "-resource-dir",
                                                   "-working-directory",
                                                   "-B",
                                                   "-main-file-name",
                                                   "-iprefix",
                                                   "-iwithprefix",
                                                   "-iwithprefixbefore",
                                                   "--output",
                                                   "-module-file-info"};
  if (files.count(arg)) return kWritesOrReads;
  return std::nullopt;
}

// -f options (positive forms) that make clang write, read or load files, or build and
// cache modules: from `clang-19 --autocomplete=-f`, every one about files, plugins,
// profiles, modules, traces, reports and ignore-lists.
constexpr std::string_view kRefusedFPrefixes[] = {
    "-fapinotes",
    "-fauto-profile",
    "-fbuild-session",
    "-fcrash-diagnostics",
    "-fcs-profile",
    "-fcoverage-mapping",
    "-fcreate-profile",
    "-fdepfile-entry",
    "-fembed-",
    "-fexperimental-sanitize-metadata-ignorelist",
    "-fextdirs",
    "-fbootclasspath",
    "-fclasspath",
    "-fimplicit-module",
    "-fmemory-profile",
    "-fmodule",
    "-fprebuilt-",
    "-fcxx-modules",
    "-fpass-plugin",
    "-fplugin",
    "-fproc-stat-report",
    "-fprofile-",
    "-frecord-marker",
    "-frandomize-layout-seed-file",
    "-fsave-optimization-record",
    "-foptimization-record-",
    "-fsanitize-blacklist",
    "-fsanitize-ignorelist",
    "-fsanitize-system-ignorelist",
    "-fsanitize-coverage-allowlist",
    "-fsanitize-coverage-ignorelist",
    "-fthinlto-index",
    "-ftime-report",
    "-ftime-trace",
    "-fxray-",
    "-foutput-class-dir",
    "-fdump-",
    "-fdiagnostics-add-output",
    "-fcallgraph-info",
    "-fstack-usage",
    "-fforce-check-cxx20-modules-input-files",
    "-fvalidate-ast-input-files-content",
    "-fpch-",
    "-fno_pch-validate-input-files-content",
};

// -f options whose value is a path and harmless: they only rewrite __FILE__ and debug paths.
constexpr std::string_view kHarmlessPathValueOptions[] = {
    "-fdebug-prefix-map=",      "-ffile-prefix-map=",      "-fmacro-prefix-map=",         "-fcoverage-prefix-map=",
    "-fdebug-compilation-dir=", "-ffile-compilation-dir=", "-fcoverage-compilation-dir=", "-fprofile-prefix-map=",
};

bool starts_with_any(std::string_view arg, const auto& prefixes) {
  return std::any_of(std::begin(prefixes), std::end(prefixes),
                     [&](std::string_view prefix) { return arg.starts_with(prefix); });
}

// A value that names a file: a path, not a number or a keyword.
bool value_names_a_file(std::string_view arg) {
  std::size_t equals = arg.find('=');
  if (equals == std::string_view::npos) return false;
  std::string_view value = arg.substr(equals + 1);
  return value.find('/') != std::string_view::npos || value.starts_with('~') || value.starts_with('.');
}

std::optional<std::string_view> refused(std::string_view arg) {
  if (arg.starts_with("-mllvm") || arg.starts_with("-Wp,")) return kPassThrough;
  if (arg == "-cc1" || arg == "-cc1as") return "runs the compiler front end directly, with options unchecked";
  if (arg.starts_with("-B") || arg.starts_with("-MJ") || arg.starts_with("--config") || arg.starts_with("-specs=") ||
      arg.starts_with("--specs=") || arg.starts_with("-gen-") || arg.starts_with("--output=") ||
      arg.starts_with("-resource-dir=") || arg.starts_with("-ivfsoverlay")) {
    return kWritesOrReads;
  }
  if (arg == "-v" || arg == "-H" || arg == "-###" || arg == "--verbose" || arg.starts_with("-print-") ||
      arg.starts_with("--print-") || arg == "--help" || arg == "--version") {
    return kPrints;
  }
  if (arg.starts_with("-f") && !arg.starts_with("-fno-") && starts_with_any(arg, kRefusedFPrefixes)) {
    return kWritesOrReads;
  }
  if ((arg.starts_with("-f") || arg.starts_with("-m")) && value_names_a_file(arg) &&
      !starts_with_any(arg, kHarmlessPathValueOptions)) {
    return kWritesOrReads;
  }
  return std::nullopt;
}

// The name a dropped flag is reported under: "-fmodules-cache-path=", "-Wp,", "@FILE".
std::string flag_name(std::string_view arg) {
  if (arg.starts_with('@')) return "@FILE";
  if (arg.starts_with("-Wp,")) return "-Wp,";
  if (arg.starts_with("-B")) return "-B";
  if (arg.starts_with("-MJ")) return "-MJ";
  std::size_t equals = arg.find('=');
  return std::string(equals == std::string_view::npos ? arg : arg.substr(0, equals + 1));
}

// ---------------------------------------------------------------------------------------
// Allowed: what steers parsing only.

// Options followed by a value that is not a path.
bool is_allowed_with_value(std::string_view arg) {
  return arg == "-D" || arg == "-U" || arg == "-x" || arg == "-target" || arg == "--target" || arg == "-arch";
}

bool is_allowed_flag(std::string_view arg) {
  static const std::set<std::string_view> exact = {
      "-w",           "-pedantic",     "--pedantic", "-ansi",      "-pthread", "-pthreads", "-nostdinc", "-nostdinc++",
      "-nostdlibinc", "-nobuiltininc", "-undef",     "-trigraphs", "-O",       "-C",        "-CC",       "-P"};
  if (exact.count(arg)) return true;
  for (std::string_view prefix : {"-D", "-U", "-std=", "--std=", "-x", "--target=", "-stdlib=", "-O", "-W"}) {
    if (arg.size() > prefix.size() && arg.starts_with(prefix)) return true;
  }
  if (arg.starts_with("-g")) return true;                    // debug info: -gen-* was refused above
  if (arg.starts_with("-f") && arg.size() > 2) return true;  // refused ones were dropped above
  if (arg.starts_with("-m") && arg.size() > 2) return true;  // -mllvm was dropped above
  return arg == "--driver-mode=gcc" || arg == "--driver-mode=g++" || arg == "--driver-mode=cpp";
}

// Options whose value is a directory of headers; -include and -imacros name a file.
// Longer names first: -isystem-after is not -isystem with the value "-after".
constexpr std::array<std::string_view, 11> kDirectoryOptions = {
    "-isystem-after", "-isystem", "-iquote", "-idirafter", "-iframework",    "-isysroot",
    "-cxx-isystem",   "-I",       "-F",      "--sysroot",  "--gcc-toolchain"};
constexpr std::array<std::string_view, 2> kFileOptions = {"-include", "-imacros"};

std::string absolute_against(const fs::path& directory, const std::string& value) {
  fs::path path(value);
  if (value.empty() || path.is_absolute()) return value;
  return (directory / path).lexically_normal().string();
}

fs::path resolved(const fs::path& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : canonical;
}

bool is_compiler_launcher(const std::string& program) {
  std::string name = fs::path(program).filename().string();
  return name == "ccache" || name == "sccache" || name == "distcc" || name == "icecc" || name == "buildcache";
}

bool is_cxx_driver(const std::string& program) {
  return fs::path(program).filename().string().find("++") != std::string::npos;
}

class FlagCleaner {
 public:
  explicit FlagCleaner(const CompileEntryContext& context) : context_(context) {}

  CleanedFlags clean(const std::vector<std::string>& argv) {
    std::size_t first = 0;
    if (first < argv.size() && is_compiler_launcher(argv[first])) ++first;
    std::string compiler = first < argv.size() ? argv[first] : std::string();
    for (std::size_t i = first + 1; i < argv.size(); ++i) i += handle(argv, i);
    // `g++ module.c` compiles C++: without the driver name that knowledge would be lost.
    if (!language_given_ && is_cxx_driver(compiler) && context_.file.extension() == ".c") {
      result_.args.insert(result_.args.begin(), {"-x", "c++"});
    }
    return std::move(result_);
  }

 private:
  // Keeps, rewrites or drops argv[i]; returns how many following arguments it used.
  std::size_t handle(const std::vector<std::string>& argv, std::size_t i) {
    const std::string& arg = argv[i];
    const std::string next = i + 1 < argv.size() ? argv[i + 1] : std::string();
    if (arg.empty() || arg == "--") return 0;
    if (arg.starts_with('@')) return drop(arg, "a response file: more flags read from a file"), 0;
    if (!arg.starts_with('-') || arg == "-") {
      if (!is_source_file(arg)) drop(arg, "another input file", "input file");
      return 0;
    }
    if (is_output_flag_with_value(arg)) return 1;
    if (is_joined_output_flag(arg) || is_output_or_error_flag(arg) || is_gcc_only_flag(arg) ||
        is_link_or_assembler_flag(arg)) {
      return 0;
    }
    if (auto reason = refused_with_value(arg)) return drop(arg + " " + next, *reason, arg), 1;
    if (arg.starts_with("-Wp,-D") || arg.starts_with("-Wp,-U")) {  // -Wp,-D_FORTIFY_SOURCE=2: only a macro
      if (arg.find(',', 4) == std::string::npos) return keep(arg.substr(4)), 0;
    }
    if (auto reason = refused(arg)) return drop(arg, *reason), 0;
    if (auto used = path_option(argv, i)) return *used;
    if (is_allowed_with_value(arg)) {
      if (arg == "-x") language_given_ = true;
      keep(arg);
      if (i + 1 < argv.size()) keep(next);
      return 1;
    }
    if (is_allowed_flag(arg)) {
      if (arg.starts_with("-x")) language_given_ = true;
      return keep(arg), 0;
    }
    drop(arg, "not one of the flags subcheck knows to steer parsing only");
    return 0;
  }

  // -I DIR, -IDIR, -isystem DIR, --sysroot=DIR, -include FILE ...: the value made absolute
  // and checked. Returns nullopt when argv[i] is not such an option.
  std::optional<std::size_t> path_option(const std::vector<std::string>& argv, std::size_t i) {
    const std::string& arg = argv[i];
    auto separate = [&](std::string_view option, bool is_file) -> std::size_t {
      if (i + 1 >= argv.size()) return 0;
      std::string value = absolute_against(context_.directory, argv[i + 1]);
      if (auto problem = is_file ? file_problem(value) : directory_problem(value)) {
        drop(arg + " " + argv[i + 1], *problem, std::string(option));
      } else {
        keep(arg);
        keep(value);
      }
      return 1;
    };
    for (std::string_view option : kFileOptions) {
      if (arg == option) return separate(option, true);
    }
    for (std::string_view option : kDirectoryOptions) {
      if (arg == option) return separate(option, false);
      std::string_view joined_prefix = option.starts_with("--") ? std::string_view() : option;
      std::string with_equals = std::string(option) + "=";
      std::string prefix = arg.starts_with(with_equals) ? with_equals : std::string(joined_prefix);
      if (prefix.empty() || arg.size() <= prefix.size() || !arg.starts_with(prefix)) continue;
      std::string value = absolute_against(context_.directory, arg.substr(prefix.size()));
      if (auto problem = directory_problem(value)) {
        drop(arg, *problem, std::string(option));
      } else {
        keep(prefix + value);
      }
      return 0;
    }
    return std::nullopt;
  }

  // An include directory may lie anywhere (system and Python headers do), but not in the
  // kernel's file systems, and it must be a directory.
  static std::optional<std::string> directory_problem(const std::string& value) {
    fs::path path = resolved(value);
    for (const char* special : {"/dev", "/proc", "/sys"}) {
      if (is_within(path, special)) return "names a directory under " + std::string(special);
    }
    std::error_code ec;
    fs::file_status status = fs::status(path, ec);
    if (!ec && fs::exists(status) && !fs::is_directory(status))
      return std::string("names something that is not a directory");
    return std::nullopt;
  }

  // A file pulled into every unit must be the project's own, and a regular file.
  std::optional<std::string> file_problem(const std::string& value) const {
    fs::path path = resolved(value);
    bool inside = std::any_of(context_.trusted_roots.begin(), context_.trusted_roots.end(),
                              [&](const fs::path& root) { return is_within(path, root); });
    if (!inside) return std::string("names a file outside the scanned tree and the build directory");
    if (auto problem = regular_file_problem(path, kDefaultMaxFileBytes)) return "names a file that is " + *problem;
    return std::nullopt;
  }

  bool is_source_file(const std::string& arg) const {
    return arg == context_.raw_file || fs::path(absolute_against(context_.directory, arg)) == context_.file;
  }

  void keep(std::string arg) { result_.args.push_back(std::move(arg)); }

  void drop(std::string example, std::string_view reason, std::string name = {}) {
    if (name.empty()) name = flag_name(example);
    result_.dropped.push_back({std::move(name), std::move(example), std::string(reason)});
  }

  const CompileEntryContext& context_;
  CleanedFlags result_;
  bool language_given_ = false;
};

}  // namespace

CleanedFlags clean_compile_flags(const std::vector<std::string>& argv, const CompileEntryContext& context) {
  return FlagCleaner(context).clean(argv);
}

}  // namespace subcheck
