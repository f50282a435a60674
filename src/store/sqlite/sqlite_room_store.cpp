#include "store/sqlite/sqlite_room_store.hpp"

#include <algorithm>
#include <filesystem>
#include <future>
#include <limits>
#include <system_error>
#include <type_traits>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/sqlite/schema.hpp"
#include "store/store_errors.hpp"

namespace convene::store::sqlite {
namespace {

using domain::Room;

/// The outer error is a diagnostic from the database layer (logged, then replaced by a generic
/// client-facing error); the inner Result is the operation's own outcome (kAlreadyExists, a
/// mutator's error), which reaches the caller unchanged.
template <class T>
using DbResult = Result<Result<T>>;

// Busy readers and the writer wait this long for a lock before reporting kUnavailable. Only
// another process (a backup tool, the sqlite3 shell) can hold a lock that long: inside Convene
// there is one writer and WAL readers do not block.
constexpr int kBusyTimeoutMs = 5000;
// Idle read connections kept for reuse; more than the number of threads that read concurrently
// would never be used.
constexpr std::size_t kMaxIdleReaders = 16;

// String-literal concatenation keeps every statement a compile-time constant, which is also the
// key of the per-connection statement cache. The column order is the one BindRoom and ReadRoom
// use.
#define CONVENE_ROOM_COLUMNS                                                                    \
  "room_id, room_name, creation_date, auto_deletion_date, auto_deletion_with_meeting, "         \
  "auto_deletion_with_recordings, recording_enabled, recording_allow_access_to, chat_enabled, " \
  "virtual_background_enabled, max_participants, moderator_secret, speaker_secret, status, "    \
  "meeting_end_action"

constexpr const char* kInsertRoom =
    "INSERT INTO rooms (" CONVENE_ROOM_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    " ON CONFLICT (room_id) DO NOTHING";
constexpr const char* kUpdateRoom =
    "UPDATE rooms SET room_name = ?2, creation_date = ?3, auto_deletion_date = ?4,"
    " auto_deletion_with_meeting = ?5, auto_deletion_with_recordings = ?6,"
    " recording_enabled = ?7, recording_allow_access_to = ?8, chat_enabled = ?9,"
    " virtual_background_enabled = ?10, max_participants = ?11, moderator_secret = ?12,"
    " speaker_secret = ?13, status = ?14, meeting_end_action = ?15"
    " WHERE room_id = ?1";
constexpr const char* kDeleteRoom = "DELETE FROM rooms WHERE room_id = ?1";
constexpr const char* kSelectRoom = "SELECT " CONVENE_ROOM_COLUMNS " FROM rooms WHERE room_id = ?1";

// ListRooms needs one lower bound (whichever of `> after` and `>= prefix` is tighter, chosen in
// C++) and an optional upper bound: SQLite's planner uses a single lower bound for the index
// range, so handing it both would let it start the scan at the looser one. Plain comparisons on
// room_id (not LIKE/GLOB, whose metacharacters would need escaping and which defeat the index
// under BINARY collation) keep the prefix literal and the scan on the primary key.
constexpr const char* kListAfter =
    "SELECT " CONVENE_ROOM_COLUMNS " FROM rooms WHERE room_id > ?1 ORDER BY room_id LIMIT ?2";
constexpr const char* kListAfterBelow =
    "SELECT " CONVENE_ROOM_COLUMNS
    " FROM rooms WHERE room_id > ?1 AND room_id < ?2 ORDER BY room_id LIMIT ?3";
constexpr const char* kListFrom =
    "SELECT " CONVENE_ROOM_COLUMNS " FROM rooms WHERE room_id >= ?1 ORDER BY room_id LIMIT ?2";
constexpr const char* kListFromBelow =
    "SELECT " CONVENE_ROOM_COLUMNS
    " FROM rooms WHERE room_id >= ?1 AND room_id < ?2 ORDER BY room_id LIMIT ?3";
// Left to itself the planner walks the primary key in room_id order to skip the sort, i.e. it
// reads every room to find the few expired ones. INDEXED BY makes it read only expired rooms
// from the partial index and sort those (the collector's pages are small).
constexpr const char* kListExpired =
    "SELECT " CONVENE_ROOM_COLUMNS
    " FROM rooms INDEXED BY rooms_by_auto_deletion_date"
    " WHERE auto_deletion_date < ?1 AND room_id > ?2 ORDER BY room_id LIMIT ?3";

#undef CONVENE_ROOM_COLUMNS

Error StoreClosed() { return Error::Unavailable("Storage Error", "the store is closed"); }

/// Logs the diagnostic (SQLite's own text; bound values, and so secrets, never appear in it) and
/// returns the generic error clients see.
Error Report(std::string_view operation, const Error& diagnostic) {
  if (diagnostic.code == ErrorCode::kUnavailable) {
    spdlog::warn("room store: {} failed: {}", operation, diagnostic.message);
  } else {
    spdlog::error("room store: {} failed: {}", operation, diagnostic.message);
  }
  return ToClientError(diagnostic);
}

template <class T>
Result<T> ForClient(std::string_view operation, Result<T> result) {
  if (!result) return Fail(Report(operation, result.error()));
  return result;
}

template <class T>
Result<T> FlattenForClient(std::string_view operation, DbResult<T> result) {
  if (!result) return Fail(Report(operation, result.error()));
  return std::move(*result);
}

/// Runs `f` on the writer pool and resumes the awaiting coroutine on its own executor. co_spawn,
/// not `co_await post(pool)`: the latter resumes on the caller's executor (CONVENTIONS §4.1).
/// `f` is moved into the spawned coroutine, so nothing it uses may live in the caller's frame.
///
/// GCC 12 mishandles temporaries with non-trivial destructors inside a `co_await` expression
/// (seen here as a lambda capturing a Room destroyed with garbage after resuming on another
/// thread), so every such object is bound to a named local first, here and in the callers.
template <class F>
asio::awaitable<std::invoke_result_t<F&>> RunOnWriter(asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F&>;
  auto task = [f = std::move(f)]() mutable -> asio::awaitable<R> { co_return f(); };
  co_return co_await asio::co_spawn(pool, std::move(task), asio::use_awaitable);
}

template <class... Args>
Result<void> BindAll(Statement& statement, const Args&... args) {
  int index = 0;
  Result<void> result;
  (void)(... && (result = statement.Bind(++index, args)).has_value());
  return result;
}

/// Binds ?1..?15 in CONVENE_ROOM_COLUMNS order.
Result<void> BindRoom(Statement& statement, const Room& room) {
  const domain::RoomConfig& config = room.config;
  std::optional<std::string_view> access;
  if (config.recording_allow_access_to)
    access = domain::ToString(*config.recording_allow_access_to);
  std::optional<std::int64_t> max_participants;
  if (config.max_participants) max_participants = *config.max_participants;
  return BindAll(statement, std::string_view(room.room_id), std::string_view(room.room_name),
                 room.creation_date, room.auto_deletion_date,
                 domain::ToString(room.auto_deletion_policy.with_meeting),
                 domain::ToString(room.auto_deletion_policy.with_recordings),
                 std::int64_t{config.recording_enabled}, access, std::int64_t{config.chat_enabled},
                 std::int64_t{config.virtual_background_enabled}, max_participants,
                 std::string_view(room.moderator_secret), std::string_view(room.speaker_secret),
                 domain::ToString(room.status), domain::ToString(room.meeting_end_action));
}

Error CorruptColumn(std::string_view room_id, std::string_view column) {
  // The offending value is left out: this column could one day hold something sensitive.
  return Error::Internal("room '" + std::string(room_id) + "' has an invalid " +
                         std::string(column));
}

template <class E>
Result<E> ParseColumn(const Statement& row, int column, std::optional<E> (*parse)(std::string_view),
                      std::string_view room_id, std::string_view name) {
  if (std::optional<E> value = parse(row.ColumnText(column))) return *value;
  return Fail(CorruptColumn(room_id, name));
}

/// Reads a row selected with CONVENE_ROOM_COLUMNS.
Result<Room> ReadRoom(const Statement& row) {
  Room room;
  room.room_id = row.ColumnText(0);
  room.room_name = row.ColumnText(1);
  room.creation_date = row.ColumnInt64(2);
  if (!row.IsNull(3)) room.auto_deletion_date = row.ColumnInt64(3);

  auto with_meeting = ParseColumn(row, 4, &domain::ParseWithMeetingPolicy, room.room_id,
                                  "auto_deletion_with_meeting");
  if (!with_meeting) return Fail(std::move(with_meeting.error()));
  room.auto_deletion_policy.with_meeting = *with_meeting;
  auto with_recordings = ParseColumn(row, 5, &domain::ParseWithRecordingsPolicy, room.room_id,
                                     "auto_deletion_with_recordings");
  if (!with_recordings) return Fail(std::move(with_recordings.error()));
  room.auto_deletion_policy.with_recordings = *with_recordings;

  room.config.recording_enabled = row.ColumnInt64(6) != 0;
  room.config.recording_allow_access_to.reset();
  if (!row.IsNull(7)) {
    auto access = ParseColumn(row, 7, &domain::ParseRecordingAccess, room.room_id,
                              "recording_allow_access_to");
    if (!access) return Fail(std::move(access.error()));
    room.config.recording_allow_access_to = *access;
  }
  room.config.chat_enabled = row.ColumnInt64(8) != 0;
  room.config.virtual_background_enabled = row.ColumnInt64(9) != 0;
  if (!row.IsNull(10)) {
    const std::int64_t max = row.ColumnInt64(10);
    if (max < 0 || max > std::numeric_limits<std::uint32_t>::max()) {
      return Fail(CorruptColumn(room.room_id, "max_participants"));
    }
    room.config.max_participants = static_cast<std::uint32_t>(max);
  }
  room.moderator_secret = row.ColumnText(11);
  room.speaker_secret = row.ColumnText(12);

  auto status = ParseColumn(row, 13, &domain::ParseRoomStatus, room.room_id, "status");
  if (!status) return Fail(std::move(status.error()));
  room.status = *status;
  auto end_action =
      ParseColumn(row, 14, &domain::ParseMeetingEndAction, room.room_id, "meeting_end_action");
  if (!end_action) return Fail(std::move(end_action.error()));
  room.meeting_end_action = *end_action;
  return room;
}

Result<std::optional<Room>> SelectRoom(Db& db, std::string_view room_id) {
  Result<CachedStatement> select = db.Cached(kSelectRoom);
  if (!select) return Fail(std::move(select.error()));
  if (Result<void> bound = (*select)->Bind(1, room_id); !bound)
    return Fail(std::move(bound.error()));
  Result<bool> row = (*select)->Step();
  if (!row) return Fail(std::move(row.error()));
  if (!*row) return std::optional<Room>();
  Result<Room> room = ReadRoom(**select);
  if (!room) return Fail(std::move(room.error()));
  return std::optional<Room>(std::move(*room));
}

/// Steps through a statement selecting CONVENE_ROOM_COLUMNS that was bound with LIMIT limit+1.
Result<RoomPage> ReadPage(Statement& statement, std::size_t limit) {
  RoomPage page;
  page.rooms.reserve(std::min<std::size_t>(limit, 1024));
  for (;;) {
    Result<bool> row = statement.Step();
    if (!row) return Fail(std::move(row.error()));
    if (!*row) break;
    if (page.rooms.size() == limit) {  // the limit+1-th row only says that more follow
      page.truncated = true;
      break;
    }
    Result<Room> room = ReadRoom(statement);
    if (!room) return Fail(std::move(room.error()));
    page.rooms.push_back(std::move(*room));
  }
  return page;
}

/// LIMIT value that fetches one row more than `limit` (to detect truncation) without overflow.
std::int64_t LimitPlusOne(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max() - 1);
  return static_cast<std::int64_t>(std::min(limit, kMax)) + 1;
}

/// The smallest string greater than every string that starts with `prefix`, or nullopt when
/// there is none (empty prefix, or only 0xFF bytes). Trailing 0xFF bytes cannot be incremented,
/// so they are dropped first: "a\xFF" -> "b".
std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string upper(prefix);
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xFF) upper.pop_back();
  if (upper.empty()) return std::nullopt;
  upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
  return upper;
}

