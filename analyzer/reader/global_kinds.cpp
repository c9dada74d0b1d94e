#include "analyzer/reader/global_kinds.h"

#include <cstring>
#include <set>

#include "analyzer/reader/cursors.h"

namespace subcheck::reader {
namespace {

// Types whose static instances CPython itself keeps process-wide and never mutates per
// interpreter in a way that matters (CPython's c-analyzer keeps the same allow-list).
const std::set<std::string>& api_table_types() {
  static const std::set<std::string> types = {"PyMethodDef",      "PyModuleDef",           "PyModuleDef_Slot",
                                              "PyType_Spec",      "PyType_Slot",           "PyMemberDef",
                                              "PyGetSetDef",      "PyStructSequence_Desc", "PyStructSequence_Field",
                                              "PyBufferProcs",    "PyNumberMethods",       "PySequenceMethods",
                                              "PyMappingMethods", "PyAsyncMethods",        "_PyArg_Parser",
                                              "PyModuleDef_Base", "_Py_Identifier",        "PyCapsule_Destructor",
                                              "PyCFunction",      "PyMethodDef[]",         "PySlot",
                                              "PyABIInfo"};  // 3.15: PEP 793's export-hook slots and Py_mod_abi
  return types;
}

const std::set<std::string>& sync_types() {
  static const std::set<std::string> types = {
      "PyMutex", "pthread_mutex_t", "pthread_once_t", "_PyOnceFlag", "PyOnceFlag", "std::mutex", "std::once_flag",
      "std::atomic_flag", "pthread_key_t", "Py_tss_t", "pthread_cond_t", "pthread_rwlock_t", "pthread_spinlock_t",
      "sem_t",
      // Tcl's and other libraries' own thread-safe handles (only their API touches them).
      "Tcl_Mutex", "Tcl_ThreadDataKey", "Tcl_Condition"};
  return types;
}

// Py_buffer (struct bufferinfo): a C description of memory (buf, len, shape, strides).
// Its `obj` member is a PyObject *, but it holds the exporter only after a buffer request
// fills it; a static Py_buffer written field by field, or copied whole from another
// description (_testbuffer.c's `static Py_buffer info`, `static_buffer` with obj NULL), is
// plain C data. By type it is C data (SI010); the writes that do store an object in it
// are marked GlobalWriteFact::stores_object, and those make it SI006's.
bool is_buffer_description(CXType record) {
  std::string spelling = strip_type_noise(take(clang_getTypeSpelling(clang_getCanonicalType(record))));
  return spelling == "bufferinfo" || spelling == "Py_buffer";
}

}  // namespace

std::string strip_type_noise(std::string type) {
  for (const char* word : {"const ", "volatile ", "struct ", "static "}) {
    for (std::size_t at; (at = type.find(word)) != std::string::npos;) type.erase(at, std::strlen(word));
  }
  return type;
}

bool GlobalClassifier::is_python_object_record(CXType record) {
  record = clang_getCanonicalType(record);
  if (record.kind != CXType_Record) return false;
  std::string spelling = strip_type_noise(take(clang_getTypeSpelling(record)));
  if (spelling == "_object" || spelling == "_typeobject" || spelling == "PyObject" || spelling == "PyVarObject" ||
      spelling == "PyTypeObject") {
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

bool GlobalClassifier::is_python_object_pointer(CXType type) {
  type = clang_getCanonicalType(type);
  if (type.kind != CXType_Pointer) return false;
  return is_python_object_record(clang_getPointeeType(type));
}

// A value that holds Python objects: a pointer to one, an array of them, or a struct
// with such a field (a hand-rolled "global state" struct).
bool GlobalClassifier::holds_python_objects(CXType type, int depth) {
  type = clang_getCanonicalType(type);
  if (depth > 4) return false;
  if (is_python_object_pointer(type)) return true;
  if (type.kind == CXType_ConstantArray || type.kind == CXType_IncompleteArray) {
    return holds_python_objects(clang_getArrayElementType(type), depth + 1);
  }
  if (type.kind == CXType_Record && !is_python_object_record(type) && !is_buffer_description(type)) {
    struct Search {
      GlobalClassifier* self;
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

GlobalVarFact::Kind GlobalClassifier::classify(CXCursor var, CXType type) {
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
  if (declared_element == "PyThread_type_lock" && element.kind != CXType_Atomic) {
    return GlobalVarFact::Kind::lock_handle;
  }
  if (element.kind == CXType_Atomic || sync_types().count(declared_element) || sync_types().count(canonical_element) ||
      canonical_element.rfind("std::atomic", 0) == 0) {
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

}  // namespace subcheck::reader
