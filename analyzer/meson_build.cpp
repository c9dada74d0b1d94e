// Reading meson.build's extension_module(...) calls for their literal flags, never running meson.
#include "analyzer/meson_build.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/safe_file.h"

namespace subcheck {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxExpressionDepth = 64;  // nested brackets and calls in one expression
constexpr std::size_t kMaxValueDepth = 32;       // arrays inside arrays, through variables too
constexpr std::size_t kMaxArrayItems = 10000;    // after `+` and flattening
constexpr std::uintmax_t kMaxTotalBytes = std::uintmax_t{16} << 20;
// Array items built, string bytes joined (per 16) and leaves walked, over all files: what
// keeps `b1 = a + []` repeated 100,000 times from building 10,000 items each time.
constexpr std::size_t kMaxWork = 8'000'000;
constexpr std::size_t kMaxNotes = 500;

// ---------------------------------------------------------------------------------------
// Tokens

enum class Tok { identifier, string, formatted_string, number, punct, newline, end, bad };

struct Token {
  Tok kind = Tok::end;
  std::string text;
  int line = 1;
};

bool is_binary_operator(std::string_view p) {
  for (std::string_view op : {"+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">="}) {
    if (p == op) return true;
  }
  return false;
}

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Newlines inside (), [] and {} are blanks, as meson has them. A string that does not end,
// or a byte meson does not know, is a `bad` token: the statement holding it is skipped.
std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  int line = 1;
  int depth = 0;
  std::size_t i = 0;
  auto push = [&](Tok kind, std::string value, int at) { tokens.push_back({kind, std::move(value), at}); };
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      if (depth == 0) push(Tok::newline, "", line);
      ++line;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '\'' || ((c == 'f') && i + 1 < text.size() && text[i + 1] == '\'')) {
      bool formatted = c == 'f';
      if (formatted) ++i;
      int start_line = line;
      bool triple = text.substr(i, 3) == "'''";
      std::string value;
      bool closed = false;
      if (triple) {
        std::size_t end = text.find("'''", i + 3);
        if (end != std::string_view::npos) {
          value.assign(text.substr(i + 3, end - i - 3));
          for (char v : value) line += v == '\n';
          i = end + 3;
          closed = true;
        } else {
          i = text.size();
        }
      } else {
        for (++i; i < text.size() && text[i] != '\n'; ++i) {
          if (text[i] == '\'') {
            closed = true;
            ++i;
            break;
          }
          if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
            char e = text[++i];
            value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          } else {
            value += text[i];
          }
        }
      }
      push(closed ? (formatted ? Tok::formatted_string : Tok::string) : Tok::bad,
           closed ? std::move(value) : "an unterminated string", start_line);
    } else if (is_ident_start(c)) {
      std::size_t start = i;
      while (i < text.size() && (is_ident_start(text[i]) || is_digit(text[i]))) ++i;
      push(Tok::identifier, std::string(text.substr(start, i - start)), line);
    } else if (is_digit(c)) {
      std::size_t start = i;
      while (i < text.size() && (is_ident_start(text[i]) || is_digit(text[i]))) ++i;
      push(Tok::number, std::string(text.substr(start, i - start)), line);
    } else {
      std::string_view two = text.substr(i, 2);
      if (two == "==" || two == "!=" || two == "<=" || two == ">=" || two == "+=") {
        push(Tok::punct, std::string(two), line);
        i += 2;
        continue;
      }
      if (std::string_view("()[]{},:=.+-*/%<>?").find(c) == std::string_view::npos) {
        push(Tok::bad, "an unexpected character", line);
        ++i;
        continue;
      }
      if (c == '(' || c == '[' || c == '{') ++depth;
      if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
      push(Tok::punct, std::string(1, c), line);
      ++i;
    }
  }
  push(Tok::end, "", line);
  return tokens;
}

// ---------------------------------------------------------------------------------------
// Values: what an expression evaluates to, as far as literals go

struct Value;
using ValuePtr = std::shared_ptr<const Value>;

