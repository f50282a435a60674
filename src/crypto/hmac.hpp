#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace convene::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);

/// HMAC-SHA256 with a key prepared once. OpenSSL 3's one-shot HMAC() is ~4x slower than
/// duplicating a pre-keyed EVP_MAC_CTX (measured in CONVENTIONS §5.4), so keys live in objects.
/// Thread-safe: Sign() duplicates the prepared context per call.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(HmacSha256Key&&) noexcept;
  HmacSha256Key& operator=(HmacSha256Key&&) noexcept;
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  Sha256Digest Sign(std::string_view message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Lowercase hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);
inline std::string HexEncode(const Sha256Digest& d) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

/// Compares in time independent of where the inputs differ (length leaks, contents do not).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace convene::crypto
