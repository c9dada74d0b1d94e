// sdists and requirements / lock files: what `subcheck scan` accepts besides a tree.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/targets.h"
#include "tests/archive_support.h"

namespace fs = std::filesystem;

namespace subcheck {
namespace {

class Scratch {
 public:
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "subcheck-targets-XXXXXX").string();
    root_ = ::mkdtemp(pattern.data());
  }
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }
  const fs::path& root() const { return root_; }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path path = root_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

 private:
  fs::path root_;
};

TEST(Sdist, RecognisesArchivesButNotWheels) {
  EXPECT_TRUE(is_sdist("dist/fastcache-1.0.tar.gz"));
  EXPECT_TRUE(is_sdist("fastcache-1.0.zip"));
  EXPECT_FALSE(is_sdist("fastcache-1.0-cp313-cp313-linux_x86_64.whl"));
  EXPECT_FALSE(is_sdist("src/fastcache"));
}

TEST(Sdist, UnpacksTheProjectDirectoryAndLeavesLinksOut) {
  Scratch scratch;
  fs::path archive = test::write_archive(scratch.root() / "fastcache-1.0.tar.gz", test::Format::tar_gz,
                                         {{"fastcache-1.0/PKG-INFO", "Name: fastcache\n"},
                                          {"fastcache-1.0/src/_speedups.c", "int x;\n"},
                                          {"fastcache-1.0/link", "", AE_IFLNK, "/etc/passwd"}});
  UnpackedSdist unpacked = unpack_sdist(archive);
  EXPECT_EQ(unpacked.root.filename(), "fastcache-1.0");
  EXPECT_TRUE(fs::exists(unpacked.root / "src/_speedups.c"));
  EXPECT_FALSE(fs::exists(unpacked.root / "link"));
  ASSERT_EQ(unpacked.warnings.size(), 1u);
  EXPECT_NE(unpacked.warnings.front().find("left out"), std::string::npos);

  fs::path scratch_dir = *unpacked.scratch;
  unpacked = {};
  EXPECT_FALSE(fs::exists(scratch_dir)) << "the unpacked tree outlived its last owner";
}

TEST(Sdist, RefusesPathsThatEscapeTheTree) {
  Scratch scratch;
  for (const std::string& hostile :
       {std::string("../evil.c"), std::string("/tmp/evil.c"), std::string("a/../../evil.c")}) {
    fs::path archive =
        test::write_archive(scratch.root() / "hostile.tar.gz", test::Format::tar_gz, {{hostile, "int evil;\n"}});
    try {
      unpack_sdist(archive);
      ADD_FAILURE() << hostile << " was unpacked";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find("refusing to unpack"), std::string::npos) << error.what();
    }
    EXPECT_FALSE(fs::exists(scratch.root().parent_path() / "evil.c"));
  }
}

TEST(Sdist, StopsABombWhileWritingIt) {
  Scratch scratch;
  fs::path archive = test::write_archive(scratch.root() / "bomb.tar.gz", test::Format::tar_gz,
                                         {{"bomb-1.0/zeros", std::string(4 << 20, '\0')}});
  UnpackLimits limits;
  limits.max_member_bytes = 1 << 20;
  EXPECT_THROW(unpack_sdist(archive, limits), std::runtime_error);
  limits = {};
  limits.max_total_bytes = 1 << 20;
  EXPECT_THROW(unpack_sdist(archive, limits), std::runtime_error);
}

TEST(Sdist, CorruptArchiveIsAClearError) {
  Scratch scratch;
  fs::path archive = scratch.write("broken-1.0.tar.gz", std::string("\x1f\x8b\x08\x00garbage", 12));
  try {
    unpack_sdist(archive);
    FAIL() << "a corrupt archive was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("broken-1.0.tar.gz"), std::string::npos) << error.what();
  }
}

TEST(Requirements, ReadsNamesFromRequirementsTxt) {
  Scratch scratch;
  fs::path file = scratch.write("requirements.txt",
                                "# pinned\n"
                                "MarkupSafe==2.1.5 \\\n    --hash=sha256:abc\n"
                                "numpy>=2; python_version >= '3.12'\n"
                                "-r other.txt\n"
                                "--index-url https://example.invalid/simple\n"
                                "simplejson[speedups] ~= 3.20\n"
                                "markupsafe\n");
  EXPECT_EQ(read_requirement_names(file), (std::vector<std::string>{"MarkupSafe", "numpy", "simplejson"}));
}

