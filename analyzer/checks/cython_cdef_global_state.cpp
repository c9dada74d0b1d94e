// SI011 cython-cdef-global-state: process-wide state a Cython module's author declared in
// the .pyx, reported there, by the name the author wrote:
//
// - a module-level `cdef` variable (the C static `__pyx_v_<module>_<name>`) that holds a
//   Python object and is assigned at import, or that holds C data written at run time
//   (a C value written only at import is the same value in every interpreter: not reported);
// - a `cdef class` whose type object is a static PyTypeObject (`__pyx_type_<module>_<Class>`),
//   which Cython emits unless CYTHON_USE_TYPE_SPECS is on (then the type is a heap type made
//   from a PyType_Spec, and no such static exists in the parse).
//
// While the module still calls Cython's single-interpreter guard (SI009), no second
// interpreter gets it, so the messages say what is shared "once the module accepts other
// interpreters": the author's fix in the .pyx is the same, and it comes with lifting the guard.
//
// Cython's own runtime globals (`__pyx_m`, the interned strings, the module-state struct,
// memoryview and closure types) are not the author's to fix: SI009 speaks for them. But SI009
// is silent once the module declares own_gil (Cython 3.1's `subinterpreters_compatible=own_gil`
// with CYTHON_USE_MODULE_STATE=1 drops the single-interpreter guard), and two constructs keep
// run-time state in C statics that module state does not cover (Cython 3.1.6; cython/cython#8006):
// a typed memoryview (a pool of PyThread locks and its counter, and Python objects each
// import replaces) and a cpdef enum (its enum base class). For such a module each is reported
// once, at the static Cython declares (no .pyx line is recorded for it), naming the functions
// that take memoryviews or the enums converted to Python. The .pyx
// line comes from the `/* "pkg/mod.pyx":12` comments Cython writes before the code of each
// source line (analyzer/reader/cython_comments.h): for a variable, the first write at import
// that has one (its `cdef ... = value` or module-level assignment); for a class, the comment
// before its object struct. Without one, the finding stays at the C declaration.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>
#include <set>

#include "analyzer/checks/check_support.h"
#include "analyzer/checks/registry.h"

namespace subcheck::checks {
namespace {

// `__pyx_v_3pkg_7cystate__cache` with prefix `__pyx_v_`: scope {pkg, cystate}, name `_cache`.
// Cython mangles each enclosing scope as <length><name>_ (Symtab.py, Scope.__init__).
struct CythonName {
  std::vector<std::string> scope;
  std::string name;
};

std::optional<CythonName> demangle(std::string_view cname, std::string_view prefix) {
  if (!cname.starts_with(prefix)) return std::nullopt;
  std::string_view rest = cname.substr(prefix.size());
  CythonName result;
  while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front())) != 0) {
    std::size_t digits = 0, length = 0;
    for (; digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits])) != 0; ++digits) {
      length = length * 10 + static_cast<std::size_t>(rest[digits] - '0');
      if (length > rest.size()) return std::nullopt;
    }
    if (length == 0 || digits + length >= rest.size() || rest[digits + length] != '_') return std::nullopt;
    result.scope.emplace_back(rest.substr(digits, length));
    rest.remove_prefix(digits + length + 1);
  }
  if (result.scope.empty() || rest.empty()) return std::nullopt;
  result.name = std::string(rest);
  return result;
}

// A name the author wrote in this module: the innermost scope is the module itself (not
// Cython's `View.MemoryView` utility code), and not a Cython-made `__pyx_...` helper
// (closure and generator scopes).
std::optional<std::string> authored_name(const std::string& cname, std::string_view prefix, const std::string& module) {
  std::optional<CythonName> name = demangle(cname, prefix);
  if (!name || name->scope.back() != module || name->name.starts_with("__pyx_")) return std::nullopt;
  return name->name;
}

bool found_source(const SourceLocation& origin) {
  return origin.valid() && std::filesystem::path(origin.file).is_absolute();
}

std::string spelled(const SourceLocation& origin) { return origin.file + ":" + std::to_string(origin.line); }

