// Whether a report holds everything that was asked, for `subcheck-scan` and `subcheck-probe`
// documents alike (docs/json-schema.md: `complete`, `incomplete_reason`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/interrupt.h"

namespace subcheck {

// Why the report lacks something because SIGINT/SIGTERM stopped the run; "" when none came.
inline std::string incomplete_reason(int signal, const std::string& what_is_missing) {
  if (signal == 0) return {};
  return std::string("interrupted by ") + signal_name(signal) + ": " + what_is_missing;
}

// The report says it is incomplete, and why (an empty reason: it is complete).
inline void mark_completeness(nlohmann::json& report, const std::string& reason) {
  report["complete"] = reason.empty();
  if (!reason.empty()) report["incomplete_reason"] = reason;
}

}  // namespace subcheck
