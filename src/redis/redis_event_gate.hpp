#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "coordination/event_gate.hpp"
#include "redis/redis_client.hpp"

namespace convene::redis {

/// EventGate shared by every instance through Redis: `SET <prefix>lkwh:<id> 1 NX PX <retention>`
/// records an id and tells whether it was new in one atomic step; Forget deletes it.
/// Thread-safe (stateless besides the client, which must outlive it).
class RedisEventGate final : public coordination::EventGate {
 public:
  explicit RedisEventGate(RedisClient& client,
                          std::chrono::milliseconds retention = std::chrono::minutes(15),
                          std::string key_prefix = "convene:");

  /// Errors: kUnavailable when Redis cannot answer (the caller answers 503 and the sender
  /// retries).
  boost::asio::awaitable<Result<bool>> FirstTime(std::string_view id) override;
  boost::asio::awaitable<void> Forget(std::string_view id) override;

 private:
  std::string Key(std::string_view id) const;

  RedisClient& client_;
  const std::string retention_ms_;
  const std::string key_prefix_;
};

}  // namespace convene::redis
