#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/clock.hpp"
#include "crypto/hmac.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "coordination/event_gate.hpp"

namespace convene::http {
class Router;
}
namespace convene::service {
class MeetingService;
class LiveKitRooms;
class RoomService;
}

namespace convene::api {

/// `POST /livekit/webhook` (reference §14 with deviations §6): 401 unless the token and body hash
/// verify, then once per event id, only for rooms this deployment owns, the meeting effects.
class LiveKitWebhookHandler {
 public:
  LiveKitWebhookHandler(service::MeetingService& meetings, service::RoomService& rooms,
                        service::LiveKitRooms& livekit_rooms, coordination::EventGate& seen_events,
                        std::string api_key, std::string_view api_secret, const Clock& clock);

  void Register(http::Router& router);
  boost::asio::awaitable<http::Response> Receive(http::Request& req);

 private:
  service::MeetingService& meetings_;
  service::RoomService& rooms_;
  service::LiveKitRooms& livekit_rooms_;
  std::string api_key_;
  crypto::HmacSha256Key key_;
  coordination::EventGate& seen_events_;  // shared by every instance (deviations §6.1)
  const Clock& clock_;
};

}  // namespace convene::api
