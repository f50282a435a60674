#include "crypto/hmac.hpp"

#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace convene::crypto {
namespace {

using namespace std::string_literals;

std::string Repeat(char c, std::size_t n) { return std::string(n, c); }

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

struct HmacVector {
  std::string name;
  std::string key;
  std::string data;
  std::string hex;
};

// RFC 4231 §4.2–4.8. Case 5 (truncated output) is checked separately below.
std::vector<HmacVector> Rfc4231Vectors() {
  std::string key4;
  for (char c = 0x01; c <= 0x19; ++c) {
    key4.push_back(c);
  }
  return {
      {"case1", Repeat('\x0b', 20), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"case2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"case3", Repeat('\xaa', 20), Repeat('\xdd', 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"case4", key4, Repeat('\xcd', 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"case6", Repeat('\xaa', 131), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"case7", Repeat('\xaa', 131),
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(HmacSha256, MatchesRfc4231Vectors) {
  for (const HmacVector& v : Rfc4231Vectors()) {
    EXPECT_EQ(HexEncode(HmacSha256Key(v.key).Sign(v.data)), v.hex) << v.name;
  }
}

TEST(HmacSha256, MatchesRfc4231TruncatedVector) {
  const std::string hex = HexEncode(HmacSha256Key(Repeat('\x0c', 20)).Sign("Test With Truncation"));
  EXPECT_EQ(hex.substr(0, 32), "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256, SupportsEmptyKeyAndEmptyMessage) {
  // OpenSSL reads a null key pointer as "no key"; an empty secret must still be a valid key,
  // including a default-constructed string_view whose data() is null.
  constexpr std::string_view kEmptyMac =
      "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
  EXPECT_EQ(HexEncode(HmacSha256Key("").Sign("")), kEmptyMac);
  EXPECT_EQ(HexEncode(HmacSha256Key(std::string_view()).Sign(std::string_view())), kEmptyMac);
}

TEST(HmacSha256, KeyIsReusableAcrossSignCalls) {
  const HmacSha256Key key("Jefe");
  const Sha256Digest first = key.Sign("what do ya want for nothing?");
  EXPECT_NE(key.Sign("something else"), first);
  EXPECT_EQ(key.Sign("what do ya want for nothing?"), first);
}

TEST(HmacSha256, KeySurvivesMove) {
  HmacSha256Key original("Jefe");
  HmacSha256Key moved(std::move(original));
  EXPECT_EQ(HexEncode(moved.Sign("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  HmacSha256Key assigned("other");
  assigned = std::move(moved);
  EXPECT_EQ(HexEncode(assigned.Sign("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, SignIsSafeFromManyThreads) {
  const HmacSha256Key key("Jefe");
  const Sha256Digest expected = key.Sign("what do ya want for nothing?");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&key, &expected, &mismatches, t] {
      for (int i = 0; i < 2000; ++i) {
        if (key.Sign("what do ya want for nothing?") != expected) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(mismatches, std::vector<int>(mismatches.size(), 0));
}

TEST(HexEncode, WritesLowercaseTwoDigitsPerByte) {
  EXPECT_EQ(HexEncode(std::string_view()), "");
  EXPECT_EQ(HexEncode("\x00\x0f\xa0\xff"s), "000fa0ff");
}

TEST(ConstantTimeEquals, ComparesContentsAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("a\0b"s, "a\0b"s));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals("a\0b"s, "a\0c"s));
}

}  // namespace
}  // namespace convene::crypto
