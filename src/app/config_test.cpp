#include "app/config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace convene::app {
namespace {

std::map<std::string, std::string>* g_env = nullptr;

const char* FakeGetenv(const char* name) {
  auto it = g_env->find(name);
  return it == g_env->end() ? nullptr : it->second.c_str();
}

Result<Config> Load(std::map<std::string, std::string> env) {
  g_env = &env;
  auto c = LoadConfig(&FakeGetenv);
  g_env = nullptr;
  return c;
}

TEST(Config, DefaultsMatchTheReference) {
  auto c = Load({});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server_port, 6080);
  EXPECT_EQ(c->cors_origin, "*");
  EXPECT_EQ(c->name_id, "openviduMeet");
  EXPECT_EQ(c->livekit_url, "ws://localhost:7880");
  EXPECT_EQ(c->livekit_url_private, "ws://localhost:7880");
  EXPECT_EQ(c->livekit_api_key, "devkey");
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_EQ(c->room_gc_interval.count(), 3600 * 1000);
}

TEST(Config, InvalidValuesNameTheVariable) {
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"SERVER_PORT", "70000"}, {"SERVER_PORT", "abc"}, {"MEET_LOG_LEVEL", "loud"},
           {"SERVER_TRUST_PROXY", "yes"}, {"MEET_ROOM_GC_INTERVAL", "5 parsecs"},
           {"LIVEKIT_URL", "ftp://x"}, {"MEET_BASE_URL", "example.com"}}) {
    auto c = Load({{name, value}});
    ASSERT_FALSE(c) << name;
    EXPECT_NE(c.error().message.find(name), std::string::npos) << c.error().message;
  }
}

TEST(Config, SecretsAreNeverEchoedInErrors) {
  auto c = Load({{"LIVEKIT_API_SECRET", ""}});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, "Invalid LIVEKIT_API_SECRET: must not be empty");
}

TEST(Config, BaseUrlIsNormalisedLikeTheReference) {
  EXPECT_EQ(Load({{"MEET_BASE_URL", "https://meet.example.com:443/"}})->base_url, "https://meet.example.com");
  EXPECT_EQ(Load({{"MEET_BASE_URL", "http://meet.example.com:80"}})->base_url, "http://meet.example.com");
  EXPECT_EQ(Load({{"MEET_BASE_URL", "http://meet.example.com:8080/"}})->base_url, "http://meet.example.com:8080");
}

TEST(Config, PrivateLiveKitUrlDefaultsToPublicOne) {
  auto c = Load({{"LIVEKIT_URL", "wss://lk.example.com"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->livekit_url_private, "wss://lk.example.com");
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(ParseDuration("1h")->count(), 3600000);
  EXPECT_EQ(ParseDuration("30m")->count(), 1800000);
  EXPECT_EQ(ParseDuration("15s")->count(), 15000);
  EXPECT_EQ(ParseDuration("15")->count(), 15000);
  EXPECT_EQ(ParseDuration("250ms")->count(), 250);
  EXPECT_FALSE(ParseDuration("-1s"));
  EXPECT_FALSE(ParseDuration("1y"));
  EXPECT_FALSE(ParseDuration("99999999999999999999h"));
}

}  // namespace
}  // namespace convene::app
