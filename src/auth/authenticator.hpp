#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/api_keys.hpp"
#include "auth/principal.hpp"
#include "auth/user_tokens.hpp"
#include "core/result.hpp"
#include "http/request.hpp"
#include "tokens/participant_token.hpp"

namespace convene::auth {

/// The validators a route may list (reference §3.1). They are tried in order; the first success
/// admits the request; a "stop" failure ends the chain; otherwise the last failure is returned.
enum class Validator { kApiKey, kAdmin, kUser, kParticipant, kAnonymous };

/// How tokens travel (securityConfig.authentication.authTransportMode, reference §3.2).
enum class TransportMode { kHeader, kCookie };

/// A stored user as the validators need it (the SettingsService's cache answers without I/O).
struct UserRecord {
  std::string username;
  std::vector<std::string> roles;
};
using UserLookup = std::function<std::optional<UserRecord>(std::string_view username)>;

class Authenticator {
 public:
  Authenticator(const ApiKeys& api_keys, const tokens::ParticipantTokenCodec& participant_tokens)
      : api_keys_(api_keys), participant_tokens_(participant_tokens) {}

  /// The transport mode is read on every request, so a configuration change applies at once.
  void SetTransportModeSource(std::function<TransportMode()> source) { transport_mode_ = std::move(source); }
  TransportMode transport_mode() const { return transport_mode_ ? transport_mode_() : TransportMode::kHeader; }

  /// Enables the ADMIN and USER validators (and the user side of ANON): access tokens are verified
  /// with `tokens` and their `sub` looked up with `lookup`. Until this is called those validators
  /// fail like a missing credential. `tokens` must outlive the Authenticator.
  void SetUserAuthentication(const UserTokenCodec& tokens, UserLookup lookup) {
    user_tokens_ = &tokens;
    user_lookup_ = std::move(lookup);
  }

  /// The participant token as the current transport mode carries it: header mode
  /// `x-participant-token: Bearer <jwt>`, cookie mode the OvMeetParticipantToken cookie.
  std::optional<std::string> ParticipantToken(const http::Request& request) const;
  /// The access token: header mode `authorization: Bearer <jwt>`, else the single query parameter
  /// `accessToken`; cookie mode the OvMeetAccessToken cookie only (reference §3.2).
  std::optional<std::string> AccessToken(const http::Request& request) const;
  /// The refresh token: header mode `x-refresh-token: Bearer <jwt>`; cookie mode the
  /// OvMeetRefreshToken cookie.
  std::optional<std::string> RefreshToken(const http::Request& request) const;

  Result<Principal> Authenticate(const http::Request& request,
                                 std::initializer_list<Validator> chain) const;

 private:
  struct Outcome {
    Result<Principal> result;
    bool stop = false;
  };
  Outcome ValidateApiKey(const http::Request& request) const;
  Outcome ValidateParticipant(const http::Request& request) const;
  Outcome ValidateUser(const http::Request& request, std::string_view required_role) const;
  Principal AnonymousOrUser(const http::Request& request) const;

  const ApiKeys& api_keys_;
  const tokens::ParticipantTokenCodec& participant_tokens_;
  std::function<TransportMode()> transport_mode_;
  const UserTokenCodec* user_tokens_ = nullptr;
  UserLookup user_lookup_;
};

Error Unauthorized(std::string message = "Unauthorized");
Error InsufficientPermissions();
/// 403 `Authorization Error` / `Invalid token subject`: a valid token of a user that is not
/// stored.
Error InvalidTokenSubject();

/// Cookie and header names of the reference (§1.3).
inline constexpr std::string_view kParticipantTokenCookie = "OvMeetParticipantToken";
inline constexpr std::string_view kParticipantTokenHeader = "x-participant-token";
inline constexpr std::string_view kParticipantRoleHeader = "x-participant-role";
inline constexpr std::string_view kAccessTokenCookie = "OvMeetAccessToken";
inline constexpr std::string_view kRefreshTokenCookie = "OvMeetRefreshToken";
inline constexpr std::string_view kAccessTokenHeader = "authorization";
inline constexpr std::string_view kRefreshTokenHeader = "x-refresh-token";
inline constexpr std::string_view kAccessTokenQuery = "accessToken";

}  // namespace convene::auth
