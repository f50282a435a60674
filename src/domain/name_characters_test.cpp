#include "domain/name_characters.hpp"

#include <gtest/gtest.h>

#include <string>

namespace convene::domain {
namespace {

TEST(FindNameFlaw, OrdinaryNamesHaveNone) {
  for (const char* name : {"Alice", " padded  name ", "Ren\u00e9", "Rene\u0301", "\uFF21lice", "\u05e9\u05dc\u05d5\u05dd",
                           "\U0001F600", "a[b]*?", "x_007", "\u00a0nbsp"}) {
    EXPECT_FALSE(FindNameFlaw(name)) << name;
  }
}

TEST(FindNameFlaw, DirectionMarksAndInvisibleCharactersAreAccepted) {
  for (const char* name : {"\u05d3\u05e0\u05d4 (Dana)\u200F", "Alice\u200E", "\u0627\u061C1", "Al\u200Bice", "a\u200Db",
                           "\uFEFFx"}) {
    EXPECT_FALSE(FindNameFlaw(name)) << name;
  }
}

TEST(FindNameFlaw, ControlCharactersAreRefused) {
  for (std::string name : {std::string("nul\0x", 5), std::string("tab\tx"), std::string("new\nline"),
                           std::string("cr\rx"), std::string("\x1f"), std::string("del\x7f"),
                           std::string("nel\u0085"), std::string("\u009f"), std::string("line\u2028sep"),
                           std::string("para\u2029sep"), std::string(1, '\0')}) {
    EXPECT_EQ(FindNameFlaw(name), NameFlaw::kControlCharacter) << name;
  }
}

TEST(FindNameFlaw, BidiEmbeddingsOverridesAndIsolatesAreRefused) {
  for (const char* name : {"\u202A", "\u202B", "\u202C", "Alice\u202Eevil", "\u202D", "\u2066x", "\u2067", "\u2068",
                           "x\u2069"}) {
    EXPECT_EQ(FindNameFlaw(name), NameFlaw::kBidiControl) << name;
  }
  EXPECT_EQ(FindNameFlaw("\u2029x\u202E"), NameFlaw::kControlCharacter) << "the first flaw is reported";
}

TEST(FindNameFlaw, InvalidUtf8IsRefused) {
  for (std::string name : {std::string("\xFF"), std::string("a\xC3"), std::string("\xC3("), std::string("\xED\xA0\x80"),
                           std::string("\xC0\xAF"), std::string("\xF4\x90\x80\x80")}) {
    EXPECT_EQ(FindNameFlaw(name), NameFlaw::kInvalidUtf8) << name;
  }
}

}  // namespace
}  // namespace convene::domain
