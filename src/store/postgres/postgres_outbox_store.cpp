#include "store/postgres/postgres_outbox_store.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <utility>

#include "store/postgres/pg_outbox_inserts.hpp"
#include "store/postgres/pg_store_support.hpp"

namespace convene::store::postgres {
namespace {

using Status = OutboxEvent::Status;
using Type = PgResult::Type;

constexpr std::string_view kComponent = "outbox store";

// Column order of every SELECT below; ReadEvents depends on it.
#define CONVENE_PG_OUTBOX_COLUMNS                                                             \
  "id, ordering_key, event_type, body, created_at_ms, status, attempts, next_attempt_at_ms, " \
  "last_error"

// Advisory-lock class of outbox ordering keys ("Conw"); the second key is KeyLockId(key).
constexpr PgStatement kLockKey{"outbox_lock_key",
                               "SELECT pg_advisory_xact_lock(1131376247, $1::integer)",
                               StatementKind::kRead};

// `head` is true when the key has no pending event yet (see pg_schema.cpp). The key's advisory
// lock is held, and this statement's snapshot is taken after it was acquired (READ COMMITTED: one
// snapshot per statement), so a concurrent finish of the key's head has either committed (and is
// seen) or not started.
// The same without ON CONFLICT, for batches: a taken id must abort the batch before its COMMIT.
constexpr PgStatement kInsertStrict{
    "outbox_insert_strict",
    "INSERT INTO webhook_outbox (id, ordering_key, event_type, body, created_at_ms, status,"
    " attempts, next_attempt_at_ms, last_error, head)"
    " VALUES ($1::text, $2::bytea, $3::text, $4::bytea, $5::bigint, 'pending', 0, $6::bigint,"
    " ''::bytea, NOT EXISTS (SELECT 1 FROM webhook_outbox"
    " WHERE status = 'pending' AND ordering_key = $2::bytea))",
    StatementKind::kWrite};

constexpr PgStatement kDue{
    "outbox_due",
    "SELECT " CONVENE_PG_OUTBOX_COLUMNS
    " FROM webhook_outbox WHERE status = 'pending' AND head AND next_attempt_at_ms <= $1::bigint"
    " ORDER BY seq LIMIT $2::bigint",
    StatementKind::kRead};
constexpr PgStatement kNextDueAt{
    "outbox_next_due_at",
    "SELECT min(next_attempt_at_ms) FROM webhook_outbox WHERE status = 'pending' AND head",
    StatementKind::kRead};

constexpr PgStatement kRetry{
    "outbox_retry",
    "UPDATE webhook_outbox SET attempts = $2::integer, next_attempt_at_ms = $3::bigint,"
    " last_error = $4::bytea WHERE id = $1::text AND status = 'pending'",
    StatementKind::kWrite};
constexpr PgStatement kKeyOf{"outbox_key_of",
                             "SELECT ordering_key FROM webhook_outbox WHERE id = $1::text",
                             StatementKind::kRead};
constexpr PgStatement kFinish{
    "outbox_finish",
    "UPDATE webhook_outbox SET status = $2::text, attempts = $3::integer, last_error = $4::bytea,"
    " head = false WHERE id = $1::text AND status = 'pending'",
    StatementKind::kWrite};
// Re-flags the key's oldest pending event after its head finished. Harmless when the finished
// event was not the head: the oldest pending event is then the head already.
constexpr PgStatement kPromoteHead{
    "outbox_promote_head",
    "UPDATE webhook_outbox SET head = true WHERE seq = (SELECT seq FROM webhook_outbox"
    " WHERE status = 'pending' AND ordering_key = $1::bytea ORDER BY seq LIMIT 1)",
    StatementKind::kWrite};

constexpr PgStatement kListAll{
    "outbox_list_all",
    "SELECT " CONVENE_PG_OUTBOX_COLUMNS " FROM webhook_outbox ORDER BY seq LIMIT $1::bigint",
    StatementKind::kRead};
constexpr PgStatement kListByStatus{
    "outbox_list_by_status",
    "SELECT " CONVENE_PG_OUTBOX_COLUMNS
    " FROM webhook_outbox WHERE status = $1::text ORDER BY seq LIMIT $2::bigint",
    StatementKind::kRead};
constexpr PgStatement kDeleteDelivered{
    "outbox_delete_delivered",
    "DELETE FROM webhook_outbox WHERE seq IN (SELECT seq FROM webhook_outbox"
    " WHERE status = 'delivered' AND created_at_ms < $1::bigint ORDER BY seq LIMIT $2::bigint)",
    StatementKind::kWrite};

#undef CONVENE_PG_OUTBOX_COLUMNS

/// The advisory-lock id of an ordering key: 32-bit FNV-1a of its bytes. A collision only makes
/// two keys wait for each other.
std::int32_t KeyLockId(std::string_view key) {
  std::uint32_t hash = 2166136261u;
  for (char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return static_cast<std::int32_t>(hash);
}

std::optional<Status> ParseStatus(std::string_view s) {
  if (s == "pending") return Status::kPending;
  if (s == "delivered") return Status::kDelivered;
  if (s == "failed") return Status::kFailed;
  return std::nullopt;
}

Result<std::vector<OutboxEvent>> ReadEvents(const PgResult& result) {
  Result<void> typed =
      result.CheckTypes({Type::kText, Type::kBytea, Type::kText, Type::kBytea, Type::kInt8,
                         Type::kText, Type::kInt4, Type::kInt8, Type::kBytea});
  if (!typed) return Fail(std::move(typed.error()));
  std::vector<OutboxEvent> events;
  events.reserve(static_cast<std::size_t>(result.Rows()));
  for (int row = 0; row < result.Rows(); ++row) {
    OutboxEvent event;
    event.id = result.String(row, 0);
    event.ordering_key = result.String(row, 1);
    event.event_type = result.String(row, 2);
    event.body = result.String(row, 3);
    event.created_at_ms = result.Int64(row, 4);
    std::optional<Status> status = ParseStatus(result.Bytes(row, 5));
    const std::int32_t attempts = result.Int32(row, 6);
    if (!status || attempts < 0) {
      // The values are left out of the message, like the room store does.
      return Fail(
          Error::Internal("outbox event '" + event.id + "' has an invalid status or attempts"));
    }
    event.status = *status;
    event.attempts = attempts;
    event.next_attempt_at_ms = result.Int64(row, 7);
    event.last_error = result.String(row, 8);
    events.push_back(std::move(event));
  }
  return events;
}

asio::awaitable<PgOutcome<std::vector<OutboxEvent>>> SelectOn(PgConnection& connection,
                                                              const PgStatement& statement,
                                                              const PgParams& params) {
  Result<PgResult> selected = co_await connection.Execute(statement, params);
  if (!selected) co_return Fail(std::move(selected.error()));
  Result<std::vector<OutboxEvent>> events = ReadEvents(*selected);
  if (!events) co_return Fail(std::move(events.error()));
  co_return std::move(events);
}

/// kNotFound when `id` is unknown, success when it exists (a Mark* on a finished event is a no-op).
asio::awaitable<PgOutcome<void>> ExistsOrNotFound(PgConnection& connection,
                                                  const std::string& id) {
  PgParams params;
  params.Bytes(id);
  Result<PgResult> selected = co_await connection.Execute(kKeyOf, params);
  if (!selected) co_return Fail(std::move(selected.error()));
  if (selected->Rows() == 0) co_return Result<void>(Fail(OutboxEventNotFound(id)));
  co_return Result<void>();
}

}  // namespace

struct PostgresOutboxStore::Mark {
  std::string id;
  Status status;  // kPending = a retry
  int attempts;
  std::int64_t next_attempt_at_ms;
  std::string error;
};

namespace {

asio::awaitable<PgOutcome<void>> RetryOn(PgConnection& connection, const std::string& id,
                                         int attempts, std::int64_t next_attempt_at_ms,
                                         const std::string& error) {
  PgParams params;
  params.Bytes(id).Int32(attempts).Int64(next_attempt_at_ms).Bytes(error);
  Result<PgResult> updated = co_await connection.Execute(kRetry, params);
  if (!updated) co_return Fail(std::move(updated.error()));
  if (updated->AffectedRows() == 0) co_return co_await ExistsOrNotFound(connection, id);
  co_return Result<void>();
}

/// Finishes an event (delivered or failed) and promotes the next of its key, in two round trips:
/// [BEGIN, its ordering key], then [key lock, finish, promote, COMMIT]. When the event is no
/// longer pending, the finish changes nothing and the promotion re-flags the head it already is.
asio::awaitable<PgOutcome<void>> FinishOn(PgConnection& connection, const std::string& id,
                                          std::string_view status, int attempts,
                                          const std::string& error) {
  const PgParams none;
  PgParams by_id;
  by_id.Bytes(id);
  const std::array<PgBatchItem, 2> open{PgBatchItem{&kBegin, &none},
                                        PgBatchItem{&kKeyOf, &by_id}};
  Result<PgBatchResult> opened = co_await connection.ExecuteBatch(open);
  if (!opened) co_return Fail(std::move(opened.error()));
  if (opened->error) {
    co_await RollBackQuietly(connection);
    co_return Fail(std::move(*opened->error));
  }
  const PgResult& selected = opened->results[1];
  if (Result<void> typed = selected.CheckTypes({Type::kBytea}); !typed) {
    co_await RollBackQuietly(connection);
    co_return Fail(std::move(typed.error()));
  }
  if (selected.Rows() == 0) {
    co_await RollBackQuietly(connection);
    co_return Result<void>(Fail(OutboxEventNotFound(id)));
  }
  const std::string ordering_key = selected.String(0, 0);

  PgParams lock, finish, promote;
  lock.Int32(KeyLockId(ordering_key));
  finish.Bytes(id).Bytes(status).Int32(attempts).Bytes(error);
  promote.Bytes(ordering_key);
  const std::array<PgBatchItem, 4> items{
      PgBatchItem{&kLockKey, &lock}, PgBatchItem{&kFinish, &finish},
      PgBatchItem{&kPromoteHead, &promote}, PgBatchItem{&kCommit, &none}};
  Result<PgBatchResult> written = co_await connection.ExecuteBatch(items);
  if (!written) co_return Fail(std::move(written.error()));
  if (written->error) {
    co_await RollBackQuietly(connection);
    co_return Fail(std::move(*written->error));
  }
  co_return Result<void>();
}

}  // namespace

OutboxInserts::OutboxInserts(std::span<const OutboxEvent> events) : events_(events) {
  std::vector<std::int32_t> lock_ids;
  lock_ids.reserve(events.size());
  for (const OutboxEvent& event : events) lock_ids.push_back(KeyLockId(event.ordering_key));
  std::sort(lock_ids.begin(), lock_ids.end());
  lock_ids.erase(std::unique(lock_ids.begin(), lock_ids.end()), lock_ids.end());
  locks_.resize(lock_ids.size());
  for (std::size_t i = 0; i < lock_ids.size(); ++i) locks_[i].Int32(lock_ids[i]);
  inserts_.resize(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const OutboxEvent& event = events[i];
    inserts_[i]
        .Bytes(event.id)
        .Bytes(event.ordering_key)
        .Bytes(event.event_type)
        .Bytes(event.body)
        .Int64(event.created_at_ms)
        .Int64(event.next_attempt_at_ms);
  }
}

void OutboxInserts::AppendTo(std::vector<PgBatchItem>& items) const {
  for (const PgParams& lock : locks_) items.push_back(PgBatchItem{&kLockKey, &lock});
  for (const PgParams& insert : inserts_) items.push_back(PgBatchItem{&kInsertStrict, &insert});
}

std::optional<std::string_view> OutboxInserts::DuplicateAt(const PgBatchResult& batch,
                                                           std::size_t first_index) const {
  if (!batch.error || batch.error->reason != std::string(kReasonSqlStatePrefix) + "23505") {
    return std::nullopt;
  }
  const std::size_t first_insert = first_index + locks_.size();
  if (batch.failed_index < first_insert || batch.failed_index >= first_insert + events_.size()) {
    return std::nullopt;
  }
  // seq is generated, so the id is the only unique column an insert can collide on.
  return std::string_view(events_[batch.failed_index - first_insert].id);
}

// ----- writes -----

boost::asio::awaitable<Result<void>> PostgresOutboxStore::Enqueue(const OutboxEvent& event) {
  auto attempt = [&event](PgConnection& connection) -> asio::awaitable<PgOutcome<void>> {
    // BEGIN, key lock, INSERT, COMMIT: one round trip.
    const PgParams none;
    const OutboxInserts inserts(std::span<const OutboxEvent>(&event, 1));
    std::vector<PgBatchItem> items{PgBatchItem{&kBegin, &none}};
    inserts.AppendTo(items);
    items.push_back(PgBatchItem{&kCommit, &none});
    Result<PgBatchResult> written = co_await connection.ExecuteBatch(items);
    if (!written) co_return Fail(std::move(written.error()));
    if (written->error) {
      co_await RollBackQuietly(connection);
      if (inserts.DuplicateAt(*written, 1)) {
        co_return Result<void>(Fail(OutboxEventAlreadyExists(event.id)));
      }
      co_return Fail(std::move(*written->error));
    }
    co_return Result<void>();
  };
  co_return co_await RunOnPool<void>(pool_, kComponent, "Enqueue", attempt);
}

boost::asio::awaitable<Result<void>> PostgresOutboxStore::MarkDelivered(std::string_view id,
                                                                        int attempts) {
  // Named, not a temporary inside co_await (GCC 12 destroys those twice, CONVENTIONS §4.1).
  Mark mark{std::string(id), Status::kDelivered, attempts, 0, ""};
  co_return co_await MarkEvent(std::move(mark), "MarkDelivered");
}

boost::asio::awaitable<Result<void>> PostgresOutboxStore::MarkRetry(
    std::string_view id, int attempts, std::int64_t next_attempt_at_ms, std::string_view error) {
  Mark mark{std::string(id), Status::kPending, attempts, next_attempt_at_ms, std::string(error)};
  co_return co_await MarkEvent(std::move(mark), "MarkRetry");
}

boost::asio::awaitable<Result<void>> PostgresOutboxStore::MarkFailed(std::string_view id,
                                                                     int attempts,
                                                                     std::string_view error) {
  Mark mark{std::string(id), Status::kFailed, attempts, 0, std::string(error)};
  co_return co_await MarkEvent(std::move(mark), "MarkFailed");
}

boost::asio::awaitable<Result<void>> PostgresOutboxStore::MarkEvent(Mark mark,
                                                                    std::string_view operation) {
  if (mark.status == Status::kPending) {
    // One statement: it does not touch `head`, so it needs neither the key lock nor BEGIN.
    auto attempt = [&mark](PgConnection& connection) {
      return RetryOn(connection, mark.id, mark.attempts, mark.next_attempt_at_ms, mark.error);
    };
    co_return co_await RunOnPool<void>(pool_, kComponent, operation, attempt);
  }
  const std::string_view status = ToString(mark.status);
  auto attempt = [&mark, status](PgConnection& connection) {
    return FinishOn(connection, mark.id, status, mark.attempts, mark.error);
  };
  co_return co_await RunOnPool<void>(pool_, kComponent, operation, attempt);
}

boost::asio::awaitable<Result<std::size_t>> PostgresOutboxStore::DeleteDelivered(
    std::int64_t created_before_ms, std::size_t limit) {
  auto attempt = [created_before_ms,
                  limit](PgConnection& connection) -> asio::awaitable<PgOutcome<std::size_t>> {
    PgParams params;
    params.Int64(created_before_ms).Int64(SqlLimit(limit));
    Result<PgResult> deleted = co_await connection.Execute(kDeleteDelivered, params);
    if (!deleted) co_return Fail(std::move(deleted.error()));
    co_return Result<std::size_t>(static_cast<std::size_t>(deleted->AffectedRows()));
  };
  co_return co_await RunOnPool<std::size_t>(pool_, kComponent, "DeleteDelivered", attempt);
}

// ----- reads -----

boost::asio::awaitable<Result<std::vector<OutboxEvent>>> PostgresOutboxStore::Due(
    std::int64_t now_ms, std::size_t limit) {
  PgParams params;
  params.Int64(now_ms).Int64(SqlLimit(limit));
  auto attempt = [&params](PgConnection& connection) {
    return SelectOn(connection, kDue, params);
  };
  co_return co_await RunOnPool<std::vector<OutboxEvent>>(pool_, kComponent, "Due", attempt);
}

boost::asio::awaitable<Result<std::optional<std::int64_t>>> PostgresOutboxStore::NextDueAt() {
  auto attempt =
      [](PgConnection& connection) -> asio::awaitable<PgOutcome<std::optional<std::int64_t>>> {
    Result<PgResult> selected = co_await connection.Execute(kNextDueAt);
    if (!selected) co_return Fail(std::move(selected.error()));
    if (Result<void> typed = selected->CheckTypes({Type::kInt8}); !typed) {
      co_return Fail(std::move(typed.error()));
    }
    // min() over no rows is one NULL row.
    if (selected->Rows() == 0 || selected->IsNull(0, 0)) {
      co_return Result<std::optional<std::int64_t>>(std::nullopt);
    }
    co_return Result<std::optional<std::int64_t>>(selected->Int64(0, 0));
  };
  co_return co_await RunOnPool<std::optional<std::int64_t>>(pool_, kComponent, "NextDueAt",
                                                            attempt);
}

boost::asio::awaitable<Result<std::vector<OutboxEvent>>> PostgresOutboxStore::List(
    std::optional<OutboxEvent::Status> status, std::size_t limit) {
  PgParams params;
  if (status) params.Bytes(ToString(*status));
  params.Int64(SqlLimit(limit));
  const PgStatement& statement = status ? kListByStatus : kListAll;
  auto attempt = [&params, &statement](PgConnection& connection) {
    return SelectOn(connection, statement, params);
  };
  co_return co_await RunOnPool<std::vector<OutboxEvent>>(pool_, kComponent, "List", attempt);
}

}  // namespace convene::store::postgres
