#include "analyzer/reader/function_reader.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "analyzer/reader/cursors.h"
#include "analyzer/reader/field_uses.h"
#include "analyzer/reader/main_interpreter.h"

namespace subcheck::reader {
namespace {

// A parameter or a variable of automatic storage.
bool is_local(CXCursor var) {
  const CXCursorKind kind = clang_getCursorKind(var);
  return kind == CXCursor_ParmDecl || (kind == CXCursor_VarDecl && !is_global_storage(var));
}

// Calls the module model needs even when a Python macro spells them: a project macro
// such as `#define MODULE_CREATE(m, def) m = PyModule_Create(def)` leaves no token
// naming the API in the function, only this call.
bool is_module_api(const std::string& callee) {
  static const std::set<std::string> names = {"PyModule_Create2", "PyModuleDef_Init", "PyModule_FromDefAndSpec2",
                                              "PyUnstable_Module_SetGIL"};
  return names.count(callee) > 0;
}

// The calls that create a module object, the ones an entry point's framework code makes
// for it (pybind11's `module_::create_extension_module`, in an installed header).
bool creates_module(const std::string& callee) {
  return callee == "PyModule_Create2" || callee == "PyModuleDef_Init" || callee == "PyModule_FromDefAndSpec2";
}

// C library calls that write into the memory their first argument points to: memcpy,
// strcpy, snprintf and kin. Given a global array (`strcpy(format, view->format)` into a
// function-static `char format[]`), they write process-global memory as surely as an
// assignment does. Fortified and builtin spellings (`__builtin___memcpy_chk`) count too.
bool writes_through_first_argument(std::string callee) {
  static const std::set<std::string> names = {
      "memcpy",    "memmove",  "memset",        "strcpy",         "strncpy", "stpcpy",        "stpncpy",
      "strcat",    "strncat",  "strlcpy",       "strlcat",        "sprintf", "snprintf",      "vsprintf",
      "vsnprintf", "wmemcpy",  "wmemmove",      "wmemset",        "wcscpy",  "wcsncpy",       "wcscat",
      "wcsncat",   "swprintf", "PyOS_snprintf", "PyOS_vsnprintf", "bzero",   "explicit_bzero"};
  for (std::string_view prefix : {"__builtin___", "__builtin_", "__"}) {
    if (callee.starts_with(prefix)) callee.erase(0, prefix.size());
  }
  if (callee.ends_with("_chk")) callee.erase(callee.size() - 4);
  return names.count(callee) > 0;
}

// The argument is memory the callee may write and the expression names it: a global
// array (or an element's or member's array) or `&global`. A global pointer is not: what
// it points to is not the variable.
bool names_writable_memory(CXCursor arg) {
  CXCursor stripped = strip_wrappers(arg);
  if (clang_getCursorKind(stripped) == CXCursor_UnaryOperator &&
      clang_getCursorUnaryOperatorKind(stripped) == CXUnaryOperator_AddrOf) {
    return true;
  }
  CXTypeKind kind = clang_getCanonicalType(clang_getCursorType(stripped)).kind;
  return kind == CXType_ConstantArray || kind == CXType_IncompleteArray;
}

// The argument of a buffer request that receives the Py_buffer, and whether the request
// stores an object in its `obj`: PyObject_GetBuffer always (a new reference to the
// exporter), PyBuffer_FillInfo unless its exporter is a constant (NULL).
std::optional<unsigned> filled_buffer_argument(const std::string& callee, CXCursor call) {
  if (callee == "PyObject_GetBuffer" && clang_Cursor_getNumArguments(call) >= 2) return 1;
  if (callee == "PyBuffer_FillInfo" && clang_Cursor_getNumArguments(call) >= 2 &&
      !constant_value(clang_Cursor_getArgument(call, 1)).has_value()) {
    return 0;
  }
  return std::nullopt;
}

bool is_module_entry_point(const std::string& name) {
  return name.rfind("PyInit_", 0) == 0 || name.rfind("PyModExport_", 0) == 0;
}

// The module-creating call inside `function`, a definition outside the project, looking
// through at most `depth` further such definitions. Bounded by depth and by the set of
// definitions already seen, so a template maze costs little.
std::optional<std::string> module_creation_inside(CXCursor function, SourceMap& map, int depth,
                                                  std::set<std::string>& seen) {
  if (depth < 0 || !seen.insert(take(clang_getCursorUSR(function))).second || seen.size() > 64) return std::nullopt;
  std::optional<std::string> found;
  std::vector<CXCursor> pending = children_of(function);
  while (!pending.empty() && !found) {
    CXCursor cursor = pending.back();
    pending.pop_back();
    if (clang_getCursorKind(cursor) == CXCursor_CallExpr) {
      std::optional<std::string> callee = callee_of(cursor);
      if (callee && creates_module(*callee)) return callee;
      CXCursor definition = clang_getCursorDefinition(clang_getCursorReferenced(cursor));
      if (!clang_Cursor_isNull(definition) && !map.in_project(position(clang_getCursorLocation(definition)).file))
        found = module_creation_inside(definition, map, depth - 1, seen);
    }
    for (CXCursor child : children_of(cursor)) pending.push_back(child);
  }
  return found;
}

// A module object nothing else holds yet: its creator publishes it later (a PyInit by
// returning it), so until then no other thread can reach it or its dict.
bool makes_new_module(const std::string& callee) {
  return callee == "PyModule_Create2" || callee == "PyModule_New" || callee == "PyModule_NewObject";
}

// The origin of `name` at `offset` read from the body's tokens alone, for a call libclang
// did not list (its statement lies in a `for` whose header it could not type, see
// FunctionTokens::body): fresh when, walking back, the nearest assignment is
// `name = PyDict_New (...)` (or another fresh-container call) and every use of `name` in
// between is a first argument or a test (`(name`, `!name`), which hands the container to
// nobody. Anything else (`, name` as a later argument, `x = name`, `&name`, `return name`)
// may publish it: unknown.
ArgSource origin_in_tokens(const std::vector<BodyToken>& body, const std::string& name, unsigned offset) {
  if (name.empty()) return {};
  auto end = std::lower_bound(body.begin(), body.end(), offset,
                              [](const BodyToken& token, unsigned at) { return token.offset < at; });
  for (auto it = end; it != body.begin();) {
    --it;
    if (it->spelling != name) continue;
    auto next = std::next(it);
    if (next != end && next->spelling == "=") {
      auto callee = std::next(next);
      bool fresh = callee != end && std::next(callee) != end && std::next(callee)->spelling == "(" &&
                   creates_fresh_container(callee->spelling);
      return fresh ? ArgSource{ArgSource::Kind::fresh_container, -1} : ArgSource{};
    }
    if (it == body.begin()) return {};
    const std::string& before = std::prev(it)->spelling;
    if (before != "(" && before != "!") return {};
  }
  return {};
}

// PyObject is `struct _object`.
bool is_object_pointer(CXType type) {
  return take(clang_getTypeSpelling(clang_getCanonicalType(type))) == "struct _object *";
}

bool takes_object(const std::vector<CXCursor>& parameters) {
  return std::any_of(parameters.begin(), parameters.end(),
                     [](CXCursor parameter) { return is_object_pointer(clang_getCursorType(parameter)); });
}

// A branch that leaves the function at once: a return (or, with `gotos`, a goto), alone
// or among the statements of its block (not nested in a further if: that is an error path).
bool leaves_at_once(CXCursor branch, bool gotos = true) {
  auto leaves = [gotos](CXCursor statement) {
    CXCursorKind kind = clang_getCursorKind(statement);
    return kind == CXCursor_ReturnStmt || (gotos && kind == CXCursor_GotoStmt);
  };
  if (leaves(branch)) return true;
  if (clang_getCursorKind(branch) != CXCursor_CompoundStmt) return false;
  std::vector<CXCursor> statements = children_of(branch);
  return std::any_of(statements.begin(), statements.end(), leaves);
}

// The static-storage variables a condition reads itself. Arguments of calls in it are
// left out: `if (PyModule_AddIntConstant(m, "LIMIT", limit) < 0)` tests the call's result,
// and `limit` decides nothing.
void collect_tested(CXCursor condition, std::set<std::string>& usrs) {
  CXCursorKind kind = clang_getCursorKind(condition);
  if (kind == CXCursor_CallExpr) return;
  if (kind == CXCursor_DeclRefExpr) {
    CXCursor var = clang_getCursorReferenced(condition);
    if (is_global_variable(var)) usrs.insert(take(clang_getCursorUSR(var)));
    return;
  }
  for (CXCursor child : children_of(condition)) collect_tested(child, usrs);
}

// From the declaration itself first: when clang refused the declared type (a return type
// a missing header left as something no function returns, dbus-python's `dbus_bool_t`), the
// definition's children lack its parameters, though its body still uses them.
std::vector<CXCursor> parameters_of(CXCursor function) {
  std::vector<CXCursor> parameters;
  const int count = clang_Cursor_getNumArguments(function);
  for (int i = 0; i < count; ++i) parameters.push_back(clang_Cursor_getArgument(function, static_cast<unsigned>(i)));
  if (count > 0) return parameters;
  for (CXCursor child : children_of(function)) {
    if (clang_getCursorKind(child) == CXCursor_ParmDecl) parameters.push_back(child);
  }
  return parameters;
}

// The position of the parameter holding a call's own **kwargs dict (FunctionFact::
// kwargs_parameter), or -1. A helper's parameter named `kwds` may be any dict a caller
// passes (a user's positional mapping, in multidict): the callers decide (the model).
int kwargs_parameter(const std::vector<CXCursor>& parameters, GlobalClassifier& object_types) {
  if (parameters.size() != 3) return -1;
  auto type_of = [](CXCursor parameter) { return clang_getCanonicalType(clang_getCursorType(parameter)); };
  if (!is_object_pointer(type_of(parameters[1])) || !is_object_pointer(type_of(parameters[2]))) return -1;
  if (!object_types.is_python_object_record(clang_getPointeeType(type_of(parameters[0])))) return -1;
  return 2;
}

void collect_referenced_vars(CXCursor cursor, std::vector<std::string>& usrs) {
  if (clang_getCursorKind(cursor) == CXCursor_DeclRefExpr) {
    CXCursor referenced = clang_getCursorReferenced(cursor);
    if (clang_getCursorKind(referenced) == CXCursor_VarDecl) usrs.push_back(take(clang_getCursorUSR(referenced)));
  }
  for (CXCursor child : children_of(cursor)) collect_referenced_vars(child, usrs);
}

// `buffer` names a struct variable on the function's stack, zeroed or set field by field
// where it is declared (`BlocksOutputBuffer buffer = {.list = NULL};`), not copied from
// another struct (whose object fields it would share): storage no other thread reaches
// unless the function hands its address on (brotli's output buffers).
bool is_stack_struct(CXCursor decl_ref) {
  if (clang_getCursorKind(decl_ref) != CXCursor_DeclRefExpr) return false;
  CXCursor var = clang_getCursorReferenced(decl_ref);
  if (clang_getCursorKind(var) != CXCursor_VarDecl || is_global_variable(var)) return false;
  if (clang_getCanonicalType(clang_getCursorType(var)).kind != CXType_Record) return false;
  std::vector<CXCursor> children = children_of(var);
  return std::none_of(children.begin(), children.end(), [](CXCursor child) {
    CXCursorKind kind = clang_getCursorKind(child);
    return clang_isExpression(kind) != 0 && kind != CXCursor_InitListExpr;
  });
}

// `buffer->list` as a macro's argument spells it, in parentheses or not: the variable and
// the field. Read by hand, not by std::regex, whose matcher recurses once per character
// and a hostile file's argument can be long.
std::optional<std::pair<std::string, std::string>> pointer_member(const std::string& text) {
  std::size_t at = 0;
  auto skip = [&](auto&& wanted) {
    while (at < text.size() && wanted(static_cast<unsigned char>(text[at]))) ++at;
  };
  auto space = [](unsigned char ch) { return std::isspace(ch) != 0; };
  auto identifier = [&]() -> std::string {
    const std::size_t start = at;
    if (at < text.size() && (std::isalpha(static_cast<unsigned char>(text[at])) || text[at] == '_')) {
      skip([](unsigned char ch) { return std::isalnum(ch) != 0 || ch == '_'; });
    }
    return text.substr(start, at - start);
  };
  skip(space);
  skip([](unsigned char ch) { return ch == '('; });
  skip(space);
  std::string variable = identifier();
  skip(space);
  if (variable.empty() || text.compare(at, 2, "->") != 0) return std::nullopt;
  at += 2;
  skip(space);
  std::string field = identifier();
  skip(space);
  skip([](unsigned char ch) { return ch == ')'; });
  skip(space);
  if (field.empty() || at != text.size()) return std::nullopt;
  return std::make_pair(std::move(variable), std::move(field));
}

// The identifier a macro's first argument names, after `&`, parentheses and casts' parens.
std::string first_macro_argument_name(std::string first) {
  while (!first.empty() && (first.front() == '&' || first.front() == '(')) first.erase(0, 1);
  while (!first.empty() && first.back() == ')') first.pop_back();
  bool identifier = !first.empty() && std::all_of(first.begin(), first.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
  });
  return identifier ? first : std::string();
}

// The identifier an argument's text names, after a cast: `list`, `&list`, `(PyObject *)list`.
std::string argument_name(const std::string& text) {
  std::string name = first_macro_argument_name(text);
  if (!name.empty() || text.empty() || text.front() != '(') return name;
  std::size_t cast_end = text.rfind(')');
  if (cast_end == std::string::npos) return name;
  std::string rest = text.substr(cast_end + 1);
  rest.erase(0, rest.find_first_not_of(' '));
  return first_macro_argument_name(rest);
}

// The global a pointer value designates: `&g`, `&g[i]`, `&g.field`, or an array `g`
// decaying to a pointer to its first element.
std::optional<CXCursor> global_addressed_by(CXCursor value) {
  CXCursor inner = strip_wrappers(value);
  bool address_of = clang_getCursorKind(inner) == CXCursor_UnaryOperator &&
                    clang_getCursorUnaryOperatorKind(inner) == CXUnaryOperator_AddrOf;
  if (address_of) {
    std::vector<CXCursor> operand = children_of(inner);
    if (operand.empty()) return std::nullopt;
    inner = strip_wrappers(operand.front());
  }
  // `&table[i]` and `rows[i]` of an array of arrays point into the global; `h0[i]` of an
  // array of integers is a value read from it (Hacl's `s[i] = _h0[i]`).
  auto element_is_array = [](CXCursor subscript) {
    return clang_getCanonicalType(clang_getCursorType(subscript)).kind == CXType_ConstantArray;
  };
  while ((clang_getCursorKind(inner) == CXCursor_ArraySubscriptExpr && (address_of || element_is_array(inner))) ||
         (clang_getCursorKind(inner) == CXCursor_MemberRefExpr && address_of)) {
    std::vector<CXCursor> base = children_of(inner);
    if (base.empty()) return std::nullopt;
    inner = strip_wrappers(base.front());
  }
  if (clang_getCursorKind(inner) != CXCursor_DeclRefExpr) return std::nullopt;
  CXCursor var = clang_getCursorReferenced(inner);
  if (!is_global_variable(var)) return std::nullopt;
  bool is_array = clang_getCanonicalType(clang_getCursorType(var)).kind == CXType_ConstantArray;
  if (!address_of && !is_array) return std::nullopt;
  return var;
}

// Position of a field among its record's fields, to find its value in positional rows.
std::optional<std::size_t> field_index(CXCursor field) {
  CXCursor record = clang_getCursorSemanticParent(field);
  std::size_t index = 0;
  for (CXCursor child : children_of(record)) {
    if (clang_getCursorKind(child) != CXCursor_FieldDecl) continue;
    if (clang_equalCursors(child, field)) return index;
    ++index;
  }
  return std::nullopt;
}

// `for (i = K; ...; i++)` or `for (int i = K; ...; ++i)`: the local counted up from the
// constant K >= 0, while the body runs. nullopt for any other loop.
std::optional<std::pair<std::string, std::size_t>> counted_up_from(CXCursor for_loop) {
  std::vector<CXCursor> parts = children_of(for_loop);
  if (parts.size() != 4) return std::nullopt;  // init, condition, increment, body
  CXCursor init = parts[0];
  std::optional<CXCursor> counter;
  std::optional<std::int64_t> start;
  if (clang_getCursorKind(init) == CXCursor_BinaryOperator &&
      clang_getCursorBinaryOperatorKind(init) == CXBinaryOperator_Assign) {
    std::vector<CXCursor> sides = children_of(init);
    if (sides.size() == 2 && clang_getCursorKind(strip_wrappers(sides[0])) == CXCursor_DeclRefExpr) {
      counter = clang_getCursorReferenced(strip_wrappers(sides[0]));
      start = constant_value(sides[1]);
    }
  } else if (clang_getCursorKind(init) == CXCursor_DeclStmt) {
    std::vector<CXCursor> declared = children_of(init);
    if (declared.size() == 1) {
      counter = declared.front();
      if (std::optional<CXCursor> value = initializer_of(declared.front())) start = constant_value(*value);
    }
  }
  CXCursor step = strip_wrappers(parts[2]);
  const bool increments = clang_getCursorKind(step) == CXCursor_UnaryOperator &&
                          (clang_getCursorUnaryOperatorKind(step) == CXUnaryOperator_PostInc ||
                           clang_getCursorUnaryOperatorKind(step) == CXUnaryOperator_PreInc);
  if (!counter || !start || *start < 0 || !increments || !is_local(*counter)) return std::nullopt;
  std::vector<CXCursor> stepped = children_of(step);
  if (stepped.empty() || !clang_equalCursors(clang_getCursorReferenced(strip_wrappers(stepped.front())), *counter))
    return std::nullopt;
  return std::pair{take(clang_getCursorUSR(*counter)), static_cast<std::size_t>(*start)};
}

// The globals whose address a table's initialiser stores in `field`: psycopg2's
// `{ "psycopg2.Error", &Error, ... }` rows, so that `*exctable[i].exc = ...` writes each.
// Rows before `first_row` are left out: a loop from index 1 (psycopg2's, whose row 0 is
// `Error`, set elsewhere) never writes through row 0.
std::vector<std::string> table_field_pointees(CXCursor table, CXCursor field, std::size_t first_row = 0) {
  std::vector<std::string> usrs;
  std::optional<CXCursor> init = initializer_of(table);
  std::optional<std::size_t> index = field_index(field);
  if (!init || !index || clang_getCursorKind(*init) != CXCursor_InitListExpr) return usrs;
  std::vector<CXCursor> rows = children_of(*init);
  for (std::size_t at = first_row; at < rows.size(); ++at) {
    CXCursor row = rows[at];
    if (clang_getCursorKind(row) != CXCursor_InitListExpr) continue;
    std::vector<CXCursor> values = children_of(row);
    if (values.size() <= *index) continue;
    if (std::optional<CXCursor> global = global_addressed_by(values[*index])) {
      std::string usr = take(clang_getCursorUSR(*global));
      if (std::find(usrs.begin(), usrs.end(), usr) == usrs.end()) usrs.push_back(usr);
    }
  }
  return usrs;
}

bool is_arrow(CXCursor member, SourceMap& map) { return map.text_of(member).find("->") != std::string::npos; }

// A null pointer constant as a `return` spells it: NULL (C's `((void *)0)`, C++'s
// `__null`), 0, nullptr. Only the literal itself, under parentheses and casts: a value
// computed from anything else (`return &table[0]`) is not one.
bool is_null_pointer_constant(CXCursor value) {
  CXCursor inner = strip_wrappers(value);
  CXCursorKind kind = clang_getCursorKind(inner);
  if (kind == CXCursor_CXXNullPtrLiteralExpr) return true;
  bool literal = kind == CXCursor_IntegerLiteral || (kind == CXCursor_UnexposedExpr && children_of(inner).empty());
  return literal && constant_value(inner) == 0;
}

bool returns_pointer(CXCursor function) {
  CXType result = clang_getCanonicalType(clang_getResultType(clang_getCursorType(function)));
  return result.kind == CXType_Pointer;
}

bool contains_return(CXCursor cursor) {
  if (clang_getCursorKind(cursor) == CXCursor_ReturnStmt) return true;
  for (CXCursor child : children_of(cursor)) {
    if (contains_return(child)) return true;
  }
  return false;
}

// FunctionFact::raises_before_any_return: a statement of the body itself (not inside an
// if or a loop) calls one of these before any statement holding a `return`.
bool raises_before_any_return(CXCursor function, const std::vector<CallFact>& calls) {
  static const std::set<std::string> raising = {"PyErr_SetString", "PyErr_SetObject", "PyErr_Format",
                                                "PyErr_SetNone",   "PyErr_NoMemory",  "PyErr_FormatV"};
  static const std::set<std::string> clearing = {"PyErr_Clear", "PyErr_Fetch", "PyErr_GetRaisedException",
                                                 "PyErr_Print", "PyErr_WriteUnraisable"};
  for (const CallFact& call : calls) {
    if (clearing.contains(call.callee)) return false;
  }
  for (CXCursor part : children_of(function)) {
    if (clang_getCursorKind(part) != CXCursor_CompoundStmt) continue;
    for (CXCursor statement : children_of(part)) {
      if (contains_return(statement)) return false;
      CXCursor inner = strip_wrappers(statement);
      std::optional<std::string> callee =
          clang_getCursorKind(inner) == CXCursor_CallExpr ? callee_of(inner) : std::nullopt;
      if (callee && raising.contains(*callee)) return true;
    }
  }
  return false;
}

// The functions a value hands on: `f`, `&f`, `*f` (a function designator still: readline.c's
// `completion_matches(text, *on_completion)`), `(hook_t *)f`, and either branch of
// `cond ? (hook_t *)f : 0` (readline.c's display-matches hook).
void functions_named_by(CXCursor value, std::vector<std::string>& names, int depth = 0) {
  if (depth > 8) return;
  CXCursor inner = strip_wrappers(value);
  CXCursorKind kind = clang_getCursorKind(inner);
  if (kind == CXCursor_UnaryOperator && (clang_getCursorUnaryOperatorKind(inner) == CXUnaryOperator_AddrOf ||
                                         clang_getCursorUnaryOperatorKind(inner) == CXUnaryOperator_Deref)) {
    for (CXCursor operand : children_of(inner)) functions_named_by(operand, names, depth + 1);
  } else if (kind == CXCursor_ConditionalOperator) {
    std::vector<CXCursor> parts = children_of(inner);
    for (std::size_t i = 1; i < parts.size(); ++i) functions_named_by(parts[i], names, depth + 1);
  } else if (kind == CXCursor_DeclRefExpr) {
    CXCursor referenced = clang_getCursorReferenced(inner);
    if (clang_getCursorKind(referenced) == CXCursor_FunctionDecl) {
      names.push_back(take(clang_getCursorSpelling(referenced)));
    }
  }
}

// What a call hands its arguments to: the callee, or for a constructor its class with
// its namespaces (`std::thread`; libc++'s inline `std::__1` left out).
std::string handoff_target(CXCursor call, const std::string& callee) {
  CXCursor referenced = clang_getCursorReferenced(call);
  if (clang_getCursorKind(referenced) != CXCursor_Constructor) return callee;
  std::string name;
  for (CXCursor scope = clang_getCursorSemanticParent(referenced);
       !clang_Cursor_isNull(scope) && clang_getCursorKind(scope) != CXCursor_TranslationUnit;
       scope = clang_getCursorSemanticParent(scope)) {
    if (clang_getCursorKind(scope) == CXCursor_Namespace && clang_Cursor_isInlineNamespace(scope)) continue;
    std::string qualified = take(clang_getCursorSpelling(scope));
    if (!name.empty()) qualified.append("::").append(name);
    name = std::move(qualified);
  }
  return name.empty() ? callee : name;
}

// `field` of what `base` describes, when that may be private (a parameter, or something
// fresh) and is not itself a field: private while no code hands the field on, which the
// model checks (ArgSource::field). Unknown otherwise.
ArgSource field_of(ArgSource base, const std::string& field) {
  const bool may_be_private = base.kind == ArgSource::Kind::parameter || base.kind == ArgSource::Kind::fresh_container;
  if (!may_be_private || !base.field.empty()) return {};
  base.field = field;
  return base;
}

}  // namespace

