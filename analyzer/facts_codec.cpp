#include "analyzer/facts_codec.h"

#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>

// nlohmann-json 3.11 (Debian 12) has no std::optional: null for nullopt.
namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& out, const std::optional<T>& value) {
    if (value) {
      out = *value;
    } else {
      out = nullptr;
    }
  }
  static void from_json(const json& in, std::optional<T>& value) {
    if (in.is_null()) {
      value.reset();
    } else {
      value = in.get<T>();
    }
  }
};
}  // namespace nlohmann

namespace subcheck {

// Every field of every struct in facts.h, by name. A field missing here would be lost on
// the way from the worker without a word: the size checks below fail to compile when a
// struct in facts.h gains (or loses) a field, so that this list is updated with it.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SourceLocation, file, line, column)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ArgSource, kind, parameter, function, field, identity)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PassedArgument, callee, position)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CallFact, callee, location, offset, args, first_arg_var, arg_sources, is_macro,
                                   critical_section_depth, under_lock, result_only_compared, result_passed_to)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GlobalWriteFact, var_usr, function, location, lazy_init, under_lock, under_mutex,
                                   main_interpreter_only, read_modify_write, stores_constant, fixed_store,
                                   stores_object, generated_from)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GlobalVarFact, name, usr, type, location, kind, function_static, external_linkage,
                                   function, thread_local_storage, functions, destructors, referenced_globals,
                                   generated_from, immortal_head_init)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SlotFact, id, value, number, location)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SlotArrayFact, name, usr, location, slots, parse_errors)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ModuleDefFact, name, usr, location, m_name, m_size, slots_usr, slots_name,
                                   parse_errors)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(FunctionHandoff, kind, position, function, target, target_is_global, location)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(FunctionFact, name, usr, location, external_linkage, kwargs_parameter, calls,
                                   referenced_functions, handoffs, referenced_globals, returned_globals, tested_globals,
                                   main_interpreter_globals, exit_guard_globals, parse_errors, returns_only_null,
                                   raises_before_any_return, returned_sources, fields_made, fields_changed,
                                   fields_shared, parameters_only_compared)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PatternFact, kind, location, function, text)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BindingModuleFact, generator, module_name, location, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ParseDiagnostic, severity, location, message)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MissingHeader, header, included_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TranslationUnitFacts, file, config, parsed, complete, trustworthy, missing_headers,
                                   diagnostics, generator, limited_api, abi3t, limited_api_version, functions, globals,
                                   global_writes, module_defs, slot_arrays, patterns, binding_modules, inputs)

namespace {
// x86-64 with libstdc++: string 32, vector 24, optional<int64_t> 16 bytes.
#define SUBCHECK_FACTS_SIZE(type, bytes)                                                                     \
  static_assert(sizeof(void*) != 8 || sizeof(type) == (bytes), #type                                         \
                " in analyzer/facts.h changed: add its new fields to analyzer/facts_codec.cpp, then update " \
                "this size")
SUBCHECK_FACTS_SIZE(SourceLocation, 40);
SUBCHECK_FACTS_SIZE(ArgSource, 80);
SUBCHECK_FACTS_SIZE(PassedArgument, 40);
SUBCHECK_FACTS_SIZE(CallFact, 200);
SUBCHECK_FACTS_SIZE(GlobalWriteFact, 184);
SUBCHECK_FACTS_SIZE(GlobalVarFact, 304);
SUBCHECK_FACTS_SIZE(SlotFact, 96);
SUBCHECK_FACTS_SIZE(SlotArrayFact, 136);
SUBCHECK_FACTS_SIZE(ModuleDefFact, 224);
SUBCHECK_FACTS_SIZE(FunctionHandoff, 120);
SUBCHECK_FACTS_SIZE(FunctionFact, 432);
SUBCHECK_FACTS_SIZE(PatternFact, 112);
SUBCHECK_FACTS_SIZE(BindingModuleFact, 128);
SUBCHECK_FACTS_SIZE(ParseDiagnostic, 80);
SUBCHECK_FACTS_SIZE(MissingHeader, 72);
// declared_modules is left out on purpose: the build files set it after the parse or the cache.
SUBCHECK_FACTS_SIZE(TranslationUnitFacts, 376);
#undef SUBCHECK_FACTS_SIZE
}  // namespace

std::string encode_facts(const TranslationUnitFacts& facts) {
  std::vector<std::uint8_t> bytes = nlohmann::json::to_msgpack(nlohmann::json(facts));
  return std::string(bytes.begin(), bytes.end());
}

TranslationUnitFacts decode_facts(std::string_view bytes) {
  try {
    return nlohmann::json::from_msgpack(bytes.begin(), bytes.end()).get<TranslationUnitFacts>();
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(std::string("unreadable facts from a parse worker: ") + error.what());
  }
}

}  // namespace subcheck
