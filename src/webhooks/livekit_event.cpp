#include "webhooks/livekit_event.hpp"

#include <boost/json/parse.hpp>

#include "clients/livekit_json.hpp"
#include "crypto/base64.hpp"
#include "crypto/hmac.hpp"
#include "crypto/jwt.hpp"

namespace convene::webhooks {

namespace json = boost::json;

const char* WebhookRejectionText(WebhookRejection r) {
  switch (r) {
    case WebhookRejection::kMissingAuthorization: return "authorization header is empty";
    case WebhookRejection::kBadToken: return "invalid webhook token";
    case WebhookRejection::kBodyHashMismatch: return "sha256 checksum of body does not match";
    case WebhookRejection::kMalformedBody: return "malformed webhook body";
  }
  return "rejected";
}

namespace {

// Int64 fields arrive as JSON strings ("1760000000") from protojson, or as numbers.
std::int64_t Int64Field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_string()) {
    std::int64_t out = 0;
    const auto& s = v->get_string();
    for (char c : s) {
      if (c < '0' || c > '9' || out > INT64_MAX / 10) return 0;
      out = out * 10 + (c - '0');
    }
    return out;
  }
  return 0;
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// camelCase (what LiveKit sends) or snake_case (accepted for robustness).
const json::value* Either(const json::object& o, std::string_view camel, std::string_view snake) {
  const json::value* v = o.if_contains(camel);
  return v != nullptr ? v : o.if_contains(snake);
}

}  // namespace

tl::expected<LiveKitEvent, WebhookRejection> ParseLiveKitEvent(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  json::value v = json::parse(body, ec, {}, options);
  if (ec || !v.is_object()) return tl::unexpected(WebhookRejection::kMalformedBody);
  const json::object& o = v.get_object();
  LiveKitEvent event;
  event.event = StringField(o, "event");
  event.id = StringField(o, "id");
  event.created_at = Int64Field(o, o.contains("createdAt") ? "createdAt" : "created_at");
  if (const json::value* room = o.if_contains("room"); room != nullptr && !room->is_null()) {
    auto parsed = livekit::wire::ParseRoom(*room);
    if (!parsed) return tl::unexpected(WebhookRejection::kMalformedBody);
    event.room = std::move(*parsed);
  }
  if (const json::value* p = o.if_contains("participant"); p != nullptr && !p->is_null()) {
    auto parsed = livekit::wire::ParseParticipant(*p);
    if (!parsed) return tl::unexpected(WebhookRejection::kMalformedBody);
    event.participant = std::move(*parsed);
  }
  if (const json::value* egress = Either(o, "egressInfo", "egress_info"); egress && egress->is_object()) {
    const json::object& e = egress->get_object();
    event.egress_room_name = StringField(e, e.contains("roomName") ? "roomName" : "room_name");
  }
  if (const json::value* ingress = Either(o, "ingressInfo", "ingress_info"); ingress && ingress->is_object()) {
    const json::object& i = ingress->get_object();
    event.ingress_room_name = StringField(i, i.contains("roomName") ? "roomName" : "room_name");
  }
  if (event.event.empty()) return tl::unexpected(WebhookRejection::kMalformedBody);
  return event;
}

tl::expected<LiveKitEvent, WebhookRejection> VerifyLiveKitWebhook(const crypto::HmacSha256Key& key,
                                                                  std::string_view api_key,
                                                                  std::string_view authorization,
                                                                  std::string_view raw_body,
                                                                  std::int64_t now_seconds) {
  if (authorization.empty()) return tl::unexpected(WebhookRejection::kMissingAuthorization);
  crypto::JwtVerifyOptions options;
  options.issuer = api_key;
  options.now_seconds = now_seconds;
  options.leeway_seconds = 10;  // livekit-server-sdk's WebhookReceiver tolerance
  auto claims = crypto::VerifyJwtHs256(key, authorization, options);
  if (!claims) return tl::unexpected(WebhookRejection::kBadToken);
  const json::value* sha = claims->if_contains("sha256");
  if (sha == nullptr || !sha->is_string()) return tl::unexpected(WebhookRejection::kBodyHashMismatch);
  const crypto::Sha256Digest digest = crypto::Sha256(raw_body);
  const std::string expected =
      crypto::Base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  if (!crypto::ConstantTimeEquals(expected, sha->get_string())) {
    return tl::unexpected(WebhookRejection::kBodyHashMismatch);
  }
  return ParseLiveKitEvent(raw_body);
}

}  // namespace convene::webhooks
