#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

#include <tl/expected.hpp>
#include "crypto/hmac.hpp"
#include "domain/participant_role.hpp"

namespace convene::tokens {

/// What a participant token says (reference §10.8, deviations §1.1).
struct ParticipantClaims {
  std::string room_id;
  std::optional<std::string> identity;  // `sub`; absent for tokens without a name
  std::optional<std::string> name;
  bool room_join = false;               // true exactly when the token has a name
  std::vector<domain::ParticipantRole> roles;
  domain::ParticipantRole selected_role = domain::ParticipantRole::kSpeaker;
  std::int64_t expires_at = 0;          // seconds
};

/// Mints and verifies participant tokens: LiveKit join tokens (HS256 with LIVEKIT_API_SECRET,
/// `iss` = LIVEKIT_API_KEY, header {"alg":"HS256"}, `nbf` 0, `metadata` the JSON string
/// {livekitUrl, roles:[{role, permissions}], selectedRole}), so a real LiveKit server and
/// livekit-server-sdk's TokenVerifier accept them.
class ParticipantTokenCodec {
 public:
  ParticipantTokenCodec(std::string api_key, std::string_view api_secret, std::string livekit_url,
                        std::int64_t ttl_seconds, const Clock& clock);

  std::string Mint(const ParticipantClaims& claims) const;

  enum class Expiry { kMustBeValid, kAllowExpired };
  /// Verifies signature, issuer and `nbf`; `exp` must not have passed (kMustBeValid, zero
  /// tolerance as the reference) or may have passed by at most `grace_seconds` (kAllowExpired).
  /// Parses the metadata strictly. nullopt on any failure: the caller decides what that means.
  std::optional<ParticipantClaims> Verify(std::string_view token, Expiry expiry,
                                          std::int64_t grace_seconds = 0) const;

  /// Like Verify, but tells apart a token that does not verify (signature, issuer, times) from a
  /// verified one whose metadata is not MeetTokenMetadata: the reference answers 401 `Invalid
  /// token` for the first and 400 `Invalid participant token` for the second.
  enum class Problem { kInvalid, kBadMetadata };
  tl::expected<ParticipantClaims, Problem> Check(std::string_view token, Expiry expiry,
                                                 std::int64_t grace_seconds = 0) const;

  std::int64_t ttl_seconds() const { return ttl_seconds_; }

 private:
  std::string api_key_;
  crypto::HmacSha256Key key_;
  std::string livekit_url_;
  std::int64_t ttl_seconds_;
  const Clock& clock_;
};

/// The `metadata` claim's JSON text for a role set (also written to LiveKit on role changes).
std::string MetadataJson(std::string_view livekit_url, const std::vector<domain::ParticipantRole>& roles,
                         domain::ParticipantRole selected);

}  // namespace convene::tokens
