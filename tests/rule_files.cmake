# Writes OUT: test::rule_files(), every rules/<ID>-<name>.toml as {id, name} in the
# catalogue's order, so the tests that go over all rules need no list kept by hand.
# Run at build time: cmake -DOUT=<file> -DRULE_DIR=<repo>/rules -P tests/rule_files.cmake
include("${CMAKE_CURRENT_LIST_DIR}/../cmake/rule_files.cmake")
subcheck_rule_files("${RULE_DIR}" rules)
set(entries "")
foreach(rule IN LISTS rules)
  string(REPLACE ":" "\", \"" id_and_name "${rule}")
  string(APPEND entries "      {\"${id_and_name}\"},\n")
endforeach()
set(body "// Generated from rules/*.toml by tests/rule_files.cmake. Do not edit.
#include \"tests/test_support.h\"

namespace subcheck::test {

const std::vector<RuleFile>& rule_files() {
  static const std::vector<RuleFile> files{
${entries}  };
  return files;
}

}  // namespace subcheck::test
")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
