// libclang front end: parse one translation unit and record the facts the checks need.
// Everything libclang-specific stays in this file.
#include "analyzer/extract.h"

#include <clang-c/Index.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

namespace subcheck {
namespace {

std::string take(CXString text) {
  const char* chars = clang_getCString(text);
  std::string result = chars ? chars : "";
  clang_disposeString(text);
  return result;
}

std::vector<CXCursor> children_of(CXCursor cursor) {
  std::vector<CXCursor> children;
  clang_visitChildren(
      cursor,
      [](CXCursor child, CXCursor, CXClientData data) {
        static_cast<std::vector<CXCursor>*>(data)->push_back(child);
        return CXChildVisit_Continue;
      },
      &children);
  return children;
}

// Parens, implicit conversions and casts say nothing about which object is meant.
CXCursor strip_wrappers(CXCursor cursor) {
  for (;;) {
    CXCursorKind kind = clang_getCursorKind(cursor);
    if (kind != CXCursor_ParenExpr && kind != CXCursor_UnexposedExpr && kind != CXCursor_CStyleCastExpr &&
        kind != CXCursor_CXXStaticCastExpr && kind != CXCursor_CXXReinterpretCastExpr &&
        kind != CXCursor_CXXConstCastExpr && kind != CXCursor_CXXFunctionalCastExpr) {
      return cursor;
    }
    std::vector<CXCursor> children = children_of(cursor);
    // A cast's first child may be the TypeRef of its target type.
    auto expr = std::find_if(children.begin(), children.end(), [](CXCursor child) {
      return clang_isExpression(clang_getCursorKind(child));
    });
    if (expr == children.end()) return cursor;
    cursor = *expr;
  }
}

std::optional<std::int64_t> constant_value(CXCursor cursor) {
  for (int guard = 0; guard < 8; ++guard) {
    CXEvalResult result = clang_Cursor_Evaluate(cursor);
    if (result) {
      std::optional<std::int64_t> value;
      if (clang_EvalResult_getKind(result) == CXEval_Int) value = clang_EvalResult_getAsLongLong(result);
      clang_EvalResult_dispose(result);
      if (value) return value;
    }
    CXCursor inner = strip_wrappers(cursor);
    if (clang_equalCursors(inner, cursor)) {
      std::vector<CXCursor> children = children_of(cursor);
      if (children.size() != 1) return std::nullopt;
      inner = children.front();
    }
    cursor = inner;
  }
  return std::nullopt;
}

bool is_global_storage(CXCursor var) {
  CXCursorKind parent = clang_getCursorKind(clang_getCursorSemanticParent(var));
  if (parent == CXCursor_TranslationUnit || parent == CXCursor_Namespace || parent == CXCursor_LinkageSpec) {
    return true;
  }
  return clang_Cursor_getStorageClass(var) == CX_SC_Static;  // function static or static member
}

std::string strip_type_noise(std::string type) {
  for (const char* word : {"const ", "volatile ", "struct ", "static "}) {
    for (std::size_t at; (at = type.find(word)) != std::string::npos;) type.erase(at, std::strlen(word));
  }
  return type;
}

// Types whose static instances CPython itself keeps process-wide and never mutates per
// interpreter in a way that matters (CPython's c-analyzer keeps the same allow-list).
const std::set<std::string>& api_table_types() {
  static const std::set<std::string> types = {
      "PyMethodDef",      "PyModuleDef",       "PyModuleDef_Slot",     "PyType_Spec",
      "PyType_Slot",      "PyMemberDef",       "PyGetSetDef",          "PyStructSequence_Desc",
      "PyStructSequence_Field", "PyBufferProcs", "PyNumberMethods",    "PySequenceMethods",
      "PyMappingMethods", "PyAsyncMethods",    "_PyArg_Parser",        "PyModuleDef_Base",
      "_Py_Identifier",   "PyCapsule_Destructor", "PyCFunction",       "PyMethodDef[]"};
  return types;
}

const std::set<std::string>& sync_types() {
  static const std::set<std::string> types = {
      "PyMutex", "PyThread_type_lock", "pthread_mutex_t", "pthread_once_t", "_PyOnceFlag", "PyOnceFlag",
      "std::mutex", "std::once_flag", "std::atomic_flag", "pthread_key_t", "Py_tss_t",
      "pthread_cond_t", "pthread_rwlock_t", "pthread_spinlock_t", "sem_t",
      // Tcl's and other libraries' own thread-safe handles (only their API touches them).
      "Tcl_Mutex", "Tcl_ThreadDataKey", "Tcl_Condition"};
  return types;
}

bool is_under(const std::string& file, const std::vector<std::filesystem::path>& roots) {
  for (const auto& root : roots) {
    std::string prefix = root.string();
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    if (file.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// Compatibility shims projects copy in verbatim (pythoncapi-compat): their static inline
// functions are not the project's code, and most are never called.
bool is_vendored_shim(const std::string& file) {
  std::string name = std::filesystem::path(file).filename().string();
  return name == "pythoncapi_compat.h" || name == "pythoncapi-compat.h";
}

}  // namespace

std::vector<std::string> flags_for_config(const CompileCommand& command, BuildConfig config) {
  std::vector<std::string> flags = command.args;
  // Warnings are not our business and cost time; errors are kept.
  flags.push_back("-w");
  flags.push_back("-ferror-limit=50");
  if (!command.directory.empty()) {
    flags.push_back("-working-directory");
    flags.push_back(command.directory.string());
  }
  if (config == BuildConfig::free_threaded) {
    bool defined = std::any_of(flags.begin(), flags.end(),
                               [](const std::string& flag) { return flag.rfind("-DPy_GIL_DISABLED", 0) == 0; });
    if (!defined) flags.push_back("-DPy_GIL_DISABLED=1");
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

// One pass over one translation unit.
class UnitReader {
 public:
  UnitReader(CXTranslationUnit unit, const ExtractOptions& options, TranslationUnitFacts& facts)
      : unit_(unit), options_(options), facts_(facts) {}

  void read() {
    read_diagnostics();
    CXFile main_file = clang_getFile(unit_, facts_.file.c_str());
    std::string_view main_text = file_text(main_file);
    if (main_text.substr(0, 4096).find("Generated by Cython") != std::string_view::npos) facts_.generator = "cython";
    clang_visitChildren(clang_getTranslationUnitCursor(unit_), &UnitReader::visit_top_level, this);
    scan_binding_macros(main_file, main_text);
    detect_limited_api();
  }

 private:
  // ---- files and locations -------------------------------------------------------------
  const std::string& file_name(CXFile file) {
    auto found = file_names_.find(file);
    if (found != file_names_.end()) return found->second;
    std::string name = take(clang_File_tryGetRealPathName(file));
    if (name.empty()) name = take(clang_getFileName(file));
    if (!name.empty()) {
      std::error_code error;
      auto normal = std::filesystem::weakly_canonical(name, error);
      if (!error) name = normal.string();
    }
    return file_names_.emplace(file, name).first->second;
  }

  bool in_project(CXFile file) {
    if (!file) return false;
    auto found = in_project_.find(file);
    if (found != in_project_.end()) return found->second;
    const std::string& name = file_name(file);
    bool inside = name == facts_.file || (is_under(name, options_.project_roots) && !is_vendored_shim(name));
    in_project_.emplace(file, inside);
    return inside;
  }

  struct Position {
    CXFile file = nullptr;
    unsigned line = 0, column = 0, offset = 0;
  };

  static Position position(CXSourceLocation location) {
    Position at;
    clang_getExpansionLocation(location, &at.file, &at.line, &at.column, &at.offset);
    return at;
  }

  SourceLocation location_of(CXCursor cursor, unsigned* offset = nullptr) {
    Position at = position(clang_getCursorLocation(cursor));
    if (offset) *offset = at.offset;
    if (!at.file) return {};
    return SourceLocation{file_name(at.file), at.line, at.column};
  }

  std::string_view file_text(CXFile file) {
    if (!file) return {};
    std::size_t size = 0;
    const char* text = clang_getFileContents(unit_, file, &size);
    return text ? std::string_view(text, size) : std::string_view();
  }

  // The source text of a cursor, taken from the file at its expansion range, so macro
  // names (Py_MOD_GIL_NOT_USED) survive.
  std::string text_of(CXCursor cursor) {
    CXSourceRange range = clang_getCursorExtent(cursor);
    Position begin = position(clang_getRangeStart(range));
    Position end = position(clang_getRangeEnd(range));
    if (!begin.file || begin.file != end.file || end.offset < begin.offset) return {};
    std::string_view text = file_text(begin.file);
    if (end.offset > text.size()) return {};
    std::string result(text.substr(begin.offset, end.offset - begin.offset));
    // Collapse runs of white space so multi-line arguments compare cleanly.
    std::string compact;
    for (char ch : result) {
      if (std::isspace(static_cast<unsigned char>(ch))) {
        if (!compact.empty() && compact.back() != ' ') compact += ' ';
      } else {
        compact += ch;
      }
    }
    while (!compact.empty() && compact.back() == ' ') compact.pop_back();
    return compact;
  }

  // ---- diagnostics ---------------------------------------------------------------------
  void read_diagnostics() {
    unsigned count = clang_getNumDiagnostics(unit_);
    for (unsigned i = 0; i < count; ++i) {
      CXDiagnostic diagnostic = clang_getDiagnostic(unit_, i);
      CXDiagnosticSeverity severity = clang_getDiagnosticSeverity(diagnostic);
      if (severity >= CXDiagnostic_Error) {
        ParseDiagnostic parsed;
        parsed.severity = Severity::error;
        Position at = position(clang_getDiagnosticLocation(diagnostic));
        if (at.file) parsed.location = {file_name(at.file), at.line, at.column};
        parsed.message = take(clang_getDiagnosticSpelling(diagnostic));
        if (severity == CXDiagnostic_Fatal) parsed.message = "fatal: " + parsed.message;
        facts_.diagnostics.push_back(std::move(parsed));
      }
      clang_disposeDiagnostic(diagnostic);
    }
  }

  // ---- top level -----------------------------------------------------------------------
  static CXChildVisitResult visit_top_level(CXCursor cursor, CXCursor, CXClientData data) {
    auto* self = static_cast<UnitReader*>(data);
    Position at = position(clang_getCursorLocation(cursor));
    if (!self->in_project(at.file)) return CXChildVisit_Continue;
    switch (clang_getCursorKind(cursor)) {
      case CXCursor_FunctionDecl:
      case CXCursor_CXXMethod:
      case CXCursor_Constructor:
      case CXCursor_Destructor:
      case CXCursor_FunctionTemplate:
        if (clang_isCursorDefinition(cursor)) self->read_function(cursor);
        return CXChildVisit_Continue;
      case CXCursor_VarDecl:
        self->read_global(cursor, "");
        return CXChildVisit_Continue;
      case CXCursor_Namespace:
      case CXCursor_LinkageSpec:
      case CXCursor_StructDecl:
      case CXCursor_ClassDecl:
      case CXCursor_UnexposedDecl:  // extern "C" blocks in some libclang versions
        return CXChildVisit_Recurse;
      default:
        return CXChildVisit_Continue;
    }
  }

  // ---- global variables ----------------------------------------------------------------
  bool is_python_object_record(CXType record) {
    record = clang_getCanonicalType(record);
    if (record.kind != CXType_Record) return false;
    std::string spelling = strip_type_noise(take(clang_getTypeSpelling(record)));
    if (spelling == "_object" || spelling == "_typeobject" || spelling == "PyObject" ||
        spelling == "PyVarObject" || spelling == "PyTypeObject") {
      return true;
    }
    auto cached = object_records_.find(spelling);
    if (cached != object_records_.end()) return cached->second;
    object_records_[spelling] = false;  // breaks recursion through self-referential structs
    struct First {
      std::string name;
      CXType type{};
      bool seen = false;
    } first;
    clang_Type_visitFields(
        record,
        [](CXCursor field, CXClientData data) {
          auto* out = static_cast<First*>(data);
          out->name = take(clang_getCursorSpelling(field));
          out->type = clang_getCursorType(field);
          out->seen = true;
          return CXVisit_Break;
        },
        &first);
    bool result = first.seen && (first.name == "ob_base" || is_python_object_record(first.type));
    object_records_[spelling] = result;
    return result;
  }

  bool is_python_object_pointer(CXType type) {
    type = clang_getCanonicalType(type);
    if (type.kind != CXType_Pointer) return false;
    return is_python_object_record(clang_getPointeeType(type));
  }

  // A value that holds Python objects: a pointer to one, an array of them, or a struct
  // with such a field (a hand-rolled "global state" struct).
  bool holds_python_objects(CXType type, int depth = 0) {
    type = clang_getCanonicalType(type);
    if (depth > 4) return false;
    if (is_python_object_pointer(type)) return true;
    if (type.kind == CXType_ConstantArray || type.kind == CXType_IncompleteArray) {
      return holds_python_objects(clang_getArrayElementType(type), depth + 1);
    }
    if (type.kind == CXType_Record && !is_python_object_record(type)) {
      struct Search {
        UnitReader* self;
        int depth;
        bool found = false;
      } search{this, depth};
      clang_Type_visitFields(
          type,
          [](CXCursor field, CXClientData data) {
            auto* out = static_cast<Search*>(data);
            if (out->self->holds_python_objects(clang_getCursorType(field), out->depth + 1)) {
              out->found = true;
              return CXVisit_Break;
            }
            return CXVisit_Continue;
          },
          &search);
      return search.found;
    }
    return false;
  }

  GlobalVarFact::Kind classify(CXCursor var, CXType type) {
    CXType canonical = clang_getCanonicalType(type);
    CXType element = canonical;
    while (element.kind == CXType_ConstantArray || element.kind == CXType_IncompleteArray) {
      element = clang_getCanonicalType(clang_getArrayElementType(element));
    }
    std::string declared = strip_type_noise(take(clang_getTypeSpelling(type)));
    std::string declared_element = declared.substr(0, declared.find('['));
    while (!declared_element.empty() && declared_element.back() == ' ') declared_element.pop_back();
    std::string canonical_element = strip_type_noise(take(clang_getTypeSpelling(element)));

    if (clang_getCursorTLSKind(var) != CXTLS_None) return GlobalVarFact::Kind::sync_primitive;
    if (element.kind == CXType_Atomic || sync_types().count(declared_element) ||
        sync_types().count(canonical_element) || canonical_element.rfind("std::atomic", 0) == 0) {
      return GlobalVarFact::Kind::sync_primitive;
    }
    if (api_table_types().count(declared_element) || api_table_types().count(canonical_element)) {
      return GlobalVarFact::Kind::api_table;
    }
    if (canonical_element == "_typeobject" || canonical_element == "_heaptypeobject") {
      return GlobalVarFact::Kind::static_type;
    }
    if (is_python_object_record(element)) return GlobalVarFact::Kind::static_object;
    if (clang_isConstQualifiedType(element) || clang_isConstQualifiedType(canonical)) {
      return GlobalVarFact::Kind::constant;
    }
    // String tables such as kwlists: arrays of char pointers.
    if (canonical.kind != element.kind && element.kind == CXType_Pointer) {
      CXType pointee = clang_getCanonicalType(clang_getPointeeType(element));
      if (pointee.kind == CXType_Char_S || pointee.kind == CXType_Char_U || pointee.kind == CXType_SChar) {
        return GlobalVarFact::Kind::api_table;
      }
    }
    if (holds_python_objects(type)) return GlobalVarFact::Kind::python_object;
    return GlobalVarFact::Kind::other_mutable;
  }

  void read_global(CXCursor var, const std::string& function) {
    if (!is_global_storage(var)) return;
    if (clang_Cursor_getStorageClass(var) == CX_SC_Extern && !clang_isCursorDefinition(var)) return;
    CXType type = clang_getCursorType(var);
    std::string usr = take(clang_getCursorUSR(var));
    std::string canonical = strip_type_noise(take(clang_getTypeSpelling(clang_getCanonicalType(type))));
    bool has_initializer = initializer_of(var).has_value();
    // `static PyModuleDef def;` ahead of its definition says nothing yet.
    if (has_initializer && canonical == "PyModuleDef") read_module_def(var, usr);
    if (has_initializer && canonical.rfind("PyModuleDef_Slot[", 0) == 0) read_slot_array(var, usr);

    auto known = global_index_.find(usr);
    if (known != global_index_.end()) {
      // A tentative definition first, the real one later: report at the one with a value.
      if (has_initializer) facts_.globals[known->second].location = location_of(var);
      return;
    }
    GlobalVarFact fact;
    fact.name = take(clang_getCursorSpelling(var));
    fact.usr = usr;
    fact.type = take(clang_getTypeSpelling(type));
    fact.location = location_of(var);
    fact.kind = classify(var, type);
    fact.function_static = !function.empty();
    fact.external_linkage = clang_getCursorLinkage(var) == CXLinkage_External;
    fact.function = function;
    fact.thread_local_storage = clang_getCursorTLSKind(var) != CXTLS_None;
    global_index_[usr] = facts_.globals.size();
    facts_.globals.push_back(std::move(fact));
  }

  // The last expression child: earlier ones belong to the type (`__typeof__(x) *p = ...`,
  // array bounds).
  std::optional<CXCursor> initializer_of(CXCursor var) {
    std::optional<CXCursor> last;
    for (CXCursor child : children_of(var)) {
      if (clang_isExpression(clang_getCursorKind(child))) last = child;
    }
    return last;
  }

  // The members of an initializer list, each with its field name when designated
  // (`.m_slots = slots`) or its position otherwise.
  struct Member {
    std::string designator;
    std::size_t position = 0;
    CXCursor value{};
  };

  std::vector<Member> members_of(CXCursor init_list) {
    std::vector<Member> members;
    std::size_t position = 0;
    for (CXCursor child : children_of(init_list)) {
      Member member;
      member.value = child;
      member.position = position++;
      if (clang_getCursorKind(child) == CXCursor_UnexposedExpr) {
        std::vector<CXCursor> parts = children_of(child);
        if (parts.size() == 2 && clang_getCursorKind(parts[0]) == CXCursor_MemberRef) {
          member.designator = take(clang_getCursorSpelling(parts[0]));
          member.value = parts[1];
        }
      }
      members.push_back(member);
    }
    return members;
  }

  void read_module_def(CXCursor var, const std::string& usr) {
    ModuleDefFact def;
    def.name = take(clang_getCursorSpelling(var));
    def.usr = usr;
    def.location = location_of(var);
    std::optional<CXCursor> init = initializer_of(var);
    if (init && clang_getCursorKind(*init) == CXCursor_InitListExpr) {
      static const char* const fields[] = {"m_base", "m_name", "m_doc",   "m_size", "m_methods",
                                           "m_slots", "m_traverse", "m_clear", "m_free"};
      std::size_t next_field = 0;
      for (const Member& member : members_of(*init)) {
        std::string field = member.designator;
        if (field.empty() && next_field < std::size(fields)) field = fields[next_field];
        for (std::size_t i = 0; i < std::size(fields); ++i) {
          if (field == fields[i]) next_field = i + 1;
        }
        if (field == "m_name") def.m_name = text_of(member.value);
        if (field == "m_size") def.m_size = constant_value(member.value);
        if (field == "m_slots") {
          CXCursor target = strip_wrappers(member.value);
          if (clang_getCursorKind(target) == CXCursor_UnaryOperator) target = strip_wrappers(children_of(target).front());
          if (clang_getCursorKind(target) == CXCursor_DeclRefExpr) {
            CXCursor referenced = clang_getCursorReferenced(target);
            def.slots_usr = take(clang_getCursorUSR(referenced));
            def.slots_name = take(clang_getCursorSpelling(referenced));
          }
        }
      }
    }
    facts_.module_defs.push_back(std::move(def));
  }

  void read_slot_array(CXCursor var, const std::string& usr) {
    SlotArrayFact array;
    array.name = take(clang_getCursorSpelling(var));
    array.usr = usr;
    array.location = location_of(var);
    std::optional<CXCursor> init = initializer_of(var);
    if (init && clang_getCursorKind(*init) == CXCursor_InitListExpr) {
      for (CXCursor entry : children_of(*init)) {
        if (clang_getCursorKind(entry) != CXCursor_InitListExpr) continue;
        SlotFact slot;
        slot.location = location_of(entry);
        bool have_id = false;
        for (const Member& member : members_of(entry)) {
          bool is_slot = member.designator == "slot" || (member.designator.empty() && member.position == 0);
          if (is_slot) {
            std::optional<std::int64_t> id = constant_value(member.value);
            if (id) {
              slot.id = *id;
              have_id = true;
            }
          } else {
            slot.value = text_of(member.value);
            slot.number = constant_value(member.value);
          }
        }
        if (have_id && slot.id != 0) array.slots.push_back(std::move(slot));
      }
    }
    facts_.slot_arrays.push_back(std::move(array));
  }

  // ---- functions -----------------------------------------------------------------------
  struct Region {
    unsigned offset;
    int critical_sections;
    int locks;
  };

  struct FunctionScan {
    FunctionFact fact;
    std::set<std::string> referenced;
    std::set<std::string> referenced_globals;
    std::map<std::string, CallFact::ArgOrigin> local_origins;  // by variable name
    std::vector<std::string> guard_vars;                       // usrs tested by enclosing ifs
    std::vector<Region> regions;                               // from the body's tokens
  };

  void read_function(CXCursor function) {
    FunctionScan scan;
    scan.fact.name = take(clang_getCursorSpelling(function));
    scan.fact.usr = take(clang_getCursorUSR(function));
    scan.fact.location = location_of(function);
    scan.fact.external_linkage = clang_getCursorLinkage(function) == CXLinkage_External;
    for (CXCursor child : children_of(function)) {
      if (clang_getCursorKind(child) == CXCursor_ParmDecl) {
        std::string name = take(clang_getCursorSpelling(child));
        if (name == "kwargs" || name == "kwds" || name == "kw" || name == "kws" || name == "keywds") {
          scan.local_origins[name] = CallFact::ArgOrigin::kwargs_parameter;
        }
      }
    }
    scan_tokens(function, scan);
    current_ = &scan;
    for (CXCursor child : children_of(function)) walk(child);
    current_ = nullptr;
    add_macro_uses(scan);
    std::sort(scan.fact.calls.begin(), scan.fact.calls.end(),
              [](const CallFact& a, const CallFact& b) { return a.offset < b.offset; });
    scan.fact.referenced_functions.assign(scan.referenced.begin(), scan.referenced.end());
    scan.fact.referenced_globals.assign(scan.referenced_globals.begin(), scan.referenced_globals.end());
    facts_.functions.push_back(std::move(scan.fact));
  }

  Region region_at(const FunctionScan& scan, unsigned offset) const {
    Region current{0, 0, 0};
    for (const Region& region : scan.regions) {
      if (region.offset > offset) break;
      current = region;
    }
    return current;
  }

  // Tokens carry what the AST loses to macros: critical sections (plain braces in the
  // default build), lock calls, and API macros such as PyList_GET_ITEM.
  struct MacroUse {
    std::string name;
    SourceLocation location;
    unsigned offset;
    std::vector<std::string> args;
  };
  std::vector<MacroUse> pending_macro_uses_;

  void scan_tokens(CXCursor function, FunctionScan& scan) {
    pending_macro_uses_.clear();
    CXToken* tokens = nullptr;
    unsigned count = 0;
    clang_tokenize(unit_, file_range(clang_getCursorExtent(function)), &tokens, &count);
    std::vector<std::string> spelled(count);
    std::vector<CXTokenKind> kinds(count);
    for (unsigned i = 0; i < count; ++i) {
      spelled[i] = take(clang_getTokenSpelling(unit_, tokens[i]));
      kinds[i] = clang_getTokenKind(tokens[i]);
    }
    int critical = 0, locks = 0;
    for (unsigned i = 0; i < count; ++i) {
      if (kinds[i] != CXToken_Identifier) continue;
      const std::string& word = spelled[i];
      // assert(...) compiles to nothing in release builds and decides nothing at run time.
      if ((word == "assert" || word == "Py_DEBUG_ASSERT") && i + 1 < count && spelled[i + 1] == "(") {
        i = closing_paren(spelled, i + 1);
        continue;
      }
      Position at = position(clang_getTokenLocation(unit_, tokens[i]));
      if (is_skipped(at)) continue;
      SourceLocation where{file_name(at.file), at.line, at.column};
      bool call = i + 1 < count && spelled[i + 1] == "(";
      if (word.rfind("Py_BEGIN_CRITICAL_SECTION", 0) == 0) {
        if (critical > 0 && word == "Py_BEGIN_CRITICAL_SECTION") {
          facts_.patterns.push_back({PatternFact::Kind::nested_critical_section, where, scan.fact.name, word});
        }
        scan.regions.push_back({at.offset, ++critical, locks});
      } else if (word.rfind("Py_END_CRITICAL_SECTION", 0) == 0) {
        scan.regions.push_back({at.offset, critical = std::max(0, critical - 1), locks});
      } else if (is_lock_call(word)) {
        scan.regions.push_back({at.offset, critical, ++locks});
      } else if (is_unlock_call(word)) {
        scan.regions.push_back({at.offset, critical, locks = std::max(0, locks - 1)});
      } else if (word == "Py_REFCNT" && call) {
        record_refcnt_test(spelled, kinds, i, where, scan.fact.name);
      }
      if (call && looks_like_python_api(word)) {
        pending_macro_uses_.push_back({word, where, at.offset, macro_arguments(spelled, i + 1)});
      }
    }
    clang_disposeTokens(unit_, tokens, count);
  }

  // The same range in plain file positions. A function declared as
  // `PyMODINIT_FUNC PyInit_x(void)` starts inside a macro, and clang_tokenize given such a
  // range returns the wrong tokens.
  CXSourceRange file_range(CXSourceRange range) {
    Position begin = position(clang_getRangeStart(range));
    Position end = position(clang_getRangeEnd(range));
    if (!begin.file || begin.file != end.file) return range;
    return clang_getRange(clang_getLocationForOffset(unit_, begin.file, begin.offset),
                          clang_getLocationForOffset(unit_, end.file, end.offset));
  }

  // Tokens in `#if` branches the preprocessor skipped are not code in this configuration.
  bool is_skipped(const Position& at) {
    auto [entry, inserted] = skipped_.try_emplace(at.file);
    if (inserted) {
      CXSourceRangeList* ranges = clang_getSkippedRanges(unit_, at.file);
      for (unsigned i = 0; ranges && i < ranges->count; ++i) {
        Position begin = position(clang_getRangeStart(ranges->ranges[i]));
        Position end = position(clang_getRangeEnd(ranges->ranges[i]));
        entry->second.emplace_back(begin.offset, end.offset);
      }
      clang_disposeSourceRangeList(ranges);
    }
    return std::any_of(entry->second.begin(), entry->second.end(),
                       [&](const auto& range) { return at.offset >= range.first && at.offset <= range.second; });
  }

  static bool is_lock_call(const std::string& word) {
    static const std::set<std::string> names = {"PyMutex_Lock", "PyThread_acquire_lock",
                                                "PyThread_acquire_lock_timed", "pthread_mutex_lock",
                                                "EnterCriticalSection", "AcquireSRWLockExclusive",
                                                "lock_guard", "unique_lock", "scoped_lock"};
    return names.count(word) > 0;
  }

  static bool is_unlock_call(const std::string& word) {
    static const std::set<std::string> names = {"PyMutex_Unlock", "PyThread_release_lock", "pthread_mutex_unlock",
                                                "LeaveCriticalSection", "ReleaseSRWLockExclusive"};
    return names.count(word) > 0;
  }

  // The index of the ")" matching the "(" at `open` (or the last token).
  static unsigned closing_paren(const std::vector<std::string>& tokens, unsigned open) {
    int depth = 0;
    for (unsigned i = open; i < tokens.size(); ++i) {
      if (tokens[i] == "(") ++depth;
      if (tokens[i] == ")" && --depth == 0) return i;
    }
    return static_cast<unsigned>(tokens.size()) - 1;
  }

  static bool looks_like_python_api(const std::string& word) {
    return word.rfind("Py", 0) == 0 || word.rfind("_Py", 0) == 0 || word.rfind("__Pyx", 0) == 0;
  }

  // Arguments of a macro call starting at the "(" token, split at top-level commas.
  static std::vector<std::string> macro_arguments(const std::vector<std::string>& tokens, std::size_t open) {
    std::vector<std::string> args;
    std::string current;
    int depth = 0;
    for (std::size_t i = open; i < tokens.size(); ++i) {
      const std::string& token = tokens[i];
      if (token == "(" || token == "[" || token == "{") {
        if (depth++ == 0) continue;
      } else if (token == ")" || token == "]" || token == "}") {
        if (--depth == 0) {
          if (!current.empty()) args.push_back(current);
          break;
        }
      } else if (token == "," && depth == 1) {
        args.push_back(current);
        current.clear();
        continue;
      }
      current += token;
    }
    return args;
  }

  // Py_REFCNT(x) compared with 1 or 2 decides "am I the only owner?", which another
  // thread can change at any moment on a free-threaded build.
  void record_refcnt_test(const std::vector<std::string>& tokens, const std::vector<CXTokenKind>& kinds,
                          std::size_t at, const SourceLocation& where, const std::string& function) {
    static const std::set<std::string> comparisons = {"==", "!=", "<", "<=", ">", ">="};
    std::size_t close = at + 1;
    for (int depth = 0; close < tokens.size(); ++close) {
      if (tokens[close] == "(") ++depth;
      if (tokens[close] == ")" && --depth == 0) break;
    }
    auto small_literal = [&](std::size_t i) {
      return i < tokens.size() && kinds[i] == CXToken_Literal && (tokens[i] == "1" || tokens[i] == "2");
    };
    bool after = close + 2 < tokens.size() && comparisons.count(tokens[close + 1]) && small_literal(close + 2);
    bool before = at >= 2 && comparisons.count(tokens[at - 1]) && small_literal(at - 2);
    if (after || before) {
      std::string text = before ? tokens[at - 2] + " " + tokens[at - 1] + " Py_REFCNT(...)"
                                : "Py_REFCNT(...) " + tokens[close + 1] + " " + tokens[close + 2];
      facts_.patterns.push_back({PatternFact::Kind::refcnt_uniqueness, where, function, text});
    }
  }

  // Python API names used with "(" whose expansion left no call behind (macros) become calls too.
  void add_macro_uses(FunctionScan& scan) {
    std::set<std::pair<std::string, unsigned>> seen;
    for (const CallFact& call : scan.fact.calls) seen.insert({call.callee, call.offset});
    for (MacroUse& use : pending_macro_uses_) {
      if (seen.count({use.name, use.offset})) continue;
      CallFact call;
      call.callee = use.name;
      call.location = use.location;
      call.offset = use.offset;
      call.args = std::move(use.args);
      call.is_macro = true;
      if (!call.args.empty()) {
        std::string first = call.args.front();
        while (!first.empty() && (first.front() == '&' || first.front() == '(')) first.erase(0, 1);
        while (!first.empty() && first.back() == ')') first.pop_back();
        bool identifier = !first.empty() && std::all_of(first.begin(), first.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
        });
        if (identifier) {
          call.first_arg_var = first;
          auto origin = scan.local_origins.find(first);
          if (origin != scan.local_origins.end()) call.first_arg_origin = origin->second;
        }
      }
      Region region = region_at(scan, call.offset);
      call.critical_section_depth = region.critical_sections;
      call.under_lock = region.locks > 0 || region.critical_sections > 0;
      scan.fact.calls.push_back(std::move(call));
    }
  }

  static bool creates_fresh_container(const std::string& callee) {
    static const std::set<std::string> names = {"PyDict_New",     "PyList_New",       "PyDict_Copy",
                                                "PyTuple_New",    "PySequence_List",  "PyList_GetSlice",
                                                "PyDict_FromKeys", "_PyDict_NewPresized", "PyObject_CallNoArgs"};
    return names.count(callee) > 0;
  }

  std::optional<std::string> callee_of(CXCursor call) {
    CXCursor referenced = clang_getCursorReferenced(call);
    if (!clang_Cursor_isNull(referenced)) {
      CXCursorKind kind = clang_getCursorKind(referenced);
      if (kind == CXCursor_FunctionDecl || kind == CXCursor_CXXMethod || kind == CXCursor_FunctionTemplate) {
        return take(clang_getCursorSpelling(referenced));
      }
    }
    std::string spelling = take(clang_getCursorSpelling(call));
    if (!spelling.empty()) return spelling;
    return std::nullopt;
  }

  // The variable an lvalue or argument expression names: x, &x, x.field, x[i], (T)x.
  std::optional<CXCursor> named_variable(CXCursor expr, bool through_address_of) {
    for (int guard = 0; guard < 16; ++guard) {
      expr = strip_wrappers(expr);
      CXCursorKind kind = clang_getCursorKind(expr);
      if (kind == CXCursor_DeclRefExpr) {
        CXCursor referenced = clang_getCursorReferenced(expr);
        if (clang_getCursorKind(referenced) == CXCursor_VarDecl || clang_getCursorKind(referenced) == CXCursor_ParmDecl) {
          return referenced;
        }
        return std::nullopt;
      }
      std::vector<CXCursor> children = children_of(expr);
      if (children.empty()) return std::nullopt;
      if (kind == CXCursor_MemberRefExpr || kind == CXCursor_ArraySubscriptExpr) {
        if (kind == CXCursor_MemberRefExpr && text_of(expr).find("->") != std::string::npos) return std::nullopt;
        expr = children.front();
        continue;
      }
      if (kind == CXCursor_UnaryOperator && through_address_of &&
          clang_getCursorUnaryOperatorKind(expr) == CXUnaryOperator_AddrOf) {
        expr = children.front();
        through_address_of = false;
        continue;
      }
      return std::nullopt;
    }
    return std::nullopt;
  }

  bool is_global_variable(CXCursor var) {
    return clang_getCursorKind(var) == CXCursor_VarDecl && is_global_storage(var);
  }

  void record_write(CXCursor target_expr, CXCursor at, bool through_address_of) {
    std::optional<CXCursor> var = named_variable(target_expr, through_address_of);
    if (!var || !is_global_variable(*var)) return;
    GlobalWriteFact write;
    write.var_usr = take(clang_getCursorUSR(*var));
    write.function = current_->fact.name;
    unsigned offset = 0;
    write.location = location_of(at, &offset);
    write.lazy_init = std::find(current_->guard_vars.begin(), current_->guard_vars.end(), write.var_usr) !=
                      current_->guard_vars.end();
    Region region = region_at(*current_, offset);
    write.under_lock = region.locks > 0 || region.critical_sections > 0;
    facts_.global_writes.push_back(std::move(write));
  }

  void collect_referenced_vars(CXCursor cursor, std::vector<std::string>& usrs) {
    if (clang_getCursorKind(cursor) == CXCursor_DeclRefExpr) {
      CXCursor referenced = clang_getCursorReferenced(cursor);
      if (clang_getCursorKind(referenced) == CXCursor_VarDecl) usrs.push_back(take(clang_getCursorUSR(referenced)));
    }
    for (CXCursor child : children_of(cursor)) collect_referenced_vars(child, usrs);
  }

  void note_local_origin(CXCursor var, CXCursor value) {
    CXCursor inner = strip_wrappers(value);
    if (clang_getCursorKind(inner) != CXCursor_CallExpr) return;
    std::optional<std::string> callee = callee_of(inner);
    std::string name = take(clang_getCursorSpelling(var));
    if (callee && creates_fresh_container(*callee)) {
      current_->local_origins[name] = CallFact::ArgOrigin::fresh_container;
    } else {
      current_->local_origins.erase(name);
    }
  }

  // A call spelled inside a Python or system header macro (Py_TYPE inside
  // PyList_GET_ITEM, say) is that header's business; the macro use is recorded instead.
  bool spelled_in_project(CXCursor cursor) {
    CXFile file = nullptr;
    clang_getSpellingLocation(clang_getCursorLocation(cursor), &file, nullptr, nullptr, nullptr);
    return in_project(file);
  }

  // Calls the module model needs even when a Python macro spells them: a project macro
  // such as `#define MODULE_CREATE(m, def) m = PyModule_Create(def)` leaves no token
  // naming the API in the function, only this call.
  static bool is_module_api(const std::string& callee) {
    static const std::set<std::string> names = {"PyModule_Create2", "PyModuleDef_Init", "PyModule_FromDefAndSpec2",
                                                "PyUnstable_Module_SetGIL"};
    return names.count(callee) > 0;
  }

  void read_call(CXCursor call) {
    std::optional<std::string> callee = callee_of(call);
    if (!callee || (!spelled_in_project(call) && !is_module_api(*callee))) return;
    CallFact fact;
    fact.callee = *callee;
    fact.location = location_of(call, &fact.offset);
    int count = clang_Cursor_getNumArguments(call);
    for (int i = 0; i < count; ++i) {
      CXCursor arg = clang_Cursor_getArgument(call, static_cast<unsigned>(i));
      fact.args.push_back(text_of(arg));
      std::optional<CXCursor> var = named_variable(arg, /*through_address_of=*/true);
      if (i == 0 && var) {
        fact.first_arg_var = take(clang_getCursorSpelling(*var));
        auto origin = current_->local_origins.find(fact.first_arg_var);
        if (origin != current_->local_origins.end()) fact.first_arg_origin = origin->second;
      }
      // Passing &global lets the callee store into it.
      CXCursor stripped = strip_wrappers(arg);
      if (clang_getCursorKind(stripped) == CXCursor_UnaryOperator &&
          clang_getCursorUnaryOperatorKind(stripped) == CXUnaryOperator_AddrOf && var && is_global_variable(*var)) {
        CXType type = clang_getCanonicalType(clang_getCursorType(*var));
        if (type.kind == CXType_Pointer || type.kind == CXType_Int || type.kind == CXType_Long ||
            type.kind == CXType_LongLong || type.kind == CXType_UInt || type.kind == CXType_ULong) {
          record_write(arg, call, true);
        }
      }
    }
    Region region = region_at(*current_, fact.offset);
    fact.critical_section_depth = region.critical_sections;
    fact.under_lock = region.locks > 0 || region.critical_sections > 0;
    current_->referenced.insert(fact.callee);
    current_->fact.calls.push_back(std::move(fact));
  }

  void walk(CXCursor cursor) {
    CXCursorKind kind = clang_getCursorKind(cursor);
    switch (kind) {
      case CXCursor_CallExpr:
        read_call(cursor);
        break;
      case CXCursor_DeclRefExpr: {
        CXCursor referenced = clang_getCursorReferenced(cursor);
        CXCursorKind target = clang_getCursorKind(referenced);
        if (target == CXCursor_FunctionDecl || target == CXCursor_CXXMethod) {
          current_->referenced.insert(take(clang_getCursorSpelling(referenced)));
        } else if (target == CXCursor_VarDecl && clang_getCursorLinkage(referenced) == CXLinkage_External &&
                   is_global_storage(referenced)) {
          current_->referenced_globals.insert(take(clang_getCursorUSR(referenced)));
        }
        break;
      }
      case CXCursor_VarDecl: {
        if (is_global_storage(cursor)) {
          read_global(cursor, current_->fact.name);
        } else if (std::optional<CXCursor> init = initializer_of(cursor)) {
          note_local_origin(cursor, *init);
          // `T *p = &global;` is how Py_SETREF, Py_XSETREF and Py_CLEAR write their target.
          CXCursor value = strip_wrappers(*init);
          if (clang_getCursorKind(value) == CXCursor_UnaryOperator &&
              clang_getCursorUnaryOperatorKind(value) == CXUnaryOperator_AddrOf) {
            record_write(value, cursor, /*through_address_of=*/true);
          }
        }
        break;
      }
      case CXCursor_BinaryOperator:
      case CXCursor_CompoundAssignOperator: {
        std::vector<CXCursor> sides = children_of(cursor);
        bool assigns = kind == CXCursor_CompoundAssignOperator ||
                       clang_getCursorBinaryOperatorKind(cursor) == CXBinaryOperator_Assign;
        if (assigns && sides.size() == 2) {
          record_write(sides[0], cursor, false);
          if (std::optional<CXCursor> var = named_variable(sides[0], false); var && !is_global_variable(*var)) {
            note_local_origin(*var, sides[1]);
          }
        }
        break;
      }
      case CXCursor_UnaryOperator: {
        CXUnaryOperatorKind op = clang_getCursorUnaryOperatorKind(cursor);
        if (op == CXUnaryOperator_PostInc || op == CXUnaryOperator_PostDec || op == CXUnaryOperator_PreInc ||
            op == CXUnaryOperator_PreDec) {
          std::vector<CXCursor> operand = children_of(cursor);
          if (!operand.empty()) record_write(operand.front(), cursor, false);
        }
        break;
      }
      case CXCursor_IfStmt: {
        std::vector<CXCursor> parts = children_of(cursor);
        if (parts.empty()) return;
        walk(parts[0]);
        std::vector<std::string> tested;
        collect_referenced_vars(parts[0], tested);
        std::size_t before = current_->guard_vars.size();
        current_->guard_vars.insert(current_->guard_vars.end(), tested.begin(), tested.end());
        for (std::size_t i = 1; i < parts.size(); ++i) walk(parts[i]);
        current_->guard_vars.resize(before);
        return;
      }
      case CXCursor_LambdaExpr:
        break;
      default:
        break;
    }
    for (CXCursor child : children_of(cursor)) walk(child);
  }

  // ---- whole-file facts ----------------------------------------------------------------
  void scan_binding_macros(CXFile main_file, std::string_view text) {
    if (text.find("PYBIND11_MODULE") == std::string_view::npos && text.find("NB_MODULE") == std::string_view::npos) {
      return;
    }
    CXSourceRange whole = clang_getRange(clang_getLocationForOffset(unit_, main_file, 0),
                                         clang_getLocationForOffset(unit_, main_file, static_cast<unsigned>(text.size())));
    CXToken* tokens = nullptr;
    unsigned count = 0;
    clang_tokenize(unit_, whole, &tokens, &count);
    std::vector<std::string> spelled(count);
    for (unsigned i = 0; i < count; ++i) spelled[i] = take(clang_getTokenSpelling(unit_, tokens[i]));
    for (unsigned i = 0; i + 1 < count; ++i) {
      bool pybind = spelled[i] == "PYBIND11_MODULE";
      if ((!pybind && spelled[i] != "NB_MODULE") || spelled[i + 1] != "(") continue;
      if (i > 0 && spelled[i - 1] == "define") continue;
      std::vector<std::string> args = macro_arguments(spelled, i + 1);
      if (args.empty()) continue;
      BindingModuleFact fact;
      fact.generator = pybind ? "pybind11" : "nanobind";
      fact.module_name = args[0];
      Position at = position(clang_getTokenLocation(unit_, tokens[i]));
      fact.location = {file_name(at.file), at.line, at.column};
      fact.options.assign(args.begin() + std::min<std::size_t>(2, args.size()), args.end());
      facts_.binding_modules.push_back(std::move(fact));
    }
    clang_disposeTokens(unit_, tokens, count);
  }

  // Py_LIMITED_API on the command line or #defined in a project file of this unit.
  void detect_limited_api() {
    if (facts_.limited_api) return;
    struct Files {
      UnitReader* self;
      std::vector<CXFile> files;
    } collected{this, {}};
    clang_getInclusions(
        unit_,
        [](CXFile file, CXSourceLocation*, unsigned, CXClientData data) {
          auto* out = static_cast<Files*>(data);
          if (out->self->in_project(file)) out->files.push_back(file);
        },
        &collected);
    for (CXFile file : collected.files) {
      std::string_view text = file_text(file);
      for (std::size_t at = text.find("Py_LIMITED_API"); at != std::string_view::npos;
           at = text.find("Py_LIMITED_API", at + 1)) {
        if (is_skipped(Position{file, 0, 0, static_cast<unsigned>(at)})) continue;
        std::size_t line_start = text.rfind('\n', at);
        line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
        std::string line(text.substr(line_start, at - line_start));
        std::erase_if(line, [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); });
        if (line == "#define") {
          facts_.limited_api = true;
          return;
        }
      }
    }
  }

  CXTranslationUnit unit_;
  const ExtractOptions& options_;
  TranslationUnitFacts& facts_;
  FunctionScan* current_ = nullptr;
  std::unordered_map<CXFile, std::string> file_names_;
  std::unordered_map<CXFile, bool> in_project_;
  std::map<std::string, bool> object_records_;
  std::map<std::string, std::size_t> global_index_;
  std::unordered_map<CXFile, std::vector<std::pair<unsigned, unsigned>>> skipped_;
};

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
  facts.limited_api = std::any_of(flags.begin(), flags.end(),
                                  [](const std::string& flag) { return flag.rfind("-DPy_LIMITED_API", 0) == 0; });
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
    ParseDiagnostic failure;
    failure.location = {facts.file, 0, 0};
    failure.message = status == CXError_Crashed ? "libclang crashed while parsing this file"
                      : status == CXError_ASTReadError ? "libclang could not read the AST"
                                                       : "libclang could not parse this file (bad flags or unreadable file)";
    facts.diagnostics.push_back(std::move(failure));
    return facts;
  }
  facts.parsed = true;
  ExtractOptions options = impl_->options;
  UnitReader(unit, options, facts).read();
  // A fatal error (a missing header) or an error inside Python's own headers (the limited
  // API on a free-threaded build, a version mismatch) leaves an AST that cannot be trusted
  // to say how the module initialises.
  facts.complete = std::none_of(facts.diagnostics.begin(), facts.diagnostics.end(), [&](const ParseDiagnostic& d) {
    return d.message.rfind("fatal: ", 0) == 0 ||
           (!d.location.file.empty() && !is_under(d.location.file, options.project_roots));
  });
  clang_disposeTranslationUnit(unit);
  return facts;
}

}  // namespace subcheck
