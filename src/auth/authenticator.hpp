#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>

#include "auth/api_keys.hpp"
#include "auth/principal.hpp"
#include "core/result.hpp"
#include "http/request.hpp"
#include "tokens/participant_token.hpp"

namespace convene::auth {

/// The validators a route may list (reference §3.1). They are tried in order; the first success
/// admits the request; a "stop" failure ends the chain; otherwise the last failure is returned.
enum class Validator { kApiKey, kAdmin, kUser, kParticipant, kAnonymous };

/// How tokens travel (securityConfig.authentication.authTransportMode, reference §3.2).
enum class TransportMode { kHeader, kCookie };

class Authenticator {
 public:
  Authenticator(const ApiKeys& api_keys, const tokens::ParticipantTokenCodec& participant_tokens)
      : api_keys_(api_keys), participant_tokens_(participant_tokens) {}

  /// The transport mode is read on every request, so a configuration change applies at once.
  void SetTransportModeSource(std::function<TransportMode()> source) { transport_mode_ = std::move(source); }
  TransportMode transport_mode() const { return transport_mode_ ? transport_mode_() : TransportMode::kHeader; }

  /// The participant token as the current transport mode carries it: header mode
  /// `x-participant-token: Bearer <jwt>`, cookie mode the OvMeetParticipantToken cookie.
  std::optional<std::string> ParticipantToken(const http::Request& request) const;

  Result<Principal> Authenticate(const http::Request& request,
                                 std::initializer_list<Validator> chain) const;

 private:
  struct Outcome {
    Result<Principal> result;
    bool stop = false;
  };
  Outcome ValidateApiKey(const http::Request& request) const;
  Outcome ValidateParticipant(const http::Request& request) const;

  const ApiKeys& api_keys_;
  const tokens::ParticipantTokenCodec& participant_tokens_;
  std::function<TransportMode()> transport_mode_;
};

Error Unauthorized(std::string message = "Unauthorized");
Error InsufficientPermissions();

/// Cookie and header names of the reference (§1.3).
inline constexpr std::string_view kParticipantTokenCookie = "OvMeetParticipantToken";
inline constexpr std::string_view kParticipantTokenHeader = "x-participant-token";
inline constexpr std::string_view kParticipantRoleHeader = "x-participant-role";

}  // namespace convene::auth
