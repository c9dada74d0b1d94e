// core/text.h: the punycode CPython uses for non-ASCII module names (`PyInitU_`).
#include <gtest/gtest.h>

#include "core/text.h"

namespace subcheck {
namespace {

// The two names CPython's test_importlib loads from _testmultiphase, and the shapes the
// decoder must refuse rather than guess at.
TEST(TextTest, DecodesTheExportSymbolsOfNonAsciiModuleNames) {
  EXPECT_EQ(decode_export_punycode("_testmultiphase_zkouka_naten_evc07gi8e"), "_testmultiphase_zkouška_načtení");
  EXPECT_EQ(decode_export_punycode("eckzbwbhc6jpgzcx415x"), "＿インポートテスト");
  EXPECT_EQ(decode_export_punycode("nonascii_zkouka_i7c"), "nonascii_zkouška");
}

TEST(TextTest, RefusesSuffixesThatAreNotPunycode) {
  EXPECT_EQ(decode_export_punycode(""), std::nullopt);
  EXPECT_EQ(decode_export_punycode("trailing_"), std::nullopt);     // nothing encoded
  EXPECT_EQ(decode_export_punycode("oddname_9"), std::nullopt);     // digit runs out
  EXPECT_EQ(decode_export_punycode("bad_a-b"), std::nullopt);       // '-' is not a digit
  EXPECT_EQ(decode_export_punycode("zzzzzzzzzzzz"), std::nullopt);  // beyond Unicode
}

}  // namespace
}  // namespace subcheck
