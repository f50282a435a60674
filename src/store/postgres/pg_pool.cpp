#include "store/postgres/pg_pool.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace convene::store::postgres {
namespace {

PgPoolOptions Sanitized(PgPoolOptions options) {
  options.size = std::max<std::size_t>(options.size, 1);
  options.backoff_min = std::max(options.backoff_min, std::chrono::milliseconds(1));
  options.backoff_max = std::max(options.backoff_max, options.backoff_min);
  return options;
}

Error PoolClosed() { return Error::Unavailable("Storage Error", "the PostgreSQL store is closed"); }

}  // namespace

/// One queued acquirer. The releaser decides under the pool's mutex what the waiter gets (a
/// connection or a free slot to open one in), then wakes it through the channel, which (unlike
/// cancelling a timer) is safe from any thread and cannot lose a wake-up that arrives before the
/// waiter starts waiting.
struct PgPool::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : wake(executor, 1) {}
  void Notify() { wake.try_send(boost::system::error_code()); }

  asio::experimental::concurrent_channel<void(boost::system::error_code)> wake;
  // Guarded by PgPool::mutex_.
  std::unique_ptr<PgConnection> connection;
  bool slot = false;
};

// ----- PgLease -----

PgLease& PgLease::operator=(PgLease&& other) noexcept {
  if (this != &other) {
    Return();
    pool_ = std::move(other.pool_);
    connection_ = std::move(other.connection_);
  }
  return *this;
}

PgLease::~PgLease() { Return(); }

void PgLease::Return() {
  if (connection_) pool_->Release(std::move(connection_));
  pool_.reset();
}

// ----- PgPool -----

PgPool::PgPool(asio::any_io_executor executor, PgConnectParams params, PgPoolOptions options)
    : executor_(std::move(executor)),
      params_(std::move(params)),
      options_(Sanitized(options)),
      backoff_(options_.backoff_min) {}

PgPool::~PgPool() { Close(); }

std::shared_ptr<PgPool::Waiter> PgPool::HandOffSlotLocked() {
  if (closed_ || waiters_.empty()) {
    --open_;
    return nullptr;
  }
  std::shared_ptr<Waiter> waiter = std::move(waiters_.front());
  waiters_.pop_front();
  waiter->slot = true;  // the slot stays counted in open_, now on the waiter's behalf
  return waiter;
}

asio::awaitable<Result<PgLease>> PgPool::Acquire() {
  const auto deadline = PgClock::now() + options_.acquire_timeout;
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  enum class Next { kClosed, kCheck, kConnect, kWait, kTimeout };
  for (;;) {
    Next next;
    std::unique_ptr<PgConnection> candidate;
    std::shared_ptr<Waiter> waiter;
    {
      std::lock_guard lock(mutex_);
      if (closed_) {
        next = Next::kClosed;
      } else if (!idle_.empty()) {
        candidate = std::move(idle_.back());  // LIFO: the warmest connection
        idle_.pop_back();
        next = Next::kCheck;
      } else if (open_ < options_.size) {
        ++open_;
        next = Next::kConnect;
      } else {
        waiter = std::make_shared<Waiter>(executor);
        waiters_.push_back(waiter);
        next = Next::kWait;
      }
    }

    if (next == Next::kWait) {
      asio::steady_timer timer(executor, deadline);
      auto group = asio::experimental::make_parallel_group(
          [&waiter](auto token) { return waiter->wake.async_receive(token); },
          [&timer](auto token) { return timer.async_wait(token); });
      co_await group.async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
      std::lock_guard lock(mutex_);
      if (waiter->connection) {
        candidate = std::move(waiter->connection);
        next = Next::kCheck;
      } else if (waiter->slot) {
        next = Next::kConnect;
      } else {
        auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
        if (it != waiters_.end()) waiters_.erase(it);
        next = closed_ ? Next::kClosed : Next::kTimeout;
      }
    }

    switch (next) {
      case Next::kClosed:
        co_return Fail(PoolClosed());
      case Next::kTimeout:
        co_return Fail(Error::Unavailable(
            "Storage Error", "timed out after " + std::to_string(options_.acquire_timeout.count()) +
                                 " ms waiting for one of " + std::to_string(options_.size) +
                                 " PostgreSQL connections"));
      case Next::kConnect:
        co_return co_await ConnectInSlot();
      case Next::kCheck:
        if (candidate->CheckIdle()) co_return PgLease(shared_from_this(), std::move(candidate));
        spdlog::info("postgres: dropping a pooled connection the server has closed");
        Release(std::move(candidate));  // discards it and frees its slot; then try again
        break;
      case Next::kWait:
        break;  // not reached: resolved above
    }
  }
}

