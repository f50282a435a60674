#include "api/global_config_handler.hpp"

#include <gtest/gtest.h>

#include "api/settings_test_fixture.hpp"

namespace convene::api {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kSecurityCookieAllUsers =
    R"({"authentication":{"authMethod":{"type":"single_user"},"authTransportMode":"cookie","authModeToAccessRoom":"all_users"}})";

class GlobalConfigHandlerTest : public test::SettingsFixture {
 protected:
  GlobalConfigHandlerTest() {
    handler.SetWebhookTester(
        [this](const std::string& url, const std::string& key) -> asio::awaitable<Result<void>> {
          tested_url = url;
          tested_key = key;
          if (url.find("fail") != std::string::npos) {
            co_return Fail(
                Error::Make(ErrorCode::kInvalidArgument, "Webhook Error",
                            "Webhook URL '" + url + "' is invalid: Connection refused by server"));
          }
          co_return Result<void>{};
        });
  }

  GlobalConfigHandler handler{settings, authenticator};
  std::string tested_url;
  std::string tested_key;
};

TEST_F(GlobalConfigHandlerTest, SecurityIsPublicToRead) {
  http::Request anonymous = Req();
  auto res = Run(handler.GetSecurity(anonymous));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(
      res.body,
      R"({"authentication":{"authMethod":{"type":"single_user"},"authModeToAccessRoom":"none","authTransportMode":"header"}})");
}

TEST_F(GlobalConfigHandlerTest, SecurityUpdateNeedsAdminBeforeValidation) {
  http::Request anonymous = Req("{}");
  ExpectError(Run(handler.UpdateSecurity(anonymous)), 401, "Authentication Error", "Unauthorized");
  http::Request api_key = Req(std::string(kSecurityCookieAllUsers));
  api_key.headers.emplace_back("x-api-key", "meet-api-key");
  ExpectError(Run(handler.UpdateSecurity(api_key)), 401, "Authentication Error", "Unauthorized");
  http::Request invalid = AsAdmin("{}");
  ExpectValidation(Run(handler.UpdateSecurity(invalid)), {{"authentication", "Required"}});
}

TEST_F(GlobalConfigHandlerTest, SecurityUpdateSwitchesTheTransportAtOnce) {
  http::Request update = AsAdmin(std::string(kSecurityCookieAllUsers));
  auto res = Run(handler.UpdateSecurity(update));
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"message":"Security config updated successfully"})");
  EXPECT_EQ(authenticator.transport_mode(), auth::TransportMode::kCookie);
  EXPECT_EQ(settings.auth_mode_to_access_room(), store::AuthModeToAccessRoom::kAllUsers);
  // The header that authenticated the update no longer does.
  ExpectError(Run(handler.GetWebhooks(update)), 401, "Authentication Error", "Unauthorized");
  http::Request cookie = AsAdmin();
  EXPECT_EQ(Run(handler.GetWebhooks(cookie)).status, 200);
  http::Request anonymous = Req();
  EXPECT_EQ(Json(Run(handler.GetSecurity(anonymous)))
                .at("authentication")
                .at("authTransportMode")
                .as_string(),
            "cookie");
}

