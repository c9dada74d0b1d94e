#include "analyzer/facts_cache.h"

#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "analyzer/facts_codec.h"
#include "core/safe_file.h"

namespace subcheck {
namespace {

namespace fs = std::filesystem;

// Bumped when what the facts hold changes (2: FunctionFact::tested_globals and
// exit_guard_globals, GlobalWriteFact::stores_constant; 3: GlobalWriteFact::stores_object,
// writes through libc's memcpy/strcpy/snprintf, Py_buffer as C data; 4:
// FunctionFact::returns_only_null; 5: FunctionHandoff facts; 6: GlobalVarFact::immortal_head_init
// only when the header macro names the type, GlobalWriteFact::under_mutex, handoffs to a library macro's call; 7: a
// function stored in a local is handed on where the local is, not at the store; 9 (8 was
// a development step): FunctionFact::returned_sources and raises_before_any_return,
// ArgSource::call_result; 11 (10 was a development step): GlobalWriteFact::fixed_store,
// CallFact::result_only_compared through locals; 12: GlobalVarFact::Kind::lock_handle; 14
// (13 was a development step): a new module and its dict as fresh_container, no lazy_init
// for a write that clears the variable; 15: FunctionFact::fields_made, fields_changed and
// fields_shared; 16: ArgSource::field, a struct on the stack as private storage; 17:
// FunctionFact::main_interpreter_globals, GlobalWriteFact::main_interpreter_only; 18: a lock allocated into a local
// makes no locked region; 19: no local use inside assert(); 20: a table written from a loop counted up from K skips
// rows before K; 21: handoffs read from the tokens of a body with errors; 22: main-interpreter-only after an
// early return of the others; 23: CallFact::result_passed_to,
// FunctionFact::parameters_only_compared; 24: writes read from the tokens of a body with errors; 25: a table of
// callbacks a body with errors passes by name hands on each function its initialiser names; 26:
// ArgSource::identity, GlobalVarFact::destructors, objects just allocated are fresh), so no entry of an older
// reader is taken for a newer one's.
constexpr int kEntryFormat = 26;
constexpr std::uintmax_t kMaxEntryBytes = std::uintmax_t{256} << 20;

std::string hex128(const XXH128_hash_t& hash) {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(hash.high64),
                static_cast<unsigned long long>(hash.low64));
  return text;
}

// core/safe_file.h's reader (regular files only, a FIFO never blocks), as a miss when not.
std::optional<std::string> read_file(const fs::path& file, std::uintmax_t limit) {
  try {
    return read_regular_file(file, limit);
  } catch (const std::runtime_error&) {
    return std::nullopt;
  }
}

// The binary running this code, by content: facts extracted by another build of the
// analyzer (a fix, a new fact) are never read back.
std::string binary_identity() {
  std::optional<std::string> self = read_file("/proc/self/exe", std::uintmax_t{1} << 31);
  if (!self) throw std::runtime_error("cannot read /proc/self/exe to key the facts cache");
  return hex128(XXH3_128bits(self->data(), self->size()));
}

}  // namespace

fs::path default_facts_cache_dir() {
  if (const char* own = std::getenv("SUBCHECK_CACHE"); own != nullptr && *own != '\0') return fs::path(own) / "facts";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/')
    return fs::path(xdg) / "subcheck" / "facts";
  const char* home = std::getenv("HOME");
  return fs::path(home != nullptr && *home != '\0' ? home : "/tmp") / ".cache" / "subcheck" / "facts";
}

