#include "registry/participant_registry.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace convene::registry {

bool ParticipantRecord::HasRole(domain::ParticipantRole role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

Error RoomFull(std::string_view room_id) {
  return Error::Make(ErrorCode::kFailedPrecondition, "Room Error", fmt::format("Room '{}' is full", room_id));
}

Error ParticipantBanned(std::string_view room_id, std::string_view identity) {
  return Error::Make(ErrorCode::kPermissionDenied, "Participant Error",
                     fmt::format("Participant '{}' was removed from room '{}'", identity, room_id));
}

Error IdentityTaken(std::string_view room_id, std::string_view identity) {
  return Error::Make(ErrorCode::kAlreadyExists, "Participant Error",
                     fmt::format("Participant '{}' already exists in room '{}'", identity, room_id));
}

}  // namespace convene::registry
