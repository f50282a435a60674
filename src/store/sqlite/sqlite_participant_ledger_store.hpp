#pragma once

#include "store/participant_ledger_store.hpp"

namespace convene::store::sqlite {

class Connections;

/// ParticipantLedgerStore on the `participant_identities` table of a Convene SQLite database
/// (schema.cpp, migration 3). A batch is one transaction on the database's writer thread; reads
/// are point lookups on the caller's thread. Obtained from SqliteDatabase::ParticipantLedger().
class SqliteParticipantLedgerStore final : public ParticipantLedgerStore {
 public:
  /// `connections` must outlive the store.
  explicit SqliteParticipantLedgerStore(Connections& connections) : connections_(connections) {}

  boost::asio::awaitable<Result<std::optional<ParticipantLedgerEntry>>> Find(std::string_view room_id,
                                                                             std::string_view identity) override;
  boost::asio::awaitable<Result<std::vector<ParticipantLedgerEntry>>> ListBanned(std::int64_t now_ms) override;
  boost::asio::awaitable<Result<void>> Apply(std::vector<ParticipantLedgerChange> changes) override;

 private:
  Connections& connections_;
};

}  // namespace convene::store::sqlite
