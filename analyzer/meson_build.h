// What a project's meson.build files declare for their Python extensions, read without
// running meson (meson-python projects).
//
// meson.build is code, and hostile input like the rest of the tree. A small tokenizer and
// parser for meson's syntax evaluates the literal subset only: strings, arrays, `+` of
// literals, variables assigned a literal (outside `if`/`foreach`), `files(...)`,
// `include_directories(...)`, `dependency(...)` and `subdir(...)` (followed into the
// folder's meson.build: inside the tree, regular files of at most kMaxSetupPyBytes, at most
// kMaxMesonDepth deep and kMaxMesonFiles in all). Each `X.extension_module(name,
// sources..., c_args:, cpp_args:, include_directories:, dependencies:)` becomes one
// SetupExtension per language (its .c sources with c_args, the others with cpp_args), with
// `add_project_arguments` / `add_global_arguments` of that language first. Of the
// arguments, `-D`, `-U` and `-I` (relative to the meson.build's folder) are kept; every
// thing else (a flag of another kind, a value that is not a literal, a dependency other
// than Python's or NumPy's, `configure_file`) is one note with file:line.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>

#include "analyzer/setup_py.h"

namespace subcheck {

inline constexpr std::size_t kMaxMesonDepth = 16;   // subdir() levels followed
inline constexpr std::size_t kMaxMesonFiles = 256;  // meson.build files read in all

// Reads root/meson.build (nullopt when there is none) and the subdir()s it names. The
// extensions' sources and include_dirs are absolute paths (joined to their meson.build's
// folder; an absolute one stays as written). `tree` is the canonical scanned tree. Never
// throws: a file that cannot be read or parsed is a warning, a statement not understood a note.
std::optional<SetupPyDeclarations> read_meson_build(const std::filesystem::path& root,
                                                    const std::filesystem::path& tree) noexcept;

}  // namespace subcheck
