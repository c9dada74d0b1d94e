// What a variable with static storage duration holds, from its type: Python objects,
// a static type, an API table, a synchronisation primitive, constant or other mutable data.
#pragma once

#include <clang-c/Index.h>

#include <map>
#include <string>

#include "analyzer/facts.h"

namespace subcheck::reader {

// The type spelling without const/volatile/struct/static, for comparing with known names.
std::string strip_type_noise(std::string type);

// Remembers which record types hold Python objects, per translation unit.
class GlobalClassifier {
 public:
  GlobalVarFact::Kind classify(CXCursor var, CXType type);
  // A Python object's struct: PyObject, PyTypeObject, or one whose first member is one
  // (PyObject_HEAD, a base type's struct).
  bool is_python_object_record(CXType record);

 private:
  bool is_python_object_pointer(CXType type);
  bool holds_python_objects(CXType type, int depth = 0);

  std::map<std::string, bool> object_records_;
};

}  // namespace subcheck::reader
