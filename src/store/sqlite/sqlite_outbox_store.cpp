#include "store/sqlite/sqlite_outbox_store.hpp"

#include <limits>
#include <utility>

#include "store/sqlite/sqlite_connections.hpp"
#include "store/store_errors.hpp"

namespace convene::store::sqlite {
namespace {

using Status = OutboxEvent::Status;

constexpr std::string_view kComponent = "outbox store";

// Column order of every SELECT below; ReadEvent depends on it.
#define CONVENE_OUTBOX_COLUMNS                                                                \
  "id, ordering_key, event_type, body, created_at_ms, status, attempts, next_attempt_at_ms, " \
  "last_error"

// `head` is 1 when the key has no pending event yet (schema.cpp, migration 2). The subquery runs
// before the row exists, and ON CONFLICT turns a taken id into "0 rows changed" so that no other
// constraint failure can be mistaken for it.
constexpr const char* kInsert =
    "INSERT INTO webhook_outbox (id, ordering_key, event_type, body, created_at_ms, status,"
    " attempts, next_attempt_at_ms, last_error, head)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, '',"
    " NOT EXISTS (SELECT 1 FROM webhook_outbox WHERE status = 'pending' AND ordering_key = ?2))"
    " ON CONFLICT (id) DO NOTHING";

// The status and head terms repeat the partial index's WHERE clause literally, which is what lets
// SQLite use the index; INDEXED BY turns a plan that does not into an error rather than a scan.
constexpr const char* kDue =
    "SELECT " CONVENE_OUTBOX_COLUMNS
    " FROM webhook_outbox INDEXED BY outbox_heads_by_next_attempt"
    " WHERE status = 'pending' AND head = 1 AND next_attempt_at_ms <= ?1 ORDER BY seq LIMIT ?2";
constexpr const char* kNextDueAt =
    "SELECT MIN(next_attempt_at_ms) FROM webhook_outbox INDEXED BY outbox_heads_by_next_attempt"
    " WHERE status = 'pending' AND head = 1";

constexpr const char* kRetry =
    "UPDATE webhook_outbox SET attempts = ?2, next_attempt_at_ms = ?3, last_error = ?4"
    " WHERE id = ?1 AND status = 'pending'";
constexpr const char* kFinish =
    "UPDATE webhook_outbox SET status = ?2, attempts = ?3, last_error = ?4, head = 0"
    " WHERE id = ?1 AND status = 'pending' RETURNING ordering_key";
// Re-flags the key's oldest pending event after its head finished. Harmless when the finished
// event was not the head: the oldest pending event is then the head already.
constexpr const char* kPromoteHead =
    "UPDATE webhook_outbox SET head = 1 WHERE seq = (SELECT seq FROM webhook_outbox"
    " WHERE status = 'pending' AND ordering_key = ?1 ORDER BY seq LIMIT 1)";
constexpr const char* kExists = "SELECT 1 FROM webhook_outbox WHERE id = ?1";

constexpr const char* kListAll =
    "SELECT " CONVENE_OUTBOX_COLUMNS " FROM webhook_outbox ORDER BY seq LIMIT ?1";
constexpr const char* kListByStatus =
    "SELECT " CONVENE_OUTBOX_COLUMNS " FROM webhook_outbox WHERE status = ?1 ORDER BY seq LIMIT ?2";
constexpr const char* kDeleteDelivered =
    "DELETE FROM webhook_outbox WHERE seq IN (SELECT seq FROM webhook_outbox"
    " WHERE status = 'delivered' AND created_at_ms < ?1 ORDER BY seq LIMIT ?2)";

#undef CONVENE_OUTBOX_COLUMNS

std::optional<Status> ParseStatus(std::string_view s) {
  if (s == "pending") return Status::kPending;
  if (s == "delivered") return Status::kDelivered;
  if (s == "failed") return Status::kFailed;
  return std::nullopt;
}

Result<OutboxEvent> ReadEvent(const Statement& row) {
  OutboxEvent event;
  event.id = row.ColumnText(0);
  event.ordering_key = row.ColumnText(1);
  event.event_type = row.ColumnText(2);
  event.body = row.ColumnText(3);
  event.created_at_ms = row.ColumnInt64(4);
  std::optional<Status> status = ParseStatus(row.ColumnText(5));
  const std::int64_t attempts = row.ColumnInt64(6);
  if (!status || attempts < 0 || attempts > std::numeric_limits<int>::max()) {
    // The values are left out of the message, like the room store does.
    return Fail(
        Error::Internal("outbox event '" + event.id + "' has an invalid status or attempts"));
  }
  event.status = *status;
  event.attempts = static_cast<int>(attempts);
  event.next_attempt_at_ms = row.ColumnInt64(7);
  event.last_error = row.ColumnText(8);
  return event;
}

Result<std::vector<OutboxEvent>> ReadEvents(Statement& statement) {
  std::vector<OutboxEvent> events;
  for (;;) {
    Result<bool> row = statement.Step();
    if (!row) return Fail(std::move(row.error()));
    if (!*row) return events;
    Result<OutboxEvent> event = ReadEvent(statement);
    if (!event) return Fail(std::move(event.error()));
    events.push_back(std::move(*event));
  }
}

/// kNotFound when `id` is unknown, success when it exists (a Mark* on a finished event is a no-op).
DbResult<void> ExistsOrNotFound(Db& db, const std::string& id) {
  Result<CachedStatement> exists = db.Cached(kExists);
  if (!exists) return Fail(std::move(exists.error()));
  if (Result<void> bound = (*exists)->Bind(1, id); !bound) return Fail(std::move(bound.error()));
  Result<bool> row = (*exists)->Step();
  if (!row) return Fail(std::move(row.error()));
  if (!*row) return Result<void>(Fail(OutboxEventNotFound(id)));
  return Result<void>();
}

struct Mark {
  std::string id;
  Status status;  // kPending = a retry
  int attempts;
  std::int64_t next_attempt_at_ms;
  std::string error;
};

DbResult<void> MarkOnWriter(Db& db, const Mark& mark) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx) return Fail(std::move(tx.error()));
  if (mark.status == Status::kPending) {
    Result<CachedStatement> retry = db.Cached(kRetry);
    if (!retry) return Fail(std::move(retry.error()));
    Result<void> bound = BindAll(**retry, std::string_view(mark.id), std::int64_t{mark.attempts},
                                 mark.next_attempt_at_ms, std::string_view(mark.error));
    if (!bound) return Fail(std::move(bound.error()));
    if (Result<void> ran = (*retry)->Run(); !ran) return Fail(std::move(ran.error()));
    if (db.Changes() == 0) return ExistsOrNotFound(db, mark.id);
  } else {
    std::optional<std::string> ordering_key;
    {
      Result<CachedStatement> finish = db.Cached(kFinish);
      if (!finish) return Fail(std::move(finish.error()));
      Result<void> bound = BindAll(**finish, std::string_view(mark.id), ToString(mark.status),
                                   std::int64_t{mark.attempts}, std::string_view(mark.error));
      if (!bound) return Fail(std::move(bound.error()));
      Result<bool> row = (*finish)->Step();
      if (!row) return Fail(std::move(row.error()));
      if (*row) ordering_key = std::string((*finish)->ColumnText(0));
      if (Result<void> ran = (*finish)->Run(); !ran) return Fail(std::move(ran.error()));
    }
    if (!ordering_key) return ExistsOrNotFound(db, mark.id);
    Result<CachedStatement> promote = db.Cached(kPromoteHead);
    if (!promote) return Fail(std::move(promote.error()));
    if (Result<void> bound = (*promote)->Bind(1, *ordering_key); !bound) {
      return Fail(std::move(bound.error()));
    }
    if (Result<void> ran = (*promote)->Run(); !ran) return Fail(std::move(ran.error()));
  }
  if (Result<void> committed = tx->Commit(); !committed) return Fail(std::move(committed.error()));
  return Result<void>();
}

}  // namespace

