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

/// Where a participant is in its life (deviations §3.3). A participant that left is removed.
enum class Presence { kReserved, kJoined };

/// One identity in one room: the single source of truth for its name, roles and admission.
struct ParticipantRecord {
  std::string identity;
  std::string name;  // display name as allocated, original case kept
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

  bool HasRole(domain::ParticipantRole role) const;
};

/// One token request, after the room, secret and previous token were checked by the caller.
struct AdmissionRequest {
  enum class Mode { kGenerate, kRefresh };
  Mode mode = Mode::kGenerate;
  std::string room_id;
  /// Requested display name; non-empty (tokens without a name reserve nothing).
  std::string name;
  /// Generate only: a caller-supplied `participantIdentity`. It must not belong to anybody else
  /// (deviations §3.4). nullopt = the allocated name becomes the identity.
  std::optional<std::string> identity;
  /// The `sub` of a verified, same-room previous token: its holder owns that identity. Required for
  /// refresh (the identity being refreshed); on generate it lets a reload keep its name and roles.
  std::optional<std::string> owned_identity;
  /// Roles listed by that previous token; used only when the registry has no entry for it.
  std::vector<domain::ParticipantRole> token_roles;
  /// The role proven by this request's secret or role grant.
  domain::ParticipantRole role = domain::ParticipantRole::kSpeaker;
  /// True when `role` comes from a participant-scoped role grant, not from a room secret.
  bool role_from_grant = false;
  std::optional<std::uint32_t> max_participants;
  std::int64_t now_ms = 0;
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

  /// Admits one participant: reuses the entry of an owned identity (same name, roles kept), or
  /// allocates a unique name. Roles: the entry's (or carried) roles plus the request's role —
  /// except that a demoted identity never regains moderator.
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
  /// Kick: the identity is banned until the meeting ends and its name released.
  virtual boost::asio::awaitable<Result<void>> Ban(std::string_view room_id, std::string_view identity) = 0;
  /// Lifts a ban that was placed for a kick that then failed (the name stays released).
  virtual boost::asio::awaitable<Result<void>> Unban(std::string_view room_id, std::string_view identity) = 0;
  /// Role change: the roles become exactly {role}; `promoted`/`demoted` are updated.
  /// nullopt when the identity is unknown.
  virtual boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> SetRole(
      std::string_view room_id, std::string_view identity, domain::ParticipantRole role) = 0;
  /// Puts back the role state of `previous` (roles, selected role, promoted/demoted flags) when a
  /// role change could not be completed on LiveKit. No-op if the identity is gone.
  virtual boost::asio::awaitable<Result<void>> RestoreRoles(std::string_view room_id,
                                                            const ParticipantRecord& previous) = 0;
  virtual boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> Get(std::string_view room_id,
                                                                               std::string_view identity) = 0;
  virtual boost::asio::awaitable<Result<bool>> IsBanned(std::string_view room_id, std::string_view identity) = 0;
  virtual boost::asio::awaitable<Result<std::vector<ParticipantRecord>>> List(std::string_view room_id) = 0;
  /// The meeting ended at `finished_at_ms`: releases every entry not admitted after that moment
  /// (R6) and lifts the room's bans.
  virtual boost::asio::awaitable<Result<void>> FinishMeeting(std::string_view room_id,
                                                             std::int64_t finished_at_ms) = 0;
  /// Reconciliation: releases a `reserved` entry whose last token is older than `reserved_before_ms`.
  virtual boost::asio::awaitable<Result<bool>> ReleaseStale(std::string_view room_id, std::string_view identity,
                                                            std::int64_t reserved_before_ms) = 0;
  /// Rooms that currently have entries or bans.
  virtual boost::asio::awaitable<Result<std::vector<std::string>>> Rooms() = 0;
};

using ParticipantRegistryPtr = std::unique_ptr<ParticipantRegistry>;

Error RoomFull(std::string_view room_id);
Error ParticipantBanned(std::string_view room_id, std::string_view identity);
Error IdentityTaken(std::string_view room_id, std::string_view identity);

}  // namespace convene::registry
