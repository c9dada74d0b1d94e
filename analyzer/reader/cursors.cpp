#include "analyzer/reader/cursors.h"

#include <algorithm>

namespace subcheck::reader {

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
    auto expr = std::find_if(children.begin(), children.end(),
                             [](CXCursor child) { return clang_isExpression(clang_getCursorKind(child)); });
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

namespace {

// A global the program cannot change: its own type (not only what it points to) is const.
bool is_const_global(CXCursor var) {
  return is_global_variable(var) && clang_isConstQualifiedType(clang_getCursorType(var));
}

std::optional<std::string> named_process_constant(CXCursor ref, bool address_taken) {
  CXCursor decl = clang_getCursorReferenced(ref);
  if (clang_Cursor_isNull(decl)) return std::nullopt;
  CXCursorKind kind = clang_getCursorKind(decl);
  if (kind == CXCursor_FunctionDecl) return "function " + take(clang_getCursorUSR(decl));
  if (address_taken && is_global_variable(decl)) return "address of " + take(clang_getCursorUSR(decl));
  if (!address_taken && is_const_global(decl)) return "value of " + take(clang_getCursorUSR(decl));
  return std::nullopt;
}

}  // namespace

std::optional<std::string> process_constant(CXCursor expr) {
  CXCursor value = strip_wrappers(expr);
  switch (clang_getCursorKind(value)) {
    case CXCursor_StringLiteral: return "string " + take(clang_getCursorSpelling(value));
    case CXCursor_DeclRefExpr: return named_process_constant(value, /*address_taken=*/false);
    case CXCursor_UnaryOperator: {
      std::vector<CXCursor> operand = children_of(value);
      if (clang_getCursorUnaryOperatorKind(value) != CXUnaryOperator_AddrOf || operand.size() != 1 ||
          clang_getCursorKind(strip_wrappers(operand[0])) != CXCursor_DeclRefExpr)
        return std::nullopt;
      return named_process_constant(strip_wrappers(operand[0]), /*address_taken=*/true);
    }
    case CXCursor_CallExpr: {
      std::optional<std::string> callee = callee_of(value);
      if (!callee || *callee != "PyModule_GetDef" || clang_Cursor_getNumArguments(value) != 1) return std::nullopt;
      return "definition of the module";
    }
    default: return std::nullopt;
  }
}

std::vector<std::string> spelled_tokens(CXTranslationUnit unit, CXSourceRange range) {
  CXToken* tokens = nullptr;
  unsigned count = 0;
  clang_tokenize(unit, range, &tokens, &count);
  std::vector<std::string> spelled(count);
  for (unsigned i = 0; i < count; ++i) spelled[i] = take(clang_getTokenSpelling(unit, tokens[i]));
  clang_disposeTokens(unit, tokens, count);
  return spelled;
}

std::optional<CXCursor> initializer_of(CXCursor var) {
  std::optional<CXCursor> last;
  for (CXCursor child : children_of(var)) {
    if (clang_isExpression(clang_getCursorKind(child))) last = child;
  }
  return last;
}

bool is_global_storage(CXCursor var) {
  CXCursorKind parent = clang_getCursorKind(clang_getCursorSemanticParent(var));
  if (parent == CXCursor_TranslationUnit || parent == CXCursor_Namespace || parent == CXCursor_LinkageSpec) {
    return true;
  }
  return clang_Cursor_getStorageClass(var) == CX_SC_Static;  // function static or static member
}

bool is_global_variable(CXCursor var) { return clang_getCursorKind(var) == CXCursor_VarDecl && is_global_storage(var); }

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
  return recovered_callee(call);
}

// A call to a function whose declaration clang refused (a parameter or return type from a
// missing header: `PyObject *to_python(LDAP *ld)`) keeps its arguments, but the callee
// becomes an error-recovery expression that names no declaration. The source still spells
// the function there: one identifier, the callee's only token. Without it, the call graph
// would lose every call into such a function, and with it the unit defining it.
std::optional<std::string> recovered_callee(CXCursor call) {
  std::vector<CXCursor> children = children_of(call);
  if (children.empty() || clang_getCursorKind(children.front()) != CXCursor_UnexposedExpr ||
      !children_of(children.front()).empty()) {
    return std::nullopt;
  }
  CXTranslationUnit unit = clang_Cursor_getTranslationUnit(call);
  CXToken* tokens = nullptr;
  unsigned count = 0;
  clang_tokenize(unit, clang_getCursorExtent(children.front()), &tokens, &count);
  std::optional<std::string> name;
  if (count == 1 && clang_getTokenKind(tokens[0]) == CXToken_Identifier)
    name = take(clang_getTokenSpelling(unit, tokens[0]));
  clang_disposeTokens(unit, tokens, count);
  return name;
}

}  // namespace subcheck::reader