struct Value {
  enum class Kind { string, array, include_dirs, files, dependency, other };
  Kind kind = Kind::other;
  // string: the text; dependency: its name; other: what it is, for notes ("configure_file()")
  std::string text;
  std::vector<ValuePtr> items;     // array
  std::vector<std::string> paths;  // include_dirs, files: absolute
  std::size_t depth = 0;           // arrays inside arrays
};

ValuePtr make_other(std::string what) {
  auto value = std::make_shared<Value>();
  value->text = std::move(what);
  return value;
}

ValuePtr make_string(std::string text) {
  auto value = std::make_shared<Value>();
  value->kind = Value::Kind::string;
  value->text = std::move(text);
  return value;
}

ValuePtr make_array(std::vector<ValuePtr> items) {
  std::size_t depth = 0;
  for (const ValuePtr& item : items) depth = std::max(depth, item->depth + 1);
  if (depth > kMaxValueDepth) return make_other("an array nested too deeply");
  if (items.size() > kMaxArrayItems) return make_other("an array too large");
  auto value = std::make_shared<Value>();
  value->kind = Value::Kind::array;
  value->items = std::move(items);
  value->depth = depth;
  return value;
}

// The leaves of arrays inside arrays, in order, at most kMaxArrayItems (no recursion).
std::vector<ValuePtr> flatten(const ValuePtr& value) {
  std::vector<ValuePtr> leaves;
  std::vector<std::pair<const Value*, std::size_t>> stack;
  if (value->kind != Value::Kind::array) return {value};
  stack.emplace_back(value.get(), 0);
  while (!stack.empty() && leaves.size() < kMaxArrayItems) {
    auto& [array, next] = stack.back();
    if (next == array->items.size()) {
      stack.pop_back();
      continue;
    }
    const ValuePtr& item = array->items[next++];
    if (item->kind == Value::Kind::array) {
      stack.emplace_back(item.get(), 0);
    } else {
      leaves.push_back(item);
    }
  }
  return leaves;
}

std::string describe(const Value& value) {
  switch (value.kind) {
    case Value::Kind::string: return "'" + value.text + "'";
    case Value::Kind::array: return "an array";
    case Value::Kind::include_dirs: return "include_directories(...)";
    case Value::Kind::files: return "files(...)";
    case Value::Kind::dependency: return "dependency('" + value.text + "')";
    case Value::Kind::other: return value.text;
  }
  return value.text;
}

struct CallArgs {
  std::vector<ValuePtr> positional;
  std::map<std::string, ValuePtr> keyword;
  ValuePtr get(const std::string& name) const {
    auto it = keyword.find(name);
    return it == keyword.end() ? nullptr : it->second;
  }
};

struct SyntaxProblem : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The work budget is spent: reading stops, what was read so far is kept.
struct TooMuchWork {};

enum class Language { c, cpp };

// Flags meant for every target of a language: add_project_arguments / add_global_arguments.
struct ProjectArguments {
  std::vector<std::pair<std::string, std::optional<std::string>>> define_macros[2];
  std::vector<std::string> undef_macros[2];
  std::vector<std::string> include_dirs[2];
};

struct PendingExtension {
  Language language;
  SetupExtension extension;
};

// What all the meson.build files of one project share: meson's variables are global
// across subdir() files.
struct MesonState {
  fs::path tree;  // canonical
  std::map<std::string, ValuePtr> variables;
  std::set<fs::path> visited;
  std::size_t files_read = 0;
  std::size_t work = 0;
  std::size_t notes_dropped = 0;
  std::uintmax_t bytes_read = 0;
  ProjectArguments project;
  std::vector<PendingExtension> extensions;
  SetupPyDeclarations out;
};

// ---------------------------------------------------------------------------------------
// One meson.build: a statement at a time, evaluating what is literal

class MesonFile {
 public:
  MesonFile(MesonState& state, fs::path dir, std::string shown, std::size_t depth)
      : state_(state), dir_(std::move(dir)), shown_(std::move(shown)), depth_(depth) {}

