#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "clients/livekit_client.hpp"
#include "core/result.hpp"

namespace convene::crypto {
class HmacSha256Key;
}

namespace convene::webhooks {

/// A LiveKit `WebhookEvent` (livekit.md §5.4), the parts Convene acts on.
struct LiveKitEvent {
  std::string id;     // "EV_…", the idempotency key
  std::string event;  // "room_started", "participant_joined", ...
  std::int64_t created_at = 0;  // seconds
  std::optional<livekit::Room> room;
  std::optional<livekit::Participant> participant;
  std::string egress_room_name;   // egressInfo.roomName
  std::string ingress_room_name;  // ingressInfo.roomName
};

/// Why a webhook was refused (answered 401, deviations §6.1). Text for logs only.
enum class WebhookRejection {
  kMissingAuthorization,  // empty Authorization header
  kBadToken,              // not a valid HS256 JWT from our API key (signature, iss, exp/nbf ±10 s)
  kBodyHashMismatch,      // sha256 claim != base64(SHA-256(raw body))
  kMalformedBody,         // not a JSON object / wrong types for known fields
};
const char* WebhookRejectionText(WebhookRejection r);

/// Verifies a LiveKit webhook exactly as livekit-server-sdk's WebhookReceiver: the Authorization
/// header is the raw JWT (no "Bearer "), HS256 with the API secret, `iss` == API key, exp/nbf with
/// 10 s tolerance, and its `sha256` claim equals standard padded base64 of SHA-256 over the raw
/// body bytes (constant-time comparison). Then parses the body (camelCase or snake_case keys,
/// int64 as string or number, unknown fields ignored).
tl::expected<LiveKitEvent, WebhookRejection> VerifyLiveKitWebhook(const crypto::HmacSha256Key& key,
                                                                  std::string_view api_key,
                                                                  std::string_view authorization,
                                                                  std::string_view raw_body,
                                                                  std::int64_t now_seconds);

/// Parses a WebhookEvent JSON body without verifying it (used by the verifier and the fuzzer).
tl::expected<LiveKitEvent, WebhookRejection> ParseLiveKitEvent(std::string_view body);

}  // namespace convene::webhooks
