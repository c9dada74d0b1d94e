// Text helpers every layer may need on hostile bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace subcheck {

// True when `text` is well-formed UTF-8 (what JSON output and archive member names need).
bool is_valid_utf8(std::string_view text);

// The module name a `PyInitU_<suffix>` (or `PyModExportU_<suffix>`) entry point stands for,
// as UTF-8: CPython exports a non-ASCII name as `name.encode("punycode")` with '-' made '_'
// (docs/cpython-behaviour.md #15), so the last '_' is punycode's delimiter (its digits are
// [a-z0-9] only). nullopt when the suffix is not such an encoding.
std::optional<std::string> decode_export_punycode(std::string_view suffix);

}  // namespace subcheck
