// libclang front end: parse one translation unit and record the facts the checks need.
// This file parses and walks the top level; the pieces of the reader live in
// analyzer/reader/ (source map, globals and their kinds, module tables, function bodies,
// tokens, file markers). libclang types never leave those files.
#include "analyzer/extract.h"

#include <clang-c/Index.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <string_view>

#include "analyzer/reader/cursors.h"
#include "analyzer/reader/file_markers.h"
#include "analyzer/reader/function_reader.h"
#include "analyzer/reader/globals.h"
#include "analyzer/reader/source_map.h"

namespace subcheck {

std::vector<std::string> flags_for_config(const CompileCommand& command, BuildConfig config) {
  // Warnings are not our business and cost time; errors are kept, all of them: after
  // clang's error limit the rest of the unit is read without diagnostics, so nothing
  // could say which declarations parsed cleanly. These come first so that a limit the
  // command or --extra-arg sets wins (the last -ferror-limit counts).
  std::vector<std::string> flags = {"-w", "-ferror-limit=0"};
  // An absolute resource directory: libclang's own choice can be relative to the working
  // directory (see SUBCHECK_CLANG_RESOURCE_DIR in CMakeLists.txt). A command's own
  // -resource-dir never gets here (analyzer/compile_flags.cpp drops it).
  static const std::string resource_dir = [] {
    const std::filesystem::path dir = SUBCHECK_CLANG_RESOURCE_DIR;
    return !dir.empty() && std::filesystem::is_directory(dir / "include") ? dir.string() : std::string();
  }();
  if (!resource_dir.empty()) flags.push_back("-resource-dir=" + resource_dir);
  flags.insert(flags.end(), command.args.begin(), command.args.end());
  if (!command.directory.empty()) {
    flags.emplace_back("-working-directory");
    flags.push_back(command.directory.string());
  }
  if (config == BuildConfig::free_threaded) {
    bool defined = std::any_of(flags.begin(), flags.end(),
                               [](const std::string& flag) { return flag.rfind("-DPy_GIL_DISABLED", 0) == 0; });
    if (!defined) flags.emplace_back("-DPy_GIL_DISABLED=1");
  } else {
    // A free-threaded interpreter's pyconfig.h defines Py_GIL_DISABLED itself; the default
    // build cannot be read from those headers, and we do not pretend otherwise.
    std::erase_if(flags, [](const std::string& flag) { return flag.rfind("-DPy_GIL_DISABLED", 0) == 0; });
  }
  return flags;
}

struct Extractor::Impl {
  ExtractOptions options;
  CXIndex index = nullptr;
};

namespace {

// clang says "'portaudio.h' file not found" for an #include it cannot resolve.
std::optional<std::string> missing_header_in(std::string_view message) {
  constexpr std::string_view suffix = "' file not found";
  if (message.size() <= suffix.size() + 1 || message.front() != '\'' || !message.ends_with(suffix)) return std::nullopt;
  return std::string(message.substr(1, message.size() - suffix.size() - 1));
}

bool is_missing_header(const ParseDiagnostic& diagnostic) {
  std::string_view message = diagnostic.message;
  if (message.starts_with("fatal: ")) message.remove_prefix(7);
  return missing_header_in(message).has_value();
}

// One pass over one translation unit: diagnostics, file markers, then every project
// declaration at the top level (functions, globals), recursing into namespaces,
// extern "C" blocks and records.
class UnitReader {
 public:
  UnitReader(CXTranslationUnit unit, const ExtractOptions& options, TranslationUnitFacts& facts)
      : facts_(facts),
        map_(unit, options.project_roots, facts.file),
        globals_(map_, facts),
        functions_(map_, globals_, facts) {}

