#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace convene::domain {

/// Longest participant identity Convene mints: LiveKit identities, like display names, are kept
/// within 256 bytes.
inline constexpr std::size_t kMaxIdentityBytes = 256;
/// Characters of the random part of a minted identity: 12 base-32 characters are 60 bits, so two
/// admissions in one room never draw the same identity in practice (and the registry still checks).
inline constexpr std::size_t kIdentitySuffixChars = 12;

/// `kIdentitySuffixChars` characters of [a-z2-7] from `random_bytes` (at least as many bytes).
std::string IdentitySuffixFrom(std::string_view random_bytes);

/// The identity of one admission: "<display name>-<suffix>", the name shortened at a UTF-8
/// boundary when both would not fit in kMaxIdentityBytes. Identities are unique per admission
/// (never the bare display name), so a freed name handed to somebody else never hands over the
/// identity that the previous holder's tokens still carry.
std::string MintIdentity(std::string_view display_name, std::string_view suffix);

}  // namespace convene::domain
