// Interpreters and module discovery on real data: the pyenv interpreters (and the
// free-threaded 3.13t from the toolchain cache when it has been built), their lib-dynload
// directories, Debian's binary packages of real extensions, wheels written here with
// libarchive, and hostile wheels that must be refused before anything is written.
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/process.h"
#include "prober/prober.h"
#include "prober/wheel_archive.h"
#include "tests/test_support.h"

namespace subcheck::prober {
namespace {

namespace fs = std::filesystem;
using subcheck::test::TempDir;

// ---------------------------------------------------------------------------------------
// Where the real data lives

std::string environment_or(const char* name, const fs::path& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback.string();
}

fs::path home() { return environment_or("HOME", "/root"); }
fs::path pyenv_root() { return environment_or("PYENV_ROOT", home() / ".pyenv"); }

// ${PYENV_ROOT}/versions/3.12.*/bin/python3, newest first.
std::optional<fs::path> pyenv_python(const std::string& minor_version) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(pyenv_root() / "versions", ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(minor_version + ".", 0) == 0 && fs::exists(it->path() / "bin" / "python3")) {
      found.push_back(it->path() / "bin" / "python3");
    }
  }
  if (found.empty()) return std::nullopt;
  return *std::max_element(found.begin(), found.end());
}

// The free-threaded build made by ci/build-cpython.sh, when it is there.
std::optional<fs::path> cached_free_threaded_python() {
  std::error_code ec;
  for (fs::directory_iterator it(subcheck_cache() / "cpython", ec), end; !ec && it != end; it.increment(ec)) {
    for (const char* name : {"python3.13t", "python3t"}) {
      if (fs::exists(it->path() / "bin" / name)) return it->path() / "bin" / name;
    }
  }
  return std::nullopt;
}

// Each interpreter is asked once per test run.
const std::optional<Interpreter>& interpreter_for(const std::string& tag) {
  static std::map<std::string, std::optional<Interpreter>> cache;
  auto found = cache.find(tag);
  if (found != cache.end()) return found->second;
  std::optional<fs::path> python = tag == "3.13t" ? cached_free_threaded_python() : pyenv_python(tag);
  // 3.14 and 3.15 come from Debian (the sid root): python3.14 on PATH.
  if (!python) python = find_in_path("python" + tag);
  std::optional<Interpreter> interpreter = python ? inspect_interpreter(*python) : std::nullopt;
  if (interpreter && interpreter->implementation_tag != tag) interpreter.reset();
  return cache.emplace(tag, interpreter).first->second;
}

#define REQUIRE_INTERPRETER(var, tag)                                                                                 \
  const std::optional<Interpreter> var##_found = interpreter_for(tag); /* a copy: g++ 16 -Wdangling-reference */      \
  if (!var##_found)                                                                                                   \
    GTEST_SKIP() << "CPython " << (tag) << " not found (pyenv, python" << (tag) << " on PATH or " << subcheck_cache() \
                 << ")";                                                                                              \
  const Interpreter& var = *var##_found

fs::path debian_dist_packages(const std::string& package) {
  fs::path root = test::debian_unpacked(package);
  return root.empty() ? root : root / "usr" / "lib" / "python3" / "dist-packages";
}

#define REQUIRE_DEBIAN(var, package)                  \
  const fs::path var = debian_dist_packages(package); \
  if (var.empty()) GTEST_SKIP() << package << " is not unpacked under " << subcheck_cache() / "debian-bin"

const ExtensionFile* find_module(const ProbeTarget& target, const std::string& module) {
  for (const ExtensionFile& file : target.modules) {
    if (file.module == module) return &file;
  }
  return nullptr;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool any_contains(const std::vector<std::string>& list, const std::string& text) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& item) { return item.find(text) != std::string::npos; });
}

std::string read_bytes(const fs::path& file) { return subcheck::test::read_text(file); }

// The "<platform triplet>" of "cpython-313-x86_64-linux-gnu".
std::string platform_of(const Interpreter& interpreter) {
  const std::string& soabi = interpreter.soabi;
  return soabi.substr(soabi.find('-', soabi.find('-') + 1) + 1);
}

// What a free-threaded 3.13 says about itself, for when the real one is not built yet:
// the same paths, Py_GIL_DISABLED, and the EXTENSION_SUFFIXES CPython 3.13.5t reports —
// ".abi3.so" included, although an abi3 module can crash it (docs/cpython-behaviour.md #13).
Interpreter free_threaded_description(const Interpreter& gil_313) {
  Interpreter description = gil_313;
  description.free_threaded = true;
  description.implementation_tag = "3.13t";
  description.soabi = "cpython-313t-" + platform_of(gil_313);
  description.extension_suffixes = {"." + description.soabi + ".so", ".abi3.so", ".so"};
  return description;
}

using test::ScopedEnv;

std::vector<fs::path> all_files_under(const fs::path& root) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    files.push_back(it->path());
  return files;
}

// ---------------------------------------------------------------------------------------
// Writing zips with libarchive

class ZipWriter {
 public:
  explicit ZipWriter(const fs::path& path) : archive_(archive_write_new()) {
    archive_write_set_format_zip(archive_);
    if (archive_write_open_filename(archive_, path.c_str()) != ARCHIVE_OK) {
      throw std::runtime_error(std::string("cannot write zip: ") + archive_error_string(archive_));
    }
  }
  ~ZipWriter() { close(); }
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  void file(const std::string& name, const std::string& data) {
    archive_entry* entry = new_entry(name, AE_IFREG, 0644);
    archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
    write(entry, data);
  }
  void directory(const std::string& name) { write(new_entry(name, AE_IFDIR, 0755), ""); }
  void symlink(const std::string& name, const std::string& target) {
    archive_entry* entry = new_entry(name, AE_IFLNK, 0777);
    archive_entry_set_symlink(entry, target.c_str());
    write(entry, "");
  }
  void close() {
    if (archive_ == nullptr) return;
    archive_write_close(archive_);
    archive_write_free(archive_);
    archive_ = nullptr;
  }

 private:
  static archive_entry* new_entry(const std::string& name, unsigned type, int mode) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname_utf8(entry, name.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, mode);
    return entry;
  }
  void write(archive_entry* entry, const std::string& data) {
    if (archive_write_header(archive_, entry) != ARCHIVE_OK) {
      archive_entry_free(entry);
      throw std::runtime_error(std::string("zip header: ") + archive_error_string(archive_));
    }
    if (!data.empty()) archive_write_data(archive_, data.data(), data.size());
    archive_entry_free(entry);
  }

  struct archive* archive_;
};

// A wheel for "demo" holding real extension modules copied from Debian's packages.
struct GoodWheel {
  fs::path path;
  std::string speedups_bytes;  // markupsafe's _speedups
  std::string simplejson_bytes;
};

GoodWheel write_good_wheel(const fs::path& dir, const fs::path& markupsafe_so, const fs::path& simplejson_so) {
  GoodWheel wheel{dir / "demo-1.0-cp313-cp313-linux_x86_64.whl", read_bytes(markupsafe_so), read_bytes(simplejson_so)};
  ZipWriter zip(wheel.path);
  zip.directory("markupsafe/");
  zip.file("markupsafe/__init__.py", "from markupsafe._speedups import escape\n");
  zip.file(
      "markupsafe/donn\xc3\xa9"
      "es.py",
      "# a UTF-8 member name\n");
  zip.file("markupsafe/" + markupsafe_so.filename().string(), wheel.speedups_bytes);
  zip.file("demo-1.0.data/platlib/simplejson/__init__.py", "");
  zip.file("demo-1.0.data/platlib/simplejson/" + simplejson_so.filename().string(), wheel.simplejson_bytes);
  zip.file("demo-1.0.data/scripts/demo-tool", "#!python\nprint('hi')\n");
  zip.file("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n");
  zip.file("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n");
  zip.file("demo-1.0.dist-info/RECORD", "demo-1.0.dist-info/RECORD,,\n");
  return wheel;
}

