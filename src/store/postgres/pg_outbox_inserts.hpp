#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "store/outbox_store.hpp"
#include "store/postgres/pg_connection.hpp"

namespace convene::store::postgres {

/// The statements that record `events` as new pending events inside an open transaction, as part
/// of a batch (PgConnection::ExecuteBatch), so that a room change, its events and the COMMIT cost
/// one round trip: first the advisory locks of their ordering keys (ascending, so two
/// transactions cannot deadlock; see PostgresOutboxStore), then one INSERT per event. A taken id
/// fails its INSERT with a unique violation, which aborts the rest of the batch (the COMMIT
/// included): the caller rolls back and reports DuplicateAt(). Internal to src/store/postgres.
class OutboxInserts {
 public:
  /// `events` must outlive the object and the batch.
  explicit OutboxInserts(std::span<const OutboxEvent> events);
  OutboxInserts(const OutboxInserts&) = delete;
  OutboxInserts& operator=(const OutboxInserts&) = delete;

  /// Appends the statements; their parameters live in this object.
  void AppendTo(std::vector<PgBatchItem>& items) const;

  /// When `batch` failed at one of these INSERTs because its id is taken: that id. `first_index`
  /// is the position of the first appended statement in the batch.
  std::optional<std::string_view> DuplicateAt(const PgBatchResult& batch,
                                              std::size_t first_index) const;

 private:
  std::span<const OutboxEvent> events_;
  std::vector<PgParams> locks_;    // built in the constructor, never resized afterwards
  std::vector<PgParams> inserts_;  // ditto: AppendTo hands out pointers into both
};

}  // namespace convene::store::postgres
