#include "store/store_errors.hpp"

#include <string>

namespace convene::store {

Error RoomAlreadyExists(std::string_view room_id) {
  return Error::Make(ErrorCode::kAlreadyExists, "Room Error",
                     "Room '" + std::string(room_id) + "' already exists");
}

Error StoreUnavailable() { return Error::Unavailable("Storage Error", "Storage is not available"); }

Error StoreInternal() { return Error::Internal("Unexpected error while accessing the store"); }

Error MutatorChangedRoomId() { return StoreInternal(); }

}  // namespace convene::store
