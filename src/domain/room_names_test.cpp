#include "domain/room_names.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace convene::domain {
namespace {

TEST(SanitizeRoomName, KeepsOnlyNameCharactersFromSpecExample) {
  EXPECT_EQ(SanitizeRoomName("   .,-------}{¡$#<+My Room *123  "), "My Room 123");
}

TEST(SanitizeRoomName, TrimsAndDropsPunctuationFromSpecExample) {
  EXPECT_EQ(SanitizeRoomName(" =Example Room&/ "), "Example Room");
}

TEST(SanitizeRoomName, KeepsTrailingSpaceExposedByRemoval) {
  // There is no second trim in the reference.
  EXPECT_EQ(SanitizeRoomName("Room !"), "Room ");
  EXPECT_EQ(SanitizeRoomName("¡ abc"), " abc");
}

TEST(SanitizeRoomName, RemovesNonAsciiBytes) {
  EXPECT_EQ(SanitizeRoomName("Caf\xC3\xA9 \xF0\x9F\x98\x80 Room"), "Caf Room");
  EXPECT_EQ(SanitizeRoomName("\xE2\x82\xAC""100"), "100");
}

TEST(SanitizeRoomName, DropsInvalidUtf8) {
  EXPECT_EQ(SanitizeRoomName("a\xFF\xC3(b"), "ab");
}

TEST(SanitizeRoomName, CollapsesWhitespaceRunsIntoOneSpace) {
  EXPECT_EQ(SanitizeRoomName("a \t\n\v\f\r b"), "a b");
  EXPECT_EQ(SanitizeRoomName("a\tb"), "a b");
}

TEST(SanitizeRoomName, TreatsUnicodeWhitespaceLikeJavaScript) {
  EXPECT_EQ(SanitizeRoomName("a\xC2\xA0""b"), "a b");                       // U+00A0
  EXPECT_EQ(SanitizeRoomName("a\xE3\x80\x80\xE3\x80\x80""b c"), "a b c");  // U+3000 x2
  EXPECT_EQ(SanitizeRoomName("\xEF\xBB\xBF""Room\xE2\x80\xA8"), "Room");   // BOM, U+2028 trimmed
}

TEST(SanitizeRoomName, CollapsesHyphenAndUnderscoreRuns) {
  EXPECT_EQ(SanitizeRoomName("a---b___c"), "a-b_c");
  EXPECT_EQ(SanitizeRoomName("a-!-b"), "a-b");
}

TEST(SanitizeRoomName, StripsEdgeHyphensThenUnderscoresInReferenceOrder) {
  EXPECT_EQ(SanitizeRoomName("__a__"), "a");
  EXPECT_EQ(SanitizeRoomName("--a--"), "a");
  // Trailing '-' first, then trailing '_': a '-' hidden behind '_' survives, as in the reference.
  EXPECT_EQ(SanitizeRoomName("a-_-"), "a-");
  EXPECT_EQ(SanitizeRoomName("--_-a"), "-a");
}

TEST(SanitizeRoomName, EmptyAndAllInvalidYieldEmpty) {
  EXPECT_EQ(SanitizeRoomName(""), "");
  EXPECT_EQ(SanitizeRoomName("   "), "");
  EXPECT_EQ(SanitizeRoomName("!@#$%^&*()"), "");
}

TEST(SanitizeRoomId, RemovesAllWhitespace) {
  EXPECT_EQ(SanitizeRoomId(" My Room 123 "), "MyRoom123");
  EXPECT_EQ(SanitizeRoomId("Room !"), "Room");
  EXPECT_EQ(SanitizeRoomId(" abc "), "abc");
  EXPECT_EQ(SanitizeRoomId("a\xC2\xA0""b\tc"), "abc");
}

TEST(SanitizeRoomId, KeepsValidIdsUnchanged) {
  EXPECT_EQ(SanitizeRoomId("MyRoom-3f9a1c2b4d5e6f7"), "MyRoom-3f9a1c2b4d5e6f7");
  EXPECT_EQ(SanitizeRoomId("a_b-c"), "a_b-c");
}

TEST(TrimJsWhitespace, StripsAsciiAndUnicodeWhitespaceAtBothEnds) {
  EXPECT_EQ(TrimJsWhitespace(" \t a b \n"), "a b");
  EXPECT_EQ(TrimJsWhitespace("\xC2\xA0x\xE2\x80\x89"), "x");
  EXPECT_EQ(TrimJsWhitespace("\xE2\x82\xAC"), "\xE2\x82\xAC");  // '€' is not whitespace
  EXPECT_EQ(TrimJsWhitespace("   "), "");
  EXPECT_EQ(TrimJsWhitespace(""), "");
}

TEST(GenerateRoomId, IsSanitizedPrefixDashAndFifteenHex) {
  CryptoRandom random;
  const std::string id = GenerateRoomId("My Room", random);
  EXPECT_TRUE(std::regex_match(id, std::regex("^MyRoom-[0-9a-f]{15}$"))) << id;
}

TEST(GenerateRoomId, EmptyNameGetsAFindablePrefix) {
  CryptoRandom random;
  const std::string id = GenerateRoomId("", random);
  EXPECT_TRUE(std::regex_match(id, std::regex("^room-[0-9a-f]{15}$"))) << id;
  EXPECT_EQ(SanitizeRoomId(id), id);
}

TEST(GenerateRoomId, ResultSurvivesThePathParameterSanitizer) {
  CryptoRandom random;
  for (const char* name : {"My Room", "a_ _b", "a-", "x - y", "Room 123"}) {
    const std::string id = GenerateRoomId(SanitizeRoomName(name), random);
    EXPECT_EQ(SanitizeRoomId(id), id) << name;
  }
}

TEST(GenerateRoomId, DoesNotRepeat) {
  CryptoRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) EXPECT_TRUE(seen.insert(GenerateRoomId("Room", random)).second);
}

TEST(GenerateRoomSecret, IsTenLowercaseHex) {
  CryptoRandom random;
  const std::string a = GenerateRoomSecret(random);
  const std::string b = GenerateRoomSecret(random);
  EXPECT_TRUE(std::regex_match(a, std::regex("^[0-9a-f]{10}$"))) << a;
  EXPECT_NE(a, b);
}

TEST(GenerateRoomSecret, IsDeterministicWithSeededRandom) {
  SeededRandom a(7), b(7);
  EXPECT_EQ(GenerateRoomSecret(a), GenerateRoomSecret(b));
}

}  // namespace
}  // namespace convene::domain
