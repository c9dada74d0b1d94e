// Parsing in worker processes: each translation unit (in one build configuration) is
// parsed by a child process of its own, forked for it, with limits on its address space,
// CPU and wall-clock time, a read-only view of the file system (Landlock, where the kernel
// has it) and the facts sent back as bytes (analyzer/facts_codec.h).
//
// Why processes: libclang obeys the source and its flags, and a hostile source can make it
// use all memory (a macro bomb, `#include "/dev/zero"`), block forever (`#include` of a
// FIFO) or crash. In-process, any of these costs the whole scan; in a worker it costs that
// unit, which becomes a diagnostic, and the rest of the scan goes on.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analyzer/compile_db.h"
#include "analyzer/extract.h"
#include "analyzer/facts.h"

namespace subcheck {

struct ParseLimits {
  std::chrono::seconds time{120};                       // wall clock, and CPU, per unit
  std::uint64_t memory_bytes = std::uint64_t{4} << 30;  // address space a worker may add
};

struct ParseJob {
  const CompileCommand* command;
  BuildConfig config;
};

struct ParseRun {
  std::vector<TranslationUnitFacts> units;  // one per job, in the jobs' order
  int interrupted_by = 0;                   // SIGINT/SIGTERM (core/interrupt.h) stopped the run
  std::string isolation;                    // what confined the workers, for the report
};

// Runs at most `workers` children at once (0: one per core). A unit that exceeds a limit,
// crashes or is left unparsed by an interrupt comes back with parsed == false and a
// diagnostic saying which. `progress` is called in this process after each unit.
ParseRun parse_in_workers(const std::vector<ParseJob>& jobs, const ExtractOptions& options, const ParseLimits& limits,
                          unsigned workers,
                          const std::function<void(std::size_t, std::size_t, const std::string&)>& progress);

// A diagnostic located outside the project keeps its location but loses its text unless
// its file is a C/C++ header under one of `header_dirs` (the unit's include directories
// and /usr): a symlink, an #include or -I/etc may lead the parser to /etc/shadow, and
// libclang quotes what it read in its messages.
void redact_foreign_diagnostics(TranslationUnitFacts& facts, const std::vector<std::filesystem::path>& project_roots,
                                const std::vector<std::filesystem::path>& header_dirs);

// The directories a worker may read for `command`: the project roots, the include
// directories its flags name, and /usr.
std::vector<std::filesystem::path> readable_directories(const CompileCommand& command, const ExtractOptions& options);

}  // namespace subcheck