void FunctionReader::read(CXCursor function) {
  Scan scan;
  scan.fact.name = take(clang_getCursorSpelling(function));
  scan.fact.usr = take(clang_getCursorUSR(function));
  scan.fact.location = map_.location_of(function);
  scan.fact.external_linkage = clang_getCursorLinkage(function) == CXLinkage_External;
  scan.fact.parse_errors = map_.has_error_within(function);
  std::vector<CXCursor> parameters = parameters_of(function);
  scan.fact.kwargs_parameter = kwargs_parameter(parameters, object_types_);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    scan.local_origins[take(clang_getCursorSpelling(parameters[i]))] = {ArgSource::Kind::parameter,
                                                                        static_cast<int>(i)};
    scan.parameter_usrs.push_back(take(clang_getCursorUSR(parameters[i])));
  }
  scan.first_write = facts_.global_writes.size();
  scan.tokens = scan_function_tokens(map_, function, scan.fact.name, facts_.patterns);
  scan.takes_object = takes_object(parameters);
  scan.returns_pointer = returns_pointer(function);
  if (facts_.generator == "cython") {
    Position start = position(clang_getRangeStart(clang_getCursorExtent(function)));
    scan.file = start.file;
    scan.start = start.offset;
  }
  current_ = &scan;
  for (CXCursor child : children_of(function)) walk(child);
  add_macro_uses();
  if (scan.fact.parse_errors) {
    note_handoffs_in_tokens(function);
    note_writes_in_tokens(function);
  }
  mark_calls_only_compared_through_locals();
  note_parameters_only_compared();
  note_escapes_through_calls();
  scan.fact.returned_sources = returned_sources();
  read_field_uses(scan.tokens.body, scan.fact);
  current_ = nullptr;
  std::sort(scan.fact.calls.begin(), scan.fact.calls.end(),
            [](const CallFact& a, const CallFact& b) { return a.offset < b.offset; });
  scan.fact.referenced_functions.assign(scan.referenced.begin(), scan.referenced.end());
  scan.fact.referenced_globals.assign(scan.referenced_globals.begin(), scan.referenced_globals.end());
  scan.fact.tested_globals.assign(scan.tested_globals.begin(), scan.tested_globals.end());
  std::set_difference(scan.referenced_globals.begin(), scan.referenced_globals.end(),
                      scan.globals_outside_main_gate.begin(), scan.globals_outside_main_gate.end(),
                      std::back_inserter(scan.fact.main_interpreter_globals));
  scan.fact.exit_guard_globals.assign(scan.exit_guard_globals.begin(), scan.exit_guard_globals.end());
  scan.fact.returns_only_null =
      scan.returns_pointer && !scan.fact.parse_errors && scan.returns > 0 && scan.null_returns == scan.returns;
  scan.fact.raises_before_any_return = !scan.fact.parse_errors && raises_before_any_return(function, scan.fact.calls);
  facts_.functions.push_back(std::move(scan.fact));
}

