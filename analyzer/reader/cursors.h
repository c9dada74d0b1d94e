// Small libclang helpers shared by the reader's pieces: strings, children, the expression
// under casts, constant values, initialisers. libclang types never leave analyzer/reader/
// (and analyzer/extract.cpp): the facts the reader produces are plain data (facts.h).
#pragma once

#include <clang-c/Index.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace subcheck::reader {

// The text of a CXString, which is disposed of.
std::string take(CXString text);

std::vector<CXCursor> children_of(CXCursor cursor);

// Parens, implicit conversions and casts say nothing about which object is meant.
CXCursor strip_wrappers(CXCursor cursor);

// The integer value of a constant expression, looking through wrappers (`(int)Py_mod_gil`).
std::optional<std::int64_t> constant_value(CXCursor cursor);

// A value that is the same for the whole process, named so that two writes storing it
// compare equal: a string literal (its text), a function (`f`, `&f`), the address of a
// variable with static storage (`&table`), or a const global's value
// (`PyStructSequence_UnnamedField`), or the definition `PyModule_GetDef(module)` gives
// (a module's PyModuleDef is static data, the same for every interpreter that loads it:
// `_testcapi` keeps its own so). Integer constants are left out: the flag a write sets to 1
// is usually a guard, whose race matters. nullopt for anything else.
std::optional<std::string> process_constant(CXCursor expr);

// The spelling of each token of `range`, in order.
std::vector<std::string> spelled_tokens(CXTranslationUnit unit, CXSourceRange range);

// The initialiser of a variable: its last expression child (earlier ones belong to the
// type: `__typeof__(x) *p = ...`, array bounds).
std::optional<CXCursor> initializer_of(CXCursor var);

// File scope, namespace scope, function static or static member.
bool is_global_storage(CXCursor var);

// A VarDecl with static storage duration (parameters and locals are not).
bool is_global_variable(CXCursor var);

// The name of the function a call expression calls (or its spelling when it names none).
std::optional<std::string> callee_of(CXCursor call);

// The callee's name as the source spells it, when clang could not resolve the call (its
// declaration was invalid, so the callee is an error-recovery expression); nullopt otherwise.
std::optional<std::string> recovered_callee(CXCursor call);

}  // namespace subcheck::reader
