#include "analyzer/reader/main_interpreter.h"

#include <algorithm>
#include <vector>

#include "analyzer/reader/cursors.h"

namespace subcheck::reader {
namespace {

// How deep predicates may call predicates: enough for a helper wrapping a helper, and a
// bound for recursive functions.
constexpr int kPredicateDepth = 3;

bool tests_main(CXCursor expr, const std::set<std::string>& main_locals, MainInterpreterPredicates& predicates,
                int depth);

bool calls_main_interpreter(CXCursor expr) {
  CXCursor inner = strip_wrappers(expr);
  if (clang_getCursorKind(inner) != CXCursor_CallExpr) return false;
  std::optional<std::string> callee = callee_of(inner);
  return callee && (*callee == "PyInterpreterState_Main" || *callee == "_PyInterpreterState_Main");
}

// The values of a body's own `return`s (a nested lambda's are not searched: C has none).
void collect_returns(CXCursor cursor, std::vector<CXCursor>& values, int& bare) {
  for (CXCursor child : children_of(cursor)) {
    if (clang_getCursorKind(child) == CXCursor_ReturnStmt) {
      std::vector<CXCursor> value = children_of(child);
      if (value.empty()) {
        ++bare;
      } else {
        values.push_back(value.front());
      }
    } else {
      collect_returns(child, values, bare);
    }
  }
}

// A function of the unit whose every `return` gives a main-interpreter test. Its locals
// are its own, so none is known to hold one.
bool is_main_interpreter_predicate(CXCursor call, MainInterpreterPredicates& predicates, int depth) {
  if (depth >= kPredicateDepth) return false;
  CXCursor definition = clang_getCursorDefinition(clang_getCursorReferenced(call));
  if (clang_Cursor_isNull(definition) || clang_getCursorKind(definition) != CXCursor_FunctionDecl) return false;
  const std::string usr = take(clang_getCursorUSR(definition));
  if (auto known = predicates.find(usr); known != predicates.end()) return known->second;
  predicates[usr] = false;  // while it is judged: a recursive predicate is none
  std::vector<CXCursor> values;
  int bare = 0;
  collect_returns(definition, values, bare);
  const std::set<std::string> none;
  const bool predicate = !values.empty() && bare == 0 && std::all_of(values.begin(), values.end(), [&](CXCursor value) {
    return tests_main(value, none, predicates, depth + 1);
  });
  predicates[usr] = predicate;
  return predicate;
}

bool tests_main(CXCursor expr, const std::set<std::string>& main_locals, MainInterpreterPredicates& predicates,
                int depth) {
  CXCursor inner = strip_wrappers(expr);
  switch (clang_getCursorKind(inner)) {
    case CXCursor_BinaryOperator: {
      if (clang_getCursorBinaryOperatorKind(inner) != CXBinaryOperator_EQ) return false;
      std::vector<CXCursor> sides = children_of(inner);
      return sides.size() == 2 && (calls_main_interpreter(sides[0]) || calls_main_interpreter(sides[1]));
    }
    case CXCursor_CallExpr: {
      std::optional<std::string> callee = callee_of(inner);
      if (!callee) return false;
      if (*callee == "_Py_IsMainInterpreter") return true;
      return is_main_interpreter_predicate(inner, predicates, depth);
    }
    case CXCursor_DeclRefExpr: return main_locals.contains(take(clang_getCursorUSR(clang_getCursorReferenced(inner))));
    default: return false;
  }
}

}  // namespace

bool tests_main_interpreter(CXCursor expr, const std::set<std::string>& main_locals,
                            MainInterpreterPredicates& predicates) {
  return tests_main(expr, main_locals, predicates, 0);
}

bool gates_main_interpreter(CXCursor condition, const std::set<std::string>& main_locals,
                            MainInterpreterPredicates& predicates) {
  CXCursor inner = strip_wrappers(condition);
  if (clang_getCursorKind(inner) == CXCursor_BinaryOperator &&
      clang_getCursorBinaryOperatorKind(inner) == CXBinaryOperator_LAnd) {
    for (CXCursor operand : children_of(inner)) {
      if (gates_main_interpreter(operand, main_locals, predicates)) return true;
    }
    return false;
  }
  return tests_main_interpreter(inner, main_locals, predicates);
}

bool excludes_main_interpreter(CXCursor condition, const std::set<std::string>& main_locals,
                               MainInterpreterPredicates& predicates) {
  CXCursor inner = strip_wrappers(condition);
  switch (clang_getCursorKind(inner)) {
    case CXCursor_UnaryOperator: {
      std::vector<CXCursor> operand = children_of(inner);
      return clang_getCursorUnaryOperatorKind(inner) == CXUnaryOperator_LNot && operand.size() == 1 &&
             tests_main_interpreter(operand.front(), main_locals, predicates);
    }
    case CXCursor_BinaryOperator: {
      const CXBinaryOperatorKind op = clang_getCursorBinaryOperatorKind(inner);
      std::vector<CXCursor> sides = children_of(inner);
      if (op == CXBinaryOperator_NE) {
        return sides.size() == 2 && (calls_main_interpreter(sides[0]) || calls_main_interpreter(sides[1]));
      }
      return op == CXBinaryOperator_LOr && std::any_of(sides.begin(), sides.end(), [&](CXCursor side) {
               return excludes_main_interpreter(side, main_locals, predicates);
             });
    }
    default: return false;
  }
}

}  // namespace subcheck::reader
