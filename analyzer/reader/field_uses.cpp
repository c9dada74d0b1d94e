#include "analyzer/reader/field_uses.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace subcheck::reader {
namespace {

// APIs that read a container passed first and leave it as it is (its items, its size, its
// type), and the reference counting macros (Py_VISIT, and the clear and free functions'
// Py_CLEAR), which say nothing about its contents. PyDictProxy_New hands out a read-only
// view.
bool reads_first_argument(const std::string& callee) {
  static const std::set<std::string> names = {"PyDict_GetItem",
                                              "PyDict_GetItemWithError",
                                              "_PyDict_GetItemWithError",
                                              "PyDict_GetItemString",
                                              "PyDict_GetItemRef",
                                              "PyDict_GetItemStringRef",
                                              "PyDict_Contains",
                                              "PyDict_ContainsString",
                                              "PyDict_Size",
                                              "PyDict_GET_SIZE",
                                              "PyDict_Next",
                                              "PyDict_Copy",
                                              "PyDict_Keys",
                                              "PyDict_Values",
                                              "PyDict_Items",
                                              "PyDictProxy_New",
                                              "PyList_GetItem",
                                              "PyList_GET_ITEM",
                                              "PyList_GetItemRef",
                                              "PyList_Size",
                                              "PyList_GET_SIZE",
                                              "PyTuple_GetItem",
                                              "PyTuple_GET_ITEM",
                                              "PyTuple_Size",
                                              "PyTuple_GET_SIZE",
                                              "Py_SIZE",
                                              "Py_TYPE",
                                              "PyList_Check",
                                              "PyList_CheckExact",
                                              "PyDict_Check",
                                              "PyDict_CheckExact",
                                              "PyTuple_Check",
                                              "PyTuple_CheckExact",
                                              "Py_VISIT",
                                              "Py_CLEAR",
                                              "Py_XDECREF",
                                              "Py_DECREF"};
  return names.contains(callee);
}

// APIs that change the container passed first.
bool changes_first_argument(const std::string& callee) {
  static const std::set<std::string> names = {
      "PyDict_SetItem", "PyDict_SetItemString", "PyDict_DelItem",  "PyDict_DelItemString", "PyDict_Update",
      "PyDict_Merge",   "PyDict_SetDefault",    "PyDict_Clear",    "PyList_Append",        "PyList_Insert",
      "PyList_SetItem", "PyList_SET_ITEM",      "PyList_SetSlice", "PyList_Sort",          "PyObject_SetItem"};
  return names.contains(callee);
}

bool is_identifier(const std::string& spelling) {
  return !spelling.empty() && (std::isalpha(static_cast<unsigned char>(spelling.front())) || spelling.front() == '_');
}

// The index of the bracket opening the one closing at `close`, or `close` when unmatched
// within kBracketReach tokens: a hostile body of unbalanced `)->f` would otherwise make
// every access scan back to the function's start.
constexpr std::size_t kBracketReach = 256;

std::size_t matching_open(const std::vector<BodyToken>& body, std::size_t close) {
  const std::string& closing = body[close].spelling;
  const std::string opening = closing == ")" ? "(" : "[";
  const std::size_t stop = close >= kBracketReach ? close - kBracketReach : 0;
  int depth = 0;
  for (std::size_t i = close + 1; i-- > stop;) {
    if (body[i].spelling == closing) ++depth;
    if (body[i].spelling == opening && --depth == 0) return i;
  }
  return close;
}

// The first token of the expression whose member access starts at `arrow` (`->` or `.`):
// `state->f`, `get_state(m)->f`, `self->st.f`, `tables[i].f`.
std::size_t access_start(const std::vector<BodyToken>& body, std::size_t arrow) {
  std::size_t start = arrow;
  while (start > 0) {
    std::size_t i = start - 1;
    if (body[i].spelling == ")" || body[i].spelling == "]") {
      i = matching_open(body, i);
      if (i == start - 1) return start;
      if (i > 0 && is_identifier(body[i - 1].spelling)) --i;
    } else if (!is_identifier(body[i].spelling)) {
      return start;
    }
    start = i;
    if (start < 2 || (body[start - 1].spelling != "->" && body[start - 1].spelling != ".")) return start;
    --start;
  }
  return start;
}

enum class FieldUse { read, made, changed, shared };

FieldUse classify(const std::vector<BodyToken>& body, std::size_t start, std::size_t field) {
  auto at = [&](std::size_t i) -> const std::string& {
    static const std::string none;
    return i < body.size() ? body[i].spelling : none;
  };
  const std::string& after = at(field + 1);
  const std::string& before = start > 0 ? at(start - 1) : at(body.size());
  if (after == "=" && (before == "{" || before == ",") && body[field - 1].spelling == ".") {
    // A designated initialiser, `{.list = NULL}`: a null one leaves the field empty.
    const std::string& value = at(field + 2);
    const std::string& end = at(field + 3);
    return (value == "NULL" || value == "0") && (end == "," || end == "}") ? FieldUse::read : FieldUse::shared;
  }
  if (after == "=") {
    return creates_fresh_container(at(field + 2)) && at(field + 3) == "(" ? FieldUse::made : FieldUse::shared;
  }
  if (after == "==" || after == "!=" || before == "!" || after == "&&" || after == "||" || before == "&&" ||
      before == "||") {
    return FieldUse::read;  // a test of the pointer
  }
  if (before == "(" && start >= 2 && (after == "," || after == ")")) {
    const std::string& callee = at(start - 2);
    if (reads_first_argument(callee) || ((callee == "if" || callee == "while") && after == ")")) return FieldUse::read;
    if (changes_first_argument(callee) && after == ",") return FieldUse::changed;
  }
  return FieldUse::shared;
}

void add_once(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

}  // namespace

bool creates_fresh_container(const std::string& callee) {
  // Each returns a new container that nothing else holds yet: the keys, values and items
  // lists of a dict or mapping are copies, not views; a string's split is a new list
  // (_pickle walks `PyUnicode_Split(name, ".")` so). A call of a Python callable
  // (PyObject_CallNoArgs and friends) is not one: the callable may return an object it keeps.
  static const std::set<std::string> names = {
      "PyDict_New",      "PyList_New",       "PyDict_Copy",         "PyTuple_New",     "PySequence_List",
      "PyList_GetSlice", "PyDict_FromKeys",  "_PyDict_NewPresized", "PyDict_Keys",     "PyDict_Values",
      "PyDict_Items",    "PyMapping_Keys",   "PyMapping_Values",    "PyMapping_Items", "PyObject_Dir",
      "PyUnicode_Split", "PyUnicode_RSplit", "PyUnicode_Splitlines"};
  return names.count(callee) > 0;
}

void read_field_uses(const std::vector<BodyToken>& body, FunctionFact& function) {
  for (std::size_t i = 1; i + 1 < body.size(); ++i) {
    if ((body[i].spelling != "->" && body[i].spelling != ".") || !is_identifier(body[i + 1].spelling)) continue;
    const std::string& field = body[i + 1].spelling;
    // `state->f->x`, `st->f[i]`: f is only a step on the way to something else.
    const std::string& next = i + 2 < body.size() ? body[i + 2].spelling : field;
    if (next == "->" || next == "." || next == "[") continue;
    switch (classify(body, access_start(body, i), i + 1)) {
      case FieldUse::read: break;
      case FieldUse::made: add_once(function.fields_made, field); break;
      case FieldUse::changed: add_once(function.fields_changed, field); break;
      case FieldUse::shared: add_once(function.fields_shared, field); break;
    }
  }
}

}  // namespace subcheck::reader
