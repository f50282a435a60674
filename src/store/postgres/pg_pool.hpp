#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "store/postgres/pg_connection.hpp"

namespace convene::store::postgres {

struct PgPoolOptions {
  std::size_t size = 8;  // most connections open at once
  std::chrono::milliseconds connect_timeout{5000};
  /// Longest wait for a connection when all `size` are busy.
  std::chrono::milliseconds acquire_timeout{5000};
  /// After a failed connect, new connections are not attempted for this long (doubling up to
  /// backoff_max while failures continue); acquirers that would need one fail at once meanwhile,
  /// so a down database costs requests a fast 503 instead of a connect timeout each.
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{2000};
};

class PgPool;

/// A connection borrowed from a PgPool, returned when the lease ends. A connection that is broken
/// or still inside a transaction (an exception escaped mid-transaction) is closed instead. The
/// lease keeps the pool alive: a coroutine suspended mid-statement when the io_context shuts down
/// is destroyed with it, possibly after the database that owned the pool.
class PgLease {
 public:
  PgLease() = default;
  PgLease(std::shared_ptr<PgPool> pool, std::unique_ptr<PgConnection> connection)
      : pool_(std::move(pool)), connection_(std::move(connection)) {}
  PgLease(PgLease&& other) noexcept = default;
  PgLease& operator=(PgLease&& other) noexcept;
  PgLease(const PgLease&) = delete;
  PgLease& operator=(const PgLease&) = delete;
  ~PgLease();

  PgConnection& operator*() const { return *connection_; }
  PgConnection* operator->() const { return connection_.get(); }

 private:
  void Return();

  std::shared_ptr<PgPool> pool_;
  std::unique_ptr<PgConnection> connection_;
};

/// A bounded pool of PgConnections, shared by every thread of the io_context.
///
/// - Connections are opened on demand, up to `size`; an idle one is checked (PgConnection::
///   CheckIdle, no round trip) before it is handed out, and a dead one replaced.
/// - When all are busy, acquirers queue (FIFO) until one is returned or `acquire_timeout` passes.
/// - A failed connect starts a back-off (PgPoolOptions); a successful one ends it. There is no
///   background reconnection: the next acquirer after the back-off tries again, so the pool
///   recovers by itself once the server is back.
/// - Errors are kUnavailable with a diagnostic message (host, port, database, cause; never the
///   password).
///
/// Thread-safe. Owned through shared_ptr (leases share it); create with Create().
class PgPool : public std::enable_shared_from_this<PgPool> {
 public:
  static std::shared_ptr<PgPool> Create(asio::any_io_executor executor, PgConnectParams params,
                                        PgPoolOptions options) {
    return std::shared_ptr<PgPool>(new PgPool(std::move(executor), std::move(params), options));
  }
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  asio::awaitable<Result<PgLease>> Acquire();

  /// Closes the idle connections and fails queued and later acquirers with kUnavailable; busy
  /// connections are closed when they are returned. Idempotent.
  void Close();

  struct Stats {
    std::size_t open = 0;     // connected or connecting
    std::size_t idle = 0;
    std::size_t waiting = 0;  // queued acquirers
    std::uint64_t connects = 0;
    std::uint64_t connect_failures = 0;
    std::uint64_t discarded = 0;  // closed because broken or left inside a transaction
  };
  Stats GetStats() const;

  const PgConnectParams& Params() const { return params_; }

 private:
  friend class PgLease;
  struct Waiter;

  PgPool(asio::any_io_executor executor, PgConnectParams params, PgPoolOptions options);
  void Release(std::unique_ptr<PgConnection> connection);
  /// Opens a connection in a slot already counted in open_.
  asio::awaitable<Result<PgLease>> ConnectInSlot();
  /// Gives a freed slot to the first waiter, if any (under mutex_); returns it to be notified.
  std::shared_ptr<Waiter> HandOffSlotLocked();

  const asio::any_io_executor executor_;
  const PgConnectParams params_;
  const PgPoolOptions options_;

  mutable std::mutex mutex_;
  bool closed_ = false;
  std::size_t open_ = 0;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::deque<std::shared_ptr<Waiter>> waiters_;
  PgClock::time_point retry_at_{};
  std::chrono::milliseconds backoff_;
  std::string last_connect_error_;
  Stats stats_;
};

}  // namespace convene::store::postgres
