#pragma once

#include <cstdint>
#include <string>

#include "coordination/login_attempts.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "redis/redis_client.hpp"

namespace convene::redis {

/// The login rate limit shared by every instance: one sorted set per client address,
/// `<prefix>login:<client>`, holding the start times of its attempts in the window (member = a
/// random slot id). Admission, pruning and the count are one Lua script, so concurrent attempts on
/// different instances cannot overshoot the limit; the key expires with the window.
class RedisLoginAttempts final : public coordination::LoginAttempts {
 public:
  /// `client`, `clock` and `random` must outlive this object. `enabled` false admits everything.
  RedisLoginAttempts(RedisClient& client, bool enabled, std::uint32_t max_failures, std::int64_t window_ms,
                     const Clock& clock, Random& random, std::string key_prefix = "convene:");

  boost::asio::awaitable<Result<coordination::LoginAttempt>> Begin(std::string_view client) override;
  boost::asio::awaitable<void> Succeeded(std::string_view client,
                                         const coordination::LoginAttempt& attempt) override;

 private:
  std::string Key(std::string_view client) const { return key_prefix_ + "login:" + std::string(client); }

  RedisClient& redis_;
  bool enabled_;
  std::uint32_t max_failures_;
  std::int64_t window_ms_;
  const Clock& clock_;
  Random& random_;
  std::string key_prefix_;
};

}  // namespace convene::redis
