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

Error InvalidTokenSubject() {
  return Error::Make(ErrorCode::kPermissionDenied, "Authorization Error", "Invalid token subject");
}

namespace {

// Header mode: the value must start with exactly "Bearer " (reference §3.2). A matching header is
// the answer even when the rest is empty (the reference then never looks at the query).
std::optional<std::string> BearerHeader(const http::Request& request, std::string_view header) {
  if (!request.HasHeader(header)) return std::nullopt;
  const std::string_view value = request.Header(header);
  if (value.substr(0, 7) != "Bearer ") return std::nullopt;
  return std::string(value.substr(7));
}

// An empty token counts as none (the reference tests `if (!token)`).
std::optional<std::string> NonEmpty(std::optional<std::string> token) {
  if (token && token->empty()) return std::nullopt;
  return token;
}

}  // namespace

Authenticator::Outcome Authenticator::ValidateApiKey(const http::Request& request) const {
  // An empty header is no credential (the reference tests `if (!apiKey)`).
  if (request.Header("x-api-key").empty()) return {Fail(Unauthorized()), false};
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
  return BearerHeader(request, kParticipantTokenHeader);
}

std::optional<std::string> Authenticator::AccessToken(const http::Request& request) const {
  if (transport_mode() == TransportMode::kCookie) {
    return NonEmpty(request.Cookie(kAccessTokenCookie));
  }
  if (auto header = BearerHeader(request, kAccessTokenHeader)) return NonEmpty(std::move(header));
  // `?accessToken=` (for <video> playback). Express gives an array for a repeated parameter,
  // which the reference then ignores; so only a single occurrence counts.
  const auto values = request.QueryValues(kAccessTokenQuery);
  if (values.size() != 1 || values.front().empty()) return std::nullopt;
  return std::string(values.front());
}

std::optional<std::string> Authenticator::RefreshToken(const http::Request& request) const {
  if (transport_mode() == TransportMode::kCookie) {
    return NonEmpty(request.Cookie(kRefreshTokenCookie));
  }
  return NonEmpty(BearerHeader(request, kRefreshTokenHeader));
}

Authenticator::Outcome Authenticator::ValidateUser(const http::Request& request,
                                                   std::string_view required_role) const {
  if (user_tokens_ == nullptr || !user_lookup_) return {Fail(Unauthorized()), false};
  auto token = AccessToken(request);
  if (!token) return {Fail(Unauthorized()), false};
  // Only an access token signed with the user-token key verifies here: participant tokens (LiveKit
  // key, no `typ`) and refresh tokens (`typ` "refresh") are "Invalid token" (deviations §1.2).
  auto claims = user_tokens_->Verify(*token, UserTokenType::kAccess);
  if (!claims) return {Fail(Unauthorized("Invalid token")), true};
  auto user = user_lookup_(claims->username);
  if (!user) return {Fail(InvalidTokenSubject()), true};
  if (std::find(user->roles.begin(), user->roles.end(), required_role) == user->roles.end()) {
    return {Fail(InsufficientPermissions()), false};
  }
  Principal principal{Principal::Kind::kUser, std::move(user->username), std::move(user->roles),
                      std::nullopt, {}};
  return {std::move(principal), false};
}

Principal Authenticator::AnonymousOrUser(const http::Request& request) const {
  // ANON attaches the access-token user when a valid one is present, else `anonymous` (§3.1).
  if (user_tokens_ != nullptr && user_lookup_) {
    if (auto token = AccessToken(request)) {
      if (auto claims = user_tokens_->Verify(*token, UserTokenType::kAccess)) {
        if (auto user = user_lookup_(claims->username)) {
          return Principal{Principal::Kind::kUser, std::move(user->username),
                           std::move(user->roles), std::nullopt, {}};
        }
      }
    }
  }
  return Principal{Principal::Kind::kAnonymous, "anonymous", {"user"}, std::nullopt, {}};
}

Authenticator::Outcome Authenticator::ValidateParticipant(const http::Request& request) const {
  auto token = ParticipantToken(request);
  if (!token) return {Fail(Unauthorized()), false};
  // Reference order (§10.10): signature and times, then the role header, then the metadata.
  auto checked = participant_tokens_.Check(*token, tokens::ParticipantTokenCodec::Expiry::kMustBeValid);
  if (!checked && checked.error() == tokens::ParticipantTokenCodec::Problem::kInvalid) {
    return {Fail(Unauthorized("Invalid token")), true};
  }
  auto role = domain::ParseParticipantRole(request.Header(kParticipantRoleHeader));
  if (!role) {
    return {Fail(Error::Make(ErrorCode::kInvalidArgument, "Participant Error", "No valid participant role provided")),
            true};
  }
  if (!checked) {
    return {Fail(Error::Make(ErrorCode::kInvalidArgument, "Participant Error", "Invalid participant token")), true};
  }
  std::optional<tokens::ParticipantClaims> claims = std::move(*checked);
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
        outcome = {AnonymousOrUser(request), false};
        break;
      case Validator::kParticipant:
        outcome = ValidateParticipant(request);
        break;
      case Validator::kAdmin:
        outcome = ValidateUser(request, "admin");
        break;
      case Validator::kUser:
        outcome = ValidateUser(request, "user");
        break;
    }
    if (outcome.result) return outcome.result;
    last = std::move(outcome.result);
    if (outcome.stop) break;
  }
  return last;
}

}  // namespace convene::auth
