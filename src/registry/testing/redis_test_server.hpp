#pragma once

#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "redis/redis_client.hpp"

/// The Redis server of the unit tests: `make unit-test` starts a throw-away one
/// (scripts/test-services.sh) and passes its port and password in the environment.
namespace convene::test {

inline constexpr const char* kNoRedisMessage =
    "CONVENE_TEST_REDIS_PORT / CONVENE_TEST_REDIS_PASSWORD are not set: `make unit-test` provides a "
    "throw-away redis-server (or run scripts/test-services.sh start <dir> yourself)";

/// Options for that server, or nullopt when the environment names none.
inline std::optional<redis::RedisOptions> TestRedisOptions() {
  const char* port = std::getenv("CONVENE_TEST_REDIS_PORT");
  if (port == nullptr || *port == '\0') return std::nullopt;
  redis::RedisOptions options;
  options.server = {"127.0.0.1", static_cast<std::uint16_t>(std::atoi(port))};
  if (const char* password = std::getenv("CONVENE_TEST_REDIS_PASSWORD")) options.password = password;
  return options;
}

/// A key prefix no other test process uses (ctest runs test processes in parallel on one server).
inline std::string UniqueTestPrefix() {
  static std::atomic<int> counter{0};
  return "convene-test:" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ":";
}

/// Deletes every key under `prefix` (test cleanup). Runs on `ioc`, which other threads run.
inline void DeleteKeys(boost::asio::io_context& ioc, redis::RedisClient& client, const std::string& prefix) {
  std::string cursor = "0";
  do {
    std::vector<std::string> scan{"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"};
    auto reply = boost::asio::co_spawn(ioc, client.Command(std::move(scan)), boost::asio::use_future).get();
    if (!reply || reply->elements.size() != 2) return;
    cursor = std::string(reply->elements[0].Text().value_or("0"));
    std::vector<std::string> del{"DEL"};
    for (const auto& key : reply->elements[1].elements) del.emplace_back(key.Text().value_or(""));
    if (del.size() > 1) {
      boost::asio::co_spawn(ioc, client.Command(std::move(del)), boost::asio::use_future).get();
    }
  } while (cursor != "0");
}

}  // namespace convene::test
