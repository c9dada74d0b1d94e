// Joins per-unit facts into extension modules: PyInit_ functions and 3.15's PyModExport_
// hooks (docs/cpython-behaviour.md #22). Real projects put PyInit, the
// PyModuleDef and its slots in different files, behind macros and helper functions, so
// everything here is resolved by name across all units of one build configuration.
#include "analyzer/module_model.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <unordered_map>

namespace subcheck {
namespace {

enum class ModuleSlot { create, exec, multiple_interpreters, gil, other };

// Slot ids as the headers number them: 1-4 up to 3.14 (and in 3.15's limited API below
// 3.15), 84-87 in 3.15's common slot numbering (docs/cpython-behaviour.md #22).
ModuleSlot module_slot(std::int64_t id) {
  switch (id) {
    case 1:
    case 84: return ModuleSlot::create;
    case 2:
    case 85: return ModuleSlot::exec;
    case 3:
    case 86: return ModuleSlot::multiple_interpreters;
    case 4:
    case 87: return ModuleSlot::gil;
    default: return ModuleSlot::other;
  }
}

// Whether some CPython accepts `id` in a module's slots: 1-4 everywhere (3.15 keeps them
// for compatibility), and 3.15's module and generic slots. Every other id is refused at
// import, checked on 3.14 and 3.15: "unknown slot ID" up to 3.14 (anything above 4 or
// negative), "invalid module slot" in 3.15 (its type slots, 5-83, 88-91, 93, 95-99, 107,
// 108) and "unknown module slot ID" past its last (110).
bool some_python_accepts_module_slot(std::int64_t id) {
  return (id >= 1 && id <= 4) || (id >= 84 && id <= 87) || id == 92 || id == 94 || (id >= 100 && id <= 106) ||
         id == 109 || id == 110;
}

// Slot values as CPython spells them. The number wins over the spelling: projects wrap
// these macros in their own.
void set_multiple_interpreters(ModuleConfigView& view, const std::string& text, std::optional<std::int64_t> number) {
  view.multiple_interpreters_other.clear();
  if (number) {
    switch (*number) {
      case 0: view.multiple_interpreters = MultipleInterpreters::not_supported; return;
      case 1: view.multiple_interpreters = MultipleInterpreters::supported; return;
      case 2: view.multiple_interpreters = MultipleInterpreters::per_interpreter_gil_supported; return;
      default: break;
    }
  }
  if (text.empty()) {
    view.multiple_interpreters = MultipleInterpreters::unknown;
  } else if (auto named = parse_multiple_interpreters(text)) {
    view.multiple_interpreters = *named;
  } else {
    view.multiple_interpreters = MultipleInterpreters::other;
    view.multiple_interpreters_other = text;
  }
}

void set_gil(ModuleConfigView& view, const std::string& text, std::optional<std::int64_t> number) {
  view.gil_other.clear();
  if (number && (*number == 0 || *number == 1)) {
    view.gil = *number == 0 ? GilDeclaration::used : GilDeclaration::not_used;
  } else if (text.find(to_string(GilDeclaration::not_used)) != std::string::npos) {
    view.gil = GilDeclaration::not_used;
  } else if (text.find(to_string(GilDeclaration::used)) != std::string::npos) {
    view.gil = GilDeclaration::used;
  } else if (text.empty()) {
    view.gil = GilDeclaration::unknown;
  } else if (auto named = parse_gil_declaration(text)) {
    view.gil = *named;
  } else {
    view.gil = GilDeclaration::other;
    view.gil_other = text;
  }
}

// The function a slot value names: `exec_module`, `(void *)exec_module`, `&exec_module`.
std::string function_in(const std::string& text) {
  std::string last, current;
  for (char ch : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') {
      current += ch;
    } else {
      if (!current.empty() && !std::isdigit(static_cast<unsigned char>(current.front())) && current != "void") {
        last = current;
      }
      current.clear();
    }
  }
  return last;
}

bool is_single_phase_creator(const std::string& callee) {
  return callee == "PyModule_Create2" || callee == "PyModule_Create" || callee == "_PyModule_CreateInitialized" ||
         callee == "PyModule_New" || callee == "PyModule_NewObject" || callee == "Py_InitModule4";
}

struct FunctionRef {
  const TranslationUnitFacts* unit;
  const FunctionFact* function;
};

// Everything of one configuration, indexed by name.
class ConfigIndex {
 public:
  explicit ConfigIndex(const std::vector<const TranslationUnitFacts*>& units) : units_(units) {
    for (const TranslationUnitFacts* unit : units) {
      for (const FunctionFact& function : unit->functions) functions_[function.name].push_back({unit, &function});
      for (const ModuleDefFact& def : unit->module_defs) defs_[def.name].emplace_back(unit, &def);
      for (const SlotArrayFact& slots : unit->slot_arrays) slots_[slots.usr] = &slots;
      for (const GlobalVarFact& global : unit->globals) {
        if (global.external_linkage) global_definers_[global.usr].push_back(unit);
        globals_[global.usr].emplace_back(unit, &global);
      }
    }
  }

  // The definition a call from `from` reaches: the same unit first (static functions),
  // then any unit with external linkage.
  std::optional<FunctionRef> function(const std::string& name, const TranslationUnitFacts* from) const {
    auto found = functions_.find(name);
    if (found == functions_.end()) return std::nullopt;
    for (const FunctionRef& ref : found->second) {
      if (ref.unit == from) return ref;
    }
    for (const FunctionRef& ref : found->second) {
      if (ref.function->external_linkage) return ref;
    }
    return std::nullopt;
  }

  std::vector<const TranslationUnitFacts*> units_defining(const std::string& name) const {
    std::vector<const TranslationUnitFacts*> result;
    auto found = functions_.find(name);
    if (found == functions_.end()) return result;
    for (const FunctionRef& ref : found->second) {
      if (ref.function->external_linkage) result.push_back(ref.unit);
    }
    return result;
  }

  const std::vector<const TranslationUnitFacts*>& units_defining_global(const std::string& usr) const {
    static const std::vector<const TranslationUnitFacts*> none;
    auto found = global_definers_.find(usr);
    return found == global_definers_.end() ? none : found->second;
  }

