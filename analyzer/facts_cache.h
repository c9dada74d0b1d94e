// What a re-scan does not parse again: the facts of each (unit, configuration), kept on
// disk, keyed by this subcheck binary, the configuration, the unit's file, directory and
// flags, and valid while every file the parse read (the unit and each header it included,
// Python's own included) has the content it had. A re-scan of an unchanged tree parses
// nothing; an edited header re-parses exactly the units that include it. The approach is
// ccache's "manifest" mode: the key says which entry to check, the recorded inputs say
// whether it still holds.
//
// Only units that parsed with no error are kept: a unit with a missing header would parse
// differently once the header is installed, and the inclusion list cannot name a file that
// was not found. Entries are the cache owner's private files (directory mode 0700, written
// to a temporary name and renamed); one that cannot be read or decoded is a miss, and is
// replaced.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "analyzer/compile_db.h"
#include "analyzer/facts.h"

namespace subcheck {

class FactsCache {
 public:
  // `dir` is created (0700) when missing. `context` is what else the facts depend on (the
  // project roots, which decide what counts as the project's code). Throws
  // std::runtime_error when `dir` cannot be made, or is not a directory the caller owns.
  FactsCache(std::filesystem::path dir, std::string context);

  // The facts stored for this unit and configuration, if every input is unchanged.
  std::optional<TranslationUnitFacts> find(const CompileCommand& command, BuildConfig config);
  // Keeps `facts` when they can be reused (parsed, no error diagnostic, inputs known).
  void store(const CompileCommand& command, BuildConfig config, const TranslationUnitFacts& facts);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string entry_name(const CompileCommand& command, BuildConfig config) const;
  void remove_stale_entries();
  std::string content_hash(const std::string& file);  // "" when unreadable; memoised per run

  std::filesystem::path dir_;
  std::string identity_;  // this binary's content hash: a rebuilt analyzer never reads old facts
  std::string context_;
  std::mutex mutex_;
  std::map<std::string, std::string> hashes_;
};

// $SUBCHECK_CACHE/facts, else $XDG_CACHE_HOME/subcheck/facts, else ~/.cache/subcheck/facts.
std::filesystem::path default_facts_cache_dir();

}  // namespace subcheck
