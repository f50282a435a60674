#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.hpp"
#include "core/clock.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace convene::service {
class RoomService;
class MeetingService;
class LiveKitRooms;
class ParticipantService;
}
namespace convene::registry {
class ParticipantRegistry;
}

namespace convene::http {
class Router;
}

namespace convene::api {

struct RoomsHandlerOptions {
  /// MIN_FUTURE_TIME_FOR_ROOM_AUTODELETION_DATE of the reference (1 h).
  std::int64_t min_auto_deletion_future_ms = 3600 * 1000;
};

/// `/api/v1/rooms` and `/internal-api/v1/rooms/{roomId}/roles…` (reference §4.1, §4.2). Thin:
/// authenticate, parse, call the RoomService, render.
class RoomsHandler {
 public:
  RoomsHandler(service::RoomService& rooms, const auth::Authenticator& auth, const Clock& clock,
               RoomsHandlerOptions options);

  /// Participant access to GET room/config, the config-change signal and the role-by-secret route
  /// need the meeting side; the composition root always wires it.
  void SetMeetingSide(registry::ParticipantRegistry* registry, service::MeetingService* meetings,
                      service::LiveKitRooms* livekit_rooms, service::ParticipantService* participants) {
    registry_ = registry;
    meetings_ = meetings;
    livekit_rooms_ = livekit_rooms;
    participants_ = participants;
  }

  void Register(http::Router& router);

  boost::asio::awaitable<http::Response> Create(http::Request& req) const;
  boost::asio::awaitable<http::Response> List(http::Request& req) const;
  boost::asio::awaitable<http::Response> Get(http::Request& req) const;
  boost::asio::awaitable<http::Response> Delete(http::Request& req) const;
  boost::asio::awaitable<http::Response> BulkDelete(http::Request& req) const;
  boost::asio::awaitable<http::Response> GetConfig(http::Request& req) const;
  boost::asio::awaitable<http::Response> UpdateConfig(http::Request& req) const;
  boost::asio::awaitable<http::Response> UpdateStatus(http::Request& req) const;
  boost::asio::awaitable<http::Response> GetRoles(http::Request& req) const;
  boost::asio::awaitable<http::Response> GetRoleBySecret(http::Request& req) const;

 private:
  service::RoomService& rooms_;
  const auth::Authenticator& auth_;
  const Clock& clock_;
  RoomsHandlerOptions options_;
  registry::ParticipantRegistry* registry_ = nullptr;
  service::MeetingService* meetings_ = nullptr;
  service::LiveKitRooms* livekit_rooms_ = nullptr;
  service::ParticipantService* participants_ = nullptr;
};

}  // namespace convene::api
