#include "analyzer/checks/check_support.h"

#include <algorithm>
#include <stdexcept>

#include "rules/catalogue.h"

namespace subcheck::checks {

bool generated_by_cython(const TranslationUnitFacts& unit) { return unit.generator == "cython"; }

std::vector<std::string> modules_of(const CheckContext& context, const TranslationUnitFacts& unit) {
  return context.model.modules_owning(unit.file);
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

SourceLocation definition_location(const ExtensionModule& module, const ModuleConfigView& view) {
  if (view.def != nullptr && view.def->location.valid()) return view.def->location;
  if (view.slots != nullptr && view.slots->location.valid()) return view.slots->location;
  return module.location;
}

std::string slot_entry(InitStyle init, const std::string& slot, const std::string& value) {
  if (init == InitStyle::export_hook) return "PySlot_DATA(" + slot + ", " + value + ")";
  return "{" + slot + ", " + value + "}";
}

bool is_static_python_object(const GlobalVarFact& global) {
  return global.kind == GlobalVarFact::Kind::static_type || global.kind == GlobalVarFact::Kind::static_object;
}

std::vector<WrittenGlobal> written_python_globals(const std::vector<const TranslationUnitFacts*>& units) {
  std::vector<WrittenGlobal> globals = written_globals(units, {GlobalVarFact::Kind::python_object});
  std::erase_if(globals, [](const WrittenGlobal& global) { return generated_by_cython(*global.unit); });
  return globals;
}

void ListedApiCallCheck::run(CheckContext& context) const {
  for_each_listed_call(context.model.units_for(context.config), required_data(context.rule),
                       [&](const TranslationUnitFacts& unit, const FunctionFact& function, const CallFact& call,
                           const std::string& advice) {
                         std::string text = call.callee + in_function(function.name) + " " + problem();
                         if (!advice.empty()) text += "; use " + advice + " instead";
                         context.sink.report(call.location, std::move(text), modules_of(context, unit));
                       });
}

}  // namespace subcheck::checks