FactsCache::FactsCache(fs::path dir, std::string context)
    : dir_(std::move(dir)), identity_(binary_identity()), context_(std::move(context)) {
  std::error_code error;
  // Nothing is followed or changed before it is checked: a link planted at the cache's
  // place (to `/`, say) is refused, never chmod'ed or written through.
  if (!fs::exists(fs::symlink_status(dir_, error))) {
    fs::create_directories(dir_, error);
    if (!error) fs::permissions(dir_, fs::perms::owner_all, error);
  }
  struct stat info{};
  if (error || ::lstat(dir_.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid()) {
    throw std::runtime_error("cannot use " + dir_.string() +
                             " as the facts cache (not a directory of this user's); scanning without it");
  }
  remove_stale_entries();
}

// Entries of other builds and of files long gone are never read again: whatever was not
// used for two weeks goes (a hit refreshes its entry's time).
void FactsCache::remove_stale_entries() {
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(24 * 14);
  std::error_code error;
  for (fs::directory_iterator it(dir_, error), end; !error && it != end; it.increment(error)) {
    std::error_code entry_error;
    if (it->is_regular_file(entry_error) && it->last_write_time(entry_error) < cutoff && !entry_error)
      fs::remove(it->path(), entry_error);
  }
}

// Raw bytes, NUL-separated, not JSON: a file name need not be UTF-8.
std::string FactsCache::entry_name(const CompileCommand& command, BuildConfig config) const {
  std::string key = std::to_string(kEntryFormat);
  for (const std::string& part :
       {identity_, context_, std::string(to_string(config)), command.file.string(), command.directory.string()})
    key += '\0' + part;
  for (const std::string& arg : command.args) key += '\0' + arg;
  return hex128(XXH3_128bits(key.data(), key.size())) + ".facts";
}

std::string FactsCache::content_hash(const std::string& file) {
  {
    std::lock_guard lock(mutex_);
    if (auto found = hashes_.find(file); found != hashes_.end()) return found->second;
  }
  std::optional<std::string> bytes = read_file(file, kMaxEntryBytes);
  std::string hash = bytes ? hex128(XXH3_128bits(bytes->data(), bytes->size())) : "";
  std::lock_guard lock(mutex_);
  return hashes_.emplace(file, hash).first->second;
}

std::optional<TranslationUnitFacts> FactsCache::find(const CompileCommand& command, BuildConfig config) {
  std::optional<std::string> bytes = read_file(dir_ / entry_name(command, config), kMaxEntryBytes);
  if (!bytes) return std::nullopt;
  try {
    const nlohmann::json entry = nlohmann::json::from_msgpack(*bytes);
    for (const auto& [file, hash] : entry.at("inputs").items()) {
      if (hash.get<std::string>() != content_hash(file) || hash.get<std::string>().empty()) return std::nullopt;
    }
    const auto& facts = entry.at("facts").get_binary();
    TranslationUnitFacts decoded =
        decode_facts(std::string_view(reinterpret_cast<const char*>(facts.data()), facts.size()));
    std::error_code ignored;
    fs::last_write_time(dir_ / entry_name(command, config), fs::file_time_type::clock::now(), ignored);
    return decoded;
  } catch (const std::exception&) {
    return std::nullopt;  // damaged or from another format: parsed again, then replaced
  }
}

void FactsCache::store(const CompileCommand& command, BuildConfig config, const TranslationUnitFacts& facts) {
  if (!facts.parsed || !facts.diagnostics.empty() || !facts.missing_headers.empty() || facts.inputs.empty()) return;
  nlohmann::json inputs = nlohmann::json::object();
  for (const std::string& file : facts.inputs) {
    std::string hash = content_hash(file);
    if (hash.empty()) return;  // an input that cannot be read now cannot be checked later
    inputs[file] = std::move(hash);
  }
  const std::string encoded = encode_facts(facts);
  nlohmann::json entry = {{"inputs", std::move(inputs)},
                          {"facts", nlohmann::json::binary({encoded.begin(), encoded.end()})}};
  const std::vector<std::uint8_t> bytes = nlohmann::json::to_msgpack(entry);
  const fs::path target = dir_ / entry_name(command, config);
  const fs::path temporary = target.string() + "." + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return;  // a full disk costs the cache, never the scan
    }
  }
  std::error_code error;
  fs::rename(temporary, target, error);
  if (error) fs::remove(temporary, error);
}

}  // namespace subcheck
