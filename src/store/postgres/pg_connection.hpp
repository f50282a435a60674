#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/result.hpp"

// libpq's opaque handles (libpq-fe.h: `typedef struct pg_conn PGconn;`), so that only the .cpp
// files include libpq.
struct pg_conn;
struct pg_result;

/// The PostgreSQL plumbing shared by the three PostgreSQL stores: one non-blocking libpq
/// connection driven by Asio, its parameters, results and errors. Internal to src/store/postgres:
/// the public entry point is PostgresDatabase.
namespace convene::store::postgres {

namespace asio = boost::asio;
using PgClock = std::chrono::steady_clock;

// ----- errors -----
// Diagnostics carry PostgreSQL's own text (statement parameters, and so secrets, never appear in
// it); the stores log them and hand clients StoreUnavailable() / StoreInternal() instead.
// Error::reason says what a caller may branch on:

/// kUnavailable: the statement may be re-run on another connection because it cannot have had a
/// durable effect (it was never sent, it is read-only, or it ran inside a transaction that the
/// server rolls back when the connection dies).
inline constexpr std::string_view kReasonRetryable = "pg_retryable";
/// kUnavailable: the deadline passed; the connection was dropped (the outcome is unknown).
inline constexpr std::string_view kReasonTimeout = "pg_timeout";
/// kUnavailable: the connection broke after a write was sent; the outcome is unknown.
inline constexpr std::string_view kReasonLost = "pg_connection_lost";
/// kUnavailable / kInternal from the server: "sqlstate:<5 chars>".
inline constexpr std::string_view kReasonSqlStatePrefix = "sqlstate:";

/// What a statement does, which decides whether it may be retried after a lost connection.
enum class StatementKind {
  kRead,    // no durable effect on its own (SELECT, BEGIN, ROLLBACK, SELECT ... FOR UPDATE)
  kWrite,   // changes data: durable at once outside a transaction, at COMMIT inside one
  kCommit,  // COMMIT: once sent, the outcome is unknown until its reply arrives
};

/// A statement known at compile time, prepared lazily (once per connection) under `name`.
struct PgStatement {
  const char* name;  // unique across the process, e.g. "room_get"
  const char* sql;   // one statement, parameters $1..$n with explicit casts ($1::bytea)
  StatementKind kind;
};

// ----- parameters and results (binary format both ways) -----

/// Statement parameters in libpq's binary format. Strings are not copied: whatever they view must
/// outlive the statement (in a coroutine: a local of the awaiting frame).
class PgParams {
 public:
  PgParams() { items_.reserve(16); }
  /// bytea or text (binary text is the raw UTF-8 bytes).
  PgParams& Bytes(std::string_view value);
  PgParams& Int64(std::int64_t value);
  PgParams& Int32(std::int32_t value);
  PgParams& Bool(bool value);
  PgParams& Null();
  PgParams& OptionalBytes(const std::optional<std::string_view>& value);
  PgParams& OptionalInt64(const std::optional<std::int64_t>& value);

  int Count() const { return static_cast<int>(items_.size()); }

 private:
  friend class PgConnection;
  struct Item {
    const char* data;  // nullptr = SQL NULL; for numbers, points into `inline_bytes` when sent
    int length;
    bool inline_value;
    std::array<char, 8> inline_bytes;  // big-endian number
  };
  std::vector<Item> items_;
};

/// A PGresult (binary columns), owned.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* result);
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int Rows() const;
  int Columns() const;
  /// Rows changed by an INSERT/UPDATE/DELETE (PQcmdTuples).
  std::uint64_t AffectedRows() const;

  bool IsNull(int row, int column) const;
  std::string_view Bytes(int row, int column) const;  // bytea or text
  std::string String(int row, int column) const { return std::string(Bytes(row, column)); }
  std::int64_t Int64(int row, int column) const;  // int8 (see CheckTypes)
  std::int32_t Int32(int row, int column) const;  // int4
  bool Bool(int row, int column) const;           // bool

