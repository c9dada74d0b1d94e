// The tool's own version, from the CMake project version: in every report's `tool` object
// and in `subcheck --version`.
#pragma once

#include <string_view>

namespace subcheck {

std::string_view tool_version();

}  // namespace subcheck
