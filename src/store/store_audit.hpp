#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::store {

class OutboxStore;
class RoomStore;
class SettingsStore;

/// What AuditStore read, and what it found wrong.
struct StoreAuditReport {
  std::size_t rooms = 0;
  std::size_t outbox_events = 0;
  bool outbox_truncated =
      false; // more events than the audit reads (kOutboxAuditLimit)
  /// One line per broken invariant, naming the record by its id (never secrets
  /// or bodies).
  std::vector<std::string> problems;
};

/// The most outbox events one audit decodes (the outbox is pruned as it is
/// delivered).
inline constexpr std::size_t kOutboxAuditLimit = 1'000'000;

/// Reads everything a Convene store holds through the store interfaces — so the
/// same audit runs on SQLite and on PostgreSQL — and checks what the
/// application relies on when it reads it back: every row decodes (a store
/// returns kInternal for one that does not), room ids are unique and listed in
/// ascending order (keyset pagination depends on it), each room has two
/// distinct non-empty secrets and a creation date, the global config exists
/// (written at first start-up), and every recorded webhook is a JSON object
/// whose "event" is the event type it was filed under.
///
/// Meant for `convene --check-store` after a crash, on a store no instance is
/// writing to. A store error (e.g. the database is unreachable) is returned as
/// the error; broken invariants are in the report.
boost::asio::awaitable<Result<StoreAuditReport>>
AuditStore(RoomStore &rooms, SettingsStore &settings, OutboxStore &outbox);

} // namespace convene::store
