#include "api/config_dto.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace convene::api {
namespace {

namespace json = boost::json;
using Details = std::vector<std::pair<std::string, std::string>>;

template <class T>
Details DetailsOf(const Result<T>& r) {
  Details out;
  if (r) return out;
  EXPECT_EQ(r.error().code, ErrorCode::kValidation);
  EXPECT_EQ(r.error().name, "Unprocessable Entity");
  EXPECT_EQ(r.error().message, "Invalid request");
  for (const auto& d : r.error().details) out.emplace_back(d.field, d.message);
  return out;
}

json::value J(std::string_view text) { return json::parse(text); }

TEST(LoginRequest, AcceptsAndValidatesLikeTheReference) {
  auto ok = ParseLoginRequest(J(R"({"username":"admin","password":"admin","extra":1})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->username, "admin");
  EXPECT_EQ(ok->password, "admin");
  EXPECT_EQ(DetailsOf(ParseLoginRequest(J("{}"))),
            (Details{{"username", "Required"}, {"password", "Required"}}));
  EXPECT_EQ(DetailsOf(ParseLoginRequest(J(R"({"username":"adm","password":"pwd"})"))),
            (Details{{"username", "Username must be at least 4 characters long"},
                     {"password", "Password must be at least 4 characters long"}}));
  EXPECT_EQ(DetailsOf(ParseLoginRequest(J(R"({"username":1234,"password":null})"))),
            (Details{{"username", "Expected string, received number"},
                     {"password", "Expected string, received null"}}));
  EXPECT_EQ(DetailsOf(ParseLoginRequest(J("[]"))),
            (Details{{"", "Expected object, received array"}}));
  // Lengths are JavaScript lengths: "ñññ" is 3 and "😀😀" is 4 UTF-16 units.
  EXPECT_FALSE(ParseLoginRequest(J(R"({"username":"ñññ","password":"abcd"})")));
  EXPECT_TRUE(ParseLoginRequest(J(R"({"username":"😀😀","password":"abcd"})")));
}

TEST(ChangePasswordRequest, Validation) {
  auto ok = ParseChangePasswordRequest(J(R"({"currentPassword":"a","newPassword":"abcde"})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->current_password, "a");
  EXPECT_EQ(ok->new_password, "abcde");
  EXPECT_EQ(DetailsOf(ParseChangePasswordRequest(
                J(R"({"currentPassword":"admin","newPassword":"abcd"})"))),
            (Details{{"newPassword", "New password must be at least 5 characters long"}}));
  EXPECT_EQ(DetailsOf(ParseChangePasswordRequest(J("{}"))),
            (Details{{"currentPassword", "Required"}, {"newPassword", "Required"}}));
}

TEST(SecurityConfigBody, ParsesAllModes) {
  auto ok = ParseSecurityConfigBody(J(
      R"({"authentication":{"authMethod":{"type":"single_user"},"authTransportMode":"cookie","authModeToAccessRoom":"moderators_only"}})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->transport_mode, store::AuthTransportMode::kCookie);
  EXPECT_EQ(ok->auth_mode_to_access_room, store::AuthModeToAccessRoom::kModeratorsOnly);
  auto all = ParseSecurityConfigBody(J(
      R"({"authentication":{"authMethod":{"type":"single_user"},"authTransportMode":"header","authModeToAccessRoom":"all_users"}})"));
  ASSERT_TRUE(all);
  EXPECT_EQ(all->auth_mode_to_access_room, store::AuthModeToAccessRoom::kAllUsers);
  EXPECT_EQ(all->transport_mode, store::AuthTransportMode::kHeader);
}

TEST(SecurityConfigBody, ValidationMessages) {
  EXPECT_EQ(DetailsOf(ParseSecurityConfigBody(J("{}"))), (Details{{"authentication", "Required"}}));
  EXPECT_EQ(DetailsOf(ParseSecurityConfigBody(J(R"({"authentication":{}})"))),
            (Details{{"authentication.authMethod", "Required"},
                     {"authentication.authTransportMode", "Required"},
                     {"authentication.authModeToAccessRoom", "Required"}}));
  EXPECT_EQ(
      DetailsOf(ParseSecurityConfigBody(J(
          R"({"authentication":{"authMethod":{"type":"multi_user"},"authTransportMode":"bearer","authModeToAccessRoom":"everyone"}})"))),
      (Details{{"authentication.authMethod.type",
                "Invalid enum value. Expected 'single_user', received 'multi_user'"},
               {"authentication.authTransportMode",
                "Invalid enum value. Expected 'cookie' | 'header', received 'bearer'"},
               {"authentication.authModeToAccessRoom",
                "Invalid enum value. Expected 'none' | 'moderators_only' | 'all_users', received "
                "'everyone'"}}));
  EXPECT_EQ(DetailsOf(ParseSecurityConfigBody(J(R"({"authentication":"x"})"))),
            (Details{{"authentication", "Expected object, received string"}}));
}

TEST(WebhooksConfigBody, ParsesAndKeepsAnAbsentUrlAbsent) {
  auto ok = ParseWebhooksConfigBody(J(R"({"enabled":true,"url":"https://hooks.example/x"})"));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->enabled);
  EXPECT_EQ(ok->url, "https://hooks.example/x");
  auto off = ParseWebhooksConfigBody(J(R"({"enabled":false})"));
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->url);
}

TEST(WebhooksConfigBody, ValidationMessages) {
  EXPECT_EQ(DetailsOf(ParseWebhooksConfigBody(J("{}"))), (Details{{"enabled", "Required"}}));
  EXPECT_EQ(DetailsOf(ParseWebhooksConfigBody(J(R"({"enabled":true})"))),
            (Details{{"url", "URL is required when webhooks are enabled"}}));
  EXPECT_EQ(DetailsOf(ParseWebhooksConfigBody(J(R"({"enabled":"yes","url":"https://x.example"})"))),
            (Details{{"enabled", "Expected boolean, received string"}}));
  EXPECT_EQ(DetailsOf(ParseWebhooksConfigBody(J(R"({"enabled":true,"url":"not a url"})"))),
            (Details{{"url", "Must be a valid URL"},
                     {"url", "URL must start with http:// or https://"}}));
  EXPECT_EQ(
      DetailsOf(ParseWebhooksConfigBody(J(R"({"enabled":true,"url":"ftp://files.example"})"))),
      (Details{{"url", "URL must start with http:// or https://"}}));
  // The refine still runs after failed string checks ("dirty", not "aborted").
  EXPECT_EQ(DetailsOf(ParseWebhooksConfigBody(J(R"({"enabled":true,"url":""})"))),
            (Details{{"url", "Must be a valid URL"},
                     {"url", "URL must start with http:// or https://"},
                     {"url", "URL is required when webhooks are enabled"}}));
  EXPECT_EQ(DetailsOf(ParseWebhooksConfigBody(J(R"({"enabled":true,"url":5})"))),
            (Details{{"url", "Expected string, received number"}}));
}

TEST(WebhookTestBody, Validation) {
  auto ok = ParseWebhookTestBody(J(R"({"url":"http://localhost:5080/webhook"})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, "http://localhost:5080/webhook");
  EXPECT_EQ(DetailsOf(ParseWebhookTestBody(J("{}"))), (Details{{"url", "Required"}}));
  EXPECT_EQ(DetailsOf(ParseWebhookTestBody(J(R"({"url":"localhost:5080"})"))),
            (Details{{"url", "URL must start with http:// or https://"}}));
  EXPECT_EQ(DetailsOf(ParseWebhookTestBody(J(R"({"url":"http://"})"))),
            (Details{{"url", "Must be a valid URL"}}));
}

TEST(Url, ApproximatesWhatwgParsing) {
  for (std::string_view ok :
       {"http://example.com", "https://example.com:8443/p?q#f", "http://localhost:5080",
        "http://127.0.0.1", "http://[::1]:80/", "http://user:pw@host", "HTTP://EXAMPLE.COM",
        "http:example.com", "mailto:a@b", "javascript:alert(1)", "file:///etc/hosts",
        "  http://trimmed.example  ", "http://ex%41mple.com", "http://exa\tmple.com",
        "http://example.com/with space", "ws://lk:7880", "http://xn--bcher-kva.example",
        "http://bücher.example", "http://1.2.3"}) {
    EXPECT_TRUE(IsWhatwgUrl(ok)) << ok;
  }
  for (std::string_view bad :
       {"", "example.com", "not a url", "http://", "https://:80", "http://exa mple.com",
        "http://host:65536", "http://host:8x", "http://[::1", "http://a<b", "1http://x",
        "http://1.2.3.256", "http://1.2.3.4.5", "http://0x1g.0", "http://user@",
        "http://%zz.example"}) {
    EXPECT_FALSE(IsWhatwgUrl(bad)) << bad;
  }
}

TEST(AppearanceBody, ParsesOneTheme) {
  auto ok = ParseAppearanceBody(J(
      R"({"appearance":{"themes":[{"name":"my-theme_1","enabled":true,"baseTheme":"dark","primaryColor":"#bb86fc","backgroundColor":"#FFF","accentColor":"#12345678","surfaceColor":"#abcd","extra":1}]}})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->name, "my-theme_1");
  EXPECT_TRUE(ok->enabled);
  EXPECT_EQ(ok->base_theme, "dark");
  EXPECT_EQ(ok->primary_color, "#bb86fc");
  EXPECT_EQ(ok->background_color, "#FFF");
  EXPECT_EQ(ok->accent_color, "#12345678");
  EXPECT_EQ(ok->surface_color, "#abcd");
  EXPECT_FALSE(ok->secondary_color);
}

TEST(AppearanceBody, ValidationMessages) {
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J("{}"))), (Details{{"appearance", "Required"}}));
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J(R"({"appearance":{}})"))),
            (Details{{"appearance.themes", "Required"}}));
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J(R"({"appearance":{"themes":{}}})"))),
            (Details{{"appearance.themes", "Expected array, received object"}}));
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J(R"({"appearance":{"themes":[]}})"))),
            (Details{{"appearance.themes", "There must be exactly one theme defined"}}));
  EXPECT_EQ(
      DetailsOf(ParseAppearanceBody(J(
          R"({"appearance":{"themes":[{"name":"a","enabled":true,"baseTheme":"light"},{"name":"b","enabled":true,"baseTheme":"dark"}]}})"))),
      (Details{{"appearance.themes", "There must be exactly one theme defined"}}));
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J(
                R"({"appearance":{"themes":[{"name":"","enabled":true,"baseTheme":"light"}]}})"))),
            (Details{{"appearance.themes.0.name", "Theme name cannot be empty"},
                     {"appearance.themes.0.name",
                      "Theme name can only contain letters, numbers, hyphens and underscores"}}));
  const std::string long_name(51, 'a');
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J(R"({"appearance":{"themes":[{"name":")" + long_name +
                                            R"(","enabled":true,"baseTheme":"light"}]}})"))),
            (Details{{"appearance.themes.0.name", "Theme name cannot exceed 50 characters"}}));
  EXPECT_EQ(
      DetailsOf(ParseAppearanceBody(J(
          R"({"appearance":{"themes":[{"name":"My Theme","enabled":true,"baseTheme":"light"}]}})"))),
      (Details{{"appearance.themes.0.name",
                "Theme name can only contain letters, numbers, hyphens and underscores"}}));
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J(
                R"({"appearance":{"themes":[{"name":"t","enabled":"yes","baseTheme":"blue"}]}})"))),
            (Details{{"appearance.themes.0.enabled", "Expected boolean, received string"},
                     {"appearance.themes.0.baseTheme",
                      "Invalid enum value. Expected 'light' | 'dark', received 'blue'"}}));
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J(R"({"appearance":{"themes":[{"name":"t"}]}})"))),
            (Details{{"appearance.themes.0.enabled", "Required"},
                     {"appearance.themes.0.baseTheme", "Required"}}));
  EXPECT_EQ(
      DetailsOf(ParseAppearanceBody(J(
          R"({"appearance":{"themes":[{"name":"t","enabled":true,"baseTheme":"light","backgroundColor":"red","primaryColor":"#12","secondaryColor":"#12345","accentColor":"#1234567","surfaceColor":"#ggg"}]}})"))),
      (Details{{"appearance.themes.0.backgroundColor",
                "Must be a valid hex color code (with or without alpha)"},
               {"appearance.themes.0.primaryColor",
                "Must be a valid hex color code (with or without alpha)"},
               {"appearance.themes.0.secondaryColor",
                "Must be a valid hex color code (with or without alpha)"},
               {"appearance.themes.0.accentColor",
                "Must be a valid hex color code (with or without alpha)"},
               {"appearance.themes.0.surfaceColor",
                "Must be a valid hex color code (with or without alpha)"}}));
  EXPECT_EQ(
      DetailsOf(ParseAppearanceBody(J(
          R"({"appearance":{"themes":[{"name":"t","enabled":true,"baseTheme":"light","primaryColor":null}]}})"))),
      (Details{{"appearance.themes.0.primaryColor", "Expected string, received null"}}));
  EXPECT_EQ(DetailsOf(ParseAppearanceBody(J(R"({"appearance":{"themes":["x"]}})"))),
            (Details{{"appearance.themes.0", "Expected object, received string"}}));
}

TEST(ConfigJson, ShapesOfTheGetRoutes) {
  EXPECT_EQ(
      json::serialize(SecurityConfigToJson({})),
      R"({"authentication":{"authMethod":{"type":"single_user"},"authModeToAccessRoom":"none","authTransportMode":"header"}})");
  EXPECT_EQ(json::serialize(WebhooksConfigToJson({false, ""})), R"({"enabled":false,"url":""})");
  EXPECT_EQ(json::serialize(WebhooksConfigToJson({true, std::nullopt})), R"({"enabled":true})");
  EXPECT_EQ(json::serialize(AppearanceToJson({})), R"({"appearance":{"themes":[]}})");
  store::Theme theme{"t",       true,         "dark",       std::nullopt,
                     "#bb86fc", std::nullopt, std::nullopt, "#fff"};
  EXPECT_EQ(
      json::serialize(AppearanceToJson({theme})),
      R"({"appearance":{"themes":[{"name":"t","enabled":true,"baseTheme":"dark","primaryColor":"#bb86fc","surfaceColor":"#fff"}]}})");
}

}  // namespace
}  // namespace convene::api
