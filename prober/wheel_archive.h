// Unpacking a wheel without trusting it: every member is checked from the zip central
// directory before a single byte is written, and extraction enforces the same limits
// again while it writes (a member that inflates beyond its declared size is stopped).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace subcheck::prober {

struct ArchiveLimits {
  std::size_t max_members = 10'000;
  std::uint64_t max_total_uncompressed = std::uint64_t{2} << 30;  // 2 GiB
  // A member that inflates more than this (uncompressed / compressed) is a bomb. Only
  // members of at least ratio_floor bytes are judged: a small file of zeros compresses
  // 1000:1 without harm, and the total limit bounds what small members can add up to.
  std::uint64_t max_ratio = 200;
  std::uint64_t ratio_floor = std::uint64_t{1} << 20;  // 1 MiB
};

// One entry of a zip central directory.
struct ZipMember {
  std::string name;                  // as stored: UTF-8, '/' separators
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  bool is_directory = false;
  bool is_link = false;              // a symlink (Unix mode in the external attributes)
  bool encrypted = false;
};

// Reads the central directory of `zip`. Throws std::runtime_error when the file is not a
// zip archive or is truncated or corrupt.
std::vector<ZipMember> read_zip_directory(const std::filesystem::path& zip);

// Why a member may not be extracted (absolute path, "..", a link, not UTF-8, a NUL, a
// bomb), or an empty string when it is fine. Size limits over all members are checked by
// check_members.
std::string member_problem(const ZipMember& member, const ArchiveLimits& limits);

// Throws std::runtime_error naming the first hostile member, or the limit exceeded.
void check_members(const std::vector<ZipMember>& members, const ArchiveLimits& limits);

struct WheelContents {
  std::vector<std::filesystem::path> files;  // written, relative to the root
  std::vector<std::string> warnings;         // members left out, and why
};

// Unpacks a wheel into `root` (an existing, empty, private directory): the purelib/platlib
// content at the root, `*.data/purelib` and `*.data/platlib` mapped onto it, other
// `*.data/*` members (scripts, headers, data) left out. Checks everything first; throws
// std::runtime_error for a corrupt or hostile wheel (files already written are left for
// the caller, who owns `root`, to remove).
WheelContents extract_wheel(const std::filesystem::path& wheel, const std::filesystem::path& root,
                            const ArchiveLimits& limits = {});

}  // namespace subcheck::prober