// ---------------------------------------------------------------------------------------
// A real zip bomb, fast: 1 GiB of zeros deflated. Compressing 1 GiB through libarchive
// takes seconds, so the deflate stream is made from one 1 MiB chunk compressed with a
// full flush (which resets the compressor, making every chunk's output identical) and
// repeated 1024 times; zlib is loaded at run time (libarchive already depends on it).

class Zlib {
 public:
  Zlib() : handle_(dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL)) {
    if (handle_ == nullptr) return;
    deflate_init_ = reinterpret_cast<decltype(&deflateInit2_)>(dlsym(handle_, "deflateInit2_"));
    deflate_ = reinterpret_cast<decltype(&deflate)>(dlsym(handle_, "deflate"));
    deflate_end_ = reinterpret_cast<decltype(&deflateEnd)>(dlsym(handle_, "deflateEnd"));
    crc32_ = reinterpret_cast<decltype(&crc32)>(dlsym(handle_, "crc32"));
    crc32_combine_ = reinterpret_cast<decltype(&crc32_combine)>(dlsym(handle_, "crc32_combine"));
  }
  ~Zlib() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  Zlib(const Zlib&) = delete;
  Zlib& operator=(const Zlib&) = delete;
  bool usable() const { return deflate_init_ && deflate_ && deflate_end_ && crc32_ && crc32_combine_; }

  // Raw deflate of `chunks` copies of `chunk` (one stream).
  std::string deflate_repeated(const std::string& chunk, std::size_t chunks) const {
    z_stream stream{};
    deflate_init_(&stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, sizeof(z_stream));
    std::string first = run(stream, chunk, Z_FULL_FLUSH);
    std::string second = run(stream, chunk, Z_FULL_FLUSH);
    if (first != second) throw std::runtime_error("zlib's full flush did not reset the compressor");
    std::string finish = run(stream, "", Z_FINISH);
    deflate_end_(&stream);
    std::string out;
    for (std::size_t i = 0; i < chunks; ++i) out += first;
    return out + finish;
  }
  unsigned long crc_repeated(const std::string& chunk, std::size_t chunks) const {
    auto one = crc32_(0, reinterpret_cast<const Bytef*>(chunk.data()), static_cast<uInt>(chunk.size()));
    unsigned long total = 0;
    for (std::size_t i = 0; i < chunks; ++i) total = crc32_combine_(total, one, static_cast<z_off_t>(chunk.size()));
    return total;
  }

 private:
  std::string run(z_stream& stream, const std::string& input, int flush) const {
    std::string out;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    char buffer[1 << 16];
    do {
      stream.next_out = reinterpret_cast<Bytef*>(buffer);
      stream.avail_out = sizeof(buffer);
      deflate_(&stream, flush);
      out.append(buffer, sizeof(buffer) - stream.avail_out);
    } while (stream.avail_out == 0);
    return out;
  }

  void* handle_;
  decltype(&deflateInit2_) deflate_init_ = nullptr;
  decltype(&deflate) deflate_ = nullptr;
  decltype(&deflateEnd) deflate_end_ = nullptr;
  decltype(&crc32) crc32_ = nullptr;
  decltype(&crc32_combine) crc32_combine_ = nullptr;
};

