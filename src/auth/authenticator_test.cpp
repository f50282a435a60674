#include "auth/authenticator.hpp"

#include <gtest/gtest.h>

#include <map>

namespace convene::auth {
namespace {

using domain::ParticipantRole;

const std::vector<std::string> kAdminRoles{"admin", "user"};

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest() {
    auth_.SetTransportModeSource([this] { return mode_; });
    auth_.SetUserAuthentication(user_tokens_,
                                [this](std::string_view name) -> std::optional<UserRecord> {
                                  auto it = users_.find(std::string(name));
                                  if (it == users_.end()) return std::nullopt;
                                  return UserRecord{it->first, it->second};
                                });
    api_keys_.Set({"meet-api-key", 1});
  }

  http::Request Bearer(std::string_view token) const {
    http::Request req;
    req.headers.emplace_back("authorization", "Bearer " + std::string(token));
    return req;
  }
  http::Request WithCookie(std::string_view name, std::string_view token) const {
    http::Request req;
    req.headers.emplace_back("cookie", "other=1; " + std::string(name) + "=" + std::string(token));
    return req;
  }
  std::string Access(std::string_view user = "admin") const {
    return user_tokens_.Mint(UserTokenType::kAccess, user, kAdminRoles);
  }
  std::string Participant(std::string_view identity) const {
    tokens::ParticipantClaims c;
    c.room_id = "Room-1";
    c.identity = std::string(identity);
    c.name = std::string(identity);
    c.room_join = true;
    c.roles = {ParticipantRole::kModerator};
    c.selected_role = ParticipantRole::kModerator;
    return participant_tokens_.Mint(c);
  }
  static void ExpectError(const Result<Principal>& r, ErrorCode code, std::string_view name,
                          std::string_view message) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(r.error().name, name);
    EXPECT_EQ(r.error().message, message);
  }

  ManualClock clock_{1'760'000'000'000};
  ApiKeys api_keys_;
  tokens::ParticipantTokenCodec participant_tokens_{"devkey", "secret", "ws://localhost:7880", 7200,
                                                    clock_};
  UserTokenCodec user_tokens_{"devkey", UserTokenKey("", "secret"), clock_};
  Authenticator auth_{api_keys_, participant_tokens_};
  TransportMode mode_ = TransportMode::kHeader;
  std::map<std::string, std::vector<std::string>> users_{{"admin", kAdminRoles},
                                                         {"viewer", {"user"}}};
};

TEST_F(AuthenticatorTest, AdminAccessTokenInTheAuthorizationHeader) {
  auto who = auth_.Authenticate(Bearer(Access()), {Validator::kAdmin});
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->kind, Principal::Kind::kUser);
  EXPECT_EQ(who->username, "admin");
  EXPECT_EQ(who->roles, kAdminRoles);
}

TEST_F(AuthenticatorTest, AccessTokenInTheQueryInHeaderModeOnly) {
  http::Request req;
  req.query.push_back({"accessToken", Access()});
  EXPECT_TRUE(auth_.Authenticate(req, {Validator::kAdmin}));
  // A repeated parameter is an array to Express: no token.
  req.query.push_back({"accessToken", Access()});
  ExpectError(auth_.Authenticate(req, {Validator::kAdmin}), ErrorCode::kUnauthenticated,
              "Authentication Error", "Unauthorized");
  mode_ = TransportMode::kCookie;
  http::Request single;
  single.query.push_back({"accessToken", Access()});
  ExpectError(auth_.Authenticate(single, {Validator::kAdmin}), ErrorCode::kUnauthenticated,
              "Authentication Error", "Unauthorized");
}

TEST_F(AuthenticatorTest, CookieModeReadsOnlyTheCookie) {
  mode_ = TransportMode::kCookie;
  EXPECT_TRUE(auth_.Authenticate(WithCookie(kAccessTokenCookie, Access()), {Validator::kAdmin}));
  ExpectError(auth_.Authenticate(Bearer(Access()), {Validator::kAdmin}),
              ErrorCode::kUnauthenticated, "Authentication Error", "Unauthorized");
  mode_ = TransportMode::kHeader;
  ExpectError(auth_.Authenticate(WithCookie(kAccessTokenCookie, Access()), {Validator::kAdmin}),
              ErrorCode::kUnauthenticated, "Authentication Error", "Unauthorized");
}

TEST_F(AuthenticatorTest, BearerPrefixMustBeExact) {
  http::Request req;
  req.headers.emplace_back("authorization", "bearer " + Access());
  ExpectError(auth_.Authenticate(req, {Validator::kAdmin}), ErrorCode::kUnauthenticated,
              "Authentication Error", "Unauthorized");
  ExpectError(auth_.Authenticate(Bearer(""), {Validator::kAdmin}), ErrorCode::kUnauthenticated,
              "Authentication Error", "Unauthorized");
}

