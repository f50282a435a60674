#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "auth/principal.hpp"
#include "core/result.hpp"

namespace convene::registry {
class ParticipantRegistry;
}

namespace convene::api {

/// The room-scoped part of participant authorization, after the Authenticator verified the token
/// and the x-participant-role header: the token must be for `room_id`, with `require_moderator` the
/// selected role must be moderator, and the registry — the source of truth for roles — must still
/// grant that role to the token's identity, so a demotion revokes older tokens at once (B3) and a
/// token whose identity has no record grants nothing.
/// Fails with 403 `Insufficient permissions to access this resource`.
boost::asio::awaitable<Result<void>> AuthorizeParticipant(const auth::Principal& principal, std::string_view room_id,
                                                          bool require_moderator,
                                                          registry::ParticipantRegistry& registry);

/// `moderatorUrl` is shown to moderators by secret only: not to speakers, and not to participants
/// who are moderators by promotion, nor to a demoted one (deviations §2.3).
boost::asio::awaitable<bool> MaySeeModeratorUrl(const auth::Principal& principal, std::string_view room_id,
                                                registry::ParticipantRegistry& registry);

}  // namespace convene::api
