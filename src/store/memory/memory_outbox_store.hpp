#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "store/outbox_store.hpp"

namespace convene::store::memory {

/// In-memory OutboxStore for unit tests. Same observable semantics as SqliteOutboxStore (the
/// conformance suite runs against both); nothing survives the object. Thread-safe; every call
/// completes without suspending.
class MemoryOutboxStore final : public OutboxStore {
 public:
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

  /// Records all of `events` or none of them (kAlreadyExists when an id is taken, also by another
  /// event of the same call). What MemoryRoomStore uses to write events with a room change.
  Result<void> EnqueueAll(const std::vector<OutboxEvent>& events);

 private:
  std::vector<OutboxEvent> DoDue(std::int64_t now_ms, std::size_t limit);
  std::optional<std::int64_t> DoNextDueAt();
  Result<void> DoMark(std::string_view id, OutboxEvent::Status status, int attempts,
                      std::optional<std::int64_t> next_attempt_at_ms, std::string_view error);
  std::vector<OutboxEvent> DoList(std::optional<OutboxEvent::Status> status, std::size_t limit);
  std::size_t DoDeleteDelivered(std::int64_t created_before_ms, std::size_t limit);

  std::mutex mutex_;
  std::int64_t next_seq_ = 1;                                   // guarded by mutex_
  std::map<std::int64_t, OutboxEvent> events_;                  // by insertion sequence
  std::map<std::string, std::int64_t, std::less<>> seq_by_id_;  // id -> key of events_
};

}  // namespace convene::store::memory
