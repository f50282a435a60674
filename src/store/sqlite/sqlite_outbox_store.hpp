#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "store/outbox_store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace convene::store::sqlite {

class Connections;

/// OutboxStore on the `webhook_outbox` table of a Convene SQLite database (schema.cpp, migration
/// 2). Writes go through the database's writer thread, reads run on the caller's thread; see
/// Connections. Obtained from SqliteDatabase::Outbox().
class SqliteOutboxStore final : public OutboxStore {
 public:
  /// `connections` must outlive the store.
  explicit SqliteOutboxStore(Connections& connections) : connections_(connections) {}

  boost::asio::awaitable<Result<void>> Enqueue(const OutboxEvent& event) override;
  boost::asio::awaitable<Result<std::vector<OutboxEvent>>> Due(std::int64_t now_ms,
                                                               std::size_t limit) override;
  boost::asio::awaitable<Result<std::optional<std::int64_t>>> NextDueAt() override;
  boost::asio::awaitable<Result<void>> MarkDelivered(std::string_view id, int attempts) override;
  boost::asio::awaitable<Result<void>> MarkRetry(std::string_view id, int attempts,
                                                 std::int64_t next_attempt_at_ms,
                                                 std::string_view error) override;
  boost::asio::awaitable<Result<void>> MarkFailed(std::string_view id, int attempts,
                                                  std::string_view error) override;
  boost::asio::awaitable<Result<std::vector<OutboxEvent>>> List(
      std::optional<OutboxEvent::Status> status, std::size_t limit) override;
  boost::asio::awaitable<Result<std::size_t>> DeleteDelivered(std::int64_t created_before_ms,
                                                              std::size_t limit) override;

  /// The EXPLAIN QUERY PLAN lines of the queries behind Due() and NextDueAt().
  Result<std::vector<std::string>> ExplainDueForTest();
  Result<std::vector<std::string>> ExplainNextDueAtForTest();

 private:
  Connections& connections_;
};

/// Adds `events` as new pending events on `db`, inside the caller's open transaction (the way
/// SqliteRoomStore records the events of a room change). The inner error is kAlreadyExists for a
/// taken id; the caller must then roll back, since earlier events of the call may be inserted.
Result<Result<void>> InsertOutboxEvents(Db& db, const std::vector<OutboxEvent>& events);

}  // namespace convene::store::sqlite
