#include "analyzer/reader/globals.h"

#include <algorithm>
#include <string>

#include "analyzer/reader/cursors.h"
#include "analyzer/reader/module_tables.h"

namespace subcheck::reader {
namespace {

// The functions and the global variables an initialiser names, in source order, each once.
struct InitializerNames {
  std::vector<std::string> functions;    // names
  std::vector<std::string> destructors;  // names: GlobalVarFact::destructors
  std::vector<std::string> globals;      // usrs
};

void add_once(std::vector<std::string>& list, std::string item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

// `void f(T *)`: the shape of a type's destructor slots (tp_dealloc, tp_finalize, tp_del).
bool takes_one_pointer_returns_nothing(CXCursor function) {
  return clang_getCursorResultType(function).kind == CXType_Void && clang_Cursor_getNumArguments(function) == 1 &&
         clang_getCanonicalType(clang_getCursorType(clang_Cursor_getArgument(function, 0))).kind == CXType_Pointer;
}

void collect_names(CXCursor cursor, InitializerNames& names) {
  if (clang_getCursorKind(cursor) == CXCursor_DeclRefExpr) {
    CXCursor referenced = clang_getCursorReferenced(cursor);
    CXCursorKind kind = clang_getCursorKind(referenced);
    if (kind == CXCursor_FunctionDecl || kind == CXCursor_CXXMethod) {
      std::string name = take(clang_getCursorSpelling(referenced));
      if (takes_one_pointer_returns_nothing(referenced)) add_once(names.destructors, name);
      add_once(names.functions, std::move(name));
    } else if (kind == CXCursor_VarDecl && is_global_variable(referenced)) {
      add_once(names.globals, take(clang_getCursorUSR(referenced)));
    }
  }
  for (CXCursor child : children_of(cursor)) collect_names(child, names);
}

void read_initializer_names(CXCursor var, GlobalVarFact& fact) {
  InitializerNames names;
  if (auto init = initializer_of(var)) collect_names(*init, names);
  fact.functions = std::move(names.functions);
  fact.destructors = std::move(names.destructors);
  fact.referenced_globals = std::move(names.globals);
}

// The initialiser starts the object with CPython's own header macro, which from 3.12 on
// gives it the immortal reference count (Include/object.h), and names its type there. Told
// by the macro's name in the source, since the expansion differs between versions and
// builds. A NULL type means the type is set at run time (Py_SET_TYPE), so the object is
// written after all.
bool head_init_with_type_in_initializer(SourceMap& map, CXCursor var) {
  auto init = initializer_of(var);
  if (!init) return false;
  const std::string text = map.text_of(*init);
  for (std::string_view macro : {"PyObject_HEAD_INIT(", "PyVarObject_HEAD_INIT("}) {
    auto at = text.find(macro);
    if (at == std::string::npos) continue;
    auto first = text.find_first_not_of(" \t\n", at + macro.size());
    auto end = text.find_first_of(",)", at + macro.size());
    if (first == std::string::npos || end == std::string::npos || first >= end) return false;
    auto type = text.substr(first, end - first);
    type.erase(type.find_last_not_of(" \t\n") + 1);
    return type != "NULL" && type != "0" && type != "nullptr";
  }
  return false;
}

}  // namespace

void GlobalReader::read(CXCursor var, const std::string& function) {
  if (!is_global_storage(var)) return;
  if (clang_Cursor_getStorageClass(var) == CX_SC_Extern && !clang_isCursorDefinition(var)) return;
  CXType type = clang_getCursorType(var);
  std::string usr = take(clang_getCursorUSR(var));
  std::string canonical = strip_type_noise(take(clang_getTypeSpelling(clang_getCanonicalType(type))));
  bool has_initializer = initializer_of(var).has_value();
  // `static PyModuleDef def;` ahead of its definition says nothing yet.
  if (has_initializer && canonical == "PyModuleDef") facts_.module_defs.push_back(read_module_def(map_, var, usr));
  if (has_initializer && canonical.rfind("PyModuleDef_Slot[", 0) == 0) {
    facts_.slot_arrays.push_back(read_slot_array(map_, var, usr, SlotLayout::module_def_slot));
  }
  if (has_initializer && canonical.rfind("PySlot[", 0) == 0) {
    facts_.slot_arrays.push_back(read_slot_array(map_, var, usr, SlotLayout::py_slot));
  }

  auto known = index_.find(usr);
  if (known != index_.end()) {
    // A tentative definition first, the real one later: report at the one with a value.
    if (has_initializer) {
      facts_.globals[known->second].location = map_.location_of(var);
      read_initializer_names(var, facts_.globals[known->second]);
      GlobalVarFact& fact = facts_.globals[known->second];
      fact.immortal_head_init =
          fact.kind == GlobalVarFact::Kind::static_object && head_init_with_type_in_initializer(map_, var);
    }
    return;
  }
  GlobalVarFact fact;
  fact.name = take(clang_getCursorSpelling(var));
  fact.usr = usr;
  fact.type = take(clang_getTypeSpelling(type));
  fact.location = map_.location_of(var);
  fact.kind = classifier_.classify(var, type);
  fact.function_static = !function.empty();
  fact.external_linkage = clang_getCursorLinkage(var) == CXLinkage_External;
  fact.function = function;
  fact.thread_local_storage = clang_getCursorTLSKind(var) != CXTLS_None;
  read_initializer_names(var, fact);
  fact.immortal_head_init =
      fact.kind == GlobalVarFact::Kind::static_object && head_init_with_type_in_initializer(map_, var);
  constexpr std::string_view kCythonType = "__pyx_type_";
  if (facts_.generator == "cython" && fact.name.starts_with(kCythonType)) {
    std::string_view text = map_.file_text(position(clang_getCursorLocation(var)).file);
    if (auto origin = cython_class_origin(text, std::string_view(fact.name).substr(kCythonType.size()))) {
      fact.generated_from = cython_sources_.locate(facts_.file, *origin);
    }
  }
  index_[usr] = facts_.globals.size();
  facts_.globals.push_back(std::move(fact));
}

}  // namespace subcheck::reader
