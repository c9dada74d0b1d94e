// Unpacking a wheel without trusting it: core/archive.h does the unpacking and all its
// checks; this adds where a wheel's members go (the wheel spec's *.data directories).
#pragma once

#include <filesystem>

#include "core/archive.h"

namespace subcheck::prober {

using WheelContents = ExtractedFiles;

// Unpacks a wheel into `root` (an existing, empty, private directory): the purelib/platlib
// content at the root, `*.data/purelib` and `*.data/platlib` mapped onto it, other
// `*.data/*` members (scripts, headers, data) left out with a warning. Links and special
// files refuse the wheel. Throws ArchiveError for a corrupt or hostile wheel (files already
// written are left for the caller, who owns `root`, to remove).
WheelContents extract_wheel(const std::filesystem::path& wheel, const std::filesystem::path& root,
                            const ArchiveLimits& limits = {});

}  // namespace subcheck::prober
