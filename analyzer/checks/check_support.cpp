#include "analyzer/checks/check_support.h"

#include <algorithm>
#include <stdexcept>

#include "core/text.h"
#include "rules/catalogue.h"

namespace subcheck::checks {

bool generated_by_cython(const TranslationUnitFacts& unit) { return unit.generator == "cython"; }

std::string registry_advice_for_slots(const std::map<std::string, std::string>& apis) {
  auto find_module = apis.find("PyState_FindModule");
  if (find_module == apis.end()) throw std::runtime_error("SI007's [data] table has no PyState_FindModule entry");
  return find_module->second +
         " (a module defined with slots is never in the registry: CPython refuses PyState_AddModule and "
         "PyState_RemoveModule for it, and PyState_FindModule returns NULL)";
}

std::optional<SourceLocation> cython_interpreter_guard(const ModuleConfigView& view) {
  std::optional<SourceLocation> first;
  for_each_call(view.units, [&](const TranslationUnitFacts&, const FunctionFact&, const CallFact& call) {
    if (call.callee == "__Pyx_check_single_interpreter" && (!first || call.location < *first)) first = call.location;
  });
  return first;
}

std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit) {
  return context.model.modules_owning(unit.file);
}

namespace {

// The file's owners that `reaching` names, in the owners' order; all of them when none.
std::vector<std::string> narrowed(const std::vector<std::string>& owners, const std::vector<std::string>& reaching) {
  std::vector<std::string> kept;
  for (const std::string& owner : owners) {
    if (blames(reaching, owner)) kept.push_back(owner);
  }
  return kept.empty() ? owners : kept;
}

}  // namespace

std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit,
                                    const FunctionFact& function) {
  return narrowed(modules_of(context, unit), context.model.modules_reaching(function));
}

std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit,
                                    const std::string& function) {
  for (const FunctionFact& defined : unit.functions) {
    if (!function.empty() && defined.name == function) return modules_of(context, unit, defined);
  }
  return modules_of(context, unit);
}

std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit,
                                    const GlobalVarFact& global) {
  return narrowed(modules_of(context, unit), context.model.modules_reaching(global));
}

bool blames(const std::vector<std::string>& modules, const std::string& module) {
  return std::find(modules.begin(), modules.end(), module) != modules.end();
}

const std::map<std::string, std::string>& required_data(const Rule& rule) {
  if (rule.data.empty()) {
    throw std::runtime_error("rule " + rule.id + " (" + rule.name +
                             ") has an empty [data] table: its rules/*.toml file must list the "
                             "APIs the check matches");
  }
  return rule.data;
}

std::string in_function(const std::string& function) {
  return function.empty() ? std::string{} : " (in " + function + ")";
}

std::map<std::string, const GlobalVarFact*> globals_by_usr(const std::vector<const TranslationUnitFacts*>& units) {
  std::map<std::string, const GlobalVarFact*> globals;
  for (const auto* unit : units) {
    for (const auto& global : unit->globals) {
      globals.try_emplace(global.usr, &global);
    }
  }
  return globals;
}

std::map<std::string, std::vector<const GlobalWriteFact*>> writes_by_usr(
    const std::vector<const TranslationUnitFacts*>& units) {
  std::map<std::string, std::vector<const GlobalWriteFact*>> writes;
  for (const auto* unit : units) {
    for (const auto& write : unit->global_writes) {
      writes[write.var_usr].push_back(&write);
    }
  }
  auto by_location = [](const GlobalWriteFact* a, const GlobalWriteFact* b) { return a->location < b->location; };
  auto same_location = [](const GlobalWriteFact* a, const GlobalWriteFact* b) { return a->location == b->location; };
  for (auto& [usr, list] : writes) {
    std::stable_sort(list.begin(), list.end(), by_location);
    list.erase(std::unique(list.begin(), list.end(), same_location), list.end());
  }
  return writes;
}

std::set<std::string> functions_entered_locked(const std::vector<const TranslationUnitFacts*>& units,
                                               const std::function<bool(const CallFact&)>& locked) {
  struct Site {
    const std::string* caller;
    bool locked;
  };
  std::map<std::string, std::vector<Site>> sites;
  std::set<std::string> named_otherwise;
  for (const auto* unit : units) {
    for (const auto& global : unit->globals) named_otherwise.insert(global.functions.begin(), global.functions.end());
    for (const auto& function : unit->functions) {
      std::set<std::string> called;
      for (const auto& call : function.calls) {
        sites[call.callee].push_back({&function.name, locked(call)});
        called.insert(call.callee);
      }
      for (const auto& handoff : function.handoffs) named_otherwise.insert(handoff.function);
      for (const auto& name : function.referenced_functions) {
        if (!called.contains(name)) named_otherwise.insert(name);
      }
    }
  }
  // Least fixed point: a function joins once every site is locked or in a function that
  // already joined; recursion alone never makes a function locked.
  std::set<std::string> entered_locked;
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& [callee, calls] : sites) {
      if (entered_locked.contains(callee) || named_otherwise.contains(callee)) continue;
      bool all_locked = std::all_of(calls.begin(), calls.end(), [&](const Site& site) {
        return site.locked || entered_locked.contains(*site.caller);
      });
      if (all_locked) grew = entered_locked.insert(callee).second || grew;
    }
  }
  return entered_locked;
}