struct ListQuery {
  const char* sql;
  std::string_view lower;
  std::optional<std::string> upper;
};

ListQuery PickListQuery(std::string_view prefix, std::string_view after_room_id) {
  // Byte-wise comparison, as SQLite's BINARY collation (char_traits<char> compares unsigned).
  const bool after_is_tighter = !after_room_id.empty() && after_room_id >= prefix;
  std::optional<std::string> upper = PrefixUpperBound(prefix);
  const char* sql = after_is_tighter ? (upper ? kListAfterBelow : kListAfter)
                                     : (upper ? kListFromBelow : kListFrom);
  return {sql, after_is_tighter ? after_room_id : prefix, std::move(upper)};
}

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

Result<std::vector<std::string>> ExplainOn(Db& db, std::string_view sql) {
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

}  // namespace

// ----- connection pool for readers -----

/// A read connection borrowed from the pool; goes back when the lease ends.
class SqliteRoomStore::ReaderLease {
 public:
  ReaderLease(SqliteRoomStore& store, std::unique_ptr<Db> db)
      : store_(&store), db_(std::move(db)) {}
  ReaderLease(ReaderLease&& other) noexcept = default;
  ReaderLease& operator=(ReaderLease&&) = delete;
  ~ReaderLease() {
    if (db_) store_->ReleaseReader(std::move(db_));
  }

