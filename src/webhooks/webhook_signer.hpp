#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/outbox_store.hpp"

namespace boost::json {
class object;
}

/// The wire format of Convene's outgoing webhooks (reference §16, deviations §8).
namespace convene::webhooks {

/// X-Signature: lowercase hex of HMAC-SHA256 keyed with the API key over
/// "<timestamp_ms>.<body>", where the timestamp is the X-Timestamp value and the body the exact
/// bytes sent.
std::string SignWebhook(std::string_view api_key, std::int64_t timestamp_ms, std::string_view body);

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// Content-Type, X-Timestamp, X-Signature and, when `webhook_id` is not empty, X-Webhook-Id (stable
/// per event, so receivers can drop the duplicates that at-least-once delivery produces).
HttpHeaders WebhookHeaders(std::string_view api_key, std::int64_t timestamp_ms,
                           std::string_view body, std::string_view webhook_id);

/// `{"event":<type>,"creationDate":<ms>,"data":<data>}`, keys in that order, compact, non-ASCII
/// text as raw UTF-8 (as the reference's JSON.stringify writes it).
std::string WebhookBody(std::string_view event_type, std::int64_t created_at_ms,
                        const boost::json::object& data);

/// A new pending outbox event with that body: `id` becomes X-Webhook-Id, `created_at_ms` the
/// creationDate and X-Timestamp of every attempt. The ordering key is `data.roomId` when it is a
/// string (MeetRoom and MeetRecordingInfo both have one), else empty; set it yourself otherwise.
store::OutboxEvent MakeWebhookEvent(std::string_view event_type, const boost::json::object& data,
                                    std::int64_t created_at_ms, std::string id);

}  // namespace convene::webhooks
