#include "store/postgres/postgres_room_store.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "store/key_range.hpp"
#include "store/postgres/pg_outbox_inserts.hpp"
#include "store/postgres/pg_store_support.hpp"

namespace convene::store::postgres {
namespace {

using domain::Room;
using Type = PgResult::Type;

constexpr std::string_view kComponent = "room store";

// The column order of every statement below; BindRoom and ReadRoom depend on it.
#define CONVENE_PG_ROOM_COLUMNS                                                                 \
  "room_id, room_name, creation_date, auto_deletion_date, auto_deletion_with_meeting, "         \
  "auto_deletion_with_recordings, recording_enabled, recording_allow_access_to, chat_enabled, " \
  "virtual_background_enabled, max_participants, moderator_secret, speaker_secret, status, "    \
  "meeting_end_action"

// ON CONFLICT DO NOTHING turns a taken id into "0 rows" instead of an error, so no other
// constraint failure can be mistaken for a duplicate.
constexpr PgStatement kInsertRoom{
    "room_insert",
    "INSERT INTO rooms (" CONVENE_PG_ROOM_COLUMNS
    ") VALUES ($1::bytea, $2::bytea, $3::bigint, $4::bigint, $5::text, $6::text, $7::boolean,"
    " $8::text, $9::boolean, $10::boolean, $11::bigint, $12::bytea, $13::bytea, $14::text,"
    " $15::text) ON CONFLICT (room_id) DO NOTHING",
    StatementKind::kWrite};
constexpr PgStatement kUpdateRoom{
    "room_update",
    "UPDATE rooms SET room_name = $2::bytea, creation_date = $3::bigint,"
    " auto_deletion_date = $4::bigint, auto_deletion_with_meeting = $5::text,"
    " auto_deletion_with_recordings = $6::text, recording_enabled = $7::boolean,"
    " recording_allow_access_to = $8::text, chat_enabled = $9::boolean,"
    " virtual_background_enabled = $10::boolean, max_participants = $11::bigint,"
    " moderator_secret = $12::bytea, speaker_secret = $13::bytea, status = $14::text,"
    " meeting_end_action = $15::text WHERE room_id = $1::bytea",
    StatementKind::kWrite};
constexpr PgStatement kDeleteRoom{"room_delete", "DELETE FROM rooms WHERE room_id = $1::bytea",
                                  StatementKind::kWrite};
constexpr PgStatement kSelectRoom{
    "room_select", "SELECT " CONVENE_PG_ROOM_COLUMNS " FROM rooms WHERE room_id = $1::bytea",
    StatementKind::kRead};
constexpr PgStatement kSelectRoomForUpdate{
    "room_select_for_update",
    "SELECT " CONVENE_PG_ROOM_COLUMNS " FROM rooms WHERE room_id = $1::bytea FOR UPDATE",
    StatementKind::kRead};

// One lower bound (whichever of `> after` and `>= prefix` is tighter, chosen in C++) and an
// optional upper bound, each a plain statement: a generic plan of `($2 IS NULL OR room_id < $2)`
// could not stop the index scan at the end of the prefix.
constexpr PgStatement kListAfter{
    "room_list_after",
    "SELECT " CONVENE_PG_ROOM_COLUMNS
    " FROM rooms WHERE room_id > $1::bytea ORDER BY room_id LIMIT $2::bigint",
    StatementKind::kRead};
constexpr PgStatement kListAfterBelow{
    "room_list_after_below",
    "SELECT " CONVENE_PG_ROOM_COLUMNS
    " FROM rooms WHERE room_id > $1::bytea AND room_id < $2::bytea ORDER BY room_id"
    " LIMIT $3::bigint",
    StatementKind::kRead};
constexpr PgStatement kListFrom{
    "room_list_from",
    "SELECT " CONVENE_PG_ROOM_COLUMNS
    " FROM rooms WHERE room_id >= $1::bytea ORDER BY room_id LIMIT $2::bigint",
    StatementKind::kRead};
constexpr PgStatement kListFromBelow{
    "room_list_from_below",
    "SELECT " CONVENE_PG_ROOM_COLUMNS
    " FROM rooms WHERE room_id >= $1::bytea AND room_id < $2::bytea ORDER BY room_id"
    " LIMIT $3::bigint",
    StatementKind::kRead};
// `auto_deletion_date < $1` implies IS NOT NULL, so the partial index applies.
constexpr PgStatement kListExpired{
    "room_list_expired",
    "SELECT " CONVENE_PG_ROOM_COLUMNS
    " FROM rooms WHERE auto_deletion_date < $1::bigint AND room_id > $2::bytea"
    " ORDER BY room_id LIMIT $3::bigint",
    StatementKind::kRead};

#undef CONVENE_PG_ROOM_COLUMNS

/// Appends $1..$15 in column order. The params view `room`, which must outlive the statement.
void BindRoom(PgParams& params, const Room& room) {
  const domain::RoomConfig& config = room.config;
  std::optional<std::string_view> access;
  if (config.recording_allow_access_to) {
    access = domain::ToString(*config.recording_allow_access_to);
  }
  std::optional<std::int64_t> max_participants;
  if (config.max_participants) max_participants = *config.max_participants;
  params.Bytes(room.room_id)
      .Bytes(room.room_name)
      .Int64(room.creation_date)
      .OptionalInt64(room.auto_deletion_date)
      .Bytes(domain::ToString(room.auto_deletion_policy.with_meeting))
      .Bytes(domain::ToString(room.auto_deletion_policy.with_recordings))
      .Bool(config.recording_enabled)
      .OptionalBytes(access)
      .Bool(config.chat_enabled)
      .Bool(config.virtual_background_enabled)
      .OptionalInt64(max_participants)
      .Bytes(room.moderator_secret)
      .Bytes(room.speaker_secret)
      .Bytes(domain::ToString(room.status))
      .Bytes(domain::ToString(room.meeting_end_action));
}

Result<void> CheckRoomColumns(const PgResult& result) {
  return result.CheckTypes({Type::kBytea, Type::kBytea, Type::kInt8, Type::kInt8, Type::kText,
                            Type::kText, Type::kBool, Type::kText, Type::kBool, Type::kBool,
                            Type::kInt8, Type::kBytea, Type::kBytea, Type::kText, Type::kText});
}

Error CorruptColumn(std::string_view room_id, std::string_view column) {
  // The offending value is left out: this column could one day hold something sensitive.
  return Error::Internal("room '" + std::string(room_id) + "' has an invalid " +
                         std::string(column));
}

template <class E>
Result<E> ParseColumn(const PgResult& result, int row, int column,
                      std::optional<E> (*parse)(std::string_view), std::string_view room_id,
                      std::string_view name) {
  if (std::optional<E> value = parse(result.Bytes(row, column))) return *value;
  return Fail(CorruptColumn(room_id, name));
}

/// Reads row `row` of a result selected with CONVENE_PG_ROOM_COLUMNS (types already checked).
Result<Room> ReadRoom(const PgResult& result, int row) {
  Room room;
  room.room_id = result.String(row, 0);
  room.room_name = result.String(row, 1);
  room.creation_date = result.Int64(row, 2);
  if (!result.IsNull(row, 3)) room.auto_deletion_date = result.Int64(row, 3);

  auto with_meeting = ParseColumn(result, row, 4, &domain::ParseWithMeetingPolicy, room.room_id,
                                  "auto_deletion_with_meeting");
  if (!with_meeting) return Fail(std::move(with_meeting.error()));
  room.auto_deletion_policy.with_meeting = *with_meeting;
  auto with_recordings = ParseColumn(result, row, 5, &domain::ParseWithRecordingsPolicy,
                                     room.room_id, "auto_deletion_with_recordings");
  if (!with_recordings) return Fail(std::move(with_recordings.error()));
  room.auto_deletion_policy.with_recordings = *with_recordings;

  room.config.recording_enabled = result.Bool(row, 6);
  room.config.recording_allow_access_to.reset();
  if (!result.IsNull(row, 7)) {
    auto access = ParseColumn(result, row, 7, &domain::ParseRecordingAccess, room.room_id,
                              "recording_allow_access_to");
    if (!access) return Fail(std::move(access.error()));
    room.config.recording_allow_access_to = *access;
  }
  room.config.chat_enabled = result.Bool(row, 8);
  room.config.virtual_background_enabled = result.Bool(row, 9);
  if (!result.IsNull(row, 10)) {
    const std::int64_t max = result.Int64(row, 10);
    if (max < 0 || max > std::numeric_limits<std::uint32_t>::max()) {
      return Fail(CorruptColumn(room.room_id, "max_participants"));
    }
    room.config.max_participants = static_cast<std::uint32_t>(max);
  }
  room.moderator_secret = result.String(row, 11);
  room.speaker_secret = result.String(row, 12);

  auto status = ParseColumn(result, row, 13, &domain::ParseRoomStatus, room.room_id, "status");
  if (!status) return Fail(std::move(status.error()));
  room.status = *status;
  auto end_action = ParseColumn(result, row, 14, &domain::ParseMeetingEndAction, room.room_id,
                                "meeting_end_action");
  if (!end_action) return Fail(std::move(end_action.error()));
  room.meeting_end_action = *end_action;
  return room;
}

Result<std::optional<Room>> ReadOptionalRoom(const PgResult& result) {
  if (Result<void> typed = CheckRoomColumns(result); !typed) return Fail(std::move(typed.error()));
  if (result.Rows() == 0) return std::optional<Room>();
  Result<Room> room = ReadRoom(result, 0);
  if (!room) return Fail(std::move(room.error()));
  return std::optional<Room>(std::move(*room));
}

/// A page from a result fetched with LIMIT limit+1: the extra row only says that more follow.
Result<RoomPage> ReadPage(const PgResult& result, std::size_t limit) {
  if (Result<void> typed = CheckRoomColumns(result); !typed) return Fail(std::move(typed.error()));
  RoomPage page;
  const auto rows = static_cast<std::size_t>(result.Rows());
  page.truncated = rows > limit;
  const std::size_t count = std::min(rows, limit);
  page.rooms.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Result<Room> room = ReadRoom(result, static_cast<int>(i));
    if (!room) return Fail(std::move(room.error()));
    page.rooms.push_back(std::move(*room));
  }
  return page;
}

// ----- one attempt of each operation, on a leased connection -----

asio::awaitable<PgOutcome<void>> CreateOn(PgConnection& connection, const Room& room) {
  PgParams params;
  BindRoom(params, room);
  Result<PgResult> inserted = co_await connection.Execute(kInsertRoom, params);
  if (!inserted) co_return Fail(std::move(inserted.error()));
  if (inserted->AffectedRows() == 0) co_return Result<void>(Fail(RoomAlreadyExists(room.room_id)));
  co_return Result<void>();
}

asio::awaitable<PgOutcome<std::optional<Room>>> GetOn(PgConnection& connection,
                                                      const std::string& room_id) {
  PgParams params;
  params.Bytes(room_id);
  Result<PgResult> selected = co_await connection.Execute(kSelectRoom, params);
  if (!selected) co_return Fail(std::move(selected.error()));
  Result<std::optional<Room>> room = ReadOptionalRoom(*selected);
  if (!room) co_return Fail(std::move(room.error()));
  co_return std::move(room);
}

asio::awaitable<PgOutcome<RoomPage>> ListOn(PgConnection& connection, const std::string& prefix,
                                            const std::string& after_room_id, std::size_t limit) {
  // Byte-wise comparison, as bytea compares (char_traits<char> compares unsigned).
  const bool after_is_tighter = !after_room_id.empty() && after_room_id >= prefix;
  const std::optional<std::string> upper = PrefixUpperBound(prefix);
  const PgStatement& statement = after_is_tighter ? (upper ? kListAfterBelow : kListAfter)
                                                  : (upper ? kListFromBelow : kListFrom);
  PgParams params;
  params.Bytes(after_is_tighter ? after_room_id : prefix);
  if (upper) params.Bytes(*upper);
  params.Int64(LimitPlusOne(limit));
  Result<PgResult> selected = co_await connection.Execute(statement, params);
  if (!selected) co_return Fail(std::move(selected.error()));
  Result<RoomPage> page = ReadPage(*selected, limit);
  if (!page) co_return Fail(std::move(page.error()));
  co_return std::move(page);
}

asio::awaitable<PgOutcome<RoomPage>> ListExpiredOn(PgConnection& connection, std::int64_t now_ms,
                                                   const std::string& after_room_id,
                                                   std::size_t limit) {
  PgParams params;
  params.Int64(now_ms).Bytes(after_room_id).Int64(LimitPlusOne(limit));
  Result<PgResult> selected = co_await connection.Execute(kListExpired, params);
  if (!selected) co_return Fail(std::move(selected.error()));
  Result<RoomPage> page = ReadPage(*selected, limit);
  if (!page) co_return Fail(std::move(page.error()));
  co_return std::move(page);
}

/// One attempt of UpdateRoom, in two round trips: [BEGIN, SELECT ... FOR UPDATE], then the
/// mutator and the events function on this thread, then [UPDATE or DELETE, the events' key locks
/// and INSERTs, COMMIT] as one batch. Every other outcome rolls back.
asio::awaitable<PgOutcome<std::optional<Room>>> UpdateOn(PgConnection& connection,
                                                         const std::string& room_id,
                                                         const RoomMutator& mutator,
                                                         const RoomEventsFn& events) {
  using Outcome = Result<std::optional<Room>>;
  const PgParams none;
  PgParams key;
  key.Bytes(room_id);
  // The row lock is held to the end of the transaction: concurrent updates of this room, from
  // any instance, queue here and each sees the previous one's result.
  const std::array<PgBatchItem, 2> open{
      PgBatchItem{&kBegin, &none}, PgBatchItem{&kSelectRoomForUpdate, &key}};
  Result<PgBatchResult> opened = co_await connection.ExecuteBatch(open);
  if (!opened) co_return Fail(std::move(opened.error()));
  if (opened->error) {
    co_await RollBackQuietly(connection);
    co_return Fail(std::move(*opened->error));
  }
  Result<std::optional<Room>> current = ReadOptionalRoom(opened->results[1]);
  if (!current || !*current) {
    co_await RollBackQuietly(connection);
    if (!current) co_return Fail(std::move(current.error()));
    co_return Outcome(std::optional<Room>());  // the mutator is not called
  }

  Room room = std::move(**current);
  std::optional<Result<UpdateAction>> action;
  std::vector<OutboxEvent> new_events;
  std::exception_ptr thrown;
  try {
    action.emplace(mutator(room));
    // Before any write, like the mutator: an exception from it leaves only the lock to undo.
    if (*action && room.room_id == room_id && events) new_events = events(room, **action);
  } catch (...) {
    thrown = std::current_exception();  // no co_await inside a handler: roll back below
  }
  if (thrown) {
    co_await RollBackQuietly(connection);
    std::rethrow_exception(thrown);
  }
  if (!*action) {
    co_await RollBackQuietly(connection);
    co_return Outcome(Fail(std::move(action->error())));
  }
  if (room.room_id != room_id) {
    spdlog::error("room store: UpdateRoom mutator changed the roomId of '{}'", room_id);
    co_await RollBackQuietly(connection);
    co_return Outcome(Fail(MutatorChangedRoomId()));
  }
  const UpdateAction decided = **action;
  if (decided == UpdateAction::kKeep && new_events.empty()) {
    co_await RollBackQuietly(connection);  // nothing to write
    co_return Outcome(std::move(room));
  }

  std::vector<PgBatchItem> items;
  PgParams row;
  if (decided == UpdateAction::kSave) {
    BindRoom(row, room);
    items.push_back(PgBatchItem{&kUpdateRoom, &row});
  } else if (decided == UpdateAction::kDelete) {
    items.push_back(PgBatchItem{&kDeleteRoom, &key});
  }
  const std::size_t first_event = items.size();
  const OutboxInserts inserts(new_events);
  inserts.AppendTo(items);
  items.push_back(PgBatchItem{&kCommit, &none});
  Result<PgBatchResult> written = co_await connection.ExecuteBatch(items);
  if (!written) co_return Fail(std::move(written.error()));
  if (written->error) {
    co_await RollBackQuietly(connection);
    // A taken event id: the room change is rolled back with the events.
    if (std::optional<std::string_view> taken = inserts.DuplicateAt(*written, first_event)) {
      co_return Outcome(Fail(OutboxEventAlreadyExists(*taken)));
    }
    co_return Fail(std::move(*written->error));
  }
  co_return Outcome(std::move(room));
}

}  // namespace

