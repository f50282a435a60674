#include "api/livekit_webhook_handler.hpp"

#include <spdlog/spdlog.h>

#include "http/router.hpp"
#include "service/livekit_rooms.hpp"
#include "service/meeting_service.hpp"
#include "service/room_service.hpp"
#include "webhooks/livekit_event.hpp"

namespace convene::api {

using http::Request;
using http::Response;

LiveKitWebhookHandler::LiveKitWebhookHandler(service::MeetingService& meetings, service::RoomService& rooms,
                                             service::LiveKitRooms& livekit_rooms,
                                             coordination::EventGate& seen_events, std::string api_key,
                                             std::string_view api_secret, const Clock& clock)
    : meetings_(meetings), rooms_(rooms), livekit_rooms_(livekit_rooms), api_key_(std::move(api_key)),
      key_(api_secret), seen_events_(seen_events), clock_(clock) {}

void LiveKitWebhookHandler::Register(http::Router& router) {
  router.Add(http::Method::kPost, "/livekit/webhook", [this](Request& req) { return Receive(req); });
}

boost::asio::awaitable<Response> LiveKitWebhookHandler::Receive(Request& req) {
  auto event = webhooks::VerifyLiveKitWebhook(key_, api_key_, req.Header("authorization"), req.body,
                                              clock_.NowSeconds());
  if (!event) {
    // Deviations §6.1: an unverifiable webhook is refused, so a sender notices (reference: 200).
    spdlog::warn("LiveKit webhook rejected: {}", webhooks::WebhookRejectionText(event.error()));
    co_return Response::FromError(Error::Make(ErrorCode::kUnauthenticated, "Webhook Error",
                                              webhooks::WebhookRejectionText(event.error())));
  }
  if (!event->id.empty()) {
    auto first = co_await seen_events_.FirstTime(event->id);
    // Unknown (Redis down): 503, so LiveKit redelivers rather than the effect being lost or doubled.
    if (!first) co_return Response::FromError(first.error());
    if (!*first) co_return Response::Text(200, "", "");
  }

  // Ownership (reference §14.2): a Meet room of this name must exist, and when LiveKit's room
  // metadata says who created it, it must be this deployment.
  std::string room_name;
  if (event->room) {
    room_name = event->room->name;
    if (!event->room->metadata.empty() && !livekit_rooms_.CreatedByUs(event->room->metadata)) {
      co_return Response::Text(200, "", "");
    }
  } else {
    room_name = !event->egress_room_name.empty() ? event->egress_room_name : event->ingress_room_name;
  }
  if (room_name.empty()) co_return Response::Text(200, "", "");
  auto room = co_await rooms_.Get(room_name);
  if (!room) {
    if (room.error().code != ErrorCode::kNotFound) {
      // The store failed: let LiveKit redeliver instead of losing the event.
      if (!event->id.empty()) co_await seen_events_.Forget(event->id);
      co_return Response::FromError(room.error());
    }
    // No such Meet room (deleted): a participant who joined it with a token Convene issued before
    // the deletion (LiveKit re-created the room on join) must not keep a meeting going there.
    if (event->event == "participant_joined" && event->participant &&
        meetings_.IssuedByThisDeployment(*event->participant)) {
      co_await meetings_.RefuseInDeletedRoom(room_name, *event->participant);
    }
    co_return Response::Text(200, "", "");
  }

  Result<void> handled;
  const std::string& type = event->event;
  if (type == "participant_joined" && event->participant) {
    handled = co_await meetings_.ParticipantJoined(room_name, *event->participant);
  } else if (type == "participant_left" && event->participant) {
    handled = co_await meetings_.ParticipantLeft(room_name, *event->participant);
  } else if (type == "room_finished") {
    const std::int64_t at = event->created_at > 0 ? event->created_at * 1000 : clock_.NowMs();
    handled = co_await meetings_.RoomFinished(room_name, at);
  } else if (type == "room_started") {
    // Deviations §6.2: a room starting is not a meeting starting; remember it exists.
    livekit_rooms_.Remember(room_name);
    // A room without metadata was created by LiveKit itself: a participant joined with a token
    // issued before LiveKit closed the room Convene had made (empty timeout, an operator's
    // DeleteRoom). Tokens for a room Convene knows make no CreateRoom, so without this the
    // meeting would run without the room options the clients read from the metadata.
    if (event->room && event->room->metadata.empty()) {
      auto written =
          co_await livekit_rooms_.client().UpdateRoomMetadata(room_name, livekit_rooms_.MetadataFor(*room));
      // Gone again meanwhile: nothing to write. Any other failure: LiveKit redelivers the event.
      if (!written && written.error().code != ErrorCode::kNotFound) {
        handled = Fail(service::LiveKitFailure(written.error(),
                                               "Unexpected error while updating LiveKit room metadata"));
      }
    }
  }
  if (!handled) {
    if (!event->id.empty()) co_await seen_events_.Forget(event->id);
    spdlog::warn("LiveKit webhook {} for room '{}' failed: {}", type, room_name, handled.error().message);
    co_return Response::FromError(handled.error());
  }
  co_return Response::Text(200, "", "");
}

}  // namespace convene::api
