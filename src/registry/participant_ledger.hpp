#pragma once

#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/result.hpp"
#include "store/participant_ledger_store.hpp"

namespace convene::registry {

/// The in-process registry's durable memory (deviations §5.1): every change to a participant's
/// recorded state goes to a ParticipantLedgerStore through this write-behind queue.
///
/// - Record() queues a change and returns at once: admissions, which run on the token hot path,
///   never wait for the disk. A single flusher commits what has queued up as one transaction
///   (group commit), in the order recorded, so the store sees changes in order.
/// - Persist() queues a change and waits until it committed: bans, role changes and the end of a
///   meeting are acknowledged only once durable.
/// - Find() reads through the queue: a change recorded but not yet committed is what it returns.
///
/// Without an executor (unit tests, benchmarks, on the memory store) every change is applied at
/// once, inline.
class ParticipantLedger {
 public:
  using Entry = store::ParticipantLedgerEntry;
  using Change = store::ParticipantLedgerChange;

  ParticipantLedger(store::ParticipantLedgerStore& store, std::optional<boost::asio::any_io_executor> executor);
  ~ParticipantLedger();

  void Record(Change change);
  boost::asio::awaitable<Result<void>> Persist(Change change);
  boost::asio::awaitable<Result<std::optional<Entry>>> Find(const std::string& room_id, const std::string& identity);
  boost::asio::awaitable<Result<std::vector<Entry>>> ListBanned(std::int64_t now_ms);
  /// Waits until everything recorded so far committed (graceful shutdown, tests).
  boost::asio::awaitable<Result<void>> Flush();

 private:
  struct Waiter {
    std::uint64_t seq;
    std::shared_ptr<boost::asio::steady_timer> timer;
    std::shared_ptr<Result<void>> outcome;
  };
  /// The overlay's key of one identity of one room.
  static std::string KeyOf(std::string_view room_id, std::string_view identity);

  std::uint64_t Enqueue(Change change);  // returns the change's sequence number
  std::uint64_t RecordWithSeq(Change change);
  boost::asio::awaitable<Result<void>> WaitFor(std::uint64_t seq);
  boost::asio::awaitable<void> FlushLoop();
  void ApplyInline(std::vector<Change> batch);

  store::ParticipantLedgerStore& store_;
  std::optional<boost::asio::any_io_executor> executor_;

  std::mutex mutex_;
  std::uint64_t next_seq_ = 1;                  // guarded by mutex_
  std::uint64_t committed_seq_ = 0;             // guarded by mutex_
  std::vector<std::pair<std::uint64_t, Change>> queue_;  // guarded by mutex_
  bool flushing_ = false;                       // guarded by mutex_
  /// Latest uncommitted state per identity (nullopt = removed), with the seq that produced it.
  std::unordered_map<std::string, std::pair<std::uint64_t, std::optional<Entry>>> overlay_;  // guarded by mutex_
  /// Uncommitted room-wide changes (end of meeting, forget, prune), to apply to rows read from the store.
  std::deque<std::pair<std::uint64_t, Change>> pending_wide_;  // guarded by mutex_
  std::vector<Waiter> waiters_;                 // guarded by mutex_
};

}  // namespace convene::registry
