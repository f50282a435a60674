#include "store/postgres/pg_schema.hpp"

#include <array>
#include <string>

namespace convene::store::postgres {
namespace {

// Migration 1: the whole SQLite schema (its migrations 1 and 2) at once. Notes:
// - Every std::string that the domain treats as a byte string — the roomId and whatever is
//   derived from it or comes from outside (room name, secrets, the outbox's ordering key, body and
//   last error) — is `bytea`, not `text`: PostgreSQL's text rejects bytes that are not valid
//   UTF-8 (and NUL), which SQLite and the in-memory fake accept, and bytea compares with memcmp,
//   which is exactly the ascending byte order ListRooms promises — on every server, whatever its
//   collation (a text key would need COLLATE "C" for that). Range conditions on room_id use the
//   primary key's B-tree directly.
// - Settings columns are text: they only ever come from validated JSON and the environment.
// - Enums are stored as their wire spelling without CHECK constraints, as in SQLite; the stores
//   reject unknown spellings when reading.
// - rooms_by_auto_deletion_date serves ListExpiredRooms; most rooms have no auto-deletion date.
//   fillfactor 90 leaves room on each page for HOT updates (a status change rewrites the row).
// - webhook_outbox: seq (an identity) gives insertion order, which is delivery order per
//   ordering_key. `head` flags each key's oldest pending event, the only one that may be
//   attempted, so that Due() and NextDueAt() read the small partial index of heads instead of
//   every pending event. Unlike SQLite's single writer, PostgreSQL runs transactions
//   concurrently, so the stores keep `head` exact by taking a transaction-scoped advisory lock on
//   the ordering key before inserting an event or finishing a head (postgres_outbox_store.cpp).
//   There is no lease/claim column: with several instances only the elected leader runs the
//   delivery worker, so no two workers attempt an event at once.
constexpr const char* kCreateEverything = R"sql(
CREATE TABLE rooms (
  room_id                        bytea   NOT NULL PRIMARY KEY,
  room_name                      bytea   NOT NULL,
  creation_date                  bigint  NOT NULL,
  auto_deletion_date             bigint,
  auto_deletion_with_meeting     text    NOT NULL,
  auto_deletion_with_recordings  text    NOT NULL,
  recording_enabled              boolean NOT NULL,
  recording_allow_access_to      text,
  chat_enabled                   boolean NOT NULL,
  virtual_background_enabled     boolean NOT NULL,
  max_participants               bigint  CHECK (max_participants BETWEEN 0 AND 4294967295),
  moderator_secret               bytea   NOT NULL,
  speaker_secret                 bytea   NOT NULL,
  status                         text    NOT NULL,
  meeting_end_action             text    NOT NULL
) WITH (fillfactor = 90);

CREATE INDEX rooms_by_auto_deletion_date ON rooms (auto_deletion_date)
  WHERE auto_deletion_date IS NOT NULL;

CREATE TABLE global_config (
  singleton                 integer NOT NULL PRIMARY KEY CHECK (singleton = 1),
  project_id                text    NOT NULL,
  auth_mode_to_access_room  text    NOT NULL,
  auth_transport_mode       text    NOT NULL,
  webhooks_enabled          boolean NOT NULL,
  webhooks_url              text,
  themes_json               text    NOT NULL
);

CREATE TABLE users (
  username       text NOT NULL PRIMARY KEY,
  password_hash  text NOT NULL,
  roles_json     text NOT NULL
);

CREATE TABLE api_keys (
  position       integer NOT NULL PRIMARY KEY,
  api_key        text    NOT NULL,
  creation_date  bigint  NOT NULL
);

CREATE TABLE webhook_outbox (
  seq                 bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                  text    NOT NULL UNIQUE,
  ordering_key        bytea   NOT NULL,
  event_type          text    NOT NULL,
  body                bytea   NOT NULL,
  created_at_ms       bigint  NOT NULL,
  status              text    NOT NULL,
  attempts            integer NOT NULL,
  next_attempt_at_ms  bigint  NOT NULL,
  last_error          bytea   NOT NULL,
  head                boolean NOT NULL
);

CREATE INDEX outbox_heads_by_next_attempt ON webhook_outbox (next_attempt_at_ms)
  WHERE status = 'pending' AND head;
CREATE INDEX outbox_pending_by_key ON webhook_outbox (ordering_key, seq)
  WHERE status = 'pending';
CREATE INDEX outbox_by_status ON webhook_outbox (status, seq);
)sql";

constexpr std::array kMigrations{
    PgMigration{1, "rooms, settings and webhook outbox", kCreateEverything},
};

constexpr bool VersionsAreContiguous() {
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    if (kMigrations[i].version != static_cast<std::int32_t>(i) + 1) return false;
  }
  return true;
}
static_assert(VersionsAreContiguous());

