#include "store/sqlite/schema.hpp"

#include <array>
#include <string>

namespace convene::store::sqlite {
namespace {

// Notes on migration 1:
// - STRICT makes SQLite reject a value of the wrong type instead of silently storing it.
// - WITHOUT ROWID clusters the rows on room_id: a point lookup is one B-tree search and a
//   ListRooms page is a contiguous range, instead of going index -> rowid -> table.
// - room_id uses the default BINARY collation, i.e. byte-wise order, which ListRooms promises.
// - Enums are stored as their wire spelling without CHECK constraints, because SQLite can only
//   change a CHECK by rebuilding the table; the store rejects unknown spellings when reading.
// - The partial index serves ListExpiredRooms (the auto-deletion collector); most rooms have no
//   auto_deletion_date and do not need an entry. `auto_deletion_date < ?` implies IS NOT NULL,
//   which lets SQLite use a partial index.
constexpr std::string_view kCreateRooms = R"sql(
CREATE TABLE rooms (
  room_id                        TEXT    NOT NULL PRIMARY KEY,
  room_name                      TEXT    NOT NULL,
  creation_date                  INTEGER NOT NULL,
  auto_deletion_date             INTEGER,
  auto_deletion_with_meeting     TEXT    NOT NULL,
  auto_deletion_with_recordings  TEXT    NOT NULL,
  recording_enabled              INTEGER NOT NULL CHECK (recording_enabled IN (0, 1)),
  recording_allow_access_to      TEXT,
  chat_enabled                   INTEGER NOT NULL CHECK (chat_enabled IN (0, 1)),
  virtual_background_enabled     INTEGER NOT NULL CHECK (virtual_background_enabled IN (0, 1)),
  max_participants               INTEGER CHECK (max_participants BETWEEN 0 AND 4294967295),
  moderator_secret               TEXT    NOT NULL,
  speaker_secret                 TEXT    NOT NULL,
  status                         TEXT    NOT NULL,
  meeting_end_action             TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX rooms_by_auto_deletion_date ON rooms (auto_deletion_date)
  WHERE auto_deletion_date IS NOT NULL;
)sql";

// Notes on migration 2 (deployment settings and the webhook outbox):
// - global_config has exactly one row (singleton = 1). The scalar settings are typed columns;
//   the appearance themes are a JSON array in the reference's wire shape (only ever read and
//   written whole, and a list of optional colours fits no column shape), as are a user's roles.
// - api_keys keeps the order the keys were given in (position), since "the first key" signs
//   outgoing webhooks (reference §9.4). Keys are stored in plaintext like the reference: they are
//   the HMAC key for webhooks, so they must be recoverable.
// - webhook_outbox (deviations §8): seq is the rowid, AUTOINCREMENT so it only grows even after
//   DeleteDelivered removed the newest row; insertion order is delivery order per ordering_key.
//   `head` flags each key's oldest pending event, the only one that may be attempted; the
//   writer keeps it exact (set on insert when the key has no pending event, moved to the next
//   pending event when the head is delivered or fails). That turns Due() and NextDueAt() into
//   range scans of the small partial index outbox_heads_by_next_attempt (one entry per key with
//   pending events) instead of a scan of every pending event.
// - outbox_pending_by_key finds a key's oldest pending event when a head is replaced, and
//   whether a key has pending events on insert. outbox_by_status serves List() and
//   DeleteDelivered().
constexpr std::string_view kCreateSettingsAndOutbox = R"sql(
CREATE TABLE global_config (
  singleton                 INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
  project_id                TEXT    NOT NULL,
  auth_mode_to_access_room  TEXT    NOT NULL,
  auth_transport_mode       TEXT    NOT NULL,
  webhooks_enabled          INTEGER NOT NULL CHECK (webhooks_enabled IN (0, 1)),
  webhooks_url              TEXT,
  themes_json               TEXT    NOT NULL
) STRICT;

CREATE TABLE users (
  username       TEXT NOT NULL PRIMARY KEY,
  password_hash  TEXT NOT NULL,
  roles_json     TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE api_keys (
  position       INTEGER NOT NULL PRIMARY KEY,
  api_key        TEXT    NOT NULL,
  creation_date  INTEGER NOT NULL
) STRICT;

CREATE TABLE webhook_outbox (
  seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
  id                  TEXT    NOT NULL UNIQUE,
  ordering_key        TEXT    NOT NULL,
  event_type          TEXT    NOT NULL,
  body                TEXT    NOT NULL,
  created_at_ms       INTEGER NOT NULL,
  status              TEXT    NOT NULL,
  attempts            INTEGER NOT NULL,
  next_attempt_at_ms  INTEGER NOT NULL,
  last_error          TEXT    NOT NULL,
  head                INTEGER NOT NULL CHECK (head IN (0, 1))
) STRICT;

CREATE INDEX outbox_heads_by_next_attempt ON webhook_outbox (next_attempt_at_ms)
  WHERE status = 'pending' AND head = 1;
CREATE INDEX outbox_pending_by_key ON webhook_outbox (ordering_key, seq)
  WHERE status = 'pending';
CREATE INDEX outbox_by_status ON webhook_outbox (status, seq);
)sql";

// Notes on migration 3 (the participant ledger, deviations §5.1):
// - One row per participant identity a token was issued to (or that was kicked), kept until no
//   token for it can be used (usable_until_ms), so roles, demotions and bans survive the
//   participant's departure and a restart. roles is the ordered, comma-separated role list.
// - participant_identities_by_expiry serves the periodic prune; the partial index on banned rows
//   serves the start-up load of the bans (few rows), without scanning the ledger.
constexpr std::string_view kCreateParticipantLedger = R"sql(
CREATE TABLE participant_identities (
  room_id                  TEXT    NOT NULL,
  identity                 TEXT    NOT NULL,
  name                     TEXT    NOT NULL,
  roles                    TEXT    NOT NULL,
  selected_role            TEXT    NOT NULL,
  promoted                 INTEGER NOT NULL CHECK (promoted IN (0, 1)),
  demoted                  INTEGER NOT NULL CHECK (demoted IN (0, 1)),
  moderator_secret_holder  INTEGER NOT NULL CHECK (moderator_secret_holder IN (0, 1)),
  banned                   INTEGER NOT NULL CHECK (banned IN (0, 1)),
  grant_version            INTEGER NOT NULL CHECK (grant_version BETWEEN 0 AND 4294967295),
  usable_until_ms          INTEGER NOT NULL,
  PRIMARY KEY (room_id, identity)
) STRICT, WITHOUT ROWID;

CREATE INDEX participant_identities_by_expiry ON participant_identities (usable_until_ms);
CREATE INDEX participant_identities_banned ON participant_identities (room_id) WHERE banned = 1;
)sql";

constexpr std::array kMigrations{
    Migration{1, "rooms table", kCreateRooms},
    Migration{2, "settings and webhook outbox", kCreateSettingsAndOutbox},
    Migration{3, "participant ledger", kCreateParticipantLedger},
};

// Versions must be 1..N in order: Migrate() relies on it to pick the pending steps.
constexpr bool VersionsAreContiguous() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<std::int64_t>(i) + 1) return false;
  }
  return true;
}
static_assert(VersionsAreContiguous());

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

