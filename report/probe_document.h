// The `subcheck-probe` JSON document (docs/json-schema.md, "subcheck-probe, version 1"):
// what `subcheck probe` writes, and `subcheck scan` of a wheel, an installed distribution or
// a requirements file.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/cross_check.h"

namespace subcheck {

// The whole document: its envelope (schema, version, tool, target as the user gave it),
// the probes' evidence (dynamic_json) and its completeness (`incomplete_reason` empty when
// the run was not interrupted).
nlohmann::json probe_document(const std::string& target, const std::vector<DynamicRun>& runs,
                              const std::vector<std::string>& problems, const std::string& incomplete_reason);

}  // namespace subcheck