asio::awaitable<Result<void>> PostgresRoomStore::CreateRoom(const domain::Room& room) {
  auto attempt = [&room](PgConnection& connection) { return CreateOn(connection, room); };
  co_return co_await RunOnPool<void>(pool_, kComponent, "CreateRoom", attempt);
}

asio::awaitable<Result<std::optional<domain::Room>>> PostgresRoomStore::GetRoom(
    std::string_view room_id) {
  const std::string id(room_id);
  auto attempt = [&id](PgConnection& connection) { return GetOn(connection, id); };
  co_return co_await RunOnPool<std::optional<Room>>(pool_, kComponent, "GetRoom", attempt);
}

asio::awaitable<Result<RoomPage>> PostgresRoomStore::ListRooms(std::string_view prefix,
                                                               std::string_view after_room_id,
                                                               std::size_t limit) {
  const std::string prefix_copy(prefix), after(after_room_id);
  auto attempt = [&prefix_copy, &after, limit](PgConnection& connection) {
    return ListOn(connection, prefix_copy, after, limit);
  };
  co_return co_await RunOnPool<RoomPage>(pool_, kComponent, "ListRooms", attempt);
}

asio::awaitable<Result<RoomPage>> PostgresRoomStore::ListExpiredRooms(
    std::int64_t now_ms, std::string_view after_room_id, std::size_t limit) {
  const std::string after(after_room_id);
  auto attempt = [now_ms, &after, limit](PgConnection& connection) {
    return ListExpiredOn(connection, now_ms, after, limit);
  };
  co_return co_await RunOnPool<RoomPage>(pool_, kComponent, "ListExpiredRooms", attempt);
}

