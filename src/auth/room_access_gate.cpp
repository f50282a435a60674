#include "auth/room_access_gate.hpp"

#include "service/participant_service.hpp"

namespace convene::auth {

RoomAccessRequirement RequirementFor(store::AuthModeToAccessRoom mode,
                                     domain::ParticipantRole role) {
  switch (mode) {
    case store::AuthModeToAccessRoom::kNone:
      return RoomAccessRequirement::kAnyone;
    case store::AuthModeToAccessRoom::kModeratorsOnly:
      return role == domain::ParticipantRole::kModerator ? RoomAccessRequirement::kLoggedInUser
                                                         : RoomAccessRequirement::kAnyone;
    case store::AuthModeToAccessRoom::kAllUsers:
      return RoomAccessRequirement::kLoggedInUser;
  }
  return RoomAccessRequirement::kLoggedInUser;  // unknown mode: fail closed
}

Result<void> AuthModeRoomAccessGate::Check(const http::Request& request,
                                           const service::RoomAccess& access) const {
  const auto mode = mode_ ? mode_() : store::AuthModeToAccessRoom::kNone;
  if (RequirementFor(mode, access.role) == RoomAccessRequirement::kAnyone) return {};
  auto who = auth_.Authenticate(request, {Validator::kUser});
  if (!who) return Fail(who.error());
  return {};
}

}  // namespace convene::auth