// `__pyx_pw_6ownpkg_6owngil_1total` -> `total`, `..._6owngil_6Parser_3feed` -> `Parser.feed`:
// what follows the module's own scope, each class scope <length><name>_ kept, the leading
// counter Cython puts before a function's name dropped. Empty when the module is not there.
std::string python_name_after(std::string_view cname, const std::string& module) {
  const std::string scope = std::to_string(module.size()) + module + "_";
  std::size_t at = cname.rfind(scope);
  if (at == std::string_view::npos) return {};
  std::string_view rest = cname.substr(at + scope.size());
  std::string name;
  for (;;) {
    std::size_t digits = 0, length = 0;
    for (; digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits])) != 0; ++digits) {
      length = length * 10 + static_cast<std::size_t>(rest[digits] - '0');
      if (length > rest.size()) break;
    }
    if (digits > 0 && length > 0 && digits + length < rest.size() && rest[digits + length] == '_') {
      name += std::string(rest.substr(digits, length)) + ".";  // a class scope
      rest.remove_prefix(digits + length + 1);
      continue;
    }
    rest.remove_prefix(digits);
    return rest.empty() ? std::string{} : name + std::string(rest);
  }
}

std::string quoted_list(const std::set<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "'" : ", '") + name + "'";
  return text;
}

// Cython runtime state a .pyx construct brings into the module, kept in C statics even
// with CYTHON_USE_MODULE_STATE=1. `anchor` is the static reported at; `statics` the ones
// the message names (the anchor first); `use_prefix` the generated helper whose calls show
// where the author's code uses the construct, `use_suffix` what ends its name.
struct RuntimeConstruct {
  std::string_view anchor;
  std::vector<std::string_view> statics;
  std::string_view use_prefix;
  std::string_view use_suffix;
};

// A typed memoryview (`def f(double[:] a)`): View.MemoryView's lock pool, taken and given
// back by every memoryview object under nothing but the GIL, and re-initialised by each
// interpreter's exec; its mode constants and collections.abc.Sequence, replaced (the old
// interpreter's object released) by each exec. The conversion of an argument or value to a
// memoryview slice names where the author uses one.
const RuntimeConstruct kMemoryview{
    "__pyx_memoryview_thread_locks",
    {"__pyx_memoryview_thread_locks", "__pyx_memoryview_thread_locks_used", "generic", "strided", "indirect",
     "contiguous", "indirect_contiguous", "__pyx_collections_abc_Sequence"},
    "__Pyx_PyObject_to_MemoryviewSlice_",
    ""};

// A cpdef enum: the IntEnum subclass every enum of the module derives from, created by each
// exec and stored over the previous interpreter's (`__Pyx_EnumBase` in other releases). Its
// `__Pyx_Enum_<mangled enum>_to_py` converter names the enums the code hands to Python.
const RuntimeConstruct kCpdefEnum{
    "__Pyx_FlexibleEnumBase", {"__Pyx_FlexibleEnumBase", "__Pyx_EnumBase", "__Pyx_globals"}, "__Pyx_Enum_", "_to_py"};

class CythonCdefGlobalState final : public Check {
 public:
  std::string_view rule_id() const override { return "SI011"; }

  void run(CheckContext& context) const override {
    for (const auto& module : context.model.modules) {
      const auto* view = module.view(context.config);
      if (view == nullptr || module.generator != "cython") continue;
      const auto writes = writes_by_usr(view->units);
      const bool guarded = cython_interpreter_guard(*view).has_value();
      for (const auto* unit : view->units) {
        if (!generated_by_cython(*unit)) continue;
        for (const auto& global : unit->globals) {
          if (global.function_static || global.thread_local_storage) continue;
          if (auto name = authored_name(global.name, "__pyx_v_", module.name)) {
            auto written = writes.find(global.usr);
            if (written != writes.end())
              report_variable(context, module, *view, guarded, global, *name, written->second);
          } else if (auto type = authored_name(global.name, "__pyx_type_", module.name);
                     type && global.kind == GlobalVarFact::Kind::static_type) {
            report_class(context, module, guarded, global, *type);
          }
        }
        if (view->multiple_interpreters == MultipleInterpreters::per_interpreter_gil_supported) {
          report_runtime_state(context, module, *unit, writes);
        }
      }
    }
  }

