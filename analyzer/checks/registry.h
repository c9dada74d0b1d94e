// The registry of checks is generated from rules/*.toml (analyzer/checks/registry.cmake):
// the check of rule rules/<ID>-<name>.toml is made by `checks::make_<name>()` (with '_' for
// '-'), defined in that check's own file here; make_all_checks() (check.h) lists them all.
#pragma once

#include <memory>

#include "analyzer/check.h"
