// Archive unpacking: a small reader for the zip central directory (libarchive does not
// expose compressed sizes, which bomb detection needs), then libarchive for the data of
// zip and tar archives alike, every member checked again as it is written.
#include "core/archive.h"

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
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>

#include "core/safe_file.h"
#include "core/text.h"

namespace subcheck {
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

[[noreturn]] void fail(const fs::path& archive, const std::string& why) {
  throw ArchiveError(archive.string() + ": " + why + "; refusing to unpack it");
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
  if (!reader.has(name_length + extra_length + comment_length))
    fail(zip, "corrupt central directory (truncated entry)");
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

// "a symbolic link", "a hard link", "a FIFO", ...; empty for a regular file or directory.
std::string special_kind(struct archive_entry* entry) {
  if (archive_entry_hardlink(entry) != nullptr) return "a hard link";
  if (archive_entry_symlink(entry) != nullptr) return "a symbolic link";
  const auto type = archive_entry_filetype(entry);
  if (type == AE_IFREG || type == AE_IFDIR) return {};
  return describe_file_type(static_cast<mode_t>(type));  // AE_IF* are the S_IF* values
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
  ThreadUtf8Locale() : utf8_(::newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{nullptr})) {
    if (utf8_ != locale_t{nullptr}) previous_ = ::uselocale(utf8_);
  }
  ~ThreadUtf8Locale() {
    if (utf8_ == locale_t{nullptr}) return;
    ::uselocale(previous_);
    ::freelocale(utf8_);
  }
  ThreadUtf8Locale(const ThreadUtf8Locale&) = delete;
  ThreadUtf8Locale& operator=(const ThreadUtf8Locale&) = delete;

 private:
  locale_t utf8_;
  locale_t previous_ = locale_t{nullptr};
};

MemberPlacement place_member(const fs::path& archive, const ArchiveOptions& options, const std::string& path) {
  if (!options.place) return {path, {}};
  MemberPlacement placement = options.place(path);
  // The caller's mapping is held to the rules of a member name too.
  if (placement.relative && !name_problem(*placement.relative).empty()) {
    fail(archive, "member " + printable(path) + " would be placed at " + printable(*placement.relative));
  }
  return placement;
}

// Reads `archive` with libarchive and writes what it may. For a zip archive, `declared` is
// its checked central directory, and libarchive must agree with it member by member.
class Extractor {
 public:
  Extractor(const fs::path& archive, const fs::path& root, const ArchiveOptions& options,
            const std::vector<ZipMember>* declared)
      : archive_(archive), root_(root), options_(options), limits_(options.limits), zip_(declared != nullptr) {
    if (declared) {
      for (const ZipMember& member : *declared) declared_.emplace(member.name, &member);
    }
  }

  ExtractedFiles run() {
    ThreadUtf8Locale utf8_names;  // before the archive exists: libarchive caches the charset
    ArchivePtr reader(archive_read_new());
    if (!reader) fail(archive_, "libarchive could not start");
    if (zip_) {
      archive_read_support_format_zip_seekable(reader.get());
    } else {
      archive_read_support_filter_all(reader.get());
      archive_read_support_format_tar(reader.get());
    }
    if (archive_read_open_filename(reader.get(), archive_.c_str(), std::size_t{64} * 1024) != ARCHIVE_OK) {
      fail(archive_, std::string("cannot open: ") + archive_error_string(reader.get()));
    }
    struct archive_entry* entry = nullptr;
    while (true) {
      int status = archive_read_next_header(reader.get(), &entry);
      if (status == ARCHIVE_EOF) break;
      if (status < ARCHIVE_WARN) fail(archive_, std::string("corrupt archive: ") + archive_error_string(reader.get()));
      extract_entry(reader.get(), entry);
    }
    return std::move(contents_);
  }

