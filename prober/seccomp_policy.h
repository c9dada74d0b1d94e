// The seccomp filter every probe child loads (docs/security.md): built here with libseccomp
// and handed to the probe host as a file of BPF instructions, so the host itself (compiled
// at run time with the user's C compiler) needs no library beyond libpython and libc.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace subcheck::prober {

// What the filter refuses, in words (for docs and reports): one entry per group.
std::vector<std::string> seccomp_policy_summary();

// Writes the filter for this machine's architecture to `file` (an array of struct
// sock_filter). Throws std::runtime_error when libseccomp cannot build or export it.
void write_probe_seccomp_filter(const std::filesystem::path& file);

}  // namespace subcheck::prober
