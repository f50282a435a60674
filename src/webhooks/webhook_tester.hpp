#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::clients {
class HttpClient;
struct HttpResponse;
}  // namespace convene::clients

namespace convene::webhooks {

/// The body of the reference's test webhook (reference §4.5, §16).
std::string TestWebhookBody(std::int64_t now_ms);

/// POST /internal-api/v1/config/webhooks/test (reference §4.5): sends the signed test event
/// `{"event":"testEvent","creationDate":<now_ms>,"data":{"message":"This is a test webhook
/// event"}}` to `url` once (no retries, 5 s timeout, no X-Webhook-Id). Success is any 2xx.
/// Failures are 400 `Webhook Error` with `Webhook URL '<url>' is invalid: <reason>`, the reason
/// texts exactly as the reference's (WebhookTestFailureReason); an empty `api_key` is 400 `Webhook
/// Error` / NoApiKeyForWebhooks() without a request. URL validation is the caller's (it comes
/// first in the reference).
boost::asio::awaitable<Result<void>> TestWebhookUrl(clients::HttpClient& http, std::string_view url,
                                                    std::string_view api_key, std::int64_t now_ms);

/// The `<reason>` for a response that is not 2xx, or for a transport failure of HttpClient.
std::string WebhookTestFailureReason(const Result<clients::HttpResponse>& outcome);

/// 400 "Webhook Error": "Webhook URL '<url>' is invalid: <reason>".
Error WebhookUrlInvalid(std::string_view url, std::string_view reason);

/// 400 "Webhook Error": "There are no API keys configured yet. Please, create one to use
/// webhooks." (reference §4.5).
Error NoApiKeyForWebhooks();

}  // namespace convene::webhooks
