#include "api/participants_handler.hpp"

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/participant_dto.hpp"
#include "http/request_body.hpp"
#include "http/router.hpp"
#include "service/participant_service.hpp"

namespace convene::api {

using http::ParseBody;
using http::Request;
using http::Response;

void ParticipantsHandler::Register(http::Router& router) {
  router.Add(http::Method::kPost, "/internal-api/v1/participants/token",
             [this](Request& req) { return Generate(req); });
  router.Add(http::Method::kPost, "/internal-api/v1/participants/token/refresh",
             [this](Request& req) { return Refresh(req); });
}

Response ParticipantsHandler::TokenResponse(const std::string& token) const {
  Response res = Response::Json(200, boost::json::object{{"token", token}});
  if (auth_.transport_mode() == auth::TransportMode::kCookie) {
    // A session cookie (no Max-Age), as the reference sets it (§10.9).
    res.WithHeader("Set-Cookie", fmt::format("{}={}; Path=/; HttpOnly; Secure; SameSite=None; Partitioned",
                                             auth::kParticipantTokenCookie, token));
  }
  return res;
}

struct ParticipantsHandler::Admitted {
  service::ParticipantTokenRequest request;
  service::RoomAccess access;
};

boost::asio::awaitable<Result<ParticipantsHandler::Admitted>> ParticipantsHandler::Admit(
    Request& req, service::ParticipantService::GrantUse grant_use) const {
  auto body = ParseBody(req);
  if (!body) co_return Fail(body.error());
  auto parsed = ParseParticipantTokenRequest(*body);
  if (!parsed) co_return Fail(parsed.error());
  auto access = co_await participants_.ResolveAccess(parsed->room_id, parsed->secret, grant_use);
  if (!access) co_return Fail(access.error());
  if (auto allowed = gate_.Check(req, *access); !allowed) co_return Fail(allowed.error());
  co_return Admitted{std::move(*parsed), std::move(*access)};
}

boost::asio::awaitable<Response> ParticipantsHandler::Generate(Request& req) const {
  auto admitted = co_await Admit(req, service::ParticipantService::GrantUse::kStandalone);
  if (!admitted) co_return Response::FromError(admitted.error());
  // Generate reads a previous token only from the cookie, in both transport modes (§10.4).
  auto issued = co_await participants_.Generate(admitted->request, admitted->access,
                                                req.Cookie(auth::kParticipantTokenCookie));
  if (!issued) co_return Response::FromError(issued.error());
  co_return TokenResponse(issued->token);
}

boost::asio::awaitable<Response> ParticipantsHandler::Refresh(Request& req) const {
  auto admitted = co_await Admit(req, service::ParticipantService::GrantUse::kRefresh);
  if (!admitted) co_return Response::FromError(admitted.error());
  auto issued = co_await participants_.Refresh(admitted->request, admitted->access, auth_.ParticipantToken(req));
  if (!issued) co_return Response::FromError(issued.error());
  co_return TokenResponse(issued->token);
}

}  // namespace convene::api
