// Where Cython-generated C came from, read from the comments Cython writes into it. Text
// only, no libclang: the reader (globals.cpp, function_reader.cpp) gives it the file's text
// and the offsets it knows.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/finding.h"

namespace subcheck::reader {

// A line of the source Cython generated C from, as its comments name it: Cython writes
// `/* "pkg/mod.pyx":12` (then the source lines, then ` */`) before the code it generated
// for line 12. `file` is as Cython spelled it, relative to where it was run.
struct CythonOrigin {
  std::string file;
  unsigned line = 0;
};

// The nearest such comment that starts in text[from, offset).
std::optional<CythonOrigin> cython_origin_before(std::string_view text, std::size_t from, std::size_t offset);

// The comment right before `struct __pyx_obj_<suffix> {`: the line of `cdef class` whose
// type object is `__pyx_type_<suffix>`.
std::optional<CythonOrigin> cython_class_origin(std::string_view text, std::string_view suffix);

// Where to report an origin of `generated_file`: the source found beside it (or, by the
// path Cython spelled, under one of its parent directories) as an absolute path; the
// spelling as it is when not found.
SourceLocation locate_cython_origin(const std::string& generated_file, const CythonOrigin& origin);

// The same, looking each file up once: a unit's thousands of writes name one or two sources.
class CythonSourceLocator {
 public:
  SourceLocation locate(const std::string& generated_file, const CythonOrigin& origin);

 private:
  std::map<std::pair<std::string, std::string>, std::string> files_;  // (generated, spelled) -> reported
};

}  // namespace subcheck::reader
