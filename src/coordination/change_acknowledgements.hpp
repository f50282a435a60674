#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "coordination/change_bus.hpp"
#include "core/random.hpp"

namespace convene::coordination {

/// Read-your-writes across instances for rare, security-relevant writes (the global config, API
/// keys, the admin password): the writer publishes its change with a fresh nonce and waits until
/// every instance that received it has answered kApplied, or `timeout` passes (an instance that
/// died meanwhile must not block the writer). Without it, a request sent to another instance right
/// after the write could still see the old authentication mode or a deleted API key.
class ChangeAcknowledgements {
 public:
  ChangeAcknowledgements(ChangeBus& bus, boost::asio::any_io_executor executor, Random& random);

  /// Publishes {topic, nonce} and waits for the other instances' acknowledgements. Never fails:
  /// an unreachable bus only shortens the wait (the caches also resync on reconnect).
  boost::asio::awaitable<void> PublishAndWait(ChangeTopic topic, std::chrono::milliseconds timeout);

  /// The receiving side, once it applied `change` (a no-op for changes without a nonce).
  void Acknowledge(const Change& change);
  /// Feeds a kApplied change from the bus. Thread-safe.
  void OnApplied(const Change& change);

 private:
  struct Waiter {
    std::size_t expected = 0;
    std::size_t received = 0;
    boost::asio::steady_timer* timer = nullptr;
  };

  ChangeBus& bus_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;  // guards waiters_ and the timers
  Random& random_;
  std::unordered_map<std::string, Waiter> waiters_;
};

}  // namespace convene::coordination
