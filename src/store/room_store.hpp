#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "domain/room.hpp"
#include "store/outbox_store.hpp"

namespace convene::store {

namespace asio = boost::asio;

/// What an atomic room update decided to do with the room it was given.
enum class UpdateAction { kKeep, kSave, kDelete };

/// Runs inside the store's transaction with the current room; must be pure (no I/O, no waiting).
/// Returning an error aborts the transaction and is passed through to the caller unchanged.
using RoomMutator = std::function<Result<UpdateAction>(domain::Room&)>;

/// Runs inside the same transaction as an UpdateRoom, right after the mutator, with the room as
/// the mutator left it (for kDelete: as it was when removed) and the mutator's decision. The
/// outgoing webhooks it returns are added to the outbox in that transaction, so they are recorded
/// if and only if the room change commits (deviations §7.2, §8). Must be pure, like the mutator.
using RoomEventsFn =
    std::function<std::vector<OutboxEvent>(const domain::Room& after, UpdateAction action)>;

struct RoomPage {
  std::vector<domain::Room> rooms;
  bool truncated = false;  // more rooms follow the last one returned
};

/// Durable storage of rooms. Every method is one transaction; acknowledged writes survive a crash.
/// Errors: kUnavailable when the database cannot be reached, kInternal for anything unexpected.
class RoomStore {
 public:
  virtual ~RoomStore() = default;

  /// Inserts a new room. kAlreadyExists if the roomId is taken.
  virtual asio::awaitable<Result<void>> CreateRoom(const domain::Room& room) = 0;

  /// nullopt when absent.
  virtual asio::awaitable<Result<std::optional<domain::Room>>> GetRoom(std::string_view room_id) = 0;

  /// Rooms whose roomId starts with `prefix` (empty = all) and sorts strictly after `after_room_id`
  /// (empty = from the start), in ascending byte order of roomId, at most `limit` of them.
  /// Keyset pagination: the cost depends on `limit`, not on how many rooms exist.
  virtual asio::awaitable<Result<RoomPage>> ListRooms(std::string_view prefix,
                                                      std::string_view after_room_id,
                                                      std::size_t limit) = 0;

  /// Atomic read-modify-write. Returns the room as left by the mutator (also for kDelete), or
  /// nullopt if the room does not exist (the mutator is then not called).
  virtual asio::awaitable<Result<std::optional<domain::Room>>> UpdateRoom(std::string_view room_id,
                                                                         RoomMutator mutator) = 0;

  /// The same, plus the webhook events of the change, written to the outbox in the same
  /// transaction (see RoomEventsFn). `events` is not called when the room does not exist or the
  /// mutator fails. kKeep with no events writes nothing; kKeep with events writes only the events.
  /// A failure to record the events (e.g. kAlreadyExists for a reused event id) rolls the room
  /// change back and is returned. An exception from `events` propagates, also rolling back.
  virtual asio::awaitable<Result<std::optional<domain::Room>>> UpdateRoom(std::string_view room_id,
                                                                         RoomMutator mutator,
                                                                         RoomEventsFn events) = 0;

  /// Rooms with autoDeletionDate < now_ms, ascending by roomId after `after_room_id`.
  virtual asio::awaitable<Result<RoomPage>> ListExpiredRooms(std::int64_t now_ms,
                                                             std::string_view after_room_id,
                                                             std::size_t limit) = 0;
};

using RoomStorePtr = std::unique_ptr<RoomStore>;

}  // namespace convene::store
