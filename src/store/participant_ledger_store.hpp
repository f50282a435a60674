#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "domain/participant_role.hpp"

namespace convene::store {

/// What the server recorded about one participant identity of one room: the security-relevant
/// part of the participant registry (deviations §1.5, §2, §5.1). It outlives the participant's
/// presence — it is kept until no token issued to the identity can be used any more
/// (`usable_until_ms`: the last token's expiry plus the refresh grace) — so a role change, a
/// demotion or a ban holds after the participant left, after its name went to somebody else and
/// after a restart.
struct ParticipantLedgerEntry {
  std::string room_id;
  std::string identity;
  std::string name;  // the display name last allocated to it (informational)
  std::vector<domain::ParticipantRole> roles;
  domain::ParticipantRole selected_role = domain::ParticipantRole::kSpeaker;
  bool promoted = false;
  bool demoted = false;
  bool moderator_secret_holder = false;
  bool banned = false;
  /// Changes with every role change and at the end of every meeting: a role grant names the
  /// version it was issued at and is void once it differs.
  std::uint32_t grant_version = 0;
  std::int64_t usable_until_ms = 0;

  friend bool operator==(const ParticipantLedgerEntry&, const ParticipantLedgerEntry&) = default;
};

/// One change to the ledger; a batch of them commits in one transaction, in order.
struct ParticipantLedgerChange {
  enum class Kind {
    kUpsert,       // `entry` replaces the row of (entry.room_id, entry.identity)
    kRemove,       // the row of (room_id, identity) goes (an admission rolled back)
    kEndMeeting,   // every row of room_id: ban lifted, grant_version + 1
    kForgetRoom,   // every row of room_id goes (the room was deleted)
    kPrune,        // every row with usable_until_ms < now_ms goes
  };
  Kind kind = Kind::kUpsert;
  ParticipantLedgerEntry entry;
  std::string room_id;
  std::string identity;
  std::int64_t now_ms = 0;

  static ParticipantLedgerChange Upsert(ParticipantLedgerEntry entry);
  static ParticipantLedgerChange Remove(std::string room_id, std::string identity);
  static ParticipantLedgerChange EndMeeting(std::string room_id);
  static ParticipantLedgerChange ForgetRoom(std::string room_id);
  static ParticipantLedgerChange Prune(std::int64_t now_ms);
};

/// Durable storage of the ledger (the embedded mode's; the Redis registry keeps its own in
/// Redis). Implementations: SQLite (`participant_identities`, migration 3) and memory (tests).
class ParticipantLedgerStore {
 public:
  virtual ~ParticipantLedgerStore() = default;
  virtual boost::asio::awaitable<Result<std::optional<ParticipantLedgerEntry>>> Find(
      std::string_view room_id, std::string_view identity) = 0;
  /// Every banned identity that may still be used (start-up: bans are held in memory).
  virtual boost::asio::awaitable<Result<std::vector<ParticipantLedgerEntry>>> ListBanned(std::int64_t now_ms) = 0;
  /// Applies `changes` in order, all or nothing.
  virtual boost::asio::awaitable<Result<void>> Apply(std::vector<ParticipantLedgerChange> changes) = 0;
};

/// "moderator,speaker" and back; unknown spellings are dropped by the parser.
std::string RolesToText(const std::vector<domain::ParticipantRole>& roles);
std::vector<domain::ParticipantRole> RolesFromText(std::string_view text);

/// Applies one change to an in-memory copy of a row (nullopt = no row); shared by the memory
/// store and the registry's overlay of changes not yet committed, so both read alike.
void ApplyToEntry(const ParticipantLedgerChange& change, std::optional<ParticipantLedgerEntry>& row);

}  // namespace convene::store
