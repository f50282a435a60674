// Script (declared in redis_client.hpp): the SHA-1 that EVALSHA names a script by.
#include <openssl/evp.h>

#include <stdexcept>

#include "redis/redis_client.hpp"

namespace convene::redis {

namespace {

std::string Sha1Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    // Scripts are built at start-up; without SHA-1 none of them can ever run.
    throw std::runtime_error("EVP_Digest(SHA-1) failed");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kDigits[digest[i] >> 4]);
    hex.push_back(kDigits[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace

Script::Script(std::string source) : source_(std::move(source)), sha1_(Sha1Hex(source_)) {}

}  // namespace convene::redis
