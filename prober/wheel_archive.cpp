// Wheel unpacking: a small reader for the zip central directory (libarchive does not
// expose compressed sizes, which bomb detection needs), then libarchive for the data.
#include "prober/wheel_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>

namespace subcheck::prober {
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------
// The central directory (APPNOTE.TXT 4.3.12-4.3.16)

constexpr std::uint32_t kEndOfDirectorySignature = 0x06054b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kDirectoryEntrySignature = 0x02014b50;
constexpr std::size_t kEndOfDirectorySize = 22;
constexpr std::size_t kZip64LocatorSize = 20;
constexpr std::size_t kDirectoryEntrySize = 46;
constexpr std::size_t kMaxCommentSize = 0xFFFF;
constexpr std::uint64_t kMaxDirectoryBytes = std::uint64_t{64} << 20;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
constexpr unsigned kMadeByUnix = 3;

[[noreturn]] void fail(const fs::path& zip, const std::string& why) {
  throw std::runtime_error(zip.filename().string() + ": " + why);
}

// Little-endian fields from a byte buffer, bounds-checked by the caller.
std::uint64_t little_endian(const unsigned char* bytes, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = width; i-- > 0;) value = (value << 8) | bytes[i];
  return value;
}

class ByteReader {
 public:
  ByteReader(const std::string& bytes, std::size_t offset) : bytes_(bytes), offset_(offset) {}
  bool has(std::size_t count) const { return offset_ <= bytes_.size() && bytes_.size() - offset_ >= count; }
  std::uint64_t take(std::size_t width) {
    auto value = little_endian(reinterpret_cast<const unsigned char*>(bytes_.data()) + offset_, width);
    offset_ += width;
    return value;
  }
  std::string take_bytes(std::size_t count) {
    std::string value = bytes_.substr(offset_, count);
    offset_ += count;
    return value;
  }
  void skip(std::size_t count) { offset_ += count; }
  std::size_t offset() const { return offset_; }

 private:
  const std::string& bytes_;
  std::size_t offset_;
};

std::string read_range(std::ifstream& in, std::uint64_t offset, std::uint64_t size) {
  std::string bytes(size, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in || static_cast<std::uint64_t>(in.gcount()) != size) bytes.clear();
  return bytes;
}

struct DirectoryLocation {
  std::uint64_t entries = 0;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;
};

// The end-of-central-directory record is within the last 22 + 65535 bytes.
std::optional<std::size_t> find_end_record(const std::string& tail) {
  if (tail.size() < kEndOfDirectorySize) return std::nullopt;
  for (std::size_t at = tail.size() - kEndOfDirectorySize + 1; at-- > 0;) {
    if (little_endian(reinterpret_cast<const unsigned char*>(tail.data()) + at, 4) == kEndOfDirectorySignature) {
      return at;
    }
  }
  return std::nullopt;
}

DirectoryLocation read_zip64_end(std::ifstream& in, const fs::path& zip, std::uint64_t end_record_offset) {
  if (end_record_offset < kZip64LocatorSize) fail(zip, "corrupt zip64 end of central directory");
  std::string locator = read_range(in, end_record_offset - kZip64LocatorSize, kZip64LocatorSize);
  ByteReader locator_reader(locator, 0);
  if (locator.empty() || locator_reader.take(4) != kZip64LocatorSignature) {
    fail(zip, "corrupt zip64 end of central directory locator");
  }
  locator_reader.skip(4);
  std::uint64_t record_offset = locator_reader.take(8);
  std::string record = read_range(in, record_offset, 56);
  ByteReader reader(record, 0);
  if (record.empty() || reader.take(4) != kZip64EndSignature) fail(zip, "corrupt zip64 end of central directory");
  reader.skip(8 + 2 + 2 + 4 + 4 + 8);  // record size, versions, disk numbers, entries on this disk
  DirectoryLocation location;
  location.entries = reader.take(8);
  location.size = reader.take(8);
  location.offset = reader.take(8);
  return location;
}

