#include "redis/redis_connect.hpp"

#include <array>
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace convene::redis::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using asio::experimental::awaitable_operators::operator||;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The handshake's own tiny request/response loop: one command, one reply.
class HandshakeChannel {
 public:
  HandshakeChannel(tcp::socket& socket, RespParser& parser, const RedisEndpoint& peer,
                   const RedisOptions& options)
      : socket_(socket), parser_(parser), peer_(peer), options_(options) {}

  asio::awaitable<Result<Reply>> Send(const std::vector<std::string>& args) {
    std::string out;
    AppendCommand(out, args);
    auto [write_ec, written] = co_await asio::async_write(socket_, asio::buffer(out), kUseTuple);
    if (write_ec) {
      co_return Fail(Failed(args[0], write_ec.message()));
    }
    std::array<char, 4096> buffer;
    while (true) {
      auto next = parser_.Next();
      if (!next) {
        co_return Fail(Failed(args[0], next.error().message));
      }
      if (*next) {
        co_return std::move(**next);
      }
      auto [read_ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), kUseTuple);
      if (read_ec) {
        co_return Fail(Failed(args[0], read_ec == asio::error::eof
                                           ? "connection closed by the server"
                                           : read_ec.message()));
      }
      parser_.Feed(std::string_view(buffer.data(), n));
    }
  }

  // An error reply during the handshake, with any password it might echo masked (Redis does not
  // echo them, but a proxy in between could).
  Error Rejected(std::string_view command, const Reply& reply) const {
    return Unavailable(
        fmt::format("Redis {}: {} rejected: {}", Describe(peer_), command, Scrub(reply.str)));
  }

  Error Failed(std::string_view command, std::string_view cause) const {
    return Unavailable(fmt::format("Redis {}: {} failed: {}", Describe(peer_), command, cause));
  }

  std::string Scrub(std::string text) const {
    for (const std::string* secret : {&options_.password, &options_.sentinel_password}) {
      if (secret->empty()) {
        continue;
      }
      for (auto at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at + 3)) {
        text.replace(at, secret->size(), "***");
      }
    }
    return text;
  }

 private:
  tcp::socket& socket_;
  RespParser& parser_;
  const RedisEndpoint& peer_;
  const RedisOptions& options_;
};

bool IsNoPasswordConfigured(const Reply& reply) {
  // Redis 6+: "ERR AUTH <password> called without any password configured for the default user.
  // Are you sure your configuration is correct?"; Redis 5: "ERR Client sent AUTH, but no password
  // is set".
  return reply.IsError() &&
         (reply.str.find("without any password configured") != std::string::npos ||
          reply.str.find("no password is set") != std::string::npos);
}

asio::awaitable<Result<void>> Authenticate(HandshakeChannel& channel, const RedisEndpoint& peer,
                                           const std::string& username,
                                           const std::string& password, HandshakeMemo& memo) {
  if (password.empty()) {
    co_return Result<void>();
  }
  std::vector<std::string> auth{"AUTH"};
  if (!username.empty()) {
    auth.push_back(username);
  }
  auth.push_back(password);
  auto reply = co_await channel.Send(auth);
  if (!reply) {
    co_return Fail(std::move(reply.error()));
  }
  if (IsNoPasswordConfigured(*reply)) {
    // The reference's default MEET_REDIS_PASSWORD is "redispassword", so a password-less Redis
    // meets a configured password routinely; ioredis carries on with a warning, and so do we.
    if (!memo.warned_no_password) {
      memo.warned_no_password = true;
      spdlog::warn("Redis {}: a password is configured but the server has none; continuing "
                   "without authentication",
                   Describe(peer));
    }
    co_return Result<void>();
  }
  if (reply->IsError()) {
    co_return Fail(channel.Rejected("AUTH", *reply));
  }
  co_return Result<void>();
}

asio::awaitable<Result<tcp::socket>> ConnectTcp(asio::any_io_executor executor,
                                                const RedisEndpoint& peer) {
  tcp::socket socket(executor);
  error_code ec;
  const auto address = asio::ip::make_address(peer.host, ec);
  if (!ec) {
    auto [connect_ec] = co_await socket.async_connect(tcp::endpoint(address, peer.port), kUseTuple);
    ec = connect_ec;
  } else {
    tcp::resolver resolver(executor);
    auto [resolve_ec, results] =
        co_await resolver.async_resolve(peer.host, std::to_string(peer.port), kUseTuple);
    if (resolve_ec) {
      co_return Fail(Unavailable(fmt::format("Redis {}: cannot resolve the host: {}",
                                             Describe(peer), resolve_ec.message())));
    }
    auto [connect_ec, endpoint] = co_await asio::async_connect(socket, results, kUseTuple);
    ec = connect_ec;
  }
  if (ec) {
    co_return Fail(
        Unavailable(fmt::format("Redis {}: cannot connect: {}", Describe(peer), ec.message())));
  }
  socket.set_option(tcp::no_delay(true), ec);
  co_return std::move(socket);
}

// Runs `step` with `timeout` as its deadline; past it the step is cancelled (closing what it had
// opened) and the result names the peer.
template <class T>
asio::awaitable<Result<T>> WithDeadline(asio::awaitable<Result<T>> step,
                                        std::chrono::milliseconds timeout,
                                        const RedisEndpoint& peer) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto deadline = timer.async_wait(kUseTuple);
  auto outcome = co_await (std::move(step) || std::move(deadline));
  if (outcome.index() == 1) {
    co_return Fail(Unavailable(fmt::format("Redis {}: no connection within {} ms", Describe(peer),
                                           timeout.count())));
  }
  co_return std::move(std::get<0>(outcome));
}

