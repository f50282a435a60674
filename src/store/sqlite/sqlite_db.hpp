#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"

// The SQLite handles stay opaque here so that only sqlite_db.cpp includes <sqlite3.h>.
struct sqlite3;
struct sqlite3_stmt;

/// A thin RAII layer over the SQLite C API (CONVENTIONS §3.6): Db, Statement, a per-connection
/// prepared-statement cache and a BEGIN IMMEDIATE transaction guard, with every failure as a
/// Result.
///
/// Error messages produced here are *diagnostics for the log*: they name the operation and quote
/// SQLite's own text (which never contains bound values), but they are not meant for clients.
/// Stores convert them with ToClientError() before returning them through their interface.
///
/// A Db and everything prepared from it must be used by one thread at a time (connections are
/// opened with SQLITE_OPEN_NOMUTEX).
namespace convene::store::sqlite {

/// kUnavailable for conditions outside our control that may go away (locked, busy, I/O error,
/// disk full, cannot open), kInternal for everything else.
Error SqliteError(int rc, std::string_view what, sqlite3* db = nullptr);

/// The client-facing version of an error from this layer: the generic store errors of
/// store_errors.hpp, with the same ErrorCode.
Error ToClientError(const Error& diagnostic);

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  /// Parameter indexes are 1-based, as in SQLite. Text is bound with its exact length (no copy
  /// is made: SQLITE_STATIC), so the bytes must stay alive until the statement is reset.
  Result<void> Bind(int index, std::string_view text);
  Result<void> Bind(int index, std::int64_t value);
  Result<void> Bind(int index, std::nullopt_t);
  template <class T>
  Result<void> Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : Bind(index, std::nullopt);
  }

  /// true when a row is available, false when the statement is done.
  Result<bool> Step();
  /// Steps to completion, for statements that return no rows.
  Result<void> Run();
  /// Makes the statement reusable and clears its bindings. Ends the implicit read transaction of
  /// a SELECT, which must happen promptly so that WAL checkpoints are not held back.
  void Reset();

  /// Columns are 0-based. Text views stay valid until the next Step() or Reset().
  bool IsNull(int column) const;
  std::int64_t ColumnInt64(int column) const;
  std::string_view ColumnText(int column) const;

  bool IsValid() const { return stmt_ != nullptr; }

 private:
  friend class Db;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

/// A statement borrowed from a Db's cache; resets it when it goes out of scope.
class CachedStatement {
 public:
  explicit CachedStatement(Statement& statement) : statement_(&statement) {}
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;
  CachedStatement(CachedStatement&& other) noexcept
      : statement_(std::exchange(other.statement_, nullptr)) {}
  CachedStatement& operator=(CachedStatement&&) = delete;
  ~CachedStatement() {
    if (statement_ != nullptr) statement_->Reset();
  }

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

enum class OpenMode { kReadWriteCreate, kReadOnly };

class Db {
 public:
  /// Opens (or, in kReadWriteCreate, creates) the database file at `path`. The error message
  /// names the path.
  static Result<Db> Open(const std::string& path, OpenMode mode);

  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  ~Db();

  /// Runs one or more SQL statements that take no parameters; result rows are discarded.
  Result<void> Exec(std::string_view sql);
  /// A fresh statement owned by the caller.
  Result<Statement> Prepare(std::string_view sql);
  /// A statement prepared once per connection and kept for its lifetime (keyed by the SQL text).
  Result<CachedStatement> Cached(std::string_view sql);
  /// The first column of the first row, e.g. for `PRAGMA user_version`.
  Result<std::int64_t> QueryInt64(std::string_view sql);
  Result<std::string> QueryText(std::string_view sql);

  /// Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  std::int64_t Changes() const;
  bool InTransaction() const;
  bool IsOpen() const { return db_ != nullptr; }
  sqlite3* Handle() const { return db_; }

  /// Finalizes cached statements and closes the connection; idempotent. The last connection to a
  /// WAL database checkpoints and removes the -wal file here.
  void Close();

 private:
  explicit Db(sqlite3* db) : db_(db) {}

  sqlite3* db_ = nullptr;
  // unique_ptr keeps each Statement at a stable address while the map grows.
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

/// BEGIN IMMEDIATE ... COMMIT. IMMEDIATE takes the write lock up front, so a read-modify-write
/// can never fail half-way with SQLITE_BUSY on lock upgrade. Rolls back on destruction unless
/// committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Db& db);

  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction() { Rollback(); }

  Result<void> Commit();
  /// Idempotent; a no-op after Commit().
  void Rollback();

 private:
  explicit Transaction(Db& db) : db_(&db) {}

  Db* db_;
};

}  // namespace convene::store::sqlite