DirectoryLocation locate_directory(std::ifstream& in, const fs::path& zip, std::uint64_t file_size) {
  std::uint64_t tail_size = std::min<std::uint64_t>(file_size, kEndOfDirectorySize + kMaxCommentSize);
  std::string tail = read_range(in, file_size - tail_size, tail_size);
  std::optional<std::size_t> end_record = find_end_record(tail);
  if (!end_record) fail(zip, "not a zip archive, or truncated (no end of central directory record)");
  ByteReader reader(tail, *end_record + 4);
  std::uint64_t this_disk = reader.take(2), directory_disk = reader.take(2);
  reader.skip(2);
  DirectoryLocation location;
  location.entries = reader.take(2);
  location.size = reader.take(4);
  location.offset = reader.take(4);
  if (this_disk != 0 || directory_disk != 0) fail(zip, "multi-disk zip archives are not supported");
  if (location.entries == 0xFFFF || location.size == 0xFFFFFFFF || location.offset == 0xFFFFFFFF) {
    location = read_zip64_end(in, zip, file_size - tail_size + *end_record);
  }
  return location;
}

// Sizes too large for 32 bits are in the zip64 extra field, in a fixed order.
void apply_zip64_extra(const std::string& extra, ZipMember& member, bool wide_uncompressed, bool wide_compressed) {
  ByteReader reader(extra, 0);
  while (reader.has(4)) {
    std::uint64_t id = reader.take(2), size = reader.take(2);
    if (!reader.has(size)) return;
    if (id != kZip64ExtraId) {
      reader.skip(size);
      continue;
    }
    std::string field = reader.take_bytes(size);
    ByteReader values(field, 0);
    if (wide_uncompressed && values.has(8)) member.uncompressed_size = values.take(8);
    if (wide_compressed && values.has(8)) member.compressed_size = values.take(8);
    return;
  }
}

ZipMember read_entry(ByteReader& reader, const fs::path& zip) {
  if (!reader.has(kDirectoryEntrySize) || reader.take(4) != kDirectoryEntrySignature) {
    fail(zip, "corrupt central directory");
  }
  ZipMember member;
  unsigned made_by = static_cast<unsigned>(reader.take(2) >> 8);
  reader.skip(2);  // version needed
  member.encrypted = (reader.take(2) & 0x1) != 0;
  reader.skip(2 + 2 + 2 + 4);  // method, time, date, CRC
  member.compressed_size = reader.take(4);
  member.uncompressed_size = reader.take(4);
  std::size_t name_length = reader.take(2), extra_length = reader.take(2), comment_length = reader.take(2);
  reader.skip(2 + 2);  // disk, internal attributes
  auto external = static_cast<std::uint32_t>(reader.take(4));
  reader.skip(4);  // local header offset
  if (!reader.has(name_length + extra_length + comment_length)) fail(zip, "corrupt central directory (truncated entry)");
  member.name = reader.take_bytes(name_length);
  std::string extra = reader.take_bytes(extra_length);
  reader.skip(comment_length);
  apply_zip64_extra(extra, member, member.uncompressed_size == 0xFFFFFFFF, member.compressed_size == 0xFFFFFFFF);
  const std::uint32_t unix_mode = external >> 16;
  member.is_link = made_by == kMadeByUnix && S_ISLNK(unix_mode);
  member.is_directory = (!member.name.empty() && member.name.back() == '/') ||
                        (made_by == kMadeByUnix && S_ISDIR(unix_mode)) || (external & 0x10) != 0;
  return member;
}

// ---------------------------------------------------------------------------------------
// Member names

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

