// What `subcheck scan` was pointed at, beyond a source tree: an sdist to unpack and read,
// or a requirements / lock file naming installed distributions to probe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace subcheck {

// .tar.gz, .tar.bz2, .tar.xz, .tgz, .zip (not a wheel).
bool is_sdist(const std::filesystem::path& path);

// requirements*.txt, *.in, pylock*.toml, poetry.lock, uv.lock, Pipfile.lock.
bool is_requirements_file(const std::filesystem::path& path);

struct UnpackLimits {
  std::size_t max_members = 50'000;
  std::uint64_t max_total_bytes = std::uint64_t{1} << 30;  // 1 GiB unpacked
  std::uint64_t max_member_bytes = std::uint64_t{256} << 20;
};

// An unpacked sdist in a private temp directory, removed when the last copy goes.
struct UnpackedSdist {
  std::filesystem::path root;         // the project directory inside the archive
  std::vector<std::string> warnings;  // members left out (links, devices), and why
  std::shared_ptr<const std::filesystem::path> scratch;
};

// Unpacks with core/archive.h's extractor into a private temp directory, refusing
// (ArchiveError, nothing kept) hostile names and archives over the limits; links and
// special files are left out with a warning. Only regular files and directories are
// written, never outside scratch.
UnpackedSdist unpack_sdist(const std::filesystem::path& archive, const UnpackLimits& limits = {});

// Distribution names listed by a requirements or lock file, in order, each once.
// Throws std::runtime_error naming the file (and line or key) when it cannot be read.
std::vector<std::string> read_requirement_names(const std::filesystem::path& file);

}  // namespace subcheck