void FunctionReader::walk(CXCursor cursor) {
  CXCursorKind kind = clang_getCursorKind(cursor);
  switch (kind) {
    case CXCursor_CallExpr:
      note_passed_locals(cursor);
      read_call(cursor);
      break;
    case CXCursor_DeclRefExpr: read_decl_ref(cursor); break;
    case CXCursor_VarDecl: read_var_decl(cursor); break;
    case CXCursor_BinaryOperator: {
      note_compared_calls(cursor);
      read_assignment(cursor, kind);
      CXBinaryOperatorKind op = clang_getCursorBinaryOperatorKind(cursor);
      if (op == CXBinaryOperator_LAnd || op == CXBinaryOperator_LOr) {
        for (CXCursor operand : children_of(cursor)) note_tested(operand);
      }
      break;
    }
    case CXCursor_WhileStmt:
    case CXCursor_ConditionalOperator: {
      std::vector<CXCursor> parts = children_of(cursor);
      if (!parts.empty()) note_tested(parts.front());
      break;
    }
    case CXCursor_DoStmt: {
      std::vector<CXCursor> parts = children_of(cursor);
      if (!parts.empty()) note_tested(parts.back());
      break;
    }
    case CXCursor_CompoundAssignOperator: read_assignment(cursor, kind); break;
    case CXCursor_UnaryOperator: {
      CXUnaryOperatorKind op = clang_getCursorUnaryOperatorKind(cursor);
      if (op == CXUnaryOperator_PostInc || op == CXUnaryOperator_PostDec || op == CXUnaryOperator_PreInc ||
          op == CXUnaryOperator_PreDec) {
        std::vector<CXCursor> operand = children_of(cursor);
        if (!operand.empty()) record_write(operand.front(), cursor, false);
      }
      break;
    }
    case CXCursor_IfStmt:
      read_if(cursor);  // walks its own children, with the tested variables as guards
      return;
    case CXCursor_CompoundStmt:
      read_block(cursor);  // walks its own statements, after an early return of other interpreters
      return;
    case CXCursor_ForStmt:
      if (auto counter = counted_up_from(cursor)) {
        // Only while its own body runs: a store to the counter in the body is not looked for.
        auto [at, added] = current_->loop_starts.insert(*counter);
        ++current_->loops;
        for (CXCursor child : children_of(cursor)) walk(child);
        --current_->loops;
        if (added) current_->loop_starts.erase(at);
        return;
      }
      break;
    case CXCursor_ReturnStmt: read_return(cursor); break;
    case CXCursor_LambdaExpr:
    case CXCursor_BlockExpr:
      // Its `return`s are its own, not the enclosing function's; the rest counts as before.
      ++current_->nested_bodies;
      for (CXCursor child : children_of(cursor)) walk(child);
      --current_->nested_bodies;
      return;
    default: break;
  }
  const bool loop = kind == CXCursor_WhileStmt || kind == CXCursor_ForStmt || kind == CXCursor_DoStmt;
  current_->loops += loop ? 1 : 0;
  for (CXCursor child : children_of(cursor)) walk(child);
  current_->loops -= loop ? 1 : 0;
  auto& pending = current_->pending_assignments;
  if (!pending.empty() && clang_equalCursors(pending.back().first, cursor)) {
    current_->local_events.push_back(std::move(pending.back().second));
    pending.pop_back();
  }
}

