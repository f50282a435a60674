#include "api/auth_handler.hpp"

#include "auth/login_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "api/settings_test_fixture.hpp"

namespace convene::api {
namespace {

using auth::UserTokenType;

class AuthHandlerTest : public test::SettingsFixture {
 protected:
  http::Response Login(std::string_view username, std::string_view password,
                       std::string_view from = "192.0.2.1") {
    http::Request req = Req(R"({"username":")" + std::string(username) + R"(","password":")" +
                            std::string(password) + R"("})");
    req.remote_address = std::string(from);
    return Run(handler.Login(req));
  }

  auth::LoginRateLimiter limiter{auth::LoginRateLimit{}, clock};
  auth::InProcessLoginAttempts login_attempts{limiter};
  AuthHandler handler{settings, authenticator, user_tokens, login_attempts};
};

TEST_F(AuthHandlerTest, CookieStrings) {
  EXPECT_EQ(
      TokenCookie("OvMeetAccessToken", "abc", "/", 7200),
      "OvMeetAccessToken=abc; Path=/; Max-Age=7200; HttpOnly; Secure; SameSite=None; Partitioned");
  EXPECT_EQ(TokenCookie("OvMeetRefreshToken", "def", kRefreshCookiePath, 86400),
            "OvMeetRefreshToken=def; Path=/internal-api/v1/auth; Max-Age=86400; HttpOnly; Secure; "
            "SameSite=None; "
            "Partitioned");
  EXPECT_EQ(ClearedTokenCookie("OvMeetAccessToken", "/"),
            "OvMeetAccessToken=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; "
            "SameSite=None; "
            "Partitioned");
}

TEST_F(AuthHandlerTest, LoginInHeaderModeReturnsBothTokens) {
  auto res = Login("admin", "admin");
  ASSERT_EQ(res.status, 200) << res.body;
  auto body = Json(res);
  EXPECT_EQ(body.at("message").as_string(), "User 'admin' logged in successfully");
  auto access = user_tokens.Verify(body.at("accessToken").as_string(), UserTokenType::kAccess);
  auto refresh = user_tokens.Verify(body.at("refreshToken").as_string(), UserTokenType::kRefresh);
  ASSERT_TRUE(access && refresh);
  EXPECT_EQ(access->username, "admin");
  EXPECT_EQ(access->roles, service::AdminRoles());
  EXPECT_EQ(access->expires_at, clock.NowSeconds() + 7200);
  EXPECT_EQ(refresh->expires_at, clock.NowSeconds() + 86400);
  EXPECT_TRUE(SetCookies(res).empty());
}

TEST_F(AuthHandlerTest, LoginInCookieModeSetsCookiesOnly) {
  UseCookies();
  auto res = Login("admin", "admin");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"message":"User 'admin' logged in successfully"})");
  const auto cookies = SetCookies(res);
  ASSERT_EQ(cookies.size(), 2u);
  const std::regex access_re(
      "OvMeetAccessToken=([^;]+); Path=/; Max-Age=7200; HttpOnly; Secure; SameSite=None; "
      "Partitioned");
  const std::regex refresh_re(
      "OvMeetRefreshToken=([^;]+); Path=/internal-api/v1/auth; Max-Age=86400; HttpOnly; Secure; "
      "SameSite=None; "
      "Partitioned");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(cookies[0], m, access_re)) << cookies[0];
  EXPECT_TRUE(user_tokens.Verify(m[1].str(), UserTokenType::kAccess));
  ASSERT_TRUE(std::regex_match(cookies[1], m, refresh_re)) << cookies[1];
  EXPECT_TRUE(user_tokens.Verify(m[1].str(), UserTokenType::kRefresh));
}

TEST_F(AuthHandlerTest, WrongCredentialsAre404LoginError) {
  ExpectError(Login("admin", "wrong"), 404, "Login Error", "Invalid username or password");
  ExpectError(Login("nobody", "admin"), 404, "Login Error", "Invalid username or password");
}

TEST_F(AuthHandlerTest, LoginValidationComesFirstAndDoesNotCount) {
  for (int i = 0; i < 10; ++i) {
    http::Request req = Req(R"({"username":"adm"})");
    ExpectValidation(
        Run(handler.Login(req)),
        {{"username", "Username must be at least 4 characters long"}, {"password", "Required"}});
  }
  EXPECT_EQ(Login("admin", "admin").status, 200);
  http::Request malformed = Req("{not json");
  ExpectError(Run(handler.Login(malformed)), 400, "Bad Request", "Malformed body");
}

TEST_F(AuthHandlerTest, FiveFailuresPerAddressThen429) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login("admin", "wrong").status, 404) << i;
  auto limited = Login("admin", "admin");  // even the right password
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body, "Too many login attempts, please try again later");
  EXPECT_EQ(limited.content_type.rfind("text/plain", 0), 0u);
  EXPECT_EQ(Login("admin", "admin", "198.51.100.7").status, 200);  // another address
  clock.Advance(5 * 60 * 1000);
  EXPECT_EQ(Login("admin", "admin").status, 200);
}

TEST_F(AuthHandlerTest, SuccessfulLoginsAreNotLimited) {
  for (int i = 0; i < 8; ++i) EXPECT_EQ(Login("admin", "admin").status, 200) << i;
}

TEST_F(AuthHandlerTest, LogoutClearsCookiesOnlyInCookieMode) {
  http::Request req = Req();
  auto header_mode = Run(handler.Logout(req));
  EXPECT_EQ(header_mode.status, 200);
  EXPECT_EQ(header_mode.body, R"({"message":"Logout successful"})");
  EXPECT_TRUE(SetCookies(header_mode).empty());
  UseCookies();
  auto cookie_mode = Run(handler.Logout(req));
  EXPECT_EQ(cookie_mode.status, 200);
  EXPECT_EQ(SetCookies(cookie_mode),
            (std::vector<std::string>{
                ClearedTokenCookie("OvMeetAccessToken", "/"),
                ClearedTokenCookie("OvMeetRefreshToken", "/internal-api/v1/auth")}));
}

