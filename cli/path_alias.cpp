#include "cli/path_alias.h"

namespace subcheck {

namespace fs = std::filesystem;

std::vector<PathAlias> aliases_for(const fs::path& unpacked, const fs::path& archive) {
  std::error_code error;
  const std::string shown = fs::absolute(archive, error).lexically_normal().string();
  const std::string as_given = fs::absolute(unpacked, error).lexically_normal().string();
  std::vector<PathAlias> aliases{{as_given, shown}};
  const fs::path canonical = fs::canonical(unpacked, error);
  if (!error && canonical.string() != as_given) aliases.push_back({canonical.string(), shown});
  return aliases;
}

std::string apply_aliases(std::string text, const std::vector<PathAlias>& aliases) {
  for (const PathAlias& alias : aliases) {
    if (alias.unpacked.empty()) continue;
    for (std::size_t at = text.find(alias.unpacked); at != std::string::npos;
         at = text.find(alias.unpacked, at + alias.archive.size())) {
      text.replace(at, alias.unpacked.size(), alias.archive);
    }
  }
  return text;
}

void apply_aliases(nlohmann::json& document, const std::vector<PathAlias>& aliases) {
  if (aliases.empty()) return;
  if (document.is_string()) {
    document = apply_aliases(document.get<std::string>(), aliases);
  } else if (document.is_structured()) {
    for (nlohmann::json& item : document) apply_aliases(item, aliases);
  }
}

}  // namespace subcheck
