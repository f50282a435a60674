#include "api/recordings_handler.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/room_dto.hpp"
#include "http/router.hpp"

namespace convene::api {

using auth::Validator;
using http::Method;
using http::Request;
using http::Response;

void RecordingsHandler::Register(http::Router& router) {
  router.Add(Method::kGet, "/api/v1/recordings", [this](Request& req) -> boost::asio::awaitable<Response> {
    auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin});
    if (!who) co_return Response::FromError(who.error());
    // Same maxItems/fields rules as the room list; an empty page is the truthful answer.
    auto query = ParseListRoomsQuery(req.query);
    if (!query) co_return Response::FromError(query.error());
    boost::json::object pagination{{"isTruncated", false}, {"maxItems", query->max_items}};
    co_return Response::Json(200, boost::json::object{{"recordings", boost::json::array{}},
                                                      {"pagination", std::move(pagination)}});
  });
  router.Add(Method::kPost, "/internal-api/v1/rooms/{roomId}/recording-token",
             [](Request& req) -> boost::asio::awaitable<Response> {
               // The reference loads the room's archived recording metadata first; without
               // recordings there is none, whatever the room or credentials.
               auto room_id = ParseRoomIdParam(req.Param("roomId"));
               if (!room_id) co_return Response::FromError(room_id.error());
               co_return Response::FromError(Error::Make(
                   ErrorCode::kNotFound, "Room Error",
                   fmt::format("Room metadata for '{}' not found. Room '{}' does not exist or has no "
                               "recordings associated",
                               *room_id, *room_id)));
             });
}

}  // namespace convene::api
