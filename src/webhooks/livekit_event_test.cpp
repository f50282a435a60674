#include "webhooks/livekit_event.hpp"

#include <gtest/gtest.h>

#include <boost/json/object.hpp>

#include "crypto/base64.hpp"
#include "crypto/hmac.hpp"
#include "crypto/jwt.hpp"

namespace convene::webhooks {
namespace {

constexpr std::string_view kBody =
    R"({"event":"participant_joined","room":{"sid":"RM_hycBMAjmt6Ub","name":"demo","emptyTimeout":300,)"
    R"("creationTime":"1759999990","metadata":"{\"createdBy\":\"openviduMeet\"}","numParticipants":1},)"
    R"("participant":{"sid":"PA_7nZyKqG3mWbx","identity":"alice","state":"ACTIVE","joinedAt":"1760000000",)"
    R"("name":"Alice","version":2,"permission":{"canSubscribe":true}},"id":"EV_3KxQf8wLm2Zp","createdAt":"1760000000"})";

std::string Sign(std::string_view body, std::string_view secret = "secret", std::string_view iss = "devkey",
                 std::int64_t now = 1'760'000'000) {
  const crypto::Sha256Digest digest = crypto::Sha256(body);
  boost::json::object claims{
      {"iss", iss},
      {"exp", now + 300},
      {"nbf", now},
      {"iat", now},
      {"sha256", crypto::Base64Encode(std::string_view(reinterpret_cast<const char*>(digest.data()), 32))}};
  return crypto::SignJwtHs256(crypto::HmacSha256Key(secret), claims);
}

TEST(LiveKitWebhook, AcceptsWhatLiveKitSends) {
  crypto::HmacSha256Key key("secret");
  auto event = VerifyLiveKitWebhook(key, "devkey", Sign(kBody), kBody, 1'760'000'005);
  ASSERT_TRUE(event) << WebhookRejectionText(event.error());
  EXPECT_EQ(event->event, "participant_joined");
  EXPECT_EQ(event->id, "EV_3KxQf8wLm2Zp");
  EXPECT_EQ(event->created_at, 1'760'000'000);
  ASSERT_TRUE(event->room);
  EXPECT_EQ(event->room->name, "demo");
  ASSERT_TRUE(event->participant);
  EXPECT_EQ(event->participant->identity, "alice");
  EXPECT_EQ(event->participant->name, "Alice");
}

TEST(LiveKitWebhook, RejectsEveryForgery) {
  crypto::HmacSha256Key key("secret");
  const std::int64_t now = 1'760'000'005;
  EXPECT_EQ(VerifyLiveKitWebhook(key, "devkey", "", kBody, now).error(), WebhookRejection::kMissingAuthorization);
  EXPECT_EQ(VerifyLiveKitWebhook(key, "devkey", "Bearer " + Sign(kBody), kBody, now).error(),
            WebhookRejection::kBadToken);
  EXPECT_EQ(VerifyLiveKitWebhook(key, "devkey", Sign(kBody, "wrong"), kBody, now).error(), WebhookRejection::kBadToken);
  EXPECT_EQ(VerifyLiveKitWebhook(key, "devkey", Sign(kBody, "secret", "other"), kBody, now).error(),
            WebhookRejection::kBadToken);
  std::string tampered(kBody);
  tampered.replace(tampered.find("alice"), 5, "mallo");
  EXPECT_EQ(VerifyLiveKitWebhook(key, "devkey", Sign(kBody), tampered, now).error(),
            WebhookRejection::kBodyHashMismatch);
  EXPECT_EQ(VerifyLiveKitWebhook(key, "devkey", Sign(kBody), kBody, now + 400).error(), WebhookRejection::kBadToken)
      << "expired";
}

TEST(LiveKitWebhook, ToleratesTenSecondsOfClockSkew) {
  crypto::HmacSha256Key key("secret");
  EXPECT_TRUE(VerifyLiveKitWebhook(key, "devkey", Sign(kBody), kBody, 1'760'000'000 - 9));
  EXPECT_FALSE(VerifyLiveKitWebhook(key, "devkey", Sign(kBody), kBody, 1'760'000'000 - 20));
}

TEST(LiveKitWebhook, ParsesSnakeCaseAndRejectsGarbage) {
  auto event = ParseLiveKitEvent(R"({"event":"room_finished","room":{"name":"r","num_participants":0},"created_at":"5"})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->created_at, 5);
  EXPECT_FALSE(ParseLiveKitEvent("[]"));
  EXPECT_FALSE(ParseLiveKitEvent("{}"));
  EXPECT_FALSE(ParseLiveKitEvent(R"({"event":"x","room":{"name":5}})"));
  EXPECT_FALSE(ParseLiveKitEvent(std::string(100, '[')));
}

}  // namespace
}  // namespace convene::webhooks