DbResult<void> InsertOutboxEvents(Db& db, const std::vector<OutboxEvent>& events) {
  for (const OutboxEvent& event : events) {
    Result<CachedStatement> insert = db.Cached(kInsert);
    if (!insert) return Fail(std::move(insert.error()));
    Result<void> bound =
        BindAll(**insert, std::string_view(event.id), std::string_view(event.ordering_key),
                std::string_view(event.event_type), std::string_view(event.body),
                event.created_at_ms, event.next_attempt_at_ms);
    if (!bound) return Fail(std::move(bound.error()));
    if (Result<void> ran = (*insert)->Run(); !ran) return Fail(std::move(ran.error()));
    if (db.Changes() == 0) return Result<void>(Fail(OutboxEventAlreadyExists(event.id)));
  }
  return Result<void>();
}

// ----- writes -----

boost::asio::awaitable<Result<void>> SqliteOutboxStore::Enqueue(const OutboxEvent& event) {
  // Copied into the task: the writer must not reach into the caller's frame (see Write()).
  auto task = [events = std::vector<OutboxEvent>{event}](Db& db) -> DbResult<void> {
    Result<Transaction> tx = Transaction::Begin(db);
    if (!tx) return Fail(std::move(tx.error()));
    DbResult<void> inserted = InsertOutboxEvents(db, events);
    if (!inserted || !*inserted) return inserted;  // `tx` rolls back
    if (Result<void> committed = tx->Commit(); !committed) {
      return Fail(std::move(committed.error()));
    }
    return Result<void>();
  };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "Enqueue", std::move(result));
}

