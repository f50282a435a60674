#include "domain/display_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace convene::domain {
namespace {

TEST(SplitSuffix, SplitsAtTheLastUnderscoreOnCanonicalNumbersOnly) {
  auto split = SplitSuffix("bob_1_2");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->base, "bob_1");
  EXPECT_EQ(split->number, 2u);
  EXPECT_EQ(SplitSuffix("x_4294967295")->number, 4294967295u);
  for (const char* plain : {"bob", "bob_", "_1", "bob_007", "bob_0", "bob_4294967296", "bob_1a", "bob_-1"}) {
    EXPECT_FALSE(SplitSuffix(plain)) << plain;
  }
}

TEST(SuffixDigits, GroupNumbersByDigitCount) {
  EXPECT_EQ(SuffixDigits(1), 1);
  EXPECT_EQ(SuffixDigits(9), 1);
  EXPECT_EQ(SuffixDigits(10), 2);
  EXPECT_EQ(SuffixDigits(99), 2);
  EXPECT_EQ(SuffixDigits(100), 3);
  EXPECT_EQ(SuffixDigits(999'999'999), 9);
  EXPECT_EQ(SuffixDigits(1'000'000'000), 10);
  EXPECT_EQ(SuffixDigits(UINT32_MAX), 10);
  for (int digits = 1; digits <= kMaxSuffixDigits; ++digits) {
    EXPECT_EQ(SuffixDigits(LowestSuffix(digits)), digits);
    EXPECT_EQ(SuffixDigits(HighestSuffix(digits)), digits);
    if (digits < kMaxSuffixDigits) {
      EXPECT_EQ(HighestSuffix(digits) + 1, LowestSuffix(digits + 1));
    }
  }
  EXPECT_EQ(LowestSuffix(1), 1u);
  EXPECT_EQ(HighestSuffix(kMaxSuffixDigits), UINT32_MAX);
}

TEST(FitForSuffix, ShortensOnlyWhatTheSuffixNeedsAtACharacterBoundary) {
  const std::string a254(254, 'a');
  EXPECT_EQ(FitForSuffix(a254, 1), a254) << "254 + \"_1\" = 256 bytes";
  EXPECT_EQ(FitForSuffix(a254, 2), std::string(253, 'a'));
  EXPECT_EQ(FitForSuffix(std::string(256, 'a'), 10), std::string(245, 'a'));
  EXPECT_EQ(FitForSuffix("short", 10), "short");
  std::string accents;
  while (accents.size() < 256) accents += "\xC3\xA9";  // é, two bytes
  EXPECT_EQ(FitForSuffix(accents, 1).size(), 254u);
  EXPECT_EQ(FitForSuffix(accents, 2).size(), 252u) << "253 would cut an é in half";
  EXPECT_EQ(FitForSuffix(accents, 3).size(), 252u);
}

TEST(FitForSuffix, SuffixMayShortenExactlyTheNamesSomeDigitCountShortens) {
  EXPECT_FALSE(SuffixMayShorten(std::string(245, 'a')));
  EXPECT_TRUE(SuffixMayShorten(std::string(246, 'a')));
  EXPECT_EQ(FitForSuffix(std::string(245, 'a'), kMaxSuffixDigits).size(), 245u);
  EXPECT_EQ(FitForSuffix(std::string(246, 'a'), kMaxSuffixDigits).size(), 245u);
}

}  // namespace
}  // namespace convene::domain