asio::awaitable<Result<RedisEndpoint>> AskSentinel(asio::any_io_executor executor,
                                                   const RedisOptions& options,
                                                   const RedisEndpoint& sentinel,
                                                   HandshakeMemo& memo) {
  auto socket = co_await ConnectTcp(executor, sentinel);
  if (!socket) {
    co_return Fail(std::move(socket.error()));
  }
  RespParser parser;
  HandshakeChannel channel(*socket, parser, sentinel, options);
  const std::string no_username;
  auto auth =
      co_await Authenticate(channel, sentinel, no_username, options.sentinel_password, memo);
  if (!auth) {
    co_return Fail(std::move(auth.error()));
  }
  const std::vector<std::string> ask{"SENTINEL", "get-master-addr-by-name", options.master_name};
  auto reply = co_await channel.Send(ask);
  if (!reply) {
    co_return Fail(std::move(reply.error()));
  }
  if (reply->IsError()) {
    co_return Fail(channel.Rejected("SENTINEL get-master-addr-by-name", *reply));
  }
  if (reply->IsNil()) {
    co_return Fail(channel.Failed("SENTINEL get-master-addr-by-name",
                                  fmt::format("unknown master '{}'", options.master_name)));
  }
  std::optional<std::int64_t> port;
  if (reply->type == Reply::Type::kArray && reply->elements.size() == 2 &&
      reply->elements[0].Text()) {
    port = reply->elements[1].Integer();
  }
  if (!port || *port <= 0 || *port > 65535) {
    co_return Fail(channel.Failed("SENTINEL get-master-addr-by-name", "unexpected reply"));
  }
  co_return RedisEndpoint{std::string(*reply->elements[0].Text()),
                          static_cast<std::uint16_t>(*port)};
}

asio::awaitable<Result<OpenedConnection>> OpenServer(asio::any_io_executor executor,
                                                     const RedisOptions& options,
                                                     RedisEndpoint peer, bool must_be_master,
                                                     HandshakeMemo& memo) {
  auto socket = co_await ConnectTcp(executor, peer);
  if (!socket) {
    co_return Fail(std::move(socket.error()));
  }
  OpenedConnection opened{std::move(*socket), RespParser(), std::move(peer)};
  HandshakeChannel channel(opened.socket, opened.parser, opened.endpoint, options);
  auto auth =
      co_await Authenticate(channel, opened.endpoint, options.username, options.password, memo);
  if (!auth) {
    co_return Fail(std::move(auth.error()));
  }
  if (options.db != 0) {
    const std::vector<std::string> select{"SELECT", std::to_string(options.db)};
    auto reply = co_await channel.Send(select);
    if (!reply) {
      co_return Fail(std::move(reply.error()));
    }
    if (reply->IsError()) {
      co_return Fail(channel.Rejected("SELECT", *reply));
    }
  }
  if (options.password.empty() && options.db == 0 && !must_be_master) {
    // Nothing has been exchanged yet, and a TCP connection alone proves little (the kernel
    // accepts for a frozen server too): the server must answer once before it counts as up.
    const std::vector<std::string> ping{"PING"};
    auto reply = co_await channel.Send(ping);
    if (!reply) {
      co_return Fail(std::move(reply.error()));
    }
    if (reply->IsError()) {
      co_return Fail(channel.Rejected("PING", *reply));
    }
  }
  if (must_be_master) {
    // A sentinel may still name the old master just after a fail-over.
    const std::vector<std::string> role{"ROLE"};
    auto reply = co_await channel.Send(role);
    if (!reply) {
      co_return Fail(std::move(reply.error()));
    }
    if (reply->IsError()) {
      co_return Fail(channel.Rejected("ROLE", *reply));
    }
    const bool master = reply->type == Reply::Type::kArray && !reply->elements.empty() &&
                        reply->elements[0].Text() == std::optional<std::string_view>("master");
    if (!master) {
      co_return Fail(channel.Failed("ROLE", "the server named by the sentinels is not a master"));
    }
  }
  co_return std::move(opened);
}

}  // namespace

std::string Describe(const RedisEndpoint& endpoint) {
  if (endpoint.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", endpoint.host, endpoint.port);
  }
  return fmt::format("{}:{}", endpoint.host, endpoint.port);
}

std::string DescribeTarget(const RedisOptions& options) {
  if (options.sentinels.empty()) {
    return Describe(options.server);
  }
  return fmt::format("master '{}' (via Sentinel)", options.master_name);
}

Error Unavailable(std::string message) {
  Error error = Error::Unavailable("Service Unavailable", std::move(message));
  error.reason = "redis";
  return error;
}

asio::awaitable<Result<OpenedConnection>> OpenConnection(asio::any_io_executor executor,
                                                         const RedisOptions& options,
                                                         HandshakeMemo& memo) {
  if (options.sentinels.empty()) {
    co_return co_await WithDeadline(OpenServer(executor, options, options.server, false, memo),
                                    options.connect_timeout, options.server);
  }
  std::vector<std::string> failures;
  std::optional<RedisEndpoint> master;
  for (const RedisEndpoint& sentinel : options.sentinels) {
    auto answer = co_await WithDeadline(AskSentinel(executor, options, sentinel, memo),
                                        options.connect_timeout, sentinel);
    if (answer) {
      master = std::move(*answer);
      break;
    }
    failures.push_back(std::move(answer.error().message));
  }
  if (!master) {
    std::string message = fmt::format("Redis Sentinel: no sentinel named master '{}'",
                                      options.master_name);
    for (const std::string& failure : failures) {
      message += "; ";
      message += failure;
    }
    co_return Fail(Unavailable(std::move(message)));
  }
  const RedisEndpoint peer = *master;
  co_return co_await WithDeadline(OpenServer(executor, options, peer, true, memo),
                                  options.connect_timeout, peer);
}

}  // namespace convene::redis::detail