std::string python_global_noun(const GlobalVarFact& var) {
  const bool one_object = !var.type.empty() && var.type.back() == '*';
  return one_object ? "Python object" : "variable holding Python objects";
}

std::vector<const ExtensionModule*> modules_named(const AnalysisModel& model, const std::vector<std::string>& names) {
  std::vector<const ExtensionModule*> modules;
  for (const ExtensionModule& module : model.modules) {
    if (blames(names, module.name)) modules.push_back(&module);
  }
  return modules;
}

namespace {

WriteTiming write_timing_in(const ModuleConfigView& view, const GlobalWriteFact& write) {
  if (view.call_graph_complete && !view.reachable_functions.contains(write.function)) return WriteTiming::never;
  const bool init_once = view.init == InitStyle::single_phase && view.def != nullptr && view.def->m_size == -1;
  return init_once && view.init_functions.contains(write.function) ? WriteTiming::once_per_process
                                                                   : WriteTiming::run_time;
}

}  // namespace

WriteTiming write_timing(const std::vector<const ExtensionModule*>& owners, BuildConfig config,
                         const GlobalWriteFact& write) {
  if (owners.empty()) return WriteTiming::run_time;
  WriteTiming latest = WriteTiming::never;
  for (const ExtensionModule* module : owners) {
    const ModuleConfigView* view = module->view(config);
    latest = std::max(latest, view == nullptr ? WriteTiming::run_time : write_timing_in(*view, write));
  }
  return latest;
}

bool immortal_constant(const GlobalVarFact& global,
                       const std::map<std::string, std::vector<const GlobalWriteFact*>>& writes) {
  return global.kind == GlobalVarFact::Kind::static_object && global.immortal_head_init && !writes.contains(global.usr);
}

std::vector<WrittenGlobal> written_globals(const std::vector<const TranslationUnitFacts*>& units,
                                           const std::set<GlobalVarFact::Kind>& kinds) {
  const auto writes = writes_by_usr(units);
  std::vector<WrittenGlobal> result;
  for (const auto* unit : units) {
    for (const auto& global : unit->globals) {
      if (!kinds.contains(global.kind)) continue;
      auto it = writes.find(global.usr);
      if (it == writes.end() || it->second.empty()) continue;
      result.push_back({unit, &global, it->second});
    }
  }
  return result;
}

namespace {

// The first write to `usr` an init function makes with a flag's value, or nullptr.
const GlobalWriteFact* setting_write(const ModuleConfigView& view,
                                     const std::map<std::string, std::vector<const GlobalWriteFact*>>& writes,
                                     const std::string& usr) {
  auto found = writes.find(usr);
  if (found == writes.end()) return nullptr;
  for (const GlobalWriteFact* write : found->second) {
    if (view.init_functions.contains(write->function) && (write->stores_constant || write->read_modify_write)) {
      return write;
    }
  }
  return nullptr;
}

}  // namespace

std::vector<ExecOnceGuard> exec_once_guards(const ModuleConfigView& view) {
  const auto writes = writes_by_usr(view.units);
  std::map<std::string, std::pair<const TranslationUnitFacts*, const GlobalVarFact*>> flags;
  for (const auto* unit : view.units) {
    if (generated_by_cython(*unit)) continue;
    for (const auto& global : unit->globals) {
      if (global.kind == GlobalVarFact::Kind::other_mutable && !global.thread_local_storage) {
        flags.try_emplace(global.usr, unit, &global);
      }
    }
  }
  std::vector<ExecOnceGuard> guards;
  std::set<std::string> seen;
  for (const auto* unit : view.units) {
    for (const auto& function : unit->functions) {
      if (!view.init_functions.contains(function.name)) continue;
      for (const std::string& usr : function.exit_guard_globals) {
        auto flag = flags.find(usr);
        if (flag == flags.end() || seen.contains(usr)) continue;
        if (const GlobalWriteFact* write = setting_write(view, writes, usr)) {
          seen.insert(usr);
          guards.push_back({flag->second.first, flag->second.second, function.name, write});
        }
      }
    }
  }
  return guards;
}

SourceLocation definition_location(const ExtensionModule& module, const ModuleConfigView& view) {
  if (view.def != nullptr && view.def->location.valid()) return view.def->location;
  if (view.slots != nullptr && view.slots->location.valid()) return view.slots->location;
  return module.location;
}

namespace {

// The suffix of the module's entry point when it is a non-ASCII export (PyInitU_,
// PyModExportU_), or "".
std::string punycode_suffix(const ExtensionModule& module, const ModuleConfigView& view) {
  for (const auto* unit : view.units) {
    for (const auto& function : unit->functions) {
      if (function.location != module.location) continue;
      for (std::string_view prefix : {"PyInitU_", "PyModExportU_"}) {
        if (function.name.starts_with(prefix)) return function.name.substr(prefix.size());
      }
    }
  }
  return {};
}

// `"spam"` -> spam; anything but a plain string literal (a macro, a concatenation) -> "".
std::string string_literal(const std::string& spelling) {
  if (spelling.size() < 2 || spelling.front() != '"' || spelling.back() != '"') return {};
  std::string inner = spelling.substr(1, spelling.size() - 2);
  return inner.find_first_of("\\\"") == std::string::npos ? inner : std::string{};
}

}  // namespace