TEST(Requirements, ReadsNamesFromLockFiles) {
  Scratch scratch;
  fs::path pylock = scratch.write("pylock.toml",
                                  "lock-version = '1.0'\n[[packages]]\nname = 'psutil'\nversion = '7.0.0'\n"
                                  "[[packages]]\nname = 'greenlet'\n");
  EXPECT_EQ(read_requirement_names(pylock), (std::vector<std::string>{"psutil", "greenlet"}));
  fs::path uv = scratch.write("uv.lock", "version = 1\n[[package]]\nname = \"markupsafe\"\nversion = \"2.1.5\"\n");
  EXPECT_EQ(read_requirement_names(uv), (std::vector<std::string>{"markupsafe"}));
  fs::path pipfile = scratch.write("Pipfile.lock", R"({"default": {"psutil": {}}, "develop": {"pytest": {}}})");
  EXPECT_EQ(read_requirement_names(pipfile), (std::vector<std::string>{"psutil", "pytest"}));
  EXPECT_TRUE(is_requirements_file(pylock));
  EXPECT_TRUE(is_requirements_file("requirements-dev.txt"));
  EXPECT_FALSE(is_requirements_file("README.txt"));
}

TEST(Requirements, BrokenLockFileNamesTheFileAndLine) {
  Scratch scratch;
  fs::path file = scratch.write("uv.lock", "version = 1\n[[package]\nname = \"x\"\n");
  try {
    read_requirement_names(file);
    FAIL() << "a broken lock file was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("uv.lock:2"), std::string::npos) << error.what();
  }
}

// A requirements file names distributions. A line that is a path (".", "..": the working
// directory and its parent) or a URL must stop the run with the file and line, never be
// probed as a directory.
TEST(Requirements, PathLikeLinesAreErrorsNamingTheFileAndLine) {
  Scratch scratch;
  for (std::string line : {".", "..", "./vendor/pkg", "/abs/project", "~/src/pkg", "file:///tmp/pkg", "src/pkg",
                           "dist/pkg-1.0-py3-none-any.whl", "pkg-1.0-py3-none-any.whl", "pkg-1.0.tar.gz",
                           "https://example.invalid/pkg-1.0.tar.gz", "-e .", "--editable=../sibling", "-e ./x"}) {
    fs::path file = scratch.write("requirements.txt", "numpy\n# a comment\n" + line + "  # why\nsimplejson\n");
    try {
      std::vector<std::string> names = read_requirement_names(file);
      ADD_FAILURE() << "'" << line << "' was accepted as " << names.size() << " names";
    } catch (const std::runtime_error& error) {
      std::string message = error.what();
      EXPECT_NE(message.find(file.string() + ":3: '" + line + "'"), std::string::npos) << message;
    }
  }
}

TEST(Requirements, NamedDirectReferencesAndVcsEditablesAreNames) {
  Scratch scratch;
  fs::path file = scratch.write("requirements.txt",
                                "pkg @ file:///srv/wheels/pkg-1.0-py3-none-any.whl\n"
                                "-e git+https://example.invalid/repo.git#egg=other\n"
                                "zope.interface>=6\n");
  EXPECT_EQ(read_requirement_names(file), (std::vector<std::string>{"pkg", "zope.interface"}));
}

TEST(Requirements, LockFileEntriesMustBeDistributionNames) {
  Scratch scratch;
  fs::path uv = scratch.write("uv.lock", "version = 1\n[[package]]\nname = \".\"\nversion = \"0\"\n");
  try {
    read_requirement_names(uv);
    FAIL() << "a package named '.' was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("uv.lock:3"), std::string::npos) << error.what();
  }
  fs::path pipfile = scratch.write("Pipfile.lock", R"({"default": {"../up": {}}})");
  try {
    read_requirement_names(pipfile);
    FAIL() << "a package named '../up' was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("'../up'"), std::string::npos) << error.what();
  }
}

TEST(Requirements, AFifoIsAnErrorAtOnceNotAHang) {
  Scratch scratch;
  fs::path fifo = scratch.root() / "requirements.txt";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    read_requirement_names(fifo);  // opening a FIFO without a writer would block here
    FAIL() << "a FIFO was read";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("not a regular file (a FIFO)"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace subcheck