  /// Column type codes, for CheckTypes.
  enum class Type : unsigned { kBool = 16, kBytea = 17, kInt8 = 20, kInt4 = 23, kText = 25 };
  /// Fails (kInternal) unless the columns have exactly these types. The typed getters trust the
  /// binary lengths the types imply, so readers check once per result, not per value.
  Result<void> CheckTypes(std::initializer_list<Type> types) const;

 private:
  pg_result* result_ = nullptr;
};

/// One statement of a batch (PgConnection::ExecuteBatch); both pointers must outlive the call.
struct PgBatchItem {
  const PgStatement* statement;
  const PgParams* params;
};

/// What a batch did, when the connection survived it.
struct PgBatchResult {
  std::vector<PgResult> results;  // one per statement, when all succeeded
  std::optional<Error> error;     // else the first failure (error.reason as for Execute) ...
  std::size_t failed_index = 0;   // ... at this statement; the later ones did not run
};

// ----- connection parameters -----

/// Parsed connection parameters: the caller's URL plus Convene's own settings. Holds the
/// password (libpq needs it), so it is never logged; Describe() is what messages show.
class PgConnectParams {
 public:
  /// `url` is a libpq connection URI (postgresql://user:pw@host:port/db?...) or key=value string.
  /// Adds `fallback_application_name=convene` and, in `options`, a server-side
  /// `statement_timeout`, leaving the caller's own `options` in place. The error never contains
  /// the password.
  static Result<PgConnectParams> Parse(std::string_view url,
                                       std::chrono::milliseconds statement_timeout);

  /// "host=… port=… dbname=… user=…" of the parameters given (no password).
  const std::string& Describe() const { return description_; }
  /// `message` with every occurrence of the password (as given and percent-decoded) masked.
  std::string Scrub(std::string message) const;

  const std::vector<std::string>& Keywords() const { return keywords_; }
  const std::vector<std::string>& Values() const { return values_; }
  /// The client-side deadline of one statement: the server's statement_timeout plus a grace, so
  /// that a slow statement normally ends with the server's clean error (the connection stays
  /// usable) and the client deadline only fires when the server or the network is gone.
  std::chrono::milliseconds ClientStatementTimeout() const { return client_statement_timeout_; }

 private:
  std::chrono::milliseconds client_statement_timeout_{0};
  std::vector<std::string> keywords_;
  std::vector<std::string> values_;
  std::vector<std::string> secrets_;  // the password spellings to mask
  std::string description_;
};

/// Masks every occurrence of each secret (of at least 3 characters) in `message`.
std::string ScrubSecrets(std::string message, const std::vector<std::string>& secrets);

// ----- connection -----

/// One libpq connection in non-blocking mode, driven by Asio: PQconnectStart/PQconnectPoll, then
/// PQsendPrepare/PQsendQueryPrepared + PQflush (several statements per round trip in pipeline
/// mode, ExecuteBatch), waiting on PQsocket with `stream_descriptor::async_wait` and reading with
/// PQconsumeInput/PQisBusy/PQgetResult. Parameters and results use the binary format. No libpq
/// call here ever blocks the calling thread: a host name is resolved with Asio's resolver first
/// and passed to libpq as `hostaddr` (a list of hosts, `host=a,b`, is left to libpq, which then
/// resolves them with a blocking lookup).
///
/// Every operation has a deadline; past it the operation fails with kUnavailable (reason
/// kReasonTimeout) and the connection is marked broken, since its state is then unknown.
///
/// Threading: one coroutine at a time (the pool hands it out exclusively), which may resume on
/// any thread of the executor. The I/O objects are bound to the executor given to Connect; the
/// awaiting coroutine resumes on its own executor.
class PgConnection {
 public:
  /// Connects (including authentication) before `deadline`. The error (kUnavailable) names the
  /// server (PgConnectParams::Describe) and libpq's cause, with the password masked.
  static asio::awaitable<Result<std::unique_ptr<PgConnection>>> Connect(
      asio::any_io_executor executor, const PgConnectParams& params, PgClock::time_point deadline);

  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  /// Runs a prepared statement (prepared on this connection at first use) and returns its
  /// result. A server error is kInternal, or kUnavailable for the SQLSTATE classes that mean
  /// "try later" (connection, resources, shutdown, serialization); see the kReason* constants.
  asio::awaitable<Result<PgResult>> Execute(const PgStatement& statement, const PgParams& params,
                                            PgClock::time_point deadline);
  /// The same with the default deadline (PgConnectParams::ClientStatementTimeout from now).
  asio::awaitable<Result<PgResult>> Execute(const PgStatement& statement, const PgParams& params);
  asio::awaitable<Result<PgResult>> Execute(const PgStatement& statement);
  PgClock::time_point DefaultDeadline() const { return PgClock::now() + statement_timeout_; }

