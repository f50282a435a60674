#include "api/rooms_handler.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "api/participant_access.hpp"
#include "api/room_dto.hpp"
#include "domain/role_permissions.hpp"
#include "domain/room_json.hpp"
#include "http/request_body.hpp"
#include "http/router.hpp"
#include "service/livekit_rooms.hpp"
#include "service/meeting_service.hpp"
#include "service/participant_service.hpp"
#include "service/room_service.hpp"

namespace convene::api {

namespace json = boost::json;
using auth::Validator;
using http::Request;
using http::Response;

namespace {

Response ErrorResponse(const Error& e) { return Response::FromError(e); }

json::object DeletionBody(const service::DeletionOutcome& outcome, std::string_view base_url) {
  json::object body;
  body["successCode"] = domain::ToString(outcome.decision.success);
  body["message"] = outcome.message;
  if (outcome.room) body["room"] = domain::RoomToJson(*outcome.room, base_url);
  return body;
}

}  // namespace

RoomsHandler::RoomsHandler(service::RoomService& rooms, const auth::Authenticator& auth,
                           const Clock& clock, RoomsHandlerOptions options)
    : rooms_(rooms), auth_(auth), clock_(clock), options_(options) {}

void RoomsHandler::Register(http::Router& router) {
  using http::Method;
  auto bind = [this](auto member) { return http::BindHandler(this, member); };
  router.Add(Method::kPost, "/api/v1/rooms", bind(&RoomsHandler::Create));
  router.Add(Method::kGet, "/api/v1/rooms", bind(&RoomsHandler::List));
  router.Add(Method::kDelete, "/api/v1/rooms", bind(&RoomsHandler::BulkDelete));
  router.Add(Method::kGet, "/api/v1/rooms/{roomId}", bind(&RoomsHandler::Get));
  router.Add(Method::kDelete, "/api/v1/rooms/{roomId}", bind(&RoomsHandler::Delete));
  router.Add(Method::kGet, "/api/v1/rooms/{roomId}/config", bind(&RoomsHandler::GetConfig));
  router.Add(Method::kPut, "/api/v1/rooms/{roomId}/config", bind(&RoomsHandler::UpdateConfig));
  router.Add(Method::kPut, "/api/v1/rooms/{roomId}/status", bind(&RoomsHandler::UpdateStatus));
  router.Add(Method::kGet, "/internal-api/v1/rooms/{roomId}/roles", bind(&RoomsHandler::GetRoles));
  router.Add(Method::kGet, "/internal-api/v1/rooms/{roomId}/roles/{secret}",
             bind(&RoomsHandler::GetRoleBySecret));
}

boost::asio::awaitable<Response> RoomsHandler::Create(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin}); !who) {
    co_return ErrorResponse(who.error());
  }
  auto body = http::ParseBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto parsed = ParseCreateRoomRequest(*body, clock_.NowMs(), options_.min_auto_deletion_future_ms);
  if (!parsed) co_return ErrorResponse(parsed.error());
  service::NewRoom params{std::move(parsed->room_name), parsed->auto_deletion_date,
                          parsed->auto_deletion_policy, parsed->config};
  auto room = co_await rooms_.Create(std::move(params));
  if (!room) co_return ErrorResponse(room.error());
  Response res = Response::Json(201, domain::RoomToJson(*room, req.base_url));
  res.WithHeader("Location", fmt::format("{}/api/v1/rooms/{}", req.base_url, room->room_id));
  co_return res;
}

