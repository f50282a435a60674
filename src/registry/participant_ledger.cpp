#include "registry/participant_ledger.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace convene::registry {

namespace asio = boost::asio;
using Kind = store::ParticipantLedgerChange::Kind;

namespace {

// A failed commit is retried after this long, with the batch kept in front of later changes.
constexpr auto kRetryDelay = std::chrono::milliseconds(200);

bool IsPerIdentity(const store::ParticipantLedgerChange& change) {
  return change.kind == Kind::kUpsert || change.kind == Kind::kRemove;
}

}  // namespace

std::string ParticipantLedger::KeyOf(std::string_view room_id, std::string_view identity) {
  // Room ids never contain NUL, so the key is unambiguous whatever the identity holds.
  std::string key;
  key.reserve(room_id.size() + 1 + identity.size());
  key.append(room_id);
  key.push_back('\0');
  key.append(identity);
  return key;
}

ParticipantLedger::ParticipantLedger(store::ParticipantLedgerStore& store,
                                     std::optional<asio::any_io_executor> executor)
    : store_(store), executor_(std::move(executor)) {}

ParticipantLedger::~ParticipantLedger() = default;

std::uint64_t ParticipantLedger::Enqueue(Change change) {
  const std::uint64_t seq = next_seq_++;
  if (IsPerIdentity(change)) {
    std::optional<Entry> row;
    if (change.kind == Kind::kUpsert) row = change.entry;
    overlay_.insert_or_assign(KeyOf(change.room_id, change.identity), std::make_pair(seq, std::move(row)));
  } else {
    for (auto it = overlay_.begin(); it != overlay_.end();) {
      store::ApplyToEntry(change, it->second.second);
      // A room forgotten or pruned leaves a "removed" overlay entry, which hides the stale store row.
      it->second.first = seq;
      ++it;
    }
    pending_wide_.emplace_back(seq, change);
  }
  queue_.emplace_back(seq, std::move(change));
  return seq;
}

void ParticipantLedger::Record(Change change) { RecordWithSeq(std::move(change)); }

std::uint64_t ParticipantLedger::RecordWithSeq(Change change) {
  std::vector<Change> inline_batch;
  std::uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    seq = Enqueue(std::move(change));
    if (!executor_) {
      for (auto& [queued_seq, queued] : queue_) inline_batch.push_back(std::move(queued));
      queue_.clear();
      committed_seq_ = seq;
      overlay_.clear();
      pending_wide_.clear();
    } else if (!flushing_) {
      flushing_ = true;
      // Posted, never run inline: co_spawn may start the coroutine on this thread at once, which
      // would take mutex_ again here (and run the flusher under the caller's room lock).
      asio::post(*executor_, [this] { asio::co_spawn(*executor_, FlushLoop(), asio::detached); });
    }
  }
  if (!inline_batch.empty()) ApplyInline(std::move(inline_batch));
  return seq;
}

void ParticipantLedger::ApplyInline(std::vector<Change> batch) {
  // Only ever with a store that completes without suspending (the memory store).
  asio::io_context context;
  asio::co_spawn(
      context,
      [this, batch = std::move(batch)]() mutable -> asio::awaitable<void> {
        auto applied = co_await store_.Apply(std::move(batch));
        if (!applied) spdlog::error("participant ledger: write failed: {}", applied.error().message);
      },
      asio::detached);
  context.run();
}

boost::asio::awaitable<Result<void>> ParticipantLedger::Persist(Change change) {
  const std::uint64_t seq = RecordWithSeq(std::move(change));
  co_return co_await WaitFor(seq);
}

boost::asio::awaitable<Result<void>> ParticipantLedger::Flush() {
  std::uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    seq = next_seq_ - 1;
  }
  co_return co_await WaitFor(seq);
}

boost::asio::awaitable<Result<void>> ParticipantLedger::WaitFor(std::uint64_t seq) {
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  auto outcome = std::make_shared<Result<void>>();
  {
    std::lock_guard lock(mutex_);
    if (committed_seq_ >= seq) co_return Result<void>{};
    waiters_.push_back(Waiter{seq, timer, outcome});
  }
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return *outcome;
}

boost::asio::awaitable<void> ParticipantLedger::FlushLoop() {
  for (;;) {
    // The queue is taken whole, in O(1), so admissions recording meanwhile (under their room's
    // lock) never wait for a copy of it.
    std::vector<std::pair<std::uint64_t, Change>> in_flight;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) {
        flushing_ = false;
        co_return;
      }
      in_flight.swap(queue_);
    }
    const std::uint64_t last_seq = in_flight.back().first;
    std::vector<Change> batch;
    batch.reserve(in_flight.size());
    for (const auto& [seq, change] : in_flight) batch.push_back(change);
    Result<void> applied = co_await store_.Apply(std::move(batch));
    std::vector<Waiter> done;
    {
      std::lock_guard lock(mutex_);
      if (applied) {
        committed_seq_ = last_seq;
        // What the store now has no longer needs the overlay, unless a later change rewrote it.
        for (const auto& [seq, change] : in_flight) {
          if (!IsPerIdentity(change)) continue;
          auto it = overlay_.find(KeyOf(change.room_id, change.identity));
          if (it != overlay_.end() && it->second.first <= last_seq) overlay_.erase(it);
        }
        while (!pending_wide_.empty() && pending_wide_.front().first <= last_seq) pending_wide_.pop_front();
      } else {
        // Kept in front of what came since, to be tried again in order.
        queue_.insert(queue_.begin(), std::make_move_iterator(in_flight.begin()),
                      std::make_move_iterator(in_flight.end()));
      }
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->seq <= last_seq) {
          if (!applied) *it->outcome = Fail(applied.error());
          done.push_back(std::move(*it));
          it = waiters_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (Waiter& waiter : done) {
      asio::post(waiter.timer->get_executor(), [timer = waiter.timer] { timer->cancel(); });
    }
    if (!applied) {
      spdlog::warn("participant ledger: commit failed, retrying: {}", applied.error().message);
      asio::steady_timer delay(*executor_, kRetryDelay);
      boost::system::error_code ec;
      co_await delay.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

boost::asio::awaitable<Result<std::optional<ParticipantLedger::Entry>>> ParticipantLedger::Find(
    const std::string& room_id, const std::string& identity) {
  std::vector<Change> wide;
  {
    std::lock_guard lock(mutex_);
    auto it = overlay_.find(KeyOf(room_id, identity));
    if (it != overlay_.end()) co_return it->second.second;
    for (const auto& [seq, change] : pending_wide_) wide.push_back(change);
  }
  auto stored = co_await store_.Find(room_id, identity);
  if (!stored) co_return Fail(stored.error());
  std::optional<Entry> row = std::move(*stored);
  // Room-wide changes still queued apply to what the store returned. One that committed between
  // the read and here is applied twice: harmless (a ban lifted twice; a grant version one further).
  for (const Change& change : wide) store::ApplyToEntry(change, row);
  co_return row;
}

boost::asio::awaitable<Result<std::vector<ParticipantLedger::Entry>>> ParticipantLedger::ListBanned(
    std::int64_t now_ms) {
  // Start-up only, before anything is recorded: nothing to merge.
  co_return co_await store_.ListBanned(now_ms);
}

}  // namespace convene::registry
