# Writes OUT: make_all_checks(), listing one factory per rules/*.toml. The factory of rule
# rules/<ID>-<name>.toml is `std::unique_ptr<Check> checks::make_<name, '-' as '_'>()`,
# defined in the rule's check file in analyzer/checks/; a rule without one fails to link,
# naming the missing factory. Subinterpreter rules first, then free-threading, in id order.
file(GLOB rule_files "${RULE_DIR}/SI*.toml")
file(GLOB ft_rule_files "${RULE_DIR}/FT*.toml")
list(SORT rule_files)
list(SORT ft_rule_files)
list(APPEND rule_files ${ft_rule_files})
set(declarations "")
set(calls "")
foreach(rule_file IN LISTS rule_files)
  get_filename_component(stem "${rule_file}" NAME_WE)
  if(NOT stem MATCHES "^((SI|FT)[0-9][0-9][0-9])-([a-z0-9-]+)$")
    message(FATAL_ERROR "rules/${stem}.toml: want rules/<ID>-<name>.toml")
  endif()
  set(id "${CMAKE_MATCH_1}")
  string(REPLACE "-" "_" factory "make_${CMAKE_MATCH_3}")
  string(APPEND declarations "std::unique_ptr<Check> ${factory}();  // ${id}\n")
  string(APPEND calls "  all.push_back(checks::${factory}());\n")
endforeach()
set(body "// Generated from rules/*.toml by analyzer/checks/registry.cmake. Do not edit.
#include \"analyzer/checks/registry.h\"

namespace subcheck {
namespace checks {

${declarations}
}  // namespace checks

std::vector<std::unique_ptr<Check>> make_all_checks() {
  std::vector<std::unique_ptr<Check>> all;
${calls}  return all;
}

}  // namespace subcheck
")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
