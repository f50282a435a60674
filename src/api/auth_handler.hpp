#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.hpp"
#include "coordination/login_attempts.hpp"
#include "auth/user_tokens.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace convene::http {
class Router;
}
namespace convene::service {
class SettingsService;
}

namespace convene::api {

/// Path of the refresh-token cookie (reference §1.3): only sent to the auth routes.
inline constexpr std::string_view kRefreshCookiePath = "/internal-api/v1/auth";

/// `Set-Cookie` value for a token cookie in cookie mode (reference §9.3):
/// `<name>=<value>; Path=<path>; Max-Age=<s>; HttpOnly; Secure; SameSite=None; Partitioned`.
std::string TokenCookie(std::string_view name, std::string_view value, std::string_view path,
                        std::int64_t max_age_seconds);
/// `Set-Cookie` value that deletes a token cookie (logout): empty value, epoch expiry, and the same
/// attributes it was set with (a Partitioned cookie is only cleared by a Partitioned deletion).
std::string ClearedTokenCookie(std::string_view name, std::string_view path);

/// `/internal-api/v1/auth/*` (reference §4.6): login, logout, refresh and the API key.
class AuthHandler {
 public:
  AuthHandler(service::SettingsService& settings, const auth::Authenticator& auth,
              const auth::UserTokenCodec& tokens, coordination::LoginAttempts& limiter)
      : settings_(settings), auth_(auth), tokens_(tokens), limiter_(limiter) {}

  void Register(http::Router& router);

  /// Validation (422) → rate limiter (429) → credentials (404 `Login Error`) → tokens in the body
  /// (header mode) or as cookies (cookie mode).
  boost::asio::awaitable<http::Response> Login(http::Request& req) const;
  /// No authentication; clears the cookies in cookie mode. Nothing is revoked server-side.
  boost::asio::awaitable<http::Response> Logout(http::Request& req) const;
  /// A refresh token (typ "refresh" only) → a new access token; the refresh token is not rotated.
  boost::asio::awaitable<http::Response> Refresh(http::Request& req) const;
  boost::asio::awaitable<http::Response> CreateApiKey(http::Request& req) const;
  boost::asio::awaitable<http::Response> GetApiKeys(http::Request& req) const;
  boost::asio::awaitable<http::Response> DeleteApiKeys(http::Request& req) const;

 private:
  service::SettingsService& settings_;
  const auth::Authenticator& auth_;
  const auth::UserTokenCodec& tokens_;
  coordination::LoginAttempts& limiter_;
};

}  // namespace convene::api