void FunctionReader::read_decl_ref(CXCursor cursor) {
  CXCursor referenced = clang_getCursorReferenced(cursor);
  CXCursorKind target = clang_getCursorKind(referenced);
  if (target == CXCursor_FunctionDecl || target == CXCursor_CXXMethod) {
    current_->referenced.insert(take(clang_getCursorSpelling(referenced)));
  } else if (target == CXCursor_VarDecl && is_global_storage(referenced)) {
    std::string usr = take(clang_getCursorUSR(referenced));
    if (current_->main_interpreter_gates == 0) current_->globals_outside_main_gate.insert(usr);
    current_->referenced_globals.insert(std::move(usr));
  } else if (is_local(referenced)) {
    // An assert is nothing in the module as built (NDEBUG), as its calls are (read_call).
    if (!current_->tokens.assert_spans.empty()) {
      unsigned offset = 0;
      map_.location_of(cursor, &offset);
      if (current_->tokens.in_assert(offset)) return;
    }
    auto among = [&](const std::unordered_multimap<unsigned, CXCursor>& cursors) {
      auto [first, last] = cursors.equal_range(clang_hashCursor(cursor));
      return std::any_of(first, last, [&](const auto& seen) { return clang_equalCursors(seen.second, cursor); });
    };
    if (among(current_->assigned_refs)) return;
    using Kind = Scan::LocalEvent::Kind;
    Scan::LocalEvent event{take(clang_getCursorUSR(referenced)), Kind::used, std::nullopt, current_->loops > 0};
    if (among(current_->compared_refs)) {
      event.kind = Kind::compared;
    } else {
      auto [first, last] = current_->passed_refs.equal_range(clang_hashCursor(cursor));
      auto passed =
          std::find_if(first, last, [&](const auto& seen) { return clang_equalCursors(seen.second.first, cursor); });
      if (passed != last) {
        event.kind = Kind::passed;
        event.passed = passed->second.second;
      }
    }
    current_->local_events.push_back(std::move(event));
  }
}

// `return slots;`, `return &slots[0];`, `return (PySlot *)slots;`: a PyModExport_ hook
// names its slot array here, and the module model follows it (#22). Each `return` is also
// counted for FunctionFact::returns_only_null.
void FunctionReader::read_return(CXCursor cursor) {
  std::vector<CXCursor> value = children_of(cursor);
  if (current_->nested_bodies == 0) {
    ++current_->returns;
    if (!value.empty() && is_null_pointer_constant(value.front())) {
      ++current_->null_returns;
    } else if (!value.empty()) {
      CXCursor returned = strip_wrappers(value.front());
      std::string local =
          clang_getCursorKind(returned) == CXCursor_DeclRefExpr ? take(clang_getCursorSpelling(returned)) : "";
      current_->returned.emplace_back(std::move(local), source_of(value.front()));
    }
  }
  if (value.empty()) return;
  std::optional<CXCursor> var = named_variable(value.front(), true);
  if (!var || !is_global_storage(*var)) return;
  std::string usr = take(clang_getCursorUSR(*var));
  std::vector<std::string>& returned = current_->fact.returned_globals;
  if (std::find(returned.begin(), returned.end(), usr) == returned.end()) returned.push_back(usr);
}

void FunctionReader::read_var_decl(CXCursor cursor) {
  if (is_global_storage(cursor)) {
    globals_.read(cursor, current_->fact.name);
  } else if (std::optional<CXCursor> init = initializer_of(cursor)) {
    note_local_assignment(cursor, cursor, *init);
    note_escape(*init);  // `PyObject *alias = list;`: followed no further
    note_local_origin(cursor, *init);
    note_main_interpreter_local(cursor, *init);
    note_local_pointee(cursor, *init);
    note_local_functions(take(clang_getCursorSpelling(cursor)), *init);  // `event_fn f = on_event;`
    // `T *p = &global;` is how Py_SETREF, Py_XSETREF and Py_CLEAR write their target.
    CXCursor value = strip_wrappers(*init);
    if (clang_getCursorKind(value) == CXCursor_UnaryOperator &&
        clang_getCursorUnaryOperatorKind(value) == CXUnaryOperator_AddrOf) {
      record_write(value, cursor, /*through_address_of=*/true);
    }
  }
}

void FunctionReader::read_assignment(CXCursor cursor, CXCursorKind kind) {
  std::vector<CXCursor> sides = children_of(cursor);
  bool assigns =
      kind == CXCursor_CompoundAssignOperator || clang_getCursorBinaryOperatorKind(cursor) == CXBinaryOperator_Assign;
  if (!assigns || sides.size() != 2) return;
  // `view.obj = Py_NewRef(self)`: a Python object goes where the global's type may not
  // say one lives (a Py_buffer is C data until its obj is set, global_kinds.cpp).
  CXType target = clang_getCanonicalType(clang_getCursorType(sides[0]));
  bool stores_object = target.kind == CXType_Pointer &&
                       object_types_.is_python_object_record(clang_getPointeeType(target)) &&
                       !constant_value(sides[1]).has_value();
  record_write(sides[0], cursor, false, stores_object);
  if (CXCursor target_name = strip_wrappers(sides[0]); kind == CXCursor_BinaryOperator &&
                                                       clang_getCursorKind(target_name) == CXCursor_DeclRefExpr &&
                                                       is_local(clang_getCursorReferenced(target_name))) {
    current_->assigned_refs.emplace(clang_hashCursor(target_name), target_name);
    note_local_assignment(clang_getCursorReferenced(target_name), cursor, sides[1]);
    note_main_interpreter_local(clang_getCursorReferenced(target_name), sides[1]);
  }
  if (kind == CXCursor_BinaryOperator) note_stored_functions(sides[0], sides[1]);
  if (kind == CXCursor_BinaryOperator) note_escape(sides[1]);
  if (std::optional<CXCursor> var = named_variable(sides[0], false); var && !is_global_variable(*var)) {
    note_local_origin(*var, sides[1]);
    // Only `p = value` changes where p points; `p[i] = value` and `p->x = value` store
    // through it.
    if (clang_getCursorKind(strip_wrappers(sides[0])) == CXCursor_DeclRefExpr) note_local_pointee(*var, sides[1]);
  }
}

// A local stored anywhere (`self->items = list;`, `alias = Py_NewRef(list);`): whoever
// the function returns it to is not its only holder.
void FunctionReader::note_escape(CXCursor value) {
  CXCursor inner = strip_wrappers(value);
  if (clang_getCursorKind(inner) == CXCursor_CallExpr) {
    std::optional<std::string> callee = callee_of(inner);
    if (!callee || clang_Cursor_getNumArguments(inner) != 1 ||
        (*callee != "Py_NewRef" && *callee != "Py_XNewRef" && *callee != "_Py_NewRef"))
      return;
    inner = strip_wrappers(clang_Cursor_getArgument(inner, 0));
  }
  if (clang_getCursorKind(inner) == CXCursor_DeclRefExpr)
    current_->escaped_locals.insert(take(clang_getCursorSpelling(inner)));
}

// A local passed after a call's first argument goes into something else (PyList_Append(out,
// list), PyTuple_Pack(2, a, list), Py_XSETREF(self->x, list)); as the first it is mostly the
// container the call works on (PyList_Append(list, item), Py_DECREF(list)).
void FunctionReader::note_escapes_through_calls() {
  for (const CallFact& call : current_->fact.calls) {
    for (std::size_t i = 1; i < call.args.size(); ++i) {
      std::string name = argument_name(call.args[i]);
      if (!name.empty()) current_->escaped_locals.insert(std::move(name));
    }
  }
}

std::vector<ArgSource> FunctionReader::returned_sources() const {
  std::vector<ArgSource> sources;
  for (const auto& [local, source] : current_->returned) {
    sources.push_back(!local.empty() && current_->escaped_locals.contains(local) ? ArgSource{} : source);
  }
  return sources;
}

// `hook = f;`, `cfg.callback = &f;`: the function goes where someone else calls it. Stored
// in a local, it goes nowhere yet: where the local is handed on, the function is.
void FunctionReader::note_stored_functions(CXCursor target, CXCursor value) {
  CXCursor stripped = strip_wrappers(target);
  std::optional<CXCursor> var = named_variable(target, false);
  const bool names_variable = var && clang_getCursorKind(stripped) == CXCursor_DeclRefExpr;
  if (names_variable && !is_global_variable(*var)) {
    note_local_functions(take(clang_getCursorSpelling(*var)), value);
    return;
  }
  std::vector<std::string> names = functions_handed_by(value);
  if (names.empty()) return;
  FunctionHandoff handoff;
  handoff.kind = FunctionHandoff::Kind::assignment;
  handoff.location = map_.location_of(value);
  if (names_variable) {
    handoff.target = take(clang_getCursorSpelling(*var));
    handoff.target_is_global = true;
  } else if (clang_getCursorKind(stripped) == CXCursor_MemberRefExpr) {
    handoff.target = take(clang_getCursorSpelling(stripped));
  }
  for (std::string& name : names) {
    handoff.function = std::move(name);
    current_->fact.handoffs.push_back(handoff);
  }
}

// `cb = on_event;` then `register(ctx, cb)` (CPython's _ssl picks its PSK callback so): the
// local may hold any function ever stored in it, whichever branch ran.
void FunctionReader::note_local_functions(const std::string& local, CXCursor value) {
  std::vector<std::string> names = functions_handed_by(value);
  std::set<std::string>& held = current_->local_functions[local];
  held.insert(names.begin(), names.end());
}

// The functions a value names (functions_named_by), and those a local it names may hold.
std::vector<std::string> FunctionReader::functions_handed_by(CXCursor value) {
  std::vector<std::string> names;
  functions_named_by(value, names);
  CXCursor inner = strip_wrappers(value);
  if (clang_getCursorKind(inner) != CXCursor_DeclRefExpr) return names;
  auto held = current_->local_functions.find(take(clang_getCursorSpelling(inner)));
  if (held != current_->local_functions.end()) names.insert(names.end(), held->second.begin(), held->second.end());
  return names;
}

