#include "report/tool_version.h"

#ifndef SUBCHECK_VERSION
#define SUBCHECK_VERSION "0.0.0"
#endif

namespace subcheck {

std::string_view tool_version() { return SUBCHECK_VERSION; }

}  // namespace subcheck
