#include "cli/atomic_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace subcheck {
namespace fs = std::filesystem;

namespace {

mode_t current_umask() {
  mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}

}  // namespace

AtomicOutput::AtomicOutput(const std::string& target) {
  if (target.empty() || target == "-") {
    out_ = &std::cout;
    return;
  }
  target_ = target;
  struct stat info{};
  if (::stat(target.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    file_.open(target_, std::ios::binary);  // a device or FIFO: nothing to replace
    if (!file_) throw std::runtime_error("--output " + target + ": cannot be written");
    return;
  }
  fs::path dir = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
  std::string pattern = (dir / ("." + target_.filename().string() + ".subcheck-XXXXXX")).string();
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) throw std::runtime_error("--output " + target + ": cannot be written (" + std::strerror(errno) + ")");
  ::fchmod(fd, 0666 & ~current_umask());  // what a plain open() would have given
  ::close(fd);
  temporary_ = pattern;
  file_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!file_) {
    std::error_code ignored;
    fs::remove(temporary_, ignored);
    temporary_.clear();
    throw std::runtime_error("--output " + target + ": cannot be written");
  }
}

AtomicOutput::~AtomicOutput() {
  if (!temporary_.empty() && !committed_) {
    file_.close();
    std::error_code ignored;
    fs::remove(temporary_, ignored);
  }
}

void AtomicOutput::commit() {
  if (out_) {
    out_->flush();
    if (!*out_) throw std::runtime_error("writing the report failed");
    return;
  }
  file_.flush();
  bool written = static_cast<bool>(file_);
  file_.close();
  if (!written || file_.fail()) throw std::runtime_error("writing the report to " + target_.string() + " failed");
  if (temporary_.empty()) return;
  int fd = ::open(temporary_.c_str(), O_RDONLY | O_CLOEXEC);
  bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced || ::rename(temporary_.c_str(), target_.c_str()) != 0) {
    throw std::runtime_error("writing the report to " + target_.string() + " failed: " + std::strerror(errno));
  }
  committed_ = true;
}

}  // namespace subcheck
