// Reading setup.py's Extension(...) calls with Python's ast module, never running them.
#include "analyzer/setup_py.h"

#include <sys/wait.h>

#include <chrono>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/process.h"
#include "core/safe_file.h"

namespace subcheck {
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kParseTimeout{5};
constexpr std::string_view kMarker = "SUBCHECK-SETUP-PY:";

// stdin: the length of setup.py's text, a newline, that text, then setup.cfg's text (if any).
// Parses setup.py with ast and evaluates literals only (ast.literal_eval builds constants and
// containers from the tree; it calls nothing). The project's code is never imported.
constexpr const char* kReadScript = R"PY(import ast, json, sys
out = {"extensions": [], "not_literal": [], "error": None, "build_ext": None, "cfg_error": None}
data = sys.stdin.buffer.read()
head = data.index(b"\n")
size = int(data[:head])
source, cfg = data[head + 1:head + 1 + size], data[head + 1 + size:]
if cfg:
    try:
        import configparser
        parser = configparser.RawConfigParser(strict=False)
        parser.read_string(cfg.decode("utf-8", "replace"), "setup.cfg")
        if parser.has_section("build_ext"):
            options = {k.replace("-", "_"): v for k, v in parser.items("build_ext")}
            split = lambda key, sep: [x.strip() for x in options.get(key, "").split(sep) if x.strip()]
            out["build_ext"] = {"define_macros": [[x, "1"] for x in split("define", ",")],
                                "undef_macros": split("undef", ","), "include_dirs": split("include_dirs", ":")}
    except Exception as e:
        out["cfg_error"] = type(e).__name__
try:
    tree = ast.parse(source, "setup.py")
except SyntaxError as e:
    out["error"] = "syntax error at line %s" % (e.lineno or 0)
    tree = None
except (ValueError, MemoryError, RecursionError) as e:
    out["error"] = "cannot be parsed (%s)" % type(e).__name__
    tree = None
if tree is not None:
    try:
        stores = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                stores[node.id] = stores.get(node.id, 0) + 1
        # A list changed in place after it is assigned (`macros.append(...)` under an
        # os.uname() test, as pylibacl does) is not the literal it was assigned.
        changed = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                    and node.func.attr in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse"):
                changed.setdefault(node.func.value.id, node.lineno)
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)) and isinstance(node.value, ast.Name):
                changed.setdefault(node.value.id, node.lineno)
        top = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                top[node.targets[0].id] = node.value
        # Lists built at module level by platform tests (`macros = []`, then
        # `if os.uname()[0] == "Linux": macros.append(...)`), replayed as on Linux, where the
        # scan runs. A test this cannot decide, or any other change, leaves the list unread.
        def dotted(node):
            if isinstance(node, ast.Name):
                return node.id
            if isinstance(node, ast.Attribute):
                inner = dotted(node.value)
                return inner + "." + node.attr if inner else None
            if isinstance(node, ast.Call) and not node.args and not node.keywords:
                inner = dotted(node.func)
                return inner + "()" if inner else None
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == 0:
                inner = dotted(node.value)
                return inner + "[0]" if inner else None
            return None
        linux = {"sys.platform": "linux", "os.name": "posix", "platform.system()": "Linux",
                 "os.uname()[0]": "Linux", "os.uname().sysname": "Linux", "platform.uname()[0]": "Linux",
                 "platform.uname().system": "Linux"}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and stores.get(node.targets[0].id) == 1:
                known = dotted(node.value)
                if known in linux:
                    linux[node.targets[0].id] = linux[known]
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple) \
                    and node.targets[0].elts and isinstance(node.targets[0].elts[0], ast.Name) \
                    and dotted(node.value) in ("os.uname()", "platform.uname()") \
                    and stores.get(node.targets[0].elts[0].id) == 1:
                linux[node.targets[0].elts[0].id] = "Linux"
        def platform_value(node):
            return linux.get(dotted(node)) if dotted(node) else None
        def strings(node):
            try:
                v = ast.literal_eval(node)
            except Exception:
                return None
            if isinstance(v, str):
                return (v,)
            if isinstance(v, (tuple, list)) and all(isinstance(x, str) for x in v):
                return tuple(v)
            return None
        def decide(test):
            if isinstance(test, ast.BoolOp):
                parts = [decide(v) for v in test.values]
                if isinstance(test.op, ast.And):
                    return False if False in parts else (None if None in parts else True)
                return True if True in parts else (None if None in parts else False)
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                inner = decide(test.operand)
                return None if inner is None else not inner
            if isinstance(test, ast.Compare) and len(test.ops) == 1:
                left, right = test.left, test.comparators[0]
                value, other = platform_value(left), right
                if value is None:
                    value, other = platform_value(right), left
                choices = strings(other)
                if value is None or choices is None:
                    return None
                op = test.ops[0]
                if isinstance(op, (ast.Eq, ast.NotEq)) and len(choices) == 1:
                    return (value == choices[0]) == isinstance(op, ast.Eq)
                if isinstance(op, (ast.In, ast.NotIn)):
                    return (value in choices) == isinstance(op, ast.In)
                return None
            if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "startswith" \
                    and len(test.args) == 1 and not test.keywords:
                value, choices = platform_value(test.func.value), strings(test.args[0])
                if value is None or choices is None:
                    return None
                return value.startswith(choices)
            return None
        built, lost, taken = {}, set(), []
        def changes(node):
            # The built lists a statement may change: a method called on one, or one stored,
            # deleted, augmented or assigned through a subscript. Passing one to setup() or
            # Extension() only reads it.
            names = set()
            for n in ast.walk(node):
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in built:
                    names.add(n.value.id)
                elif isinstance(n, ast.Name) and n.id in built and isinstance(n.ctx, (ast.Store, ast.Del)):
                    names.add(n.id)
                elif isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in built \
                        and isinstance(n.ctx, (ast.Store, ast.Del)):
                    names.add(n.value.id)
            return names
        def replay(statements):
            for node in statements:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                        and stores.get(node.targets[0].id) == 1 and isinstance(node.value, ast.List) and node in tree.body:
                    try:
                        built[node.targets[0].id] = list(ast.literal_eval(node.value))
                    except Exception:
                        pass
                    continue
                call = node.value if isinstance(node, ast.Expr) else None
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                        and isinstance(call.func.value, ast.Name) and call.func.value.id in built \
                        and call.func.attr in ("append", "extend") and len(call.args) == 1 and not call.keywords:
                    try:
                        v = ast.literal_eval(call.args[0])
                    except Exception:
                        lost.add(call.func.value.id)
                        continue
                    if call.func.attr == "append":
                        built[call.func.value.id].append(v)
                    elif isinstance(v, (list, tuple)):
                        built[call.func.value.id].extend(v)
                    else:
                        lost.add(call.func.value.id)
                    continue
                if isinstance(node, ast.If):
                    choice = decide(node.test)
                    if choice is None:
                        lost.update(changes(node))
                    else:
                        lost.update(changes(node.test))
                        branch = node.body if choice else node.orelse
                        if changes(ast.Module(body=node.body + node.orelse, type_ignores=[])):
                            taken.append(node.lineno)
                        replay(branch)
                    continue
                lost.update(changes(node))
        replay(tree.body)
        replayed = {name: value for name, value in built.items() if name not in lost and name in changed}
        out["linux_branches"] = sorted(set(taken)) if replayed else []
        def resolve(node):
            if isinstance(node, ast.Name) and node.id in replayed:
                return ast.parse(repr(replayed[node.id]), mode="eval").body
            if isinstance(node, ast.Name) and stores.get(node.id) == 1 and node.id in top and node.id not in changed:
                return top[node.id]
            return node
        def not_literal(node, key, entry):
            changed_at = changed.get(node.id, 0) if isinstance(node, ast.Name) and node.id not in replayed else 0
            out["not_literal"].append({"line": getattr(node, "lineno", 0), "argument": key, "entry": entry,
                                       "changed_at": changed_at})
        def item_ok(key, v):
            if key == "define_macros":
                return isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) and (v[1] is None or isinstance(v[1], str))
            return isinstance(v, str)
        def read(key, node):
            target = resolve(node)
            if key == "name":
                try:
                    v = ast.literal_eval(target)
                except Exception:
                    v = None
                if not isinstance(v, str):
                    not_literal(node, key, False)
                    return None
                return v
            if not isinstance(target, (ast.List, ast.Tuple)):
                not_literal(node, key, False)
                return None
            good = []
            for elt in target.elts:
                try:
                    v = ast.literal_eval(resolve(elt))
                    ok = item_ok(key, v)
                except Exception:
                    ok = False
                if ok:
                    good.append(list(v) if key == "define_macros" else v)
                else:
                    not_literal(elt, key, True)
            return good
        positional = ["name", "sources", "include_dirs", "define_macros", "undef_macros"]
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if not ((isinstance(f, ast.Name) and f.id == "Extension") or (isinstance(f, ast.Attribute) and f.attr == "Extension")):
                continue
            ext = {"line": node.lineno}
            args = list(zip(positional, node.args)) + [(k.arg, k.value) for k in node.keywords if k.arg in positional]
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                not_literal(node, "*args or **kwargs", False)
            for key, value in args:
                if isinstance(value, ast.Starred):
                    continue
                v = read(key, value)
                if v is not None:
                    ext[key] = v
            out["extensions"].append(ext)
    except (RecursionError, MemoryError) as e:
        out["error"] = "too deeply nested to read (%s)" % type(e).__name__