void put(std::string& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

// A one-member zip written field by field (APPNOTE 4.3.7, 4.3.12, 4.3.16).
std::string single_member_zip(const std::string& name, std::uint16_t method, const std::string& data, std::uint32_t crc,
                              std::uint32_t uncompressed_size) {
  std::string local;
  put(local, 0x04034b50, 4);
  put(local, 20, 2);
  put(local, 0x0800, 2);  // UTF-8 name
  put(local, method, 2);
  put(local, 0, 4);  // time, date
  put(local, crc, 4);
  put(local, data.size(), 4);
  put(local, uncompressed_size, 4);
  put(local, name.size(), 2);
  put(local, 0, 2);
  local += name + data;
  std::string central;
  put(central, 0x02014b50, 4);
  put(central, (3 << 8) | 20, 2);  // made by Unix
  put(central, 20, 2);
  put(central, 0x0800, 2);
  put(central, method, 2);
  put(central, 0, 4);
  put(central, crc, 4);
  put(central, data.size(), 4);
  put(central, uncompressed_size, 4);
  put(central, name.size(), 2);
  put(central, 0, 2 + 2 + 2 + 2);  // extra, comment, disk, internal attributes
  put(central, std::uint64_t{0100644} << 16, 4);
  put(central, 0, 4);  // local header offset
  central += name;
  std::string end;
  put(end, 0x06054b50, 4);
  put(end, 0, 2 + 2);
  put(end, 1, 2);
  put(end, 1, 2);
  put(end, central.size(), 4);
  put(end, local.size(), 4);
  put(end, 0, 2);
  return local + central + end;
}

// ---------------------------------------------------------------------------------------
// Interpreters

void expect_gil_interpreter(const Interpreter& interpreter, const std::string& tag) {
  EXPECT_EQ(interpreter.implementation_tag, tag);
  EXPECT_EQ(interpreter.version.rfind(tag + ".", 0), 0u) << interpreter.version;
  EXPECT_FALSE(interpreter.free_threaded);
  EXPECT_TRUE(interpreter.executable.is_absolute());
  std::string abi = "cpython-" + tag.substr(0, 1) + tag.substr(2);
  EXPECT_EQ(interpreter.soabi.rfind(abi + "-", 0), 0u) << interpreter.soabi;
  ASSERT_FALSE(interpreter.extension_suffixes.empty());
  EXPECT_EQ(interpreter.extension_suffixes.front(), "." + interpreter.soabi + ".so");
  EXPECT_TRUE(contains(interpreter.extension_suffixes, ".abi3.so"));
  EXPECT_TRUE(contains(interpreter.extension_suffixes, ".so"));
  EXPECT_TRUE(fs::is_regular_file(interpreter.include_dir / "Python.h")) << interpreter.include_dir;
  EXPECT_EQ(interpreter.library, "libpython" + tag + ".so");  // pyenv builds are shared
  EXPECT_TRUE(fs::exists(interpreter.library_dir / interpreter.library)) << interpreter.library_dir;
  EXPECT_TRUE(fs::is_directory(interpreter.dynload_dir)) << interpreter.dynload_dir;
  EXPECT_EQ(interpreter.dynload_dir.filename(), "lib-dynload");
  EXPECT_TRUE(fs::is_directory(interpreter.purelib)) << interpreter.purelib;
}

class ProberInterpreterTags : public ::testing::TestWithParam<std::string> {};

TEST_P(ProberInterpreterTags, InspectsTheGilBuild) {
  if (GetParam().back() == 't')
    GTEST_SKIP() << GetParam() << " is free-threaded: InspectsFreeThreaded313FromTheToolchainCache";
  REQUIRE_INTERPRETER(python, GetParam());
  expect_gil_interpreter(python, GetParam());
}

TEST(ProberInterpreters, InspectsFreeThreaded313FromTheToolchainCache) {
  REQUIRE_INTERPRETER(python, "3.13t");
  EXPECT_EQ(python.implementation_tag, "3.13t");
  EXPECT_TRUE(python.free_threaded);
  EXPECT_EQ(python.soabi.rfind("cpython-313t-", 0), 0u) << python.soabi;
  EXPECT_EQ(python.extension_suffixes.front(), "." + python.soabi + ".so");
  EXPECT_EQ(python.library, "libpython3.13t.so");
  EXPECT_TRUE(fs::exists(python.library_dir / python.library));
  EXPECT_TRUE(fs::is_directory(python.dynload_dir));
}

TEST(ProberInterpreters, RefusesWhatIsNotCPython312OrNewer) {
  EXPECT_FALSE(inspect_interpreter("/nonexistent/python3"));
  EXPECT_FALSE(inspect_interpreter("/bin/true"));  // runs, says nothing
  for (const char* old_version : {"3.11", "2.7"}) {
    if (auto old = pyenv_python(old_version)) {
      EXPECT_FALSE(inspect_interpreter(*old)) << *old;
    }
  }
}

TEST(ProberInterpreters, SaysWhyAnInterpreterIsRefused) {
  TempDir dir("subcheck-discover-impostor");
  auto script = [&](const std::string& name, const std::string& body) {
    fs::path path = dir.write(name, "#!/bin/sh\n" + body + "\n");
    fs::permissions(path, fs::perms::owner_all);
    return path.string();
  };
  const std::string pypy =
      script("pypy3", "echo 'SUBCHECK-INTERPRETER:{\"implementation\": \"pypy\", \"version_info\": [3, 12, 0]}'");
  const std::string killed = script("killed", "kill -9 $$");
  const std::string failing = script("failing", "exit 3");
  std::vector<std::string> problems;
  EXPECT_TRUE(find_interpreters({pypy, killed, failing, (dir.path() / "missing").string()}, &problems).empty());
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_NE(problems[0].find("is pypy, not CPython"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("killed by signal 9"), std::string::npos) << problems[1];
  EXPECT_NE(problems[2].find("exited with status 3"), std::string::npos) << problems[2];
  EXPECT_NE(problems[3].find("not an executable file"), std::string::npos) << problems[3];
  if (auto old = pyenv_python("3.11")) {
    problems.clear();
    find_interpreters({old->string()}, &problems);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_NE(problems[0].find("is CPython 3.11; subcheck needs 3.12 or newer"), std::string::npos) << problems[0];
  }
}

TEST(ProberInterpreters, FindsEveryInterpreterOnceSortedByVersion) {
  REQUIRE_INTERPRETER(python312, "3.12");
  REQUIRE_INTERPRETER(python313, "3.13");
  std::vector<std::string> problems;
  std::vector<Interpreter> found = find_interpreters({}, &problems);
  EXPECT_TRUE(problems.empty());
  std::set<fs::path> real_paths;
  std::set<std::pair<fs::path, bool>> installations;  // the free-threaded install's python3 and python3.13t are one
  for (const Interpreter& interpreter : found) {
    EXPECT_TRUE(real_paths.insert(fs::canonical(interpreter.executable)).second) << interpreter.executable;
    EXPECT_TRUE(installations.insert({interpreter.purelib, interpreter.free_threaded}).second)
        << interpreter.executable;
  }
  EXPECT_TRUE(real_paths.count(fs::canonical(python312.executable)));
  EXPECT_TRUE(real_paths.count(fs::canonical(python313.executable)));
  for (std::size_t i = 1; i < found.size(); ++i) {
    const Interpreter &a = found[i - 1], &b = found[i];
    auto key = [](const Interpreter& x) {
      std::vector<int> numbers;
      std::stringstream version(x.version);
      for (std::string part; std::getline(version, part, '.');) numbers.push_back(std::stoi(part));
      return std::make_pair(numbers, x.free_threaded);
    };
    EXPECT_LE(key(a), key(b)) << a.executable << " before " << b.executable;
  }
  if (interpreter_for("3.13t")) {
    EXPECT_TRUE(std::any_of(found.begin(), found.end(), [](const Interpreter& x) { return x.free_threaded; }));
  }
}

TEST(ProberInterpreters, FindsByTagPathAndName) {
  REQUIRE_INTERPRETER(python312, "3.12");
  REQUIRE_INTERPRETER(python313, "3.13");
  std::vector<std::string> problems;
  std::vector<Interpreter> by_tag = find_interpreters({"3.13", "3.12", "3.99t"}, &problems);
  ASSERT_EQ(by_tag.size(), 2u);
  EXPECT_EQ(by_tag[0].implementation_tag, "3.12");  // sorted, whatever the order asked
  EXPECT_EQ(by_tag[1].implementation_tag, "3.13");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("3.99t"), std::string::npos) << problems[0];

  problems.clear();
  std::vector<Interpreter> by_path = find_interpreters({python313.executable.string(), "/bin/true"}, &problems);
  ASSERT_EQ(by_path.size(), 1u);
  EXPECT_EQ(by_path[0].version, python313.version);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("/bin/true"), std::string::npos) << problems[0];

  // A name looked up on PATH: only a directory holding "python3.12" is on it.
  TempDir bin("subcheck-discover-path");
  fs::create_symlink(python312.executable, bin.path() / "python3.12");
  ScopedEnv path("PATH", bin.path().string());
  std::vector<Interpreter> by_name = find_interpreters({"python3.12", "python3.12"});
  ASSERT_EQ(by_name.size(), 1u);  // asked twice, found once
  EXPECT_EQ(by_name[0].implementation_tag, "3.12");
}

TEST(ProberInterpreters, FindsFreeThreadedNamesInTheToolchainCache) {
  REQUIRE_INTERPRETER(python313, "3.13");
  // An empty PATH and pyenv: only the cache is searched. Its "install" has no python3,
  // only the name free-threaded builds install (here a link to the GIL 3.13).
  TempDir cache("subcheck-discover-cache");
  fs::create_directories(cache.path() / "cpython" / "3.13.9t" / "bin");
  fs::create_symlink(python313.executable, cache.path() / "cpython" / "3.13.9t" / "bin" / "python3.13t");
  fs::create_directories(cache.path() / "cpython" / "3.11.0" / "bin");  // too old: not even run
  TempDir empty("subcheck-discover-empty");
  ScopedEnv path("PATH", empty.path().string());
  ScopedEnv pyenv("PYENV_ROOT", empty.path().string());
  ScopedEnv cache_root("SUBCHECK_CACHE", cache.path().string());
  std::vector<Interpreter> found = find_interpreters({});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].implementation_tag, "3.13");  // what it is, not what it is called
  std::vector<std::string> problems;
  EXPECT_TRUE(find_interpreters({"3.12"}, &problems).empty());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("found: 3.13"), std::string::npos) << problems[0];
}

// ---------------------------------------------------------------------------------------
// Directories: lib-dynload and Debian's packages

void expect_dynload_discovered(const Interpreter& python) {
  ProbeTarget target = discover(python.dynload_dir.string(), python);
  EXPECT_EQ(target.kind, "directory");
  EXPECT_GE(target.modules.size(), 40u);  // Debian builds many into the interpreter: 46 files in 3.15's
  for (const ExtensionFile& file : target.modules) {
    EXPECT_TRUE(file.matches_interpreter) << file.module << ": " << file.mismatch_reason;
    EXPECT_EQ(file.sys_path_entry, python.dynload_dir) << file.module;
    EXPECT_TRUE(contains(file.init_symbols, "PyInit_" + file.module) ||
                (python.version >= "3.15" && contains(file.init_symbols, "PyModExport_" + file.module)))
        << file.module;
    EXPECT_EQ(file.module.find('.'), std::string::npos) << file.module;
  }
  const ExtensionFile* single = find_module(target, "_testsinglephase");
  const ExtensionFile* multi = find_module(target, "_testmultiphase");
  ASSERT_TRUE(single && multi) << "CPython's test modules are missing from " << python.dynload_dir;
  EXPECT_TRUE(contains(single->init_symbols, "PyInit__testsinglephase"));
  EXPECT_TRUE(contains(multi->init_symbols, "PyInit__testmultiphase"));
  EXPECT_GT(multi->init_symbols.size(), 5u);  // docs/cpython-behaviour.md #15: one file, many modules
  EXPECT_TRUE(any_contains(multi->init_symbols, "PyInitU_")) << "no non-ASCII module name in _testmultiphase";
  // Every module of the multi-module file is probed under its own name (#15).
  for (const char* other : {"_test_shared_gil_only", "_test_non_isolated", "_testmultiphase_exec_raise"}) {
    const ExtensionFile* module = find_module(target, other);
    ASSERT_NE(module, nullptr) << other;
    EXPECT_EQ(module->file, multi->file) << other;
  }
  // Only the non-ASCII names are left out, and said so.
  for (const std::string& warning : target.warnings) {
    EXPECT_NE(warning.find("non-ASCII name"), std::string::npos) << warning;
    EXPECT_NE(warning.find("_testmultiphase."), std::string::npos) << warning;
  }
  EXPECT_EQ(target.warnings.size(), 2u);
}

