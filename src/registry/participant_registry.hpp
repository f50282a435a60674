#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "domain/participant_role.hpp"

namespace convene::registry {

/// Where a participant is in its life (deviations §3.3). A participant that left, or whose
/// reservation lapsed, holds no name any more; its record stays `departed` (roles, demotion, ban
/// and grant version kept) until no token issued to it can be used.
enum class Presence { kReserved, kJoined, kDeparted };

/// One identity in one room: the single source of truth for its name, roles and admission.
struct ParticipantRecord {
  std::string identity;
  std::string name;  // display name as allocated, original case kept (departed: the last one)
  std::vector<domain::ParticipantRole> roles;  // server-authoritative role set, in order granted
  domain::ParticipantRole selected_role = domain::ParticipantRole::kSpeaker;
  bool promoted = false;  // moderator through a role change, not through the moderator secret
  bool demoted = false;   // moderator removed by a role change; the moderator secret cannot undo it
  bool moderator_secret_holder = false;  // proved the room's moderator secret at least once
  Presence presence = Presence::kReserved;
  std::int64_t reserved_at_ms = 0;  // last token issued for this identity
  std::int64_t joined_at_ms = 0;
  std::uint64_t generation = 0;     // changes on every admission; guards Rollback
  std::uint64_t created_generation = 0;  // the admission that created the entry
  /// Changes with every role change and at the end of every meeting; a role grant is valid only
  /// at the version it was issued at (deviations §2.2).
  std::uint32_t grant_version = 0;
  /// Until when a token issued to this identity may be used (last expiry plus refresh grace):
  /// the record is kept at least that long, even after the participant left.
  std::int64_t usable_until_ms = 0;

  bool HasRole(domain::ParticipantRole role) const;
};

/// One token request, after the room, secret and previous token were checked by the caller.
struct AdmissionRequest {
  enum class Mode { kGenerate, kRefresh };
  Mode mode = Mode::kGenerate;
  std::string room_id;
  /// Requested display name; non-empty (tokens without a name reserve nothing).
  std::string name;
  /// Generate only: a caller-supplied `participantIdentity`. It must not belong to anybody else,
  /// present or departed (deviations §3.4). nullopt = a new identity is minted from the allocated
  /// name and `identity_suffix` (domain::MintIdentity).
  std::optional<std::string> identity;
  /// The identity the caller proved to hold: the `sub` of a verified, same-room previous token,
  /// or the identity of a role grant. Required for refresh (the identity being refreshed); on
  /// generate it lets a reload keep its identity, name and recorded roles. Roles are never taken
  /// from the token itself: only from the registry's record of that identity.
  std::optional<std::string> owned_identity;
  /// Random part of a minted identity (domain::IdentitySuffixFrom).
  std::string identity_suffix;
  /// The role proven by this request's secret or role grant.
  domain::ParticipantRole role = domain::ParticipantRole::kSpeaker;
  /// True when `role` comes from a participant-scoped role grant, not from a room secret.
  bool role_from_grant = false;
  std::optional<std::uint32_t> max_participants;
  std::int64_t now_ms = 0;
  /// Expiry plus refresh grace of the token about to be issued (ParticipantRecord::usable_until_ms).
  std::int64_t usable_until_ms = 0;
};

/// The participant registry (deviations §3–§5): atomic unique-name allocation (case-insensitive,
/// lowest free `_N`), ownership, presence-bound lifetime, bans and admission. Each method is one
/// atomic step per room. The in-process implementation serves one instance; the Redis one many.
///
/// Errors: 403 `Participant Error` for a banned identity, 409 `Room Error` `Room '<id>' is full`,
/// 409 `Participant Error` `Participant '<identity>' already exists in room '<id>'`.
class ParticipantRegistry {
 public:
  virtual ~ParticipantRegistry() = default;

