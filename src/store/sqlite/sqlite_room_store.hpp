#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "store/room_store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace convene::store::sqlite {

class Connections;

/// RoomStore on a SQLite file, `<data_dir>/convene.db` (deviations §7.2: WAL, synchronous=FULL,
/// one transaction per write, acknowledged writes survive a crash).
///
/// Threading: writes (CreateRoom, UpdateRoom) run one at a time on the database's writer thread
/// with its own connection, each in one BEGIN IMMEDIATE transaction; the calling coroutine resumes
/// on its own executor when the commit is durable. Reads (GetRoom, ListRooms, ListExpiredRooms)
/// are short indexed queries that run directly on the calling thread, on a read-only connection
/// borrowed from a small pool; WAL lets them run while a write is in progress.
///
/// Either standalone (Open(), which owns the database) or one of the stores of a SqliteDatabase
/// (SqliteDatabase::Rooms()), sharing its connections with the settings and outbox stores. The
/// store must outlive every operation started on it.
class SqliteRoomStore final : public RoomStore {
 public:
  static constexpr std::string_view kFileName = "convene.db";

  /// Creates `data_dir` if needed, opens or creates the database, applies pending migrations and
  /// starts the writer thread. The error names the path and the cause. The store owns the
  /// database; use SqliteDatabase::Open instead to also get its settings and outbox stores.
  static Result<std::unique_ptr<SqliteRoomStore>> Open(std::string data_dir);

  /// A store on connections owned elsewhere (by a SqliteDatabase), which must outlive it.
  explicit SqliteRoomStore(Connections& connections);

  SqliteRoomStore(const SqliteRoomStore&) = delete;
  SqliteRoomStore& operator=(const SqliteRoomStore&) = delete;
  /// Closes the database when the store owns it.
  ~SqliteRoomStore() override;

  asio::awaitable<Result<void>> CreateRoom(const domain::Room& room) override;
  asio::awaitable<Result<std::optional<domain::Room>>> GetRoom(std::string_view room_id) override;
  asio::awaitable<Result<RoomPage>> ListRooms(std::string_view prefix,
                                              std::string_view after_room_id,
                                              std::size_t limit) override;
  asio::awaitable<Result<std::optional<domain::Room>>> UpdateRoom(std::string_view room_id,
                                                                  RoomMutator mutator) override;
  asio::awaitable<Result<std::optional<domain::Room>>> UpdateRoom(std::string_view room_id,
                                                                  RoomMutator mutator,
                                                                  RoomEventsFn events) override;
  asio::awaitable<Result<RoomPage>> ListExpiredRooms(std::int64_t now_ms,
                                                     std::string_view after_room_id,
                                                     std::size_t limit) override;

  /// Graceful shutdown of the whole database (also of the stores sharing it): blocks until every
  /// write queued before the call has committed, then closes all connections (which checkpoints
  /// the WAL). Later calls fail with kUnavailable. Idempotent. Call it from outside the writer,
  /// once the server has stopped taking requests.
  void Close();

  /// Readiness probe: the store is open and a read of the database file succeeds. Microseconds.
  bool Ping();

  /// `PRAGMA integrity_check` on a read connection. Reads the whole file: run it at start-up or
  /// on a blocking pool, not on an I/O thread. Fails with kInternal listing the first problems.
  Result<void> IntegrityCheck();

  const std::string& Path() const;

  /// The EXPLAIN QUERY PLAN lines of the query ListRooms would run for these arguments.
  Result<std::vector<std::string>> ExplainListRoomsForTest(std::string_view prefix,
                                                           std::string_view after_room_id);
  /// Likewise for ListExpiredRooms.
  Result<std::vector<std::string>> ExplainListExpiredRoomsForTest();

 private:
  explicit SqliteRoomStore(std::unique_ptr<Connections> owned);

  // Writer-thread side: each runs one whole transaction. The outer error is a database
  // diagnostic (logged, then replaced by a generic error); the inner Result is the operation's
  // own outcome (kAlreadyExists, the mutator's error), returned to the caller as is.
  static Result<Result<void>> CreateRoomOnWriter(Db& db, const domain::Room& room);
  static Result<Result<std::optional<domain::Room>>> UpdateRoomOnWriter(Db& db,
                                                                        const std::string& room_id,
                                                                        const RoomMutator& mutator,
                                                                        const RoomEventsFn* events);

  // Calling-thread side.
  Result<std::optional<domain::Room>> GetRoomNow(std::string_view room_id);
  Result<RoomPage> ListRoomsNow(std::string_view prefix, std::string_view after_room_id,
                                std::size_t limit);
  Result<RoomPage> ListExpiredRoomsNow(std::int64_t now_ms, std::string_view after_room_id,
                                       std::size_t limit);

  std::unique_ptr<Connections> owned_;  // null when a SqliteDatabase owns the connections
  Connections& connections_;
};

}  // namespace convene::store::sqlite
