#include <gtest/gtest.h>

#include "core/finding.h"
#include "core/vocabulary.h"

namespace subcheck {
namespace {

TEST(Model, SeverityRoundTrips) {
  for (Severity severity : {Severity::note, Severity::warning, Severity::error}) {
    EXPECT_EQ(parse_severity(to_string(severity)), severity);
  }
  EXPECT_FALSE(parse_severity("fatal").has_value());
}

TEST(Model, SpellsConfigurationsAndInitStylesAsTheReportsDo) {
  EXPECT_EQ(to_string(BuildConfig::free_threaded), "free-threaded");
  EXPECT_EQ(to_string(InitStyle::multi_phase), "multi-phase");
  EXPECT_EQ(to_string(InitStyle::unknown), "unknown");
  EXPECT_EQ(to_string(InitStyle::export_hook), "export");  // 3.15's PyModExport_ (PEP 793)
  EXPECT_EQ(parse_init_style("export"), InitStyle::export_hook);
}

}  // namespace
}  // namespace subcheck
