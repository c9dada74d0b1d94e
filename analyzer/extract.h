// Parse one translation unit with libclang and turn its AST into facts.
#pragma once

#include <filesystem>

#include "analyzer/compile_db.h"
#include "analyzer/facts.h"

namespace subcheck {

struct ExtractOptions {
  // Only declarations in files under these directories are reported on; headers of
  // Python, NumPy and the system are read but never analysed.
  std::vector<std::filesystem::path> project_roots;
};

// Owns one libclang index. Not thread-safe: use one Extractor per worker thread.
class Extractor {
 public:
  explicit Extractor(ExtractOptions options);
  ~Extractor();
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  // Never throws for bad input: a unit that does not parse comes back with
  // parsed == false and its diagnostics.
  TranslationUnitFacts extract(const CompileCommand& command, BuildConfig config);

 private:
  struct Impl;
  Impl* impl_;
};

// The compiler flags used for one configuration: the command's flags plus
// -DPy_GIL_DISABLED=1 for the free-threaded build (unless the headers already define it).
std::vector<std::string> flags_for_config(const CompileCommand& command, BuildConfig config);

}  // namespace subcheck