std::int64_t LatestSchemaVersion() { return kMigrations.back().version; }

Result<void> Migrate(Db& db) {
  // Reading the version inside the write transaction makes two processes opening a fresh file
  // at once safe: the second waits (busy_timeout), then sees the first one's version.
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx) return Fail(std::move(tx.error()));
  Result<std::int64_t> current = db.QueryInt64("PRAGMA user_version");
  if (!current) return Fail(std::move(current.error()));
  const std::int64_t latest = LatestSchemaVersion();
  if (*current > latest) {
    return Fail(Error::Internal("database schema version " + std::to_string(*current) +
                                " is newer than this build supports (" + std::to_string(latest) +
                                "); refusing to use it"));
  }
  if (*current == latest) return {};  // the transaction rolls back: nothing was written
  for (const Migration& migration : Migrations()) {
    if (migration.version <= *current) continue;
    if (Result<void> applied = db.Exec(migration.sql); !applied) {
      Error error = std::move(applied.error());
      error.message = "schema migration " + std::to_string(migration.version) + " (" +
                      std::string(migration.description) + ") failed: " + error.message;
      return Fail(std::move(error));
    }
  }
  // PRAGMA cannot take a bound parameter; the value is our own integer.
  if (Result<void> set = db.Exec("PRAGMA user_version = " + std::to_string(latest)); !set) {
    return Fail(std::move(set.error()));
  }
  return tx->Commit();
}

}  // namespace convene::store::sqlite