  void run(std::string_view text) {
    tokens_ = tokenize(text);
    int skipped = 0, first_skipped = 0;
    while (peek().kind != Tok::end) {
      if (peek().kind == Tok::newline) {
        ++pos_;
        continue;
      }
      int line = peek().line;
      try {
        statement();
        if (peek().kind != Tok::newline && peek().kind != Tok::end) throw SyntaxProblem("expected the end of the line");
      } catch (const SyntaxProblem&) {
        if (skipped++ == 0) first_skipped = line;
        while (peek().kind != Tok::newline && peek().kind != Tok::end) ++pos_;
      }
    }
    if (skipped > 0) {
      note(first_skipped, std::to_string(skipped) + (skipped == 1 ? " statement" : " statements") +
                              " not understood (the first here) were skipped; what they declare was not applied");
    }
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    std::size_t at = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[at];
  }
  bool at_punct(std::string_view p) const { return peek().kind == Tok::punct && peek().text == p; }
  bool at_word(std::string_view w) const { return peek().kind == Tok::identifier && peek().text == w; }
  void expect(std::string_view p) {
    if (!at_punct(p)) throw SyntaxProblem("expected " + std::string(p));
    ++pos_;
  }

  void spend(std::size_t units) {
    state_.work += units;
    if (state_.work > kMaxWork) throw TooMuchWork{};
  }

  std::vector<ValuePtr> leaves(const ValuePtr& value) {
    std::vector<ValuePtr> found = flatten(value);
    spend(found.size());
    return found;
  }

  void note(int line, const std::string& message) {
    spend(1);
    if (state_.out.notes.size() >= kMaxNotes) {
      ++state_.notes_dropped;
      return;
    }
    state_.out.notes.push_back(shown_ + ":" + std::to_string(line) + ": " + message);
  }

  fs::path in_dir(const std::string& relative) const { return (dir_ / relative).lexically_normal(); }

  // --- statements

  void statement() {
    if (at_word("if") || at_word("elif")) {
      if (at_word("if")) ++conditional_;
      ++pos_;
      expression();
    } else if (at_word("else") || at_word("break") || at_word("continue")) {
      ++pos_;
    } else if (at_word("endif") || at_word("endforeach")) {
      if (conditional_ > 0) --conditional_;
      ++pos_;
    } else if (at_word("foreach")) {
      ++pos_;
      ++conditional_;
      do {
        if (peek().kind != Tok::identifier) throw SyntaxProblem("expected a loop variable");
        state_.variables[peek().text] = make_other("the loop variable '" + peek().text + "'");
        ++pos_;
      } while (at_punct(",") && ++pos_);
      expect(":");
      expression();
    } else if (peek().kind == Tok::identifier && peek(1).kind == Tok::punct &&
               (peek(1).text == "=" || peek(1).text == "+=")) {
      assignment();
    } else {
      expression();
    }
  }

  // A variable keeps a literal only when assigned outside if/foreach: one assigned in a
  // branch may or may not hold it afterwards.
  void assignment() {
    std::string name = peek().text;
    bool append = peek(1).text == "+=";
    pos_ += 2;
    ValuePtr value = expression();
    if (append) value = plus(variable(name), value);
    if (conditional_ > 0) value = make_other("'" + name + "', assigned inside an if or foreach block");
    state_.variables[name] = value;
  }

  ValuePtr variable(const std::string& name) const {
    auto it = state_.variables.find(name);
    if (it != state_.variables.end()) return it->second;
    return make_other("'" + name + "', not assigned a literal before");
  }

  // --- expressions

  struct DepthGuard {
    explicit DepthGuard(std::size_t& depth) : depth_(depth) {
      if (++depth_ > kMaxExpressionDepth) {
        --depth_;
        throw SyntaxProblem("nested too deeply");
      }
    }
    ~DepthGuard() { --depth_; }
    std::size_t& depth_;
  };