boost::asio::awaitable<Response> RoomsHandler::List(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin}); !who) {
    co_return ErrorResponse(who.error());
  }
  auto query = ParseListRoomsQuery(req.query);
  if (!query) co_return ErrorResponse(query.error());
  std::string after;
  if (!query->next_page_token.empty()) {
    auto decoded = DecodePageToken(query->next_page_token, query->room_name_prefix);
    if (!decoded) {
      co_return ErrorResponse(Error::Validation("nextPageToken", "Invalid page token"));
    }
    after = std::move(*decoded);
  }
  auto page = co_await rooms_.List(query->room_name_prefix, after, query->max_items);
  if (!page) co_return ErrorResponse(page.error());
  // Rendered straight into the body (no DOM) unless a `fields` filter needs one.
  std::string body = "{\"rooms\":[";
  body.reserve(64 + page->rooms.size() * 600);
  for (std::size_t i = 0; i < page->rooms.size(); ++i) {
    if (i > 0) body.push_back(',');
    if (query->fields) {
      body.append(json::serialize(
          FilterFields(domain::RoomToJson(page->rooms[i], req.base_url), query->fields)));
    } else {
      domain::AppendRoomJson(body, page->rooms[i], req.base_url);
    }
  }
  json::object pagination;
  pagination["isTruncated"] = page->truncated;
  if (page->truncated && !page->rooms.empty()) {
    pagination["nextPageToken"] = EncodePageToken(page->rooms.back().room_id, query->room_name_prefix);
  }
  pagination["maxItems"] = query->max_items;
  body.append("],\"pagination\":");
  body.append(json::serialize(pagination));
  body.push_back('}');
  Response res;
  res.status = 200;
  res.body = std::move(body);
  co_return res;
}

boost::asio::awaitable<Response> RoomsHandler::Get(Request& req) const {
  auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin, Validator::kParticipant});
  if (!who) co_return ErrorResponse(who.error());
  auto room_id = ParseRoomIdParam(req.Param("roomId"));
  if (!room_id) co_return ErrorResponse(room_id.error());
  auto fields = ParseFieldsQuery(req.query);
  if (!fields) co_return ErrorResponse(fields.error());
  bool show_moderator_url = true;
  if (registry_ != nullptr) {
    auto allowed = co_await AuthorizeParticipant(*who, *room_id, false, *registry_);
    if (!allowed) co_return ErrorResponse(allowed.error());
    show_moderator_url = co_await MaySeeModeratorUrl(*who, *room_id, *registry_);
  }
  auto room = co_await rooms_.Get(*room_id);
  if (!room) co_return ErrorResponse(room.error());
  if (!*fields) {
    Response res;
    domain::AppendRoomJson(res.body, *room, req.base_url, show_moderator_url);
    co_return res;
  }
  co_return Response::Json(
      200, FilterFields(domain::RoomToJson(*room, req.base_url, show_moderator_url), *fields));
}

boost::asio::awaitable<Response> RoomsHandler::Delete(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin}); !who) {
    co_return ErrorResponse(who.error());
  }
  // The reference validates this route's roomId with an empty zod path.
  auto room_id = ParseRoomIdParam(req.Param("roomId"), "");
  if (!room_id) co_return ErrorResponse(room_id.error());
  auto policy = ParseDeleteRoomQuery(req.query);
  if (!policy) co_return ErrorResponse(policy.error());
  auto outcome = co_await rooms_.Delete(*room_id, policy->with_meeting, policy->with_recordings);
  if (!outcome) co_return ErrorResponse(outcome.error());
  co_return Response::Json(outcome->decision.scheduled ? 202 : 200,
                           DeletionBody(*outcome, req.base_url));
}

boost::asio::awaitable<Response> RoomsHandler::BulkDelete(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin}); !who) {
    co_return ErrorResponse(who.error());
  }
  auto query = ParseBulkDeleteRoomsQuery(req.query);
  if (!query) co_return ErrorResponse(query.error());
  json::array successful;
  json::array failed;
  // Results keep the order of the requested ids, as the reference's batched allSettled does.
  for (const std::string& room_id : query->room_ids) {
    auto outcome =
        co_await rooms_.Delete(room_id, query->policy.with_meeting, query->policy.with_recordings);
    if (outcome) {
      json::object entry{{"roomId", room_id}};
      for (auto& kv : DeletionBody(*outcome, req.base_url)) entry.emplace(kv.key(), std::move(kv.value()));
      successful.push_back(std::move(entry));
    } else {
      failed.push_back(json::object{{"roomId", room_id},
                                    {"error", outcome.error().name},
                                    {"message", outcome.error().message}});
    }
  }
  if (failed.empty()) {
    co_return Response::Json(200, json::object{{"message", "All rooms successfully processed for deletion"},
                                               {"successful", std::move(successful)}});
  }
  const std::size_t failures = failed.size();
  co_return Response::Json(
      400, json::object{{"message", fmt::format("{} room(s) failed to process while deleting", failures)},
                        {"successful", std::move(successful)},
                        {"failed", std::move(failed)}});
}

