#include "domain/name_characters.hpp"

#include <cstdint>

#include <unicode/utf8.h>

namespace convene::domain {

namespace {

bool IsControl(UChar32 c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029; }

bool IsBidiControl(UChar32 c) { return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069); }

}  // namespace

std::optional<NameFlaw> FindNameFlaw(std::string_view name) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(name.data());
  const auto length = static_cast<std::int32_t>(name.size());
  for (std::int32_t i = 0; i < length;) {
    if (bytes[i] < 0x80) {  // ASCII, most names: no decoding
      if (IsControl(bytes[i++])) return NameFlaw::kControlCharacter;
      continue;
    }
    UChar32 c;
    U8_NEXT(bytes, i, length, c);  // negative for ill-formed sequences, surrogates included
    if (c < 0) return NameFlaw::kInvalidUtf8;
    if (IsControl(c)) return NameFlaw::kControlCharacter;
    if (IsBidiControl(c)) return NameFlaw::kBidiControl;
  }
  return std::nullopt;
}

}  // namespace convene::domain