void FunctionReader::note_local_pointee(CXCursor local, CXCursor value) {
  std::string usr = take(clang_getCursorUSR(local));
  if (std::optional<CXCursor> global = global_addressed_by(value)) {
    current_->local_pointees[usr] = {take(clang_getCursorUSR(*global))};
  } else {
    current_->local_pointees.erase(usr);
  }
}

// Globals a write reaches through a pointer rather than by name: `p->x = v` or `*p = v`
// with p holding a global's address, `*table[i].field = v` with the table's rows storing
// globals' addresses in that field.
std::vector<std::string> FunctionReader::globals_written_through(CXCursor target_expr) {
  CXCursor expr = target_expr;
  for (int guard = 0; guard < 16; ++guard) {
    expr = strip_wrappers(expr);
    CXCursorKind kind = clang_getCursorKind(expr);
    std::vector<CXCursor> children = children_of(expr);
    if (children.empty()) return {};
    if (kind == CXCursor_MemberRefExpr) {
      if (is_arrow(expr, map_)) return globals_pointed_by(children.front());
      expr = children.front();
    } else if (kind == CXCursor_ArraySubscriptExpr) {
      CXType base = clang_getCanonicalType(clang_getCursorType(strip_wrappers(children.front())));
      if (base.kind == CXType_Pointer) return globals_pointed_by(children.front());
      expr = children.front();
    } else if (kind == CXCursor_UnaryOperator && clang_getCursorUnaryOperatorKind(expr) == CXUnaryOperator_Deref) {
      return globals_pointed_by(children.front());
    } else {
      return {};
    }
  }
  return {};
}

std::vector<std::string> FunctionReader::globals_pointed_by(CXCursor pointer_expr) {
  CXCursor pointer = strip_wrappers(pointer_expr);
  CXCursorKind kind = clang_getCursorKind(pointer);
  if (kind == CXCursor_DeclRefExpr) {
    CXCursor var = clang_getCursorReferenced(pointer);
    auto pointees = current_->local_pointees.find(take(clang_getCursorUSR(var)));
    return pointees == current_->local_pointees.end() ? std::vector<std::string>{} : pointees->second;
  }
  if (kind != CXCursor_MemberRefExpr || is_arrow(pointer, map_)) return {};
  CXCursor field = clang_getCursorReferenced(pointer);
  std::optional<CXCursor> table = named_variable(pointer, false);
  if (!table || !is_global_variable(*table) || clang_getCursorKind(field) != CXCursor_FieldDecl) return {};
  return table_field_pointees(*table, field, first_row_indexed(pointer));
}

// `table[i].f` inside `for (i = K; ...; i++)`: rows from K on; 0 for anything else.
std::size_t FunctionReader::first_row_indexed(CXCursor member) {
  std::vector<CXCursor> children = children_of(member);
  if (children.empty()) return 0;
  CXCursor row = strip_wrappers(children.front());
  if (clang_getCursorKind(row) != CXCursor_ArraySubscriptExpr) return 0;
  std::vector<CXCursor> parts = children_of(row);
  if (parts.size() != 2) return 0;
  CXCursor index = strip_wrappers(parts[1]);
  if (clang_getCursorKind(index) != CXCursor_DeclRefExpr) return 0;
  auto start = current_->loop_starts.find(take(clang_getCursorUSR(clang_getCursorReferenced(index))));
  return start == current_->loop_starts.end() ? 0 : start->second;
}

void FunctionReader::note_compared_calls(CXCursor comparison) {
  CXBinaryOperatorKind op = clang_getCursorBinaryOperatorKind(comparison);
  if (op != CXBinaryOperator_EQ && op != CXBinaryOperator_NE) return;
  for (CXCursor side : children_of(comparison)) {
    CXCursor operand = strip_wrappers(side);
    const CXCursorKind kind = clang_getCursorKind(operand);
    if (kind != CXCursor_CallExpr && kind != CXCursor_DeclRefExpr) continue;
    if (kind == CXCursor_DeclRefExpr) {
      current_->compared_refs.emplace(clang_hashCursor(operand), operand);
      continue;
    }
    unsigned offset = 0;
    map_.location_of(operand, &offset);
    current_->compared_calls.insert(offset);
  }
}

// Calls whose result an `if` only tests for NULL (`if (PyDict_GetItem(d, k))`, `!call`,
// operands of && and ||): like a comparison by address, the object is never used.
void FunctionReader::note_truth_tested_calls(CXCursor condition) {
  CXCursor inner = strip_wrappers(condition);
  CXCursorKind kind = clang_getCursorKind(inner);
  bool logical =
      (kind == CXCursor_UnaryOperator && clang_getCursorUnaryOperatorKind(inner) == CXUnaryOperator_LNot) ||
      (kind == CXCursor_BinaryOperator && (clang_getCursorBinaryOperatorKind(inner) == CXBinaryOperator_LAnd ||
                                           clang_getCursorBinaryOperatorKind(inner) == CXBinaryOperator_LOr));
  if (logical) {
    for (CXCursor operand : children_of(inner)) note_truth_tested_calls(operand);
  } else if (kind == CXCursor_DeclRefExpr) {
    current_->compared_refs.emplace(clang_hashCursor(inner), inner);
  } else if (kind == CXCursor_CallExpr) {
    unsigned offset = 0;
    map_.location_of(inner, &offset);
    current_->compared_calls.insert(offset);
  }
}

// `local = value` or `T local = value`: where the local's value changes, and, when the
// value is a call's result, which call.
void FunctionReader::note_local_assignment(CXCursor local, CXCursor at, CXCursor value) {
  std::optional<unsigned> call;
  CXCursor inner = strip_wrappers(value);
  if (clang_getCursorKind(inner) == CXCursor_CallExpr) {
    unsigned call_offset = 0;
    map_.location_of(inner, &call_offset);
    call = call_offset;
  } else if (clang_getCursorKind(inner) == CXCursor_UnaryOperator &&
             clang_getCursorUnaryOperatorKind(inner) == CXUnaryOperator_AddrOf) {
    // `p = &v`: v can then be read through p, which this walk does not follow.
    for (CXCursor operand : children_of(inner)) {
      CXCursor name = strip_wrappers(operand);
      if (clang_getCursorKind(name) == CXCursor_DeclRefExpr && is_local(clang_getCursorReferenced(name)))
        current_->aliased_locals.insert(take(clang_getCursorUSR(clang_getCursorReferenced(name))));
    }
  }
  current_->pending_assignments.emplace_back(
      at,
      Scan::LocalEvent{take(clang_getCursorUSR(local)), Scan::LocalEvent::Kind::assigned, call, current_->loops > 0});
}

// A call whose result goes to a local that, from there to the end of the function, is
// only compared by address or tested for NULL, gives an object nobody uses: as if the call
// itself were compared (CallFact::result_only_compared). A later assignment does not end
// the search: it may sit in a branch (`if (!sig) sig = Py_None;`), or a goto may jump past
// it. Inside a loop the next iteration may read the local before it is assigned again, so
// there every use of it must be a comparison. A local also passed to calls from there on
// keeps those calls (CallFact::result_passed_to), for the module model to judge the
// callees.
void FunctionReader::mark_calls_only_compared_through_locals() {
  using Kind = Scan::LocalEvent::Kind;
  const std::vector<Scan::LocalEvent>& events = current_->local_events;
  std::map<std::string_view, std::size_t> last_use;             // each local's last use, found in one pass
  std::map<std::string_view, std::vector<std::size_t>> passes;  // each local's passes, in order
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind == Kind::used) last_use[events[i].usr] = i;
    if (events[i].kind == Kind::passed) passes[events[i].usr].push_back(i);
  }
  std::map<unsigned, std::vector<PassedArgument>> only_compared;  // call offset -> calls its result is passed to
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Scan::LocalEvent& assignment = events[i];
    if (assignment.kind != Kind::assigned || !assignment.call || current_->aliased_locals.contains(assignment.usr))
      continue;
    auto used = last_use.find(assignment.usr);
    if (used != last_use.end() && (assignment.in_loop || used->second > i)) continue;
    std::vector<PassedArgument>& passed_to = only_compared[*assignment.call];
    if (auto passed = passes.find(assignment.usr); passed != passes.end()) {
      for (std::size_t at : passed->second) {
        if (assignment.in_loop || at > i) passed_to.push_back(events[at].passed);
      }
    }
  }
  for (CallFact& call : current_->fact.calls) {
    auto found = only_compared.find(call.offset);
    if (found == only_compared.end()) continue;
    call.result_only_compared = found->second.empty();
    call.result_passed_to = found->second;
  }
}

// `f(state, item)`: which call a local is an argument of, and where (read_decl_ref makes it
// a `passed` event). A cast or parentheses around it keep it an argument; `item->x` or
// `&item` do not.
void FunctionReader::note_passed_locals(CXCursor call) {
  std::optional<std::string> callee = callee_of(call);
  if (!callee) return;
  const int count = clang_Cursor_getNumArguments(call);
  for (int i = 0; i < count; ++i) {
    CXCursor name = strip_wrappers(clang_Cursor_getArgument(call, static_cast<unsigned>(i)));
    if (clang_getCursorKind(name) != CXCursor_DeclRefExpr || !is_local(clang_getCursorReferenced(name))) continue;
    current_->passed_refs.emplace(clang_hashCursor(name), std::pair{name, PassedArgument{*callee, i}});
  }
}

// FunctionFact::parameters_only_compared: a parameter with no event but comparisons and
// tests (an assignment is an event too), and whose address nothing keeps.
void FunctionReader::note_parameters_only_compared() {
  if (current_->fact.parse_errors) return;
  using Kind = Scan::LocalEvent::Kind;
  std::set<std::string_view> other_uses;
  for (const Scan::LocalEvent& event : current_->local_events) {
    if (event.kind != Kind::compared) other_uses.insert(event.usr);
  }
  const std::vector<std::string>& usrs = current_->parameter_usrs;
  for (std::size_t i = 0; i < usrs.size(); ++i) {
    if (!other_uses.contains(usrs[i]) && !current_->aliased_locals.contains(usrs[i]))
      current_->fact.parameters_only_compared.push_back(static_cast<int>(i));
  }
}