  Db& operator*() const { return *db_; }
  Db* operator->() const { return db_.get(); }

 private:
  SqliteRoomStore* store_;
  std::unique_ptr<Db> db_;
};

Result<SqliteRoomStore::ReaderLease> SqliteRoomStore::AcquireReader() {
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

void SqliteRoomStore::ReleaseReader(std::unique_ptr<Db> reader) {
  std::unique_lock lock(readers_mutex_);
  if (!readers_closed_ && idle_readers_.size() < kMaxIdleReaders) {
    idle_readers_.push_back(std::move(reader));
    return;
  }
  lock.unlock();
  reader.reset();  // closes the connection outside the lock
}

// ----- lifecycle -----

Result<std::unique_ptr<SqliteRoomStore>> SqliteRoomStore::Open(std::string data_dir) {
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

  std::unique_ptr<SqliteRoomStore> store(new SqliteRoomStore(std::move(path), std::move(*writer)));
  store->ReleaseReader(std::move(*reader));
  return store;
}

SqliteRoomStore::SqliteRoomStore(std::string path, Db writer)
    : path_(std::move(path)),
      writer_(std::move(writer)),
      // Started last: from here on writer_ belongs to the writer thread.
      writer_pool_(std::make_unique<asio::thread_pool>(1)) {}

SqliteRoomStore::~SqliteRoomStore() {
  Close();
  writer_pool_->join();
}

void SqliteRoomStore::Close() {
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
      spdlog::warn("room store: PRAGMA optimize on close failed: {}", optimized.error().message);
    }
    writer_.Close();
    closed.set_value();
  });
  closed.get_future().wait();
}

