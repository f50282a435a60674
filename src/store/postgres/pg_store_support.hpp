#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/result.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/store_errors.hpp"

/// What the three PostgreSQL stores share: running one operation on a pooled connection, with a
/// transaction and a retry where that is safe, and turning diagnostics into client errors.
/// Internal to src/store/postgres.
namespace convene::store::postgres {

/// The outer error is a diagnostic (logged, then replaced by StoreUnavailable()/StoreInternal());
/// the inner Result is the operation's own outcome (kAlreadyExists, a mutator's error), which
/// reaches the caller unchanged.
template <class T>
using PgOutcome = Result<Result<T>>;

inline constexpr PgStatement kBegin{"convene_begin", "BEGIN", StatementKind::kRead};
inline constexpr PgStatement kCommit{"convene_commit", "COMMIT", StatementKind::kCommit};
inline constexpr PgStatement kRollback{"convene_rollback", "ROLLBACK", StatementKind::kRead};

/// Logs the diagnostic as "<component>: <operation> failed: ..." (warn for kUnavailable, a
/// degraded mode; error otherwise) and returns the error clients see.
inline Error Report(std::string_view component, std::string_view operation,
                    const Error& diagnostic) {
  if (diagnostic.code == ErrorCode::kUnavailable) {
    spdlog::warn("{}: {} failed: {}", component, operation, diagnostic.message);
    return StoreUnavailable();
  }
  spdlog::error("{}: {} failed: {}", component, operation, diagnostic.message);
  return StoreInternal();
}

/// Runs `attempt(connection)` (returning awaitable<PgOutcome<T>>) on a pooled connection. When it
/// fails because the connection was lost and the failure is marked kReasonRetryable (nothing can
/// have been committed: see PgConnection), it runs once more on another connection; a write whose
/// outcome is unknown (a lost COMMIT or autocommit write, a timeout) is never repeated.
/// Exceptions from `attempt` propagate; the lease then closes a connection left mid-transaction.
template <class T, class F>
asio::awaitable<Result<T>> RunOnPool(PgPool& pool, std::string_view component,
                                     std::string_view operation, F attempt) {
  for (int round = 0;; ++round) {
    Result<PgLease> lease = co_await pool.Acquire();
    if (!lease) co_return Fail(Report(component, operation, lease.error()));
    PgOutcome<T> outcome = co_await attempt(**lease);
    if (outcome) co_return std::move(*outcome);
    if (round == 0 && outcome.error().code == ErrorCode::kUnavailable &&
        outcome.error().reason == kReasonRetryable) {
      spdlog::info("{}: {}: retrying on another connection after: {}", component, operation,
                   outcome.error().message);
      continue;
    }
    co_return Fail(Report(component, operation, outcome.error()));
  }
}

/// BEGIN; body(connection); then COMMIT when both the outer and the inner Result succeeded, else
/// ROLLBACK (also when `body` throws, before the exception is rethrown, so that the connection
/// goes back to the pool clean).
template <class T, class Body>
asio::awaitable<PgOutcome<T>> InTransaction(PgConnection& connection, Body body) {
  Result<PgResult> begun = co_await connection.Execute(kBegin);
  if (!begun) co_return Fail(std::move(begun.error()));
  std::optional<PgOutcome<T>> outcome;
  std::exception_ptr thrown;
  try {
    outcome.emplace(co_await body(connection));
  } catch (...) {
    thrown = std::current_exception();  // no co_await inside a handler: roll back below
  }
  if (!thrown && *outcome && **outcome) {
    Result<PgResult> committed = co_await connection.Execute(kCommit);
    if (!committed) co_return Fail(std::move(committed.error()));
    co_return std::move(*outcome);
  }
  if (!connection.IsBroken()) {
    // Best effort: if it fails, the connection is broken or still in the transaction, and the
    // pool closes it, which makes the server roll back.
    Result<PgResult> rolled_back = co_await connection.Execute(kRollback);
    (void)rolled_back;
  }
  if (thrown) std::rethrow_exception(thrown);
  co_return std::move(*outcome);
}

/// Ends the connection's transaction after a failure, if it is still usable and in one. If the
/// ROLLBACK fails too, the pool closes the connection, which makes the server roll back.
inline asio::awaitable<void> RollBackQuietly(PgConnection& connection) {
  if (connection.IsBroken() || !connection.InTransaction()) co_return;
  Result<PgResult> rolled_back = co_await connection.Execute(kRollback);
  (void)rolled_back;
}

/// LIMIT value for `limit` without overflowing bigint.
inline std::int64_t SqlLimit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, kMax));
}

}  // namespace convene::store::postgres