void FunctionReader::read_if(CXCursor cursor) {
  std::vector<CXCursor> parts = children_of(cursor);
  if (parts.empty()) return;
  note_truth_tested_calls(parts[0]);
  note_tested(parts[0]);
  if (current_->takes_object && parts.size() > 1 && leaves_at_once(parts[1])) {
    collect_tested(parts[0], current_->exit_guard_globals);
  }
  // The condition and the true branch of `if (is_main && cache)`; the else branch is the
  // other interpreters'.
  const int gate =
      gates_main_interpreter(parts[0], current_->main_interpreter_locals, main_interpreter_predicates_) ? 1 : 0;
  current_->main_interpreter_gates += gate;
  walk(parts[0]);
  std::vector<std::string> tested;
  collect_referenced_vars(parts[0], tested);
  std::size_t before = current_->guard_vars.size();
  current_->guard_vars.insert(current_->guard_vars.end(), tested.begin(), tested.end());
  for (std::size_t i = 1; i < parts.size(); ++i) {
    if (i == 2) current_->main_interpreter_gates -= gate;
    walk(parts[i]);
  }
  if (parts.size() <= 2) current_->main_interpreter_gates -= gate;
  current_->guard_vars.resize(before);
}

// The statements after `if (!is_main_interpreter()) { ...; return NULL; }` run in the main
// interpreter only, up to the block's end or a label (a goto from before may land there).
void FunctionReader::read_block(CXCursor block) {
  int gates = 0;
  for (CXCursor statement : children_of(block)) {
    if (clang_getCursorKind(statement) == CXCursor_LabelStmt) {
      current_->main_interpreter_gates -= gates;
      gates = 0;
    }
    walk(statement);
    if (returns_unless_main_interpreter(statement)) {
      ++current_->main_interpreter_gates;
      ++gates;
    }
  }
  current_->main_interpreter_gates -= gates;
}

// `if (<not main>) return ...;` or `{ ...; return ...; }`, with no else. A goto is not
// counted: its label may be reached from the main interpreter's path too.
bool FunctionReader::returns_unless_main_interpreter(CXCursor statement) {
  if (clang_getCursorKind(statement) != CXCursor_IfStmt) return false;
  std::vector<CXCursor> parts = children_of(statement);
  return parts.size() == 2 && leaves_at_once(parts[1], /*gotos=*/false) &&
         excludes_main_interpreter(parts[0], current_->main_interpreter_locals, main_interpreter_predicates_);
}

// `int can_cache = psyco_is_main_interp();`: the local holds a main-interpreter test until
// it is assigned anything else.
void FunctionReader::note_main_interpreter_local(CXCursor var, CXCursor value) {
  std::string usr = take(clang_getCursorUSR(var));
  if (tests_main_interpreter(value, current_->main_interpreter_locals, main_interpreter_predicates_)) {
    current_->main_interpreter_locals.insert(std::move(usr));
  } else {
    current_->main_interpreter_locals.erase(usr);
  }
}

void FunctionReader::note_tested(CXCursor condition) { collect_tested(condition, current_->tested_globals); }

void FunctionReader::read_call(CXCursor call) {
  std::optional<std::string> callee = callee_of(call);
  if (callee && is_module_entry_point(current_->fact.name)) lift_module_creation(call);
  if (!callee) return;
  if (!map_.spelled_in_project(call) && !is_module_api(*callee)) {
    note_functions_passed_by_macro(call, *callee);
    return;
  }
  CallFact fact;
  fact.callee = *callee;
  fact.location = map_.file_location_of(call, &fact.offset);
  if (current_->tokens.in_assert(fact.offset)) return;  // not in the module as it is built
  int count = clang_Cursor_getNumArguments(call);
  for (int i = 0; i < count; ++i) {
    CXCursor arg = clang_Cursor_getArgument(call, static_cast<unsigned>(i));
    fact.args.push_back(map_.text_of(arg));
    note_passed_functions(call, fact.callee, arg, i);
    std::optional<CXCursor> var = named_variable(arg, /*through_address_of=*/true);
    if (i == 0 && var) fact.first_arg_var = take(clang_getCursorSpelling(*var));
    fact.arg_sources.push_back(source_of(arg));
    // Passing &global lets the callee store into it; passing &local, into the local, which
    // then holds what the callee put there (`PyArg_UnpackTuple(args, "f", 0, 1, &kwds)`).
    CXCursor stripped = strip_wrappers(arg);
    bool address_of = clang_getCursorKind(stripped) == CXCursor_UnaryOperator &&
                      clang_getCursorUnaryOperatorKind(stripped) == CXUnaryOperator_AddrOf;
    if (address_of && var && !is_global_variable(*var))
      forget_local_origin(take(clang_getCursorSpelling(*var)), fact.offset);
    if (address_of && var && is_global_variable(*var)) {
      CXType type = clang_getCanonicalType(clang_getCursorType(*var));
      if (type.kind == CXType_Pointer || type.kind == CXType_Int || type.kind == CXType_Long ||
          type.kind == CXType_LongLong || type.kind == CXType_UInt || type.kind == CXType_ULong) {
        record_write(arg, call, true);
      }
    }
    if (i == 0 && var && is_global_variable(*var) && writes_through_first_argument(fact.callee) &&
        names_writable_memory(arg)) {
      record_write(arg, call, true);
    }
  }
  if (std::optional<unsigned> filled = filled_buffer_argument(fact.callee, call)) {
    record_write(clang_Cursor_getArgument(call, *filled), call, true, /*stores_object=*/true);
  }
  fact.result_only_compared = current_->compared_calls.count(fact.offset) > 0;
  Region region = region_at(current_->tokens.regions, fact.offset);
  fact.critical_section_depth = region.critical_sections;
  fact.under_lock = region.locks > 0 || region.critical_sections > 0;
  current_->referenced.insert(fact.callee);
  current_->fact.calls.push_back(std::move(fact));
}

// A library macro's call, as OpenSSL's `SSL_CTX_set_tlsext_servername_callback(ctx, cb)`
// expands to `SSL_CTX_callback_ctrl(ctx, ..., (void (*)(void))cb)`: the call is the
// library's, but the function handed to it is the project's (a name the module does not
// define stays unresolved, so a header's own functions add nothing).
void FunctionReader::note_functions_passed_by_macro(CXCursor call, const std::string& callee) {
  int count = clang_Cursor_getNumArguments(call);
  for (int i = 0; i < count; ++i) {
    note_passed_functions(call, callee, clang_Cursor_getArgument(call, static_cast<unsigned>(i)), i);
  }
}

// `pthread_create(&t, NULL, worker, arg)`: the callee decides when and where `worker` runs.
void FunctionReader::note_passed_functions(CXCursor call, const std::string& callee, CXCursor arg, int index) {
  for (std::string& name : functions_handed_by(arg)) {
    FunctionHandoff handoff;
    handoff.function = std::move(name);
    handoff.position = index;
    handoff.target = handoff_target(call, callee);
    handoff.location = map_.location_of(arg);
    current_->fact.handoffs.push_back(std::move(handoff));
  }
}

// In a body with errors (a library's header missing), a call whose arguments did not parse
// leaves no CallExpr, only the function it hands on, taken by address:
// `dbus_pending_call_set_notify(pc, notify_cb, ...)` with `DBusPendingCall` unknown. The
// tokens still spell the call: each function of the project the body names without
// calling, and no parsed call hands on, becomes a handoff to the call in whose argument
// list it appears (`notify_cb`, `(cast)notify_cb`, `flag ? notify_cb : NULL`), so SI008 can
// say which API decides the callback's thread.
void FunctionReader::note_handoffs_in_tokens(CXCursor function) {
  std::set<std::string> called, handed;
  for (const CallFact& call : current_->fact.calls) called.insert(call.callee);
  for (const FunctionHandoff& handoff : current_->fact.handoffs) handed.insert(handoff.function);
  const std::set<std::string>& defined = project_functions();
  CXFile file = position(clang_getCursorLocation(function)).file;
  // A table of callbacks whose type a missing header declares (libdbus's
  // `DBusObjectPathVTable _object_path_vtable = { unregister, message }`) is no global in
  // the facts; passed by name or address, it hands on each function its initialiser names.
  const auto& tables = function_tables_in(file);
  std::map<std::string, std::vector<std::string>> loose;  // name in the body -> functions it hands on
  for (const BodyToken& token : current_->tokens.body) {
    const std::string& name = token.spelling;
    if (defined.contains(name) && !called.contains(name) && !handed.contains(name)) loose[name] = {name};
    if (auto table = tables.find(name); table != tables.end()) loose[name] = table->second;
  }
  if (loose.empty()) return;
  static const std::set<std::string> keywords = {"if", "while", "for", "switch", "return", "sizeof", "do"};
  const std::vector<BodyToken>& body = current_->tokens.body;
  constexpr std::size_t kReach = 256;  // tokens an argument list is followed for
  for (std::size_t i = 0; i + 1 < body.size(); ++i) {
    const std::string& callee = body[i].spelling;
    if (body[i + 1].spelling != "(" || keywords.contains(callee) ||
        !(std::isalpha(static_cast<unsigned char>(callee.front())) || callee.front() == '_'))
      continue;
    int depth = 0, position_in_call = 0;
    for (std::size_t j = i + 1; j < body.size() && j < i + kReach; ++j) {
      const std::string& token = body[j].spelling;
      const bool closes = token == ")" && depth == 1;
      if ((token == "," && depth == 1) || closes) {
        ++position_in_call;
        if (closes) break;
      }
      // A function named at the call's own level of the argument (`cb`, `&cb`,
      // `(cast)cb`, `flag ? cb : NULL`), not inside a nested call's parentheses.
      auto handed_on = loose.find(token);
      if (depth == 1 && handed_on != loose.end() && j + 1 < body.size() && body[j + 1].spelling != "(") {
        CXSourceLocation at = clang_getLocationForOffset(map_.unit(), file, body[j].offset);
        for (const std::string& name : handed_on->second) {
          FunctionHandoff handoff;
          handoff.function = name;
          handoff.position = position_in_call;
          handoff.target = callee;
          handoff.location = map_.location_of(position(at));
          current_->fact.handoffs.push_back(std::move(handoff));
        }
      }
      if (token == "(" || token == "[" || token == "{") ++depth;
      if (token == ")" || token == "]" || token == "}") --depth;
      if (depth == 0) break;
    }
  }
}

