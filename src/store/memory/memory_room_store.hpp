#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "store/room_store.hpp"

namespace convene::store::memory {

class MemoryOutboxStore;

/// In-memory RoomStore for unit tests of the layers above. Same observable semantics as
/// SqliteRoomStore (the conformance suite runs against both), but nothing survives the object.
/// Thread-safe; every call completes without suspending.
class MemoryRoomStore final : public RoomStore {
 public:
  /// `outbox` receives the events of UpdateRoom(id, mutator, events); it must outlive the store.
  /// Without one, an UpdateRoom that produces events fails with kInternal.
  explicit MemoryRoomStore(MemoryOutboxStore* outbox = nullptr) : outbox_(outbox) {}

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
  Result<void> DoCreateRoom(const domain::Room& room);
  std::optional<domain::Room> DoGetRoom(std::string_view room_id);
  RoomPage DoListRooms(std::string_view prefix, std::string_view after_room_id, std::size_t limit);
  Result<std::optional<domain::Room>> DoUpdateRoom(std::string_view room_id,
                                                   const RoomMutator& mutator,
                                                   const RoomEventsFn* events);
  RoomPage DoListExpiredRooms(std::int64_t now_ms, std::string_view after_room_id,
                              std::size_t limit);

  MemoryOutboxStore* const outbox_;
  std::mutex mutex_;
  // std::less<> for string_view lookups; std::string ordering is byte-wise (char_traits<char>
  // compares as unsigned char), the same order as SQLite's BINARY collation.
  std::map<std::string, domain::Room, std::less<>> rooms_;
};

}  // namespace convene::store::memory
