# Writes OUT: a C++ source holding the probe host's C source, so subcheck can build the
# host for any interpreter a user points it at.
file(READ "${IN}" text)
if(text MATCHES "\\)subcheck_host\"")
  message(FATAL_ERROR "${IN} contains the raw-string end marker")
endif()
set(body "// Generated from prober/host/probe_host.c by embed_host.cmake. Do not edit.\n#include <string_view>\nnamespace subcheck::prober {\nstd::string_view embedded_host_source() {\n  static constexpr std::string_view source = R\"subcheck_host(${text})subcheck_host\";\n  return source;\n}\n}  // namespace subcheck::prober\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