TEST_F(AuthenticatorTest, MissingCredentialContinuesTheChain) {
  http::Request req;
  ExpectError(auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin}),
              ErrorCode::kUnauthenticated, "Authentication Error", "Unauthorized");
  req.headers.emplace_back("x-api-key", "meet-api-key");
  EXPECT_TRUE(auth_.Authenticate(req, {Validator::kAdmin, Validator::kApiKey}));
}

TEST_F(AuthenticatorTest, InvalidTokenStopsTheChain) {
  http::Request req = Bearer("garbage");
  req.headers.emplace_back("x-api-key", "meet-api-key");
  ExpectError(auth_.Authenticate(req, {Validator::kAdmin, Validator::kApiKey}),
              ErrorCode::kUnauthenticated, "Authentication Error", "Invalid token");
}

TEST_F(AuthenticatorTest, ExpiredAccessTokenIsInvalid) {
  const std::string token = Access();
  clock_.Advance((7200 + 1) * 1000);
  ExpectError(auth_.Authenticate(Bearer(token), {Validator::kAdmin}), ErrorCode::kUnauthenticated,
              "Authentication Error", "Invalid token");
}

TEST_F(AuthenticatorTest, ParticipantTokenNamedAdminNeverAuthenticatesAsAUser) {
  ExpectError(auth_.Authenticate(Bearer(Participant("admin")), {Validator::kAdmin}),
              ErrorCode::kUnauthenticated, "Authentication Error", "Invalid token");
  ExpectError(auth_.Authenticate(Bearer(Participant("admin")), {Validator::kUser}),
              ErrorCode::kUnauthenticated, "Authentication Error", "Invalid token");
}

TEST_F(AuthenticatorTest, RefreshTokenIsNotAnAccessToken) {
  const std::string refresh = user_tokens_.Mint(UserTokenType::kRefresh, "admin", kAdminRoles);
  ExpectError(auth_.Authenticate(Bearer(refresh), {Validator::kAdmin}), ErrorCode::kUnauthenticated,
              "Authentication Error", "Invalid token");
}

TEST_F(AuthenticatorTest, UnknownSubjectIsForbiddenAndStops) {
  http::Request req = Bearer(Access("ghost"));
  req.headers.emplace_back("x-api-key", "meet-api-key");
  ExpectError(auth_.Authenticate(req, {Validator::kAdmin, Validator::kApiKey}),
              ErrorCode::kPermissionDenied, "Authorization Error", "Invalid token subject");
}

TEST_F(AuthenticatorTest, MissingRoleIsForbiddenButContinues) {
  // The stored roles count, not the token's.
  const std::string token = Access("viewer");
  ExpectError(auth_.Authenticate(Bearer(token), {Validator::kAdmin}), ErrorCode::kPermissionDenied,
              "Authorization Error", "Insufficient permissions to access this resource");
  auto who = auth_.Authenticate(Bearer(token), {Validator::kAdmin, Validator::kUser});
  ASSERT_TRUE(who);
  EXPECT_EQ(who->username, "viewer");
}

TEST_F(AuthenticatorTest, AnonymousAttachesTheAccessTokenUser) {
  auto user = auth_.Authenticate(Bearer(Access()), {Validator::kAnonymous});
  ASSERT_TRUE(user);
  EXPECT_EQ(user->kind, Principal::Kind::kUser);
  EXPECT_EQ(user->username, "admin");
  for (const auto& req : {Bearer("garbage"), Bearer(Access("ghost")), http::Request{}}) {
    auto anon = auth_.Authenticate(req, {Validator::kAnonymous});
    ASSERT_TRUE(anon);
    EXPECT_EQ(anon->kind, Principal::Kind::kAnonymous);
    EXPECT_EQ(anon->username, "anonymous");
    EXPECT_EQ(anon->roles, std::vector<std::string>{"user"});
  }
}

TEST_F(AuthenticatorTest, WithoutUserAuthenticationUserValidatorsFailAsMissing) {
  Authenticator bare(api_keys_, participant_tokens_);
  ExpectError(bare.Authenticate(Bearer(Access()), {Validator::kAdmin}), ErrorCode::kUnauthenticated,
              "Authentication Error", "Unauthorized");
}

TEST_F(AuthenticatorTest, RefreshTokenTransport) {
  http::Request header;
  header.headers.emplace_back("x-refresh-token", "Bearer abc");
  EXPECT_EQ(auth_.RefreshToken(header), "abc");
  EXPECT_EQ(auth_.RefreshToken(WithCookie(kRefreshTokenCookie, "abc")), std::nullopt);
  mode_ = TransportMode::kCookie;
  EXPECT_EQ(auth_.RefreshToken(header), std::nullopt);
  EXPECT_EQ(auth_.RefreshToken(WithCookie(kRefreshTokenCookie, "abc")), "abc");
}

TEST_F(AuthenticatorTest, EmptyApiKeyHeaderIsNoCredential) {
  http::Request req;
  req.headers.emplace_back("x-api-key", "");
  req.headers.emplace_back("authorization", "Bearer " + Access());
  EXPECT_TRUE(auth_.Authenticate(req, {Validator::kApiKey, Validator::kAdmin}));
}

}  // namespace
}  // namespace convene::auth
