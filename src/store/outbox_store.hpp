#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::store {

/// One outgoing webhook (deviations §8). `body` is the exact JSON text that will be sent and
/// signed ({"event","creationDate","data"}), fixed when the event is recorded so every retry
/// carries the same bytes, `X-Timestamp` and signature.
struct OutboxEvent {
  std::string id;             // X-Webhook-Id, stable per event
  std::string ordering_key;   // the roomId: events of one room are delivered in order
  std::string event_type;     // "meetingStarted", "meetingEnded", ...
  std::string body;
  std::int64_t created_at_ms = 0;  // also X-Timestamp
  enum class Status { kPending, kDelivered, kFailed };
  Status status = Status::kPending;
  int attempts = 0;
  std::int64_t next_attempt_at_ms = 0;
  std::string last_error;     // no secrets: status line or network reason

  bool operator==(const OutboxEvent&) const = default;
};

std::string_view ToString(OutboxEvent::Status status);  // "pending", "delivered", "failed"

/// The durable outbox of outgoing webhooks. Events are written in the same transaction as the
/// state change that caused them (RoomStore::UpdateRoom's `events` argument, or Enqueue for events
/// with no room change), then delivered at least once by the delivery worker.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  /// Records a new pending event: `status`, `attempts` and `last_error` of the argument are
  /// ignored (stored as pending, 0, ""); `next_attempt_at_ms` is kept (0 = due at once).
  /// kAlreadyExists when the id is taken.
  virtual boost::asio::awaitable<Result<void>> Enqueue(const OutboxEvent& event) = 0;
  /// Pending events that may be attempted now: for each ordering key only its oldest pending
  /// event (per-key order), and only if its next_attempt_at_ms <= now_ms; at most `limit`, oldest
  /// first.
  virtual boost::asio::awaitable<Result<std::vector<OutboxEvent>>> Due(std::int64_t now_ms, std::size_t limit) = 0;
  /// Earliest next_attempt_at_ms among pending events (to sleep until then), nullopt if none.
  /// Only each key's oldest pending event counts, since only it can be attempted: this is the
  /// earliest `now_ms` at which Due() returns something.
  virtual boost::asio::awaitable<Result<std::optional<std::int64_t>>> NextDueAt() = 0;
  /// The Mark* calls change a pending event only; on an event that is no longer pending they are
  /// no-ops (a late duplicate), and an unknown id is kNotFound. MarkDelivered clears last_error.
  virtual boost::asio::awaitable<Result<void>> MarkDelivered(std::string_view id, int attempts) = 0;
  virtual boost::asio::awaitable<Result<void>> MarkRetry(std::string_view id, int attempts,
                                                         std::int64_t next_attempt_at_ms,
                                                         std::string_view error) = 0;
  virtual boost::asio::awaitable<Result<void>> MarkFailed(std::string_view id, int attempts,
                                                          std::string_view error) = 0;
  /// For inspection and tests: events in insertion order, optionally only one status.
  virtual boost::asio::awaitable<Result<std::vector<OutboxEvent>>> List(
      std::optional<OutboxEvent::Status> status, std::size_t limit) = 0;
  /// Removes up to `limit` delivered events created before `created_before_ms` (the outbox would
  /// otherwise grow forever); failed events are kept. Returns how many were removed.
  virtual boost::asio::awaitable<Result<std::size_t>> DeleteDelivered(std::int64_t created_before_ms,
                                                                      std::size_t limit) = 0;
};

using OutboxStorePtr = std::unique_ptr<OutboxStore>;

}  // namespace convene::store
