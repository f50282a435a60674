#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "crypto/hmac.hpp"

namespace convene::auth {

/// Which of the two user tokens a JWT is. Written as the payload claim `typ` (kTokenTypeClaim):
/// "access" or "refresh" (deviations §1.2). Participant tokens have no such claim.
enum class UserTokenType { kAccess, kRefresh };

inline constexpr std::string_view kTokenTypeClaim = "typ";
std::string_view ToString(UserTokenType type);

/// Lifetimes of the reference (§1.3): access 2 h, refresh 1 d. They are also the cookies' Max-Age.
struct UserTokenOptions {
  std::int64_t access_ttl_seconds = 2 * 3600;
  std::int64_t refresh_ttl_seconds = 24 * 3600;
};

/// What a verified user token says. Authorization decisions use the stored user's roles, not
/// these (as the reference does); `roles` is informational.
struct UserTokenClaims {
  UserTokenType type = UserTokenType::kAccess;
  std::string username;            // `sub`
  std::vector<std::string> roles;  // from `metadata` {"roles":[...]}
  std::int64_t expires_at = 0;     // seconds
};

/// The key that signs access and refresh tokens (deviations §1.2): `MEET_AUTH_SECRET` when set,
/// otherwise HMAC-SHA256(key = LIVEKIT_API_SECRET, message = "convene/user-token/v1"). Either way
/// it differs from the LiveKit secret that signs participant tokens (config refuses an
/// auth secret equal to the LiveKit secret), so no participant token verifies as a user token.
std::string UserTokenKey(std::string_view auth_secret, std::string_view livekit_api_secret);

/// Mints and verifies the admin's access and refresh tokens: HS256 with header {"alg":"HS256"},
/// claims `sub` (username), `iss` (LIVEKIT_API_KEY, as the reference), `exp`, `nbf` 0, `metadata`
/// the JSON string {"roles":[...]}, plus `typ`. Verification has zero clock tolerance and checks
/// signature, algorithm, issuer, expiry, `typ` and a non-empty `sub`. Thread-safe.
class UserTokenCodec {
 public:
  UserTokenCodec(std::string issuer, std::string_view key, const Clock& clock,
                 UserTokenOptions options = {});

  std::string Mint(UserTokenType type, std::string_view username,
                   const std::vector<std::string>& roles) const;

  /// nullopt on any failure, including a valid token of the other type.
  std::optional<UserTokenClaims> Verify(std::string_view token, UserTokenType expected) const;

  std::int64_t ttl_seconds(UserTokenType type) const {
    return type == UserTokenType::kAccess ? options_.access_ttl_seconds
                                          : options_.refresh_ttl_seconds;
  }

 private:
  std::string issuer_;
  crypto::HmacSha256Key key_;
  const Clock& clock_;
  UserTokenOptions options_;
};

}  // namespace convene::auth
