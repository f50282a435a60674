#include "redis/redis_login_attempts.hpp"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

namespace convene::redis {

namespace asio = boost::asio;

namespace {

// KEYS[1] the client's set; ARGV: now_ms, window_ms, max_failures, slot.
// Returns {1, 0} when admitted, {0, oldest_start_ms} when the budget is used up.
const Script& BeginScript() {
  static const Script script(R"lua(
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, oldest[2]}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {1, '0'}
)lua");
  return script;
}

}  // namespace

RedisLoginAttempts::RedisLoginAttempts(RedisClient& client, bool enabled, std::uint32_t max_failures,
                                       std::int64_t window_ms, const Clock& clock, Random& random,
                                       std::string key_prefix)
    : redis_(client),
      enabled_(enabled),
      max_failures_(max_failures),
      window_ms_(window_ms),
      clock_(clock),
      random_(random),
      key_prefix_(std::move(key_prefix)) {}

asio::awaitable<Result<coordination::LoginAttempt>> RedisLoginAttempts::Begin(std::string_view client) {
  coordination::LoginAttempt attempt;
  if (!enabled_) co_return attempt;
  attempt.started_ms = clock_.NowMs();
  attempt.slot = random_.Hex(16);
  std::vector<std::string> keys{Key(client)};
  std::vector<std::string> args{std::to_string(attempt.started_ms), std::to_string(window_ms_),
                                std::to_string(max_failures_), attempt.slot};
  auto reply = co_await redis_.Eval(BeginScript(), std::move(keys), std::move(args));
  if (!reply) co_return Fail(reply.error());
  if (reply->type != Reply::Type::kArray || reply->elements.size() != 2 || !reply->elements[0].Integer() ||
      !reply->elements[1].Integer()) {
    spdlog::error("login rate limit: unexpected reply from Redis");
    co_return Fail(Error::Internal("Unexpected error while checking the login rate limit"));
  }
  if (*reply->elements[0].Integer() == 1) co_return attempt;
  const std::int64_t free_at = *reply->elements[1].Integer() + window_ms_;
  attempt.admitted = false;
  attempt.retry_after_seconds = std::max<std::int64_t>(1, (free_at - attempt.started_ms + 999) / 1000);
  co_return attempt;
}

asio::awaitable<void> RedisLoginAttempts::Succeeded(std::string_view client,
                                                    const coordination::LoginAttempt& attempt) {
  if (!enabled_ || !attempt.admitted || attempt.slot.empty()) co_return;
  std::vector<std::string> command{"ZREM", Key(client), attempt.slot};
  auto removed = co_await redis_.Command(std::move(command));
  if (!removed) spdlog::debug("login rate limit: giving a slot back failed: {}", removed.error().message);
}

}  // namespace convene::redis
