#include "core/random.hpp"

#include <gtest/gtest.h>

#include <set>

namespace convene {
namespace {

TEST(Random, HexHasRequestedLengthAndAlphabet) {
  CryptoRandom random;
  for (std::size_t n : {1u, 10u, 15u, 32u}) {
    const std::string hex = random.Hex(n);
    ASSERT_EQ(hex.size(), n);
    EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
  }
}

TEST(Random, CryptoRandomDoesNotRepeat) {
  CryptoRandom random;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(random.Hex(15)).second);
}

TEST(Random, SeededRandomIsDeterministic) {
  SeededRandom a(42), b(42), c(43);
  EXPECT_EQ(a.Hex(32), b.Hex(32));
  EXPECT_NE(SeededRandom(42).Hex(32), c.Hex(32));
}

}  // namespace
}  // namespace convene
