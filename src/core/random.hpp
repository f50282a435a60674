#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace convene {

/// Source of unpredictable bytes for secrets, ids and API keys. Injected so tests can be
/// deterministic; production uses the OpenSSL CSPRNG.
class Random {
 public:
  virtual ~Random() = default;
  virtual std::string Bytes(std::size_t n) = 0;

  /// `n` lowercase hex characters (n/2 random bytes, rounded up).
  std::string Hex(std::size_t n);
};

class CryptoRandom final : public Random {
 public:
  std::string Bytes(std::size_t n) override;
};

/// Deterministic generator (splitmix64) for tests only.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  std::string Bytes(std::size_t n) override;

 private:
  std::uint64_t state_;
};

}  // namespace convene