 private:
  // The member's size as far as it is known before writing: the central directory's for a
  // zip, the header's for a tar (checked again while writing: a header can lie).
  std::uint64_t declared_size(struct archive_entry* entry, const ZipMember* member) const {
    if (member) return member->uncompressed_size;
    if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) < 0) return 0;
    return static_cast<std::uint64_t>(archive_entry_size(entry));
  }

  // "./", the entry `tar -czf x.tar.gz .` makes for the directory it was run in.
  static bool is_root_itself(const std::string& name, struct archive_entry* entry) {
    return archive_entry_filetype(entry) == AE_IFDIR && !is_absolute_name(name) && name_components(name).empty();
  }

  // A zip member must be in the central directory, once; a tar member is checked here (a
  // tar may list a directory twice; two files on one path are refused when placed).
  const ZipMember* check_name(const std::string& name) {
    if (zip_) {
      if (!seen_.insert(name).second) fail(archive_, "member " + printable(name) + " appears twice");
      auto found = declared_.find(name);
      if (found == declared_.end()) fail(archive_, "member " + printable(name) + " is not in the central directory");
      return found->second;
    }
    if (++tar_members_ > limits_.max_members) {
      fail(archive_, "the archive has more than " + std::to_string(limits_.max_members) + " members");
    }
    if (std::string problem = name_problem(name); !problem.empty()) {
      fail(archive_, "hostile member " + printable(name) + ": " + problem);
    }
    return nullptr;
  }

  void extract_entry(struct archive* reader, struct archive_entry* entry) {
    const std::string name = entry_name(entry);
    if (name.empty()) fail(archive_, "a member name could not be decoded");
    if (is_root_itself(name, entry)) return;
    const ZipMember* member = check_name(name);
    if (std::string kind = special_kind(entry); !kind.empty()) {
      if (options_.special_members == SpecialMembers::refuse) {
        fail(archive_, "member " + printable(name) + " is " + kind + " (links and special files are never unpacked)");
      }
      contents_.warnings.push_back(printable(name) + ": left out (" + kind +
                                   "; links and special files are never unpacked)");
      return;
    }
    const std::string path = joined(name_components(name));
    const bool directory = archive_entry_filetype(entry) == AE_IFDIR || (member && member->is_directory);
    MemberPlacement placement = place_member(archive_, options_, path);
    if (!placement.relative) {
      if (!directory) contents_.warnings.push_back(placement.why_left_out);
      return;
    }
    if (directory) {
      make_directories(root_ / *placement.relative);
      return;
    }
    if (!destinations_.insert(*placement.relative).second) {
      fail(archive_, "two members unpack to " + printable(*placement.relative));
    }
    const std::uint64_t size = declared_size(entry, member);
    if (size > limits_.max_member_bytes) {
      fail(archive_, "member " + printable(name) + " is " + size_text(size) + ", more than the member limit of " +
                         size_text(limits_.max_member_bytes));
    }
    write_member(reader, name, member, *placement.relative);
  }

  void make_directories(const fs::path& directory) {
    std::error_code ec;
    fs::create_directories(directory, ec);
    if (ec) fail(archive_, "cannot create " + directory.string() + ": " + ec.message());
  }

  // Counts what libarchive really inflates against every limit, stopping at the first
  // byte over: the declared sizes were checked, but only the data tells the truth.
  void count_written(const std::string& name, const ZipMember* member, std::uint64_t written, std::uint64_t more) {
    total_written_ += more;
    if (member && written > member->uncompressed_size) {
      fail(archive_, "member " + printable(name) + " inflates beyond its declared size (" +
                         size_text(member->uncompressed_size) + ")");
    }
    if (written > limits_.max_member_bytes) {
      fail(archive_, "member " + printable(name) + " unpacks to more than the member limit of " +
                         size_text(limits_.max_member_bytes));
    }
    if (total_written_ > limits_.max_total_uncompressed) {
      fail(archive_, "the archive unpacks to more than " + size_text(limits_.max_total_uncompressed));
    }
  }

  void write_member(struct archive* reader, const std::string& name, const ZipMember* member,
                    const std::string& relative) {
    const fs::path target = root_ / relative;
    make_directories(target.parent_path());
    FileWriter out(target);
    if (!out.ok()) fail(archive_, "cannot create " + target.string() + ": " + std::strerror(out.open_error()));
    std::array<char, std::size_t{64} * 1024> buffer{};
    std::uint64_t written = 0;
    while (true) {
      la_ssize_t n = archive_read_data(reader, buffer.data(), buffer.size());
      if (n == 0) break;
      if (n < 0) fail(archive_, "corrupt member " + printable(name) + ": " + archive_error_string(reader));
      written += static_cast<std::uint64_t>(n);
      count_written(name, member, written, static_cast<std::uint64_t>(n));
      if (!out.write_all(buffer.data(), static_cast<std::size_t>(n))) {
        fail(archive_, "cannot write " + target.string() + ": " + std::strerror(errno));
      }
    }
    contents_.files.emplace_back(relative);
  }

  const fs::path& archive_;
  const fs::path& root_;
  const ArchiveOptions& options_;
  const ArchiveLimits& limits_;
  const bool zip_;
  std::map<std::string, const ZipMember*> declared_;
  std::set<std::string> seen_;
  std::size_t tar_members_ = 0;
  std::set<std::string> destinations_;
  std::uint64_t total_written_ = 0;
  ExtractedFiles contents_;
};

// Two members that would land on one file (a wheel's "pkg/x.py" and
// "*.data/purelib/pkg/x.py"), found from the central directory before writing.
void check_destinations(const fs::path& archive, const std::vector<ZipMember>& members, const ArchiveOptions& options) {
  std::set<std::string> destinations;
  for (const ZipMember& member : members) {
    if (member.is_directory || member.is_link) continue;
    MemberPlacement placement = place_member(archive, options, joined(name_components(member.name)));
    if (placement.relative && !destinations.insert(*placement.relative).second) {
      fail(archive, "two members unpack to " + printable(*placement.relative));
    }
  }
}

bool starts_like_zip(const fs::path& archive) {
  std::optional<std::string> magic = read_regular_file_prefix(archive, 2);
  return magic && *magic == "PK";
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

void check_members(const std::vector<ZipMember>& members, const ArchiveLimits& limits, SpecialMembers special) {
  if (members.size() > limits.max_members) {
    throw std::runtime_error("the archive has " + std::to_string(members.size()) + " members; the limit is " +
                             std::to_string(limits.max_members));
  }
  std::uint64_t total = 0;
  std::set<std::string> names;
  for (const ZipMember& member : members) {
    ZipMember judged = member;
    if (special == SpecialMembers::leave_out) judged.is_link = false;  // extraction leaves it out
    if (std::string problem = member_problem(judged, limits); !problem.empty()) {
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

ExtractedFiles extract_archive(const fs::path& archive, const fs::path& root, const ArchiveOptions& options) {
  // A FIFO or device named like an archive would block the open or never end.
  if (std::optional<std::string> problem = regular_file_problem(archive, std::numeric_limits<std::uint64_t>::max())) {
    fail(archive, *problem);
  }
  if (options.formats != ArchiveFormats::zip_only && !starts_like_zip(archive)) {
    return Extractor(archive, root, options, nullptr).run();
  }
  std::vector<ZipMember> members = read_zip_directory(archive);
  try {
    check_members(members, options.limits, options.special_members);
  } catch (const ArchiveError&) {
    throw;
  } catch (const std::runtime_error& error) {
    fail(archive, error.what());
  }
  check_destinations(archive, members, options);
  return Extractor(archive, root, options, &members).run();
}

}  // namespace subcheck
