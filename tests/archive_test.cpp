// core/archive.h against hostile archives the test writes itself with libarchive, as zip
// and as tar.gz: whatever a member tries, the caller's files outside the root stay as they
// were, nothing but regular files and directories appears under the root, and the refusal
// names the archive and says what was wrong.
#include "core/archive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/archive_support.h"
#include "tests/test_support.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;
using test::Format;
using test::Member;
using test::TempDir;
using test::write_archive;

// Bytes that deflate does not shrink, so a large member is not mistaken for a zip bomb.
std::string incompressible(std::size_t size) {
  std::string bytes(size, '\0');
  std::uint32_t state = 2463534242u;
  for (char& byte : bytes) {
    state ^= state << 13, state ^= state >> 17, state ^= state << 5;  // xorshift32
    byte = static_cast<char>(state);
  }
  return bytes;
}

// Every path below `dir` with its type, symlinks not followed.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const fs::file_status status = entry.symlink_status();
    const char* kind = fs::is_regular_file(status) ? "file" : fs::is_directory(status) ? "dir" : "OTHER";
    entries.push_back(entry.path().lexically_relative(dir).string() + " " + kind);
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

class HostileArchive : public ::testing::TestWithParam<Format> {
 protected:
  void SetUp() override {
    fs::create_directories(root_);
    test::write_text(victim_, "the caller's data\n");
    fs::last_write_time(victim_, fs::file_time_type::clock::now() - std::chrono::hours(24));
    victim_time_ = fs::last_write_time(victim_);
  }

  const char* suffix() const { return GetParam() == Format::zip ? ".zip" : ".tar.gz"; }
  fs::path archive(const std::string& stem, const std::vector<Member>& members) const {
    return write_archive(dir_.path() / (stem + suffix()), GetParam(), members);
  }

  // The extraction is refused with a message naming the archive and containing `expected`.
  void expect_refused(const fs::path& archive, const std::string& expected, const ArchiveOptions& options = {}) {
    try {
      extract_archive(archive, root_, options);
      ADD_FAILURE() << archive.filename() << " was unpacked: " << testing::PrintToString(listing(root_));
    } catch (const ArchiveError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find(expected), std::string::npos) << message << "\nexpected: " << expected;
      EXPECT_NE(message.find(archive.string()), std::string::npos) << message;
      EXPECT_NE(message.find("refusing to unpack it"), std::string::npos) << message;
    }
  }

  // Nothing outside the root changed, and the root holds only files and directories.
  void expect_caller_untouched() {
    EXPECT_EQ(test::read_text(victim_), "the caller's data\n");
    EXPECT_EQ(fs::last_write_time(victim_), victim_time_);
    EXPECT_EQ(listing(outside_), std::vector<std::string>{"victim.txt file"});
    for (const std::string& entry : listing(root_)) EXPECT_EQ(entry.find("OTHER"), std::string::npos) << entry;
  }

  TempDir dir_{"subcheck-archive-test"};
  const fs::path root_ = dir_.path() / "root";
  const fs::path outside_ = dir_.path() / "outside";
  const fs::path victim_ = outside_ / "victim.txt";
  fs::file_time_type victim_time_;
};

TEST_P(HostileArchive, AGoodArchiveIsUnpacked) {
  fs::path good = archive("good", {{"pkg/", "", AE_IFDIR}, {"pkg/__init__.py", "x = 1\n"}, {"pkg/data/a.txt", "a"}});
  ExtractedFiles files = extract_archive(good, root_);
  EXPECT_EQ(files.files, (std::vector<fs::path>{"pkg/__init__.py", "pkg/data/a.txt"}));
  EXPECT_TRUE(files.warnings.empty());
  EXPECT_EQ(test::read_text(root_ / "pkg/data/a.txt"), "a");
}

TEST_P(HostileArchive, TraversalAndAbsolutePathsAreRefused) {
  expect_refused(archive("up", {{"pkg/ok.py", "ok"}, {"../outside/victim.txt", "pwned"}}), "'..' component");
  expect_refused(archive("nested", {{"pkg/../../outside/victim.txt", "pwned"}}), "'..' component");
  expect_refused(archive("absolute", {{victim_.string(), "pwned"}}), "absolute path");
  expect_caller_untouched();
}

TEST_P(HostileArchive, ASymlinkOutIsNeverCreatedNorWrittenThrough) {
  const std::vector<Member> members{test::symlink("pkg/out", outside_.string()), {"pkg/out/victim.txt", "pwned"}};
  expect_refused(archive("link", members), "symbolic link");
  expect_caller_untouched();
  EXPECT_TRUE(fs::is_empty(root_));

  // Left out instead of refused (an sdist): the later member lands in a real directory.
  fs::remove_all(root_);
  fs::create_directories(root_);
  ArchiveOptions leave_out;
  leave_out.special_members = SpecialMembers::leave_out;
  ExtractedFiles files = extract_archive(archive("link", members), root_, leave_out);
  ASSERT_EQ(files.warnings.size(), 1u);
  EXPECT_NE(files.warnings[0].find("'pkg/out': left out (a symbolic link"), std::string::npos) << files.warnings[0];
  EXPECT_FALSE(fs::is_symlink(root_ / "pkg/out"));
  EXPECT_EQ(test::read_text(root_ / "pkg/out/victim.txt"), "pwned");
  expect_caller_untouched();
}