  // Every definition of the global with this USR (a header's static: one per unit).
  const std::vector<std::pair<const TranslationUnitFacts*, const GlobalVarFact*>>& globals(
      const std::string& usr) const {
    static const std::vector<std::pair<const TranslationUnitFacts*, const GlobalVarFact*>> none;
    auto found = globals_.find(usr);
    return found == globals_.end() ? none : found->second;
  }

  const ModuleDefFact* def(const std::string& name, const TranslationUnitFacts* from) const {
    auto found = defs_.find(name);
    if (found == defs_.end()) return nullptr;
    for (const auto& [unit, def] : found->second) {
      if (unit == from) return def;
    }
    return found->second.front().second;
  }

  const SlotArrayFact* slots(const std::string& usr) const {
    auto found = slots_.find(usr);
    return found == slots_.end() ? nullptr : found->second;
  }

  const std::vector<const TranslationUnitFacts*>& units() const { return units_; }

 private:
  std::vector<const TranslationUnitFacts*> units_;
  std::unordered_map<std::string, std::vector<FunctionRef>> functions_;
  std::unordered_map<std::string, std::vector<std::pair<const TranslationUnitFacts*, const ModuleDefFact*>>> defs_;
  std::unordered_map<std::string, const SlotArrayFact*> slots_;
  std::unordered_map<std::string, std::vector<const TranslationUnitFacts*>> global_definers_;
  std::unordered_map<std::string, std::vector<std::pair<const TranslationUnitFacts*, const GlobalVarFact*>>> globals_;
};

// Functions reachable by calls from `start`, nearest first.
std::vector<FunctionRef> reachable_from(const ConfigIndex& index, FunctionRef start) {
  std::vector<FunctionRef> order{start};
  std::set<const FunctionFact*> seen{start.function};
  for (std::size_t next = 0; next < order.size(); ++next) {
    for (const CallFact& call : order[next].function->calls) {
      std::optional<FunctionRef> callee = index.function(call.callee, order[next].unit);
      if (callee && seen.insert(callee->function).second) order.push_back(*callee);
    }
  }
  return order;
}

// A second create, multiple-interpreters or gil slot is refused like an unknown id (#26).
void read_slots(ModuleConfigView& view) {
  if (!view.slots) return;
  std::set<ModuleSlot> seen;
  for (const SlotFact& slot : view.slots->slots) {
    const ModuleSlot kind = module_slot(slot.id);
    const bool once_only =
        kind == ModuleSlot::create || kind == ModuleSlot::multiple_interpreters || kind == ModuleSlot::gil;
    if ((once_only && !seen.insert(kind).second) ||
        (kind == ModuleSlot::other && !some_python_accepts_module_slot(slot.id))) {
      view.refused_slot_at = slot.location;
    }
    switch (kind) {
      case ModuleSlot::create: view.has_create_slot = true; break;
      case ModuleSlot::exec: view.has_exec_slot = true; break;
      case ModuleSlot::multiple_interpreters:
        set_multiple_interpreters(view, slot.value, slot.number);
        view.multiple_interpreters_at = slot.location;
        break;
      case ModuleSlot::gil:
        set_gil(view, slot.value, slot.number);
        view.gil_at = slot.location;
        break;
      case ModuleSlot::other: break;
    }
  }
}

// A create slot whose function can only return NULL (CPython's createfunc_null and
// createfunc_raise) or always returns with an exception set (createfunc_unreported_exception).
// PyModule_FromDefAndSpec2 then raises SystemError ("creation of module ... failed without
// setting an exception", "... raised unreported exception", or the function's own) in every
// interpreter, so no module exists and, on a free-threaded build, the GIL is not switched
// on (#27).
void find_failing_create(const ConfigIndex& index, FunctionRef entry, ModuleConfigView& view) {
  if (!view.slots) return;
  for (const SlotFact& slot : view.slots->slots) {
    if (module_slot(slot.id) != ModuleSlot::create) continue;
    std::optional<FunctionRef> create = index.function(function_in(slot.value), entry.unit);
    if (create && (create->function->returns_only_null || create->function->raises_before_any_return))
      view.failing_create_at = slot.location;
  }
}

// The functions CPython runs to initialise the module: PyInit (or the export hook) and
// the create/exec slot functions.
std::vector<FunctionRef> init_roots(const ConfigIndex& index, FunctionRef init, const ModuleConfigView& view) {
  std::vector<FunctionRef> roots{init};
  if (view.slots) {
    for (const SlotFact& slot : view.slots->slots) {
      const ModuleSlot kind = module_slot(slot.id);
      if (kind != ModuleSlot::create && kind != ModuleSlot::exec) continue;
      if (auto function = index.function(function_in(slot.value), init.unit)) roots.push_back(*function);
    }
  }
  return roots;
}

// Everything module initialisation runs: the init roots and what they call.
void collect_init_functions(const ConfigIndex& index, FunctionRef init, ModuleConfigView& view) {
  for (const FunctionRef& root : init_roots(index, init, view)) {
    for (const FunctionRef& reached : reachable_from(index, root)) view.init_functions.insert(reached.function->name);
  }
}

// Calls visit(name) for each function `unit` hands to someone else to call: named in a
// global's initialiser (a method table, type slots, a callback struct; the module slot
// arrays only `with_module_slots`), or taken by address in a body without being called
// there (a callback passed as an argument or stored in a field).
template <typename Visit>
void for_each_function_handed_on(const TranslationUnitFacts& unit, bool with_module_slots, Visit&& visit) {
  std::set<std::string> module_slot_arrays;
  if (!with_module_slots) {
    for (const SlotArrayFact& slots : unit.slot_arrays) module_slot_arrays.insert(slots.usr);
  }
  for (const GlobalVarFact& global : unit.globals) {
    if (module_slot_arrays.contains(global.usr)) continue;
    for (const std::string& name : global.functions) visit(name);
  }
  for (const FunctionFact& function : unit.functions) {
    std::set<std::string> called;
    for (const CallFact& call : function.calls) called.insert(call.callee);
    for (const std::string& name : function.referenced_functions) {
      if (!called.contains(name)) visit(name);
    }
  }
}

// Functions the module hands to someone else to call later (not the module slots, whose
// create/exec are init roots), except the init roots themselves.
std::vector<FunctionRef> runtime_roots(const ConfigIndex& index, const ModuleConfigView& view,
                                       const std::set<std::string>& init_root_names) {
  std::vector<FunctionRef> roots;
  auto add = [&](const std::string& name, const TranslationUnitFacts* unit) {
    if (init_root_names.contains(name)) return;
    if (auto function = index.function(name, unit)) roots.push_back(*function);
  };
  for (const TranslationUnitFacts* unit : view.units) {
    for_each_function_handed_on(*unit, /*with_module_slots=*/false, [&](const std::string& name) { add(name, unit); });
  }
  return roots;
}

// Functions reachable from `roots` by calls and by taking an address (a pointer handed on
// is a call later), across the scan's units as calls are linked elsewhere. The functions
// named in `handed_elsewhere` are followed only where they are called: taking their address
// hands them to someone else to call (a signal handler to the kernel).
std::set<const FunctionFact*> reachable_with_addresses(const ConfigIndex& index, const std::vector<FunctionRef>& roots,
                                                       const std::set<std::string>& handed_elsewhere = {}) {
  std::set<const FunctionFact*> seen;
  std::vector<FunctionRef> queue;
  for (const FunctionRef& root : roots) {
    if (seen.insert(root.function).second) queue.push_back(root);
  }
  auto visit = [&](const std::string& name, const TranslationUnitFacts* unit) {
    std::optional<FunctionRef> callee = index.function(name, unit);
    if (callee && seen.insert(callee->function).second) queue.push_back(*callee);
  };
  for (std::size_t next = 0; next < queue.size(); ++next) {
    // The reader lists every callee among the referenced functions too; calls are followed
    // as well so that facts written without that (tests) mean the same.
    for (const CallFact& call : queue[next].function->calls) visit(call.callee, queue[next].unit);
    for (const std::string& name : queue[next].function->referenced_functions) {
      if (!handed_elsewhere.contains(name)) visit(name, queue[next].unit);
    }
  }
  return seen;
}

// Initialisation-only means reachable from an init root and from no run-time root: a
// helper PyInit calls that methods call too (a lazily created exception) runs while
// other threads run. Also records everything the module can run (reachable_functions).
void drop_runtime_reachable(const ConfigIndex& index, FunctionRef init, ModuleConfigView& view) {
  std::set<std::string> init_root_names;
  std::vector<FunctionRef> roots = init_roots(index, init, view);
  for (const FunctionRef& root : roots) init_root_names.insert(root.function->name);
  const std::vector<FunctionRef> runtime = runtime_roots(index, view, init_root_names);
  for (const FunctionFact* function : reachable_with_addresses(index, runtime)) {
    if (!init_root_names.contains(function->name)) view.init_functions.erase(function->name);
  }
  roots.insert(roots.end(), runtime.begin(), runtime.end());
  for (const FunctionFact* function : reachable_with_addresses(index, roots))
    view.reachable_functions.insert(function->name);
}

// What only the functions handed on by `is_hook` reach: the hooks, and what they call or
// hand on in turn. A callback the hooks' code hands on counts as called by it; anything
// another root reaches too (a method, a slot, a callback handed on elsewhere, a call from
// outside the hooks' code after initialisation) is left out.
std::set<std::string> functions_only_hooks_reach(const ConfigIndex& index, const ModuleConfigView& view,
                                                 const std::function<bool(const FunctionHandoff&)>& is_hook) {
  std::vector<FunctionRef> hooks;
  for (const TranslationUnitFacts* unit : view.units) {
    for (const FunctionFact& function : unit->functions) {
      for (const FunctionHandoff& handoff : function.handoffs) {
        if (!is_hook(handoff)) continue;
        if (auto hook = index.function(handoff.function, unit)) hooks.push_back(*hook);
      }
    }
  }
  if (hooks.empty()) return {};
  std::set<std::string> hook_names;
  for (const FunctionRef& hook : hooks) hook_names.insert(hook.function->name);
  std::set<std::string> only_hooks;
  for (const FunctionFact* function : reachable_with_addresses(index, hooks)) only_hooks.insert(function->name);
  // Roots handed on from outside the hooks' own code, or named in a table other than the
  // module slots (create and exec are initialisation; exec storing a hook is not a call).
  std::vector<FunctionRef> others;
  for (const TranslationUnitFacts* unit : view.units) {
    std::set<std::string> module_slot_arrays;
    for (const SlotArrayFact& slots : unit->slot_arrays) module_slot_arrays.insert(slots.usr);
    for (const GlobalVarFact& global : unit->globals) {
      if (module_slot_arrays.contains(global.usr)) continue;
      for (const std::string& name : global.functions) {
        if (auto function = index.function(name, unit)) others.push_back(*function);
      }
    }
    for (const FunctionFact& function : unit->functions) {
      if (only_hooks.contains(function.name)) continue;
      std::set<std::string> called;
      for (const CallFact& call : function.calls) called.insert(call.callee);
      for (const std::string& name : function.referenced_functions) {
        if (called.contains(name) || hook_names.contains(name)) continue;
        if (auto handed = index.function(name, unit)) others.push_back(*handed);
      }
      // Whatever calls into the hooks' code from outside it is another way in.
      for (const CallFact& call : function.calls) {
        if (!view.init_functions.contains(function.name) && only_hooks.contains(call.callee)) {
          if (auto callee = index.function(call.callee, unit)) others.push_back(*callee);
        }
      }
    }
  }
  for (const FunctionFact* function : reachable_with_addresses(index, others, hook_names))
    only_hooks.erase(function->name);
  return only_hooks;
}

// CPython calls the function stored in PyOS_ReadlineFunctionPointer only from
// PyOS_Readline, holding the process-wide `_PyOS_ReadlineLock` for the whole call, and
// (3.13+) only in the main interpreter (docs/cpython-behaviour.md #34). What only that
// hook reaches runs one call at a time: readline's `rlhandler`, handed to libreadline by
// the hook and called back from inside it, writing `completed_input_string`.
bool is_readline_hook(const FunctionHandoff& handoff) {
  return handoff.kind == FunctionHandoff::Kind::assignment && handoff.target_is_global &&
         handoff.target == "PyOS_ReadlineFunctionPointer";
}

// A C signal handler: handed to signal() or PyOS_setsig() (their second argument), or
// stored in a `struct sigaction`'s sa_handler or sa_sigaction. The kernel runs it in
// whichever thread the signal interrupts, holding the GIL or not, in every build
// (faulthandler's fatal-error handler, readline's SIGWINCH flag; docs/cpython-behaviour.md #35).
bool is_signal_handler(const FunctionHandoff& handoff) {
  if (handoff.kind == FunctionHandoff::Kind::argument)
    return handoff.position == 1 && (handoff.target == "signal" || handoff.target == "PyOS_setsig");
  return !handoff.target_is_global && (handoff.target == "sa_handler" || handoff.target == "sa_sigaction");
}

// A call lost to a parse error could make any function reachable: only a module whose
// units all parsed cleanly, bodies included, has a call graph to judge by.
bool call_graph_complete(const ModuleConfigView& view) {
  return std::all_of(view.units.begin(), view.units.end(), [](const TranslationUnitFacts* unit) {
    return unit->parsed && unit->complete && unit->trustworthy && unit->missing_headers.empty() &&
           std::none_of(unit->functions.begin(), unit->functions.end(),
                        [](const FunctionFact& function) { return function.parse_errors; });
  });
}

// What the module's code reaches (ModuleConfigView::reached_functions): from the init
// roots and the globals CPython reads the module from (the PyModuleDef, the slots), every
// function called, taken by address or named in a reached global's initialiser, and every
// global a reached function uses or a reached initialiser names.
void collect_reach(const ConfigIndex& index, FunctionRef entry, ModuleConfigView& view) {
  std::vector<FunctionRef> functions;
  std::vector<std::string> globals;
  std::set<std::string> seen_globals;
  auto add_function = [&](const std::string& name, const TranslationUnitFacts* from) {
    std::optional<FunctionRef> function = index.function(name, from);
    if (function && view.reached_functions.insert(function->function).second) functions.push_back(*function);
  };
  auto add_global = [&](const std::string& usr) {
    if (!usr.empty() && seen_globals.insert(usr).second) globals.push_back(usr);
  };
  for (const FunctionRef& root : init_roots(index, entry, view)) {
    if (view.reached_functions.insert(root.function).second) functions.push_back(root);
  }
  if (view.def) add_global(view.def->usr);
  if (view.slots) add_global(view.slots->usr);
  std::size_t next_function = 0, next_global = 0;
  while (next_function < functions.size() || next_global < globals.size()) {
    for (; next_function < functions.size(); ++next_function) {
      const FunctionRef reached = functions[next_function];
      for (const CallFact& call : reached.function->calls) add_function(call.callee, reached.unit);
      for (const std::string& name : reached.function->referenced_functions) add_function(name, reached.unit);
      for (const std::string& usr : reached.function->referenced_globals) add_global(usr);
    }
    for (; next_global < globals.size(); ++next_global) {
      for (const auto& [unit, global] : index.globals(globals[next_global])) {
        view.reached_globals.insert(global);
        for (const std::string& name : global->functions) add_function(name, unit);
        for (const std::string& usr : global->referenced_globals) add_global(usr);
      }
    }
  }
}

// The prefixes CPython looks for, export hooks first as 3.15 does (#15, #22).
constexpr std::string_view kExportPrefixes[] = {"PyModExportU_", "PyModExport_"};
constexpr std::string_view kInitPrefixes[] = {"PyInitU_", "PyInit_"};

bool is_export_hook(const std::string& function) {
  return std::any_of(std::begin(kExportPrefixes), std::end(kExportPrefixes),
                     [&](std::string_view prefix) { return function.starts_with(prefix); });
}

// The module name of an entry point (PyInit_, PyInitU_, PyModExport_, PyModExportU_), or "".
std::string module_name_of(const std::string& function) {
  for (const auto* prefixes : {&kExportPrefixes, &kInitPrefixes}) {
    for (std::string_view prefix : *prefixes) {
      if (function.starts_with(prefix) && function.size() > prefix.size()) return function.substr(prefix.size());
    }
  }
  return {};
}

bool defines_a_module(const TranslationUnitFacts& unit) {
  return std::any_of(unit.functions.begin(), unit.functions.end(), [](const FunctionFact& function) {
    return function.external_linkage && !module_name_of(function.name).empty();
  });
}

// The units that make up the module: PyInit's unit, every unit a build file lists among
// the module's sources, and every unit defining an external function or variable the
// module's units refer to, transitively. The build file is direct evidence: a missing
// header can make clang drop the very calls that lead into a unit (python-ldap's
// LDAPmessage_to_python takes an `LDAP *`). A unit found only through references that
// defines another module's PyInit is that module's: joining it (CPython's modules call
// helpers exported by posixmodule.c) would hand its findings to every caller.
void collect_units(const ConfigIndex& index, FunctionRef init, ModuleConfigView& view) {
  std::vector<const TranslationUnitFacts*> units{init.unit};
  std::set<const TranslationUnitFacts*> seen{init.unit};
  const std::string name = module_name_of(init.function->name);
  for (const TranslationUnitFacts* unit : index.units()) {
    const std::vector<std::string>& declared = unit->declared_modules;
    if (std::find(declared.begin(), declared.end(), name) != declared.end() && seen.insert(unit).second)
      units.push_back(unit);
  }
  auto join = [&](const TranslationUnitFacts* unit) {
    if (seen.insert(unit).second && !defines_a_module(*unit)) units.push_back(unit);
  };
  for (std::size_t next = 0; next < units.size(); ++next) {
    // A function or a variable named only in a table or callback struct is as much the
    // module's: psycopg2 readies its types from a `{name, &type}` table.
    for (const GlobalVarFact& global : units[next]->globals) {
      for (const std::string& name : global.functions) {
        for (const TranslationUnitFacts* unit : index.units_defining(name)) join(unit);
      }
      for (const std::string& usr : global.referenced_globals) {
        for (const TranslationUnitFacts* unit : index.units_defining_global(usr)) join(unit);
      }
    }
    for (const FunctionFact& function : units[next]->functions) {
      for (const std::string& name : function.referenced_functions) {
        for (const TranslationUnitFacts* unit : index.units_defining(name)) join(unit);
      }
      for (const std::string& usr : function.referenced_globals) {
        for (const TranslationUnitFacts* unit : index.units_defining_global(usr)) join(unit);
      }
    }
  }
  view.units = std::move(units);
}

// Init facts come from the entry point's unit and the ones holding the PyModuleDef and
// slots; a library unit that failed to parse does not make them untrustworthy, and
// neither does a missing header in them: the creating call, the def and the slots either
// parsed cleanly (then they say what they say) or they did not (then they are unknown).
bool init_facts_trusted(const ModuleConfigView& view, FunctionRef init) {
  bool trusted =
      init.unit->trustworthy && (!view.def || !view.def->parse_errors) && (!view.slots || !view.slots->parse_errors);
  for (const TranslationUnitFacts* unit : view.units) {
    bool holds_def = view.def && std::any_of(unit->module_defs.begin(), unit->module_defs.end(),
                                             [&](const ModuleDefFact& def) { return &def == view.def; });
    bool holds_slots = view.slots && std::any_of(unit->slot_arrays.begin(), unit->slot_arrays.end(),
                                                 [&](const SlotArrayFact& slots) { return &slots == view.slots; });
    if ((holds_def || holds_slots) && !unit->trustworthy) trusted = false;
  }
  return trusted;
}

void forget_declarations(ModuleConfigView& view) {
  view.init = InitStyle::unknown;
  view.multiple_interpreters = MultipleInterpreters::unknown;
  view.gil = GilDeclaration::unknown;
  view.multiple_interpreters_other.clear();
  view.gil_other.clear();
}

// PyInit hands back its PyModuleDef without PyModuleDef_Init (`return (PyObject *)&def;`):
// the def's ob_type is still NULL, and CPython refuses it in every interpreter ("returned
// uninitialized object", docs/cpython-behaviour.md #32; _testmultiphase_export_uninitialized).
bool returns_uninitialised_def(const FunctionRef& init) {
  const auto& defs = init.unit->module_defs;
  const auto& returned = init.function->returned_globals;
  return !returned.empty() && std::all_of(returned.begin(), returned.end(), [&](const std::string& usr) {
    return std::any_of(defs.begin(), defs.end(), [&](const ModuleDefFact& def) { return def.usr == usr; });
  });
}

ModuleConfigView view_of_pyinit(const ConfigIndex& index, FunctionRef init) {
  ModuleConfigView view;
  for (const FunctionRef& reached : reachable_from(index, init)) {
    for (const CallFact& call : reached.function->calls) {
      if (view.init == InitStyle::unknown && call.callee == "PyModuleDef_Init") {
        view.init = InitStyle::multi_phase;
        view.created_at = call.location;
        view.def = index.def(call.first_arg_var, reached.unit);
      } else if (view.init == InitStyle::unknown && is_single_phase_creator(call.callee)) {
        view.init = InitStyle::single_phase;
        view.created_at = call.location;
        view.def = index.def(call.first_arg_var, reached.unit);
      } else if (call.callee == "PyUnstable_Module_SetGIL" && call.args.size() >= 2) {
        set_gil(view, call.args[1], std::nullopt);
        view.gil_at = call.location;
      }
    }
  }
  if (view.def && !view.def->slots_usr.empty()) view.slots = index.slots(view.def->slots_usr);
  if (init.function->returns_only_null || init.function->raises_before_any_return ||
      (view.init == InitStyle::unknown && returns_uninitialised_def(init))) {
    view.failing_init_at = init.function->location;
  }
  if (view.init == InitStyle::multi_phase) {
    // Slots decide; a SetGIL call is meaningless for multi-phase modules.
    view.gil = GilDeclaration::absent;
    view.gil_other.clear();
    view.gil_at.reset();
    read_slots(view);
    find_failing_create(index, init, view);
    if (view.def && view.def->m_size.value_or(0) < 0) view.negative_size_at = view.def->location;
  }
  collect_init_functions(index, init, view);
  collect_units(index, init, view);
  drop_runtime_reachable(index, init, view);
  view.readline_hook_functions = functions_only_hooks_reach(index, view, is_readline_hook);
  view.signal_handler_functions = functions_only_hooks_reach(index, view, is_signal_handler);
  collect_reach(index, init, view);
  view.call_graph_complete = call_graph_complete(view);
  // No creating call in sight and a header missing: the header may well hold it.
  if (!init_facts_trusted(view, init) || (view.init == InitStyle::unknown && !init.unit->missing_headers.empty())) {
    forget_declarations(view);
  }
  return view;
}

// The slot array a PyModExport_ hook returns: named by a `return` in the hook or in a
// helper it calls, defined in any unit (by USR, so an `extern` array from another file).
const SlotArrayFact* returned_slots(const ConfigIndex& index, FunctionRef hook) {
  for (const FunctionRef& reached : reachable_from(index, hook)) {
    for (const std::string& usr : reached.function->returned_globals) {
      if (const SlotArrayFact* slots = index.slots(usr)) return slots;
    }
  }
  return nullptr;
}

// 3.15's export hook (PEP 793, #22): CPython builds the module from the returned slots
// as it does a multi-phase module from m_slots, so the same slots say the same things.
ModuleConfigView view_of_export_hook(const ConfigIndex& index, FunctionRef hook) {
  ModuleConfigView view;
  view.init = InitStyle::export_hook;
  view.created_at = hook.function->location;
  view.slots = returned_slots(index, hook);
  read_slots(view);
  find_failing_create(index, hook, view);
  collect_init_functions(index, hook, view);
  collect_units(index, hook, view);
  drop_runtime_reachable(index, hook, view);
  collect_reach(index, hook, view);
  view.call_graph_complete = call_graph_complete(view);
  // No slot array in sight (built at run time, behind a function pointer or code not
  // seen): what the module declares is not known, so neither is how it initialises.
  if (!init_facts_trusted(view, hook) || !view.slots) forget_declarations(view);
  return view;
}

// What a pybind11 / nanobind macro's options declare. `py::mod_gil_not_used()` makes
// the framework call PyUnstable_Module_SetGIL under Py_GIL_DISABLED, from its own code
// and only when the option is given, so the option is the declaration.
void apply_binding_options(ModuleConfigView& view, const BindingModuleFact& binding) {
  auto has = [&](const char* word) {
    return std::any_of(binding.options.begin(), binding.options.end(),
                       [&](const std::string& option) { return option.find(word) != std::string::npos; });
  };
  if (has("mod_gil_not_used") && view.gil == GilDeclaration::absent) {
    view.gil = GilDeclaration::not_used;
    view.gil_at = binding.location;
  }
  std::optional<MultipleInterpreters> chosen =
      has("per_interpreter_gil") ? MultipleInterpreters::per_interpreter_gil_supported
      : has("shared_gil")        ? MultipleInterpreters::supported
      : has("not_supported")     ? std::optional(MultipleInterpreters::not_supported)
                                 : std::nullopt;
  if (chosen && view.multiple_interpreters == MultipleInterpreters::absent) {
    // Only pybind11 3 knows these options, and pybind11 3 uses multi-phase init.
    view.init = InitStyle::multi_phase;
    view.multiple_interpreters = *chosen;
    view.multiple_interpreters_at = binding.location;
  }
}

// pybind11 and nanobind modules whose headers were not available: what the macro's
// options say is all there is.
ModuleConfigView view_of_binding(const BindingModuleFact& binding, const TranslationUnitFacts* unit) {
  ModuleConfigView view;
  view.units = {unit};
  apply_binding_options(view, binding);
  view.init_functions.insert("PyInit_" + binding.module_name);
  return view;
}

ExtensionModule& module_named(std::vector<ExtensionModule>& modules, const std::string& name) {
  auto found = std::find_if(modules.begin(), modules.end(), [&](const ExtensionModule& m) { return m.name == name; });
  if (found != modules.end()) return *found;
  ExtensionModule module;
  module.name = name;
  modules.push_back(std::move(module));
  return modules.back();
}

// One PyInit_ or PyModExport_ function of `module`. With both, 3.15 calls only the
// export hook and 3.14 only PyInit (#22): the hook's view is the module's, PyInit's is
// kept beside it as what older Pythons import.
void add_entry_point(ExtensionModule& module, BuildConfig config, const ConfigIndex& index, FunctionRef entry) {
  const bool hook = is_export_hook(entry.function->name);
  if (!module.location.valid() || (hook && module.hook_configs.empty())) module.location = entry.function->location;
  const bool hook_seen = module.hook_configs.count(config) > 0;
  if (!hook) {
    auto& views = hook_seen ? module.pyinit_configs : module.configs;
    if (!views.count(config))
      views[config] = view_of_pyinit(index, entry);  // else: the same PyInit from a shared header
    return;
  }
  if (hook_seen) return;  // the same hook from a shared header
  module.hook_configs.insert(config);
  auto existing = module.configs.find(config);
  if (existing != module.configs.end()) module.pyinit_configs[config] = std::move(existing->second);
  module.configs[config] = view_of_export_hook(index, entry);
}

// PyInit_ beside a hook still initialises the module on older Pythons: what it writes is
// module initialisation (FT002), not a write at run time, and what it runs is reachable.
void join_pyinit_functions(ExtensionModule& module) {
  for (const auto& [config, pyinit] : module.pyinit_configs) {
    auto hook = module.configs.find(config);
    if (hook != module.configs.end()) {
      ModuleConfigView& view = hook->second;
      view.init_functions.insert(pyinit.init_functions.begin(), pyinit.init_functions.end());
      view.reachable_functions.insert(pyinit.reachable_functions.begin(), pyinit.reachable_functions.end());
      view.call_graph_complete = view.call_graph_complete && pyinit.call_graph_complete;
    }
  }
}

void add_config(std::vector<ExtensionModule>& modules, BuildConfig config, const ConfigIndex& index) {
  for (const TranslationUnitFacts* unit : index.units()) {
    for (const FunctionFact& function : unit->functions) {
      std::string name = module_name_of(function.name);
      if (name.empty() || !function.external_linkage) continue;
      ExtensionModule& module = module_named(modules, name);
      if (unit->generator == "cython") module.generator = "cython";
      add_entry_point(module, config, index, FunctionRef{unit, &function});
    }
    for (const BindingModuleFact& binding : unit->binding_modules) {
      ExtensionModule& module = module_named(modules, binding.module_name);
      module.generator = binding.generator;
      if (!module.location.valid()) module.location = binding.location;
      auto existing = module.configs.find(config);
      if (existing == module.configs.end() || existing->second.init == InitStyle::unknown) {
        module.configs[config] = view_of_binding(binding, unit);
      } else {
        apply_binding_options(existing->second, binding);  // the headers were there: PyInit was read
      }
    }
  }
}

// Every file a unit has facts in (its headers included) belongs to the unit's modules.
std::set<std::string> files_of(const TranslationUnitFacts& unit) {
  std::set<std::string> files{unit.file};
  for (const FunctionFact& function : unit.functions) files.insert(function.location.file);
  for (const GlobalVarFact& global : unit.globals) files.insert(global.location.file);
  return files;
}

}  // namespace

