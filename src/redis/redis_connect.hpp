#pragma once

// How a connection to Redis is opened and logged in, shared by RedisClient and RedisSubscriber
// (internal to src/redis/).

#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/result.hpp"
#include "redis/redis_client.hpp"
#include "redis/resp_codec.hpp"

namespace convene::redis::detail {

/// A connection that has passed the handshake and is ready for commands.
struct OpenedConnection {
  boost::asio::ip::tcp::socket socket;
  RespParser parser;        // carries any byte read past the handshake's last reply
  RedisEndpoint endpoint;   // the server itself (the master, in Sentinel mode)
};

/// What one owner (a client or a subscriber) remembers across its connection attempts.
struct HandshakeMemo {
  // The "AUTH without a configured password" warning is logged once per owner.
  bool warned_no_password = false;
};

/// Connects (asking the sentinels first in Sentinel mode), sends AUTH and SELECT, and in Sentinel
/// mode checks that the server is a master, all within `options.connect_timeout` per server.
/// `executor` is the one the socket's operations will run on (the owner's strand). Errors are
/// kUnavailable, name host:port and the cause, and never contain a password.
boost::asio::awaitable<Result<OpenedConnection>> OpenConnection(
    boost::asio::any_io_executor executor, const RedisOptions& options, HandshakeMemo& memo);

/// "host:port"
std::string Describe(const RedisEndpoint& endpoint);

/// What OpenConnection reaches first, for messages about a client that is not connected.
std::string DescribeTarget(const RedisOptions& options);

/// Error{kUnavailable, "Service Unavailable", message} with reason "redis" (503).
Error Unavailable(std::string message);

}  // namespace convene::redis::detail
