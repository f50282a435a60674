#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.hpp"
#include "auth/room_access_gate.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "service/participant_service.hpp"

namespace convene::http {
class Router;
}
namespace convene::service {
class ParticipantService;
}

namespace convene::api {

/// `POST /internal-api/v1/participants/token` and `/token/refresh` (reference §4.3, §10).
/// Order: body validation → room and secret → access gate → the ParticipantService.
class ParticipantsHandler {
 public:
  ParticipantsHandler(service::ParticipantService& participants, const auth::Authenticator& auth,
                      const auth::RoomAccessGate& gate)
      : participants_(participants), auth_(auth), gate_(gate) {}

  void Register(http::Router& router);
  boost::asio::awaitable<http::Response> Generate(http::Request& req) const;
  boost::asio::awaitable<http::Response> Refresh(http::Request& req) const;

 private:
  struct Admitted;
  /// The shared first steps of both routes: body, room and secret, access gate.
  boost::asio::awaitable<Result<Admitted>> Admit(http::Request& req,
                                                 service::ParticipantService::GrantUse grant_use) const;
  http::Response TokenResponse(const std::string& token) const;

  service::ParticipantService& participants_;
  const auth::Authenticator& auth_;
  const auth::RoomAccessGate& gate_;
};

}  // namespace convene::api