std::string import_name(const ExtensionModule& module, const ModuleConfigView& view) {
  std::string suffix = punycode_suffix(module, view);
  if (suffix.empty()) return module.name;
  if (std::optional<std::string> decoded = decode_export_punycode(suffix)) return *decoded;
  if (view.def != nullptr) {
    if (std::string literal = string_literal(view.def->m_name); !literal.empty()) return literal;
  }
  return module.name;
}

std::string slot_entry(InitStyle init, const std::string& slot, const std::string& value) {
  if (init == InitStyle::export_hook) return "PySlot_DATA(" + slot + ", " + value + ")";
  return "{" + slot + ", " + value + "}";
}

bool readies_static_types_per_interpreter(const TranslationUnitFacts& unit) {
  return std::any_of(unit.functions.begin(), unit.functions.end(), [](const FunctionFact& function) {
    return std::any_of(function.calls.begin(), function.calls.end(),
                       [](const CallFact& call) { return call.callee == "_PyStaticType_InitForExtension"; });
  });
}

bool is_static_python_object(const GlobalVarFact& global) {
  return global.kind == GlobalVarFact::Kind::static_type || global.kind == GlobalVarFact::Kind::static_object;
}

bool stores_object(const WrittenGlobal& global) {
  return std::any_of(global.writes.begin(), global.writes.end(),
                     [](const GlobalWriteFact* write) { return write->stores_object; });
}

bool stores_one_value_per_target(const std::vector<const GlobalWriteFact*>& writes) {
  std::map<std::string_view, std::string_view> value_at;
  for (const GlobalWriteFact* write : writes) {
    const std::string_view store = write->fixed_store;
    const std::size_t equals = store.find(" = ");
    if (equals == std::string_view::npos) return false;
    auto [at, added] = value_at.emplace(store.substr(0, equals), store.substr(equals + 3));
    if (!added && at->second != store.substr(equals + 3)) return false;
  }
  return true;
}

bool written_only_by_main_interpreter(const WrittenGlobal& global) {
  return std::all_of(global.writes.begin(), global.writes.end(),
                     [](const GlobalWriteFact* write) { return write->main_interpreter_only; });
}

std::vector<std::string> used_outside_main_interpreter(const std::vector<const TranslationUnitFacts*>& units,
                                                       const WrittenGlobal& global) {
  const std::string& usr = global.var->usr;
  auto names = [&](const std::vector<std::string>& usrs) {
    return std::find(usrs.begin(), usrs.end(), usr) != usrs.end();
  };
  std::vector<std::string> functions;
  for (const auto* unit : units) {
    for (const auto& function : unit->functions) {
      if (names(function.referenced_globals) && !names(function.main_interpreter_globals) &&
          std::find(functions.begin(), functions.end(), function.name) == functions.end()) {
        functions.push_back(function.name);
      }
    }
  }
  return functions;
}

bool used_only_by_main_interpreter(const std::vector<const TranslationUnitFacts*>& units, const WrittenGlobal& global) {
  return written_only_by_main_interpreter(global) && used_outside_main_interpreter(units, global).empty();
}

std::string python_global_fix(const std::vector<const TranslationUnitFacts*>& units, const WrittenGlobal& global) {
  if (!written_only_by_main_interpreter(global)) return "Keep it in module state (PyModule_GetState) instead";
  std::string users;
  for (const std::string& function : used_outside_main_interpreter(units, global))
    users += (users.empty() ? "" : ", ") + function;
  return "Only the main interpreter assigns it, but other interpreters still use its object (in " + users +
         "): test for the main interpreter there too, or keep what they need as C data";
}

std::vector<WrittenGlobal> written_python_globals(const std::vector<const TranslationUnitFacts*>& units) {
  std::vector<WrittenGlobal> globals =
      written_globals(units, {GlobalVarFact::Kind::python_object, GlobalVarFact::Kind::other_mutable});
  std::erase_if(globals, [](const WrittenGlobal& global) {
    return generated_by_cython(*global.unit) ||
           (global.var->kind == GlobalVarFact::Kind::other_mutable && !stores_object(global));
  });
  return globals;
}

void ListedApiCallCheck::run(CheckContext& context) const {
  for_each_listed_call(context.model.units_for(context.config), required_data(context.rule),
                       [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call,
                           const std::string& listed) {
                         std::vector<std::string> owners = modules_of(context, unit, function);
                         if (!reported(context, function, owners, call.callee)) return;
                         std::string text = call.callee + in_function(function.name) + " " + problem(call.callee);
                         const std::string instead = advice(context, function, owners, call.callee, listed);
                         if (!instead.empty()) text += "; use " + instead + " instead";
                         context.sink.report(call.location, std::move(text), std::move(owners));
                       });
}

}  // namespace subcheck::checks
