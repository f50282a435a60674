#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "crypto/hmac.hpp"
#include "domain/participant_role.hpp"

namespace convene::tokens {

/// A participant-scoped role grant (deviations §2.2): what a role change sends to the promoted or
/// demoted participant in the signal's `secret` field instead of the room's permanent secret.
/// It names its room, identity and the registry's grant version of that identity at issue time;
/// the participant service accepts it only for that identity and only while the registry's
/// version is unchanged (a later role change or the end of the meeting voids it). It lives
/// minutes: long enough for the client's refresh right after the role change.
struct RoleGrant {
  std::string room_id;
  std::string identity;
  domain::ParticipantRole role = domain::ParticipantRole::kSpeaker;
  std::uint32_t version = 0;
  std::int64_t expires_at = 0;  // seconds
};

class RoleGrantCodec {
 public:
  enum class Expiry { kMustBeValid, kAllowExpired };

  /// The key is derived from `secret` with a fixed label, so grants can never be confused with
  /// LiveKit tokens signed by the same secret.
  RoleGrantCodec(std::string_view secret, std::int64_t ttl_seconds, const Clock& clock);

  std::string Issue(std::string_view room_id, std::string_view identity, domain::ParticipantRole role,
                    std::uint32_t version) const;
  /// nullopt unless the text is a well-formed, correctly signed grant, unexpired unless
  /// kAllowExpired (a refresh of the very identity it names, checked by the caller).
  std::optional<RoleGrant> Verify(std::string_view text, Expiry expiry = Expiry::kMustBeValid) const;
  /// Cheap syntactic test: does this look like a grant at all (vs a 10-hex room secret)?
  static bool LooksLikeGrant(std::string_view text);

  std::int64_t ttl_seconds() const { return ttl_seconds_; }

 private:
  crypto::HmacSha256Key key_;
  std::int64_t ttl_seconds_;
  const Clock& clock_;
};

}  // namespace convene::tokens
