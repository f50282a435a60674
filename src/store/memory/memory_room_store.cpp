#include "store/memory/memory_room_store.hpp"

#include <utility>

#include "store/memory/memory_outbox_store.hpp"
#include "store/store_errors.hpp"

namespace convene::store::memory {

// The coroutines only forward to synchronous helpers: keeping the mutex out of coroutine frames
// makes it impossible to hold it across a suspension point by accident.

asio::awaitable<Result<void>> MemoryRoomStore::CreateRoom(const domain::Room& room) {
  co_return DoCreateRoom(room);
}

asio::awaitable<Result<std::optional<domain::Room>>> MemoryRoomStore::GetRoom(
    std::string_view room_id) {
  co_return DoGetRoom(room_id);
}

asio::awaitable<Result<RoomPage>> MemoryRoomStore::ListRooms(std::string_view prefix,
                                                             std::string_view after_room_id,
                                                             std::size_t limit) {
  co_return DoListRooms(prefix, after_room_id, limit);
}

asio::awaitable<Result<std::optional<domain::Room>>> MemoryRoomStore::UpdateRoom(
    std::string_view room_id, RoomMutator mutator) {
  co_return DoUpdateRoom(room_id, mutator, nullptr);
}

asio::awaitable<Result<std::optional<domain::Room>>> MemoryRoomStore::UpdateRoom(
    std::string_view room_id, RoomMutator mutator, RoomEventsFn events) {
  co_return DoUpdateRoom(room_id, mutator, &events);
}

asio::awaitable<Result<RoomPage>> MemoryRoomStore::ListExpiredRooms(std::int64_t now_ms,
                                                                    std::string_view after_room_id,
                                                                    std::size_t limit) {
  co_return DoListExpiredRooms(now_ms, after_room_id, limit);
}

Result<void> MemoryRoomStore::DoCreateRoom(const domain::Room& room) {
  std::lock_guard lock(mutex_);
  if (!rooms_.try_emplace(room.room_id, room).second) return Fail(RoomAlreadyExists(room.room_id));
  return {};
}

std::optional<domain::Room> MemoryRoomStore::DoGetRoom(std::string_view room_id) {
  std::lock_guard lock(mutex_);
  if (auto it = rooms_.find(room_id); it != rooms_.end()) return it->second;
  return std::nullopt;
}

RoomPage MemoryRoomStore::DoListRooms(std::string_view prefix, std::string_view after_room_id,
                                      std::size_t limit) {
  std::lock_guard lock(mutex_);
  // Start at whichever lower bound is tighter: the first id >= prefix, or the first id > after.
  auto it = after_room_id.empty() || after_room_id < prefix ? rooms_.lower_bound(prefix)
                                                            : rooms_.upper_bound(after_room_id);
  RoomPage page;
  for (; it != rooms_.end() && it->first.starts_with(prefix); ++it) {
    if (page.rooms.size() == limit) {
      page.truncated = true;
      break;
    }
    page.rooms.push_back(it->second);
  }
  return page;
}

Result<std::optional<domain::Room>> MemoryRoomStore::DoUpdateRoom(std::string_view room_id,
                                                                  const RoomMutator& mutator,
                                                                  const RoomEventsFn* events) {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return std::nullopt;
  // The mutator works on a copy so that an error (or exception) leaves the stored room untouched,
  // like a rolled-back transaction.
  domain::Room room = it->second;
  Result<UpdateAction> action = mutator(room);
  if (!action) return Fail(std::move(action.error()));
  if (room.room_id != it->first) return Fail(MutatorChangedRoomId());
  std::vector<OutboxEvent> new_events;
  if (events != nullptr && *events) new_events = (*events)(room, *action);
  if (!new_events.empty()) {
    if (outbox_ == nullptr) {
      return Fail(Error::Internal("MemoryRoomStore has no outbox for webhook events"));
    }
    // All or nothing, and before the room changes, which cannot fail after this: a failure here
    // leaves both untouched. (A concurrent outbox reader may see the events a moment before the
    // room change becomes visible; acceptable for a fake.)
    if (Result<void> enqueued = outbox_->EnqueueAll(new_events); !enqueued) {
      return Fail(std::move(enqueued.error()));
    }
  }
  switch (*action) {
    case UpdateAction::kKeep:
      break;
    case UpdateAction::kSave:
      it->second = room;
      break;
    case UpdateAction::kDelete:
      rooms_.erase(it);
      break;
  }
  return room;
}

RoomPage MemoryRoomStore::DoListExpiredRooms(std::int64_t now_ms, std::string_view after_room_id,
                                             std::size_t limit) {
  std::lock_guard lock(mutex_);
  RoomPage page;
  // A full scan is fine for a fake; the SQLite store uses an index on auto_deletion_date.
  for (auto it = rooms_.upper_bound(after_room_id); it != rooms_.end(); ++it) {
    const auto& date = it->second.auto_deletion_date;
    if (!date || *date >= now_ms) continue;
    if (page.rooms.size() == limit) {
      page.truncated = true;
      break;
    }
    page.rooms.push_back(it->second);
  }
  return page;
}

}  // namespace convene::store::memory
