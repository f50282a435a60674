#include "domain/name_key.hpp"

#include <gtest/gtest.h>

#include <string>

namespace convene::domain {
namespace {

TEST(NameKey, AsciiNamesCompareCaseInsensitively) {
  EXPECT_EQ(NameKey("Alice"), "alice");
  EXPECT_EQ(NameKey("ALICE"), NameKey("alice"));
  EXPECT_EQ(NameKey(" a[b]*?_1 "), " a[b]*?_1 ") << "every other ASCII character is kept";
  EXPECT_EQ(NameKey(std::string("nul\0\x1f", 5)), std::string("nul\0\x1f", 5));
  EXPECT_EQ(NameKey(""), "");
}

TEST(NameKey, LookAlikesGetTheSameKey) {
  EXPECT_EQ(NameKey("Ren\u00e9"), NameKey("Rene\u0301")) << "NFC and NFD";
  EXPECT_EQ(NameKey("\uFF21lice"), "alice") << "fullwidth A";
  EXPECT_EQ(NameKey("\uFF21\uFF2C\uFF29\uFF23\uFF25"), "alice");
  EXPECT_EQ(NameKey("\u00c9MILE"), NameKey("\u00e9mile")) << "non-ASCII case";
  EXPECT_EQ(NameKey("Stra\u00dfe"), NameKey("STRASSE")) << "full case folding";
  EXPECT_EQ(NameKey("\uFB01x"), "fix") << "ligature";
  EXPECT_EQ(NameKey("\u212Aelvin"), "kelvin") << "Kelvin sign";
  EXPECT_EQ(NameKey("\u2460"), "1") << "circled digit";
  EXPECT_EQ(NameKey("\u0391\u039b\u0399\u039a\u0397"), NameKey("\u03b1\u03bb\u03b9\u03ba\u03b7")) << "Greek";
}

TEST(NameKey, InvisibleCharactersAreIgnored) {
  EXPECT_EQ(NameKey("Al\u200Bice"), "alice") << "zero-width space";
  EXPECT_EQ(NameKey("Alice\u200E"), "alice") << "LRM";
  EXPECT_EQ(NameKey("\u200FAlice"), "alice") << "RLM";
  EXPECT_EQ(NameKey("Al\u00ADice"), "alice") << "soft hyphen";
  EXPECT_EQ(NameKey("\u263A\uFE0F"), NameKey("\u263A")) << "variation selector";
}

TEST(NameKey, DifferentNamesStayDifferent) {
  EXPECT_NE(NameKey("\u00c4rger"), NameKey("Arger"));
  EXPECT_NE(NameKey("\u0410lice"), NameKey("Alice")) << "Cyrillic A is another letter (a confusable, not a variant)";
  EXPECT_NE(NameKey("Al ice"), NameKey("Alice"));
  EXPECT_NE(NameKey("bob_1"), NameKey("bob"));
}

TEST(NameKey, InvalidUtf8IsComparedByteForByteWithAsciiFolded) {
  EXPECT_EQ(NameKey("\xFF" "AB"), "\xFF" "ab");
  EXPECT_EQ(NameKey("\xC3(X"), "\xC3(x");
  EXPECT_EQ(NameKey("\xED\xA0\x80"), "\xED\xA0\x80") << "an encoded surrogate is not UTF-8";
  EXPECT_NE(NameKey("\xFF" "\xC3\xA9"), NameKey("\xFF" "e\xCC\x81")) << "not normalized";
}

TEST(NameKey, FullwidthSuffixesNormalizeToAsciiOnes) {
  EXPECT_EQ(NameKey("Bob\uFF3F\uFF11"), "bob_1");
}

// The Redis registry builds a candidate's key as key(base) + "_N" (name_key.hpp).
TEST(NameKey, AppendingASuffixAppendsItToTheKey) {
  for (std::string base : {std::string("Alice"), std::string("Ren\u00e9"), std::string("Rene\u0301"),
                           std::string("e\u0301\u0327"), std::string("\u1100\u1161"),  // Hangul L+V (+T would compose)
                           std::string("\uFB01"), std::string("\u03a3"), std::string("x\u0345"),
                           std::string("\uFF21\u200B"), std::string("\u0915\u094D"), std::string(""),
                           std::string("\xFF" "A"), std::string("\xC3"), std::string("a\uFF3F")}) {
    for (const char* suffix : {"_1", "_10", "_4294967295"}) {
      EXPECT_EQ(NameKey(base + suffix), NameKey(base) + suffix) << base << suffix;
    }
  }
}

}  // namespace
}  // namespace convene::domain
