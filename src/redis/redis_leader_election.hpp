#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "coordination/leader_election.hpp"
#include "redis/redis_client.hpp"

namespace convene::redis {

/// Leader election on a Redis lease (issue 5): the key `<prefix>leader` holds the leader's random
/// token with a PX expiry of `ttl`. Followers try `SET NX PX` every ttl/3; the leader renews every
/// ttl/3 with a compare-and-PEXPIRE script and gives the key up on Stop() (compare-and-DEL).
///
/// The belief is conservative: IsLeader() turns false as soon as a renewal fails, and also when
/// ttl minus a safety margin (ttl/5) has passed since the last successful renewal was *sent*
/// (local monotonic time), so this instance stops believing before the key can expire in Redis
/// and another instance take over.
///
/// Thread-safe. `client` must outlive it; destroy it after Stop() and after its executor stopped
/// running its work.
class RedisLeaderElection final : public coordination::LeaderElection {
 public:
  RedisLeaderElection(RedisClient& client, boost::asio::any_io_executor executor,
                      std::chrono::milliseconds ttl = std::chrono::seconds(10),
                      std::string key_prefix = "convene:");
  ~RedisLeaderElection() override;
  RedisLeaderElection(const RedisLeaderElection&) = delete;
  RedisLeaderElection& operator=(const RedisLeaderElection&) = delete;

  bool IsLeader() const noexcept override;

  /// Called on an I/O thread whenever the keeper sees leadership gained or lost (for logs and a
  /// metric). Only before Start(); must not block.
  void OnChange(std::function<void(bool leader)> callback);

  /// Starts competing for the lease in the background.
  void Start();

  /// Stops believing at once (IsLeader() is false on return), stops the keeper and releases the
  /// lease in the background if this instance holds it, so another instance takes over at its
  /// next attempt instead of after the lease expires. Never blocks. Idempotent.
  void Stop();

  /// True once Stop() has taken effect and nothing it started is still running: the lease has been
  /// given back (or the attempt failed or timed out). A graceful shutdown waits for it (bounded),
  /// so another instance takes over at once rather than when the lease expires.
  bool Settled() const noexcept;

  /// This instance's lease token (random; tests and logs).
  const std::string& Token() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace convene::redis