  void read() {
    read_diagnostics();
    CXTranslationUnit unit = map_.unit();
    CXFile main_file = clang_getFile(unit, facts_.file.c_str());
    std::string_view main_text = map_.file_text(main_file);
    if (reader::generated_by_cython(main_text)) facts_.generator = "cython";
    clang_visitChildren(clang_getTranslationUnitCursor(unit), &UnitReader::visit_top_level, this);
    reader::scan_binding_macros(map_, main_file, main_text, facts_);
    // Py_LIMITED_API on the command line, or #defined in a project file of this unit.
    // Py_TARGET_ABI3T (PEP 803) likewise; the version is the #define's when the command
    // line gave none.
    auto limited = reader::defined_macro_value(map_, "Py_LIMITED_API");
    auto abi3t = reader::defined_macro_value(map_, "Py_TARGET_ABI3T");
    if (limited) facts_.limited_api = true;
    if (abi3t) facts_.abi3t = true;
    if (facts_.limited_api_version.empty()) facts_.limited_api_version = limited ? *limited : abi3t ? *abi3t : "";
  }

 private:
  void read_diagnostics() {
    CXTranslationUnit unit = map_.unit();
    unsigned count = clang_getNumDiagnostics(unit);
    for (unsigned i = 0; i < count; ++i) {
      CXDiagnostic diagnostic = clang_getDiagnostic(unit, i);
      CXDiagnosticSeverity severity = clang_getDiagnosticSeverity(diagnostic);
      if (severity >= CXDiagnostic_Error) {
        ParseDiagnostic parsed;
        parsed.severity = Severity::error;
        reader::Position at = reader::position(clang_getDiagnosticLocation(diagnostic));
        if (at.file) parsed.location = {map_.file_name(at.file), at.line, at.column};
        map_.note_error(at);
        parsed.message = reader::take(clang_getDiagnosticSpelling(diagnostic));
        if (std::optional<std::string> header = missing_header_in(parsed.message)) {
          facts_.missing_headers.push_back({*header, parsed.location});
        }
        if (severity == CXDiagnostic_Fatal) parsed.message = "fatal: " + parsed.message;
        facts_.diagnostics.push_back(std::move(parsed));
      }
      clang_disposeDiagnostic(diagnostic);
    }
  }

  static CXChildVisitResult visit_top_level(CXCursor cursor, CXCursor, CXClientData data) {
    auto* self = static_cast<UnitReader*>(data);
    reader::Position at = reader::position(clang_getCursorLocation(cursor));
    if (!self->map_.in_project(at.file)) return CXChildVisit_Continue;
    switch (clang_getCursorKind(cursor)) {
      case CXCursor_FunctionDecl:
      case CXCursor_CXXMethod:
      case CXCursor_Constructor:
      case CXCursor_Destructor:
      case CXCursor_FunctionTemplate:
        if (clang_isCursorDefinition(cursor)) self->functions_.read(cursor);
        return CXChildVisit_Continue;
      case CXCursor_VarDecl: self->globals_.read(cursor, ""); return CXChildVisit_Continue;
      case CXCursor_Namespace:
      case CXCursor_LinkageSpec:
      case CXCursor_StructDecl:
      case CXCursor_ClassDecl:
      case CXCursor_UnexposedDecl:  // extern "C" blocks in some libclang versions
        return CXChildVisit_Recurse;
      default: return CXChildVisit_Continue;
    }
  }