TEST_F(GlobalConfigHandlerTest, WebhooksConfig) {
  http::Request anonymous = Req();
  ExpectError(Run(handler.GetWebhooks(anonymous)), 401, "Authentication Error", "Unauthorized");
  http::Request get = AsAdmin();
  EXPECT_EQ(Run(handler.GetWebhooks(get)).body, R"({"enabled":false,"url":""})");

  http::Request enable = AsAdmin(R"({"enabled":true,"url":"https://hooks.example/meet"})");
  auto res = Run(handler.UpdateWebhooks(enable));
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"message":"Webhooks config updated successfully"})");
  http::Request disable = AsAdmin(R"({"enabled":false})");
  EXPECT_EQ(Run(handler.UpdateWebhooks(disable)).status, 200);
  EXPECT_EQ(Run(handler.GetWebhooks(get)).body,
            R"({"enabled":false,"url":"https://hooks.example/meet"})");

  http::Request invalid = AsAdmin(R"({"enabled":true,"url":"ftp://x.example"})");
  ExpectValidation(Run(handler.UpdateWebhooks(invalid)),
                   {{"url", "URL must start with http:// or https://"}});
  http::Request malformed = AsAdmin("{");
  ExpectError(Run(handler.UpdateWebhooks(malformed)), 400, "Bad Request", "Malformed body");
}

TEST_F(GlobalConfigHandlerTest, WebhookTestRequiresAnAdminUnlikeTheReference) {
  http::Request anonymous = Req(R"({"url":"http://localhost:5080/webhook"})");
  ExpectError(Run(handler.TestWebhook(anonymous)), 401, "Authentication Error", "Unauthorized");
  http::Request api_key = Req(R"({"url":"http://localhost:5080/webhook"})");
  api_key.headers.emplace_back("x-api-key", "meet-api-key");
  ExpectError(Run(handler.TestWebhook(api_key)), 401, "Authentication Error", "Unauthorized");
  EXPECT_TRUE(tested_url.empty());
}

TEST_F(GlobalConfigHandlerTest, WebhookTestValidatesThenNeedsAKeyThenSends) {
  http::Request invalid = AsAdmin(R"({"url":"not-a-url"})");
  ExpectValidation(
      Run(handler.TestWebhook(invalid)),
      {{"url", "Must be a valid URL"}, {"url", "URL must start with http:// or https://"}});

  http::Request ok = AsAdmin(R"({"url":"http://localhost:5080/webhook"})");
  auto res = Run(handler.TestWebhook(ok));
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"message":"Webhook URL is valid"})");
  EXPECT_EQ(tested_url, "http://localhost:5080/webhook");
  EXPECT_EQ(tested_key, "meet-api-key");

  http::Request failing = AsAdmin(R"({"url":"http://fail.example"})");
  ExpectError(Run(handler.TestWebhook(failing)), 400, "Webhook Error",
              "Webhook URL 'http://fail.example' is invalid: Connection refused by server");

  ASSERT_TRUE(Run(settings.DeleteApiKeys()));
  tested_url.clear();
  ExpectError(Run(handler.TestWebhook(ok)), 400, "Webhook Error",
              "There are no API keys configured yet. Please, create one to use webhooks.");
  EXPECT_TRUE(tested_url.empty());
}

TEST_F(GlobalConfigHandlerTest, AppearanceIsPublicToReadAndCarriesColoursOver) {
  http::Request anonymous = Req();
  EXPECT_EQ(Run(handler.GetAppearance(anonymous)).body, R"({"appearance":{"themes":[]}})");
  http::Request not_admin = Req(R"({"appearance":{"themes":[]}})");
  ExpectError(Run(handler.UpdateAppearance(not_admin)), 401, "Authentication Error",
              "Unauthorized");

  http::Request first = AsAdmin(
      R"({"appearance":{"themes":[{"name":"initial","enabled":true,"baseTheme":"light","backgroundColor":"#ffffff","primaryColor":"#1976d2"}]}})");
  auto res = Run(handler.UpdateAppearance(first));
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"message":"Rooms appearance config updated successfully"})");
  http::Request second = AsAdmin(
      R"({"appearance":{"themes":[{"name":"new","enabled":false,"baseTheme":"dark","primaryColor":"#bb86fc"}]}})");
  EXPECT_EQ(Run(handler.UpdateAppearance(second)).status, 200);
  EXPECT_EQ(
      Run(handler.GetAppearance(anonymous)).body,
      R"({"appearance":{"themes":[{"name":"new","enabled":false,"baseTheme":"dark","backgroundColor":"#ffffff","primaryColor":"#bb86fc"}]}})");

  http::Request invalid = AsAdmin(R"({"appearance":{"themes":[]}})");
  ExpectValidation(Run(handler.UpdateAppearance(invalid)),
                   {{"appearance.themes", "There must be exactly one theme defined"}});
}

}  // namespace
}  // namespace convene::api