// Splits on '/' and '\\' (a zip made on Windows may use either), dropping "" and ".".
std::vector<std::string> name_components(std::string_view name) {
  std::vector<std::string> components;
  std::string current;
  for (char c : name) {
    if (c == '/' || c == '\\') {
      if (!current.empty() && current != ".") components.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty() && current != ".") components.push_back(current);
  return components;
}

std::string printable(std::string_view name) {
  std::string out = "'";
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool is_absolute_name(std::string_view name) {
  if (!name.empty() && (name.front() == '/' || name.front() == '\\')) return true;
  // "C:..." is absolute (or drive-relative) on Windows: never a wheel member.
  return name.size() >= 2 && name[1] == ':' && std::isalpha(static_cast<unsigned char>(name[0]));
}

std::string name_problem(std::string_view name) {
  if (name.find('\0') != std::string_view::npos) return "its name contains a NUL byte";
  if (!is_valid_utf8(name)) return "its name is not valid UTF-8";
  if (is_absolute_name(name)) return "it has an absolute path";
  for (const std::string& component : name_components(name)) {
    if (component == "..") return "its path has a '..' component (zip slip)";
  }
  if (name_components(name).empty()) return "it has an empty name";
  return {};
}

std::string size_text(std::uint64_t bytes) {
  if (bytes >= (std::uint64_t{1} << 30)) return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (std::uint64_t{1} << 20)) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

std::string joined(const std::vector<std::string>& components) {
  std::string path;
  for (const std::string& component : components) path += (path.empty() ? "" : "/") + component;
  return path;
}

// ---------------------------------------------------------------------------------------
// Where a wheel member goes (the wheel spec: *.data/purelib and *.data/platlib are
// installed into site-packages itself; other *.data directories go elsewhere)

struct Destination {
  std::optional<std::string> relative;  // empty: left out
  std::string why_left_out;
};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

Destination wheel_destination(const std::string& name) {
  std::vector<std::string> components = name_components(name);
  if (components.empty() || !ends_with(components.front(), ".data")) return {joined(components), {}};
  if (components.size() >= 3 && (components[1] == "purelib" || components[1] == "platlib")) {
    return {joined(std::vector<std::string>(components.begin() + 2, components.end())), {}};
  }
  std::string scheme = components.size() >= 2 ? components[1] : "";
  return {std::nullopt, name + ": in the wheel's '" + scheme + "' data, not importable"};
}

// ---------------------------------------------------------------------------------------
// Extraction with libarchive

struct ArchiveCloser {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveCloser>;

std::string entry_name(struct archive_entry* entry) {
  if (const char* utf8 = archive_entry_pathname_utf8(entry)) return utf8;
  if (const char* raw = archive_entry_pathname(entry)) return raw;
  return {};
}

class FileWriter {
 public:
  // O_EXCL and O_NOFOLLOW: never write through anything already there.
  explicit FileWriter(const fs::path& path)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)),
        open_error_(fd_ < 0 ? errno : 0) {}
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  bool ok() const { return fd_ >= 0; }
  int open_error() const { return open_error_; }
  bool write_all(const char* data, std::size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd_, data, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

 private:
  int fd_;
  int open_error_;
};

// libarchive converts UTF-8 member names to the current locale's charset and gives up
// (no name at all) when that is ASCII, as in the "C" locale programs start in. A UTF-8
// locale for this thread only, while the archive is read, keeps names as they are
// without touching the process's locale.
class ThreadUtf8Locale {
 public:
  ThreadUtf8Locale() : utf8_(::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0))) {
    if (utf8_ != static_cast<locale_t>(0)) previous_ = ::uselocale(utf8_);
  }
  ~ThreadUtf8Locale() {
    if (utf8_ == static_cast<locale_t>(0)) return;
    ::uselocale(previous_);
    ::freelocale(utf8_);
  }
  ThreadUtf8Locale(const ThreadUtf8Locale&) = delete;
  ThreadUtf8Locale& operator=(const ThreadUtf8Locale&) = delete;

 private:
  locale_t utf8_;
  locale_t previous_ = static_cast<locale_t>(0);
};

