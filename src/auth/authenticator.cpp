#include "auth/authenticator.hpp"

#include <algorithm>

namespace convene::auth {

Error Unauthorized(std::string message) {
  return Error::Make(ErrorCode::kUnauthenticated, "Authentication Error", std::move(message));
}

Error InsufficientPermissions() {
  return Error::Make(ErrorCode::kPermissionDenied, "Authorization Error",
                     "Insufficient permissions to access this resource");
}

Authenticator::Outcome Authenticator::ValidateApiKey(const http::Request& request) const {
  if (!request.HasHeader("x-api-key")) return {Fail(Unauthorized()), false};
  if (api_keys_.Empty()) {
    return {Fail(Unauthorized(
                "There are no API keys configured yet. Please, create one to access the API")),
            true};
  }
  if (!api_keys_.Matches(request.Header("x-api-key"))) {
    return {Fail(Unauthorized("Invalid API key")), true};
  }
  return {Principal{Principal::Kind::kApiKey, "api-user", {"app"}, std::nullopt, {}}, false};
}

std::optional<std::string> Authenticator::ParticipantToken(const http::Request& request) const {
  if (transport_mode() == TransportMode::kCookie) return request.Cookie(kParticipantTokenCookie);
  if (!request.HasHeader(kParticipantTokenHeader)) return std::nullopt;
  const std::string_view value = request.Header(kParticipantTokenHeader);
  // The value must start with exactly "Bearer " (reference §3.2); anything else is no token.
  if (value.substr(0, 7) != "Bearer ") return std::nullopt;
  return std::string(value.substr(7));
}

Authenticator::Outcome Authenticator::ValidateParticipant(const http::Request& request) const {
  auto token = ParticipantToken(request);
  if (!token) return {Fail(Unauthorized()), false};
  auto claims = participant_tokens_.Verify(*token, tokens::ParticipantTokenCodec::Expiry::kMustBeValid);
  if (!claims) return {Fail(Unauthorized("Invalid token")), true};
  auto role = domain::ParseParticipantRole(request.Header(kParticipantRoleHeader));
  if (!role) {
    return {Fail(Error::Make(ErrorCode::kInvalidArgument, "Participant Error", "No valid participant role provided")),
            true};
  }
  if (std::find(claims->roles.begin(), claims->roles.end(), *role) == claims->roles.end()) {
    return {Fail(InsufficientPermissions()), true};
  }
  Principal principal{Principal::Kind::kParticipant, "anonymous", {"user"}, std::move(claims), *role};
  return {std::move(principal), false};
}

Result<Principal> Authenticator::Authenticate(const http::Request& request,
                                              std::initializer_list<Validator> chain) const {
  Result<Principal> last = Fail(Unauthorized());
  for (Validator validator : chain) {
    Outcome outcome{Fail(Unauthorized()), false};
    switch (validator) {
      case Validator::kApiKey:
        outcome = ValidateApiKey(request);
        break;
      case Validator::kAnonymous:
        outcome = {Principal{Principal::Kind::kAnonymous, "anonymous", {"user"}, std::nullopt, {}}, false};
        break;
      case Validator::kParticipant:
        outcome = ValidateParticipant(request);
        break;
      case Validator::kAdmin:
      case Validator::kUser:
        // Credentials of these kinds are introduced by the authentication issue; until then
        // they fail like a missing credential, which keeps each chain's final message intact.
        outcome = {Fail(Unauthorized()), false};
        break;
    }
    if (outcome.result) return outcome.result;
    last = std::move(outcome.result);
    if (outcome.stop) break;
  }
  return last;
}

}  // namespace convene::auth