  TranslationUnitFacts& facts_;
  reader::SourceMap map_;
  reader::GlobalReader globals_;
  reader::FunctionReader functions_;
};

// Every file the preprocessor entered, the main file included, sorted.
std::vector<std::string> included_files(CXTranslationUnit unit) {
  std::set<std::string> files;
  clang_getInclusions(
      unit,
      [](CXFile included, CXSourceLocation*, unsigned, CXClientData data) {
        CXString name = clang_File_tryGetRealPathName(included);
        std::string path = clang_getCString(name) != nullptr ? clang_getCString(name) : "";
        clang_disposeString(name);
        if (path.empty()) {
          name = clang_getFileName(included);
          if (clang_getCString(name) != nullptr) path = std::filesystem::absolute(clang_getCString(name)).string();
          clang_disposeString(name);
        }
        if (!path.empty()) static_cast<std::set<std::string>*>(data)->insert(path);
      },
      &files);
  return {files.begin(), files.end()};
}

}  // namespace

Extractor::Extractor(ExtractOptions options) : impl_(new Impl{std::move(options), nullptr}) {
  impl_->index = clang_createIndex(/*excludeDeclarationsFromPCH=*/0, /*displayDiagnostics=*/0);
}

Extractor::~Extractor() {
  clang_disposeIndex(impl_->index);
  delete impl_;
}

TranslationUnitFacts Extractor::extract(const CompileCommand& command, BuildConfig config) {
  TranslationUnitFacts facts;
  std::error_code error;
  auto canonical = std::filesystem::weakly_canonical(command.file, error);
  facts.file = (error ? command.file : canonical).string();
  facts.config = config;

  std::vector<std::string> flags = flags_for_config(command, config);
  // -DNAME or -DNAME=VALUE on the command line: the value, "" for none, nullopt if absent.
  auto flag_value = [&flags](std::string_view name) -> std::optional<std::string> {
    for (const std::string& flag : flags) {
      std::string_view rest = flag;
      if (rest.rfind("-D", 0) != 0) continue;
      rest.remove_prefix(2);
      if (rest.rfind(name, 0) != 0) continue;
      rest.remove_prefix(name.size());
      if (rest.empty()) return std::string();
      if (rest.front() == '=') return std::string(rest.substr(1));
    }
    return std::nullopt;
  };
  auto limited_flag = flag_value("Py_LIMITED_API");
  auto abi3t_flag = flag_value("Py_TARGET_ABI3T");
  facts.limited_api = limited_flag.has_value();
  facts.abi3t = abi3t_flag.has_value();
  facts.limited_api_version = limited_flag ? *limited_flag : abi3t_flag ? *abi3t_flag : "";
  std::vector<const char*> argv;
  argv.reserve(flags.size());
  for (const std::string& flag : flags) argv.push_back(flag.c_str());

  CXTranslationUnit unit = nullptr;
  // The detailed preprocessing record gives the ranges `#if` skipped; it costs no
  // measurable parse time (245 vs 235 ms on Modules/_pickle.c).
  unsigned parse_options = CXTranslationUnit_KeepGoing | CXTranslationUnit_IgnoreNonErrorsFromIncludedFiles |
                           CXTranslationUnit_DetailedPreprocessingRecord;
  CXErrorCode status = clang_parseTranslationUnit2(impl_->index, facts.file.c_str(), argv.data(),
                                                   static_cast<int>(argv.size()), nullptr, 0, parse_options, &unit);
  if (status != CXError_Success || !unit) {
    facts.complete = false;
    facts.trustworthy = false;
    ParseDiagnostic failure;
    failure.location = {facts.file, 0, 0};
    failure.message = status == CXError_Crashed ? "libclang crashed while parsing this file"
                      : status == CXError_ASTReadError
                          ? "libclang could not read the AST"
                          : "libclang could not parse this file (bad flags or unreadable file)";
    facts.diagnostics.push_back(std::move(failure));
    return facts;
  }
  facts.parsed = true;
  ExtractOptions options = impl_->options;
  UnitReader(unit, options, facts).read();
  facts.inputs = included_files(unit);
  // A fatal error (a missing header) or an error inside Python's own headers (the limited
  // API on a free-threaded build, a version mismatch) leaves an AST that cannot be trusted
  // to say how the module initialises.
  auto outside_project = [&](const ParseDiagnostic& d) {
    return !d.location.file.empty() && !reader::is_under(d.location.file, options.project_roots);
  };
  auto fatal = [](const ParseDiagnostic& d) { return d.message.rfind("fatal: ", 0) == 0; };
  facts.complete = std::none_of(facts.diagnostics.begin(), facts.diagnostics.end(),
                                [&](const ParseDiagnostic& d) { return fatal(d) || outside_project(d); });
  // A missing header leaves the rest of the unit readable (libclang's KeepGoing reports
  // it as an error and goes on); any fatal error (too many errors, say) may have stopped
  // the parse.
  // Without Python.h itself nothing about the module can be read.
  facts.trustworthy =
      std::none_of(
          facts.diagnostics.begin(), facts.diagnostics.end(),
          [&](const ParseDiagnostic& d) { return (fatal(d) && !is_missing_header(d)) || outside_project(d); }) &&
      std::none_of(facts.missing_headers.begin(), facts.missing_headers.end(), [](const MissingHeader& missing) {
        return std::filesystem::path(missing.header).filename() == "Python.h";
      });
  clang_disposeTranslationUnit(unit);
  return facts;
}

}  // namespace subcheck
