#include "core/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace convene {

std::string Random::Hex(std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::string bytes = Bytes((n + 1) / 2);
  std::string out;
  out.reserve(n);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  out.resize(n);
  return out;
}

std::string CryptoRandom::Bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // The CSPRNG failing means the process cannot produce safe secrets at all.
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

std::string SeededRandom::Bytes(std::size_t n) {
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (int i = 0; i < 8 && out.size() < n; ++i) out.push_back(static_cast<char>((z >> (8 * i)) & 0xff));
  }
  return out;
}

}  // namespace convene