bool SqliteRoomStore::Ping() {
  if (closed_.load()) return false;
  Result<ReaderLease> reader = AcquireReader();
  if (!reader) return false;
  // Reads the database header, so it fails if the file has become unreadable.
  Result<CachedStatement> probe = (*reader)->Cached("PRAGMA schema_version");
  if (!probe) return false;
  Result<bool> row = (*probe)->Step();
  return row && *row;
}

Result<void> SqliteRoomStore::IntegrityCheck() {
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

// ----- writes -----

asio::awaitable<Result<void>> SqliteRoomStore::CreateRoom(const domain::Room& room) {
  // The room is copied into the task: the writer must not reach into the caller's frame, which
  // could be destroyed (io_context shutdown) while the task is queued.
  auto task = [this, room] { return CreateRoomOnWriter(room); };
  DbResult<void> result = co_await RunOnWriter(*writer_pool_, std::move(task));
  co_return FlattenForClient("CreateRoom", std::move(result));
}

asio::awaitable<Result<std::optional<domain::Room>>> SqliteRoomStore::UpdateRoom(
    std::string_view room_id, RoomMutator mutator) {
  auto task = [this, id = std::string(room_id), mutator = std::move(mutator)] {
    return UpdateRoomOnWriter(id, mutator);
  };
  DbResult<std::optional<Room>> result = co_await RunOnWriter(*writer_pool_, std::move(task));
  co_return FlattenForClient("UpdateRoom", std::move(result));
}

DbResult<void> SqliteRoomStore::CreateRoomOnWriter(const domain::Room& room) {
  if (!writer_.IsOpen()) return Fail(StoreClosed());
  Result<Transaction> tx = Transaction::Begin(writer_);
  if (!tx) return Fail(std::move(tx.error()));
  {
    Result<CachedStatement> insert = writer_.Cached(kInsertRoom);
    if (!insert) return Fail(std::move(insert.error()));
    if (Result<void> bound = BindRoom(**insert, room); !bound)
      return Fail(std::move(bound.error()));
    if (Result<void> ran = (*insert)->Run(); !ran) return Fail(std::move(ran.error()));
  }
  // ON CONFLICT DO NOTHING turns a taken id into "0 rows changed" instead of a constraint error,
  // so no other constraint failure can be mistaken for a duplicate.
  if (writer_.Changes() == 0) return Result<void>(Fail(RoomAlreadyExists(room.room_id)));
  if (Result<void> committed = tx->Commit(); !committed) return Fail(std::move(committed.error()));
  return Result<void>();
}

DbResult<std::optional<Room>> SqliteRoomStore::UpdateRoomOnWriter(const std::string& room_id,
                                                                  const RoomMutator& mutator) {
  using Outcome = Result<std::optional<Room>>;
  if (!writer_.IsOpen()) return Fail(StoreClosed());
  // IMMEDIATE: the write lock is held from the read on, so nothing can change the row between
  // the SELECT and the UPDATE (there is one writer anyway, but other processes may exist).
  Result<Transaction> tx = Transaction::Begin(writer_);
  if (!tx) return Fail(std::move(tx.error()));
  Result<std::optional<Room>> current = SelectRoom(writer_, room_id);
  if (!current) return Fail(std::move(current.error()));
  if (!*current) return Outcome(std::optional<Room>());  // the mutator is not called

  Room room = std::move(**current);
  Result<UpdateAction> action = mutator(room);
  // Returning drops `tx`, which rolls back; the mutator's error is the caller's, unchanged.
  if (!action) return Outcome(Fail(std::move(action.error())));
  if (room.room_id != room_id) {
    spdlog::error("room store: UpdateRoom mutator changed the roomId of '{}'", room_id);
    return Outcome(Fail(MutatorChangedRoomId()));
  }

  const char* sql = nullptr;
  switch (*action) {
    case UpdateAction::kKeep:
      return Outcome(std::move(room));  // nothing to write; the transaction rolls back
    case UpdateAction::kSave:
      sql = kUpdateRoom;
      break;
    case UpdateAction::kDelete:
      sql = kDeleteRoom;
      break;
  }
  {
    Result<CachedStatement> write = writer_.Cached(sql);
    if (!write) return Fail(std::move(write.error()));
    Result<void> bound =
        *action == UpdateAction::kSave ? BindRoom(**write, room) : (*write)->Bind(1, room_id);
    if (!bound) return Fail(std::move(bound.error()));
    if (Result<void> ran = (*write)->Run(); !ran) return Fail(std::move(ran.error()));
  }
  if (Result<void> committed = tx->Commit(); !committed) return Fail(std::move(committed.error()));
  return Outcome(std::move(room));
}

// ----- reads -----
// They run on the calling thread: each is one indexed query of a few microseconds, cheaper than
// the two thread hops a pool would cost, and WAL keeps them from waiting for the writer.

asio::awaitable<Result<std::optional<domain::Room>>> SqliteRoomStore::GetRoom(
    std::string_view room_id) {
  co_return ForClient("GetRoom", GetRoomNow(room_id));
}

asio::awaitable<Result<RoomPage>> SqliteRoomStore::ListRooms(std::string_view prefix,
                                                             std::string_view after_room_id,
                                                             std::size_t limit) {
  co_return ForClient("ListRooms", ListRoomsNow(prefix, after_room_id, limit));
}

asio::awaitable<Result<RoomPage>> SqliteRoomStore::ListExpiredRooms(std::int64_t now_ms,
                                                                    std::string_view after_room_id,
                                                                    std::size_t limit) {
  co_return ForClient("ListExpiredRooms", ListExpiredRoomsNow(now_ms, after_room_id, limit));
}

Result<std::optional<Room>> SqliteRoomStore::GetRoomNow(std::string_view room_id) {
  Result<ReaderLease> reader = AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  return SelectRoom(**reader, room_id);
}

Result<RoomPage> SqliteRoomStore::ListRoomsNow(std::string_view prefix,
                                               std::string_view after_room_id, std::size_t limit) {
  const ListQuery query = PickListQuery(prefix, after_room_id);
  Result<ReaderLease> reader = AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  Result<CachedStatement> list = (*reader)->Cached(query.sql);
  if (!list) return Fail(std::move(list.error()));
  Result<void> bound = query.upper ? BindAll(**list, query.lower, std::string_view(*query.upper),
                                             LimitPlusOne(limit))
                                   : BindAll(**list, query.lower, LimitPlusOne(limit));
  if (!bound) return Fail(std::move(bound.error()));
  return ReadPage(**list, limit);
}

Result<RoomPage> SqliteRoomStore::ListExpiredRoomsNow(std::int64_t now_ms,
                                                      std::string_view after_room_id,
                                                      std::size_t limit) {
  Result<ReaderLease> reader = AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  Result<CachedStatement> list = (*reader)->Cached(kListExpired);
  if (!list) return Fail(std::move(list.error()));
  if (Result<void> bound = BindAll(**list, now_ms, after_room_id, LimitPlusOne(limit)); !bound) {
    return Fail(std::move(bound.error()));
  }
  return ReadPage(**list, limit);
}

// ----- test hooks -----

Result<std::vector<std::string>> SqliteRoomStore::ExplainListRoomsForTest(
    std::string_view prefix, std::string_view after_room_id) {
  Result<ReaderLease> reader = AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  return ExplainOn(**reader, PickListQuery(prefix, after_room_id).sql);
}

Result<std::vector<std::string>> SqliteRoomStore::ExplainListExpiredRoomsForTest() {
  Result<ReaderLease> reader = AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  return ExplainOn(**reader, kListExpired);
}

}  // namespace convene::store::sqlite
