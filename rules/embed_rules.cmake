# Writes OUT: a C++ source that holds every RULE_DIR/*.toml as a raw string, keyed by
# "rules/<file name>" so that catalogue errors name the file as it is in the repository.
file(GLOB rule_files "${RULE_DIR}/*.toml")
list(SORT rule_files)
set(delimiter "subcheck_toml")
set(body "// Generated from rules/*.toml by embed_rules.cmake. Do not edit.\n#include <map>\n#include <string>\nnamespace subcheck {\nconst std::map<std::string, std::string>& embedded_rule_sources();\nconst std::map<std::string, std::string>& embedded_rule_sources() {\n  static const std::map<std::string, std::string> sources = {\n")
foreach(rule_file IN LISTS rule_files)
  get_filename_component(name "${rule_file}" NAME)
  file(READ "${rule_file}" text)
  # The raw string would end early; refuse rather than embed a truncated rule.
  string(FIND "${text}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "rules/${name} contains ')${delimiter}\"', which cannot be embedded")
  endif()
  string(APPEND body "    {\"rules/${name}\", R\"${delimiter}(${text})${delimiter}\"},\n")
endforeach()
string(APPEND body "  };\n  return sources;\n}\n}  // namespace subcheck\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