 private:
  static void report_variable(CheckContext& context, const ExtensionModule& module, const ModuleConfigView& view,
                              bool guarded, const GlobalVarFact& global, const std::string& name,
                              const std::vector<const GlobalWriteFact*>& writes) {
    auto at_import = [&](const GlobalWriteFact* write) { return view.init_functions.contains(write->function); };
    auto with_origin = [](const GlobalWriteFact* write) { return write->generated_from.valid(); };
    // A write after import, one that names its .pyx line if any does.
    const GlobalWriteFact* at_run_time = nullptr;
    for (const GlobalWriteFact* write : writes) {
      if (at_import(write)) continue;
      if (with_origin(write)) {
        at_run_time = write;
        break;
      }
      if (at_run_time == nullptr) at_run_time = write;
    }
    std::string text;
    if (global.kind == GlobalVarFact::Kind::python_object) {
      text = "cdef variable '" + name + "' of module '" + module.name +
             "' holds a Python object in a process-wide C static (" + global.name +
             "): " + (guarded ? std::string(kOnceAccepted) + "each interpreter" : std::string("every interpreter")) +
             " that imports the module overwrites it and then uses another interpreter's object. Keep the object per "
             "module: a plain module-level name, or an attribute of "
             "a cdef class instance the module holds; then the module can declare "
             "`# cython: subinterpreters_compatible=own_gil` (Cython 3.1+)";
    } else if (global.kind == GlobalVarFact::Kind::other_mutable && at_run_time != nullptr) {
      std::string where = with_origin(at_run_time) ? " (line " + std::to_string(at_run_time->generated_from.line) + ")"
                                                   : in_function(at_run_time->function);
      text = "cdef variable '" + name + "' of module '" + module.name + "' (" + global.type +
             ") is process-wide C state written at run time" + where +
             (guarded ? ": free-threaded threads race on it, and " + std::string(kOnceAccepted) +
                            "own-GIL interpreters do too. Keep it "
                      : std::string(": every interpreter shares it, own-GIL interpreters and free-threaded threads "
                                    "race on it. Keep it ")) +
             "in a cdef class instance the module holds, or guard it (a lock, an atomic) before declaring "
             "`# cython: subinterpreters_compatible=own_gil` or `freethreading_compatible=True`";
    } else {
      return;  // C data written only at import: the same value in every interpreter
    }
    // Where the author wrote it: the first write at import that names its .pyx line (the
    // `cdef ... = value` or module-level assignment), else any write that does.
    auto first = std::find_if(writes.begin(), writes.end(),
                              [&](const GlobalWriteFact* write) { return at_import(write) && with_origin(write); });
    if (first == writes.end()) first = std::find_if(writes.begin(), writes.end(), with_origin);
    report(context, module, global, first == writes.end() ? SourceLocation{} : (*first)->generated_from,
           std::move(text));
  }

  static void report_class(CheckContext& context, const ExtensionModule& module, bool guarded,
                           const GlobalVarFact& global, const std::string& name) {
    report(context, module, global, global.generated_from,
           "cdef class '" + name + "' of module '" + module.name + "' is a statically allocated type object (" +
               global.name + "), one per process" +
               (guarded ? ": " + std::string(kOnceAccepted) + "every one of them shares it"
                        : std::string(", shared by every interpreter")) +
               ". Build the module with type specs and "
               "module state (define CYTHON_USE_TYPE_SPECS=1 and CYTHON_USE_MODULE_STATE=1, e.g. "
               "define_macros=[(\"CYTHON_USE_TYPE_SPECS\", \"1\"), (\"CYTHON_USE_MODULE_STATE\", \"1\")], "
               "Cython 3.1+) so Cython creates the type per module from a PyType_Spec: with type specs "
               "alone the type is still kept in Cython's process-wide module state struct");
  }

