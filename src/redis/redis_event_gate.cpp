#include "redis/redis_event_gate.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace convene::redis {

RedisEventGate::RedisEventGate(RedisClient& client, std::chrono::milliseconds retention,
                               std::string key_prefix)
    : client_(client),
      retention_ms_(std::to_string(retention.count())),
      key_prefix_(std::move(key_prefix)) {}

std::string RedisEventGate::Key(std::string_view id) const {
  return fmt::format("{}lkwh:{}", key_prefix_, id);
}

boost::asio::awaitable<Result<bool>> RedisEventGate::FirstTime(std::string_view id) {
  // `id` is only valid until the first suspension: the key is built before it.
  std::vector<std::string> set{"SET", Key(id), "1", "NX", "PX", retention_ms_};
  auto reply = co_await client_.Command(std::move(set));
  if (!reply) {
    co_return Fail(std::move(reply.error()));
  }
  if (reply->IsError()) {
    // OOM, READONLY (a replica after a fail-over), ...: Redis cannot record the id now.
    Error error = Error::Unavailable("Service Unavailable", "Redis SET failed: " + reply->str);
    error.reason = "redis";
    co_return Fail(std::move(error));
  }
  co_return reply->type == Reply::Type::kStatus;  // OK; nil when the key already existed
}

boost::asio::awaitable<void> RedisEventGate::Forget(std::string_view id) {
  std::vector<std::string> del{"DEL", Key(id)};
  auto reply = co_await client_.Command(std::move(del));
  if (!reply || reply->IsError()) {
    // Best effort: the id then stays until its retention ends, and a redelivery is skipped.
    spdlog::warn("could not forget webhook event id in Redis: {}",
                 reply ? reply->str : reply.error().message);
  }
}

}  // namespace convene::redis