  ValuePtr plus(const ValuePtr& left, const ValuePtr& right) {
    if (left->kind == Value::Kind::string && right->kind == Value::Kind::string) {
      spend((left->text.size() + right->text.size()) / 16 + 1);
      if (left->text.size() + right->text.size() > kMaxSetupPyBytes) return make_other("a string too long");
      return make_string(left->text + right->text);
    }
    if (left->kind == Value::Kind::array) {
      spend(left->items.size() + right->items.size());
      std::vector<ValuePtr> items = left->items;
      if (right->kind == Value::Kind::array) {
        if (items.size() + right->items.size() > kMaxArrayItems) return make_other("an array too large");
        items.insert(items.end(), right->items.begin(), right->items.end());
      } else {
        spend(1);
        items.push_back(right);
      }
      return make_array(std::move(items));
    }
    if (left->kind == Value::Kind::other) return left;
    if (right->kind == Value::Kind::other) return right;
    return make_other("an expression");
  }

  ValuePtr expression() {
    DepthGuard guard(expression_depth_);
    ValuePtr value = unary();
    for (;;) {
      if (at_punct("?")) {
        ++pos_;
        expression();
        expect(":");
        expression();
        value = make_other("a conditional expression");
      } else if (peek().kind == Tok::punct && is_binary_operator(peek().text)) {
        bool is_plus = peek().text == "+";
        ++pos_;
        ValuePtr right = unary();
        value = is_plus ? plus(value, right) : make_other("an expression");
      } else if (at_word("and") || at_word("or") || at_word("in") ||
                 (at_word("not") && peek(1).kind == Tok::identifier && peek(1).text == "in")) {
        pos_ += at_word("not") ? 2 : 1;
        unary();
        value = make_other("an expression");
      } else {
        return value;
      }
    }
  }

  ValuePtr unary() {
    DepthGuard guard(expression_depth_);
    if (at_word("not") || at_punct("-")) {
      ++pos_;
      unary();
      return make_other("an expression");
    }
    ValuePtr value = primary();
    for (;;) {
      if (at_punct(".")) {
        ++pos_;
        if (peek().kind != Tok::identifier) throw SyntaxProblem("expected a method name");
        std::string method = peek().text;
        int line = peek().line;
        ++pos_;
        expect("(");
        CallArgs args = arguments();
        value = call_method(method, line, args);
      } else if (at_punct("[")) {
        ++pos_;
        expression();
        expect("]");
        value = make_other("an indexed value");
      } else {
        return value;
      }
    }
  }

  ValuePtr primary() {
    const Token& token = peek();
    switch (token.kind) {
      case Tok::string: ++pos_; return make_string(token.text);
      case Tok::formatted_string: ++pos_; return make_other("a format string");
      case Tok::number: ++pos_; return make_other("a number");
      case Tok::identifier: {
        std::string name = token.text;
        int line = token.line;
        ++pos_;
        if (at_punct("(")) {
          ++pos_;
          CallArgs args = arguments();
          return call_function(name, line, args);
        }
        if (name == "true" || name == "false") return make_other("a boolean");
        return variable(name);
      }
      case Tok::punct:
        if (token.text == "(") {
          ++pos_;
          ValuePtr value = expression();
          expect(")");
          return value;
        }
        if (token.text == "[") {
          ++pos_;
          std::vector<ValuePtr> items;
          while (!at_punct("]")) {
            spend(1);
            items.push_back(expression());
            if (!at_punct(",")) break;
            ++pos_;
          }
          expect("]");
          return make_array(std::move(items));
        }
        if (token.text == "{") {
          ++pos_;
          while (!at_punct("}")) {
            expression();
            expect(":");
            expression();
            if (!at_punct(",")) break;
            ++pos_;
          }
          expect("}");
          return make_other("a dictionary");
        }
        break;
      default: break;
    }
    throw SyntaxProblem("expected a value");
  }

  // After '(': positional and keyword arguments up to the closing ')'.
  CallArgs arguments() {
    CallArgs args;
    while (!at_punct(")")) {
      if (peek().kind == Tok::identifier && peek(1).kind == Tok::punct && peek(1).text == ":") {
        std::string name = peek().text;
        pos_ += 2;
        args.keyword[name] = expression();
      } else {
        args.positional.push_back(expression());
      }
      if (!at_punct(",")) break;
      ++pos_;
    }
    expect(")");
    return args;
  }

