#include "domain/role_permissions.hpp"

namespace convene::domain {

boost::json::object MeetPermissionsJson(const MeetPermissions& permissions) {
  return boost::json::object{{"canRecord", permissions.can_record},
                             {"canChat", permissions.can_chat},
                             {"canChangeVirtualBackground", permissions.can_change_virtual_background}};
}

boost::json::object LiveKitGrantJson(std::string_view room_id, bool room_join) {
  boost::json::object grant;
  grant["roomJoin"] = room_join;
  grant["room"] = room_id;
  grant["canPublish"] = true;
  grant["canSubscribe"] = true;
  grant["canPublishData"] = true;
  grant["canUpdateOwnMetadata"] = true;
  return grant;
}

boost::json::object RoleAndPermissionsJson(std::string_view room_id, ParticipantRole role,
                                           bool room_join) {
  boost::json::object permissions{{"livekit", LiveKitGrantJson(room_id, room_join)},
                                  {"openvidu", MeetPermissionsJson(PermissionsFor(role))}};
  return boost::json::object{{"role", ToString(role)}, {"permissions", std::move(permissions)}};
}

}  // namespace convene::domain