  // Only for a module that declares own_gil: otherwise SI009 reports the module, or one GIL
  // serialises the interpreters and the lock pool is safe. Only when Cython writes one of
  // the construct's statics (it always does, at exec or in a memoryview's __cinit__).
  template <typename Writes>
  static void report_runtime_state(CheckContext& context, const ExtensionModule& module,
                                   const TranslationUnitFacts& unit, const Writes& writes) {
    for (const RuntimeConstruct* construct : {&kMemoryview, &kCpdefEnum}) {
      const GlobalVarFact* anchor = nullptr;
      std::vector<std::string> present;
      bool written = false;
      for (std::string_view name : construct->statics) {
        for (const auto& global : unit.globals) {
          if (global.function_static || global.name != name) continue;
          if (name == construct->anchor || anchor == nullptr) anchor = &global;
          present.push_back(global.name);
          written = written || writes.contains(global.usr);
        }
      }
      if (anchor == nullptr || !written) continue;
      std::set<std::string> uses;
      for (const auto& function : unit.functions) {
        const bool converter =
            function.name.starts_with(construct->use_prefix) && function.name.ends_with(construct->use_suffix);
        if (construct == &kCpdefEnum && converter) {
          std::string_view mangled = std::string_view(function.name).substr(construct->use_prefix.size());
          mangled.remove_suffix(construct->use_suffix.size());
          if (std::string name = python_name_after(mangled, module.name); !name.empty()) uses.insert(name);
          continue;
        }
        if (construct != &kMemoryview || !function.name.starts_with("__pyx_pw_")) continue;
        for (const auto& call : function.calls) {
          if (!call.callee.starts_with(construct->use_prefix)) continue;
          if (std::string name = python_name_after(function.name, module.name); !name.empty()) uses.insert(name);
        }
      }
      std::string statics;
      for (const auto& name : present) statics += (statics.empty() ? "" : ", ") + name;
      context.sink.report(
          anchor->location,
          construct == &kMemoryview ? memoryview_message(module, uses, statics) : enum_message(module, uses, statics),
          {module.name});
    }
  }

  // Cython's guard refuses every interpreter after the first today; what follows is what they share once
  // the author lifts it (the same .pyx fix either way).
  static constexpr std::string_view kOnceAccepted =
      "Cython's single-interpreter guard (SI009) keeps other interpreters out today, but once the module accepts "
      "them, ";

  static std::string own_gil_claim(const ExtensionModule& module) {
    return "module '" + module.name +
           "' declares Py_MOD_PER_INTERPRETER_GIL_SUPPORTED (subinterpreters_compatible=own_gil with "
           "CYTHON_USE_MODULE_STATE=1) but ";
  }

  static constexpr std::string_view kNotInModuleState =
      "; module state does not cover these statics (Cython 3.1; https://github.com/cython/cython/issues/8006). ";

  static std::string memoryview_message(const ExtensionModule& module, const std::set<std::string>& uses,
                                        const std::string& statics) {
    return own_gil_claim(module) + "uses typed memoryviews" + (uses.empty() ? "" : " (in " + quoted_list(uses) + ")") +
           ", whose Cython runtime keeps process-wide C statics (" + statics +
           "): every memoryview takes a lock from the shared pool and gives it back guarded by nothing but the "
           "GIL, which own-GIL interpreters do not share, each interpreter's import re-initialises the pool, and "
           "replaces the Python objects, releasing another interpreter's" +
           std::string(kNotInModuleState) +
           "Keep typed memoryviews out of a module that declares own_gil (move them to a module that does not, "
           "or use the buffer protocol), or declare subinterpreters_compatible=shared_gil";
  }

  static std::string enum_message(const ExtensionModule& module, const std::set<std::string>& uses,
                                  const std::string& statics) {
    return own_gil_claim(module) + "defines a cpdef enum" + (uses.empty() ? "" : " (" + quoted_list(uses) + ")") +
           ", whose Cython runtime keeps the enums' base class in a process-wide C static (" + statics +
           "): each interpreter's import creates its own and stores it over another interpreter's, releasing that "
           "one under a different GIL" +
           std::string(kNotInModuleState) +
           "Use a plain `cdef enum` (C only) and a Python enum.IntEnum class in the module, or declare "
           "subinterpreters_compatible=shared_gil";
  }

  // At the .pyx line when the .pyx was found; else at the C declaration, naming the line.
  static void report(CheckContext& context, const ExtensionModule& module, const GlobalVarFact& global,
                     const SourceLocation& origin, std::string text) {
    if (found_source(origin)) {
      context.sink.report(origin, std::move(text), {module.name});
    } else {
      if (origin.valid()) text += " (declared at " + spelled(origin) + ", not found beside the generated C)";
      context.sink.report(global.location, std::move(text), {module.name});
    }
  }
};

}  // namespace

std::unique_ptr<Check> make_cython_cdef_global_state() { return std::make_unique<CythonCdefGlobalState>(); }

}  // namespace subcheck::checks
