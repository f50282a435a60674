#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "domain/participant_role.hpp"
#include "domain/room.hpp"
#include "tokens/participant_token.hpp"

namespace convene::registry {
class ParticipantRegistry;
}
namespace convene::tokens {
class RoleGrantCodec;
}

namespace convene::service {

class RoomService;
class LiveKitRooms;

/// `POST /internal-api/v1/participants/token[/refresh]` body, validated and sanitised.
struct ParticipantTokenRequest {
  std::string room_id;
  std::string secret;                    // a room secret or a participant-scoped role grant
  std::optional<std::string> name;       // non-empty, ≤ 256 bytes
  std::optional<std::string> identity;   // non-empty
};

/// What a secret (or role grant) gives access to.
struct RoomAccess {
  domain::Room room;
  domain::ParticipantRole role = domain::ParticipantRole::kSpeaker;
  bool from_grant = false;
  std::string grant_identity;  // set when from_grant
};

struct IssuedToken {
  std::string token;
  tokens::ParticipantClaims claims;
};

struct ParticipantServiceOptions {
  /// How long after expiry a previous token may still be refreshed (MEET_PARTICIPANT_REFRESH_GRACE).
  std::int64_t refresh_grace_seconds = 24 * 3600;
  /// Deployment-wide cap on the registry entries (reserved or joined) of one room, on top of the
  /// room's own maxParticipants (MEET_MAX_PARTICIPANTS_PER_ROOM): anyone holding a room secret can
  /// request named tokens, and each reservation is held for MEET_NAME_PENDING_TTL, so without a
  /// cap a script could grow one room's registry without bound. nullopt = no cap.
  std::optional<std::uint32_t> max_participants_per_room;
};

/// The heart of Convene: room → secret → role → unique name → LiveKit room → signed token
/// (reference §10 with deviations §1, §3, §4). Both token paths share one admission sequence:
/// room exists, secret valid, room not closed, identity not banned, room not full; the name is
/// reserved atomically in the registry and rolled back if anything after it fails.
class ParticipantService {
 public:
  ParticipantService(RoomService& rooms, registry::ParticipantRegistry& registry, LiveKitRooms& livekit,
                     const tokens::ParticipantTokenCodec& token_codec, const tokens::RoleGrantCodec& grants,
                     const Clock& clock, Random& random, ParticipantServiceOptions options);

  /// How a role grant presented as the secret is to be used.
  enum class GrantUse {
    kStandalone,  // generate, role check: the grant must be unexpired
    kRefresh,     // refresh of the identity it names: an expired grant still proves that identity
  };
  /// 404 `Room '<id>' does not exist`; 400 `Secret '<s>' is not recognized for room '<id>'` — also
  /// for a role grant whose identity no longer holds the role it granted at that grant version
  /// (a later role change, the end of the meeting).
  boost::asio::awaitable<Result<RoomAccess>> ResolveAccess(std::string_view room_id, std::string_view secret,
                                                           GrantUse use = GrantUse::kStandalone);

  /// `previous_cookie`: the OvMeetParticipantToken cookie, if any (generate reads it in both modes).
  boost::asio::awaitable<Result<IssuedToken>> Generate(const ParticipantTokenRequest& request,
                                                       const RoomAccess& access,
                                                       std::optional<std::string> previous_cookie);
  /// `previous_token`: from the transport (cookie or x-participant-token); nullopt = none sent.
  boost::asio::awaitable<Result<IssuedToken>> Refresh(const ParticipantTokenRequest& request,
                                                      const RoomAccess& access,
                                                      std::optional<std::string> previous_token);

 private:
  Result<void> CheckOpen(const domain::Room& room) const;
  boost::asio::awaitable<Result<IssuedToken>> AdmitNamed(const ParticipantTokenRequest& request,
                                                         const RoomAccess& access, bool refresh,
                                                         std::optional<std::string> owned_identity);
  IssuedToken Sign(tokens::ParticipantClaims claims) const;

  RoomService& rooms_;
  registry::ParticipantRegistry& registry_;
  LiveKitRooms& livekit_;
  const tokens::ParticipantTokenCodec& token_codec_;
  const tokens::RoleGrantCodec& grants_;
  const Clock& clock_;
  Random& random_;
  ParticipantServiceOptions options_;
};

Error ParticipantNotFound(std::string_view room_id, std::string_view identity);

}  // namespace convene::service