const ModuleConfigView* ExtensionModule::view(BuildConfig config) const {
  auto found = configs.find(config);
  return found == configs.end() ? nullptr : &found->second;
}

const ModuleConfigView* ExtensionModule::pyinit_view(BuildConfig config) const {
  auto found = pyinit_configs.find(config);
  return found == pyinit_configs.end() ? nullptr : &found->second;
}

std::string ModuleConfigView::multiple_interpreters_spelling() const {
  if (multiple_interpreters == MultipleInterpreters::other) return multiple_interpreters_other;
  return std::string(to_string(multiple_interpreters));
}

std::string ModuleConfigView::gil_spelling() const {
  if (gil == GilDeclaration::other) return gil_other;
  return std::string(to_string(gil));
}

namespace {

// A unit defining `main` and no module entry point is a program (a project's test or
// tool, dbus-gmain's tests/30574.c), not extension code: no interpreter imports it.
bool is_program(const TranslationUnitFacts& unit) {
  return !defines_a_module(unit) &&
         std::any_of(unit.functions.begin(), unit.functions.end(),
                     [](const FunctionFact& f) { return f.name == "main" && f.external_linkage; });
}

using ParameterRef = std::pair<const FunctionFact*, int>;

// Who calls what, directly, and which functions are handed to someone else to call (named
// in a table or initialiser, or taken by address in a body): those get calls no one sees.
struct CallSites {
  std::map<const FunctionFact*, std::vector<std::pair<const FunctionFact*, const CallFact*>>> callers;
  std::set<const FunctionFact*> address_taken;
};

CallSites call_sites(const ConfigIndex& index) {
  CallSites sites;
  for (const TranslationUnitFacts* unit : index.units()) {
    for_each_function_handed_on(*unit, /*with_module_slots=*/true, [&](const std::string& name) {
      if (auto function = index.function(name, unit)) sites.address_taken.insert(function->function);
    });
    for (const FunctionFact& function : unit->functions) {
      for (const CallFact& call : function.calls) {
        if (auto callee = index.function(call.callee, unit))
          sites.callers[callee->function].emplace_back(&function, &call);
      }
    }
  }
  return sites;
}

// Least fixed point: a function whose every return (null aside) gives a fresh container,
// or the result of a call to such a function, hands its caller a container nobody else
// holds (_pickle's get_dotted_path returns the list PyUnicode_Split made).
std::set<const FunctionFact*> functions_returning_fresh(const ConfigIndex& index) {
  std::set<const FunctionFact*> fresh;
  for (bool added = true; added;) {
    added = false;
    for (const TranslationUnitFacts* unit : index.units()) {
      auto is_fresh = [&](const ArgSource& source) {
        if (source.kind == ArgSource::Kind::fresh_container) return source.field.empty();
        if (source.kind != ArgSource::Kind::call_result) return false;
        auto callee = index.function(source.function, unit);
        return callee && fresh.contains(callee->function);
      };
      for (const FunctionFact& function : unit->functions) {
        if (fresh.contains(&function) || function.parse_errors || function.returned_sources.empty()) continue;
        if (std::all_of(function.returned_sources.begin(), function.returned_sources.end(), is_fresh)) {
          fresh.insert(&function);
          added = true;
        }
      }
    }
  }
  return fresh;
}

// What a call of a function returning fresh containers gave is a fresh container too.
void resolve_fresh_call_results(std::vector<TranslationUnitFacts>& units, BuildConfig config,
                                const ConfigIndex& index) {
  const std::set<const FunctionFact*> fresh = functions_returning_fresh(index);
  if (fresh.empty()) return;
  for (TranslationUnitFacts& unit : units) {
    if (unit.config != config || is_program(unit)) continue;
    auto resolve = [&](ArgSource& source) {
      if (source.kind != ArgSource::Kind::call_result) return;
      auto callee = index.function(source.function, &unit);
      if (callee && fresh.contains(callee->function)) source = {ArgSource::Kind::fresh_container, -1, {}};
    };
    for (FunctionFact& function : unit.functions) {
      for (CallFact& call : function.calls) std::for_each(call.arg_sources.begin(), call.arg_sources.end(), resolve);
    }
  }
}

// A call's result that the caller only compares, tests, and hands to helpers that only
// compare it (CallFact::result_passed_to, FunctionFact::parameters_only_compared) is only
// compared: `_decimal`'s list_as_flags passes each borrowed item to exception_as_flag,
// which looks for it among the signal classes by address. One level: a helper passing the
// parameter on is a use.
void resolve_results_passed_to_comparisons(std::vector<TranslationUnitFacts>& units, BuildConfig config,
                                           const ConfigIndex& index) {
  for (TranslationUnitFacts& unit : units) {
    if (unit.config != config || is_program(unit)) continue;
    auto only_compares = [&](const PassedArgument& passed) {
      auto callee = index.function(passed.callee, &unit);
      if (!callee) return false;
      const std::vector<int>& compared = callee->function->parameters_only_compared;
      return std::find(compared.begin(), compared.end(), passed.position) != compared.end();
    };
    for (FunctionFact& function : unit.functions) {
      for (CallFact& call : function.calls) {
        const auto& passes = call.result_passed_to;
        if (!passes.empty() && std::all_of(passes.begin(), passes.end(), only_compares))
          call.result_only_compared = true;
      }
    }
  }
}

// An object no other thread holds: one just made, or a parameter of `function` that every
// caller hands such an object (`private_parameters`); or a field of either that no code
// hands on (`shared_fields`: the names of the fields some function does). A key naming an
// object is not the object.
bool is_private_source(const ArgSource& source, const FunctionFact* function,
                       const std::set<ParameterRef>& private_parameters, const std::set<std::string>& shared_fields) {
  if (source.identity || (!source.field.empty() && shared_fields.contains(source.field))) return false;
  return source.kind == ArgSource::Kind::fresh_container ||
         (source.kind == ArgSource::Kind::parameter && private_parameters.contains({function, source.parameter}));
}

std::set<std::string> fields_shared_anywhere(const std::vector<TranslationUnitFacts>& units) {
  std::set<std::string> fields;
  for (const TranslationUnitFacts& unit : units) {
    for (const FunctionFact& function : unit.functions)
      fields.insert(function.fields_shared.begin(), function.fields_shared.end());
  }
  return fields;
}

// The functions a type names in its destructor slots (GlobalVarFact::destructors): in a
// static PyTypeObject or a PyType_Slot array.
std::set<const FunctionFact*> type_destructors(const ConfigIndex& index) {
  std::set<const FunctionFact*> destructors;
  for (const TranslationUnitFacts* unit : index.units()) {
    for (const GlobalVarFact& global : unit->globals) {
      const bool type_table =
          global.kind == GlobalVarFact::Kind::static_type ||
          (global.kind == GlobalVarFact::Kind::api_table && global.type.find("PyType_Slot") != std::string::npos);
      if (!type_table) continue;
      for (const std::string& name : global.destructors) {
        if (auto function = index.function(name, unit)) destructors.insert(function->function);
      }
    }
  }
  return destructors;
}

// Greatest fixed point: start from every parameter that could be private (the kwargs
// parameter of a function CPython may call; the object a destructor slot is given; each
// parameter of a function only called directly) and drop one as soon as a call passes it
// something else, until nothing drops. Mutually recursive helpers passing the object around
// stay private.
std::set<ParameterRef> private_parameters(const ConfigIndex& index, const std::set<std::string>& shared_fields) {
  CallSites sites = call_sites(index);
  std::set<ParameterRef> candidates;
  for (const FunctionFact* destructor : type_destructors(index)) candidates.insert({destructor, 0});
  for (const TranslationUnitFacts* unit : index.units()) {
    for (const FunctionFact& function : unit->functions) {
      if (function.kwargs_parameter >= 0) candidates.insert({&function, function.kwargs_parameter});
      auto callers = sites.callers.find(&function);
      if (callers == sites.callers.end() || sites.address_taken.contains(&function)) continue;
      for (const auto& [caller, call] : callers->second) {
        for (int position = 0; position < static_cast<int>(call->arg_sources.size()); ++position)
          candidates.insert({&function, position});
      }
    }
  }
  auto passes_private = [&](const FunctionFact* caller, const CallFact* call, int position) {
    return position < static_cast<int>(call->arg_sources.size()) &&
           is_private_source(call->arg_sources[static_cast<std::size_t>(position)], caller, candidates, shared_fields);
  };
  for (bool dropped = true; dropped;) {
    dropped = false;
    for (auto candidate = candidates.begin(); candidate != candidates.end();) {
      const auto& callers = sites.callers[candidate->first];
      bool all_private = std::all_of(callers.begin(), callers.end(), [&](const auto& site) {
        return passes_private(site.first, site.second, candidate->second);
      });
      if (all_private) {
        ++candidate;
      } else {
        candidate = candidates.erase(candidate);
        dropped = true;
      }
    }
  }
  return candidates;
}

}  // namespace