// A statement naming something a missing header declares is dropped from the tree whole,
// its assignment with it: python-ldap's `errobjects[LDAP_##n + LDAP_ERROR_OFFSET] = exc`,
// inside a project macro the init function calls once per error code. In a body with
// errors, `G = ` and `G[...] = ` are read from the tokens, the body's own and those of the
// project macros it names, for each file-scope variable G the walk saw no write of here.
// The write is placed where the body spells G, or the macro's name.
void FunctionReader::note_writes_in_tokens(CXCursor function) {
  // The walk's own writes are the last ones recorded; the globals are indexed once per
  // unit, not once per function (a hostile file may hold many of both).
  std::set<std::string_view> written;
  for (std::size_t i = current_->first_write; i < facts_.global_writes.size(); ++i)
    written.insert(facts_.global_writes[i].var_usr);
  std::map<std::string, std::string> unwritten;  // name -> usr, of the globals the body names
  const std::map<std::string, std::string>& globals = file_scope_globals();
  const auto& macros = project_macros();
  auto consider = [&](const std::string& name) {
    auto global = globals.find(name);
    if (global != globals.end() && !written.contains(global->second)) unwritten.insert(*global);
  };
  const std::vector<BodyToken>& body = current_->tokens.body;
  std::set<std::string_view> macros_named;
  for (std::size_t i = 0; i < body.size(); ++i) {
    consider(body[i].spelling);
    auto macro = macros.find(body[i].spelling);
    if (macro == macros.end() || !macros_named.insert(macro->first).second) continue;
    for (const std::string& token : macro->second) consider(token);
  }
  if (unwritten.empty()) return;
  constexpr std::size_t kReach = 64;  // tokens an index is followed for
  // The variables `tokens` assign: a name then `=`, or a bracketed index and `=`; not a
  // member (after `.` or `->`), a local declared with the same name (after a type's name
  // or `*`), or a store through the variable (`*G = `).
  auto declares_or_reaches_through = [](const std::string& before) {
    static const std::set<std::string> statement_words = {"return", "else", "do", "case"};
    const bool word = std::isalpha(static_cast<unsigned char>(before.front())) != 0 || before.front() == '_';
    return before == "." || before == "->" || before == "*" || (word && !statement_words.contains(before));
  };
  auto assigned_in = [&](const std::vector<std::string>& tokens) {
    std::set<std::string> names;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      if (!unwritten.contains(tokens[i]) || (i > 0 && declares_or_reaches_through(tokens[i - 1]))) continue;
      std::size_t next = i + 1;
      if (tokens[next] == "[") {
        int depth = 0;
        for (; next < tokens.size() && next < i + kReach; ++next) {
          if (tokens[next] == "[") ++depth;
          if (tokens[next] == "]" && --depth == 0) break;
        }
        ++next;
      }
      if (next < tokens.size() && tokens[next] == "=") names.insert(tokens[i]);
    }
    return names;
  };
  std::vector<std::string> spelled;
  spelled.reserve(body.size());
  for (const BodyToken& token : body) spelled.push_back(token.spelling);
  std::map<std::string, unsigned> written_at;  // name -> offset of the first token naming it
  for (const std::string& name : assigned_in(spelled)) {
    auto first = std::find(spelled.begin(), spelled.end(), name);
    written_at.emplace(name, body[static_cast<std::size_t>(first - spelled.begin())].offset);
  }
  std::map<std::string_view, std::set<std::string>> macro_writes;  // each macro read once
  for (std::size_t i = 0; i + 1 < body.size(); ++i) {
    auto macro = macros.find(body[i].spelling);
    if (macro == macros.end() || body[i + 1].spelling != "(") continue;
    auto [names, added] = macro_writes.try_emplace(macro->first);
    if (added) names->second = assigned_in(macro->second);
    for (const std::string& name : names->second) written_at.emplace(name, body[i].offset);
  }
  CXFile file = position(clang_getCursorLocation(function)).file;
  for (const auto& [name, offset] : written_at) {
    GlobalWriteFact write;
    write.var_usr = unwritten.at(name);
    write.function = current_->fact.name;
    write.location = map_.location_of(position(clang_getLocationForOffset(map_.unit(), file, offset)));
    Region region = region_at(current_->tokens.regions, offset);
    write.under_lock = region.locks > 0 || region.critical_sections > 0;
    write.under_mutex = region.locks > 0;
    facts_.global_writes.push_back(std::move(write));
  }
}

const std::map<std::string, std::string>& FunctionReader::file_scope_globals() {
  for (; globals_indexed_ < facts_.globals.size(); ++globals_indexed_) {
    const GlobalVarFact& global = facts_.globals[globals_indexed_];
    if (!global.function_static) file_scope_globals_.emplace(global.name, global.usr);
  }
  return file_scope_globals_;
}

const std::map<std::string, std::vector<std::string>>& FunctionReader::project_macros() {
  if (unit_macros_) return *unit_macros_;
  unit_macros_.emplace();
  CXTranslationUnit unit = map_.unit();
  for (CXCursor cursor : children_of(clang_getTranslationUnitCursor(unit))) {
    if (clang_getCursorKind(cursor) != CXCursor_MacroDefinition || !clang_Cursor_isMacroFunctionLike(cursor) ||
        !map_.in_project(position(clang_getCursorLocation(cursor)).file))
      continue;
    (*unit_macros_)[take(clang_getCursorSpelling(cursor))] = spelled_tokens(unit, clang_getCursorExtent(cursor));
  }
  return *unit_macros_;
}

// The file's own tokens, read once: at brace depth 0, `name = {` up to its closing brace,
// keeping the project functions the braces name. A hostile file of any size is read once.
const std::map<std::string, std::vector<std::string>>& FunctionReader::function_tables_in(CXFile file) {
  const std::string& name = map_.file_name(file);
  if (auto known = file_tables_.find(name); known != file_tables_.end()) return known->second;
  std::map<std::string, std::vector<std::string>>& tables = file_tables_[name];
  if (file == nullptr || !map_.in_project(file)) return tables;
  CXTranslationUnit unit = map_.unit();
  const auto size = static_cast<unsigned>(map_.file_text(file).size());
  CXSourceRange whole =
      clang_getRange(clang_getLocationForOffset(unit, file, 0), clang_getLocationForOffset(unit, file, size));
  const std::vector<std::string> spelled = spelled_tokens(unit, whole);
  const std::set<std::string>& defined = project_functions();
  int depth = 0;
  for (std::size_t i = 0; i < spelled.size(); ++i) {
    if (spelled[i] == "}") --depth;
    if (spelled[i] != "{") continue;
    if (depth++ != 0 || i < 2 || spelled[i - 1] != "=") continue;
    std::vector<std::string> functions;
    std::size_t j = i + 1;
    for (int inner = 1; j < spelled.size() && inner > 0; ++j) {
      if (spelled[j] == "{") ++inner;
      if (spelled[j] == "}") --inner;
      if (defined.contains(spelled[j])) functions.push_back(spelled[j]);
    }
    // The name before `=`, past an array's brackets (`handlers[] = {`).
    std::size_t name = i - 2;
    for (int brackets = 0; name > 0 && (spelled[name] == "]" || brackets > 0); --name) {
      if (spelled[name] == "]") ++brackets;
      if (spelled[name] == "[" && --brackets == 0) {
        --name;
        break;
      }
    }
    if (!functions.empty()) tables[spelled[name]] = std::move(functions);
    depth = 0;  // the initialiser's braces are read; go on after them
    i = j - 1;
  }
  return tables;
}

// Names of the functions declared in project files (defined in the unit, or declared by a
// project header and defined in another unit), from the unit's top-level cursors, read
// once per unit.
const std::set<std::string>& FunctionReader::project_functions() {
  if (unit_functions_) return *unit_functions_;
  unit_functions_.emplace();
  for (CXCursor cursor : children_of(clang_getTranslationUnitCursor(map_.unit()))) {
    if (clang_getCursorKind(cursor) == CXCursor_FunctionDecl &&
        map_.in_project(position(clang_getCursorLocation(cursor)).file)) {
      unit_functions_->insert(take(clang_getCursorSpelling(cursor)));
    }
  }
  return *unit_functions_;
}

// A binding framework's entry point creates the module in the framework's own code:
// pybind11's PYBIND11_MODULE calls `module_::create_extension_module`, an installed
// header's function that calls PyModule_Create2. Record that creation at the entry
// point's call, as if the project had made it, so the module's init style is known.
void FunctionReader::lift_module_creation(CXCursor call) {
  CXCursor definition = clang_getCursorDefinition(clang_getCursorReferenced(call));
  if (clang_Cursor_isNull(definition) || map_.in_project(position(clang_getCursorLocation(definition)).file)) return;
  std::set<std::string> seen;
  std::optional<std::string> api = module_creation_inside(definition, map_, 3, seen);
  if (!api) return;
  CallFact fact;
  fact.callee = *api;
  fact.location = map_.location_of(call, &fact.offset);
  current_->referenced.insert(fact.callee);
  current_->fact.calls.push_back(std::move(fact));
}

void FunctionReader::record_write(CXCursor target_expr, CXCursor at, bool through_address_of, bool stores_object) {
  std::optional<CXCursor> var = named_variable(target_expr, through_address_of);
  if (var && is_global_variable(*var)) {
    GlobalWriteFact* write = record_global_write(take(clang_getCursorUSR(*var)), at, stores_object);
    if (write != nullptr && !through_address_of) write->fixed_store = fixed_store(target_expr, at);
  } else if (!through_address_of) {
    for (const std::string& usr : globals_written_through(target_expr)) record_global_write(usr, at, stores_object);
  }
}

// "TARGET = VALUE" for `target = value` when the value is the same for the whole process
// (process_constant), as the source spells the target; "" otherwise.
std::string FunctionReader::fixed_store(CXCursor target_expr, CXCursor at) {
  if (clang_getCursorKind(at) != CXCursor_BinaryOperator) return {};
  std::vector<CXCursor> sides = children_of(at);
  if (sides.size() != 2) return {};
  std::optional<std::string> value = process_constant(sides[1]);
  return value ? map_.text_of(target_expr) + " = " + *value : std::string{};
}

