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

constexpr std::array kMigrations{
    Migration{1, "rooms table", kCreateRooms},
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
