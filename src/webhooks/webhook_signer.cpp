#include "webhooks/webhook_signer.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "crypto/hmac.hpp"

namespace convene::webhooks {

namespace json = boost::json;

std::string SignWebhook(std::string_view api_key, std::int64_t timestamp_ms,
                        std::string_view body) {
  std::string message = std::to_string(timestamp_ms);
  message += '.';
  message += body;
  // A key object per call: webhooks are rare next to the cost of the HTTP exchange.
  return crypto::HexEncode(crypto::HmacSha256Key(api_key).Sign(message));
}

HttpHeaders WebhookHeaders(std::string_view api_key, std::int64_t timestamp_ms,
                           std::string_view body, std::string_view webhook_id) {
  HttpHeaders headers = {
      {"Content-Type", "application/json"},
      {"X-Timestamp", std::to_string(timestamp_ms)},
      {"X-Signature", SignWebhook(api_key, timestamp_ms, body)},
  };
  if (!webhook_id.empty()) headers.emplace_back("X-Webhook-Id", std::string(webhook_id));
  return headers;
}

std::string WebhookBody(std::string_view event_type, std::int64_t created_at_ms,
                        const json::object& data) {
  // Written out rather than through a json::object so that the key order is evident here; it is
  // part of what the signature covers.
  std::string body = "{\"event\":";
  body += json::serialize(json::string(event_type));
  body += ",\"creationDate\":";
  body += std::to_string(created_at_ms);
  body += ",\"data\":";
  body += json::serialize(data);
  body += '}';
  return body;
}

store::OutboxEvent MakeWebhookEvent(std::string_view event_type, const json::object& data,
                                    std::int64_t created_at_ms, std::string id) {
  store::OutboxEvent event;
  event.id = std::move(id);
  if (const json::value* room_id = data.if_contains("roomId"); room_id && room_id->is_string()) {
    event.ordering_key = std::string(room_id->get_string());
  }
  event.event_type = std::string(event_type);
  event.body = WebhookBody(event_type, created_at_ms, data);
  event.created_at_ms = created_at_ms;
  return event;
}

}  // namespace convene::webhooks