TEST_P(ProberInterpreterTags, DiscoversEveryLibDynloadModule) {
  REQUIRE_INTERPRETER(python, GetParam());
  expect_dynload_discovered(python);
}

TEST(ProberDiscover, PlainSoIsJudgedByItsReferenceCounting) {
  REQUIRE_INTERPRETER(python, "3.13t");
  // The reference counting a free-threaded build compiles in is what marks a plain .so.
  TempDir dir("subcheck-discover-plain");
  fs::copy_file(python.dynload_dir / ("_json." + python.soabi + ".so"), dir.path() / "_json.so");
  ProbeTarget on_ft = discover(dir.path().string(), python);
  ASSERT_EQ(on_ft.modules.size(), 1u);
  EXPECT_TRUE(on_ft.modules[0].matches_interpreter) << on_ft.modules[0].mismatch_reason;
  REQUIRE_INTERPRETER(python313, "3.13");
  ProbeTarget on_gil = discover(dir.path().string(), python313);
  ASSERT_EQ(on_gil.modules.size(), 1u);
  EXPECT_FALSE(on_gil.modules[0].matches_interpreter);
  EXPECT_NE(on_gil.modules[0].mismatch_reason.find("free-threaded"), std::string::npos);
}

TEST(ProberDiscover, DebianMarkupsafePackageDirectory) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(site, "python3-markupsafe");
  ProbeTarget target = discover((site / "markupsafe").string(), python313);
  ASSERT_EQ(target.modules.size(), 1u);
  const ExtensionFile& speedups = target.modules[0];
  EXPECT_EQ(speedups.module, "markupsafe._speedups");  // named from above the package
  EXPECT_EQ(speedups.sys_path_entry, site);
  EXPECT_EQ(speedups.init_symbols, std::vector<std::string>{"PyInit__speedups"});
  EXPECT_TRUE(speedups.matches_interpreter) << speedups.mismatch_reason;
  // Single-phase (src/markupsafe/_speedups.c returns PyModule_Create): of the C-API imports
  // of interest it has only that one.
  EXPECT_EQ(speedups.c_api_imports, std::vector<std::string>{"PyModule_Create2"});

  REQUIRE_INTERPRETER(python312, "3.12");
  ProbeTarget on_312 = discover((site / "markupsafe").string(), python312);
  ASSERT_EQ(on_312.modules.size(), 1u);
  EXPECT_FALSE(on_312.modules[0].matches_interpreter);
  EXPECT_EQ(on_312.modules[0].mismatch_reason, "built for cpython-313, interpreter is 3.12");
}

TEST(ProberDiscover, DebianPsutilWithoutRecordAndDebianAbi3Naming) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_INTERPRETER(python312, "3.12");
  REQUIRE_DEBIAN(site, "python3-psutil");
  // Debian strips RECORD: top_level.txt says what the distribution installed.
  ProbeTarget target = discover((site / "psutil-7.0.0.dist-info").string(), python313);
  EXPECT_EQ(target.kind, "installed");
  ASSERT_EQ(target.modules.size(), 2u);
  EXPECT_EQ(target.modules[0].module, "psutil._psutil_linux");
  EXPECT_EQ(target.modules[1].module, "psutil._psutil_posix");
  for (const ExtensionFile& file : target.modules) {
    EXPECT_TRUE(file.matches_interpreter) << file.mismatch_reason;  // abi3 loads on 3.13
    EXPECT_EQ(file.sys_path_entry, site);
  }
  EXPECT_TRUE(any_contains(target.warnings, "top_level.txt"));

  // The same file under Debian's own stable-ABI name (docs/cpython-behaviour.md #16).
  TempDir tree("subcheck-discover-abi3");
  const std::string debian_name = "_psutil_posix.abi3-" + platform_of(python313) + ".so";
  fs::copy_file(site / "psutil" / "_psutil_posix.abi3.so", tree.path() / debian_name);
  fs::copy_file(site / "psutil" / "_psutil_posix.abi3.so", tree.path() / "_psutil_posix.abi3-sparc64-linux-gnu.so");
  for (const Interpreter* python : {&python312, &python313}) {
    ProbeTarget debian = discover(tree.path().string(), *python);
    ASSERT_EQ(debian.modules.size(), 2u);
    const ExtensionFile& native =
        debian.modules[0].file.filename() == debian_name ? debian.modules[0] : debian.modules[1];
    const ExtensionFile& foreign = &native == &debian.modules[0] ? debian.modules[1] : debian.modules[0];
    EXPECT_EQ(native.module, "_psutil_posix");
    EXPECT_TRUE(native.matches_interpreter) << native.mismatch_reason;
    EXPECT_EQ(native.init_symbols, std::vector<std::string>{"PyInit__psutil_posix"});
    EXPECT_FALSE(foreign.matches_interpreter);
    EXPECT_NE(foreign.mismatch_reason.find("sparc64"), std::string::npos) << foreign.mismatch_reason;
  }
}

// sid's dist-info directories may keep neither RECORD nor top_level.txt (numpy,
// cryptography); dpkg's file lists say what the package installed, exactly, where
// top_level.txt names a namespace package (zope) that other distributions share.
TEST(ProberDiscover, DebianMetadataWithoutRecordIsReadFromDpkgsFileList) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(markupsafe, "python3-markupsafe");
  const std::string speedups = "_speedups.cpython-313-x86_64-linux-gnu.so";
  TempDir site("subcheck-discover-dpkg-site");
  TempDir admin("subcheck-discover-dpkg-admin");
  fs::create_directories(site.path() / "numpyish");
  fs::copy_file(markupsafe / "markupsafe" / speedups, site.path() / "numpyish" / speedups);
  site.write("numpyish-2.4.dist-info/METADATA", "Metadata-Version: 2.1\nName: numpyish\nVersion: 2.4\n");
  fs::create_directories(site.path() / "zope/interface");
  fs::copy_file(markupsafe / "markupsafe" / speedups, site.path() / "zope/interface" / speedups);
  for (const char* name : {"zope.event-6.2.dist-info", "zope.interface-8.7.dist-info"}) {
    site.write(std::string(name) + "/METADATA", "Metadata-Version: 2.1\nName: x\n");
    site.write(std::string(name) + "/top_level.txt", "zope\n");
  }
  const std::string root = site.path().string();
  admin.write("info/python3-numpyish:amd64.list", "/.\n" + root + "\n" + root + "/numpyish\n" + root + "/numpyish/" +
                                                      speedups + "\n" + root + "/numpyish-2.4.dist-info\n/usr/lib/x/" +
                                                      speedups + "\n");
  admin.write("info/python3-zope.event.list",
              root + "/zope.event-6.2.dist-info\n" + root + "/zope/event/__init__.py\n");
  admin.write("info/python3-zope.interface.list",
              root + "/zope.interface-8.7.dist-info\n" + root + "/zope/interface/" + speedups + "\n");
  ASSERT_EQ(mkfifo((admin.path() / "info/python3-hostile.list").c_str(), 0600), 0);  // never opened for reading
  ASSERT_EQ(setenv("DPKG_ADMINDIR", admin.path().c_str(), 1), 0);
  struct Unset {
    ~Unset() { unsetenv("DPKG_ADMINDIR"); }
  } unset;

  ProbeTarget numpyish = discover((site.path() / "numpyish-2.4.dist-info").string(), python313);
  ASSERT_EQ(numpyish.modules.size(), 1u);  // the file outside the site directory is not taken
  EXPECT_EQ(numpyish.modules[0].module, "numpyish._speedups");
  EXPECT_TRUE(any_contains(numpyish.warnings, "python3-numpyish:amd64.list")) << numpyish.warnings.size();
  EXPECT_TRUE(discover((site.path() / "zope.event-6.2.dist-info").string(), python313).modules.empty())
      << "zope.event installed no extension module; top_level.txt's `zope` would have claimed zope.interface's";
  ProbeTarget interface = discover((site.path() / "zope.interface-8.7.dist-info").string(), python313);
  ASSERT_EQ(interface.modules.size(), 1u);
  EXPECT_EQ(interface.modules[0].module, "zope.interface._speedups");
}

