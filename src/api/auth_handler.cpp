#include "api/auth_handler.hpp"

#include "auth/login_rate_limiter.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/config_dto.hpp"
#include "http/request_body.hpp"
#include "http/router.hpp"
#include "service/settings_service.hpp"

namespace convene::api {

namespace json = boost::json;
using auth::Validator;
using http::Request;
using http::Response;

namespace {

Error LoginError() {
  return Error::Make(ErrorCode::kNotFound, "Login Error", "Invalid username or password");
}

Error RefreshTokenError(std::string message) {
  return Error::Make(ErrorCode::kInvalidArgument, "Refresh Token Error", std::move(message));
}

json::object ApiKeyJson(const store::ApiKey& key) {
  return json::object{{"key", key.key}, {"creationDate", key.creation_date}};
}

}  // namespace

std::string TokenCookie(std::string_view name, std::string_view value, std::string_view path,
                        std::int64_t max_age_seconds) {
  return fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly; Secure; SameSite=None; Partitioned",
                     name, value, path, max_age_seconds);
}

std::string ClearedTokenCookie(std::string_view name, std::string_view path) {
  return fmt::format(
      "{}=; Path={}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=None; "
      "Partitioned",
      name, path);
}

void AuthHandler::Register(http::Router& router) {
  using http::Method;
  auto bind = [this](auto member) { return http::BindHandler(this, member); };
  router.Add(Method::kPost, "/internal-api/v1/auth/login", bind(&AuthHandler::Login));
  router.Add(Method::kPost, "/internal-api/v1/auth/logout", bind(&AuthHandler::Logout));
  router.Add(Method::kPost, "/internal-api/v1/auth/refresh", bind(&AuthHandler::Refresh));
  router.Add(Method::kPost, "/internal-api/v1/auth/api-keys", bind(&AuthHandler::CreateApiKey));
  router.Add(Method::kGet, "/internal-api/v1/auth/api-keys", bind(&AuthHandler::GetApiKeys));
  router.Add(Method::kDelete, "/internal-api/v1/auth/api-keys", bind(&AuthHandler::DeleteApiKeys));
}

boost::asio::awaitable<Response> AuthHandler::Login(Request& req) const {
  auto body = http::ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto login = ParseLoginRequest(*body);
  if (!login) co_return Response::FromError(login.error());

  // Validation failures (above) do not count; every attempt from here on holds a slot until it
  // is known to have succeeded.
  const std::string client = req.remote_address;
  auto begun = co_await limiter_.Begin(client);
  if (!begun) co_return Response::FromError(begun.error());
  const coordination::LoginAttempt attempt = std::move(*begun);
  if (!attempt.admitted) {
    spdlog::warn("login rate limit reached for {}", req.remote_address);
    Response res = Response::Text(429, std::string(auth::kTooManyLoginAttempts));
    res.WithHeader("Retry-After", std::to_string(attempt.retry_after_seconds));
    co_return res;
  }

  auto user = co_await settings_.CheckCredentials(login->username, login->password);
  if (!user) {
    spdlog::error("login check failed: {}", user.error().message);
    co_return Response::FromError(user.error());
  }
  if (!*user) {
    spdlog::warn("login failed from {}", req.remote_address);
    co_return Response::FromError(LoginError());
  }
  co_await limiter_.Succeeded(client, attempt);

  const store::User& who = **user;
  const std::string access = tokens_.Mint(auth::UserTokenType::kAccess, who.username, who.roles);
  const std::string refresh = tokens_.Mint(auth::UserTokenType::kRefresh, who.username, who.roles);
  const std::string message = fmt::format("User '{}' logged in successfully", who.username);
  spdlog::info("login succeeded for user '{}'", who.username);
  if (auth_.transport_mode() == auth::TransportMode::kHeader) {
    co_return Response::Json(
        200,
        json::object{{"message", message}, {"accessToken", access}, {"refreshToken", refresh}});
  }
  Response res = Response::Message(200, message);
  res.WithHeader("Set-Cookie", TokenCookie(auth::kAccessTokenCookie, access, "/",
                                           tokens_.ttl_seconds(auth::UserTokenType::kAccess)));
  res.WithHeader("Set-Cookie", TokenCookie(auth::kRefreshTokenCookie, refresh, kRefreshCookiePath,
                                           tokens_.ttl_seconds(auth::UserTokenType::kRefresh)));
  co_return res;
}

boost::asio::awaitable<Response> AuthHandler::Logout(Request&) const {
  Response res = Response::Message(200, "Logout successful");
  // Header mode: the client drops its tokens itself (reference).
  if (auth_.transport_mode() == auth::TransportMode::kCookie) {
    res.WithHeader("Set-Cookie", ClearedTokenCookie(auth::kAccessTokenCookie, "/"));
    res.WithHeader("Set-Cookie", ClearedTokenCookie(auth::kRefreshTokenCookie, kRefreshCookiePath));
  }
  co_return res;
}

boost::asio::awaitable<Response> AuthHandler::Refresh(Request& req) const {
  auto token = auth_.RefreshToken(req);
  if (!token) co_return Response::FromError(RefreshTokenError("No refresh token provided"));
  // Only a refresh token verifies here: an access token (typ "access") or a participant token
  // (other key) is "Invalid refresh token" (deviations §1.2).
  auto claims = tokens_.Verify(*token, auth::UserTokenType::kRefresh);
  if (!claims) co_return Response::FromError(RefreshTokenError("Invalid refresh token"));
  auto user = settings_.FindUser(claims->username);
  if (!user) co_return Response::FromError(auth::InvalidTokenSubject());

  const std::string access =
      tokens_.Mint(auth::UserTokenType::kAccess, user->username, user->roles);
  const std::string message =
      fmt::format("Access token for user '{}' successfully refreshed", user->username);
  if (auth_.transport_mode() == auth::TransportMode::kHeader) {
    co_return Response::Json(200, json::object{{"message", message}, {"accessToken", access}});
  }
  Response res = Response::Message(200, message);
  res.WithHeader("Set-Cookie", TokenCookie(auth::kAccessTokenCookie, access, "/",
                                           tokens_.ttl_seconds(auth::UserTokenType::kAccess)));
  co_return res;
}

boost::asio::awaitable<Response> AuthHandler::CreateApiKey(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kAdmin}); !who)
    co_return Response::FromError(who.error());
  auto key = co_await settings_.CreateApiKey();
  if (!key) co_return Response::FromError(key.error());
  spdlog::info("API key created (replaces any previous key)");
  co_return Response::Json(201, ApiKeyJson(*key));
}

boost::asio::awaitable<Response> AuthHandler::GetApiKeys(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kAdmin}); !who)
    co_return Response::FromError(who.error());
  json::array keys;
  if (auto key = settings_.ApiKey()) keys.push_back(ApiKeyJson(*key));
  co_return Response::Json(200, json::value(std::move(keys)));
}

boost::asio::awaitable<Response> AuthHandler::DeleteApiKeys(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kAdmin}); !who)
    co_return Response::FromError(who.error());
  auto deleted = co_await settings_.DeleteApiKeys();
  if (!deleted) co_return Response::FromError(deleted.error());
  spdlog::info("API keys deleted");
  co_return Response::Message(200, "API keys deleted successfully");
}

}  // namespace convene::api
