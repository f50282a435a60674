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
    auto record = co_await registry.Get(room_id, *claims.identity);
    if (!record) co_return Fail(record.error());
    // A record without roles was learned from LiveKit (an external join, or this instance
    // restarted): it has no say, and the verified token's roles stand.
    if (*record && !(*record)->roles.empty() && !(*record)->HasRole(principal.participant_role)) {
      co_return Fail(auth::InsufficientPermissions());
    }
    auto banned = co_await registry.IsBanned(room_id, *claims.identity);
    if (!banned) co_return Fail(banned.error());
    if (*banned) co_return Fail(auth::InsufficientPermissions());
  }
  co_return Result<void>{};
}

boost::asio::awaitable<bool> MaySeeModeratorUrl(const auth::Principal& principal, std::string_view room_id,
                                                registry::ParticipantRegistry& registry) {
  if (principal.kind != auth::Principal::Kind::kParticipant) co_return true;
  if (principal.participant_role != ParticipantRole::kModerator) co_return false;
  const auto& claims = *principal.participant;
  if (!claims.identity) co_return true;
  auto record = co_await registry.Get(room_id, *claims.identity);
  co_return record && (!*record || !(*record)->promoted);
}

}  // namespace convene::api
