#include "store/sqlite/sqlite_room_store.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>

#include "store/key_range.hpp"
#include "store/sqlite/sqlite_connections.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/store_errors.hpp"

namespace convene::store::sqlite {
namespace {

using domain::Room;

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

constexpr std::string_view kComponent = "room store";

}  // namespace

// ----- lifecycle -----

Result<std::unique_ptr<SqliteRoomStore>> SqliteRoomStore::Open(std::string data_dir) {
  Result<std::unique_ptr<Connections>> connections = Connections::Open(std::move(data_dir));
  if (!connections) return Fail(std::move(connections.error()));
  return std::unique_ptr<SqliteRoomStore>(new SqliteRoomStore(std::move(*connections)));
}

SqliteRoomStore::SqliteRoomStore(Connections& connections) : connections_(connections) {}

SqliteRoomStore::SqliteRoomStore(std::unique_ptr<Connections> owned)
    : owned_(std::move(owned)), connections_(*owned_) {}

// Out of line: Connections is incomplete in the header.
SqliteRoomStore::~SqliteRoomStore() = default;

void SqliteRoomStore::Close() { connections_.Close(); }

bool SqliteRoomStore::Ping() { return connections_.Ping(); }

Result<void> SqliteRoomStore::IntegrityCheck() { return connections_.IntegrityCheck(); }

const std::string& SqliteRoomStore::Path() const { return connections_.Path(); }

// ----- writes -----

asio::awaitable<Result<void>> SqliteRoomStore::CreateRoom(const domain::Room& room) {
  // The room is copied into the task: the writer must not reach into the caller's frame, which
  // could be destroyed (io_context shutdown) while the task is queued.
  auto task = [room](Db& db) { return CreateRoomOnWriter(db, room); };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "CreateRoom", std::move(result));
}

asio::awaitable<Result<std::optional<domain::Room>>> SqliteRoomStore::UpdateRoom(
    std::string_view room_id, RoomMutator mutator) {
  auto task = [id = std::string(room_id), mutator = std::move(mutator)](Db& db) {
    return UpdateRoomOnWriter(db, id, mutator, nullptr);
  };
  DbResult<std::optional<Room>> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "UpdateRoom", std::move(result));
}

asio::awaitable<Result<std::optional<domain::Room>>> SqliteRoomStore::UpdateRoom(
    std::string_view room_id, RoomMutator mutator, RoomEventsFn events) {
  auto task = [id = std::string(room_id), mutator = std::move(mutator), events = std::move(events)](
                  Db& db) { return UpdateRoomOnWriter(db, id, mutator, &events); };
  DbResult<std::optional<Room>> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "UpdateRoom", std::move(result));
}

DbResult<void> SqliteRoomStore::CreateRoomOnWriter(Db& db, const domain::Room& room) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx) return Fail(std::move(tx.error()));
  {
    Result<CachedStatement> insert = db.Cached(kInsertRoom);
    if (!insert) return Fail(std::move(insert.error()));
    if (Result<void> bound = BindRoom(**insert, room); !bound)
      return Fail(std::move(bound.error()));
    if (Result<void> ran = (*insert)->Run(); !ran) return Fail(std::move(ran.error()));
  }
  // ON CONFLICT DO NOTHING turns a taken id into "0 rows changed" instead of a constraint error,
  // so no other constraint failure can be mistaken for a duplicate.
  if (db.Changes() == 0) return Result<void>(Fail(RoomAlreadyExists(room.room_id)));
  if (Result<void> committed = tx->Commit(); !committed) return Fail(std::move(committed.error()));
  return Result<void>();
}