class WheelExtractor {
 public:
  WheelExtractor(const fs::path& wheel, const fs::path& root, const std::vector<ZipMember>& members,
                 const ArchiveLimits& limits)
      : wheel_(wheel), root_(root), limits_(limits) {
    for (const ZipMember& member : members) declared_.emplace(member.name, &member);
  }

  WheelContents run() {
    ThreadUtf8Locale utf8_names;  // before the archive exists: libarchive caches the charset
    ArchivePtr archive(archive_read_new());
    if (!archive) fail(wheel_, "libarchive could not start");
    archive_read_support_format_zip_seekable(archive.get());
    if (archive_read_open_filename(archive.get(), wheel_.c_str(), 64 * 1024) != ARCHIVE_OK) {
      fail(wheel_, std::string("cannot open: ") + archive_error_string(archive.get()));
    }
    struct archive_entry* entry = nullptr;
    while (true) {
      int status = archive_read_next_header(archive.get(), &entry);
      if (status == ARCHIVE_EOF) break;
      if (status < ARCHIVE_WARN) fail(wheel_, std::string("corrupt zip archive: ") + archive_error_string(archive.get()));
      extract_entry(archive.get(), entry);
    }
    return std::move(contents_);
  }

 private:
  // libarchive and the central directory must agree on every member.
  const ZipMember& declared_member(const std::string& name) {
    auto found = declared_.find(name);
    if (found == declared_.end()) fail(wheel_, "member " + printable(name) + " is not in the central directory");
    if (!seen_.insert(name).second) fail(wheel_, "member " + printable(name) + " appears twice");
    return *found->second;
  }

  void extract_entry(struct archive* archive, struct archive_entry* entry) {
    const std::string name = entry_name(entry);
    if (name.empty()) fail(wheel_, "a member name could not be decoded; refusing the wheel");
    const ZipMember& member = declared_member(name);
    const auto type = archive_entry_filetype(entry);
    if (archive_entry_hardlink(entry) != nullptr || archive_entry_symlink(entry) != nullptr ||
        (type != AE_IFREG && type != AE_IFDIR)) {
      fail(wheel_, "member " + printable(name) + " is a link or special file; refusing the wheel");
    }
    if (type == AE_IFDIR || member.is_directory) return;
    Destination destination = wheel_destination(name);
    if (!destination.relative) {
      contents_.warnings.push_back(destination.why_left_out);
      return;
    }
    if (!destinations_.insert(*destination.relative).second) {
      fail(wheel_, "two members unpack to " + printable(*destination.relative));
    }
    write_member(archive, member, *destination.relative);
  }

  void write_member(struct archive* archive, const ZipMember& member, const std::string& relative) {
    const fs::path target = root_ / relative;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) fail(wheel_, "cannot create " + target.parent_path().string() + ": " + ec.message());
    FileWriter out(target);
    if (!out.ok()) fail(wheel_, "cannot create " + target.string() + ": " + std::strerror(out.open_error()));
    std::array<char, 64 * 1024> buffer{};
    std::uint64_t written = 0;
    while (true) {
      la_ssize_t n = archive_read_data(archive, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) fail(wheel_, "corrupt member " + printable(member.name) + ": " + archive_error_string(archive));
      written += static_cast<std::uint64_t>(n);
      total_written_ += static_cast<std::uint64_t>(n);
      if (written > member.uncompressed_size) {
        fail(wheel_, "member " + printable(member.name) + " inflates beyond its declared size (" +
                         size_text(member.uncompressed_size) + "): refusing the wheel");
      }
      if (total_written_ > limits_.max_total_uncompressed) {
        fail(wheel_, "unpacks to more than " + size_text(limits_.max_total_uncompressed) + ": refusing the wheel");
      }
      if (!out.write_all(buffer.data(), static_cast<std::size_t>(n))) {
        fail(wheel_, "cannot write " + target.string() + ": " + std::strerror(errno));
      }
    }
    contents_.files.emplace_back(relative);
  }

  const fs::path& wheel_;
  const fs::path& root_;
  const ArchiveLimits& limits_;
  std::map<std::string, const ZipMember*> declared_;
  std::set<std::string> seen_;
  std::set<std::string> destinations_;
  std::uint64_t total_written_ = 0;
  WheelContents contents_;
};