sys.stdout.write("\nSUBCHECK-SETUP-PY:" + json.dumps(out) + "\n")
)PY";

std::string not_literal_note(const std::string& shown, int line, const std::string& argument, bool entry,
                             int changed_at) {
  std::string where = shown + ":" + std::to_string(line) + ": ";
  if (changed_at > 0 && !entry) {
    return where + argument + " names a list setup.py changes in place after assigning it (line " +
           std::to_string(changed_at) + "), as platform tests do; what it holds was not applied (give the macros " +
           "with --extra-arg=-DNAME and the directories with --extra-arg=-IDIR if they matter)";
  }
  if (entry) {
    if (argument == "define_macros")
      return where + "a define_macros entry is not a literal (name, value) pair; it was not applied";
    if (argument == "sources")
      return where + "a sources entry is not a literal string; that file gets no flags from this extension";
    return where + "an " + argument + " entry is not a literal string; it was not applied";
  }
  if (argument == "define_macros") return where + "define_macros is not a literal list; its macros were not applied";
  if (argument == "undef_macros") return where + "undef_macros is not a literal list; it was not applied";
  if (argument == "include_dirs") return where + "include_dirs is not a literal list; its directories were not applied";
  if (argument == "sources")
    return where + "sources is not a literal list; the extension's macros and include directories were not applied";
  if (argument == "name") return where + "the extension's name is not a literal";
  return where + "Extension(...) takes " + argument +
         "; what they hold was not read (add the macros with --extra-arg=-DNAME if they matter)";
}