// "Conv": the advisory-lock class of Convene's migrations; the second key is the schema's hash,
// so deployments in different schemas of one database do not wait for each other.
constexpr const char* kLock =
    "SELECT pg_advisory_xact_lock(1131376246, hashtext(coalesce(current_schema(), '')))";
constexpr const char* kCreateVersions =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer NOT NULL PRIMARY KEY,"
    " description text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
constexpr const char* kCurrentVersion =
    "SELECT coalesce(max(version), 0)::integer FROM schema_migrations";
constexpr const char* kRecordVersion =
    "INSERT INTO schema_migrations (version, description) VALUES ($1::integer, $2::text)";

// The one integer a version query answers.
asio::awaitable<Result<std::int32_t>> QueryInt(PgConnection& connection, const char* sql) {
  const PgParams none;
  Result<PgResult> result =
      co_await connection.Query(sql, none, StatementKind::kRead, connection.DefaultDeadline());
  if (!result) co_return Fail(std::move(result.error()));
  if (Result<void> typed = result->CheckTypes({PgResult::Type::kInt4}); !typed) {
    co_return Fail(std::move(typed.error()));
  }
  co_return result->Int32(0, 0);
}

asio::awaitable<Result<void>> MigrateInTransaction(PgConnection& connection) {
  const PgParams none;
  Result<PgResult> locked =
      co_await connection.Query(kLock, none, StatementKind::kRead, connection.DefaultDeadline());
  if (!locked) co_return Fail(std::move(locked.error()));
  Result<PgResult> created = co_await connection.ExecuteScript(
      kCreateVersions, StatementKind::kWrite, connection.DefaultDeadline());
  if (!created) co_return Fail(std::move(created.error()));
  Result<std::int32_t> current = co_await QueryInt(connection, kCurrentVersion);
  if (!current) co_return Fail(std::move(current.error()));
  const std::int32_t version = *current;
  const std::int32_t latest = PgLatestSchemaVersion();
  if (version > latest) {
    co_return Fail(Error::Internal("database schema version " + std::to_string(version) +
                                   " is newer than this build supports (" +
                                   std::to_string(latest) + "); refusing to use it"));
  }
  for (const PgMigration& migration : PgMigrations()) {
    if (migration.version <= version) continue;
    Result<PgResult> applied = co_await connection.ExecuteScript(
        migration.sql, StatementKind::kWrite, connection.DefaultDeadline());
    if (!applied) {
      Error error = std::move(applied.error());
      error.message = "schema migration " + std::to_string(migration.version) + " (" +
                      std::string(migration.description) + ") failed: " + error.message;
      co_return Fail(std::move(error));
    }
    PgParams record;
    record.Int32(migration.version).Bytes(migration.description);
    Result<PgResult> recorded = co_await connection.Query(
        kRecordVersion, record, StatementKind::kWrite, connection.DefaultDeadline());
    if (!recorded) co_return Fail(std::move(recorded.error()));
  }
  co_return Result<void>();
}

}  // namespace

std::span<const PgMigration> PgMigrations() { return kMigrations; }

std::int32_t PgLatestSchemaVersion() { return kMigrations.back().version; }

asio::awaitable<Result<void>> MigratePg(PgConnection& connection) {
  Result<PgResult> begun =
      co_await connection.ExecuteScript("BEGIN", StatementKind::kRead, connection.DefaultDeadline());
  if (!begun) co_return Fail(std::move(begun.error()));
  Result<void> migrated = co_await MigrateInTransaction(connection);
  // Also commits when nothing was pending: it only ends the transaction and frees the lock.
  const char* end = migrated ? "COMMIT" : "ROLLBACK";
  Result<PgResult> ended = co_await connection.ExecuteScript(
      end, migrated ? StatementKind::kCommit : StatementKind::kRead, connection.DefaultDeadline());
  if (!migrated) co_return migrated;
  if (!ended) co_return Fail(std::move(ended.error()));
  co_return Result<void>();
}

asio::awaitable<Result<void>> VerifyPgSchema(PgConnection& connection) {
  Result<std::int32_t> exists =
      co_await QueryInt(connection, "SELECT (to_regclass('schema_migrations') IS NOT NULL)::integer");
  if (!exists) co_return Fail(std::move(exists.error()));
  if (*exists == 0) {
    co_return Fail(Error::Make(ErrorCode::kNotFound, "Not Found", "no Convene schema in the database"));
  }
  Result<std::int32_t> version = co_await QueryInt(connection, kCurrentVersion);
  if (!version) co_return Fail(std::move(version.error()));
  if (*version != PgLatestSchemaVersion()) {
    co_return Fail(Error::Internal("database schema version " + std::to_string(*version) +
                                   ", this build's is " + std::to_string(PgLatestSchemaVersion())));
  }
  co_return Result<void>();
}

}  // namespace convene::store::postgres
