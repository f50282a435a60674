#include "auth/user_tokens.hpp"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/base64.hpp"
#include "crypto/jwt.hpp"
#include "tokens/participant_token.hpp"

namespace convene::auth {
namespace {

namespace json = boost::json;
using domain::ParticipantRole;

constexpr std::string_view kLiveKitSecret = "secret";
const std::vector<std::string> kAdminRoles{"admin", "user"};

std::string Segment(std::string_view token, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const std::size_t end = token.find('.', start);
  return std::string(
      token.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

json::object Payload(std::string_view token) {
  return json::parse(*crypto::Base64UrlDecode(Segment(token, 1))).as_object();
}

// A compact JWS from raw header/payload texts, signed with `key`.
std::string Assemble(std::string_view header, std::string_view payload, std::string_view key) {
  const crypto::HmacSha256Key hmac(key);
  const std::string input =
      crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(payload);
  const auto mac = hmac.Sign(input);
  return input + "." +
         crypto::Base64UrlEncode(
             std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

class UserTokensTest : public ::testing::Test {
 protected:
  ManualClock clock_{1'760'000'000'000};
  std::string key_ = UserTokenKey("", kLiveKitSecret);
  UserTokenCodec codec_{"devkey", key_, clock_};

  std::string PayloadText(std::string_view typ, std::string_view sub = "admin",
                          std::int64_t exp_delta = 7200, std::string_view iss = "devkey") const {
    json::object p{{"metadata", R"({"roles":["admin","user"]})"}, {"typ", typ}, {"iss", iss},
                   {"exp", clock_.NowSeconds() + exp_delta},      {"nbf", 0},   {"sub", sub}};
    return json::serialize(p);
  }
};

TEST_F(UserTokensTest, KeyIsDerivedFromTheLiveKitSecretUnlessAnAuthSecretIsSet) {
  EXPECT_NE(UserTokenKey("", kLiveKitSecret), kLiveKitSecret);
  EXPECT_EQ(UserTokenKey("", kLiveKitSecret).size(), 32u);
  EXPECT_EQ(UserTokenKey("", kLiveKitSecret), UserTokenKey("", kLiveKitSecret));
  EXPECT_NE(UserTokenKey("", kLiveKitSecret), UserTokenKey("", "other-secret"));
  EXPECT_EQ(UserTokenKey("a-dedicated-auth-secret-of-32-chars", kLiveKitSecret),
            "a-dedicated-auth-secret-of-32-chars");
}

TEST_F(UserTokensTest, AccessTokenHasTheReferenceClaimsPlusTyp) {
  const std::string token = codec_.Mint(UserTokenType::kAccess, "admin", kAdminRoles);
  EXPECT_EQ(Segment(token, 0), "eyJhbGciOiJIUzI1NiJ9");  // {"alg":"HS256"}
  const json::object p = Payload(token);
  EXPECT_EQ(p.at("sub").as_string(), "admin");
  EXPECT_EQ(p.at("iss").as_string(), "devkey");
  EXPECT_EQ(p.at("typ").as_string(), "access");
  EXPECT_EQ(p.at("nbf").as_int64(), 0);
  EXPECT_EQ(p.at("exp").as_int64(), clock_.NowSeconds() + 7200);
  EXPECT_EQ(p.at("metadata").as_string(), R"({"roles":["admin","user"]})");
  EXPECT_FALSE(p.contains("video"));

  auto claims = codec_.Verify(token, UserTokenType::kAccess);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->username, "admin");
  EXPECT_EQ(claims->roles, kAdminRoles);
  EXPECT_EQ(claims->type, UserTokenType::kAccess);
  EXPECT_EQ(claims->expires_at, clock_.NowSeconds() + 7200);
}

TEST_F(UserTokensTest, RefreshTokenLastsOneDay) {
  const std::string token = codec_.Mint(UserTokenType::kRefresh, "admin", kAdminRoles);
  EXPECT_EQ(Payload(token).at("typ").as_string(), "refresh");
  EXPECT_EQ(Payload(token).at("exp").as_int64(), clock_.NowSeconds() + 86400);
  clock_.Advance(86399 * 1000);
  EXPECT_TRUE(codec_.Verify(token, UserTokenType::kRefresh));
  clock_.Advance(2 * 1000);
  EXPECT_FALSE(codec_.Verify(token, UserTokenType::kRefresh));
}

TEST_F(UserTokensTest, AccessIsNeverAcceptedAsRefreshAndBack) {
  const std::string access = codec_.Mint(UserTokenType::kAccess, "admin", kAdminRoles);
  const std::string refresh = codec_.Mint(UserTokenType::kRefresh, "admin", kAdminRoles);
  EXPECT_FALSE(codec_.Verify(access, UserTokenType::kRefresh));
  EXPECT_FALSE(codec_.Verify(refresh, UserTokenType::kAccess));
  EXPECT_TRUE(codec_.Verify(access, UserTokenType::kAccess));
  EXPECT_TRUE(codec_.Verify(refresh, UserTokenType::kRefresh));
}

TEST_F(UserTokensTest, ParticipantTokenNamedAfterTheAdminIsNotAUserToken) {
  tokens::ParticipantTokenCodec participants("devkey", kLiveKitSecret, "ws://localhost:7880", 7200,
                                             clock_);
  tokens::ParticipantClaims c;
  c.room_id = "Room-1";
  c.identity = "admin";
  c.name = "admin";
  c.room_join = true;
  c.roles = {ParticipantRole::kModerator};
  c.selected_role = ParticipantRole::kModerator;
  const std::string participant = participants.Mint(c);
  EXPECT_FALSE(codec_.Verify(participant, UserTokenType::kAccess));
  EXPECT_FALSE(codec_.Verify(participant, UserTokenType::kRefresh));
  // Even with a `typ` claim, a token signed with the LiveKit secret is refused.
  EXPECT_FALSE(codec_.Verify(Assemble(R"({"alg":"HS256"})", PayloadText("access"), kLiveKitSecret),
                             UserTokenType::kAccess));
  // And user tokens are not participant tokens.
  const std::string access = codec_.Mint(UserTokenType::kAccess, "admin", kAdminRoles);
  EXPECT_FALSE(participants.Verify(access, tokens::ParticipantTokenCodec::Expiry::kMustBeValid));
}

TEST_F(UserTokensTest, ExpiryHasZeroTolerance) {
  const std::string token = codec_.Mint(UserTokenType::kAccess, "admin", kAdminRoles);
  clock_.Advance(7199 * 1000);
  EXPECT_TRUE(codec_.Verify(token, UserTokenType::kAccess));  // the last second before exp
  clock_.Advance(1000);
  EXPECT_FALSE(codec_.Verify(token, UserTokenType::kAccess));  // valid only before exp (RFC 7519)
}

TEST_F(UserTokensTest, RefusesForgedAndTamperedTokens) {
  // Correct structure and key: accepted (sanity check of the crafting helper).
  EXPECT_TRUE(codec_.Verify(Assemble(R"({"alg":"HS256"})", PayloadText("access"), key_),
                            UserTokenType::kAccess));
  // Wrong key.
  EXPECT_FALSE(codec_.Verify(Assemble(R"({"alg":"HS256"})", PayloadText("access"), "another-key"),
                             UserTokenType::kAccess));
  // alg none, with and without a signature.
  const std::string none_input = crypto::Base64UrlEncode(R"({"alg":"none"})") + "." +
                                 crypto::Base64UrlEncode(PayloadText("access"));
  EXPECT_FALSE(codec_.Verify(none_input + ".", UserTokenType::kAccess));
  EXPECT_FALSE(codec_.Verify(Assemble(R"({"alg":"none"})", PayloadText("access"), key_),
                             UserTokenType::kAccess));
  // Other algorithms, even when the MAC itself is right.
  EXPECT_FALSE(codec_.Verify(Assemble(R"({"alg":"HS512"})", PayloadText("access"), key_),
                             UserTokenType::kAccess));
  // Wrong issuer, missing or empty subject, missing or unknown typ, expired, bad metadata.
  EXPECT_FALSE(codec_.Verify(
      Assemble(R"({"alg":"HS256"})", PayloadText("access", "admin", 7200, "other"), key_),
      UserTokenType::kAccess));
  EXPECT_FALSE(codec_.Verify(Assemble(R"({"alg":"HS256"})", PayloadText("access", ""), key_),
                             UserTokenType::kAccess));
  EXPECT_FALSE(codec_.Verify(Assemble(R"({"alg":"HS256"})", PayloadText("Access"), key_),
                             UserTokenType::kAccess));
  EXPECT_FALSE(
      codec_.Verify(Assemble(R"({"alg":"HS256"})", PayloadText("access", "admin", -1), key_),
                    UserTokenType::kAccess));
  EXPECT_FALSE(codec_.Verify(
      Assemble(R"({"alg":"HS256"})",
               R"({"typ":"access","iss":"devkey","exp":9999999999,"nbf":0,"sub":"admin"})", key_),
      UserTokenType::kAccess));
  EXPECT_FALSE(codec_.Verify(
      Assemble(
          R"({"alg":"HS256"})",
          R"({"metadata":"{}","typ":"access","iss":"devkey","exp":9999999999,"nbf":0,"sub":"admin"})",
          key_),
      UserTokenType::kAccess));
  // Tampering with any segment.
  const std::string token = codec_.Mint(UserTokenType::kAccess, "admin", kAdminRoles);
  const std::string forged_payload = crypto::Base64UrlEncode(PayloadText("access", "someone-else"));
  const std::string swapped = Segment(token, 0) + "." + forged_payload + "." + Segment(token, 2);
  EXPECT_FALSE(codec_.Verify(swapped, UserTokenType::kAccess));
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(codec_.Verify(flipped, UserTokenType::kAccess));
  EXPECT_FALSE(codec_.Verify("", UserTokenType::kAccess));
  EXPECT_FALSE(codec_.Verify("not.a.jwt", UserTokenType::kAccess));
}

TEST_F(UserTokensTest, AnotherDeploymentsKeyDoesNotVerify) {
  UserTokenCodec other("devkey", UserTokenKey("", "another-livekit-secret"), clock_);
  EXPECT_FALSE(codec_.Verify(other.Mint(UserTokenType::kAccess, "admin", kAdminRoles),
                             UserTokenType::kAccess));
}

}  // namespace
}  // namespace convene::auth
