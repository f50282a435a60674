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

TEST(Config, TrustProxyIsANumberOfHops) {
  EXPECT_EQ(Load({})->trusted_proxy_hops, 0u);
  EXPECT_EQ(Load({{"SERVER_TRUST_PROXY", "false"}})->trusted_proxy_hops, 0u);
  EXPECT_EQ(Load({{"SERVER_TRUST_PROXY", "true"}})->trusted_proxy_hops, 1u);
  EXPECT_EQ(Load({{"SERVER_TRUST_PROXY", "2"}})->trusted_proxy_hops, 2u);
  EXPECT_EQ(Load({{"SERVER_TRUST_PROXY", "0"}})->trusted_proxy_hops, 0u);
  for (const char* bad : {"yes", "-1", "33", "1.5", " 1", "TRUE"}) {
    EXPECT_FALSE(Load({{"SERVER_TRUST_PROXY", bad}})) << bad;
  }
}

TEST(Config, MaxConnectionsIsDerivedUnlessSet) {
  EXPECT_EQ(Load({})->max_connections, 0u);  // 0 = from RLIMIT_NOFILE at start-up
  EXPECT_EQ(Load({{"SERVER_MAX_CONNECTIONS", "500"}})->max_connections, 500u);
  for (const char* bad : {"0", "-5", "many", "1000001"}) {
    auto c = Load({{"SERVER_MAX_CONNECTIONS", bad}});
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find("SERVER_MAX_CONNECTIONS"), std::string::npos);
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

TEST(Config, LoginRateLimit) {
  auto defaults = Load({});
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->login_rate_limit.enabled);
  EXPECT_EQ(defaults->login_rate_limit.max_failures, 5u);
  EXPECT_EQ(defaults->login_rate_limit.window_ms, 5 * 60 * 1000);
  auto off = Load({{"MEET_LOGIN_RATE_LIMIT", "off"}});
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->login_rate_limit.enabled);
  auto custom = Load({{"MEET_LOGIN_RATE_LIMIT", "10/1h"}});
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->login_rate_limit.max_failures, 10u);
  EXPECT_EQ(custom->login_rate_limit.window_ms, 3600 * 1000);
  for (const char* bad : {"5", "0/5m", "x/5m", "5/", "5/0s", "5/5 parsecs", "-1/5m"}) {
    auto c = Load({{"MEET_LOGIN_RATE_LIMIT", bad}});
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find("MEET_LOGIN_RATE_LIMIT"), std::string::npos);
  }
}

TEST(Config, AuthSecretMustBeLongAndDistinctFromTheLiveKitSecret) {
  EXPECT_EQ(Load({})->auth_secret, "");
  const std::string good(32, 'k');
  EXPECT_EQ(Load({{"MEET_AUTH_SECRET", good}})->auth_secret, good);
  auto short_secret = Load({{"MEET_AUTH_SECRET", "short"}});
  ASSERT_FALSE(short_secret);
  EXPECT_EQ(short_secret.error().message.find("short"), std::string::npos);  // never echoed
  auto same = Load({{"MEET_AUTH_SECRET", good}, {"LIVEKIT_API_SECRET", good}});
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().message, "Invalid MEET_AUTH_SECRET: must differ from LIVEKIT_API_SECRET");
}

TEST(Config, EmbeddedModeNeedsNeitherPostgresNorRedis) {
  auto c = Load({});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->database_url.empty());
  EXPECT_FALSE(c->redis.enabled);
  EXPECT_EQ(c->redis.password, "redispassword");  // the reference's default, used once enabled
  EXPECT_EQ(c->redis.sentinel_master_name, "openvidu");
}

TEST(Config, RedisVariablesOfTheReference) {
  auto c = Load({{"MEET_REDIS_HOST", "redis.internal"}, {"MEET_REDIS_PORT", "6380"},
                 {"MEET_REDIS_USERNAME", "meet"}, {"MEET_REDIS_PASSWORD", "pw"},
                 {"MEET_REDIS_DB", "3"}, {"MEET_REDIS_PREFIX", "blue:"},
                 {"MEET_DATABASE_URL", "postgresql://u:p@db:5432/meet"},
                 {"MEET_DATABASE_POOL_SIZE", "16"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->redis.enabled);
  EXPECT_EQ(c->redis.host, "redis.internal");
  EXPECT_EQ(c->redis.port, 6380);
  EXPECT_EQ(c->redis.username, "meet");
  EXPECT_EQ(c->redis.password, "pw");
  EXPECT_EQ(c->redis.db, 3);
  EXPECT_EQ(c->redis.key_prefix, "blue:");
  EXPECT_TRUE(c->redis.sentinels.empty());
  EXPECT_EQ(c->database_url, "postgresql://u:p@db:5432/meet");
  EXPECT_EQ(c->database_pool_size, 16u);
}

TEST(Config, SentinelModeNeedsWellFormedHostsAndAPassword) {
  auto c = Load({{"MEET_REDIS_SENTINEL_HOST_LIST", "s1:26379, s2:26380"},
                 {"MEET_REDIS_SENTINEL_PASSWORD", "spw"}, {"MEET_REDIS_SENTINEL_MASTER_NAME", "m"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->redis.enabled);
  const std::vector<RedisConfig::Endpoint> expected{{"s1", 26379}, {"s2", 26380}};
  EXPECT_EQ(c->redis.sentinels, expected);
  EXPECT_EQ(c->redis.sentinel_master_name, "m");

  for (const std::string list : {"s1", "s1:1:2", ":26379", "s1:0", "s1:x", "s1:26379,", ","}) {
    auto bad = Load({{"MEET_REDIS_SENTINEL_HOST_LIST", list}, {"MEET_REDIS_SENTINEL_PASSWORD", "spw"}});
    ASSERT_FALSE(bad) << list;
    EXPECT_NE(bad.error().message.find("MEET_REDIS_SENTINEL_HOST_LIST"), std::string::npos);
  }
  auto no_password = Load({{"MEET_REDIS_SENTINEL_HOST_LIST", "s1:26379"}});
  ASSERT_FALSE(no_password);
  EXPECT_NE(no_password.error().message.find("MEET_REDIS_SENTINEL_PASSWORD"), std::string::npos);
}

TEST(Config, ScaleOutValuesAreValidatedWithoutEchoingSecrets) {
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"MEET_REDIS_PORT", "0"}, {"MEET_REDIS_DB", "-1"}, {"MEET_DATABASE_POOL_SIZE", "0"},
           {"MEET_DATABASE_URL", "mysql://root:hunter2@db/meet"}}) {
    auto c = Load({{name, value}});
    ASSERT_FALSE(c) << name;
    EXPECT_NE(c.error().message.find(name), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find("hunter2"), std::string::npos);
  }
}

TEST(Config, ParticipantsPerRoomAreCappedByDefaultAndTheCapIsConfigurable) {
  auto defaults = Load({});
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->max_participants_per_room, 10000u);
  auto five = Load({{"MEET_MAX_PARTICIPANTS_PER_ROOM", "5"}});
  ASSERT_TRUE(five) << five.error().message;
  EXPECT_EQ(five->max_participants_per_room, 5u);
  auto none = Load({{"MEET_MAX_PARTICIPANTS_PER_ROOM", "0"}});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->max_participants_per_room, std::nullopt);
  for (const char* bad : {"-1", "x", "4294967296", "10 ", "1e3"}) {
    auto c = Load({{"MEET_MAX_PARTICIPANTS_PER_ROOM", bad}});
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find("MEET_MAX_PARTICIPANTS_PER_ROOM"), std::string::npos);
  }
}

}  // namespace
}  // namespace convene::app
