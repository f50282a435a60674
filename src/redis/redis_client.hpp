#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "redis/redis_reply.hpp"

namespace convene::redis {

struct RedisEndpoint {
  std::string host;
  std::uint16_t port = 6379;
  bool operator==(const RedisEndpoint&) const = default;
};

/// Where Redis is and how to log in (the reference's MEET_REDIS_* variables, reference §1.2).
struct RedisOptions {
  /// Standalone mode: the server itself. Ignored when `sentinels` is not empty.
  RedisEndpoint server{"127.0.0.1", 6379};
  std::string username;  // ACL user; empty = AUTH with the password only
  std::string password;  // empty = no AUTH
  int db = 0;            // SELECT
  /// Sentinel mode: the master's address is asked from these (`SENTINEL get-master-addr-by-name`)
  /// at every (re)connect, so a fail-over is followed.
  std::vector<RedisEndpoint> sentinels;
  std::string sentinel_password;
  std::string master_name = "openvidu";

  std::chrono::milliseconds connect_timeout{2000};
  /// Longest wait for one reply; past it the command fails with kUnavailable and the connection
  /// is dropped (its replies can no longer be matched) and re-established.
  std::chrono::milliseconds command_timeout{2000};
  /// Reconnect back-off: doubles from min to max between failed attempts.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};
};

/// A Lua script sent with EVALSHA, falling back to EVAL once when the server answers NOSCRIPT
/// (after a restart or SCRIPT FLUSH). The SHA-1 is computed once, here.
class Script {
 public:
  explicit Script(std::string source);
  const std::string& Source() const { return source_; }
  const std::string& Sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;  // lower-case hex
};

/// Counters for metrics and logs (monotonic since the client was built).
struct RedisClientStats {
  std::uint64_t connects = 0;     // connections established (the first and every reconnect)
  std::uint64_t disconnects = 0;  // connections lost or dropped (including by Close())
  std::uint64_t timeouts = 0;     // connections dropped because a reply took too long
  std::uint64_t rejected = 0;     // calls failed at once because no connection was up
};

/// One multiplexed, pipelined connection to Redis, shared by every coroutine of the process:
/// commands from any thread are written in order and their replies matched in order (RESP2 is
/// strictly FIFO), so N concurrent callers cost one round trip, not N.
///
/// Failures: a connection that cannot be (re)established, a reply not received within
/// `command_timeout`, or a closed client give Error{kUnavailable, "Service Unavailable", ...}
/// (503), quickly: while disconnected, commands fail at once instead of queueing. The client
/// reconnects by itself with back-off. A Redis error reply (`-ERR ...`) is not a failure of the
/// call: it is returned as a Reply of type kError for the caller to interpret.
///
/// Thread-safe. Must be destroyed after Close(), and after every call has completed or after its
/// io_context stopped running: calls still waiting then never complete, and are freed with the
/// io_context (nothing they hold keeps the client alive).
class RedisClient {
 public:
  RedisClient(boost::asio::any_io_executor executor, RedisOptions options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// The first connection (AUTH, SELECT, Sentinel discovery). An error names what failed (host,
  /// port, cause) and never contains a password. Later reconnects are automatic; after a failed
  /// first attempt the client keeps trying in the background too (until Close()), so a caller
  /// that does not treat the failure as fatal gets a client that recovers when Redis comes up.
  boost::asio::awaitable<Result<void>> Connect();

  /// One command, e.g. {"SET", key, value, "NX", "PX", "5000"}.
  boost::asio::awaitable<Result<Reply>> Command(std::vector<std::string> args);

  /// Several commands written at once; replies in the same order. One transport failure fails the
  /// whole call (some of the commands may have been applied).
  boost::asio::awaitable<Result<std::vector<Reply>>> Pipeline(
      std::vector<std::vector<std::string>> commands);

  /// EVALSHA script numkeys keys... args..., with one EVAL retry on NOSCRIPT.
  boost::asio::awaitable<Result<Reply>> Eval(const Script& script, std::vector<std::string> keys,
                                             std::vector<std::string> args);

  /// True while a connection is established (for /ready and metrics).
  bool Connected() const noexcept;

  RedisClientStats Stats() const noexcept;

  /// Fails every pending and later call with kUnavailable and stops reconnecting. Idempotent.
  void Close();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace convene::redis
