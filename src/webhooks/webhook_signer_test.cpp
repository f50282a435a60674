#include "webhooks/webhook_signer.hpp"

#include <string>

#include <gtest/gtest.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "webhooks/webhook_test_support.hpp"

namespace convene::webhooks {
namespace {

namespace json = boost::json;

constexpr const char* kKey = "ovmeet-0123456789abcdef0123456789abcdef";

TEST(WebhookSigner, SignatureIsLowercaseHexHmacOverTimestampDotBody) {
  const std::string body =
      "{\"event\":\"meetingStarted\",\"creationDate\":1700000000000,"
      "\"data\":{\"roomId\":\"room-1\",\"name\":\"\xC3\x9Cn\xC3\xAF\"}}";
  // Computed independently (Python's hmac module).
  EXPECT_EQ(SignWebhook(kKey, 1'700'000'000'000, body),
            "c6ee6fd2c14f60eae453f3c24a5f5ec17345da65b95bf40234157f4a41dccad4");
  EXPECT_EQ(SignWebhook(kKey, 42, "x"), fakes::ReferenceHmacHex(kKey, "42.x"));
  EXPECT_EQ(SignWebhook("", 0, ""), fakes::ReferenceHmacHex("", "0."));
  // The timestamp is covered: the same body at another time signs differently.
  EXPECT_NE(SignWebhook(kKey, 1, body), SignWebhook(kKey, 2, body));
}

TEST(WebhookSigner, HeadersCarryTimestampSignatureAndId) {
  const HttpHeaders headers = WebhookHeaders(kKey, 123, "{}", "wh-1");
  const HttpHeaders expected = {{"Content-Type", "application/json"},
                                {"X-Timestamp", "123"},
                                {"X-Signature", fakes::ReferenceHmacHex(kKey, "123.{}")},
                                {"X-Webhook-Id", "wh-1"}};
  EXPECT_EQ(headers, expected);
  EXPECT_EQ(WebhookHeaders(kKey, 123, "{}", "").size(), 3u);
}

TEST(WebhookSigner, BodyKeysAreEventCreationDateDataInThatOrder) {
  json::object data;
  data["roomId"] = "room-1";
  data["roomName"] = "R\xC3\xA9union \"quoted\"";
  data["n"] = 5;
  data["nested"] = json::object{{"b", 1}, {"a", nullptr}};
  EXPECT_EQ(WebhookBody("meetingEnded", 1'700'000'000'123, data),
            "{\"event\":\"meetingEnded\",\"creationDate\":1700000000123,\"data\":"
            "{\"roomId\":\"room-1\",\"roomName\":\"R\xC3\xA9union \\\"quoted\\\"\",\"n\":5,"
            "\"nested\":{\"b\":1,\"a\":null}}}");
  EXPECT_EQ(WebhookBody("e", -1, json::object{}),
            "{\"event\":\"e\",\"creationDate\":-1,\"data\":{}}");
  // Valid JSON whatever the event type contains.
  EXPECT_NO_THROW((void)json::parse(WebhookBody("a\"b\\c\n", 0, data)));
}

TEST(WebhookSigner, MakeWebhookEventIsAPendingEventOrderedByRoom) {
  json::object data;
  data["roomId"] = "room-7";
  const store::OutboxEvent event = MakeWebhookEvent("meetingStarted", data, 99, "wh-7");
  EXPECT_EQ(event.id, "wh-7");
  EXPECT_EQ(event.ordering_key, "room-7");
  EXPECT_EQ(event.event_type, "meetingStarted");
  EXPECT_EQ(event.body, WebhookBody("meetingStarted", 99, data));
  EXPECT_EQ(event.created_at_ms, 99);
  EXPECT_EQ(event.status, store::OutboxEvent::Status::kPending);
  EXPECT_EQ(event.attempts, 0);
  EXPECT_EQ(event.next_attempt_at_ms, 0);

  json::object no_room;
  no_room["roomId"] = 5;  // not a string
  EXPECT_EQ(MakeWebhookEvent("x", no_room, 1, "id").ordering_key, "");
}

}  // namespace
}  // namespace convene::webhooks
