#include "redis/redis_change_bus.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/random.hpp"

namespace convene::redis {

namespace asio = boost::asio;
using coordination::Change;
using coordination::ChangeTopic;

namespace {

std::string_view TopicName(ChangeTopic topic) {
  switch (topic) {
    case ChangeTopic::kSettings: return "settings";
    case ChangeTopic::kLiveKitRoom: return "livekit_room";
    case ChangeTopic::kOutbox: return "outbox";
    case ChangeTopic::kResync: return "resync";
    case ChangeTopic::kApplied: return "applied";
  }
  return "resync";
}

ChangeTopic TopicFromName(std::string_view name) {
  if (name == "settings") return ChangeTopic::kSettings;
  if (name == "livekit_room") return ChangeTopic::kLiveKitRoom;
  if (name == "outbox") return ChangeTopic::kOutbox;
  if (name == "applied") return ChangeTopic::kApplied;
  return ChangeTopic::kResync;
}

}  // namespace

RedisChangeBus::RedisChangeBus(RedisClient& publisher, RedisSubscriber& subscriber,
                               asio::any_io_executor executor, std::string key_prefix,
                               std::string instance_id)
    : publisher_(publisher),
      subscriber_(subscriber),
      executor_(std::move(executor)),
      channel_(std::move(key_prefix) + "changes"),
      instance_id_(instance_id.empty() ? CryptoRandom().Hex(16) : std::move(instance_id)) {
  subscriber.Subscribe(channel_, [this](std::string_view payload) {
    Decoded decoded = Decode(payload);
    if (decoded.instance_id == instance_id_) {
      return;  // our own change: this instance already acted on it
    }
    counters_->received.fetch_add(1, std::memory_order_relaxed);
    Deliver(decoded.change);
  });
  subscriber.OnReconnect([this] {
    // Changes published while the subscription was down are lost: every cache must go.
    Deliver(Change{ChangeTopic::kResync, {}});
  });
}

std::string RedisChangeBus::Encode(const std::string& instance_id, const Change& change) {
  std::string out;
  out.reserve(instance_id.size() + change.subject.size() + 16);
  out += instance_id;
  out += ' ';
  out += TopicName(change.topic);
  out += ' ';
  out += change.subject;  // last, so it may contain anything
  return out;
}

RedisChangeBus::Decoded RedisChangeBus::Decode(std::string_view payload) {
  Decoded decoded;
  const std::size_t first = payload.find(' ');
  decoded.instance_id = std::string(payload.substr(0, first));
  if (first == std::string_view::npos) {
    decoded.change.topic = ChangeTopic::kResync;
    return decoded;
  }
  const std::string_view rest = payload.substr(first + 1);
  const std::size_t second = rest.find(' ');
  decoded.change.topic = TopicFromName(rest.substr(0, second));
  if (second != std::string_view::npos) {
    decoded.change.subject = std::string(rest.substr(second + 1));
  }
  return decoded;
}

void RedisChangeBus::Publish(Change change) {
  std::vector<std::string> command{"PUBLISH", channel_, Encode(instance_id_, change)};
  auto publish = [&publisher = publisher_, counters = counters_,
                  command = std::move(command)]() mutable -> asio::awaitable<void> {
    auto reply = co_await publisher.Command(std::move(command));
    if (!reply || reply->IsError()) {
      counters->publish_failures.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("change bus: publish failed: {}", reply ? reply->str : reply.error().message);
      co_return;
    }
    counters->published.fetch_add(1, std::memory_order_relaxed);
  };
  asio::co_spawn(executor_, std::move(publish), asio::detached);
}

asio::awaitable<Result<std::size_t>> RedisChangeBus::PublishCounted(const Change& change) {
  std::vector<std::string> command{"PUBLISH", channel_, Encode(instance_id_, change)};
  auto reply = co_await publisher_.Command(std::move(command));
  if (!reply) co_return Fail(reply.error());
  const std::optional<std::int64_t> receivers = reply->Integer();
  if (reply->IsError() || !receivers) {
    co_return Fail(Error::Unavailable("Service Unavailable", "Could not notify the other instances"));
  }
  counters_->published.fetch_add(1, std::memory_order_relaxed);
  std::int64_t others = *receivers;
  if (subscriber_.Subscribed() && others > 0) --others;  // our own subscription received it too
  co_return static_cast<std::size_t>(std::max<std::int64_t>(others, 0));
}

void RedisChangeBus::Subscribe(Handler handler) { handlers_.push_back(std::move(handler)); }

void RedisChangeBus::Deliver(const Change& change) const {
  for (const Handler& handler : handlers_) {
    handler(change);
  }
}

RedisChangeBus::Stats RedisChangeBus::GetStats() const {
  return Stats{counters_->published.load(std::memory_order_relaxed),
               counters_->publish_failures.load(std::memory_order_relaxed),
               counters_->received.load(std::memory_order_relaxed)};
}

}  // namespace convene::redis
