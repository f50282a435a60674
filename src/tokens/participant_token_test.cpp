#include "tokens/participant_token.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "crypto/jwt.hpp"

namespace convene::tokens {
namespace {

using domain::ParticipantRole;

class ParticipantTokenTest : public ::testing::Test {
 protected:
  ManualClock clock_{1'760'000'000'000};
  ParticipantTokenCodec codec_{"devkey", "secret", "ws://lk.example:7880", 7200, clock_};

  ParticipantClaims Named() {
    ParticipantClaims c;
    c.room_id = "Room-0123456789abcde";
    c.identity = "Alice";
    c.name = "Alice";
    c.room_join = true;
    c.roles = {ParticipantRole::kModerator, ParticipantRole::kSpeaker};
    c.selected_role = ParticipantRole::kSpeaker;
    return c;
  }
};

TEST_F(ParticipantTokenTest, MintsTheReferenceClaims) {
  const std::string token = codec_.Mint(Named());
  crypto::HmacSha256Key key("secret");
  crypto::JwtVerifyOptions options;
  options.issuer = "devkey";
  options.now_seconds = clock_.NowSeconds();
  auto payload = crypto::VerifyJwtHs256(key, token, options);
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->at("iss").as_string(), "devkey");
  EXPECT_EQ(payload->at("sub").as_string(), "Alice");
  EXPECT_EQ(payload->at("name").as_string(), "Alice");
  EXPECT_EQ(payload->at("nbf").as_int64(), 0);
  EXPECT_EQ(payload->at("exp").as_int64(), clock_.NowSeconds() + 7200);
  const auto& video = payload->at("video").as_object();
  EXPECT_EQ(video.at("roomJoin").as_bool(), true);
  EXPECT_EQ(video.at("room").as_string(), "Room-0123456789abcde");
  for (const char* grant : {"canPublish", "canSubscribe", "canPublishData", "canUpdateOwnMetadata"}) {
    EXPECT_EQ(video.at(grant).as_bool(), true) << grant;
  }
  auto metadata = boost::json::parse(payload->at("metadata").as_string());
  EXPECT_EQ(metadata.at("livekitUrl").as_string(), "ws://lk.example:7880");
  EXPECT_EQ(metadata.at("selectedRole").as_string(), "speaker");
  const auto& roles = metadata.at("roles").as_array();
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(roles[0].at("role").as_string(), "moderator");
  EXPECT_EQ(roles[0].at("permissions").at("canRecord").as_bool(), true);
  EXPECT_EQ(roles[1].at("permissions").at("canRecord").as_bool(), false);
}

TEST_F(ParticipantTokenTest, TokensWithoutNameHaveNoSubNameOrJoin) {
  ParticipantClaims c;
  c.room_id = "r";
  c.roles = {ParticipantRole::kSpeaker};
  auto payload = crypto::DecodeJwtUnverified(codec_.Mint(c));
  ASSERT_TRUE(payload);
  EXPECT_FALSE(payload->contains("sub"));
  EXPECT_FALSE(payload->contains("name"));
  EXPECT_EQ(payload->at("video").at("roomJoin").as_bool(), false);
}

TEST_F(ParticipantTokenTest, VerifyRoundTripsAndEnforcesExpiry) {
  const std::string token = codec_.Mint(Named());
  auto claims = codec_.Verify(token, ParticipantTokenCodec::Expiry::kMustBeValid);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->identity, "Alice");
  EXPECT_EQ(claims->roles, Named().roles);
  EXPECT_EQ(claims->selected_role, ParticipantRole::kSpeaker);

  clock_.Advance((7200 + 1) * 1000);
  EXPECT_FALSE(codec_.Verify(token, ParticipantTokenCodec::Expiry::kMustBeValid));
  EXPECT_TRUE(codec_.Verify(token, ParticipantTokenCodec::Expiry::kAllowExpired, 60));
  clock_.Advance(120 * 1000);
  EXPECT_FALSE(codec_.Verify(token, ParticipantTokenCodec::Expiry::kAllowExpired, 60)) << "beyond the grace";
}

TEST_F(ParticipantTokenTest, RejectsForeignKeysIssuersAndTamperedTokens) {
  ParticipantTokenCodec other_secret("devkey", "other", "ws://x", 7200, clock_);
  ParticipantTokenCodec other_issuer("otherkey", "secret", "ws://x", 7200, clock_);
  const std::string token = codec_.Mint(Named());
  EXPECT_FALSE(other_secret.Verify(token, ParticipantTokenCodec::Expiry::kMustBeValid));
  EXPECT_FALSE(other_issuer.Verify(token, ParticipantTokenCodec::Expiry::kMustBeValid));
  std::string tampered = token;
  tampered[tampered.find('.') + 5] ^= 1;
  EXPECT_FALSE(codec_.Verify(tampered, ParticipantTokenCodec::Expiry::kMustBeValid));
  EXPECT_FALSE(codec_.Verify("not.a.token", ParticipantTokenCodec::Expiry::kMustBeValid));
}

TEST_F(ParticipantTokenTest, RejectsSignedTokensWithInvalidMetadata) {
  crypto::HmacSha256Key key("secret");
  boost::json::object payload{{"iss", "devkey"},
                              {"exp", clock_.NowSeconds() + 60},
                              {"video", boost::json::object{{"room", "r"}}},
                              {"metadata", R"({"livekitUrl":"x","roles":[{"role":"admin"}],"selectedRole":"admin"})"}};
  EXPECT_FALSE(codec_.Verify(crypto::SignJwtHs256(key, payload), ParticipantTokenCodec::Expiry::kMustBeValid));
}

}  // namespace
}  // namespace convene::tokens
