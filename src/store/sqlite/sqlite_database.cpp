#include "store/sqlite/sqlite_database.hpp"

#include <utility>

#include "store/sqlite/sqlite_connections.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/sqlite/sqlite_participant_ledger_store.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/sqlite/sqlite_settings_store.hpp"

namespace convene::store::sqlite {

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(std::string data_dir) {
  Result<std::unique_ptr<Connections>> connections = Connections::Open(std::move(data_dir));
  if (!connections) return Fail(std::move(connections.error()));
  return std::unique_ptr<SqliteDatabase>(new SqliteDatabase(std::move(*connections)));
}

SqliteDatabase::SqliteDatabase(std::unique_ptr<Connections> connections)
    : connections_(std::move(connections)),
      rooms_(std::make_unique<SqliteRoomStore>(*connections_)),
      settings_(std::make_unique<SqliteSettingsStore>(*connections_)),
      outbox_(std::make_unique<SqliteOutboxStore>(*connections_)),
      participant_ledger_(std::make_unique<SqliteParticipantLedgerStore>(*connections_)) {}

SqliteDatabase::~SqliteDatabase() { Close(); }

void SqliteDatabase::Close() { connections_->Close(); }

bool SqliteDatabase::Ping() { return connections_->Ping(); }

Result<void> SqliteDatabase::IntegrityCheck() { return connections_->IntegrityCheck(); }

const std::string& SqliteDatabase::Path() const { return connections_->Path(); }

}  // namespace convene::store::sqlite
