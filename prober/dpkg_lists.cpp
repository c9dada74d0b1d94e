#include "prober/dpkg_lists.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>

#include "core/safe_file.h"

namespace subcheck::prober {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxListBytes = std::uint64_t{64} << 20;

fs::path dpkg_info_dir() {
  // dpkg's own variable: the same database dpkg -L would read.
  const char* admin = std::getenv("DPKG_ADMINDIR");
  return fs::path(admin && *admin ? admin : "/var/lib/dpkg") / "info";
}

std::vector<std::string> lines_of(const fs::path& list) {
  std::vector<std::string> lines;
  std::string text;
  try {
    text = read_regular_file(list, kMaxListBytes);
  } catch (const std::runtime_error&) {
    return lines;
  }
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  return lines;
}

bool is_metadata_path(const std::string& path) { return path.ends_with(".dist-info") || path.ends_with(".egg-info"); }

// Metadata directory -> the .list naming it, for one dpkg database; read once per process
// (an audit asks for many distributions, two interpreters each).
using MetadataIndex = std::map<std::string, fs::path>;

MetadataIndex index_of(const fs::path& info) {
  MetadataIndex index;
  std::error_code ec;
  for (fs::directory_iterator it(info, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".list") continue;
    for (std::string& line : lines_of(it->path()))
      if (is_metadata_path(line)) index.emplace(std::move(line), it->path());
  }
  return index;
}

}  // namespace

std::optional<DpkgFiles> dpkg_files_of(const fs::path& info_dir) {
  static std::mutex mutex;
  static std::map<fs::path, MetadataIndex> indexes;
  const fs::path info = dpkg_info_dir();
  fs::path list;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto [entry, added] = indexes.try_emplace(info);
    if (added) entry->second = index_of(info);
    auto found = entry->second.find(info_dir.lexically_normal().string());
    if (found == entry->second.end()) return std::nullopt;
    list = found->second;
  }
  return DpkgFiles{list, lines_of(list)};
}

}  // namespace subcheck::prober