TEST_P(HostileArchive, AHugeMemberIsStoppedAtTheLimit) {
  ArchiveOptions small;
  small.limits.max_member_bytes = 1 << 20;
  const std::string four_mib = incompressible(4 << 20);
  expect_refused(archive("huge", {{"pkg/huge.bin", four_mib}}), "member limit of 1 MiB", small);
  small = {};
  small.limits.max_total_uncompressed = 6 << 20;
  expect_refused(archive("total", {{"pkg/a.bin", four_mib}, {"pkg/b.bin", four_mib}}), "more than 6 MiB", small);
  small = {};
  small.limits.max_members = 3;
  expect_refused(archive("many", {{"a", ""}, {"b", ""}, {"c", ""}, {"d", ""}}), "members", small);
  expect_caller_untouched();
}

TEST_P(HostileArchive, TwoMembersOnOneFileAreRefused) {
  fs::path twice = archive("twice", {{"pkg/a.py", "first"}, {"pkg/./a.py", "second"}});
  try {
    extract_archive(twice, root_);
    ADD_FAILURE() << "unpacked";
  } catch (const ArchiveError& error) {
    const std::string message = error.what();
    EXPECT_TRUE(message.find("appears twice") != std::string::npos ||
                message.find("two members unpack to 'pkg/a.py'") != std::string::npos)
        << message;
  }
  expect_caller_untouched();
}

INSTANTIATE_TEST_SUITE_P(Formats, HostileArchive, ::testing::Values(Format::zip, Format::tar_gz),
                         [](const ::testing::TestParamInfo<Format>& info) {
                           return info.param == Format::zip ? std::string("Zip") : std::string("TarGz");
                         });

// A zip cannot hold devices, FIFOs or hard links (libarchive's writer refuses them): tar only.
TEST(HostileTarArchive, FifosDevicesAndHardLinksAreRefusedOrLeftOut) {
  TempDir dir("subcheck-archive-test");
  const fs::path victim = dir.write("outside/victim.txt", "the caller's data\n");
  const fs::path root = dir.path() / "root";
  const std::vector<std::pair<Member, std::string>> cases{
      {test::special("pkg/pipe", AE_IFIFO), "a FIFO"},
      {test::special("pkg/zero", AE_IFCHR), "a character device"},
      {test::special("pkg/disk", AE_IFBLK), "a block device"},
      {test::hardlink("pkg/victim.txt", victim.string()), "a hard link"},
  };
  for (const auto& [member, kind] : cases) {
    SCOPED_TRACE(member.name);
    const fs::path tar = write_archive(dir.path() / "special.tar.gz", Format::tar_gz, {member, {"pkg/after.py", "ok"}});
    fs::remove_all(root);
    fs::create_directories(root);
    try {
      extract_archive(tar, root);
      ADD_FAILURE() << "unpacked";
    } catch (const ArchiveError& error) {
      EXPECT_NE(std::string(error.what()).find("is " + kind), std::string::npos) << error.what();
    }
    ArchiveOptions leave_out;
    leave_out.special_members = SpecialMembers::leave_out;
    ExtractedFiles files = extract_archive(tar, root, leave_out);
    EXPECT_EQ(files.files, std::vector<fs::path>{"pkg/after.py"});
    ASSERT_EQ(files.warnings.size(), 1u);
    EXPECT_NE(files.warnings[0].find("left out (" + kind), std::string::npos) << files.warnings[0];
    EXPECT_EQ(listing(root), (std::vector<std::string>{"pkg dir", "pkg/after.py file"}));
    EXPECT_EQ(test::read_text(victim), "the caller's data\n");
  }
}

// `tar -czf x.tar.gz .` names the directory it ran in "./" and every member "./..."; a
// directory listed twice is no harm.
TEST(HostileTarArchive, TheDotEntryOfATarOfTheCurrentDirectoryIsTheRoot) {
  TempDir dir("subcheck-archive-test");
  const fs::path tar =
      write_archive(dir.path() / "dot.tar.gz", Format::tar_gz,
                    {{"./", "", AE_IFDIR}, {"./pkg/", "", AE_IFDIR}, {"./pkg/a.py", "a"}, {"pkg/", "", AE_IFDIR}});
  fs::create_directories(dir.path() / "root");
  EXPECT_EQ(extract_archive(tar, dir.path() / "root").files, std::vector<fs::path>{"pkg/a.py"});
  EXPECT_EQ(listing(dir.path() / "root"), (std::vector<std::string>{"pkg dir", "pkg/a.py file"}));
}

TEST(HostileTarArchive, ATarIsNotTakenForAZipWhereOnlyAZipWillDo) {
  TempDir dir("subcheck-archive-test");
  const fs::path tar = write_archive(dir.path() / "pkg-1.0-py3-none-any.whl", Format::tar_gz, {{"pkg/a.py", "a"}});
  fs::create_directories(dir.path() / "root");
  ArchiveOptions wheel;
  wheel.formats = ArchiveFormats::zip_only;
  try {
    extract_archive(tar, dir.path() / "root", wheel);
    FAIL() << "a tar was unpacked as a wheel";
  } catch (const ArchiveError& error) {
    EXPECT_NE(std::string(error.what()).find("not a zip archive"), std::string::npos) << error.what();
  }
  EXPECT_EQ(extract_archive(tar, dir.path() / "root").files, std::vector<fs::path>{"pkg/a.py"});
}

TEST(HostileTarArchive, AnArchiveThatIsNotARegularFileIsRefusedWithoutBlocking) {
  TempDir dir("subcheck-archive-test");
  const fs::path fifo = dir.path() / "pipe.tar.gz";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fs::create_directories(dir.path() / "root");
  try {
    extract_archive(fifo, dir.path() / "root");
    FAIL() << "a FIFO was read as an archive";
  } catch (const ArchiveError& error) {
    EXPECT_NE(std::string(error.what()).find("not a regular file (a FIFO)"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace subcheck
