// The temporary directory of one subcheck run: $TMPDIR/subcheck-run-<pid>-XXXXXX, with a
// lock file held (flock) for as long as the run lives. Everything a run unpacks or
// scribbles (sdists, wheels, probe scratch dirs) goes under it, so that a run killed by
// SIGKILL, which cannot clean up, leaves one identifiable directory that the next run
// removes: its lock is free once the process that held it is gone (no pid is trusted:
// pids are reused, locks die with their holder).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace subcheck {

class RunDirectory {
 public:
  // Creates the directory under `parent` (default: the system temp dir) and locks it.
  // Throws std::runtime_error when it cannot.
  explicit RunDirectory(const std::filesystem::path& parent = {});
  ~RunDirectory();  // removes the directory and everything in it
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int lock_fd_ = -1;
};

// Removes the subcheck-run-* directories under `parent` whose lock nobody holds (their
// run died) and that belong to this user; returns what it removed. Never follows a
// symlink, never touches another user's directory.
std::vector<std::filesystem::path> remove_stale_run_directories(const std::filesystem::path& parent = {});

}  // namespace subcheck