GlobalWriteFact* FunctionReader::record_global_write(const std::string& var_usr, CXCursor at, bool stores_object) {
  GlobalWriteFact write;
  write.var_usr = var_usr;
  write.stores_object = stores_object;
  write.function = current_->fact.name;
  unsigned offset = 0;
  write.location = map_.location_of(at, &offset);
  if (!current_->writes_seen.insert({var_usr, offset}).second) return nullptr;
  Region region = region_at(current_->tokens.regions, offset);
  write.under_lock = region.locks > 0 || region.critical_sections > 0;
  write.under_mutex = region.locks > 0;
  write.main_interpreter_only = current_->main_interpreter_gates > 0;
  const CXCursorKind kind = clang_getCursorKind(at);
  write.read_modify_write = kind == CXCursor_CompoundAssignOperator || kind == CXCursor_UnaryOperator;
  std::optional<std::int64_t> stored;
  if (kind == CXCursor_BinaryOperator) {
    std::vector<CXCursor> sides = children_of(at);
    if (sides.size() == 2) stored = constant_value(sides[1]);
    write.stores_constant = stored.has_value();
  }
  // `if (lock) { free(lock); lock = NULL; }` tests the variable too, but clears it.
  const bool guarded =
      std::find(current_->guard_vars.begin(), current_->guard_vars.end(), write.var_usr) != current_->guard_vars.end();
  write.lazy_init = guarded && stored != std::int64_t{0};
  if (current_->file != nullptr) {
    Position where = position(clang_getCursorLocation(at));
    if (where.file == current_->file) {
      if (auto origin = cython_origin_before(map_.file_text(where.file), current_->start, where.offset)) {
        write.generated_from = cython_sources_.locate(facts_.file, *origin);
      }
    }
  }
  return &facts_.global_writes.emplace_back(std::move(write));
}

// What a variable holds after `var = value`: a fresh container, another variable's origin
// (`d = kwds`), or nothing known (a parameter assigned anything else no longer holds what
// its caller passed).
void FunctionReader::note_local_origin(CXCursor var, CXCursor value) {
  ArgSource source = source_of(value);
  std::string name = take(clang_getCursorSpelling(var));
  unsigned offset = 0;
  map_.location_of(value, &offset);
  if (source.kind == ArgSource::Kind::unknown) {
    forget_local_origin(name, offset);
  } else {
    current_->local_origins[name] = source;
    current_->origin_changes.push_back({offset, name, source});
  }
}

void FunctionReader::forget_local_origin(const std::string& name, unsigned offset) {
  current_->local_origins.erase(name);
  current_->origin_changes.push_back({offset, name, std::nullopt});
}

// The origin `name` had just before `offset`, by the last change the walk made before it;
// nothing when the walk never assigned it (a statement libclang dropped: read the tokens).
std::optional<ArgSource> FunctionReader::origin_before(const Scan& scan, const std::string& name, unsigned offset) {
  const Scan::OriginChange* last = nullptr;
  for (const auto& change : scan.origin_changes) {
    if (change.name == name && change.offset < offset && (last == nullptr || change.offset >= last->offset)) {
      last = &change;
    }
  }
  if (last == nullptr) return std::nullopt;
  return last->source.value_or(ArgSource{});
}

// Where a value comes from: a call making a fresh container, another call (whose returns
// the model reads), or a plain variable (a parameter, or a local holding one) whose origin
// is known at this point of the body.
ArgSource FunctionReader::source_of(CXCursor value) {
  CXCursor inner = strip_wrappers(value);
  CXCursorKind kind = clang_getCursorKind(inner);
  if (kind == CXCursor_CallExpr) {
    std::optional<std::string> callee = callee_of(inner);
    if (allocates_object(inner) || (callee && (creates_fresh_container(*callee) || makes_new_module(*callee))))
      return {ArgSource::Kind::fresh_container, -1};
    if (callee == "PyLong_FromVoidPtr" && clang_Cursor_getNumArguments(inner) == 1) return identity_of(inner);
    // A module's dict is as private as the module: psycopg2's PyInit hands its new module
    // to helpers that read the module's dict before anything else can see it.
    if (callee == "PyModule_GetDict" && clang_Cursor_getNumArguments(inner) == 1)
      return source_of(clang_Cursor_getArgument(inner, 0));
    if (callee) return {ArgSource::Kind::call_result, -1, *callee};
  } else if (kind == CXCursor_DeclRefExpr) {
    auto origin = current_->local_origins.find(take(clang_getCursorSpelling(inner)));
    if (origin != current_->local_origins.end()) return origin->second;
  } else if (kind == CXCursor_UnaryOperator && clang_getCursorUnaryOperatorKind(inner) == CXUnaryOperator_AddrOf) {
    std::vector<CXCursor> operand = children_of(inner);
    if (operand.size() == 1 && is_stack_struct(strip_wrappers(operand.front())))
      return {ArgSource::Kind::fresh_container, -1};
  } else if (kind == CXCursor_MemberRefExpr) {
    return field_source(inner);
  }
  return {};
}

// An object just allocated, which nothing else holds until the function hands it on:
// tp_alloc and the allocators behind PyObject_New and PyObject_GC_New always make one, and
// so does a base type's tp_new given the function's own class, its first parameter
// (`(PyTuple_Type.tp_new)(cls, args, NULL)` in a subtype's tp_new). Given its own type, a
// built-in tp_new may return a cached object (a small int, the empty tuple); given a
// subtype, it never does (docs/cpython-behaviour.md #36).
bool FunctionReader::allocates_object(CXCursor call) {
  static const std::set<std::string> allocators = {"tp_alloc",         "PyType_GenericAlloc", "_PyObject_New",
                                                   "_PyObject_NewVar", "_PyObject_GC_New",    "_PyObject_GC_NewVar"};
  // A slot called through its type names no function: the callee is the member.
  std::vector<CXCursor> children = children_of(call);
  CXCursor called = children.empty() ? clang_getNullCursor() : strip_wrappers(children.front());
  std::string callee = clang_getCursorKind(called) == CXCursor_MemberRefExpr ? take(clang_getCursorSpelling(called))
                                                                             : callee_of(call).value_or("");
  if (allocators.contains(callee)) return true;
  if (callee != "tp_new" || clang_Cursor_getNumArguments(call) < 1) return false;
  ArgSource type = source_of(clang_Cursor_getArgument(call, 0));
  return type.kind == ArgSource::Kind::parameter && type.parameter == 0 && type.field.empty();
}

// `PyLong_FromVoidPtr(obj)`: a number naming obj, a side table's key for it. Known only for
// what the function can follow (a parameter, an object just made).
ArgSource FunctionReader::identity_of(CXCursor call) {
  ArgSource object = source_of(clang_Cursor_getArgument(call, 0));
  if (object.kind != ArgSource::Kind::parameter && object.kind != ArgSource::Kind::fresh_container) return {};
  if (!object.field.empty() || object.identity) return {};
  object.identity = true;
  return object;
}

// `buffer->list` (buffer a parameter, or a local holding one) or `buffer.list` (buffer a
// struct on this stack).
ArgSource FunctionReader::field_source(CXCursor member) {
  std::vector<CXCursor> children = children_of(member);
  if (children.empty()) return {};
  CXCursor base = strip_wrappers(children.front());
  if (clang_getCursorKind(base) != CXCursor_DeclRefExpr) return {};
  const bool through_pointer = clang_getCanonicalType(clang_getCursorType(children.front())).kind == CXType_Pointer;
  ArgSource source;
  if (through_pointer) {
    source = source_of(base);
  } else if (is_stack_struct(base)) {
    source = {ArgSource::Kind::fresh_container, -1};
  }
  return field_of(source, take(clang_getCursorSpelling(member)));
}

// The variable an lvalue or argument expression names: x, &x, x.field, x[i], (T)x.
std::optional<CXCursor> FunctionReader::named_variable(CXCursor expr, bool through_address_of) {
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
      if (kind == CXCursor_MemberRefExpr && map_.text_of(expr).find("->") != std::string::npos) return std::nullopt;
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

// Where a macro's first argument comes from: a variable's origin where the walk knows it,
// a field of a parameter (`buffer->list`, see field_source), else what the tokens show.
ArgSource FunctionReader::macro_argument_source(const Scan& scan, const CallFact& call) {
  auto known_origin = [&](const std::string& name) -> std::optional<ArgSource> {
    if (std::optional<ArgSource> origin = origin_before(scan, name, call.offset)) return origin;
    // A parameter keeps its origin until assigned; the walk records no change for it.
    auto parameter = scan.local_origins.find(name);
    if (parameter != scan.local_origins.end() && parameter->second.kind == ArgSource::Kind::parameter)
      return parameter->second;
    return std::nullopt;
  };
  if (!call.first_arg_var.empty()) {
    if (std::optional<ArgSource> origin = known_origin(call.first_arg_var)) return *origin;
    return origin_in_tokens(scan.tokens.body, call.first_arg_var, call.offset);
  }
  auto member = pointer_member(call.args.front());
  if (!member) return {};
  std::optional<ArgSource> origin = known_origin(member->first);
  return origin ? field_of(*origin, member->second) : ArgSource{};
}

// Python API names used with "(" whose expansion left no call behind (macros) become calls too.
void FunctionReader::add_macro_uses() {
  Scan& scan = *current_;
  std::set<std::pair<std::string, unsigned>> seen;
  std::set<std::string> called;  // callees with a real call (a macro defined in the body expands to them)
  for (const CallFact& call : scan.fact.calls) {
    seen.insert({call.callee, call.offset});
    called.insert(call.callee);
  }
  for (MacroUse& use : scan.tokens.macro_uses) {
    if (seen.count({use.name, use.offset}) || (use.in_directive && called.contains(use.name))) continue;
    CallFact call;
    call.callee = use.name;
    call.location = use.location;
    call.offset = use.offset;
    call.args = std::move(use.args);
    call.is_macro = true;
    if (!call.args.empty()) {
      call.first_arg_var = first_macro_argument_name(call.args.front());
      call.arg_sources.push_back(macro_argument_source(scan, call));
    }
    Region region = region_at(scan.tokens.regions, call.offset);
    call.critical_section_depth = region.critical_sections;
    call.under_lock = region.locks > 0 || region.critical_sections > 0;
    scan.fact.calls.push_back(std::move(call));
  }
}

}  // namespace subcheck::reader
