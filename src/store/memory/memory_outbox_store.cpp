#include "store/memory/memory_outbox_store.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "store/store_errors.hpp"

namespace convene::store::memory {

using Status = OutboxEvent::Status;

// As in MemoryRoomStore, the coroutines only forward to synchronous helpers so that the mutex can
// never be held across a suspension point.

boost::asio::awaitable<Result<void>> MemoryOutboxStore::Enqueue(const OutboxEvent& event) {
  std::vector<OutboxEvent> events{event};
  co_return EnqueueAll(events);
}

boost::asio::awaitable<Result<std::vector<OutboxEvent>>> MemoryOutboxStore::Due(std::int64_t now_ms,
                                                                                std::size_t limit) {
  co_return DoDue(now_ms, limit);
}

boost::asio::awaitable<Result<std::optional<std::int64_t>>> MemoryOutboxStore::NextDueAt() {
  co_return DoNextDueAt();
}

boost::asio::awaitable<Result<void>> MemoryOutboxStore::MarkDelivered(std::string_view id,
                                                                      int attempts) {
  co_return DoMark(id, Status::kDelivered, attempts, std::nullopt, "");
}

boost::asio::awaitable<Result<void>> MemoryOutboxStore::MarkRetry(std::string_view id, int attempts,
                                                                  std::int64_t next_attempt_at_ms,
                                                                  std::string_view error) {
  co_return DoMark(id, Status::kPending, attempts, next_attempt_at_ms, error);
}

boost::asio::awaitable<Result<void>> MemoryOutboxStore::MarkFailed(std::string_view id,
                                                                   int attempts,
                                                                   std::string_view error) {
  co_return DoMark(id, Status::kFailed, attempts, std::nullopt, error);
}

boost::asio::awaitable<Result<std::vector<OutboxEvent>>> MemoryOutboxStore::List(
    std::optional<OutboxEvent::Status> status, std::size_t limit) {
  co_return DoList(status, limit);
}

boost::asio::awaitable<Result<std::size_t>> MemoryOutboxStore::DeleteDelivered(
    std::int64_t created_before_ms, std::size_t limit) {
  co_return DoDeleteDelivered(created_before_ms, limit);
}

Result<void> MemoryOutboxStore::EnqueueAll(const std::vector<OutboxEvent>& events) {
  std::lock_guard lock(mutex_);
  // Check every id first so that a failure leaves nothing behind, like a rolled-back transaction.
  std::set<std::string_view> batch;
  for (const OutboxEvent& event : events) {
    if (seq_by_id_.contains(event.id) || !batch.insert(event.id).second) {
      return Fail(OutboxEventAlreadyExists(event.id));
    }
  }
  for (const OutboxEvent& event : events) {
    OutboxEvent stored = event;
    stored.status = Status::kPending;
    stored.attempts = 0;
    stored.last_error.clear();
    const std::int64_t seq = next_seq_++;
    seq_by_id_.emplace(stored.id, seq);
    events_.emplace(seq, std::move(stored));
  }
  return {};
}

std::vector<OutboxEvent> MemoryOutboxStore::DoDue(std::int64_t now_ms, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEvent> due;
  // A full scan is fine for a fake; the SQLite store keeps each key's oldest pending event flagged
  // and indexed.
  std::set<std::string_view> seen_keys;
  for (const auto& [seq, event] : events_) {
    if (due.size() >= limit) break;
    if (event.status != Status::kPending) continue;
    if (!seen_keys.insert(event.ordering_key).second) continue;  // not its key's oldest
    if (event.next_attempt_at_ms <= now_ms) due.push_back(event);
  }
  return due;
}

std::optional<std::int64_t> MemoryOutboxStore::DoNextDueAt() {
  std::lock_guard lock(mutex_);
  std::optional<std::int64_t> next;
  std::set<std::string_view> seen_keys;
  for (const auto& [seq, event] : events_) {
    if (event.status != Status::kPending) continue;
    if (!seen_keys.insert(event.ordering_key).second) continue;
    next = next ? std::min(*next, event.next_attempt_at_ms) : event.next_attempt_at_ms;
  }
  return next;
}

Result<void> MemoryOutboxStore::DoMark(std::string_view id, OutboxEvent::Status status,
                                       int attempts, std::optional<std::int64_t> next_attempt_at_ms,
                                       std::string_view error) {
  std::lock_guard lock(mutex_);
  auto found = seq_by_id_.find(id);
  if (found == seq_by_id_.end()) return Fail(OutboxEventNotFound(id));
  OutboxEvent& event = events_.at(found->second);
  if (event.status != Status::kPending) return {};  // a late duplicate: the outcome stands
  event.status = status;
  event.attempts = attempts;
  if (next_attempt_at_ms) event.next_attempt_at_ms = *next_attempt_at_ms;
  event.last_error = std::string(error);
  return {};
}

std::vector<OutboxEvent> MemoryOutboxStore::DoList(std::optional<OutboxEvent::Status> status,
                                                   std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEvent> listed;
  for (const auto& [seq, event] : events_) {
    if (listed.size() >= limit) break;
    if (!status || event.status == *status) listed.push_back(event);
  }
  return listed;
}

std::size_t MemoryOutboxStore::DoDeleteDelivered(std::int64_t created_before_ms,
                                                 std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::size_t deleted = 0;
  for (auto it = events_.begin(); it != events_.end() && deleted < limit;) {
    if (it->second.status == Status::kDelivered && it->second.created_at_ms < created_before_ms) {
      seq_by_id_.erase(it->second.id);
      it = events_.erase(it);
      ++deleted;
    } else {
      ++it;
    }
  }
  return deleted;
}

}  // namespace convene::store::memory
