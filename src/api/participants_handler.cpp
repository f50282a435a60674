#include "api/participants_handler.hpp"

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "api/json_body.hpp"
#include "api/participant_dto.hpp"
#include "http/router.hpp"
#include "service/participant_service.hpp"

namespace convene::api {

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

boost::asio::awaitable<Response> ParticipantsHandler::Generate(Request& req) const {
  auto body = ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto parsed = ParseParticipantTokenRequest(*body);
  if (!parsed) co_return Response::FromError(parsed.error());
  auto access = co_await participants_.ResolveAccess(parsed->room_id, parsed->secret);
  if (!access) co_return Response::FromError(access.error());
  if (auto allowed = gate_.Check(req, *access); !allowed) co_return Response::FromError(allowed.error());
  // Generate reads a previous token only from the cookie, in both transport modes (§10.4).
  auto issued = co_await participants_.Generate(*parsed, *access, req.Cookie(auth::kParticipantTokenCookie));
  if (!issued) co_return Response::FromError(issued.error());
  co_return TokenResponse(issued->token);
}

boost::asio::awaitable<Response> ParticipantsHandler::Refresh(Request& req) const {
  auto body = ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto parsed = ParseParticipantTokenRequest(*body);
  if (!parsed) co_return Response::FromError(parsed.error());
  auto access = co_await participants_.ResolveAccess(parsed->room_id, parsed->secret);
  if (!access) co_return Response::FromError(access.error());
  if (auto allowed = gate_.Check(req, *access); !allowed) co_return Response::FromError(allowed.error());
  auto issued = co_await participants_.Refresh(*parsed, *access, auth_.ParticipantToken(req));
  if (!issued) co_return Response::FromError(issued.error());
  co_return TokenResponse(issued->token);
}

}  // namespace convene::api
