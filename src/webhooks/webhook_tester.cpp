#include "webhooks/webhook_tester.hpp"

#include <chrono>
#include <utility>

#include <boost/json/object.hpp>

#include "clients/http_client.hpp"
#include "webhooks/webhook_signer.hpp"

namespace convene::webhooks {

std::string TestWebhookBody(std::int64_t now_ms) {
  boost::json::object data;
  data["message"] = "This is a test webhook event";
  return WebhookBody("testEvent", now_ms, data);
}

std::string WebhookTestFailureReason(const Result<clients::HttpResponse>& outcome) {
  if (outcome) {
    // The reference checks fetch's response.ok, then the status classes, in this order.
    const int status = outcome->status;
    const std::string code = std::to_string(status);
    if (status >= 500) return "Server error (" + code + " " + outcome->reason + ")";
    if (status >= 400) return "Client error (" + code + " " + outcome->reason + ")";
    return "Unexpected response (" + code + ")";
  }
  // HttpClient's transport reasons (http_client.hpp) stand for Node's error codes: AbortError,
  // ENOTFOUND, ECONNREFUSED, ECONNRESET, certificate errors, then other errors with a cause.
  const Error& error = outcome.error();
  if (error.reason == "timeout") return "Request timed out after 5 seconds";
  if (error.reason == "dns") return "Domain name could not be resolved";
  if (error.reason == "refused") return "Connection refused by server";
  if (error.reason == "reset") return "Connection reset by server";
  if (error.reason == "tls") return "SSL/TLS certificate error";
  if (error.reason == "network") return "Network error: " + error.message;
  // Failures before any network activity (a URL the client cannot use): the reference's
  // fallback for errors without a cause.
  return "Connection failed: " + error.message;
}

Error WebhookUrlInvalid(std::string_view url, std::string_view reason) {
  Error error =
      Error::Make(ErrorCode::kInvalidArgument, "Webhook Error",
                  "Webhook URL '" + std::string(url) + "' is invalid: " + std::string(reason));
  error.reason = "webhook_test_failed";
  return error;
}

Error NoApiKeyForWebhooks() {
  Error error = Error::Make(ErrorCode::kInvalidArgument, "Webhook Error",
                            "There are no API keys configured yet. Please, create one to use "
                            "webhooks.");
  error.reason = "no_api_key";
  return error;
}

boost::asio::awaitable<Result<void>> TestWebhookUrl(clients::HttpClient& http, std::string_view url,
                                                    std::string_view api_key, std::int64_t now_ms) {
  if (api_key.empty()) co_return Fail(NoApiKeyForWebhooks());
  clients::HttpRequest request;
  request.method = "POST";
  request.url = std::string(url);
  request.body = TestWebhookBody(now_ms);
  // The reference sends no X-Webhook-Id: a test event is not an outbox event.
  request.headers = WebhookHeaders(api_key, now_ms, request.body, "");
  request.timeout = std::chrono::seconds(5);  // the reference's AbortSignal.timeout(5000)
  const std::string target(url);              // for the error: `url` belongs to the caller
  Result<clients::HttpResponse> response = co_await http.Send(std::move(request));
  if (response && response->status >= 200 && response->status < 300) co_return Result<void>();
  co_return Fail(WebhookUrlInvalid(target, WebhookTestFailureReason(response)));
}

}  // namespace convene::webhooks
