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

Error OutboxEventAlreadyExists(std::string_view event_id) {
  Error error = Error::Make(ErrorCode::kAlreadyExists, "Webhook Error",
                            "Webhook event '" + std::string(event_id) + "' already exists");
  error.reason = "outbox_duplicate_id";
  return error;
}

Error OutboxEventNotFound(std::string_view event_id) {
  Error error = Error::Make(ErrorCode::kNotFound, "Webhook Error",
                            "Webhook event '" + std::string(event_id) + "' not found");
  error.reason = "outbox_unknown_id";
  return error;
}

}  // namespace convene::store
