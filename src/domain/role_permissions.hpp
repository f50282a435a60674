#pragma once

#include <string_view>

#include <boost/json/object.hpp>

#include "domain/participant_role.hpp"

namespace convene::domain {

/// `{role, permissions:{livekit:{...}, openvidu:{...}}}` as `GET /rooms/{id}/roles` returns it
/// (reference §4.2). `room_join` is the token-time roomJoin flag (true for these endpoints).
boost::json::object RoleAndPermissionsJson(std::string_view room_id, ParticipantRole role,
                                           bool room_join = true);
/// `{canRecord, canChat, canChangeVirtualBackground}`.
boost::json::object MeetPermissionsJson(const MeetPermissions& permissions);
/// The LiveKit video grant both roles receive (reference §11).
boost::json::object LiveKitGrantJson(std::string_view room_id, bool room_join);

}  // namespace convene::domain