  // --- the calls that matter

  // Literal strings of `values` as absolute paths in this folder; the rest are notes.
  std::vector<std::string> literal_paths(const std::vector<ValuePtr>& values, int line, const std::string& what) {
    std::vector<std::string> paths;
    for (const ValuePtr& value : values) {
      for (const ValuePtr& leaf : leaves(value)) {
        if (leaf->kind == Value::Kind::string) {
          paths.push_back(in_dir(leaf->text).string());
        } else if (leaf->kind == Value::Kind::files || leaf->kind == Value::Kind::include_dirs) {
          paths.insert(paths.end(), leaf->paths.begin(), leaf->paths.end());
        } else {
          note(line, what + " " + describe(*leaf) + " is not a literal; not applied");
        }
      }
    }
    return paths;
  }

  ValuePtr call_function(const std::string& name, int line, const CallArgs& args) {
    if (name == "include_directories" || name == "files") {
      auto value = std::make_shared<Value>();
      value->kind = name == "files" ? Value::Kind::files : Value::Kind::include_dirs;
      value->paths = literal_paths(args.positional, line, "an argument of " + name + "(...),");
      return value;
    }
    if (name == "dependency") {
      if (!args.positional.empty() && args.positional[0]->kind == Value::Kind::string) {
        auto value = std::make_shared<Value>();
        value->kind = Value::Kind::dependency;
        value->text = args.positional[0]->text;
        return value;
      }
      return make_other("dependency(...) of a name that is not a literal");
    }
    if (name == "subdir") {
      if (args.positional.empty() || args.positional[0]->kind != Value::Kind::string) {
        note(line, "subdir(...) of a name that is not a literal; that folder's meson.build was not read");
      } else {
        follow_subdir(args.positional[0]->text, line);
      }
      return make_other("subdir()");
    }
    if (name == "add_project_arguments" || name == "add_global_arguments") {
      project_arguments(name, line, args);
      return make_other(name + "()");
    }
    if (name == "configure_file") {
      note(line, "configure_file(...) writes a file when meson configures; what it defines was not applied");
    }
    return make_other(name + "(...)");
  }

  ValuePtr call_method(const std::string& method, int line, const CallArgs& args) {
    if (method == "extension_module") {
      extension_module(line, args);
      return make_other("extension_module(...)");
    }
    if (method == "dependency") {  // py.dependency(): Python's headers, which inference adds
      auto value = std::make_shared<Value>();
      value->kind = Value::Kind::dependency;
      value->text = "python";
      return value;
    }
    return make_other("the result of ." + method + "(...)");
  }

  void follow_subdir(const std::string& name, int line) {
    fs::path file = in_dir(name) / "meson.build";
    std::string shown = (fs::path(shown_).parent_path() / name / "meson.build").lexically_normal().string();
    auto not_read = [&](const std::string& why) {
      state_.out.warnings.push_back(shown_ + ":" + std::to_string(line) + ": subdir('" + name + "'): " + shown +
                                    " not read (" + why + "); what it declares was not applied");
    };
    std::error_code ec;
    if (depth_ + 1 > kMaxMesonDepth) return not_read("more than " + std::to_string(kMaxMesonDepth) + " levels deep");
    if (state_.files_read >= kMaxMesonFiles)
      return not_read("more than " + std::to_string(kMaxMesonFiles) + " meson.build files");
    if (!fs::exists(fs::symlink_status(file, ec))) return not_read("there is no such file");
    fs::path canonical = fs::canonical(file, ec);
    if (ec || !is_within(canonical, state_.tree)) return not_read("it leads out of the scanned tree");
    if (!state_.visited.insert(canonical).second) return not_read("it was read already");
    read_file(state_, file, shown, depth_ + 1);
  }

