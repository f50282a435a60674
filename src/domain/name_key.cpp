#include "domain/name_key.hpp"

#include <cstdint>
#include <stdexcept>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/utf8.h>

namespace convene::domain {

namespace {

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto length = static_cast<std::int32_t>(s.size());
  for (std::int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);  // negative for ill-formed sequences, surrogates included
    if (c < 0) return false;
  }
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// ICU's shared, immutable instance (thread-safe); fetched once. It comes from the ICU data
// library linked in, so failing to load it means a broken installation.
const icu::Normalizer2& NfkcCasefold() {
  static const icu::Normalizer2* const instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* normalizer = icu::Normalizer2::getNFKCCasefoldInstance(status);
    if (U_FAILURE(status) || normalizer == nullptr) {
      throw std::runtime_error(std::string("ICU NFKC_Casefold data unavailable: ") + u_errorName(status));
    }
    return normalizer;
  }();
  return *instance;
}

}  // namespace

std::string NameKey(std::string_view name) {
  // NFKC_Casefold maps every ASCII character to itself except A-Z, and removes none of them.
  if (IsAscii(name) || !IsValidUtf8(name)) return AsciiLower(name);
  // The UTF-16 round trip of the generic API is avoided: ICU normalizes UTF-8 directly.
  std::string key;
  icu::StringByteSink<std::string> sink(&key, static_cast<std::int32_t>(name.size()));
  UErrorCode status = U_ZERO_ERROR;
  NfkcCasefold().normalizeUTF8(0, icu::StringPiece(name.data(), static_cast<std::int32_t>(name.size())),
                               sink, nullptr, status);
  // On valid UTF-8 only an allocation failure is possible.
  if (U_FAILURE(status)) throw std::runtime_error(std::string("NFKC_Casefold failed: ") + u_errorName(status));
  return key;
}

}  // namespace convene::domain