TEST_F(AuthHandlerTest, RefreshInHeaderMode) {
  http::Request req = Req();
  ExpectError(Run(handler.Refresh(req)), 400, "Refresh Token Error", "No refresh token provided");
  req.headers.emplace_back("x-refresh-token", "Bearer " + AdminRefresh());
  auto res = Run(handler.Refresh(req));
  ASSERT_EQ(res.status, 200) << res.body;
  auto body = Json(res);
  EXPECT_EQ(body.at("message").as_string(), "Access token for user 'admin' successfully refreshed");
  EXPECT_TRUE(user_tokens.Verify(body.at("accessToken").as_string(), UserTokenType::kAccess));
  EXPECT_FALSE(body.as_object().contains("refreshToken"));  // not rotated
}

TEST_F(AuthHandlerTest, RefreshRefusesEverythingButARefreshToken) {
  auto refresh_with = [&](const std::string& token) {
    http::Request req = Req();
    req.headers.emplace_back("x-refresh-token", "Bearer " + token);
    return Run(handler.Refresh(req));
  };
  ExpectError(refresh_with(AdminAccess()), 400, "Refresh Token Error", "Invalid refresh token");
  ExpectError(refresh_with("garbage"), 400, "Refresh Token Error", "Invalid refresh token");
  tokens::ParticipantClaims c;
  c.room_id = "r";
  c.identity = "admin";
  c.roles = {domain::ParticipantRole::kModerator};
  ExpectError(refresh_with(participant_tokens.Mint(c)), 400, "Refresh Token Error",
              "Invalid refresh token");
  const std::string expired = AdminRefresh();
  clock.Advance((86400 + 1) * 1000);
  ExpectError(refresh_with(expired), 400, "Refresh Token Error", "Invalid refresh token");
  ExpectError(refresh_with(user_tokens.Mint(UserTokenType::kRefresh, "ghost", {"admin"})), 403,
              "Authorization Error", "Invalid token subject");
}

TEST_F(AuthHandlerTest, RefreshInCookieModeReadsTheCookieAndSetsAnAccessCookie) {
  UseCookies();
  http::Request header_only = Req();
  header_only.headers.emplace_back("x-refresh-token", "Bearer " + AdminRefresh());
  ExpectError(Run(handler.Refresh(header_only)), 400, "Refresh Token Error",
              "No refresh token provided");
  http::Request req = Req();
  req.headers.emplace_back("cookie", "OvMeetRefreshToken=" + AdminRefresh());
  auto res = Run(handler.Refresh(req));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"message":"Access token for user 'admin' successfully refreshed"})");
  const auto cookies = SetCookies(res);
  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_EQ(cookies[0].rfind("OvMeetAccessToken=", 0), 0u);
}

TEST_F(AuthHandlerTest, ApiKeysNeedAnAdminAccessToken) {
  http::Request anonymous = Req();
  ExpectError(Run(handler.GetApiKeys(anonymous)), 401, "Authentication Error", "Unauthorized");
  http::Request with_api_key = Req();
  with_api_key.headers.emplace_back("x-api-key", "meet-api-key");
  ExpectError(Run(handler.CreateApiKey(with_api_key)), 401, "Authentication Error", "Unauthorized");
  ExpectError(Run(handler.DeleteApiKeys(with_api_key)), 401, "Authentication Error",
              "Unauthorized");
  EXPECT_EQ(settings.ApiKey()->key, "meet-api-key");
}

TEST_F(AuthHandlerTest, ApiKeyLifecycle) {
  http::Request admin = AsAdmin();
  auto listed = Run(handler.GetApiKeys(admin));
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body,
            R"([{"key":"meet-api-key","creationDate":)" + std::to_string(clock.NowMs()) + "}]");

  clock.Advance(1000);
  auto created = Run(handler.CreateApiKey(admin));
  ASSERT_EQ(created.status, 201) << created.body;
  auto key = Json(created);
  const std::string value(key.at("key").as_string());
  EXPECT_TRUE(std::regex_match(value, std::regex("ovmeet-[0-9a-f]{32}"))) << value;
  EXPECT_EQ(key.at("creationDate").as_int64(), clock.NowMs());

  // The new key replaces the old one, at once, for the API-key validator too.
  http::Request old_key = Req();
  old_key.headers.emplace_back("x-api-key", "meet-api-key");
  ExpectError(http::Response::FromError(
                  authenticator.Authenticate(old_key, {auth::Validator::kApiKey}).error()),
              401, "Authentication Error", "Invalid API key");
  http::Request new_key = Req();
  new_key.headers.emplace_back("x-api-key", value);
  EXPECT_TRUE(authenticator.Authenticate(new_key, {auth::Validator::kApiKey}));
  EXPECT_EQ(Json(Run(handler.GetApiKeys(admin))).as_array().size(), 1u);

  auto deleted = Run(handler.DeleteApiKeys(admin));
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, R"({"message":"API keys deleted successfully"})");
  EXPECT_EQ(Run(handler.GetApiKeys(admin)).body, "[]");
  ExpectError(http::Response::FromError(
                  authenticator.Authenticate(new_key, {auth::Validator::kApiKey}).error()),
              401, "Authentication Error",
              "There are no API keys configured yet. Please, create one to access the API");
}

}  // namespace
}  // namespace convene::api