DbResult<std::optional<Room>> SqliteRoomStore::UpdateRoomOnWriter(Db& db,
                                                                  const std::string& room_id,
                                                                  const RoomMutator& mutator,
                                                                  const RoomEventsFn* events) {
  using Outcome = Result<std::optional<Room>>;
  // IMMEDIATE: the write lock is held from the read on, so nothing can change the row between
  // the SELECT and the UPDATE (there is one writer anyway, but other processes may exist).
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx) return Fail(std::move(tx.error()));
  Result<std::optional<Room>> current = SelectRoom(db, room_id);
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
  // Before any write, like the mutator: an exception from it leaves nothing to undo but `tx`.
  std::vector<OutboxEvent> new_events;
  if (events != nullptr && *events) new_events = (*events)(room, *action);

  const char* sql = nullptr;
  switch (*action) {
    case UpdateAction::kKeep:
      // Nothing to write unless there are events; the transaction then rolls back.
      if (new_events.empty()) return Outcome(std::move(room));
      break;
    case UpdateAction::kSave:
      sql = kUpdateRoom;
      break;
    case UpdateAction::kDelete:
      sql = kDeleteRoom;
      break;
  }
  if (sql != nullptr) {
    Result<CachedStatement> write = db.Cached(sql);
    if (!write) return Fail(std::move(write.error()));
    Result<void> bound =
        *action == UpdateAction::kSave ? BindRoom(**write, room) : (*write)->Bind(1, room_id);
    if (!bound) return Fail(std::move(bound.error()));
    if (Result<void> ran = (*write)->Run(); !ran) return Fail(std::move(ran.error()));
  }
  if (!new_events.empty()) {
    DbResult<void> inserted = InsertOutboxEvents(db, new_events);
    if (!inserted) return Fail(std::move(inserted.error()));
    // A taken event id: the room change rolls back with the events already inserted.
    if (!*inserted) return Outcome(Fail(std::move(inserted->error())));
  }
  if (Result<void> committed = tx->Commit(); !committed) return Fail(std::move(committed.error()));
  return Outcome(std::move(room));
}

// ----- reads -----
// They run on the calling thread: each is one indexed query of a few microseconds, cheaper than
// the two thread hops a pool would cost, and WAL keeps them from waiting for the writer.

asio::awaitable<Result<std::optional<domain::Room>>> SqliteRoomStore::GetRoom(
    std::string_view room_id) {
  co_return ForClient(kComponent, "GetRoom", GetRoomNow(room_id));
}

asio::awaitable<Result<RoomPage>> SqliteRoomStore::ListRooms(std::string_view prefix,
                                                             std::string_view after_room_id,
                                                             std::size_t limit) {
  co_return ForClient(kComponent, "ListRooms", ListRoomsNow(prefix, after_room_id, limit));
}

asio::awaitable<Result<RoomPage>> SqliteRoomStore::ListExpiredRooms(std::int64_t now_ms,
                                                                    std::string_view after_room_id,
                                                                    std::size_t limit) {
  co_return ForClient(kComponent, "ListExpiredRooms",
                      ListExpiredRoomsNow(now_ms, after_room_id, limit));
}

Result<std::optional<Room>> SqliteRoomStore::GetRoomNow(std::string_view room_id) {
  Result<Connections::ReaderLease> reader = connections_.AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  return SelectRoom(**reader, room_id);
}

Result<RoomPage> SqliteRoomStore::ListRoomsNow(std::string_view prefix,
                                               std::string_view after_room_id, std::size_t limit) {
  const ListQuery query = PickListQuery(prefix, after_room_id);
  Result<Connections::ReaderLease> reader = connections_.AcquireReader();
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
  Result<Connections::ReaderLease> reader = connections_.AcquireReader();
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
  Result<Connections::ReaderLease> reader = connections_.AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  return ExplainQueryPlan(**reader, PickListQuery(prefix, after_room_id).sql);
}

Result<std::vector<std::string>> SqliteRoomStore::ExplainListExpiredRoomsForTest() {
  Result<Connections::ReaderLease> reader = connections_.AcquireReader();
  if (!reader) return Fail(std::move(reader.error()));
  return ExplainQueryPlan(**reader, kListExpired);
}

}  // namespace convene::store::sqlite