  // -D/-U/-I of `values` go to the extension; everything else is one note.
  void take_flags(const std::vector<ValuePtr>& values, int line, const std::string& what,
                  std::vector<std::pair<std::string, std::optional<std::string>>>& defines,
                  std::vector<std::string>& undefs, std::vector<std::string>& includes) {
    std::vector<std::string> strings;
    for (const ValuePtr& value : values) {
      for (const ValuePtr& leaf : leaves(value)) {
        if (leaf->kind == Value::Kind::string) {
          strings.push_back(leaf->text);
        } else {
          note(line, "a " + what + " entry, " + describe(*leaf) + ", is not a literal; not applied");
        }
      }
    }
    std::string others;
    for (std::size_t i = 0; i < strings.size(); ++i) {
      std::string flag = strings[i];
      std::string_view kind = std::string_view(flag).substr(0, 2);
      if ((kind == "-D" || kind == "-U" || kind == "-I") && flag.size() == 2 && i + 1 < strings.size()) {
        flag += strings[++i];  // "-D", "NAME"
      }
      std::string rest = flag.size() > 2 ? flag.substr(2) : std::string();
      if (kind == "-D" && !rest.empty()) {
        std::size_t equals = rest.find('=');
        if (equals == std::string::npos) {
          defines.emplace_back(rest, std::nullopt);
        } else {
          defines.emplace_back(rest.substr(0, equals), rest.substr(equals + 1));
        }
      } else if (kind == "-U" && !rest.empty()) {
        undefs.push_back(rest);
      } else if (kind == "-I" && !rest.empty()) {
        includes.push_back(in_dir(rest).string());
      } else {
        others += (others.empty() ? "" : ", ") + flag;
      }
    }
    if (!others.empty()) note(line, what + " " + others + " not applied (only -D, -U and -I are)");
  }

  void project_arguments(const std::string& name, int line, const CallArgs& args) {
    std::vector<Language> languages;
    if (ValuePtr language = args.get("language")) {
      for (const ValuePtr& leaf : leaves(language)) {
        if (leaf->kind == Value::Kind::string && leaf->text == "c") languages.push_back(Language::c);
        if (leaf->kind == Value::Kind::string && leaf->text == "cpp") languages.push_back(Language::cpp);
      }
    }
    if (languages.empty()) {
      note(line, name + "(...) for no language read as literal 'c' or 'cpp'; not applied");
      return;
    }
    ProjectArguments& project = state_.project;
    for (Language language : languages) {
      auto l = static_cast<std::size_t>(language);
      // Notes once, for the first language.
      if (language == languages.front()) {
        take_flags(args.positional, line, name, project.define_macros[l], project.undef_macros[l],
                   project.include_dirs[l]);
      } else {
        std::size_t first = static_cast<std::size_t>(languages.front());
        project.define_macros[l] = project.define_macros[first];
        project.undef_macros[l] = project.undef_macros[first];
        project.include_dirs[l] = project.include_dirs[first];
      }
    }
  }

  void extension_module(int line, const CallArgs& args) {
    SetupExtension base;
    base.line = line;
    if (!args.positional.empty() && args.positional[0]->kind == Value::Kind::string)
      base.name = args.positional[0]->text;
    std::vector<ValuePtr> source_values(
        args.positional.size() > 1 ? args.positional.begin() + 1 : args.positional.end(), args.positional.end());
    if (ValuePtr sources = args.get("sources")) source_values.push_back(sources);
    std::string which = "extension_module('" + base.name + "')";
    std::vector<std::string> sources = literal_paths(source_values, line, "a source of " + which + ",");
    if (ValuePtr dirs = args.get("include_directories")) {
      base.include_dirs = literal_paths({dirs}, line, "include_directories of " + which + ",");
    }
    if (ValuePtr dependencies = args.get("dependencies")) {
      for (const ValuePtr& leaf : leaves(dependencies)) {
        if (leaf->kind == Value::Kind::dependency &&
            (leaf->text == "python" || leaf->text == "python3" || leaf->text == "numpy"))
          continue;  // inference adds Python's and NumPy's headers
        note(line, "a dependency of " + which + ", " + describe(*leaf) +
                       ", was not applied (meson finds its flags when it configures; supply them with "
                       "--extra-arg=-IDIR if its headers are not in the default search path)");
      }
    }
    for (Language language : {Language::c, Language::cpp}) {
      PendingExtension pending{language, base};
      pending.extension.sources.emplace();
      for (const std::string& source : sources) {
        if ((fs::path(source).extension() == ".c") == (language == Language::c))
          pending.extension.sources->push_back(source);
      }
      if (pending.extension.sources->empty()) continue;
      ValuePtr args_value = args.get(language == Language::c ? "c_args" : "cpp_args");
      if (args_value) {
        take_flags({args_value}, line, language == Language::c ? "c_args" : "cpp_args", pending.extension.define_macros,
                   pending.extension.undef_macros, pending.extension.include_dirs);
      }
      state_.extensions.push_back(std::move(pending));
    }
  }

