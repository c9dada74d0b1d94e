// Unpacking an archive without trusting it: wheels (zip) for the prober, sdists (tar.gz,
// tar.bz2, tar.xz, zip) for `subcheck scan`. One extractor, so both get every check:
//
// - member names: no absolute path (nor "C:"), no ".." component, no NUL, valid UTF-8, not
//   empty; two members may not land on one file;
// - member types: only regular files and directories are written; symbolic links, hard
//   links, devices, FIFOs and sockets are refused or left out (the caller says which);
// - sizes: a member count limit, a per-member and a total limit enforced while writing
//   (a header can lie), and for zip archives the central directory checked before a single
//   byte is written (declared sizes, inflation ratio, encryption), with libarchive and the
//   directory required to agree on every member;
// - writing: files are created with O_EXCL | O_NOFOLLOW under a root the caller owns, and
//   nothing is ever written outside it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace subcheck {

struct ArchiveLimits {
  std::size_t max_members = 10'000;
  std::uint64_t max_total_uncompressed = std::uint64_t{2} << 30;  // 2 GiB
  std::uint64_t max_member_bytes = std::uint64_t{2} << 30;        // one member, as written
  // A zip member that inflates more than this (uncompressed / compressed) is a bomb. Only
  // members of at least ratio_floor bytes are judged: a small file of zeros compresses
  // 1000:1 without harm, and the total limit bounds what small members can add up to.
  std::uint64_t max_ratio = 200;
  std::uint64_t ratio_floor = std::uint64_t{1} << 20;  // 1 MiB
};

// What becomes of a symbolic link, hard link, device, FIFO or socket member. Neither is
// ever created.
enum class SpecialMembers {
  refuse,    // the whole archive is refused (a wheel has no business holding one)
  leave_out  // skipped with a warning (an sdist made from a checkout may hold a link)
};

// Where a member goes below the root: a relative '/'-separated path, or nothing and a
// warning saying why it was left out.
struct MemberPlacement {
  std::optional<std::string> relative;
  std::string why_left_out;
};

// What the archive may be. A zip is recognised by its "PK" start, anything else is read
// as a tar (compressed or not); a wheel must be a zip.
enum class ArchiveFormats { zip_or_tar, zip_only };

struct ArchiveOptions {
  ArchiveFormats formats = ArchiveFormats::zip_or_tar;
  ArchiveLimits limits;
  SpecialMembers special_members = SpecialMembers::refuse;
  // Called with each member's checked path ('/'-separated, no "", "." or ".." components,
  // "\\" read as a separator); unset: every member goes where it is named. Its answer is
  // checked again like a member name.
  std::function<MemberPlacement(const std::string& path)> place;
};

struct ExtractedFiles {
  std::vector<std::filesystem::path> files;  // written, relative to the root
  std::vector<std::string> warnings;         // members left out, and why
};

// Every refusal: the archive's path, what is wrong, "; refusing to unpack it".
class ArchiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Unpacks `archive` (zip or tar, as options.formats allows) into `root`,
// an existing, empty directory the caller owns. Throws ArchiveError for a corrupt or hostile
// archive; files already written are left for the caller, who owns `root`, to remove.
ExtractedFiles extract_archive(const std::filesystem::path& archive, const std::filesystem::path& root,
                               const ArchiveOptions& options = {});

// ---------------------------------------------------------------------------------------
// The zip central directory, read before anything is extracted (libarchive does not
// expose compressed sizes, which bomb detection needs).

struct ZipMember {
  std::string name;  // as stored: UTF-8, '/' separators
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  bool is_directory = false;
  bool is_link = false;  // a symlink (Unix mode in the external attributes)
  bool encrypted = false;
};

// Reads the central directory of `zip`. Throws ArchiveError when the file is not a zip
// archive or is truncated or corrupt.
std::vector<ZipMember> read_zip_directory(const std::filesystem::path& zip);

// Why a member may not be extracted (absolute path, "..", a link, not UTF-8, a NUL, a
// bomb), or an empty string when it is fine. Limits over all members are check_members'.
std::string member_problem(const ZipMember& member, const ArchiveLimits& limits);

// Throws std::runtime_error naming the first hostile member, or the limit exceeded. Links
// pass when `special` is leave_out (extraction leaves them out).
void check_members(const std::vector<ZipMember>& members, const ArchiveLimits& limits,
                   SpecialMembers special = SpecialMembers::refuse);

}  // namespace subcheck
