#pragma once

// Internal to src/clients (plus its tests and fuzz/fuzz_twirp_response.cpp): the Twirp JSON wire
// format of LiveKit's RoomService, kept apart from the transport so it can be tested and fuzzed.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "clients/livekit_client.hpp"
#include "core/error.hpp"
#include "core/result.hpp"

namespace convene::livekit::wire {

// RoomService method names, exactly as in the proto (the URL path is case-sensitive).
inline constexpr std::string_view kCreateRoom = "CreateRoom";
inline constexpr std::string_view kListRooms = "ListRooms";
inline constexpr std::string_view kDeleteRoom = "DeleteRoom";
inline constexpr std::string_view kListParticipants = "ListParticipants";
inline constexpr std::string_view kGetParticipant = "GetParticipant";
inline constexpr std::string_view kRemoveParticipant = "RemoveParticipant";
inline constexpr std::string_view kUpdateParticipant = "UpdateParticipant";
inline constexpr std::string_view kSendData = "SendData";
inline constexpr std::string_view kUpdateRoomMetadata = "UpdateRoomMetadata";

/// The `video` grant a server-API token needs for `method` (livekit.md §2.3), nothing more:
/// {"roomCreate":true} (CreateRoom, DeleteRoom), {"roomList":true} (ListRooms), otherwise
/// {"roomAdmin":true,"room":room}.
boost::json::object GrantFor(std::string_view method, std::string_view room);

// Request bodies: proto3 JSON with lowerCamelCase names and only fields of the message, because a
// strict decoder (the test emulator) rejects anything else. Defaults are left out as the Node SDK
// does, except where noted.

/// CreateRoomRequest {name, metadata?, emptyTimeout?, departureTimeout?, maxParticipants?}.
boost::json::object CreateRoomRequest(const CreateRoomOptions& options);
/// ListRoomsRequest {names:[...]} (always present; empty lists every room).
boost::json::object ListRoomsRequest(const std::vector<std::string>& names);
/// DeleteRoomRequest {room}.
boost::json::object DeleteRoomRequest(std::string_view room);
/// ListParticipantsRequest {room}.
boost::json::object ListParticipantsRequest(std::string_view room);
/// RoomParticipantIdentity {room, identity} (GetParticipant, RemoveParticipant).
boost::json::object RoomParticipantIdentity(std::string_view room, std::string_view identity);
/// UpdateParticipantRequest {room, identity, metadata}: never `permission` (it would replace every
/// flag) nor `name`.
boost::json::object UpdateParticipantMetadataRequest(std::string_view room,
                                                     std::string_view identity,
                                                     std::string_view metadata);
/// SendDataRequest {room, data, kind:"RELIABLE", destinationIdentities?, destinationSids?, topic?,
/// nonce}; `data` and `nonce` (16 raw bytes) are base64-encoded here.
boost::json::object SendDataRequest(std::string_view room, std::string_view payload,
                                    const SendDataOptions& options, std::string_view nonce);
/// UpdateRoomMetadataRequest {room, metadata} (metadata always sent: "" clears it).
boost::json::object UpdateRoomMetadataRequest(std::string_view room, std::string_view metadata);

// Response parsing (livekit.md §2.2, §8): snake_case or camelCase keys, 64-bit integers as strings
// or numbers, enums as names or numbers, missing or null keys as proto defaults, unknown keys
// ignored. A key of the wrong JSON type is an error with reason "bad_response".

/// The body of a 2xx answer; an empty body reads as {}.
Result<boost::json::value> ParseBody(std::string_view body);
Result<Room> ParseRoom(const boost::json::value& json);
Result<Participant> ParseParticipant(const boost::json::value& json);
/// ListRoomsResponse {rooms:[Room]}.
Result<std::vector<Room>> ParseListRoomsResponse(const boost::json::value& json);
/// ListParticipantsResponse {participants:[ParticipantInfo]}.
Result<std::vector<Participant>> ParseListParticipantsResponse(const boost::json::value& json);

/// A Twirp error code as an Error (mapping in livekit_client.hpp), reason "twirp:<code>".
Error TwirpError(std::string_view code, std::string_view msg);
/// A non-2xx answer: a Twirp JSON error body is mapped by its `code` (never by `msg`); any other
/// body (LiveKit's plain-text 401, a 413, a proxy's HTML page) by the HTTP status: 401 →
/// unauthenticated, 404 → not_found, 5xx → unavailable, anything else → internal.
Error MapErrorAnswer(int status, std::string_view body);
/// LiveKit could not be reached (`deadline` = no answer in time, else `transport`).
Error Unreachable(bool deadline);

}  // namespace convene::livekit::wire