// Two members that would land on one file ("pkg/x.py" and "*.data/purelib/pkg/x.py").
void check_destinations(const fs::path& wheel, const std::vector<ZipMember>& members) {
  std::set<std::string> destinations;
  for (const ZipMember& member : members) {
    if (member.is_directory) continue;
    Destination destination = wheel_destination(member.name);
    if (destination.relative && !destinations.insert(*destination.relative).second) {
      fail(wheel, "two members unpack to " + printable(*destination.relative) + "; refusing the wheel");
    }
  }
}

}  // namespace

std::vector<ZipMember> read_zip_directory(const fs::path& zip) {
  std::error_code ec;
  std::uint64_t file_size = fs::file_size(zip, ec);
  if (ec) fail(zip, "cannot read: " + ec.message());
  std::ifstream in(zip, std::ios::binary);
  if (!in) fail(zip, "cannot open");
  DirectoryLocation location = locate_directory(in, zip, file_size);
  if (location.offset > file_size || location.size > file_size - location.offset) {
    fail(zip, "corrupt or truncated zip archive (central directory outside the file)");
  }
  if (location.size > kMaxDirectoryBytes) fail(zip, "central directory too large (" + size_text(location.size) + ")");
  std::string directory = read_range(in, location.offset, location.size);
  if (directory.size() != location.size) fail(zip, "cannot read the central directory");
  std::vector<ZipMember> members;
  ByteReader reader(directory, 0);
  for (std::uint64_t i = 0; i < location.entries; ++i) members.push_back(read_entry(reader, zip));
  return members;
}

std::string member_problem(const ZipMember& member, const ArchiveLimits& limits) {
  if (std::string problem = name_problem(member.name); !problem.empty()) return problem;
  if (member.is_link) return "it is a symbolic link";
  if (member.encrypted) return "it is encrypted";
  if (member.uncompressed_size >= limits.ratio_floor &&
      member.uncompressed_size / limits.max_ratio > member.compressed_size) {
    return "it inflates " + size_text(member.compressed_size) + " to " + size_text(member.uncompressed_size) +
           ", a ratio over " + std::to_string(limits.max_ratio) + ":1 (zip bomb)";
  }
  return {};
}

void check_members(const std::vector<ZipMember>& members, const ArchiveLimits& limits) {
  if (members.size() > limits.max_members) {
    throw std::runtime_error("the archive has " + std::to_string(members.size()) + " members; the limit is " +
                             std::to_string(limits.max_members));
  }
  std::uint64_t total = 0;
  std::set<std::string> names;
  for (const ZipMember& member : members) {
    if (std::string problem = member_problem(member, limits); !problem.empty()) {
      throw std::runtime_error("hostile member " + printable(member.name) + ": " + problem);
    }
    if (!names.insert(joined(name_components(member.name))).second) {
      throw std::runtime_error("member " + printable(member.name) + " appears twice");
    }
    total += member.uncompressed_size;
    if (total > limits.max_total_uncompressed) {
      throw std::runtime_error("the archive unpacks to more than " + size_text(limits.max_total_uncompressed) +
                               " (zip bomb?)");
    }
  }
}

WheelContents extract_wheel(const fs::path& wheel, const fs::path& root, const ArchiveLimits& limits) {
  std::vector<ZipMember> members = read_zip_directory(wheel);
  try {
    check_members(members, limits);
  } catch (const std::runtime_error& error) {
    fail(wheel, std::string(error.what()) + "; refusing the wheel");
  }
  check_destinations(wheel, members);
  return WheelExtractor(wheel, root, members, limits).run();
}

}  // namespace subcheck::prober