TEST(ProberDiscover, BuildTreeNamesPlainSoFilesAndJunk) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(site, "python3-markupsafe");
  const fs::path real_so = site / "markupsafe" / "_speedups.cpython-313-x86_64-linux-gnu.so";
  TempDir tree("subcheck-discover-tree");
  tree.write("pyproject.toml", "[project]\nname = 'demo'\n");
  tree.write("src/pkg/__init__.py", "");
  tree.write("src/pkg/sub/__init__.py", "");
  fs::copy_file(real_so, tree.path() / "src/pkg/sub" / real_so.filename());
  fs::copy_file(real_so, tree.path() / "src/pkg/_speedups.so");  // plain .so exporting PyInit__speedups
  fs::copy_file(real_so, tree.path() / "src/pkg/libhelper.so");  // a library: no PyInit_libhelper
  tree.write("src/pkg/_junk.cpython-313-x86_64-linux-gnu.so", "not an ELF file\n");
  tree.write("src/pkg/libpython3.13.so", "");
  tree.write("src/pkg/libc.so", "GROUP ( /lib/libc.so.6 )\n");  // a linker script: not a module, no warning
  fs::create_directories(tree.path() / ".venv/lib");
  fs::copy_file(real_so, tree.path() / ".venv/lib" / real_so.filename());           // hidden: not walked
  fs::create_directory_symlink(tree.path() / "src", tree.path() / "src/pkg/loop");  // must not loop

  ProbeTarget target = discover(tree.path().string(), python313);
  EXPECT_EQ(target.kind, "build-tree");
  ASSERT_EQ(target.modules.size(), 2u);
  EXPECT_EQ(target.modules[0].module, "pkg._speedups");
  EXPECT_EQ(target.modules[1].module, "pkg.sub._speedups");
  for (const ExtensionFile& file : target.modules) {
    EXPECT_EQ(file.sys_path_entry, tree.path() / "src");
    EXPECT_TRUE(file.matches_interpreter) << file.mismatch_reason;
  }
  ASSERT_EQ(target.warnings.size(), 1u);
  EXPECT_NE(target.warnings[0].find("_junk"), std::string::npos);
  EXPECT_NE(target.warnings[0].find("not an ELF file"), std::string::npos) << target.warnings[0];

  // Pointed at the package itself, the names are still taken from above it.
  ProbeTarget inner = discover((tree.path() / "src/pkg/sub").string(), python313);
  ASSERT_EQ(inner.modules.size(), 1u);
  EXPECT_EQ(inner.modules[0].module, "pkg.sub._speedups");
  EXPECT_EQ(inner.modules[0].sys_path_entry, tree.path() / "src");
}

// Debian's zope.interface: zope/ is a namespace package (no __init__.py), so the nearest
// non-package ancestor is zope/, not the site directory; the name must still be zope.….
TEST(ProberDiscover, NamespacePackagesInASiteDirectoryKeepTheirFullName) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(site, "python3-markupsafe");
  const fs::path real_so = site / "markupsafe" / "_speedups.cpython-313-x86_64-linux-gnu.so";
  for (const char* site_name : {"dist-packages", "site-packages"}) {
    TempDir tree("subcheck-discover-namespace");
    const fs::path root = tree.path() / "lib/python3/" / site_name;
    tree.write(fs::path("lib/python3") / site_name / "zope/interface/__init__.py", "");
    fs::copy_file(real_so, root / "zope/interface" / real_so.filename());
    tree.write(fs::path("lib/python3") / site_name / "plain/__init__.py", "");
    fs::copy_file(real_so, root / "plain" / real_so.filename());

    for (const fs::path& given : {root, root / "zope"}) {
      ProbeTarget target = discover(given.string(), python313);
      std::map<std::string, fs::path> entries;
      for (const ExtensionFile& file : target.modules) entries[file.module] = file.sys_path_entry;
      EXPECT_TRUE(entries.count("zope.interface._speedups")) << site_name << " " << given;
      EXPECT_EQ(entries.count("interface._speedups"), 0u) << given;
      for (const auto& [module, entry] : entries) EXPECT_EQ(entry, root) << module;
      if (given == root) {
        EXPECT_TRUE(entries.count("plain._speedups")) << given;
      }
    }
  }
  // Outside a site directory nothing changes: a build tree's namespace directory is the entry.
  TempDir tree("subcheck-discover-namespace-tree");
  tree.write("src/ns/pkg/__init__.py", "");
  fs::copy_file(real_so, tree.path() / "src/ns/pkg" / real_so.filename());
  ProbeTarget target = discover(tree.path().string(), python313);
  ASSERT_EQ(target.modules.size(), 1u);
  EXPECT_EQ(target.modules[0].module, "pkg._speedups");
  EXPECT_EQ(target.modules[0].sys_path_entry, tree.path() / "src/ns");
}

TEST(ProberDiscover, AbiMismatchOnFreeThreaded) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(markupsafe, "python3-markupsafe");
  REQUIRE_DEBIAN(psutil, "python3-psutil");
  TempDir tree("subcheck-discover-mismatch");
  fs::copy_file(markupsafe / "markupsafe" / "_speedups.cpython-313-x86_64-linux-gnu.so",
                tree.path() / "_speedups.cpython-313-x86_64-linux-gnu.so");
  fs::copy_file(psutil / "psutil" / "_psutil_posix.abi3.so", tree.path() / "_psutil_posix.abi3.so");
  fs::copy_file(psutil / "psutil" / "_psutil_posix.abi3.so",
                tree.path() / ("_psutil_debian.abi3-" + platform_of(python313) + ".so"));
  fs::copy_file(psutil / "psutil" / "_psutil_linux.abi3.so", tree.path() / "_psutil_linux.so");  // plain, GIL-built

  std::vector<Interpreter> free_threaded{free_threaded_description(python313)};
  if (const auto& real = interpreter_for("3.13t")) free_threaded.push_back(*real);
  for (const Interpreter& python : free_threaded) {
    ProbeTarget target = discover(tree.path().string(), python);
    ASSERT_EQ(target.modules.size(), 4u) << python.executable;
    for (const ExtensionFile& file : target.modules) {
      EXPECT_FALSE(file.matches_interpreter) << file.file << " on " << python.executable;
    }
    const ExtensionFile* speedups = find_module(target, "_speedups");
    ASSERT_TRUE(speedups);
    EXPECT_EQ(speedups->mismatch_reason, "built for cpython-313, interpreter is 3.13t");
    for (const char* abi3 : {"_psutil_posix", "_psutil_debian"}) {
      const ExtensionFile* file = find_module(target, abi3);
      ASSERT_TRUE(file) << abi3;
      EXPECT_NE(file->mismatch_reason.find("stable ABI"), std::string::npos) << file->mismatch_reason;
      EXPECT_NE(file->mismatch_reason.find("3.13t"), std::string::npos) << file->mismatch_reason;
    }
    EXPECT_NE(find_module(target, "_psutil_linux")->mismatch_reason.find("GIL build"), std::string::npos);
  }
  // The same files on the GIL build all match.
  for (const ExtensionFile& file : discover(tree.path().string(), python313).modules) {
    EXPECT_TRUE(file.matches_interpreter) << file.file << ": " << file.mismatch_reason;
  }
}

