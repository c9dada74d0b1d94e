// Writing archives for tests, with libarchive: members exactly as given, hostile names
// and types included (tests/archive_test.cpp, tests/targets_test.cpp).
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace subcheck::test {

enum class Format { zip, tar_gz };

struct Member {
  Member(std::string name, std::string data, mode_t type = AE_IFREG, std::string link = {})
      : name(std::move(name)), data(std::move(data)), type(type), link(std::move(link)) {}
  std::string name;
  std::string data;
  mode_t type;
  std::string link;  // symlink target, or hard link target (type AE_IFREG)
};

inline Member symlink(std::string name, std::string target) {
  return {std::move(name), "", AE_IFLNK, std::move(target)};
}
inline Member hardlink(std::string name, std::string target) {
  return {std::move(name), "", AE_IFREG, std::move(target)};
}
inline Member special(std::string name, mode_t type) { return {std::move(name), "", type, ""}; }

// Writes `members` exactly as given, hostile names and types included.
inline std::filesystem::path write_archive(const std::filesystem::path& path, Format format,
                                           const std::vector<Member>& members) {
  struct archive* writer = archive_write_new();
  if (format == Format::zip) {
    archive_write_set_format_zip(writer);
  } else {
    archive_write_add_filter_gzip(writer);
    archive_write_set_format_pax_restricted(writer);
  }
  EXPECT_EQ(archive_write_open_filename(writer, path.c_str()), ARCHIVE_OK) << archive_error_string(writer);
  for (const Member& member : members) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, member.name.c_str());
    archive_entry_set_filetype(entry, member.type);
    archive_entry_set_perm(entry, 0644);
    if (member.type == AE_IFLNK) archive_entry_set_symlink(entry, member.link.c_str());
    if (member.type == AE_IFREG && !member.link.empty()) archive_entry_set_hardlink(entry, member.link.c_str());
    if (member.type == AE_IFCHR) archive_entry_set_rdev(entry, makedev(1, 5));  // /dev/zero
    const bool has_data = member.type == AE_IFREG && member.link.empty();
    archive_entry_set_size(entry, has_data ? static_cast<la_int64_t>(member.data.size()) : 0);
    EXPECT_GE(archive_write_header(writer, entry), ARCHIVE_WARN) << member.name << ": " << archive_error_string(writer);
    if (has_data) archive_write_data(writer, member.data.data(), member.data.size());
    archive_entry_free(entry);
  }
  EXPECT_EQ(archive_write_close(writer), ARCHIVE_OK) << archive_error_string(writer);
  archive_write_free(writer);
  return path;
}

}  // namespace subcheck::test