std::vector<std::string> string_list(const nlohmann::json& value) {
  std::vector<std::string> strings;
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) strings.push_back(item.get<std::string>());
    }
  }
  return strings;
}

SetupExtension extension_from(const nlohmann::json& json) {
  SetupExtension extension;
  extension.line = json.value("line", 0);
  if (auto name = json.find("name"); name != json.end() && name->is_string()) extension.name = name->get<std::string>();
  if (auto sources = json.find("sources"); sources != json.end()) extension.sources = string_list(*sources);
  if (auto macros = json.find("define_macros"); macros != json.end() && macros->is_array()) {
    for (const auto& macro : *macros) {
      if (!macro.is_array() || macro.size() != 2 || !macro[0].is_string()) continue;
      std::optional<std::string> value;
      if (macro[1].is_string()) value = macro[1].get<std::string>();
      extension.define_macros.emplace_back(macro[0].get<std::string>(), value);
    }
  }
  if (auto undef = json.find("undef_macros"); undef != json.end()) extension.undef_macros = string_list(*undef);
  if (auto dirs = json.find("include_dirs"); dirs != json.end()) extension.include_dirs = string_list(*dirs);
  return extension;
}

bool is_identifier(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<SetupPyDeclarations> read_setup_py(const fs::path& setup_py, const std::string& shown,
                                                 const Interpreter& python, const std::optional<fs::path>& setup_cfg) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(setup_py, ec)) || ec) return std::nullopt;
  SetupPyDeclarations declarations;
  auto not_read = [&](const std::string& name, const std::string& why, const char* what) {
    declarations.warnings.push_back(name + ": not read (" + why + "); " + what + " not applied");
  };
  std::string text;
  try {
    text = read_regular_file(setup_py, kMaxSetupPyBytes);
  } catch (const std::runtime_error&) {
    not_read(shown, regular_file_problem(setup_py, kMaxSetupPyBytes).value_or("cannot be read"),
             "its define_macros and include_dirs were");
    return declarations;
  }
  std::string input = std::to_string(text.size()) + "\n" + text;
  if (setup_cfg) {
    try {
      input += read_regular_file(*setup_cfg, kMaxSetupPyBytes);
    } catch (const std::runtime_error&) {
      not_read(setup_cfg->string(), regular_file_problem(*setup_cfg, kMaxSetupPyBytes).value_or("cannot be read"),
               "its [build_ext] define, undef and include_dirs were");
    }
  }
  ProcessOutcome run = run_process({python.executable.string(), "-I", "-S", "-c", kReadScript},
                                   {.timeout = kParseTimeout, .max_output = 4 << 20, .input = std::move(input)});
  auto failed = [&](const std::string& why) {
    not_read(shown, why, "its define_macros and include_dirs were");
    return declarations;
  };
  if (run.timed_out) return failed(python.executable.string() + " did not parse it within 5 s");
  if (!run.succeeded()) return failed(python.executable.string() + " could not parse it");
  std::size_t marker = run.output.rfind(kMarker);
  if (marker == std::string::npos || run.output_truncated) return failed("no answer from its parser");
  auto json = nlohmann::json::parse(run.output.substr(marker + kMarker.size()), nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return failed("an unreadable answer from its parser");
  if (setup_cfg) {
    if (auto error = json.find("cfg_error"); error != json.end() && error->is_string()) {
      not_read(setup_cfg->string(), "not an INI file Python's configparser reads: " + error->get<std::string>(),
               "its [build_ext] define, undef and include_dirs were");
    } else if (auto build_ext = json.find("build_ext"); build_ext != json.end() && build_ext->is_object()) {
      declarations.build_ext = extension_from(*build_ext);
    }
  }
  if (auto error = json.find("error"); error != json.end() && error->is_string())
    return failed(error->get<std::string>());
  if (auto extensions = json.find("extensions"); extensions != json.end() && extensions->is_array()) {
    for (const auto& extension : *extensions) {
      if (extension.is_object()) declarations.extensions.push_back(extension_from(extension));
    }
  }
  if (auto not_literal = json.find("not_literal"); not_literal != json.end() && not_literal->is_array()) {
    for (const auto& item : *not_literal) {
      if (!item.is_object()) continue;
      declarations.notes.push_back(not_literal_note(shown, item.value("line", 0), item.value("argument", "?"),
                                                    item.value("entry", false), item.value("changed_at", 0)));
    }
  }
  if (auto lines = json.find("linux_branches"); lines != json.end() && lines->is_array() && !lines->empty()) {
    std::string listed;
    for (const auto& line : *lines) {
      if (!line.is_number_integer()) continue;
      listed += (listed.empty() ? "" : ", ") + std::to_string(line.get<int>());
    }
    declarations.notes.push_back(shown + ": read as on Linux: the platform tests at line" +
                                 (lines->size() > 1 ? "s " : " ") + listed +
                                 " chose the macros and directories applied (give another platform's with "
                                 "--extra-arg=-DNAME and --extra-arg=-IDIR)");
  }
  return declarations;
}