// Two files, neither named for the module, both export its init function: one built for
// this interpreter, one for another (mypyc's PyInit___init__ shim in charset_normalizer's
// cd.cpython-314… and cd.cpython-315…). The module is probed from the one this interpreter
// loads, whichever the walk sees first.
TEST(ProberDiscover, AModuleExportedByTwoOtherFilesIsTakenFromTheLoadableOne) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(psutil, "python3-psutil");
  const std::string gil = ".cpython-313-" + platform_of(python313) + ".so";
  const std::string free_threaded = ".cpython-313t-" + platform_of(python313) + ".so";
  for (const auto& [first, second] : {std::pair{free_threaded, gil}, std::pair{gil, free_threaded}}) {
    TempDir tree("subcheck-discover-two-exporters");
    fs::copy_file(psutil / "psutil" / "_psutil_posix.abi3.so", tree.path() / ("a_shim" + first));
    fs::copy_file(psutil / "psutil" / "_psutil_posix.abi3.so", tree.path() / ("b_shim" + second));

    ProbeTarget target = discover(tree.path().string(), python313);

    const ExtensionFile* posix = find_module(target, "_psutil_posix");
    ASSERT_TRUE(posix) << "first " << first;
    EXPECT_TRUE(posix->matches_interpreter) << posix->file << ": " << posix->mismatch_reason;
    EXPECT_EQ(posix->file.filename().string(), (first == gil ? "a_shim" : "b_shim") + gil);
  }
}

// ---------------------------------------------------------------------------------------
// Installed distributions

TEST(ProberDiscover, InstalledDistributionFromRecord) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(markupsafe, "python3-markupsafe");
  REQUIRE_DEBIAN(psutil, "python3-psutil");
  TempDir site("subcheck-discover-site");
  const std::string speedups = "_speedups.cpython-313-x86_64-linux-gnu.so";
  site.write("my_demo/__init__.py", "");
  fs::copy_file(markupsafe / "markupsafe" / speedups, site.path() / "my_demo" / speedups);
  fs::create_directories(site.path() / "my_demo/sub, odd");
  fs::copy_file(psutil / "psutil" / "_psutil_posix.abi3.so", site.path() / "my_demo/sub, odd/_psutil_posix.abi3.so");
  fs::copy_file(psutil / "psutil" / "_psutil_linux.abi3.so", site.path() / "_psutil_linux.abi3.so");
  site.write("other/_not_ours.abi3.so", "not listed in RECORD");
  site.write("my_demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: My.Demo\nVersion: 1.0\n");
  site.write("my_demo-1.0.dist-info/RECORD",
             "my_demo/__init__.py,sha256=abc,0\n"
             "my_demo/" +
                 speedups +
                 ",sha256=abc,1234\n"
                 "\"my_demo/sub, odd/_psutil_posix.abi3.so\",sha256=abc,99\n"
                 "_psutil_linux.abi3.so,,\n"
                 "my_demo/_gone.cpython-313-x86_64-linux-gnu.so,sha256=abc,5\n"
                 "../../../bin/my-demo.cpython-313-x86_64-linux-gnu.so,,\n"
                 "my_demo-1.0.dist-info/RECORD,,\n");

  ProbeTarget target = discover((site.path() / "my_demo-1.0.dist-info").string(), python313);
  EXPECT_EQ(target.kind, "installed");
  // "sub, odd" is not an importable package name. _psutil_linux's file also exports
  // PyInit__psutil_posix (Debian's psutil 7.0.0 links the POSIX code in): with no
  // _psutil_posix file of its own here, that module is probed from _psutil_linux's file.
  ASSERT_EQ(target.modules.size(), 3u);
  EXPECT_EQ(target.modules[0].module, "_psutil_linux");
  EXPECT_EQ(target.modules[1].module, "_psutil_posix");
  EXPECT_EQ(target.modules[1].file, target.modules[0].file);
  EXPECT_EQ(target.modules[2].module, "my_demo._speedups");
  for (const ExtensionFile& file : target.modules) EXPECT_EQ(file.sys_path_entry, site.path());
  EXPECT_TRUE(any_contains(target.warnings, "_gone")) << "a file listed but missing is reported";
  EXPECT_TRUE(any_contains(target.warnings, "'sub, odd' is not an importable name"));

  // Looked up by project name in the interpreter's site-packages, PEP 503-normalised.
  Interpreter with_site = python313;
  with_site.purelib = site.path();
  for (const char* name : {"my-demo", "MY_DEMO", "My.Demo"}) {
    ProbeTarget by_name = discover(name, with_site);
    EXPECT_EQ(by_name.modules.size(), 3u) << name;
  }
  // Also in the other site directories (Debian's /usr/lib/python3/dist-packages, where apt
  // installs, is not its python3's purelib).
  TempDir pip_site;
  Interpreter debian_like = python313;
  debian_like.purelib = pip_site.path();
  debian_like.other_site_dirs = {pip_site.path(), site.path()};
  ASSERT_EQ(debian_like.site_dirs(), (std::vector<fs::path>{pip_site.path(), site.path()}));
  EXPECT_EQ(discover("my-demo", debian_like).modules.size(), 3u);
  try {
    discover("not-installed-here", with_site);
    FAIL() << "an unknown project name was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("no distribution"), std::string::npos) << error.what();
  }

  // setuptools' egg-info lists its files relative to itself.
  site.write("legacy/__init__.py", "");
  fs::copy_file(markupsafe / "markupsafe" / speedups, site.path() / "legacy" / speedups);
  site.write("legacy-0.1-py3.13.egg-info/PKG-INFO", "Metadata-Version: 1.1\nName: legacy\n");
  site.write("legacy-0.1-py3.13.egg-info/installed-files.txt", "../legacy/__init__.py\n../legacy/" + speedups + "\n");
  ProbeTarget legacy = discover("Legacy", with_site);
  ASSERT_EQ(legacy.modules.size(), 1u);
  EXPECT_EQ(legacy.modules[0].module, "legacy._speedups");

  // Metadata that names no files is an error, not an empty result.
  site.write("bare-1.0.dist-info/METADATA", "Name: bare\n");
  try {
    discover("bare", with_site);
    FAIL() << "a distribution without a file list was accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("no RECORD"), std::string::npos) << error.what();
  }
}

// ---------------------------------------------------------------------------------------
// Wheels

class ProberWheel : public ::testing::Test {
 protected:
  void SetUp() override {
    // Every scratch directory goes under tmp_, so the test can see what is left behind.
    tmp_env_.emplace("TMPDIR", tmp_.path().string());
  }
  void TearDown() override { tmp_env_.reset(); }

  // Asserts the wheel is refused with `expected` in the message and nothing is left
  // behind in the temp dir, next to the wheel, or at `outside`.
  void expect_refused(const fs::path& wheel, const std::string& expected, const Interpreter& python,
                      const fs::path& outside = {}) {
    try {
      discover(wheel.string(), python);
      ADD_FAILURE() << wheel.filename() << " was accepted";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find(expected), std::string::npos)
          << "message: " << error.what() << "\nexpected: " << expected;
      EXPECT_NE(std::string(error.what()).find(wheel.filename().string()), std::string::npos) << error.what();
    }
    EXPECT_TRUE(fs::is_empty(tmp_.path())) << "scratch left behind in " << tmp_.path();
    std::vector<fs::path> beside = all_files_under(wheel.parent_path());
    EXPECT_EQ(beside, std::vector<fs::path>{wheel}) << "something was written next to the wheel";
    if (!outside.empty()) {
      EXPECT_FALSE(fs::exists(outside)) << outside;
    }
  }

  TempDir tmp_{"subcheck-discover-tmp"};
  TempDir work_{"subcheck-discover-work"};
  std::optional<ScopedEnv> tmp_env_;
};

