// Code that only the main interpreter runs: `if (PyInterpreterState_Get() ==
// PyInterpreterState_Main())`, or a project predicate that returns that comparison
// (psycopg2's psyco_is_main_interp), tested directly or through a local holding its
// result. A global touched only there (psycopg2's cached Decimal type) belongs to one
// interpreter, however many load the module.
#pragma once

#include <clang-c/Index.h>

#include <map>
#include <set>
#include <string>

namespace subcheck::reader {

// `expr` is true only in the main interpreter: the comparison of the current interpreter
// with PyInterpreterState_Main(), _Py_IsMainInterpreter(...), a call of a function defined
// in the unit whose every `return` gives such a test, or a local in `main_locals` (USRs of
// locals holding one). Negations and `!=` are not: their true branch is the other
// interpreters'.
// `predicates` remembers, by USR, each function of the unit already judged, so a body is
// walked once however many conditions call it.
using MainInterpreterPredicates = std::map<std::string, bool>;
bool tests_main_interpreter(CXCursor expr, const std::set<std::string>& main_locals,
                            MainInterpreterPredicates& predicates);

// An `if` condition whose true branch only the main interpreter enters: the test itself,
// or a chain of && with the test as one of its operands.
bool gates_main_interpreter(CXCursor condition, const std::set<std::string>& main_locals,
                            MainInterpreterPredicates& predicates);

// An `if` condition true in every interpreter but the main one: the negated test
// (`!is_main_interpreter()`, `interp != PyInterpreterState_Main()`), or a chain of || with
// one as an operand. Code after `if (<this>) return ...;` runs in the main interpreter only
// (syslog's openlog and closelog).
bool excludes_main_interpreter(CXCursor condition, const std::set<std::string>& main_locals,
                               MainInterpreterPredicates& predicates);

}  // namespace subcheck::reader