std::vector<std::string> setup_extension_flags(const SetupExtension& extension, const fs::path& setup_dir,
                                               const fs::path& tree, const std::string& shown,
                                               std::vector<std::string>& warnings) {
  std::string where = shown + (extension.line > 0 ? ":" + std::to_string(extension.line) : std::string()) + ": ";
  // "WHERE WHAT 'VALUE' WHY"
  auto warn = [&](std::string_view what, const std::string& value, std::string_view why) {
    std::string message = where;
    message.append(what).append(" '").append(value).append("' ").append(why);
    warnings.push_back(std::move(message));
  };
  std::vector<std::string> flags;
  for (const auto& [name, value] : extension.define_macros) {
    if (!is_identifier(name) || (value && value->find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos)) {
      warn("define_macros entry", name, "is not a C macro name and value; not applied");
      continue;
    }
    flags.push_back("-D" + name + (value ? "=" + *value : std::string()));
  }
  for (const std::string& name : extension.undef_macros) {
    if (!is_identifier(name)) {
      warn("undef_macros entry", name, "is not a C macro name; not applied");
      continue;
    }
    flags.push_back("-U" + name);
  }
  for (const std::string& dir : extension.include_dirs) {
    std::error_code ec;
    fs::path resolved = fs::canonical(setup_dir / dir, ec);  // an absolute dir replaces setup_dir
    if (ec || !fs::is_directory(resolved, ec)) {
      warn("include directory", dir, "does not exist in the tree; not used");
    } else if (!is_within(resolved, tree)) {
      warn("include directory", dir, "lies outside the scanned tree (" + resolved.string() + "); not used");
    } else {
      flags.push_back("-I" + resolved.string());
    }
  }
  return flags;
}

}  // namespace subcheck