TEST_F(ProberWheel, GoodWheelIsUnpackedPrivatelyAndRemovedAfterwards) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(markupsafe, "python3-markupsafe");
  REQUIRE_DEBIAN(simplejson, "python3-simplejson");
  GoodWheel wheel = write_good_wheel(work_.path(), markupsafe / "markupsafe/_speedups.cpython-313-x86_64-linux-gnu.so",
                                     simplejson / "simplejson/_speedups.cpython-313-x86_64-linux-gnu.so");
  fs::path scratch;
  {
    ProbeTarget target = discover(wheel.path.string(), python313);
    EXPECT_EQ(target.kind, "wheel");
    ASSERT_TRUE(target.scratch);
    scratch = *target.scratch;
    EXPECT_EQ(scratch.parent_path(), tmp_.path());
    EXPECT_EQ(fs::status(scratch).permissions() & fs::perms::all, fs::perms::owner_all);  // 0700
    ASSERT_EQ(target.modules.size(), 2u);
    EXPECT_EQ(target.modules[0].module, "markupsafe._speedups");
    EXPECT_EQ(target.modules[1].module, "simplejson._speedups");  // from demo-1.0.data/platlib
    for (const ExtensionFile& file : target.modules) {
      EXPECT_EQ(file.sys_path_entry, scratch);
      EXPECT_EQ(file.file.parent_path().parent_path(), scratch);
      EXPECT_TRUE(file.matches_interpreter) << file.mismatch_reason;
      EXPECT_EQ(file.init_symbols, std::vector<std::string>{"PyInit__speedups"});
    }
    EXPECT_EQ(read_bytes(target.modules[0].file), wheel.speedups_bytes);
    EXPECT_EQ(read_bytes(target.modules[1].file), wheel.simplejson_bytes);
    EXPECT_TRUE(fs::exists(scratch / "markupsafe/__init__.py"));
    EXPECT_TRUE(fs::exists(scratch / "markupsafe/donn\xc3\xa9"
                                     "es.py"));  // read in the "C" locale
    EXPECT_TRUE(fs::exists(scratch / "simplejson/__init__.py"));
    EXPECT_TRUE(fs::exists(scratch / "demo-1.0.dist-info/METADATA"));
    EXPECT_FALSE(fs::exists(scratch / "demo-1.0.data"));
    EXPECT_TRUE(any_contains(target.warnings, "demo-1.0.data/scripts/demo-tool"));

    ProbeTarget copy = target;  // the scratch directory lives as long as any copy
    target = ProbeTarget{};
    EXPECT_TRUE(fs::exists(scratch));
  }
  EXPECT_FALSE(fs::exists(scratch));
  EXPECT_TRUE(fs::is_empty(tmp_.path()));
}

TEST_F(ProberWheel, ZipSlipIsRefused) {
  REQUIRE_INTERPRETER(python313, "3.13");
  const fs::path wheel = work_.path() / "wheels" / "evil-1.0-py3-none-any.whl";
  fs::create_directories(wheel.parent_path());
  {
    ZipWriter zip(wheel);
    zip.file("evil/__init__.py", "");
    zip.file("../evil.so", "payload");
  }
  // Extracted naively, "../evil.so" lands in TMPDIR itself, next to the scratch directory.
  expect_refused(wheel, "'..'", python313, tmp_.path() / "evil.so");
  const fs::path nested = work_.path() / "wheels" / "nested-1.0-py3-none-any.whl";
  fs::remove(wheel);
  {
    ZipWriter zip(nested);
    zip.file("pkg/../../../evil.so", "payload");
  }
  expect_refused(nested, "zip slip", python313);
}

TEST_F(ProberWheel, AbsolutePathIsRefused) {
  REQUIRE_INTERPRETER(python313, "3.13");
  const fs::path wheel = work_.path() / "abs-1.0-py3-none-any.whl";
  {
    ZipWriter zip(wheel);
    zip.file("/abs/evil.so", "payload");
  }
  expect_refused(wheel, "absolute path", python313, "/abs/evil.so");
}

TEST_F(ProberWheel, SymlinkMemberIsRefused) {
  REQUIRE_INTERPRETER(python313, "3.13");
  const fs::path wheel = work_.path() / "link-1.0-py3-none-any.whl";
  {
    ZipWriter zip(wheel);
    zip.file("pkg/__init__.py", "");
    zip.symlink("pkg/passwd", "/etc/passwd");
  }
  expect_refused(wheel, "symbolic link", python313);
}

// The first `bytes` of the zip's only member, as libarchive inflates them, are zeros: the
// hand-made bomb is a real deflate stream, not just a lying header.
void expect_inflates_to_zeros(const fs::path& zip, std::size_t bytes) {
  struct archive* reader = archive_read_new();
  archive_read_support_format_zip_seekable(reader);
  ASSERT_EQ(archive_read_open_filename(reader, zip.c_str(), 1 << 16), ARCHIVE_OK) << archive_error_string(reader);
  archive_entry* entry = nullptr;
  ASSERT_EQ(archive_read_next_header(reader, &entry), ARCHIVE_OK);
  EXPECT_EQ(archive_entry_size(entry), la_int64_t{1} << 30);
  std::string buffer(1 << 16, 'x');
  for (std::size_t read = 0; read < bytes;) {
    la_ssize_t n = archive_read_data(reader, buffer.data(), buffer.size());
    ASSERT_GT(n, 0) << archive_error_string(reader);
    ASSERT_EQ(std::count(buffer.begin(), buffer.begin() + n, '\0'), n);
    read += static_cast<std::size_t>(n);
  }
  archive_read_free(reader);
}

TEST_F(ProberWheel, ZipBombIsRefusedBeforeInflating) {
  REQUIRE_INTERPRETER(python313, "3.13");
  Zlib zlib;
  if (!zlib.usable()) GTEST_SKIP() << "libz.so.1 could not be loaded to make the bomb";
  const std::string zeros(1 << 20, '\0');
  const std::size_t chunks = 1024;  // 1 GiB
  std::string deflated = zlib.deflate_repeated(zeros, chunks);
  ASSERT_LT(deflated.size(), 4u << 20) << "the bomb should stay small";
  const fs::path wheel = work_.path() / "bomb-1.0-py3-none-any.whl";
  subcheck::test::write_text(wheel, single_member_zip("bomb/zeros.bin", 8, deflated,
                                                      static_cast<std::uint32_t>(zlib.crc_repeated(zeros, chunks)),
                                                      static_cast<std::uint32_t>(zeros.size() * chunks)));
  std::vector<ZipMember> members = read_zip_directory(wheel);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].uncompressed_size, std::uint64_t{1} << 30);
  expect_inflates_to_zeros(wheel, 8 << 20);
  auto started = std::chrono::steady_clock::now();
  expect_refused(wheel, "zip bomb", python313);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2)) << "it was inflated";
}

