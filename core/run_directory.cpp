#include "core/run_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace subcheck {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "subcheck-run-";
constexpr const char* kLockName = "lock";

fs::path parent_or_temp(const fs::path& parent) {
  if (!parent.empty()) return parent;
  std::error_code ec;
  fs::path temp = fs::temp_directory_path(ec);
  return ec ? fs::path("/tmp") : temp;
}

}  // namespace

RunDirectory::RunDirectory(const fs::path& parent) {
  std::string pattern =
      (parent_or_temp(parent) / (std::string(kPrefix) + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory in " + parent_or_temp(parent).string() + ": " +
                             std::strerror(errno));
  }
  path_ = pattern;
  fs::path lock = path_ / kLockName;
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    std::string why = std::strerror(errno);
    std::error_code ignored;
    fs::remove_all(path_, ignored);
    throw std::runtime_error("cannot lock " + lock.string() + ": " + why);
  }
  std::string pid = std::to_string(::getpid()) + "\n";  // for people; the lock is what counts
  ssize_t written = ::write(lock_fd_, pid.data(), pid.size());
  (void)written;
}

RunDirectory::~RunDirectory() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);  // removes symlinks, never what they point to
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::vector<fs::path> remove_stale_run_directories(const fs::path& parent) {
  std::vector<fs::path> removed;
  std::error_code ec;
  for (fs::directory_iterator it(parent_or_temp(parent), ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path dir = it->path();
    if (!dir.filename().string().starts_with(kPrefix)) continue;
    struct stat info{};
    if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid()) continue;
    int fd = ::open((dir / kLockName).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;  // being created right now, or not ours to judge
    bool abandoned = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (abandoned) {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
      removed.push_back(dir);
    }
    ::close(fd);
  }
  return removed;
}

}  // namespace subcheck
