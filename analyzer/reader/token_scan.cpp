#include "analyzer/reader/token_scan.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "analyzer/reader/cursors.h"

namespace subcheck::reader {
namespace {

bool is_lock_call(const std::string& word) {
  static const std::set<std::string> names = {
      "PyMutex_Lock",       "PyThread_acquire_lock", "PyThread_acquire_lock_timed",
      "pthread_mutex_lock", "EnterCriticalSection",  "AcquireSRWLockExclusive",
      "lock_guard",         "unique_lock",           "scoped_lock"};
  return names.count(word) > 0;
}

bool is_unlock_call(const std::string& word) {
  static const std::set<std::string> names = {"PyMutex_Unlock", "PyThread_release_lock", "pthread_mutex_unlock",
                                              "LeaveCriticalSection", "ReleaseSRWLockExclusive"};
  return names.count(word) > 0;
}

// The index of the ")" matching the "(" at `open` (or the last token).
unsigned closing_paren(const std::vector<std::string>& tokens, unsigned open) {
  int depth = 0;
  for (unsigned i = open; i < tokens.size(); ++i) {
    if (tokens[i] == "(") ++depth;
    if (tokens[i] == ")" && --depth == 0) return i;
  }
  return static_cast<unsigned>(tokens.size()) - 1;
}

bool looks_like_python_api(const std::string& word) {
  return word.rfind("Py", 0) == 0 || word.rfind("_Py", 0) == 0 || word.rfind("__Pyx", 0) == 0;
}

// The index of the "(" that opens the parentheses enclosing `at`, if any.
std::optional<std::size_t> enclosing_open_paren(const std::vector<std::string>& tokens, std::size_t at) {
  int depth = 0;
  for (std::size_t i = at; i-- > 0;) {
    if (tokens[i] == ")") ++depth;
    if (tokens[i] == "(" && depth-- == 0) return i;
  }
  return std::nullopt;
}

// A statement that only reports an error: a call that sets one, `return NULL`, `return -1`
// or `goto label`.
bool error_statement(const std::vector<std::string>& statement) {
  if (statement.empty()) return false;
  const std::string& first = statement.front();
  if (first == "return") {
    return statement == std::vector<std::string>{"return", "NULL"} ||
           statement == std::vector<std::string>{"return", "-", "1"};
  }
  if (first == "goto") return statement.size() == 2;
  std::string_view call = first;
  if (call.starts_with("_")) call.remove_prefix(1);
  return call.starts_with("PyErr_Set") || call.starts_with("PyErr_Format") || call.starts_with("PyErr_Bad") ||
         call == "PyErr_NoMemory";
}

// Whether the function named by the token at an index only raises (a helper such as
// `return raise_error(self, "msg");`); empty when no helper may be followed.
using RaisingHelper = std::function<bool(std::size_t)>;

// One statement's tokens and where each stands in the function's tokens.
struct Statement {
  std::vector<std::string> tokens;
  std::vector<std::size_t> at;
};

// Locals the function allocates a lock into (`mutex = PyThread_allocate_lock();`, not
// `self->lock = ...`). Such a lock is made per call: no other call of the function, and no
// other function, takes it, so holding it guards no global against them. _testinternalcapi's
// pending_identify acquires one twice to wait for a callback it hands the lock to; its
// writes to a global between those calls are not under a lock.
std::set<std::string> locks_allocated_into_locals(const std::vector<std::string>& spelled) {
  // Declared in the body (after its "{": a parameter's lock is the caller's) and not
  // `static`; a global of that name is not one.
  std::set<std::string> declared;
  auto body = std::find(spelled.begin(), spelled.end(), "{");
  for (auto at = body; at != spelled.end() && at + 1 != spelled.end(); ++at) {
    if (*at == "PyThread_type_lock" && *(at - 1) != "static") declared.insert(*(at + 1));
  }
  std::set<std::string> names;
  for (std::size_t i = 1; i + 2 < spelled.size(); ++i) {
    if (spelled[i + 1] != "=" || spelled[i + 2] != "PyThread_allocate_lock") continue;
    if (spelled[i - 1] == "->" || spelled[i - 1] == "." || !declared.contains(spelled[i])) continue;
    names.insert(spelled[i]);
  }
  return names;
}

// The statements of the block whose "{" is at `body`, or the one statement starting there.
std::vector<Statement> statements_at(const std::vector<std::string>& tokens, const std::vector<CXTokenKind>& kinds,
                                     std::size_t body) {
  const bool braced = body < tokens.size() && tokens[body] == "{";
  std::vector<Statement> statements(1);
  int depth = 0;
  for (std::size_t i = braced ? body + 1 : body; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (kinds[i] == CXToken_Comment) continue;  // the unit may keep comments as tokens
    if (depth == 0 && braced && token == "}") break;
    if (token == "(" || token == "{" || token == "[") ++depth;
    if (token == ")" || token == "}" || token == "]") --depth;
    if (depth == 0 && token == ";") {
      if (!braced) break;
      statements.emplace_back();
      continue;
    }
    statements.back().tokens.push_back(token);
    statements.back().at.push_back(i);
  }
  if (statements.back().tokens.empty()) statements.pop_back();
  return statements;
}

// `return helper(...)` where the helper only raises: it returns the helper's NULL.
bool returns_raising_helper(const Statement& statement, const RaisingHelper& raising_helper) {
  const std::vector<std::string>& words = statement.tokens;
  if (!raising_helper || words.size() < 4 || words[0] != "return" || words[2] != "(" || words.back() != ")") {
    return false;
  }
  return closing_paren(words, 2) == words.size() - 1 && raising_helper(statement.at[1]);
}

// Statements that only set an error and leave (`PyErr_Format(...); return NULL;`).
bool only_raise(const std::vector<Statement>& statements, const RaisingHelper& raising_helper) {
  if (statements.empty()) return false;
  const std::string& last = statements.back().tokens.front();
  return (last == "return" || last == "goto") && std::all_of(statements.begin(), statements.end(), [&](const auto& s) {
           return error_statement(s.tokens) || returns_raising_helper(s, raising_helper);
         });
}

// Whether the `if` whose condition holds the token at `at` only raises: its branch sets an
// error and leaves (`{ PyErr_Format(...); return NULL; }`, or returns a helper of the unit
// that does), deciding nothing about the object. CPython's own tests check a reference was
// handed over this way.
bool condition_of_raising_branch(const std::vector<std::string>& tokens, const std::vector<CXTokenKind>& kinds,
                                 std::size_t at, const RaisingHelper& raising_helper) {
  std::optional<std::size_t> open = enclosing_open_paren(tokens, at);
  while (open && !(*open > 0 && tokens[*open - 1] == "if")) open = enclosing_open_paren(tokens, *open);
  if (!open) return false;
  std::size_t body = closing_paren(tokens, static_cast<unsigned>(*open)) + 1;
  return only_raise(statements_at(tokens, kinds, body), raising_helper);
}

// Whether the function `token` names is defined in this unit and its body only raises:
// the error statements of a branch, ending in `return NULL` or `return -1`.
bool names_raising_helper(SourceMap& map, CXToken token) {
  CXTranslationUnit unit = map.unit();
  CXCursor callee = clang_getCursorReferenced(clang_getCursor(unit, clang_getTokenLocation(unit, token)));
  if (clang_Cursor_isNull(callee) || clang_getCursorKind(callee) != CXCursor_FunctionDecl) return false;
  CXCursor definition = clang_getCursorDefinition(callee);
  if (clang_Cursor_isNull(definition)) return false;
  CXToken* tokens = nullptr;
  unsigned count = 0;
  clang_tokenize(unit, map.file_range(clang_getCursorExtent(definition)), &tokens, &count);
  std::vector<std::string> spelled(count);
  std::vector<CXTokenKind> kinds(count);
  for (unsigned i = 0; i < count; ++i) {
    spelled[i] = take(clang_getTokenSpelling(unit, tokens[i]));
    kinds[i] = clang_getTokenKind(tokens[i]);
  }
  clang_disposeTokens(unit, tokens, count);
  auto body = std::find(spelled.begin(), spelled.end(), "{");
  if (body == spelled.end()) return false;
  std::vector<Statement> statements = statements_at(spelled, kinds, body - spelled.begin());
  // Not followed further: a helper that returns another helper is not looked into.
  return !statements.empty() && statements.back().tokens.front() == "return" && only_raise(statements, {});
}

// Py_REFCNT(x) compared with 1 or 2 decides "am I the only owner?", which another
// thread can change at any moment on a free-threaded build.
void record_refcnt_test(const std::vector<std::string>& tokens, const std::vector<CXTokenKind>& kinds, std::size_t at,
                        const SourceLocation& where, const std::string& function, const RaisingHelper& raising_helper,
                        std::vector<PatternFact>& patterns) {
  static const std::set<std::string> comparisons = {"==", "!=", "<", "<=", ">", ">="};
  std::size_t close = at + 1;
  for (int depth = 0; close < tokens.size(); ++close) {
    if (tokens[close] == "(") ++depth;
    if (tokens[close] == ")" && --depth == 0) break;
  }
  auto small_literal = [&](std::size_t i) {
    return i < tokens.size() && kinds[i] == CXToken_Literal && (tokens[i] == "1" || tokens[i] == "2");
  };
  bool after = close + 2 < tokens.size() && comparisons.count(tokens[close + 1]) && small_literal(close + 2);
  bool before = at >= 2 && comparisons.count(tokens[at - 1]) && small_literal(at - 2);
  if ((after || before) && !condition_of_raising_branch(tokens, kinds, at, raising_helper)) {
    std::string text = before ? tokens[at - 2] + " " + tokens[at - 1] + " Py_REFCNT(...)"
                              : "Py_REFCNT(...) " + tokens[close + 1] + " " + tokens[close + 2];
    patterns.push_back({PatternFact::Kind::refcnt_uniqueness, where, function, text});
  }
}

}  // namespace

// The spans are in source order and do not overlap (the scan resumes after each one's
// ")"), so the last one starting at or before `offset` is the only candidate: a lookup per
// local use stays logarithmic in the number of asserts.
bool FunctionTokens::in_assert(unsigned offset) const {
  auto after = std::upper_bound(assert_spans.begin(), assert_spans.end(), offset,
                                [](unsigned at, const auto& span) { return at < span.first; });
  return after != assert_spans.begin() && offset <= std::prev(after)->second;
}

Region region_at(const std::vector<Region>& regions, unsigned offset) {
  Region current{0, 0, 0};
  for (const Region& region : regions) {
    if (region.offset > offset) break;
    current = region;
  }
  return current;
}

std::vector<std::string> macro_arguments(const std::vector<std::string>& tokens, std::size_t open) {
  std::vector<std::string> args;
  std::string current;
  int depth = 0;
  for (std::size_t i = open; i < tokens.size(); ++i) {
    const std::string& token = tokens[i];
    if (token == "(" || token == "[" || token == "{") {
      if (depth++ == 0) continue;
    } else if (token == ")" || token == "]" || token == "}") {
      if (--depth == 0) {
        if (!current.empty()) args.push_back(current);
        break;
      }
    } else if (token == "," && depth == 1) {
      args.push_back(current);
      current.clear();
      continue;
    }
    current += token;
  }
  return args;
}

// Where the preprocessor directive whose `#` is at `hash` ends: the first newline not
// continued by a backslash.
unsigned directive_end(std::string_view text, unsigned hash) {
  std::size_t at = hash;
  while ((at = text.find('\n', at)) != std::string_view::npos) {
    std::size_t before = at;
    while (before > hash && (text[before - 1] == '\r' || text[before - 1] == ' ' || text[before - 1] == '\t')) --before;
    if (before == hash || text[before - 1] != '\\') return static_cast<unsigned>(at);
    ++at;
  }
  return static_cast<unsigned>(text.size());
}

FunctionTokens scan_function_tokens(SourceMap& map, CXCursor function, const std::string& function_name,
                                    std::vector<PatternFact>& patterns) {
  FunctionTokens result;
  CXTranslationUnit unit = map.unit();
  CXToken* tokens = nullptr;
  unsigned count = 0;
  clang_tokenize(unit, map.file_range(clang_getCursorExtent(function)), &tokens, &count);
  std::vector<std::string> spelled(count);
  std::vector<CXTokenKind> kinds(count);
  std::vector<Position> positions(count);
  for (unsigned i = 0; i < count; ++i) {
    spelled[i] = take(clang_getTokenSpelling(unit, tokens[i]));
    kinds[i] = clang_getTokenKind(tokens[i]);
    positions[i] = position(clang_getTokenLocation(unit, tokens[i]));
    if (kinds[i] != CXToken_Comment && !map.is_skipped(positions[i]))
      result.body.push_back({spelled[i], positions[i].offset});
  }
  const std::set<std::string> per_call_locks = locks_allocated_into_locals(spelled);
  // A lock call on one of them changes no region (see locks_allocated_into_locals).
  auto on_per_call_lock = [&](unsigned i) {
    return i + 2 < count && spelled[i + 1] == "(" && per_call_locks.contains(spelled[i + 2]);
  };
  int critical = 0, locks = 0;
  // The declarator before the body names the function itself: `int Py_thing(void) {` is no use.
  bool in_body = false;
  unsigned directive_until = 0;  // the end of the `#...` directive being read, if any
  unsigned previous_line = 0;
  for (unsigned i = 0; i < count; ++i) {
    const Position& token_at = positions[i];
    if (kinds[i] == CXToken_Punctuation && spelled[i] == "#" && (i == 0 || token_at.line != previous_line)) {
      directive_until = directive_end(map.file_text(token_at.file), token_at.offset);
    }
    previous_line = token_at.line;
    if (!in_body && kinds[i] == CXToken_Punctuation && spelled[i] == "{") in_body = true;
    if (kinds[i] != CXToken_Identifier) continue;
    const std::string& word = spelled[i];
    // assert(...) compiles to nothing in release builds and decides nothing at run time.
    if ((word == "assert" || word == "Py_DEBUG_ASSERT") && i + 1 < count && spelled[i + 1] == "(") {
      // From the macro's name: what it expands to is located there.
      unsigned first = token_at.offset;
      i = closing_paren(spelled, i + 1);
      result.assert_spans.emplace_back(first, positions[i].offset);
      continue;
    }
    const Position& at = token_at;
    if (map.is_skipped(at)) continue;
    SourceLocation where{map.file_name(at.file), at.line, at.column};
    bool call = i + 1 < count && spelled[i + 1] == "(";
    if (word.rfind("Py_BEGIN_CRITICAL_SECTION", 0) == 0) {
      if (critical > 0 && word == "Py_BEGIN_CRITICAL_SECTION") {
        patterns.push_back({PatternFact::Kind::nested_critical_section, where, function_name, word});
      }
      result.regions.push_back({at.offset, ++critical, locks});
    } else if (word.rfind("Py_END_CRITICAL_SECTION", 0) == 0) {
      result.regions.push_back({at.offset, critical = std::max(0, critical - 1), locks});
    } else if (is_lock_call(word) && !on_per_call_lock(i)) {
      result.regions.push_back({at.offset, critical, ++locks});
    } else if (is_unlock_call(word) && !on_per_call_lock(i)) {
      result.regions.push_back({at.offset, critical, locks = std::max(0, locks - 1)});
    } else if (word == "Py_REFCNT" && call) {
      auto raising_helper = [&](std::size_t callee) { return names_raising_helper(map, tokens[callee]); };
      record_refcnt_test(spelled, kinds, i, where, function_name, raising_helper, patterns);
    }
    if (call && in_body && looks_like_python_api(word)) {
      result.macro_uses.push_back(
          {word, where, at.offset, macro_arguments(spelled, i + 1), at.offset < directive_until});
    }
  }
  clang_disposeTokens(unit, tokens, count);
  return result;
}

}  // namespace subcheck::reader
