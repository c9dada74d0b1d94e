// Tokens carry what the AST loses to macros: critical sections (plain braces in the
// default build), lock calls, Py_REFCNT uniqueness tests and API macros such as
// PyList_GET_ITEM whose expansion leaves no call behind.
#pragma once

#include <clang-c/Index.h>

#include <string>
#include <vector>

#include "analyzer/facts.h"
#include "analyzer/reader/source_map.h"

namespace subcheck::reader {

// The nesting of critical sections and locks from `offset` on (until the next region).
struct Region {
  unsigned offset;
  int critical_sections;
  int locks;
};

// A Python API name used with "(" in a function body, as tokens.
struct MacroUse {
  std::string name;
  SourceLocation location;
  unsigned offset;
  std::vector<std::string> args;
  // Spelled in a `#define` inside the function body (termios' SET_FROM_LIST): each
  // expansion of that macro is where the code runs.
  bool in_directive = false;
};

// One token of a function body, outside preprocessor branches the build skips.
struct BodyToken {
  std::string spelling;
  unsigned offset;
};

struct FunctionTokens {
  // Every token, in order: the fallback for statements libclang does not list (a `for` whose
  // header names a variable of an unknown type, when a library's header is missing).
  std::vector<BodyToken> body;
  std::vector<Region> regions;       // in offset order
  std::vector<MacroUse> macro_uses;  // Py*/_Py*/__Pyx* names followed by "("
  // [first, last] byte offsets of each assert(...), its name to its ")": code that release
  // builds (NDEBUG, as extensions are built) compile to nothing.
  std::vector<std::pair<unsigned, unsigned>> assert_spans;

  bool in_assert(unsigned offset) const;
};

// Scans the tokens of one function definition; nested critical sections and refcount
// uniqueness tests go straight to `patterns`.
FunctionTokens scan_function_tokens(SourceMap& map, CXCursor function, const std::string& function_name,
                                    std::vector<PatternFact>& patterns);

// The region in force at `offset`.
Region region_at(const std::vector<Region>& regions, unsigned offset);

// Arguments of a macro call starting at the "(" token, split at top-level commas.
std::vector<std::string> macro_arguments(const std::vector<std::string>& tokens, std::size_t open);

}  // namespace subcheck::reader