  /// Sends several prepared statements at once (libpq pipeline mode: one round trip) and reads
  /// their results. A statement's failure skips the later ones (inside a transaction block, the
  /// transaction is then failed: roll back); it is reported in PgBatchResult::error, while the
  /// outer error is a failure of the connection (kUnavailable, retryable as for Execute, judged
  /// by the batch's strongest statement kind).
  asio::awaitable<Result<PgBatchResult>> ExecuteBatch(std::span<const PgBatchItem> items);

  /// Runs `sql` unprepared (one statement, binary results): for rare statements and tests.
  asio::awaitable<Result<PgResult>> Query(const char* sql, const PgParams& params,
                                          StatementKind kind, PgClock::time_point deadline);

  /// Runs `sql` with the simple-query protocol, which allows several statements (schema
  /// migrations); returns the last statement's result (text format).
  asio::awaitable<Result<PgResult>> ExecuteScript(const char* sql, StatementKind kind,
                                                  PgClock::time_point deadline);

  /// Broken connections are not reused.
  bool IsBroken() const;
  /// Inside a transaction block (or a failed one): must not go back to the pool as is.
  bool InTransaction() const;
  /// Cheap liveness check of an idle connection before it is handed out: reads whatever the
  /// server sent meanwhile without waiting (a FATAL error and EOF after pg_terminate_backend or a
  /// server restart). False (and broken) when the connection is gone.
  bool CheckIdle();
  /// The server process id (pg_backend_pid()), for logs and tests.
  int BackendPid() const;

 private:
  PgConnection(asio::any_io_executor executor, pg_conn* conn,
               std::chrono::milliseconds statement_timeout);
  static void OnNotice(void* self, const pg_result* notice);

  enum class WaitFor { kRead, kWrite };
  /// Waits until the socket is ready or the deadline passes (then marks the connection broken).
  asio::awaitable<Result<void>> Wait(WaitFor what, PgClock::time_point deadline);
  /// Points the descriptor at PQsocket (which may change while connecting).
  Result<void> TrackSocket();
  /// After a PQsend*: flushes, then collects every result until PQgetResult returns null.
  /// Returns the first error, else the last result.
  asio::awaitable<Result<PgResult>> Finish(StatementKind kind, bool in_transaction,
                                           PgClock::time_point deadline);
  /// Sends what libpq has queued.
  asio::awaitable<Result<void>> Flush(StatementKind kind, bool in_transaction,
                                      PgClock::time_point deadline);
  /// The error of a failed result (also marks the connection broken if it is).
  Error ResultError(const pg_result* result, StatementKind kind, bool in_transaction);
  /// The error for a failure of the connection itself (not of a statement).
  Error ConnectionError(std::string_view what, StatementKind kind, bool sent, bool in_transaction);
  asio::awaitable<Result<void>> Prepare(const PgStatement& statement,
                                        PgClock::time_point deadline);

  pg_conn* conn_;
  asio::posix::stream_descriptor socket_;  // does not own the fd (released before PQfinish)
  asio::steady_timer timer_;
  std::chrono::milliseconds statement_timeout_;
  bool broken_ = false;
  std::vector<const PgStatement*> prepared_;  // statements prepared on this connection
};

}  // namespace convene::store::postgres
