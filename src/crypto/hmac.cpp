#include "crypto/hmac.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdexcept>
#include <utility>

namespace convene::crypto {
namespace {

struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// OpenSSL 3 looks algorithms up by name in the provider registry (under a lock) on every implicit
// fetch; fetching once per process is part of the §5.4 speed-up. Never freed: process lifetime.
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  return mac;
}

const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, OSSL_DIGEST_NAME_SHA2_256, nullptr);
  return md;
}

// string_view::data() may be null for empty views; OpenSSL treats a null key as "keep the
// previous key" (and fails when there is none), so empty inputs get a valid pointer instead.
const unsigned char* Bytes(std::string_view s) {
  static const unsigned char kEmpty = 0;
  return s.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int size = 0;
  const EVP_MD* md = Sha256Algorithm();
  if (md == nullptr ||
      EVP_Digest(Bytes(data), data.size(), digest.data(), &size, md, nullptr) != 1 ||
      size != digest.size()) {
    // Only possible when OpenSSL itself is broken or out of memory.
    throw std::runtime_error("SHA-256 failed");
  }
  return digest;
}

struct HmacSha256Key::Impl {
  MacCtxPtr keyed;  // initialised with the key; only ever duplicated, never updated
};

HmacSha256Key::HmacSha256Key(std::string_view key) : impl_(std::make_unique<Impl>()) {
  EVP_MAC* mac = HmacAlgorithm();
  if (mac == nullptr) {
    throw std::runtime_error("OpenSSL has no HMAC implementation");
  }
  impl_->keyed.reset(EVP_MAC_CTX_new(mac));
  char digest_name[] = OSSL_DIGEST_NAME_SHA2_256;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  if (!impl_->keyed || EVP_MAC_init(impl_->keyed.get(), Bytes(key), key.size(), params) != 1) {
    // A key object is built at start-up or when a secret is configured: failing loudly is right.
    throw std::runtime_error("HMAC-SHA256 key setup failed");
  }
}

HmacSha256Key::~HmacSha256Key() = default;
HmacSha256Key::HmacSha256Key(HmacSha256Key&&) noexcept = default;
HmacSha256Key& HmacSha256Key::operator=(HmacSha256Key&&) noexcept = default;

Sha256Digest HmacSha256Key::Sign(std::string_view message) const {
  if (!impl_) {
    throw std::logic_error("HmacSha256Key used after move");
  }
  // The duplicate carries the already-absorbed inner/outer key pads, so the key schedule is not
  // recomputed, and the shared context is only read, which keeps Sign() thread-safe.
  const MacCtxPtr ctx(EVP_MAC_CTX_dup(impl_->keyed.get()));
  Sha256Digest digest{};
  std::size_t size = 0;
  if (!ctx || EVP_MAC_update(ctx.get(), Bytes(message), message.size()) != 1 ||
      EVP_MAC_final(ctx.get(), digest.data(), &size, digest.size()) != 1 || size != digest.size()) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return digest;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(Bytes(a), Bytes(b), a.size()) == 0;
}

}  // namespace convene::crypto