asio::awaitable<Result<std::optional<domain::Room>>> PostgresRoomStore::UpdateRoom(
    std::string_view room_id, RoomMutator mutator) {
  // Named, not temporaries inside co_await (GCC 12 destroys those twice, CONVENTIONS §4.1).
  std::string id(room_id);
  RoomEventsFn no_events;
  co_return co_await Update(std::move(id), std::move(mutator), std::move(no_events));
}

asio::awaitable<Result<std::optional<domain::Room>>> PostgresRoomStore::UpdateRoom(
    std::string_view room_id, RoomMutator mutator, RoomEventsFn events) {
  std::string id(room_id);
  co_return co_await Update(std::move(id), std::move(mutator), std::move(events));
}

asio::awaitable<Result<std::optional<domain::Room>>> PostgresRoomStore::Update(
    std::string room_id, RoomMutator mutator, RoomEventsFn events) {
  // The lambda captures references only (trivially destructible: GCC 12, CONVENTIONS §4.1).
  auto attempt = [&room_id, &mutator, &events](PgConnection& connection) {
    return UpdateOn(connection, room_id, mutator, events);
  };
  co_return co_await RunOnPool<std::optional<Room>>(pool_, kComponent, "UpdateRoom", attempt);
}

}  // namespace convene::store::postgres
