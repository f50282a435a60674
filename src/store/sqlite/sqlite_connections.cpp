#include "store/sqlite/sqlite_connections.hpp"

#include <filesystem>
#include <future>
#include <system_error>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "store/sqlite/schema.hpp"

namespace convene::store::sqlite {
namespace {

// Busy readers and the writer wait this long for a lock before reporting kUnavailable. Only
// another process (a backup tool, the sqlite3 shell) can hold a lock that long: inside Convene
// there is one writer and WAL readers do not block.
constexpr int kBusyTimeoutMs = 5000;
// Idle read connections kept for reuse; more than the number of threads that read concurrently
// would never be used.
constexpr std::size_t kMaxIdleReaders = 16;

Result<void> ConfigureConnection(Db& db) {
  // busy_timeout first: the statements below may themselves need a lock.
  return db.Exec("PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs) +
                 "; PRAGMA foreign_keys = ON;");
}

Result<void> ConfigureWriter(Db& db) {
  if (Result<void> configured = ConfigureConnection(db); !configured) return configured;
  // WAL: readers never block the writer and vice versa. The mode is persistent in the file.
  Result<std::string> mode = db.QueryText("PRAGMA journal_mode = WAL");
  if (!mode) return Fail(std::move(mode.error()));
  if (*mode != "wal") {
    return Fail(Error::Internal("cannot enable WAL journal mode (got '" + *mode + "')"));
  }
  // FULL, not WAL's usual NORMAL: a commit is only acknowledged once the WAL is fsynced, so an
  // acknowledged write survives power loss (deviations §7.2). Per connection, hence here.
  return db.Exec("PRAGMA synchronous = FULL");
}

Result<std::unique_ptr<Db>> OpenReader(const std::string& path) {
  Result<Db> db = Db::Open(path, OpenMode::kReadOnly);
  if (!db) return Fail(std::move(db.error()));
  if (Result<void> configured = ConfigureConnection(*db); !configured) {
    return Fail(std::move(configured.error()));
  }
  return std::make_unique<Db>(std::move(*db));
}

}  // namespace

Error StoreClosed() { return Error::Unavailable("Storage Error", "the store is closed"); }

Error Report(std::string_view component, std::string_view operation, const Error& diagnostic) {
  if (diagnostic.code == ErrorCode::kUnavailable) {
    spdlog::warn("{}: {} failed: {}", component, operation, diagnostic.message);
  } else {
    spdlog::error("{}: {} failed: {}", component, operation, diagnostic.message);
  }
  return ToClientError(diagnostic);
}

Result<std::vector<std::string>> ExplainQueryPlan(Db& db, std::string_view sql) {
  Result<Statement> explain = db.Prepare("EXPLAIN QUERY PLAN " + std::string(sql));
  if (!explain) return Fail(std::move(explain.error()));
  std::vector<std::string> lines;
  for (;;) {
    Result<bool> row = explain->Step();
    if (!row) return Fail(std::move(row.error()));
    if (!*row) return lines;
    lines.emplace_back(explain->ColumnText(3));  // columns: id, parent, notused, detail
  }
}

// ----- connection pool for readers -----

Result<Connections::ReaderLease> Connections::AcquireReader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (readers_closed_) return Fail(StoreClosed());
    if (!idle_readers_.empty()) {
      std::unique_ptr<Db> db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(*this, std::move(db));
    }
  }
  // Opening takes ~100 µs; do it outside the lock. Happens once per concurrently reading thread.
  Result<std::unique_ptr<Db>> db = OpenReader(path_);
  if (!db) return Fail(std::move(db.error()));
  return ReaderLease(*this, std::move(*db));
}

void Connections::ReleaseReader(std::unique_ptr<Db> reader) {
  std::unique_lock lock(readers_mutex_);
  if (!readers_closed_ && idle_readers_.size() < kMaxIdleReaders) {
    idle_readers_.push_back(std::move(reader));
    return;
  }
  lock.unlock();
  reader.reset();  // closes the connection outside the lock
}

// ----- lifecycle -----

