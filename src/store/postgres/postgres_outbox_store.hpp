#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "store/outbox_store.hpp"

namespace convene::store::postgres {

class PgPool;

/// OutboxStore on the `webhook_outbox` table of a PostgreSQL database (pg_schema.cpp), obtained
/// from PostgresDatabase::Outbox(). Behaves like the SQLite store; errors as PostgresRoomStore.
///
/// Concurrency: events may be recorded by every instance at once (room changes), but with several
/// instances only the elected leader runs the delivery worker (Due, Mark*), so there is no
/// lease or claim column. What concurrent transactions could break is the `head` flag (each key's
/// oldest pending event): recording an event and finishing a head of the same ordering key both
/// take a transaction-scoped advisory lock on the key first, so each sees the other's commit.
class PostgresOutboxStore final : public OutboxStore {
 public:
  /// `pool` must outlive the store.
  explicit PostgresOutboxStore(PgPool& pool) : pool_(pool) {}

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

 private:
  struct Mark;
  boost::asio::awaitable<Result<void>> MarkEvent(Mark mark, std::string_view operation);

  PgPool& pool_;
};

}  // namespace convene::store::postgres
