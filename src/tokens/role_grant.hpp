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
/// It is accepted in place of a secret only for its room and identity, and only until it expires,
/// so a promoted participant never learns the moderator secret and a demoted one keeps nothing
/// that re-promotes it.
struct RoleGrant {
  std::string room_id;
  std::string identity;
  domain::ParticipantRole role = domain::ParticipantRole::kSpeaker;
  std::int64_t expires_at = 0;  // seconds
};

class RoleGrantCodec {
 public:
  /// The key is derived from `secret` with a fixed label, so grants can never be confused with
  /// LiveKit tokens signed by the same secret.
  RoleGrantCodec(std::string_view secret, std::int64_t ttl_seconds, const Clock& clock);

  std::string Issue(std::string_view room_id, std::string_view identity, domain::ParticipantRole role) const;
  /// nullopt unless the text is a well-formed, correctly signed, unexpired grant.
  std::optional<RoleGrant> Verify(std::string_view text) const;
  /// Cheap syntactic test: does this look like a grant at all (vs a 10-hex room secret)?
  static bool LooksLikeGrant(std::string_view text);

 private:
  crypto::HmacSha256Key key_;
  std::int64_t ttl_seconds_;
  const Clock& clock_;
};

}  // namespace convene::tokens