TEST_F(ProberWheel, TooManyMembersAreRefused) {
  REQUIRE_INTERPRETER(python313, "3.13");
  const fs::path wheel = work_.path() / "many-1.0-py3-none-any.whl";
  {
    ZipWriter zip(wheel);
    for (int i = 0; i < 10'001; ++i) zip.file("many/m" + std::to_string(i) + ".py", "");
  }
  expect_refused(wheel, "10001 members", python313);
}

TEST_F(ProberWheel, CorruptAndTruncatedZipsAreRefused) {
  REQUIRE_INTERPRETER(python313, "3.13");
  REQUIRE_DEBIAN(markupsafe, "python3-markupsafe");
  REQUIRE_DEBIAN(simplejson, "python3-simplejson");
  fs::create_directories(work_.path() / "good");
  GoodWheel good =
      write_good_wheel(work_.path() / "good", markupsafe / "markupsafe/_speedups.cpython-313-x86_64-linux-gnu.so",
                       simplejson / "simplejson/_speedups.cpython-313-x86_64-linux-gnu.so");
  const std::string bytes = read_bytes(good.path);
  const std::size_t good_members = read_zip_directory(good.path).size();
  fs::remove_all(work_.path() / "good");

  const fs::path truncated = work_.path() / "truncated-1.0-py3-none-any.whl";
  subcheck::test::write_text(truncated, bytes.substr(0, bytes.size() / 2));
  expect_refused(truncated, "truncated", python313);
  fs::remove(truncated);

  const fs::path not_zip = work_.path() / "text-1.0-py3-none-any.whl";
  subcheck::test::write_text(not_zip, "this is not a zip archive\n");
  expect_refused(not_zip, "not a zip archive", python313);
  fs::remove(not_zip);

  // Intact central directory, garbage in the middle of the .so member's deflated data.
  const std::string member_name = "markupsafe/_speedups.cpython-313-x86_64-linux-gnu.so";
  std::size_t name_at = bytes.find(member_name);  // the local header comes first
  ASSERT_NE(name_at, std::string::npos);
  std::size_t header_at = name_at - 30;
  ASSERT_EQ(bytes.compare(header_at, 4, "PK\x03\x04"), 0);
  auto field = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(bytes[at]) | static_cast<unsigned char>(bytes[at + 1])
                                                                                << 8);
  };
  std::size_t data_at = name_at + field(header_at + 26) + field(header_at + 28);
  std::string damaged = bytes;
  for (std::size_t i = data_at + 64; i < data_at + 4096; ++i) damaged[i] = static_cast<char>(0xFF);
  const fs::path corrupt = work_.path() / "corrupt-1.0-py3-none-any.whl";
  subcheck::test::write_text(corrupt, damaged);
  ASSERT_EQ(read_zip_directory(corrupt).size(), good_members);  // the directory is intact
  expect_refused(corrupt, "corrupt", python313);
}

TEST_F(ProberWheel, NamesThatAreNotUtf8OrHoldNulAreRefused) {
  REQUIRE_INTERPRETER(python313, "3.13");
  const fs::path not_utf8 = work_.path() / "latin1-1.0-py3-none-any.whl";
  subcheck::test::write_text(not_utf8, single_member_zip("pkg/caf\xe9.so", 0, "x", 0x8cdc1683 /* crc32("x") */, 1));
  expect_refused(not_utf8, "not valid UTF-8", python313);
  fs::remove(not_utf8);
  const fs::path nul = work_.path() / "nul-1.0-py3-none-any.whl";
  subcheck::test::write_text(nul, single_member_zip(std::string("pkg/evil.so\0.py", 15), 0, "x", 0x8cdc1683, 1));
  expect_refused(nul, "NUL", python313);
}

TEST_F(ProberWheel, Utf8FlaggedNamesAreKeptInTheCLocale) {
  REQUIRE_INTERPRETER(python313, "3.13");
  // The name carries the zip UTF-8 flag (as Python's zipfile writes non-ASCII names);
  // libarchive cannot convert it to the "C" locale's ASCII by itself.
  const std::string name =
      "pkg/donn\xc3\xa9"
      "es.py";
  const fs::path wheel = work_.path() / "utf8-1.0-py3-none-any.whl";
  subcheck::test::write_text(wheel, single_member_zip(name, 0, "x", 0x8cdc1683 /* crc32("x") */, 1));
  ProbeTarget target = discover(wheel.string(), python313);
  ASSERT_TRUE(target.scratch);
  EXPECT_EQ(read_bytes(*target.scratch / name), "x");
}

TEST_F(ProberWheel, MembersLandingOnOneFileAreRefused) {
  REQUIRE_INTERPRETER(python313, "3.13");
  const fs::path wheel = work_.path() / "clash-1.0-py3-none-any.whl";
  {
    ZipWriter zip(wheel);
    zip.file("clash/__init__.py", "first");
    zip.file("clash-1.0.data/purelib/clash/__init__.py", "second");
  }
  expect_refused(wheel, "two members unpack to 'clash/__init__.py'", python313);
}

TEST(ProberArchive, NamesAndSizesAreCheckedBeforeExtraction) {
  ArchiveLimits limits;
  auto problem = [&](const std::string& name) { return member_problem(ZipMember{name, 10, 10}, limits); };
  EXPECT_EQ(problem("pkg/mod.so"), "");
  EXPECT_NE(problem(std::string("pkg/a\0b.so", 10)).find("NUL"), std::string::npos);
  EXPECT_NE(problem("pkg/\xff\xfe.so").find("UTF-8"), std::string::npos);
  EXPECT_NE(problem("..\\evil.so").find(".."), std::string::npos);
  EXPECT_NE(problem("C:/evil.so").find("absolute"), std::string::npos);
  EXPECT_EQ(problem("pkg/caf\xc3\xa9.so"), "");  // UTF-8 is fine

  // Many members each under the ratio floor still may not add up to more than 2 GiB.
  std::vector<ZipMember> members;
  for (int i = 0; i < 3000; ++i) members.push_back(ZipMember{"m" + std::to_string(i), 1000, 1000u << 10});
  try {
    check_members(members, limits);
    FAIL() << "3000 MiB accepted";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("more than 2 GiB"), std::string::npos) << error.what();
  }
}

// Builds a shared object from C that needs no Python headers; false when cc fails.
bool build_shared_object(const TempDir& dir, const std::string& file_name, const std::string& source) {
  const fs::path c_file = dir.write(file_name + ".c", source);
  const std::string command =
      "cc -shared -fPIC -o '" + (dir.path() / file_name).string() + "' '" + c_file.string() + "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

// PEP 793 (docs/cpython-behaviour.md #22): a file exporting only PyModExport_<name> is a
// module for 3.15+ and one that cannot be imported before; a file exporting two init
// functions is two modules (#15), each probed under its own name.
TEST_P(ProberInterpreterTags, ModExportFromThreePointFifteenAndEveryInitFunctionOfAFile) {
  REQUIRE_INTERPRETER(python, GetParam());
  TempDir dir("subcheck-discover-modexport");
  const std::string suffix = python.extension_suffixes.front();
  ASSERT_TRUE(build_shared_object(dir, "only_export" + suffix, "void *PyModExport_only_export(void) { return 0; }\n"));
  ASSERT_TRUE(build_shared_object(
      dir, "two" + suffix, "void *PyInit_two(void) { return 0; }\nvoid *PyInit_two_other(void) { return 0; }\n"));
  const ProbeTarget target = discover(dir.path().string(), python);
  std::vector<std::string> modules;
  for (const ExtensionFile& file : target.modules) modules.push_back(file.module);
  std::sort(modules.begin(), modules.end());
  EXPECT_EQ(modules, (std::vector<std::string>{"only_export", "two", "two_other"}));
  const ExtensionFile* other = find_module(target, "two_other");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->file.filename(), "two" + suffix);
  EXPECT_EQ(other->sys_path_entry, dir.path());
  const bool has_module_export = python.version >= "3.15";
  if (has_module_export) {
    EXPECT_TRUE(target.warnings.empty()) << target.warnings.front();
  } else {
    ASSERT_EQ(target.warnings.size(), 1u);
    EXPECT_NE(target.warnings[0].find("exports PyModExport_only_export (PEP 793, called by CPython 3.15 and later)"),
              std::string::npos)
        << target.warnings[0];
    EXPECT_NE(target.warnings[0].find("CPython " + python.version + " will fail"), std::string::npos)
        << target.warnings[0];
  }
}

INSTANTIATE_TEST_SUITE_P(Interpreters, ProberInterpreterTags, ::testing::ValuesIn(test::kInterpreterTags),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return test::interpreter_test_name(info.param);
                         });

}  // namespace
}  // namespace subcheck::prober
