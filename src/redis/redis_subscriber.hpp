#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "redis/redis_client.hpp"

namespace convene::redis {

/// Receives Redis pub/sub messages on a connection of its own (a connection in SUBSCRIBE mode
/// cannot run other commands; the reference also uses two connections, reference §17.2). Same
/// login as RedisClient (AUTH, SELECT, Sentinel discovery).
///
/// The subscription is kept up by itself: a lost connection (or one that stops answering the
/// periodic PING) is re-established with back-off and every channel subscribed again; messages
/// published meanwhile are lost, which is why OnReconnect callbacks exist (users resync caches).
///
/// Thread-safe after Start(). Handlers and callbacks run one at a time on an I/O thread and must
/// not block. Must be destroyed after Stop() and after its executor stopped running its work.
class RedisSubscriber {
 public:
  using MessageHandler = std::function<void(std::string_view payload)>;

  /// `ping_interval`: how often an idle subscription is checked; a connection with no answer to
  /// the previous PING is dropped and re-established.
  RedisSubscriber(boost::asio::any_io_executor executor, RedisOptions options,
                  std::chrono::milliseconds ping_interval = std::chrono::seconds(10));
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  /// Registers `handler` for the messages of `channel`. Only before Start().
  void Subscribe(std::string channel, MessageHandler handler);

  /// Registers a callback run each time the subscription is established again after it was down
  /// (connection lost, or the first attempt failed): messages may have been missed. Not called
  /// for a first subscription that succeeds at once. Only before Start().
  void OnReconnect(std::function<void()> callback);

  /// Connects and subscribes in the background (retrying with back-off until Stop()).
  void Start();

  /// Closes the connection and stops reconnecting. Idempotent.
  void Stop();

  /// True while every channel is subscribed (for /ready and tests).
  bool Subscribed() const noexcept;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace convene::redis
