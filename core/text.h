// Text helpers every layer may need on hostile bytes.
#pragma once

#include <string_view>

namespace subcheck {

// True when `text` is well-formed UTF-8 (what JSON output and archive member names need).
bool is_valid_utf8(std::string_view text);

}  // namespace subcheck
