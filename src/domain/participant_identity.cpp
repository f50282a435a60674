#include "domain/participant_identity.hpp"

namespace convene::domain {

std::string IdentitySuffixFrom(std::string_view random_bytes) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
  std::string suffix;
  suffix.reserve(kIdentitySuffixChars);
  for (std::size_t i = 0; i < kIdentitySuffixChars && i < random_bytes.size(); ++i) {
    // 256 is a multiple of 32: the low five bits of a uniform byte are uniform.
    suffix.push_back(kAlphabet[static_cast<unsigned char>(random_bytes[i]) & 0x1F]);
  }
  return suffix;
}

std::string MintIdentity(std::string_view display_name, std::string_view suffix) {
  const std::size_t room = kMaxIdentityBytes - 1 - suffix.size();
  std::size_t keep = display_name.size();
  if (keep > room) {
    keep = room;
    // Cut before a UTF-8 continuation byte, never inside a character.
    while (keep > 0 && (static_cast<unsigned char>(display_name[keep]) & 0xC0) == 0x80) --keep;
  }
  std::string identity;
  identity.reserve(keep + 1 + suffix.size());
  identity.append(display_name.substr(0, keep));
  identity.push_back('-');
  identity.append(suffix);
  return identity;
}

}  // namespace convene::domain
