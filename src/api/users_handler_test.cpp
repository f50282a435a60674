#include "api/users_handler.hpp"

#include <gtest/gtest.h>

#include "api/settings_test_fixture.hpp"

namespace convene::api {
namespace {

class UsersHandlerTest : public test::SettingsFixture {
 protected:
  UsersHandler handler{settings, authenticator};
};

TEST_F(UsersHandlerTest, ProfileOfTheAdmin) {
  http::Request req = AsAdmin();
  auto res = Run(handler.Profile(req));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, R"({"username":"admin","roles":["admin","user"]})");
}

TEST_F(UsersHandlerTest, ProfileInCookieMode) {
  UseCookies();
  http::Request req = AsAdmin();
  EXPECT_EQ(Run(handler.Profile(req)).status, 200);
  http::Request header = Req();
  header.headers.emplace_back("authorization", "Bearer " + AdminAccess());
  ExpectError(Run(handler.Profile(header)), 401, "Authentication Error", "Unauthorized");
}

TEST_F(UsersHandlerTest, ProfileNeedsAUser) {
  http::Request anonymous = Req();
  ExpectError(Run(handler.Profile(anonymous)), 401, "Authentication Error", "Unauthorized");
  http::Request api_key = Req();
  api_key.headers.emplace_back("x-api-key", "meet-api-key");
  ExpectError(Run(handler.Profile(api_key)), 401, "Authentication Error", "Unauthorized");
  http::Request refresh = Req();
  refresh.headers.emplace_back("authorization", "Bearer " + AdminRefresh());
  ExpectError(Run(handler.Profile(refresh)), 401, "Authentication Error", "Invalid token");
}

TEST_F(UsersHandlerTest, ChangePasswordRoundTrip) {
  http::Request change = AsAdmin(R"({"currentPassword":"admin","newPassword":"new-password"})");
  auto res = Run(handler.ChangePassword(change));
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, R"({"message":"Password for user 'admin' changed successfully"})");
  EXPECT_TRUE(*Run(settings.CheckCredentials("admin", "new-password")));
  EXPECT_FALSE(*Run(settings.CheckCredentials("admin", "admin")));

  http::Request again = AsAdmin(R"({"currentPassword":"admin","newPassword":"whatever"})");
  ExpectError(Run(handler.ChangePassword(again)), 400, "Change Password Error",
              "Invalid current password");
}

TEST_F(UsersHandlerTest, ChangePasswordValidatesAfterAuthentication) {
  http::Request short_password = AsAdmin(R"({"currentPassword":"admin","newPassword":"abcd"})");
  ExpectValidation(Run(handler.ChangePassword(short_password)),
                   {{"newPassword", "New password must be at least 5 characters long"}});
  http::Request anonymous = Req(R"({"newPassword":"abcd"})");
  ExpectError(Run(handler.ChangePassword(anonymous)), 401, "Authentication Error", "Unauthorized");
}

}  // namespace
}  // namespace convene::api
