#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.hpp"
#include "domain/room.hpp"
#include "http/query_param.hpp"

namespace convene::api {

/// Parsed `POST /api/v1/rooms` body (MeetRoomOptions) after validation and sanitising.
struct CreateRoomRequest {
  std::string room_name = "Room";  // sanitised; "Room" only when the key is absent
  std::optional<std::int64_t> auto_deletion_date;
  domain::AutoDeletionPolicy auto_deletion_policy;
  domain::RoomConfig config;
};

/// `now_ms` and `min_future_ms` (1 h) implement "autoDeletionDate must be at least 1h in the future".
/// A non-object body (array, string, ...) is validated as zod does for z.object().
Result<CreateRoomRequest> ParseCreateRoomRequest(const boost::json::value& body, std::int64_t now_ms,
                                                 std::int64_t min_future_ms);

/// Validates a full MeetRoomConfig at `path` ("config" on create; "config" on PUT too, because the
/// PUT body is {"config": {...}}). Records problems into errors.
Result<domain::RoomConfig> ParseRoomConfigBody(const boost::json::value& body);  // PUT /config body

/// `PUT /rooms/{id}/status` body {"status": "open"|"closed"}.
Result<domain::RoomStatus> ParseRoomStatusBody(const boost::json::value& body);

/// `{roomId}` path parameter (reference §4.1): raw length 1..100, then SanitizeRoomId, non-empty.
/// `field` is "roomId" (or "" for DELETE /rooms/{roomId}, whose zod path is empty).
Result<std::string> ParseRoomIdParam(std::string_view raw, std::string_view field = "roomId");

/// `GET /api/v1/rooms` query.
struct ListRoomsQuery {
  std::size_t max_items = 10;             // floored, capped to 100
  std::string next_page_token;            // raw opaque token ("" = first page; "undefined" ignored)
  std::string room_name_prefix;           // sanitised roomName ("" = no filter)
  std::optional<std::vector<std::string>> fields;  // top-level keys to keep
};

Result<ListRoomsQuery> ParseListRoomsQuery(const http::QueryParams& query);
/// `fields` on GET /rooms/{id}.
Result<std::optional<std::vector<std::string>>> ParseFieldsQuery(const http::QueryParams& query);

struct DeleteRoomQuery {
  domain::WithMeetingPolicy with_meeting = domain::WithMeetingPolicy::kFail;
  domain::WithRecordingsPolicy with_recordings = domain::WithRecordingsPolicy::kFail;
};
Result<DeleteRoomQuery> ParseDeleteRoomQuery(const http::QueryParams& query);

struct BulkDeleteRoomsQuery {
  std::vector<std::string> room_ids;  // trimmed, sanitised, non-empty, de-duplicated, in order
  DeleteRoomQuery policy;
};
Result<BulkDeleteRoomsQuery> ParseBulkDeleteRoomsQuery(const http::QueryParams& query);

/// Keeps only the listed top-level keys (unknown names are ignored).
boost::json::object FilterFields(const boost::json::object& room,
                                 const std::optional<std::vector<std::string>>& fields);

/// Opaque, tamper-evident-enough page token for keyset pagination: encodes the last roomId and
/// the prefix it was issued for. Decoding a token from another filter or garbage fails.
std::string EncodePageToken(std::string_view last_room_id, std::string_view prefix);
std::optional<std::string> DecodePageToken(std::string_view token, std::string_view prefix);

}  // namespace convene::api
