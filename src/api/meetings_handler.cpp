#include "api/meetings_handler.hpp"

#include <fmt/format.h>

#include "api/participant_access.hpp"
#include "api/participant_dto.hpp"
#include "api/room_dto.hpp"
#include "http/request_body.hpp"
#include "http/router.hpp"
#include "service/meeting_service.hpp"

namespace convene::api {

using http::Request;
using http::Response;

void MeetingsHandler::Register(http::Router& router) {
  router.Add(http::Method::kDelete, "/internal-api/v1/meetings/{roomId}",
             [this](Request& req) { return EndMeeting(req); });
  router.Add(http::Method::kDelete, "/internal-api/v1/meetings/{roomId}/participants/{participantIdentity}",
             [this](Request& req) { return Kick(req); });
  router.Add(http::Method::kPut, "/internal-api/v1/meetings/{roomId}/participants/{participantIdentity}/role",
             [this](Request& req) { return ChangeRole(req); });
}

boost::asio::awaitable<Result<std::string>> MeetingsHandler::AuthorizeModerator(Request& req) const {
  // Only a participant token opens these routes: an API key or an admin token gets 401.
  auto who = auth_.Authenticate(req, {auth::Validator::kParticipant});
  if (!who) co_return Fail(who.error());
  auto room_id = ParseRoomIdParam(req.Param("roomId"));
  if (!room_id) co_return Fail(room_id.error());
  auto allowed = co_await AuthorizeParticipant(*who, *room_id, true, registry_);
  if (!allowed) co_return Fail(allowed.error());
  co_return std::move(*room_id);
}

boost::asio::awaitable<Response> MeetingsHandler::EndMeeting(Request& req) const {
  auto room_id = co_await AuthorizeModerator(req);
  if (!room_id) co_return Response::FromError(room_id.error());
  auto ended = co_await meetings_.EndMeeting(*room_id);
  if (!ended) co_return Response::FromError(ended.error());
  co_return Response::Message(200, fmt::format("Meeting in room '{}' ended successfully", *room_id));
}

boost::asio::awaitable<Response> MeetingsHandler::Kick(Request& req) const {
  auto room_id = co_await AuthorizeModerator(req);
  if (!room_id) co_return Response::FromError(room_id.error());
  const std::string identity(req.Param("participantIdentity"));
  auto kicked = co_await meetings_.Kick(*room_id, identity);
  if (!kicked) co_return Response::FromError(kicked.error());
  co_return Response::Message(200,
                              fmt::format("Participant '{}' kicked successfully from room '{}'", identity, *room_id));
}

boost::asio::awaitable<Response> MeetingsHandler::ChangeRole(Request& req) const {
  auto room_id = co_await AuthorizeModerator(req);
  if (!room_id) co_return Response::FromError(room_id.error());
  auto body = http::ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto role = ParseRoleBody(*body);
  if (!role) co_return Response::FromError(role.error());
  const std::string identity(req.Param("participantIdentity"));
  auto changed = co_await meetings_.ChangeRole(*room_id, identity, *role);
  if (!changed) co_return Response::FromError(changed.error());
  co_return Response::Message(
      200, fmt::format("Participant '{}' role updated to '{}'", identity, domain::ToString(*role)));
}

}  // namespace convene::api
