#pragma once

#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.hpp"
#include "core/result.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace convene::http {
class Router;
}
namespace convene::service {
class SettingsService;
}

namespace convene::api {

/// Sends the signed `testEvent` webhook to `url`, signed with `api_key` (reference §4.5, §16),
/// without retries. Success, or an Error to send as is: 400 `Webhook Error` /
/// `Webhook URL '<url>' is invalid: <reason>`. Plugged in by the composition root (the outgoing
/// webhook sender); the arguments stay alive until the returned awaitable completes.
using WebhookUrlTester = std::function<boost::asio::awaitable<Result<void>>(
    const std::string& url, const std::string& api_key)>;

/// `/internal-api/v1/config/*` (reference §4.5): security, webhooks and rooms appearance.
/// Reads come from the SettingsService's cache; writes go through it.
class GlobalConfigHandler {
 public:
  GlobalConfigHandler(service::SettingsService& settings, const auth::Authenticator& auth,
                      WebhookUrlTester tester = nullptr)
      : settings_(settings), auth_(auth), tester_(std::move(tester)) {}

  void SetWebhookTester(WebhookUrlTester tester) { tester_ = std::move(tester); }
  void Register(http::Router& router);

  /// Public (ANON).
  boost::asio::awaitable<http::Response> GetSecurity(http::Request& req) const;
  /// ADMIN, then validation. A transport-mode change applies to the very next request.
  boost::asio::awaitable<http::Response> UpdateSecurity(http::Request& req) const;
  boost::asio::awaitable<http::Response> GetWebhooks(http::Request& req) const;
  boost::asio::awaitable<http::Response> UpdateWebhooks(http::Request& req) const;
  /// ADMIN (deviations §7.4; the reference has no authentication here), then validation, then
  /// 400 `Webhook Error` when no API key exists, then the tester.
  boost::asio::awaitable<http::Response> TestWebhook(http::Request& req) const;
  /// Public (ANON).
  boost::asio::awaitable<http::Response> GetAppearance(http::Request& req) const;
  boost::asio::awaitable<http::Response> UpdateAppearance(http::Request& req) const;

 private:
  service::SettingsService& settings_;
  const auth::Authenticator& auth_;
  WebhookUrlTester tester_;
};

}  // namespace convene::api
