// Which flags of a compile_commands.json entry reach libclang.
//
// A compile database is input like any other: it may come with a downloaded sdist or a
// repository, and libclang obeys its flags. Some make the front end write files
// (`-Xclang -header-include-file -Xclang PATH` appends to PATH, `-serialize-diagnostic-file`,
// `-fmodules-cache-path`, `-ftime-trace`, `-MJ`), load code (`-fplugin`, `-Xclang -load`, `-mllvm`),
// read files outside the project and show their text in diagnostics (`-include SECRET`,
// `@file`, `-ivfsoverlay`), or read devices (`-I/dev`). So flags pass through an allow-list
// of what steers parsing only — macros, include directories, language, target — and the
// rest is dropped, each with a reason.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace subcheck {

struct CompileEntryContext {
  std::filesystem::path file;       // the entry's source, absolute
  std::string raw_file;             // as written in the entry
  std::filesystem::path directory;  // the entry's working directory, absolute
  // Canonical directories whose files -include and -imacros may name: the scanned tree
  // and the directory of the compile database.
  std::vector<std::filesystem::path> trusted_roots;
};

struct DroppedFlag {
  std::string flag;     // the option's name, e.g. "-Xclang", "-fmodules-cache-path=", "@FILE"
  std::string example;  // the argument as written, with its value
  std::string reason;   // why it was dropped
};

struct CleanedFlags {
  std::vector<std::string> args;     // what libclang gets: no compiler, no source file, no -c/-o
  std::vector<DroppedFlag> dropped;  // refused or unknown flags (ordinary -c, -o, -M* and
                                     // gcc-only optimiser flags are dropped without a word)
};

// argv is the entry's whole command line, compiler (and launcher such as ccache) first.
// Relative paths of include options are made absolute against the entry's directory
// (libclang does not chdir); `-x c++` is added for a C file compiled by a C++ driver.
CleanedFlags clean_compile_flags(const std::vector<std::string>& argv, const CompileEntryContext& context);

}  // namespace subcheck
