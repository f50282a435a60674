#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace convene::http {
class Router;
}
namespace convene::service {
class MeetingService;
}
namespace convene::registry {
class ParticipantRegistry;
}

namespace convene::api {

/// `/internal-api/v1/meetings/…` (reference §4.4, §13): end meeting, kick, change role. Chain:
/// participant token → roomId validation → moderator of this very room (checked against the
/// registry, so a demoted moderator's older token no longer works) → body → MeetingService.
class MeetingsHandler {
 public:
  MeetingsHandler(service::MeetingService& meetings, registry::ParticipantRegistry& registry,
                  const auth::Authenticator& auth)
      : meetings_(meetings), registry_(registry), auth_(auth) {}

  void Register(http::Router& router);
  boost::asio::awaitable<http::Response> EndMeeting(http::Request& req) const;
  boost::asio::awaitable<http::Response> Kick(http::Request& req) const;
  boost::asio::awaitable<http::Response> ChangeRole(http::Request& req) const;

 private:
  /// Returns the sanitised roomId of an authorized moderator, or the error response.
  boost::asio::awaitable<Result<std::string>> AuthorizeModerator(http::Request& req) const;

  service::MeetingService& meetings_;
  registry::ParticipantRegistry& registry_;
  const auth::Authenticator& auth_;
};

}  // namespace convene::api
