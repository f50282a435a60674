#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/result.hpp"
#include "store/sqlite/sqlite_db.hpp"

/// The connections of one Convene SQLite database and the plumbing its stores share (rooms,
/// settings, outbox). Internal to src/store/sqlite: the public entry points are SqliteDatabase
/// and SqliteRoomStore::Open.
namespace convene::store::sqlite {

namespace asio = boost::asio;

/// The outer error is a diagnostic from the database layer (logged, then replaced by a generic
/// client-facing error); the inner Result is the operation's own outcome (kAlreadyExists, a
/// mutator's error), which reaches the caller unchanged.
template <class T>
using DbResult = Result<Result<T>>;

/// kUnavailable: a write or read after Close().
Error StoreClosed();

/// Logs the diagnostic (SQLite's own text; bound values, and so secrets, never appear in it) as
/// "<component>: <operation> failed: ..." and returns the generic error clients see.
Error Report(std::string_view component, std::string_view operation, const Error& diagnostic);

template <class T>
Result<T> ForClient(std::string_view component, std::string_view operation, Result<T> result) {
  if (!result) return Fail(Report(component, operation, result.error()));
  return result;
}

template <class T>
Result<T> FlattenForClient(std::string_view component, std::string_view operation,
                           DbResult<T> result) {
  if (!result) return Fail(Report(component, operation, result.error()));
  return std::move(*result);
}

/// Binds ?1, ?2, ... in order; stops at the first failure.
template <class... Args>
Result<void> BindAll(Statement& statement, const Args&... args) {
  int index = 0;
  Result<void> result;
  (void)(... && (result = statement.Bind(++index, args)).has_value());
  return result;
}

/// A LIMIT value for `limit` without overflowing SQLite's signed 64-bit integers.
inline std::int64_t SqlLimit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, kMax));
}

/// `<data_dir>/convene.db` (deviations §7.2: WAL, synchronous=FULL, one transaction per write).
///
/// Threading: writes run one at a time on a dedicated writer thread with its own connection, each
/// in one BEGIN IMMEDIATE transaction, so a transaction may span the tables of several stores
/// (a room change and its outbox events). Reads are short indexed queries that run directly on
/// the calling thread, on a read-only connection borrowed from a small pool; WAL lets them run
/// while a write is in progress.
class Connections {
 public:
  static constexpr std::string_view kFileName = "convene.db";

  /// Creates `data_dir` if needed, opens or creates the database, applies pending migrations and
  /// starts the writer thread. The error names the path and the cause.
  static Result<std::unique_ptr<Connections>> Open(std::string data_dir);

  Connections(const Connections&) = delete;
  Connections& operator=(const Connections&) = delete;
  /// Close(), then waits for the writer thread.
  ~Connections();

  /// A read connection borrowed from the pool; goes back when the lease ends. A reader never
  /// suspends while it holds one, so there are at most as many as threads that read concurrently.
  class ReaderLease {
   public:
    ReaderLease(Connections& owner, std::unique_ptr<Db> db) : owner_(&owner), db_(std::move(db)) {}
    ReaderLease(ReaderLease&& other) noexcept = default;
    ReaderLease& operator=(ReaderLease&&) = delete;
    ~ReaderLease() {
      if (db_) owner_->ReleaseReader(std::move(db_));
    }

    Db& operator*() const { return *db_; }
    Db* operator->() const { return db_.get(); }

   private:
    Connections* owner_;
    std::unique_ptr<Db> db_;
  };

  Result<ReaderLease> AcquireReader();

  /// Runs `f(writer_db)` on the writer thread and resumes the awaiting coroutine on its own
  /// executor; `f` returns a DbResult and should run exactly one transaction. After Close(), `f`
  /// is not called and the result is StoreClosed(). co_spawn, not `co_await post(pool)`: the
  /// latter resumes on the caller's executor (CONVENTIONS §4.1). `f` is moved into the spawned
  /// coroutine, so nothing it uses may live in the caller's frame, which could be destroyed
  /// (io_context shutdown) while the task is queued.
  ///
  /// GCC 12 mishandles temporaries with non-trivial destructors inside a `co_await` expression
  /// (seen here as a lambda capturing a Room destroyed with garbage after resuming on another
  /// thread), so every such object is bound to a named local first, here and in the callers.
  template <class F>
  asio::awaitable<std::invoke_result_t<F&, Db&>> Write(F f) {
    using R = std::invoke_result_t<F&, Db&>;
    auto task = [this, f = std::move(f)]() mutable -> asio::awaitable<R> {
      if (!writer_.IsOpen()) co_return Fail(StoreClosed());
      co_return f(writer_);
    };
    co_return co_await asio::co_spawn(*writer_pool_, std::move(task), asio::use_awaitable);
  }

  /// Graceful shutdown: blocks until every write queued before the call has committed, then
  /// closes all connections (which checkpoints the WAL). Later calls fail with kUnavailable.
  /// Idempotent. Call it from outside the writer, once the server has stopped taking requests.
  void Close();

  /// Readiness probe: open, and a read of the database file succeeds. Microseconds.
  bool Ping();

  /// `PRAGMA integrity_check` on a read connection. Reads the whole file: run it at start-up or
  /// on a blocking pool, not on an I/O thread. Fails with kInternal listing the first problems.
  Result<void> IntegrityCheck();

  const std::string& Path() const { return path_; }

 private:
  Connections(std::string path, Db writer);
  void ReleaseReader(std::unique_ptr<Db> reader);

  const std::string path_;

  // Touched only on the writer thread (and by Close() through a task posted to it).
  Db writer_;
  std::unique_ptr<asio::thread_pool> writer_pool_;

  std::atomic<bool> closed_{false};
  std::mutex close_mutex_;  // serialises Close() callers

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Db>> idle_readers_;  // guarded by readers_mutex_
  bool readers_closed_ = false;                    // guarded by readers_mutex_
};

/// The EXPLAIN QUERY PLAN detail lines of `sql` on `db` (for tests of index use).
Result<std::vector<std::string>> ExplainQueryPlan(Db& db, std::string_view sql);

}  // namespace convene::store::sqlite
