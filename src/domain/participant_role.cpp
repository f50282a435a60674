#include "domain/participant_role.hpp"

#include <fmt/format.h>

#include "crypto/hmac.hpp"

namespace convene::domain {

std::string_view ToString(ParticipantRole role) {
  return role == ParticipantRole::kModerator ? "moderator" : "speaker";
}

std::optional<ParticipantRole> ParseParticipantRole(std::string_view text) {
  if (text == "moderator") return ParticipantRole::kModerator;
  if (text == "speaker") return ParticipantRole::kSpeaker;
  return std::nullopt;
}

MeetPermissions PermissionsFor(ParticipantRole role) {
  MeetPermissions p;
  p.can_record = role == ParticipantRole::kModerator;
  return p;
}

std::optional<ParticipantRole> RoleForSecret(const Room& room, std::string_view secret) {
  // Evaluate both comparisons so timing does not reveal which secret was close.
  const bool is_moderator = crypto::ConstantTimeEquals(room.moderator_secret, secret);
  const bool is_speaker = crypto::ConstantTimeEquals(room.speaker_secret, secret);
  if (is_moderator) return ParticipantRole::kModerator;
  if (is_speaker) return ParticipantRole::kSpeaker;
  return std::nullopt;
}

Error UnrecognizedSecret(std::string_view secret, std::string_view room_id) {
  return Error::Make(ErrorCode::kInvalidArgument, "Room Error",
                     fmt::format("Secret '{}' is not recognized for room '{}'", secret, room_id));
}

}  // namespace convene::domain
