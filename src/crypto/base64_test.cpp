#include "crypto/base64.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace convene::crypto {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

struct Vector {
  std::string_view plain;
  std::string_view standard;  // padded, standard alphabet
  std::string_view url;       // unpadded, URL-safe alphabet
};

// RFC 4648 §10 test vectors, plus their unpadded URL-safe forms.
constexpr Vector kRfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

TEST(Base64, EncodesRfc4648Vectors) {
  for (const Vector& v : kRfc4648) {
    EXPECT_EQ(Base64Encode(v.plain), v.standard) << v.plain;
    EXPECT_EQ(Base64UrlEncode(v.plain), v.url) << v.plain;
  }
}

TEST(Base64, DecodesRfc4648VectorsPaddedAndUnpadded) {
  for (const Vector& v : kRfc4648) {
    EXPECT_EQ(Base64Decode(v.standard), std::string(v.plain)) << v.standard;
    EXPECT_EQ(Base64Decode(v.url), std::string(v.plain)) << v.url;
    EXPECT_EQ(Base64UrlDecode(v.url), std::string(v.plain)) << v.url;
  }
}

TEST(Base64, UsesAlphabetSpecificSymbolsFor62And63) {
  const std::string bytes = "\xfb\xff\xbf"s;
  EXPECT_EQ(Base64Encode(bytes), "+/+/");
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  EXPECT_EQ(Base64Encode("\xfb\xff"s), "+/8=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"s), "-_8");
}

TEST(Base64, DecodeAcceptsEitherAlphabetWithOrWithoutPadding) {
  const std::string bytes = "\xfb\xff"s;
  EXPECT_EQ(Base64Decode("+/8="), bytes);
  EXPECT_EQ(Base64Decode("+/8"), bytes);
  EXPECT_EQ(Base64Decode("-_8="), bytes);
  EXPECT_EQ(Base64Decode("-_8"), bytes);
}

TEST(Base64, RoundTripsAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
  }
  for (std::size_t len = 0; len <= bytes.size(); len += 37) {
    const std::string_view data = std::string_view(bytes).substr(0, len);
    EXPECT_EQ(Base64Decode(Base64Encode(data)), std::string(data));
    EXPECT_EQ(Base64Decode(Base64UrlEncode(data)), std::string(data));
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(data)), std::string(data));
  }
}

TEST(Base64, DecodeRejectsInvalidInput) {
  const std::string_view invalid[] = {
      "Z",          // a single leftover symbol carries less than a byte
      "Zm9vY",      // same, after a full quantum
      "Zg=",        // padding that does not complete the quantum
      "Zg===",      // too much padding
      "====",       // padding only
      "=",          //
      "Zm9v====",   // padding after a complete quantum
      "Zg==Zg==",   // padding in the middle
      "Zm 9v",      // whitespace
      "Zm9v\n",     // trailing newline
      "Zm9v!",      // character outside both alphabets
      "Zm\x00v"sv,  // embedded NUL
      "Zh==",       // non-zero unused bits (canonical form is Zg==)
      "Zm9=",       // non-zero unused bits (canonical form is Zm8=)
      "+/-_",       // mixes the standard and URL-safe alphabets
  };
  for (const std::string_view text : invalid) {
    EXPECT_EQ(Base64Decode(text), std::nullopt) << text;
    EXPECT_EQ(Base64UrlDecode(text), std::nullopt) << text;
  }
}

TEST(Base64, UrlDecodeRejectsPaddingAndStandardAlphabet) {
  EXPECT_EQ(Base64UrlDecode("Zg=="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Zm8="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("+/8"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff"s);
}

}  // namespace
}  // namespace convene::crypto
