#pragma once

#include <string_view>

#include "core/error.hpp"

namespace convene::store {

/// The errors every RoomStore implementation returns, built in one place so that the fakes and the
/// real stores agree byte for byte (the conformance suite compares them). None of them carries
/// anything but a roomId, so none can leak a secret.

/// 409 "Room Error": CreateRoom with a roomId that is already taken.
Error RoomAlreadyExists(std::string_view room_id);

/// 503: the database is locked, unreachable, full or closed.
Error StoreUnavailable();

/// 500: anything the store did not expect (corrupt row, SQL error, ...). Details go to the log.
Error StoreInternal();

/// 500: a RoomMutator changed room_id, which would silently re-key the room. A programming error.
Error MutatorChangedRoomId();

/// 409: an outbox event id that is already taken (ids are random: a programming error).
Error OutboxEventAlreadyExists(std::string_view event_id);

/// 404: OutboxStore::Mark* with an id the outbox does not hold.
Error OutboxEventNotFound(std::string_view event_id);

}  // namespace convene::store