std::vector<const TranslationUnitFacts*> AnalysisModel::units_for(BuildConfig config) const {
  std::vector<const TranslationUnitFacts*> result;
  for (const TranslationUnitFacts& unit : units) {
    if (unit.config == config && !is_program(unit)) result.push_back(&unit);
  }
  return result;
}

bool AnalysisModel::first_arg_is_private(const FunctionFact& function, const CallFact& call) const {
  return !call.arg_sources.empty() &&
         is_private_source(call.arg_sources.front(), &function, private_parameters, shared_fields);
}

bool AnalysisModel::names_private_object(const FunctionFact& function, const ArgSource& key) const {
  if (!key.identity) return false;
  ArgSource object = key;
  object.identity = false;
  return is_private_source(object, &function, private_parameters, shared_fields);
}

std::vector<std::string> AnalysisModel::modules_owning(const std::string& file) const {
  auto found = owners.find(file);
  return found == owners.end() ? std::vector<std::string>{} : found->second;
}

std::vector<std::string> AnalysisModel::modules_reaching(const FunctionFact& function) const {
  auto found = function_modules.find(&function);
  return found == function_modules.end() ? std::vector<std::string>{} : found->second;
}

std::vector<std::string> AnalysisModel::modules_reaching(const GlobalVarFact& global) const {
  auto found = global_modules.find(&global);
  return found == global_modules.end() ? std::vector<std::string>{} : found->second;
}

