// Opening files named by hostile input: a scanned tree, a compile database, a pyproject.toml
// or a requirements file may name a FIFO (an open() that never returns), a device
// (/dev/zero: a read that never ends), a socket, or a sparse file of gigabytes. These
// functions open without blocking, check what was opened (not what the name said a moment
// before), and never read past a limit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace subcheck {

inline constexpr std::uint64_t kDefaultMaxFileBytes = std::uint64_t{8} << 20;  // 8 MiB

// "a FIFO", "a character device", "a block device", "a socket", "a directory", "a symbolic
// link", "a regular file" or "not a regular file".
std::string describe_file_type(mode_t mode);

// Why `path` may not be opened as a regular file of at most max_bytes (following symlinks),
// or nullopt when it may: "not a regular file (a FIFO)", "larger than the 8 MiB limit (2048
// MiB)", "cannot be read: Permission denied". Opens nothing.
std::optional<std::string> regular_file_problem(const std::filesystem::path& path, std::uint64_t max_bytes);

// The whole text of a regular file of at most max_bytes. Opened with O_NONBLOCK (a FIFO
// cannot block the open) and checked with fstat on the descriptor itself. Throws
// std::runtime_error "PATH: <problem>" otherwise.
std::string read_regular_file(const std::filesystem::path& path, std::uint64_t max_bytes = kDefaultMaxFileBytes);

// The first max_bytes of a regular file (less when it is shorter); nullopt when it is not a
// regular file or cannot be opened.
std::optional<std::string> read_regular_file_prefix(const std::filesystem::path& path, std::uint64_t max_bytes);

// "8 MiB", "512 KiB", "100 bytes".
std::string describe_size(std::uint64_t bytes);

// True when `path` is `root` or lies below it, comparing the paths' components as given
// (callers pass canonical paths when symlinks matter).
bool is_within(const std::filesystem::path& path, const std::filesystem::path& root);

}  // namespace subcheck