asio::awaitable<Result<PgLease>> PgPool::ConnectInSlot() {
  std::optional<Error> refused;
  std::shared_ptr<Waiter> wake;
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      refused = PoolClosed();
    } else if (PgClock::now() < retry_at_) {
      refused = Error::Unavailable("Storage Error", "PostgreSQL unreachable (retrying shortly): " +
                                                        last_connect_error_);
    }
    if (refused) wake = HandOffSlotLocked();
  }
  if (wake) wake->Notify();
  if (refused) co_return Fail(std::move(*refused));

  Result<std::unique_ptr<PgConnection>> connected = co_await PgConnection::Connect(
      executor_, params_, PgClock::now() + options_.connect_timeout);

  bool closed = false;
  bool recovered = false;
  {
    std::lock_guard lock(mutex_);
    if (!connected) {
      ++stats_.connect_failures;
      retry_at_ = PgClock::now() + backoff_;
      backoff_ = std::min(backoff_ * 2, options_.backoff_max);
      last_connect_error_ = connected.error().message;
      wake = HandOffSlotLocked();
    } else {
      ++stats_.connects;
      recovered = retry_at_ != PgClock::time_point{};
      backoff_ = options_.backoff_min;
      retry_at_ = {};
      closed = closed_;
    }
  }
  if (wake) wake->Notify();
  if (!connected) {
    spdlog::warn("postgres: {}", connected.error().message);
    co_return Fail(std::move(connected.error()));
  }
  if (recovered) spdlog::info("postgres: connected again ({})", params_.Describe());
  PgLease lease(shared_from_this(), std::move(*connected));
  if (closed) co_return Fail(PoolClosed());  // the lease closes the connection
  co_return lease;
}

void PgPool::Release(std::unique_ptr<PgConnection> connection) {
  const bool broken = connection->IsBroken();
  const bool in_transaction = !broken && connection->InTransaction();
  std::shared_ptr<Waiter> wake;
  {
    std::lock_guard lock(mutex_);
    if (broken || in_transaction || closed_) {
      if (broken || in_transaction) ++stats_.discarded;
      wake = HandOffSlotLocked();
    } else if (!waiters_.empty()) {
      wake = std::move(waiters_.front());
      waiters_.pop_front();
      wake->connection = std::move(connection);
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  if (in_transaction) {
    // Only an exception or a cancelled coroutine leaves a transaction open; closing the
    // connection makes the server roll it back.
    spdlog::warn("postgres: closing a connection returned inside a transaction");
  }
  if (wake) wake->Notify();
  // A connection not handed on is closed here, outside the lock.
}

void PgPool::Close() {
  std::vector<std::unique_ptr<PgConnection>> idle;
  std::deque<std::shared_ptr<Waiter>> waiters;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    idle.swap(idle_);
    open_ -= idle.size();
    waiters.swap(waiters_);
  }
  for (const std::shared_ptr<Waiter>& waiter : waiters) waiter->Notify();
}

PgPool::Stats PgPool::GetStats() const {
  std::lock_guard lock(mutex_);
  Stats stats = stats_;
  stats.open = open_;
  stats.idle = idle_.size();
  stats.waiting = waiters_.size();
  return stats;
}

}  // namespace convene::store::postgres