boost::asio::awaitable<Response> RoomsHandler::GetConfig(Request& req) const {
  auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin, Validator::kParticipant});
  if (!who) co_return ErrorResponse(who.error());
  auto room_id = ParseRoomIdParam(req.Param("roomId"));
  if (!room_id) co_return ErrorResponse(room_id.error());
  if (registry_ != nullptr) {
    auto allowed = co_await AuthorizeParticipant(*who, *room_id, false, *registry_);
    if (!allowed) co_return ErrorResponse(allowed.error());
  }
  auto room = co_await rooms_.Get(*room_id);
  if (!room) co_return ErrorResponse(room.error());
  co_return Response::Json(200, domain::RoomConfigToJson(room->config));
}

boost::asio::awaitable<Response> RoomsHandler::UpdateConfig(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin}); !who) {
    co_return ErrorResponse(who.error());
  }
  auto room_id = ParseRoomIdParam(req.Param("roomId"));
  if (!room_id) co_return ErrorResponse(room_id.error());
  auto body = http::ParseBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto config = ParseRoomConfigBody(*body);
  if (!config) co_return ErrorResponse(config.error());
  auto room = co_await rooms_.UpdateConfig(*room_id, *config);
  if (!room) co_return ErrorResponse(room.error());
  if (meetings_ != nullptr && livekit_rooms_ != nullptr) {
    co_await meetings_->RoomConfigUpdated(*room, livekit_rooms_->MetadataFor(*room));
  }
  co_return Response::Message(200, fmt::format("Room config for room '{}' updated successfully", *room_id));
}

boost::asio::awaitable<Response> RoomsHandler::UpdateStatus(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin}); !who) {
    co_return ErrorResponse(who.error());
  }
  auto room_id = ParseRoomIdParam(req.Param("roomId"));
  if (!room_id) co_return ErrorResponse(room_id.error());
  auto body = http::ParseBody(req);
  if (!body) co_return ErrorResponse(body.error());
  auto status = ParseRoomStatusBody(*body);
  if (!status) co_return ErrorResponse(status.error());
  auto outcome = co_await rooms_.UpdateStatus(*room_id, *status);
  if (!outcome) co_return ErrorResponse(outcome.error());
  co_return Response::Json(outcome->scheduled ? 202 : 200,
                           json::object{{"message", outcome->message},
                                        {"room", domain::RoomToJson(outcome->room, req.base_url)}});
}

boost::asio::awaitable<Response> RoomsHandler::GetRoles(Request& req) const {
  auto room_id = ParseRoomIdParam(req.Param("roomId"));
  if (!room_id) co_return ErrorResponse(room_id.error());
  auto room = co_await rooms_.Get(*room_id);
  if (!room) co_return ErrorResponse(room.error());
  json::array roles;
  for (domain::ParticipantRole role : {domain::ParticipantRole::kModerator, domain::ParticipantRole::kSpeaker}) {
    roles.push_back(domain::RoleAndPermissionsJson(*room_id, role));
  }
  co_return Response::Json(200, json::value(std::move(roles)));
}

boost::asio::awaitable<Response> RoomsHandler::GetRoleBySecret(Request& req) const {
  auto room_id = ParseRoomIdParam(req.Param("roomId"));
  if (!room_id) co_return ErrorResponse(room_id.error());
  // The same resolution as the token routes: a room secret, or a participant-scoped role grant
  // for this room (deviations §2.2).
  auto access = co_await participants_->ResolveAccess(*room_id, req.Param("secret"));
  if (!access) co_return ErrorResponse(access.error());
  co_return Response::Json(200, domain::RoleAndPermissionsJson(*room_id, access->role));
}

}  // namespace convene::api
