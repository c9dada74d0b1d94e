#include "core/safe_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace subcheck {
namespace {

// Closes the descriptor it was given on every way out.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// O_NONBLOCK: opening a FIFO for reading without a writer returns at once instead of
// waiting for one; on a regular file the flag changes nothing.
int open_for_reading(const std::filesystem::path& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

std::optional<std::string> stat_problem(const struct stat& info, std::uint64_t max_bytes) {
  if (!S_ISREG(info.st_mode)) return "not a regular file (" + describe_file_type(info.st_mode) + ")";
  auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > max_bytes) {
    return "larger than the " + describe_size(max_bytes) + " file size limit (" + describe_size(size) + ")";
  }
  return std::nullopt;
}

// Reads at most max_bytes from fd (a regular file, so reads do not block).
std::string read_up_to(int fd, std::uint64_t max_bytes, const std::filesystem::path& path) {
  std::string text;
  char buffer[64 * 1024];
  while (text.size() < max_bytes) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, max_bytes - text.size()));
    ssize_t got = ::read(fd, buffer, want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw std::runtime_error(path.string() + ": cannot be read: " + std::strerror(errno));
    if (got == 0) break;
    text.append(buffer, static_cast<std::size_t>(got));
  }
  return text;
}

}  // namespace

std::string describe_file_type(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

std::string describe_size(std::uint64_t bytes) {
  constexpr std::uint64_t kKiB = 1024, kMiB = kKiB * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= kMiB) return std::to_string(bytes / kMiB) + "." + std::to_string(bytes % kMiB * 10 / kMiB) + " MiB";
  if (bytes >= kKiB) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::optional<std::string> regular_file_problem(const std::filesystem::path& path, std::uint64_t max_bytes) {
  struct stat info{};
  if (::stat(path.c_str(), &info) != 0) return std::string("cannot be read: ") + std::strerror(errno);
  return stat_problem(info, max_bytes);
}

std::string read_regular_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  Descriptor fd(open_for_reading(path));
  if (fd.get() < 0) throw std::runtime_error(path.string() + ": cannot be read: " + std::strerror(errno));
  struct stat info{};
  if (::fstat(fd.get(), &info) != 0)
    throw std::runtime_error(path.string() + ": cannot be read: " + std::strerror(errno));
  if (auto problem = stat_problem(info, max_bytes)) throw std::runtime_error(path.string() + ": " + *problem);
  // One byte more than allowed tells a file that grew since fstat from one that did not.
  std::string text = read_up_to(fd.get(), max_bytes + 1, path);
  if (text.size() > max_bytes) {
    throw std::runtime_error(path.string() + ": larger than the " + describe_size(max_bytes) + " file size limit");
  }
  return text;
}

std::optional<std::string> read_regular_file_prefix(const std::filesystem::path& path, std::uint64_t max_bytes) {
  Descriptor fd(open_for_reading(path));
  struct stat info{};
  if (fd.get() < 0 || ::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  try {
    return read_up_to(fd.get(), max_bytes, path);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

bool is_within(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto [root_end, _] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  if (root_end == root.end()) return true;
  // "/a/b/" has an empty last component: /a/b/c is still within it.
  return std::next(root_end) == root.end() && root_end->empty();
}

}  // namespace subcheck
