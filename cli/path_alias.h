// Paths into the private directories an sdist or a wheel was unpacked into, shown as the
// archive member they came from. Those directories are removed when the scan ends, so a
// report that names them points nowhere; `dist/foo-1.0.tar.gz/foo-1.0/src/foo.c` names
// the file the user has (the form Python's zipimport gives `__file__` inside an archive).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace subcheck {

struct PathAlias {
  std::string unpacked;  // the private directory, as the reports would name it
  std::string archive;   // the archive it was unpacked from, absolute
};

// The alias for `archive` unpacked into `unpacked` (both made absolute; the unpacked
// directory also under its canonical name when that differs, e.g. a symlinked /tmp).
std::vector<PathAlias> aliases_for(const std::filesystem::path& unpacked, const std::filesystem::path& archive);

// `text` with every mention of an unpacked directory replaced by its archive: paths,
// and paths quoted in messages (a compiler's "file not found", an ImportError).
std::string apply_aliases(std::string text, const std::vector<PathAlias>& aliases);

// The same, applied to every string (not key) of a report document.
void apply_aliases(nlohmann::json& document, const std::vector<PathAlias>& aliases);

}  // namespace subcheck