namespace {

void add_once(std::vector<std::string>& names, const std::string& name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
}

// Which modules reach each function and global. A module no CPython creates (#26, #27,
// #30, #31) runs none of its code, so it is named only for code no created module
// reaches (its own failing create or init function): _testmultiphase's fixtures that fail
// on purpose share the file's functions with modules that load.
void attribute_reached_code(AnalysisModel& model) {
  for (bool created : {true, false}) {
    std::map<const FunctionFact*, std::vector<std::string>> functions;
    std::map<const GlobalVarFact*, std::vector<std::string>> globals;
    for (const ExtensionModule& module : model.modules) {
      for (const auto* views : {&module.configs, &module.pyinit_configs}) {
        for (const auto& [config, view] : *views) {
          if (view.never_created() == created) continue;
          for (const FunctionFact* function : view.reached_functions) add_once(functions[function], module.name);
          for (const GlobalVarFact* global : view.reached_globals) add_once(globals[global], module.name);
        }
      }
    }
    // try_emplace: what created modules reach keeps only their names.
    for (auto& [function, names] : functions) model.function_modules.try_emplace(function, std::move(names));
    for (auto& [global, names] : globals) model.global_modules.try_emplace(global, std::move(names));
  }
}

}  // namespace

AnalysisModel build_module_model(std::vector<TranslationUnitFacts> units) {
  AnalysisModel model;
  model.units = std::move(units);
  model.shared_fields = fields_shared_anywhere(model.units);
  for (BuildConfig config : kAllConfigs) {
    ConfigIndex index(model.units_for(config));
    resolve_fresh_call_results(model.units, config, index);
    resolve_results_passed_to_comparisons(model.units, config, index);
    add_config(model.modules, config, index);
    model.private_parameters.merge(private_parameters(index, model.shared_fields));
  }
  for (ExtensionModule& module : model.modules) join_pyinit_functions(module);
  std::sort(model.modules.begin(), model.modules.end(),
            [](const ExtensionModule& a, const ExtensionModule& b) { return a.location < b.location; });
  for (const ExtensionModule& module : model.modules) {
    for (const auto* views : {&module.configs, &module.pyinit_configs}) {
      for (const auto& [config, view] : *views) {
        for (const TranslationUnitFacts* unit : view.units) {
          for (const std::string& file : files_of(*unit)) add_once(model.owners[file], module.name);
        }
      }
    }
  }
  attribute_reached_code(model);
  return model;
}

}  // namespace subcheck