  /// Admits one participant: reuses the record of an owned identity (present: same name unless
  /// another one is asked for; departed: a name is allocated again), or allocates a unique name
  /// for a new identity. Roles: the record's roles plus the request's role — except that a
  /// demoted identity never regains moderator. An owned identity without a record gets only the
  /// role proven now.
  virtual boost::asio::awaitable<Result<ParticipantRecord>> Admit(AdmissionRequest request) = 0;
  /// Undoes an Admit whose token could not be issued (R11). Removes the entry only if it is still
  /// the reservation made by that admission (`generation`) and was created by it.
  virtual boost::asio::awaitable<Result<void>> Rollback(std::string_view room_id, std::string_view identity,
                                                        std::uint64_t generation) = 0;
  /// LiveKit reported the participant joined. Returns false when the identity is banned (the caller
  /// removes it again). An unknown identity (joined with an external token) is recorded too, so
  /// its name is no longer handed out.
  virtual boost::asio::awaitable<Result<bool>> MarkJoined(std::string_view room_id, std::string_view identity,
                                                          std::string_view name, std::int64_t now_ms) = 0;
  /// LiveKit reported the participant left: releases the name only if this identity holds it
  /// under that name (R4). Returns whether something was released.
  virtual boost::asio::awaitable<Result<bool>> MarkLeft(std::string_view room_id, std::string_view identity,
                                                        std::string_view name) = 0;
  /// Kick: the identity is banned until the meeting ends and its name released. Durable once
  /// the call returns.
  /// `now_ms` bounds how long the ban of an identity without a record is kept.
  virtual boost::asio::awaitable<Result<void>> Ban(std::string_view room_id, std::string_view identity,
                                                   std::int64_t now_ms) = 0;
  /// Lifts a ban that was placed for a kick that then failed (the name stays released).
  virtual boost::asio::awaitable<Result<void>> Unban(std::string_view room_id, std::string_view identity) = 0;
  /// Role change of a present participant: the roles become exactly {role}; `promoted`/`demoted`
  /// are updated and the grant version moves on. Durable once the call returns. nullopt when the
  /// identity is not present (reserved or joined).
  virtual boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> SetRole(
      std::string_view room_id, std::string_view identity, domain::ParticipantRole role) = 0;
  /// Puts back the role state of `previous` (roles, selected role, promoted/demoted flags) when a
  /// role change could not be completed on LiveKit. No-op if the identity is gone.
  virtual boost::asio::awaitable<Result<void>> RestoreRoles(std::string_view room_id,
                                                            const ParticipantRecord& previous) = 0;
  /// The record of an identity: present, or departed but still usable (Presence::kDeparted).
  virtual boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> Get(std::string_view room_id,
                                                                               std::string_view identity) = 0;
  virtual boost::asio::awaitable<Result<bool>> IsBanned(std::string_view room_id, std::string_view identity) = 0;
  /// The present (reserved or joined) participants of a room, by identity.
  virtual boost::asio::awaitable<Result<std::vector<ParticipantRecord>>> List(std::string_view room_id) = 0;
  /// The meeting ended at `finished_at_ms`: releases every entry not admitted after that moment
  /// (R6), lifts the room's bans and voids every role grant of the room.
  virtual boost::asio::awaitable<Result<void>> FinishMeeting(std::string_view room_id,
                                                             std::int64_t finished_at_ms) = 0;
  /// Reconciliation: releases a `reserved` entry whose last token is older than `reserved_before_ms`.
  virtual boost::asio::awaitable<Result<bool>> ReleaseStale(std::string_view room_id, std::string_view identity,
                                                            std::int64_t reserved_before_ms) = 0;
  /// Rooms that currently have present participants or bans.
  virtual boost::asio::awaitable<Result<std::vector<std::string>>> Rooms() = 0;
  /// The room was deleted: its names, presence and bans go; the records of its participants stay
  /// departed until their tokens expire (grants voided, as at the end of a meeting).
  virtual boost::asio::awaitable<Result<void>> ForgetRoom(std::string_view room_id) = 0;
  /// Drops departed records whose tokens can no longer be used (usable_until_ms < now_ms).
  virtual boost::asio::awaitable<Result<void>> Prune(std::int64_t now_ms) = 0;
};

using ParticipantRegistryPtr = std::unique_ptr<ParticipantRegistry>;

Error RoomFull(std::string_view room_id);
Error ParticipantBanned(std::string_view room_id, std::string_view identity);
Error IdentityTaken(std::string_view room_id, std::string_view identity);

}  // namespace convene::registry