boost::asio::awaitable<Result<void>> SqliteOutboxStore::MarkDelivered(std::string_view id,
                                                                      int attempts) {
  auto task = [mark = Mark{std::string(id), Status::kDelivered, attempts, 0, ""}](Db& db) {
    return MarkOnWriter(db, mark);
  };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "MarkDelivered", std::move(result));
}

boost::asio::awaitable<Result<void>> SqliteOutboxStore::MarkRetry(std::string_view id, int attempts,
                                                                  std::int64_t next_attempt_at_ms,
                                                                  std::string_view error) {
  auto task = [mark = Mark{std::string(id), Status::kPending, attempts, next_attempt_at_ms,
                           std::string(error)}](Db& db) { return MarkOnWriter(db, mark); };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "MarkRetry", std::move(result));
}

boost::asio::awaitable<Result<void>> SqliteOutboxStore::MarkFailed(std::string_view id,
                                                                   int attempts,
                                                                   std::string_view error) {
  auto task = [mark = Mark{std::string(id), Status::kFailed, attempts, 0, std::string(error)}](
                  Db& db) { return MarkOnWriter(db, mark); };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "MarkFailed", std::move(result));
}

boost::asio::awaitable<Result<std::size_t>> SqliteOutboxStore::DeleteDelivered(
    std::int64_t created_before_ms, std::size_t limit) {
  auto task = [created_before_ms, limit](Db& db) -> DbResult<std::size_t> {
    // One statement is its own transaction; no BEGIN needed.
    Result<CachedStatement> erase = db.Cached(kDeleteDelivered);
    if (!erase) return Fail(std::move(erase.error()));
    if (Result<void> bound = BindAll(**erase, created_before_ms, SqlLimit(limit)); !bound) {
      return Fail(std::move(bound.error()));
    }
    if (Result<void> ran = (*erase)->Run(); !ran) return Fail(std::move(ran.error()));
    return Result<std::size_t>(static_cast<std::size_t>(db.Changes()));
  };
  DbResult<std::size_t> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "DeleteDelivered", std::move(result));
}

// ----- reads (on the calling thread, like the room store's) -----

boost::asio::awaitable<Result<std::vector<OutboxEvent>>> SqliteOutboxStore::Due(std::int64_t now_ms,
                                                                                std::size_t limit) {
  auto due = [&]() -> Result<std::vector<OutboxEvent>> {
    Result<Connections::ReaderLease> reader = connections_.AcquireReader();
    if (!reader) return Fail(std::move(reader.error()));
    Result<CachedStatement> select = (*reader)->Cached(kDue);
    if (!select) return Fail(std::move(select.error()));
    if (Result<void> bound = BindAll(**select, now_ms, SqlLimit(limit)); !bound) {
      return Fail(std::move(bound.error()));
    }
    return ReadEvents(**select);
  };
  co_return ForClient(kComponent, "Due", due());
}

boost::asio::awaitable<Result<std::optional<std::int64_t>>> SqliteOutboxStore::NextDueAt() {
  auto next = [&]() -> Result<std::optional<std::int64_t>> {
    Result<Connections::ReaderLease> reader = connections_.AcquireReader();
    if (!reader) return Fail(std::move(reader.error()));
    Result<CachedStatement> select = (*reader)->Cached(kNextDueAt);
    if (!select) return Fail(std::move(select.error()));
    Result<bool> row = (*select)->Step();
    if (!row) return Fail(std::move(row.error()));
    // MIN() over no rows is one NULL row.
    if (!*row || (*select)->IsNull(0)) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>((*select)->ColumnInt64(0));
  };
  co_return ForClient(kComponent, "NextDueAt", next());
}

boost::asio::awaitable<Result<std::vector<OutboxEvent>>> SqliteOutboxStore::List(
    std::optional<OutboxEvent::Status> status, std::size_t limit) {
  auto list = [&]() -> Result<std::vector<OutboxEvent>> {
    Result<Connections::ReaderLease> reader = connections_.AcquireReader();
    if (!reader) return Fail(std::move(reader.error()));
    Result<CachedStatement> select = (*reader)->Cached(status ? kListByStatus : kListAll);
    if (!select) return Fail(std::move(select.error()));
    Result<void> bound = status ? BindAll(**select, ToString(*status), SqlLimit(limit))
                                : BindAll(**select, SqlLimit(limit));
    if (!bound) return Fail(std::move(bound.error()));
    return ReadEvents(**select);
  };
  co_return ForClient(kComponent, "List", list());
}

Result<std::vector<std::string>> SqliteOutboxStore::ExplainDueForTest() {
  Result<Connections::ReaderLease> reader = connections_.AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  return ExplainQueryPlan(**reader, kDue);
}

Result<std::vector<std::string>> SqliteOutboxStore::ExplainNextDueAtForTest() {
  Result<Connections::ReaderLease> reader = connections_.AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  return ExplainQueryPlan(**reader, kNextDueAt);
}

}  // namespace convene::store::sqlite
