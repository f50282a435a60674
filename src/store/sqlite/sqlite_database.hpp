#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"

namespace convene::store::sqlite {

class Connections;
class SqliteOutboxStore;
class SqliteParticipantLedgerStore;
class SqliteRoomStore;
class SqliteSettingsStore;

/// One Convene SQLite database, `<data_dir>/convene.db`, and the stores on it. They share one
/// writer thread and one pool of read connections, so every write of every store is serialised,
/// and a room change and the webhook events it causes commit in one transaction
/// (RoomStore::UpdateRoom with events; deviations §7.2, §8).
///
/// The database owns its stores: they must not be used after it is destroyed.
class SqliteDatabase {
 public:
  /// Creates `data_dir` if needed, opens or creates the database, applies pending migrations and
  /// starts the writer thread. The error names the path and the cause.
  static Result<std::unique_ptr<SqliteDatabase>> Open(std::string data_dir);

  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;
  /// Calls Close().
  ~SqliteDatabase();

  SqliteRoomStore& Rooms() { return *rooms_; }
  SqliteSettingsStore& Settings() { return *settings_; }
  SqliteOutboxStore& Outbox() { return *outbox_; }
  SqliteParticipantLedgerStore& ParticipantLedger() { return *participant_ledger_; }

  /// Graceful shutdown of every store: blocks until every write queued before the call has
  /// committed, then closes the connections. Later calls on any store fail with kUnavailable.
  /// Idempotent.
  void Close();
  /// Readiness probe: open, and a read of the database file succeeds. Microseconds.
  bool Ping();
  /// `PRAGMA integrity_check`; reads the whole file (start-up or a blocking pool only).
  Result<void> IntegrityCheck();
  const std::string& Path() const;

 private:
  explicit SqliteDatabase(std::unique_ptr<Connections> connections);

  // Declared first, destroyed last: the stores only hold a reference to it.
  std::unique_ptr<Connections> connections_;
  std::unique_ptr<SqliteRoomStore> rooms_;
  std::unique_ptr<SqliteSettingsStore> settings_;
  std::unique_ptr<SqliteOutboxStore> outbox_;
  std::unique_ptr<SqliteParticipantLedgerStore> participant_ledger_;
};

}  // namespace convene::store::sqlite
