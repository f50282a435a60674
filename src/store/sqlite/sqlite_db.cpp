#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <limits>

#include "store/store_errors.hpp"

namespace convene::store::sqlite {
namespace {

bool IsUnavailable(int rc) {
  switch (rc & 0xff) {  // primary code of an extended result code
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:  // e.g. SQLITE_READONLY_DBMOVED: the file went away under us
      return true;
    default:
      return false;
  }
}

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n;") == std::string_view::npos;
}

}  // namespace

Error SqliteError(int rc, std::string_view what, sqlite3* db) {
  int code = rc;
  std::string message(what);
  message += ": ";
  if (db != nullptr && sqlite3_errcode(db) != SQLITE_OK) {
    code = sqlite3_extended_errcode(db);
    message += sqlite3_errmsg(db);
  } else {
    message += sqlite3_errstr(rc);
  }
  message += " (SQLite code " + std::to_string(code) + ")";
  return IsUnavailable(code) ? Error::Unavailable("Storage Error", std::move(message))
                             : Error::Internal(std::move(message));
}

Error ToClientError(const Error& diagnostic) {
  return diagnostic.code == ErrorCode::kUnavailable ? StoreUnavailable() : StoreInternal();
}

// ----- Statement -----

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(std::exchange(other.db_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Result<void> Statement::Bind(int index, std::string_view text) {
  // A null pointer would bind SQL NULL, but an empty string_view may well have data() == nullptr.
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) return Fail(SqliteError(rc, "bind text parameter", db_));
  return {};
}

Result<void> Statement::Bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) return Fail(SqliteError(rc, "bind integer parameter", db_));
  return {};
}

Result<void> Statement::Bind(int index, std::nullopt_t) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) return Fail(SqliteError(rc, "bind null parameter", db_));
  return {};
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Fail(SqliteError(rc, "step statement", db_));
}

Result<void> Statement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row) return Fail(std::move(row.error()));
    if (!*row) return {};
  }
}

void Statement::Reset() {
  // sqlite3_reset repeats the last step's error, which the caller has already seen.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string_view Statement::ColumnText(int column) const {
  // text before bytes: sqlite3_column_bytes then reports the size of the UTF-8 form.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

// ----- Db -----

Result<Db> Db::Open(const std::string& path, OpenMode mode) {
  // NOMUTEX: each connection is confined to one thread at a time by its owner, so SQLite's
  // per-connection mutex would be pure overhead.
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= mode == OpenMode::kReadOnly ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  Db db(handle);  // closes the handle on every path below, even when open failed
  if (rc != SQLITE_OK) {
    return Fail(SqliteError(rc, "cannot open SQLite database '" + path + "'", handle));
  }
  sqlite3_extended_result_codes(handle, 1);
  return db;
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), cache_(std::move(other.cache_)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    Close();
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
  }
  return *this;
}

Db::~Db() { Close(); }

void Db::Close() {
  cache_.clear();  // finalize before closing
  if (db_ != nullptr) {
    // close_v2 defers the close if a caller still holds a Statement instead of failing.
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

Result<void> Db::Exec(std::string_view sql) {
  if (db_ == nullptr) return Fail(SqliteError(SQLITE_MISUSE, "exec on a closed connection"));
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Fail(SqliteError(rc, "exec", db_));
  return {};
}

Result<Statement> Db::Prepare(std::string_view sql) {
  if (db_ == nullptr) return Fail(SqliteError(SQLITE_MISUSE, "prepare on a closed connection"));
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return Fail(SqliteError(SQLITE_TOOBIG, "prepare"));
  }
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  Statement statement(stmt, db_);
  if (rc != SQLITE_OK) return Fail(SqliteError(rc, "prepare", db_));
  if (stmt == nullptr) return Fail(SqliteError(SQLITE_MISUSE, "prepare: empty SQL"));
  // A second statement after the first would silently never run.
  if (!IsBlank(std::string_view(tail, sql.data() + sql.size() - tail))) {
    return Fail(SqliteError(SQLITE_MISUSE, "prepare: more than one statement"));
  }
  return statement;
}

Result<CachedStatement> Db::Cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    Result<Statement> statement = Prepare(sql);
    if (!statement) return Fail(std::move(statement.error()));
    it = cache_.emplace(std::string(sql), std::make_unique<Statement>(std::move(*statement))).first;
  }
  return CachedStatement(*it->second);
}

Result<std::int64_t> Db::QueryInt64(std::string_view sql) {
  Result<Statement> statement = Prepare(sql);
  if (!statement) return Fail(std::move(statement.error()));
  Result<bool> row = statement->Step();
  if (!row) return Fail(std::move(row.error()));
  if (!*row) return Fail(SqliteError(SQLITE_MISMATCH, "query returned no row"));
  return statement->ColumnInt64(0);
}

Result<std::string> Db::QueryText(std::string_view sql) {
  Result<Statement> statement = Prepare(sql);
  if (!statement) return Fail(std::move(statement.error()));
  Result<bool> row = statement->Step();
  if (!row) return Fail(std::move(row.error()));
  if (!*row) return Fail(SqliteError(SQLITE_MISMATCH, "query returned no row"));
  return std::string(statement->ColumnText(0));
}

std::int64_t Db::Changes() const { return sqlite3_changes64(db_); }

bool Db::InTransaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

// ----- Transaction -----

Result<Transaction> Transaction::Begin(Db& db) {
  Result<CachedStatement> begin = db.Cached("BEGIN IMMEDIATE");
  if (!begin) return Fail(std::move(begin.error()));
  if (Result<void> ran = (*begin)->Run(); !ran) return Fail(std::move(ran.error()));
  return Transaction(db);
}

Result<void> Transaction::Commit() {
  if (db_ == nullptr) return Fail(SqliteError(SQLITE_MISUSE, "commit without a transaction"));
  Result<CachedStatement> commit = db_->Cached("COMMIT");
  if (!commit) return Fail(std::move(commit.error()));
  if (Result<void> ran = (*commit)->Run(); !ran) return Fail(std::move(ran.error()));
  db_ = nullptr;
  return {};
}

void Transaction::Rollback() {
  Db* db = std::exchange(db_, nullptr);
  // SQLite already rolled back by itself after some errors (I/O, disk full); a second ROLLBACK
  // would only fail.
  if (db == nullptr || !db->InTransaction()) return;
  if (Result<CachedStatement> rollback = db->Cached("ROLLBACK")) {
    // Nothing useful to do if ROLLBACK itself fails: the connection is then broken and the next
    // BEGIN will report it.
    (void)(*rollback)->Run();
  }
}

}  // namespace convene::store::sqlite
