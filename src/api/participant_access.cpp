#include "api/participant_access.hpp"

#include "auth/authenticator.hpp"
#include "registry/participant_registry.hpp"

namespace convene::api {

using domain::ParticipantRole;

boost::asio::awaitable<Result<void>> AuthorizeParticipant(const auth::Principal& principal, std::string_view room_id,
                                                          bool require_moderator,
                                                          registry::ParticipantRegistry& registry) {
  if (principal.kind != auth::Principal::Kind::kParticipant) co_return Result<void>{};
  const auto& claims = *principal.participant;
  if (claims.room_id != room_id) co_return Fail(auth::InsufficientPermissions());
  if (require_moderator && principal.participant_role != ParticipantRole::kModerator) {
    co_return Fail(auth::InsufficientPermissions());
  }
  if (claims.identity) {
    // The registry's record decides, never the token's claims (deviations §1.5): a token for an
    // identity the registry has no record of, or whose recorded roles no longer include the
    // selected one (a demotion), grants nothing.
    auto record = co_await registry.Get(room_id, *claims.identity);
    if (!record) co_return Fail(record.error());
    if (!*record || !(*record)->HasRole(principal.participant_role)) {
      co_return Fail(auth::InsufficientPermissions());
    }
    auto banned = co_await registry.IsBanned(room_id, *claims.identity);
    if (!banned) co_return Fail(banned.error());
    if (*banned) co_return Fail(auth::InsufficientPermissions());
  }
  // A token without an identity was minted from a room secret for the pre-join check: its one
  // role is exactly what that secret proved.
  co_return Result<void>{};
}

boost::asio::awaitable<bool> MaySeeModeratorUrl(const auth::Principal& principal, std::string_view room_id,
                                                registry::ParticipantRegistry& registry) {
  if (principal.kind != auth::Principal::Kind::kParticipant) co_return true;
  if (principal.participant_role != ParticipantRole::kModerator) co_return false;
  const auto& claims = *principal.participant;
  if (!claims.identity) co_return true;
  // Only an identity that itself presented the moderator secret, and is moderator now.
  auto record = co_await registry.Get(room_id, *claims.identity);
  co_return record && *record && (*record)->moderator_secret_holder &&
      (*record)->HasRole(ParticipantRole::kModerator);
}

}  // namespace convene::api
