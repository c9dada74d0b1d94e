// Debian strips RECORD from the distributions it packages, and some of its dist-info
// directories keep no top_level.txt either (numpy, cryptography, pydantic-core in sid).
// dpkg's own file lists (`$DPKG_ADMINDIR/info/PACKAGE.list`, /var/lib/dpkg by default) still
// say which files the package that installed a metadata directory put on the system: the
// exact list, where top_level.txt only names top-level packages (and a namespace package
// such as `zope` is shared by several distributions).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace subcheck::prober {

struct DpkgFiles {
  std::filesystem::path list;      // the .list file that names the metadata directory
  std::vector<std::string> files;  // every path it lists, absolute, as dpkg wrote them
};

// The files of the Debian package that installed `info_dir` (an absolute *.dist-info or
// *.egg-info directory), or nullopt when no package's list names it (pip installed it, or
// the system has no dpkg database). Lists larger than 64 MiB and anything that is not a
// regular file are ignored.
std::optional<DpkgFiles> dpkg_files_of(const std::filesystem::path& info_dir);

}  // namespace subcheck::prober
