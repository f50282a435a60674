#pragma once

#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "domain/room.hpp"

namespace convene::domain {

enum class ParticipantRole { kModerator, kSpeaker };

std::string_view ToString(ParticipantRole role);
std::optional<ParticipantRole> ParseParticipantRole(std::string_view text);

/// OpenViduMeetPermissions (reference §11): only canRecord differs between the roles, and the room
/// config does not change any of them.
struct MeetPermissions {
  bool can_record = false;
  bool can_chat = true;
  bool can_change_virtual_background = true;
};
MeetPermissions PermissionsFor(ParticipantRole role);

/// Resolves a room secret to a role (moderator checked first), comparing in constant time.
std::optional<ParticipantRole> RoleForSecret(const Room& room, std::string_view secret);

/// 400 `Room Error` / `Secret '<s>' is not recognized for room '<id>'` (reference §6.4; the
/// caller's own, unrecognised input is echoed, never a stored secret).
Error UnrecognizedSecret(std::string_view secret, std::string_view room_id);

}  // namespace convene::domain
