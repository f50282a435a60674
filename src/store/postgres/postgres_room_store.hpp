#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "store/room_store.hpp"

namespace convene::store::postgres {

class PgPool;

/// RoomStore on the `rooms` table of a PostgreSQL database (pg_schema.cpp), obtained from
/// PostgresDatabase::Rooms(). Behaves like the SQLite store (the conformance suite runs against
/// both):
///
/// - Every method is one statement or one transaction on a pooled connection, with prepared
///   statements; no call blocks the calling thread.
/// - UpdateRoom is BEGIN; SELECT ... FOR UPDATE; mutator and events function (pure, on the
///   calling thread); UPDATE or DELETE; the events' outbox rows; COMMIT — in two round trips
///   (libpq pipeline mode: [BEGIN, SELECT] and [write, events, COMMIT]). The row lock serialises
///   concurrent updates of one room across coroutines and instances; a mutator error or
///   exception rolls back. A lost connection before the COMMIT was sent retries the whole
///   update (mutator included) once on a fresh connection; after it, the outcome is unknown and
///   the call fails with StoreUnavailable().
/// - Room ids are bytea, so ListRooms' order is byte order on any server; the prefix is a range
///   condition on the primary key (no LIKE, so no metacharacters).
/// - Errors: StoreUnavailable() (503) when the database cannot be reached or the connection was
///   lost (reads, and writes that cannot have committed, are retried once on a fresh connection
///   first), StoreInternal() for anything unexpected; details go to the log.
class PostgresRoomStore final : public RoomStore {
 public:
  /// `pool` must outlive the store.
  explicit PostgresRoomStore(PgPool& pool) : pool_(pool) {}

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

 private:
  asio::awaitable<Result<std::optional<domain::Room>>> Update(std::string room_id,
                                                              RoomMutator mutator,
                                                              RoomEventsFn events);

  PgPool& pool_;
};

}  // namespace convene::store::postgres
