// Where a wheel member goes (the wheel spec: *.data/purelib and *.data/platlib are
// installed into site-packages itself; other *.data directories go elsewhere).
#include "prober/wheel_archive.h"

#include <string>
#include <string_view>

namespace subcheck::prober {
namespace {

// `path` is checked and '/'-separated (core/archive.h).
MemberPlacement wheel_placement(const std::string& path) {
  const std::size_t first_slash = path.find('/');
  const std::string_view top = std::string_view(path).substr(0, first_slash);
  if (!top.ends_with(".data")) return {path, {}};
  const std::string rest = first_slash == std::string::npos ? "" : path.substr(first_slash + 1);
  const std::size_t second_slash = rest.find('/');
  const std::string scheme = rest.substr(0, second_slash);
  if ((scheme == "purelib" || scheme == "platlib") && second_slash != std::string::npos) {
    return {rest.substr(second_slash + 1), {}};
  }
  return {std::nullopt, path + ": in the wheel's '" + scheme + "' data, not importable"};
}

}  // namespace

WheelContents extract_wheel(const std::filesystem::path& wheel, const std::filesystem::path& root,
                            const ArchiveLimits& limits) {
  ArchiveOptions options;
  options.formats = ArchiveFormats::zip_only;
  options.limits = limits;
  options.special_members = SpecialMembers::refuse;
  options.place = wheel_placement;
  return extract_archive(wheel, root, options);
}

}  // namespace subcheck::prober