 public:
  // Reads one meson.build (already checked to be inside the tree) and runs it.
  static void read_file(MesonState& state, const fs::path& file, const std::string& shown, std::size_t depth) {
    std::string text;
    try {
      text = read_regular_file(file, kMaxSetupPyBytes);
    } catch (const std::runtime_error&) {
      state.out.warnings.push_back(shown + ": not read (" +
                                   regular_file_problem(file, kMaxSetupPyBytes).value_or("cannot be read") +
                                   "); what it declares was not applied");
      return;
    }
    ++state.files_read;
    state.bytes_read += text.size();
    if (state.bytes_read > kMaxTotalBytes) {
      state.out.warnings.push_back(shown + ": not read (the meson.build files hold more than 16 MiB together)");
      return;
    }
    MesonFile(state, file.parent_path(), shown, depth).run(text);
  }

 private:
  MesonState& state_;
  fs::path dir_;
  std::string shown_;
  std::size_t depth_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  std::size_t conditional_ = 0;
  std::size_t expression_depth_ = 0;
};

// The project's arguments of the extension's language come first, as meson orders them.
SetupExtension with_project_arguments(const PendingExtension& pending, const ProjectArguments& project) {
  auto l = static_cast<std::size_t>(pending.language);
  SetupExtension extension = pending.extension;
  auto prepend = [](auto& own, const auto& shared) { own.insert(own.begin(), shared.begin(), shared.end()); };
  prepend(extension.define_macros, project.define_macros[l]);
  prepend(extension.undef_macros, project.undef_macros[l]);
  prepend(extension.include_dirs, project.include_dirs[l]);
  return extension;
}

}  // namespace

std::optional<SetupPyDeclarations> read_meson_build(const fs::path& root, const fs::path& tree) noexcept {
  try {
    fs::path file = root / "meson.build";
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(file, ec)) || ec) return std::nullopt;
    MesonState state;
    state.tree = tree;
    fs::path canonical = fs::canonical(file, ec);
    if (ec || !is_within(canonical, tree)) {
      state.out.warnings.push_back(file.string() + ": not read (a symlink that leads out of the scanned tree)");
      return state.out;
    }
    state.visited.insert(canonical);
    try {
      MesonFile::read_file(state, file, file.string(), 0);
    } catch (const TooMuchWork&) {
      state.out.warnings.push_back(file.string() +
                                   ": reading stopped (its values grew too large to follow); what the rest "
                                   "declares was not applied");
    }
    if (state.notes_dropped > 0) {
      state.out.notes.push_back(file.string() + ": " + std::to_string(state.notes_dropped) +
                                " more notes on meson.build files not shown");
    }
    for (const PendingExtension& pending : state.extensions) {
      state.out.extensions.push_back(with_project_arguments(pending, state.project));
    }
    return state.out;
  } catch (const std::exception& error) {  // std::bad_alloc, a filesystem error
    SetupPyDeclarations out;
    out.warnings.push_back((root / "meson.build").string() + ": not read (" + error.what() + ")");
    return out;
  }
}

}  // namespace subcheck
