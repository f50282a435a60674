#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::store::postgres {

class PgPool;
class PostgresOutboxStore;
class PostgresRoomStore;
class PostgresSettingsStore;

struct PostgresOptions {
  /// libpq connection URI or key=value string, e.g.
  /// `postgresql://convene:secret@db.internal:5432/convene?sslmode=require`. The tables live in
  /// the first schema of the search_path (`?options=-csearch_path%3Dconvene` picks another).
  std::string url;
  /// Most connections open at once (per instance): the PostgreSQL statements in flight.
  std::size_t pool_size = 8;
  /// Deadline of one connection attempt (TCP, TLS, authentication).
  std::chrono::milliseconds connect_timeout{5000};
  /// Deadline of one statement: the server's `statement_timeout`; the client gives up half a
  /// second later (then the server or the network is gone). Also the longest wait for a pooled
  /// connection when all are busy.
  std::chrono::milliseconds statement_timeout{5000};
  /// Open() brings the schema up to date; when false it only verifies that the schema is
  /// current and fails otherwise, changing nothing (`convene --check-store`).
  bool migrate = true;
};

/// Pool figures for /metrics.
struct PostgresPoolStats {
  std::size_t open = 0;
  std::size_t idle = 0;
  std::size_t waiting = 0;
  std::uint64_t connects = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t discarded = 0;
};

/// A Convene PostgreSQL database and the stores on it (the counterpart of SqliteDatabase, for
/// running several instances on one database). The three stores share one connection pool, and a
/// room change and the webhook events it causes commit in one transaction
/// (RoomStore::UpdateRoom with events; deviations §7.2, §8).
///
/// Asynchronous throughout: libpq in non-blocking mode on the Asio event loop (PQsocket +
/// async_wait), prepared statements (prepared lazily per connection), one transaction per state
/// change. See PgConnection and PgPool (src/store/postgres) for the mechanics.
///
/// Failures: while the database is unreachable, or when a connection is lost mid-operation, the
/// stores return StoreUnavailable() (503); a read, or a write that cannot have committed, is
/// first retried once on a fresh connection, and a write whose outcome is unknown never is. The
/// pool reconnects by itself (with back-off) when the database is back.
///
/// Threading: every store is safe to use from any thread of the executor's io_context. The
/// database owns its stores: they must not be used after it is destroyed. Operations still
/// suspended when it is destroyed keep the connection pool alive until they end (or until the
/// io_context is destroyed with them).
class PostgresDatabase {
 public:
  /// Connects (one connection, the others on demand), and brings the schema up to date
  /// (migrations under an advisory lock, so instances may start together). An unreachable or
  /// misconfigured database fails (kUnavailable; kInvalidArgument for a malformed URL) with a
  /// message naming host, port, database and user and the cause — never the password — meant
  /// for the start-up log before exiting.
  static boost::asio::awaitable<Result<std::unique_ptr<PostgresDatabase>>> Open(
      boost::asio::any_io_executor executor, PostgresOptions options);

  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;
  /// Calls Close().
  ~PostgresDatabase();

  PostgresRoomStore& Rooms() { return *rooms_; }
  PostgresSettingsStore& Settings() { return *settings_; }
  PostgresOutboxStore& Outbox() { return *outbox_; }

  /// Readiness probe (/ready): a pooled connection answers `SELECT 1` within the statement
  /// timeout. Never throws.
  boost::asio::awaitable<bool> Ping();

  /// Closes the idle connections; connections in use close when their operation ends, and later
  /// calls on any store fail with StoreUnavailable(). Does not wait. Idempotent.
  void Close();

  PostgresPoolStats PoolStats() const;
  /// "host=… port=… dbname=… user=…" (no password), for logs.
  const std::string& Describe() const;

 private:
  explicit PostgresDatabase(std::shared_ptr<PgPool> pool);

  // Declared first, destroyed last: the stores only hold a reference to it. Shared with the
  // leases of operations still in flight.
  std::shared_ptr<PgPool> pool_;
  std::unique_ptr<PostgresRoomStore> rooms_;
  std::unique_ptr<PostgresSettingsStore> settings_;
  std::unique_ptr<PostgresOutboxStore> outbox_;
};

}  // namespace convene::store::postgres
