# Writes OUT: make_all_checks(), listing one factory per rules/*.toml. The factory of rule
# rules/<ID>-<name>.toml is `std::unique_ptr<Check> checks::make_<name, '-' as '_'>()`,
# defined in the rule's check file in analyzer/checks/; a rule without one fails to link,
# naming the missing factory. Subinterpreter rules first, then free-threading, in id order.
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/rule_files.cmake")
subcheck_rule_files("${RULE_DIR}" rules)
set(declarations "")
set(calls "")
foreach(rule IN LISTS rules)
  string(REPLACE ":" ";" id_and_name "${rule}")
  list(GET id_and_name 0 id)
  list(GET id_and_name 1 name)
  string(REPLACE "-" "_" factory "make_${name}")
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
