#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "coordination/change_bus.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_subscriber.hpp"

namespace convene::redis {

/// ChangeBus over Redis pub/sub: one channel, `<prefix>changes`, carrying
/// "<instance id> <topic> <subject>" (topic one of settings, livekit_room, outbox, resync). Each
/// instance ignores its own messages; when the subscriber had to reconnect (messages may have been
/// lost) the handlers get Change{kResync}.
class RedisChangeBus final : public coordination::ChangeBus {
 public:
  /// Registers the channel and the resync callback with `subscriber`, which must not be started
  /// yet. `publisher` and `subscriber` must outlive the bus. An empty `instance_id` is replaced by
  /// a random one.
  RedisChangeBus(RedisClient& publisher, RedisSubscriber& subscriber,
                 boost::asio::any_io_executor executor, std::string key_prefix = "convene:",
                 std::string instance_id = {});

  /// Fire-and-forget: a coroutine on the executor publishes; a failure is logged at debug level
  /// and counted (the receivers' caches expire anyway, and resync on reconnect).
  void Publish(coordination::Change change) override;
  /// PUBLISH, awaited: the number of other instances subscribed (this one's own subscription,
  /// when up, is not counted).
  boost::asio::awaitable<Result<std::size_t>> PublishCounted(const coordination::Change& change) override;
  /// Only before the subscriber starts.
  void Subscribe(Handler handler) override;

  const std::string& InstanceId() const { return instance_id_; }
  const std::string& Channel() const { return channel_; }

  struct Stats {
    std::uint64_t published = 0;
    std::uint64_t publish_failures = 0;
    std::uint64_t received = 0;  // from other instances
  };
  Stats GetStats() const;

  /// The wire format, exposed for tests.
  static std::string Encode(const std::string& instance_id, const coordination::Change& change);
  struct Decoded {
    std::string instance_id;
    coordination::Change change;
  };
  /// Unknown topics (from a newer peer) decode as kResync: dropping every cache is always safe.
  static Decoded Decode(std::string_view payload);

 private:
  struct Counters {
    std::atomic<std::uint64_t> published{0};
    std::atomic<std::uint64_t> publish_failures{0};
    std::atomic<std::uint64_t> received{0};
  };

  void Deliver(const coordination::Change& change) const;

  RedisClient& publisher_;
  RedisSubscriber& subscriber_;
  boost::asio::any_io_executor executor_;
  const std::string channel_;
  const std::string instance_id_;
  std::vector<Handler> handlers_;
  // Shared with publishes still in flight.
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

}  // namespace convene::redis
