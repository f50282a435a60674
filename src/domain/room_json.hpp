#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "domain/room.hpp"

namespace convene::domain {

// The MeetRoom JSON (reference §4.1) is one representation shared by the API responses, the
// outgoing webhooks' `data` and the LiveKit room metadata, so it lives with the room rather than in
// any one of those layers.

/// MeetRoom JSON in the reference's key order, URLs built from `base_url`
/// (`<base>/room/<id>?secret=<s>`); `include_moderator_url=false` drops moderatorUrl.
/// `maxParticipants` appears inside config only when set.
boost::json::object RoomToJson(const Room& room, std::string_view base_url,
                               bool include_moderator_url = true);
boost::json::object RoomConfigToJson(const RoomConfig& config);
/// Appends exactly what `serialize(RoomToJson(...))` produces, without building a DOM: the list
/// route renders up to 100 rooms per request and the tree dominated its cost.
void AppendRoomJson(std::string& out, const Room& room, std::string_view base_url,
                    bool include_moderator_url = true);

}  // namespace convene::domain
