#include "service/participant_service.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth/authenticator.hpp"
#include "domain/participant_identity.hpp"
#include "registry/participant_registry.hpp"
#include "service/livekit_rooms.hpp"
#include "service/room_service.hpp"
#include "tokens/role_grant.hpp"

namespace convene::service {

using domain::ParticipantRole;

namespace {

Error InvalidParticipantToken() {
  return Error::Make(ErrorCode::kInvalidArgument, "Participant Error", "Invalid participant token");
}

}  // namespace

Error ParticipantNotFound(std::string_view room_id, std::string_view identity) {
  return Error::Make(ErrorCode::kNotFound, "Participant Error",
                     fmt::format("Participant '{}' not found in room '{}'", identity, room_id));
}

ParticipantService::ParticipantService(RoomService& rooms, registry::ParticipantRegistry& registry,
                                       LiveKitRooms& livekit, const tokens::ParticipantTokenCodec& token_codec,
                                       const tokens::RoleGrantCodec& grants, const Clock& clock, Random& random,
                                       ParticipantServiceOptions options)
    : rooms_(rooms), registry_(registry), livekit_(livekit), token_codec_(token_codec), grants_(grants),
      clock_(clock), random_(random), options_(options) {}

boost::asio::awaitable<Result<RoomAccess>> ParticipantService::ResolveAccess(std::string_view room_id,
                                                                             std::string_view secret,
                                                                             GrantUse use) {
  auto room = co_await rooms_.Get(room_id);
  if (!room) co_return Fail(room.error());
  RoomAccess access;
  if (tokens::RoleGrantCodec::LooksLikeGrant(secret)) {
    const auto expiry = use == GrantUse::kRefresh ? tokens::RoleGrantCodec::Expiry::kAllowExpired
                                                  : tokens::RoleGrantCodec::Expiry::kMustBeValid;
    auto grant = grants_.Verify(secret, expiry);
    if (!grant || grant->room_id != room->room_id) {
      co_return Fail(domain::UnrecognizedSecret(secret, room_id));
    }
    // A grant stands only while the registry still records what it granted, at the version it
    // was issued at: a later role change or the end of the meeting voids it (deviations §2.2).
    auto record = co_await registry_.Get(room->room_id, grant->identity);
    if (!record) co_return Fail(record.error());
    if (!*record || (*record)->grant_version != grant->version || !(*record)->HasRole(grant->role)) {
      co_return Fail(domain::UnrecognizedSecret(secret, room_id));
    }
    access.role = grant->role;
    access.from_grant = true;
    access.grant_identity = grant->identity;
  } else {
    auto role = domain::RoleForSecret(*room, secret);
    if (!role) co_return Fail(domain::UnrecognizedSecret(secret, room_id));
    access.role = *role;
  }
  access.room = std::move(*room);
  co_return access;
}

Result<void> ParticipantService::CheckOpen(const domain::Room& room) const {
  // Deviations §4: also for tokens without a name, so the frontend's pre-join check sees the 409.
  if (room.status == domain::RoomStatus::kClosed) {
    return Fail(Error::Make(ErrorCode::kFailedPrecondition, "Room Error",
                            fmt::format("Room '{}' is closed and cannot be joined", room.room_id)));
  }
  return {};
}

IssuedToken ParticipantService::Sign(tokens::ParticipantClaims claims) const {
  IssuedToken issued;
  issued.token = token_codec_.Mint(claims);
  claims.expires_at = clock_.NowSeconds() + token_codec_.ttl_seconds();
  issued.claims = std::move(claims);
  return issued;
}

boost::asio::awaitable<Result<IssuedToken>> ParticipantService::AdmitNamed(
    const ParticipantTokenRequest& request, const RoomAccess& access, bool refresh,
    std::optional<std::string> owned_identity) {
  registry::AdmissionRequest admission;
  admission.mode = refresh ? registry::AdmissionRequest::Mode::kRefresh : registry::AdmissionRequest::Mode::kGenerate;
  admission.room_id = access.room.room_id;
  admission.name = *request.name;
  if (!refresh) admission.identity = request.identity;
  admission.owned_identity = std::move(owned_identity);
  admission.identity_suffix = domain::IdentitySuffixFrom(random_.Bytes(domain::kIdentitySuffixChars));
  admission.role = access.role;
  admission.role_from_grant = access.from_grant;
  // The room's own limit, within the deployment's: a full room answers 409 `Room '<id>' is full`.
  admission.max_participants = access.room.config.max_participants;
  if (const auto cap = options_.max_participants_per_room;
      cap && (!admission.max_participants || *cap < *admission.max_participants)) {
    admission.max_participants = cap;
  }
  admission.now_ms = clock_.NowMs();
  // The record outlives the token it is about to back by the refresh grace (deviations §5.1).
  admission.usable_until_ms =
      admission.now_ms + (token_codec_.ttl_seconds() + options_.refresh_grace_seconds) * 1000;
  auto record = co_await registry_.Admit(std::move(admission));
  if (!record) co_return Fail(record.error());

  // The reservation exists now; every later failure must undo it (R11).
  const std::string& room_id = access.room.room_id;
  auto ensured = co_await livekit_.Ensure(access.room);
  if (!ensured) {
    co_await registry_.Rollback(room_id, record->identity, record->generation);
    co_return Fail(ensured.error());
  }
  if (*ensured) {
    // The LiveKit room was created just now, from a room read before: if the room was deleted
    // meanwhile, its deletion may have run before the LiveKit room existed and left it behind.
    // Deleting it here leaves no orphan (whichever of the two runs last removes it).
    auto still = co_await rooms_.Get(room_id);
    if (!still) {
      co_await registry_.Rollback(room_id, record->identity, record->generation);
      if (still.error().code == ErrorCode::kNotFound) co_await livekit_.Delete(room_id, "deleted room");
      co_return Fail(still.error());
    }
  }
  tokens::ParticipantClaims claims;
  claims.room_id = access.room.room_id;
  claims.identity = record->identity;
  claims.name = record->name;
  claims.room_join = true;
  claims.roles = record->roles;
  claims.selected_role = record->selected_role;
  co_return Sign(std::move(claims));
}

boost::asio::awaitable<Result<IssuedToken>> ParticipantService::Generate(
    const ParticipantTokenRequest& request, const RoomAccess& access, std::optional<std::string> previous_cookie) {
  if (auto open = CheckOpen(access.room); !open) co_return Fail(open.error());

  // A previous token counts only if it verifies, is unexpired and is for this very room
  // (deviations §1.3; fixes B1, B2). Anything else is silently ignored, as the reference does.
  // It proves which identity its holder has, nothing more: roles come from the registry's record
  // of that identity (deviations §1.5).
  std::optional<std::string> owned_identity;
  if (access.from_grant) {
    // A role grant is proof of being the participant it was issued to, and of nobody else.
    if (request.identity && *request.identity != access.grant_identity) {
      co_return Fail(domain::UnrecognizedSecret(request.secret, access.room.room_id));
    }
    owned_identity = access.grant_identity;
  } else if (previous_cookie) {
    auto previous = token_codec_.Verify(*previous_cookie, tokens::ParticipantTokenCodec::Expiry::kMustBeValid);
    if (previous && previous->room_id == access.room.room_id && previous->identity) {
      owned_identity = previous->identity;
    }
  }

  if (request.name) {
    co_return co_await AdmitNamed(request, access, false, std::move(owned_identity));
  }

  // A token without a name (the frontend's pre-join check) reserves nothing and cannot join; it
  // carries only the role its secret proves and, unlike the reference, never a caller-chosen
  // identity (which a later refresh would bind to).
  tokens::ParticipantClaims claims;
  claims.room_id = access.room.room_id;
  claims.room_join = false;
  claims.roles = {access.role};
  claims.selected_role = access.role;
  if (owned_identity) claims.identity = owned_identity;
  co_return Sign(std::move(claims));
}

boost::asio::awaitable<Result<IssuedToken>> ParticipantService::Refresh(
    const ParticipantTokenRequest& request, const RoomAccess& access, std::optional<std::string> previous_token) {
  if (!previous_token || previous_token->empty()) {
    co_return Fail(Error::Make(ErrorCode::kInvalidArgument, "Participant Error", "No participant token provided"));
  }
  // Refresh is what a client does after expiry, so an expired token is fine within the grace.
  auto previous = token_codec_.Verify(*previous_token, tokens::ParticipantTokenCodec::Expiry::kAllowExpired,
                                      options_.refresh_grace_seconds);
  if (!previous || previous->room_id != access.room.room_id) co_return Fail(InvalidParticipantToken());
  if (auto open = CheckOpen(access.room); !open) co_return Fail(open.error());

  // Refresh is bound to its owner (deviations §1.4; fixes B4).
  if (request.identity && request.identity != previous->identity) {
    co_return Fail(auth::InsufficientPermissions());
  }
  if (access.from_grant && previous->identity != access.grant_identity) {
    co_return Fail(auth::InsufficientPermissions());
  }

  if (!request.name) {
    tokens::ParticipantClaims claims;
    claims.room_id = access.room.room_id;
    claims.identity = previous->identity;
    claims.room_join = false;
    claims.roles = {access.role};
    claims.selected_role = access.role;
    co_return Sign(std::move(claims));
  }
  if (!request.identity) {
    co_return Fail(Error::Make(ErrorCode::kInvalidArgument, "Participant Error", "No participant identity provided"));
  }
  const std::string& identity = *request.identity;
  const std::string& room_id = access.room.room_id;

  auto banned = co_await registry_.IsBanned(room_id, identity);
  if (!banned) co_return Fail(banned.error());
  if (*banned) co_return Fail(registry::ParticipantBanned(room_id, identity));

  // The participant must be in the meeting (reference §10.5). The registry knows from LiveKit's
  // webhooks; only when it does not is LiveKit asked.
  auto record = co_await registry_.Get(room_id, identity);
  if (!record) co_return Fail(record.error());
  if (!*record || (*record)->presence != registry::Presence::kJoined) {
    auto participant = co_await livekit_.client().GetParticipant(room_id, identity);
    if (!participant) {
      if (participant.error().code == ErrorCode::kUnavailable) {
        co_return Fail(LiveKitFailure(participant.error(), ""));
      }
      co_return Fail(ParticipantNotFound(room_id, identity));
    }
  }
  co_return co_await AdmitNamed(request, access, true, identity);
}

}  // namespace convene::service
