# subcheck_rule_files(RULE_DIR OUT): OUT is the list of rules/<ID>-<name>.toml files as
# "ID:name" items, subinterpreter rules first, then free-threading, in id order (the
# catalogue's order). A file not named that way stops the build. Included by the scripts
# that generate code from the rule files (analyzer/checks/registry.cmake,
# tests/rule_files.cmake), so adding a rule file is all it takes to list it everywhere.
function(subcheck_rule_files RULE_DIR OUT)
  file(GLOB si_files "${RULE_DIR}/SI*.toml")
  file(GLOB ft_files "${RULE_DIR}/FT*.toml")
  list(SORT si_files)
  list(SORT ft_files)
  set(rules "")
  foreach(rule_file IN LISTS si_files ft_files)
    get_filename_component(stem "${rule_file}" NAME_WE)
    if(NOT stem MATCHES "^((SI|FT)[0-9][0-9][0-9])-([a-z0-9-]+)$")
      message(FATAL_ERROR "rules/${stem}.toml: want rules/<ID>-<name>.toml")
    endif()
    list(APPEND rules "${CMAKE_MATCH_1}:${CMAKE_MATCH_3}")
  endforeach()
  set(${OUT} "${rules}" PARENT_SCOPE)
endfunction()