Result<std::unique_ptr<Connections>> Connections::Open(std::string data_dir) {
  if (data_dir.empty()) return Fail(Error::Internal("SQLite store: the data directory is empty"));
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return Fail(Error::Unavailable(
        "Storage Error", "cannot create data directory '" + data_dir + "': " + ec.message()));
  }
  std::string path = (std::filesystem::path(data_dir) / kFileName).string();
  auto with_path = [&path](Error error) {
    error.message = "SQLite store '" + path + "': " + error.message;
    return error;
  };

  Result<Db> writer = Db::Open(path, OpenMode::kReadWriteCreate);
  if (!writer) return Fail(std::move(writer.error()));  // already names the path
  if (Result<void> configured = ConfigureWriter(*writer); !configured) {
    return Fail(with_path(std::move(configured.error())));
  }
  if (Result<void> migrated = Migrate(*writer); !migrated) {
    return Fail(with_path(std::move(migrated.error())));
  }
  // Open one reader now so that a read-path problem (permissions on the -shm file, ...) fails
  // start-up rather than the first request.
  Result<std::unique_ptr<Db>> reader = OpenReader(path);
  if (!reader) return Fail(with_path(std::move(reader.error())));
  if (Result<std::int64_t> version = (*reader)->QueryInt64("PRAGMA user_version"); !version) {
    return Fail(with_path(std::move(version.error())));
  }

  std::unique_ptr<Connections> connections(new Connections(std::move(path), std::move(*writer)));
  connections->ReleaseReader(std::move(*reader));
  return connections;
}

Connections::Connections(std::string path, Db writer)
    : path_(std::move(path)),
      writer_(std::move(writer)),
      // Started last: from here on writer_ belongs to the writer thread.
      writer_pool_(std::make_unique<asio::thread_pool>(1)) {}

Connections::~Connections() {
  Close();
  writer_pool_->join();
}

void Connections::Close() {
  std::lock_guard close_lock(close_mutex_);
  if (closed_.exchange(true)) return;

  // Readers first: the last connection to close checkpoints the WAL into the main file and
  // deletes it, and only the writer (read-write) can do that.
  std::vector<std::unique_ptr<Db>> idle;
  {
    std::lock_guard lock(readers_mutex_);
    readers_closed_ = true;
    idle.swap(idle_readers_);
  }
  idle.clear();

  // The writer pool has one thread and runs tasks in FIFO order, so this task runs after every
  // write queued before it: they all commit, and any write queued later finds writer_ closed and
  // fails with kUnavailable instead of hanging.
  std::promise<void> closed;
  asio::post(*writer_pool_, [this, &closed] {
    if (Result<void> optimized = writer_.Exec("PRAGMA optimize"); !optimized) {
      spdlog::warn("SQLite store: PRAGMA optimize on close failed: {}", optimized.error().message);
    }
    writer_.Close();
    closed.set_value();
  });
  closed.get_future().wait();
}

bool Connections::Ping() {
  if (closed_.load()) return false;
  Result<ReaderLease> reader = AcquireReader();
  if (!reader) return false;
  // Reads the database header, so it fails if the file has become unreadable.
  Result<CachedStatement> probe = (*reader)->Cached("PRAGMA schema_version");
  if (!probe) return false;
  Result<bool> row = (*probe)->Step();
  return row && *row;
}

Result<void> Connections::IntegrityCheck() {
  Result<ReaderLease> reader = AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  Result<Statement> check = (*reader)->Prepare("PRAGMA integrity_check(20)");
  if (!check) return Fail(std::move(check.error()));
  std::string problems;
  for (;;) {
    Result<bool> row = check->Step();
    if (!row) return Fail(std::move(row.error()));
    if (!*row) break;
    const std::string_view line = check->ColumnText(0);
    if (line == "ok") continue;
    if (!problems.empty()) problems += "; ";
    problems += line;  // page numbers and index names, never row contents
  }
  if (!problems.empty()) {
    return Fail(
        Error::Internal("SQLite store '" + path_ + "': integrity check failed: " + problems));
  }
  return {};
}

}  // namespace convene::store::sqlite
