#include "redis/redis_client.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "redis/redis_connect.hpp"
#include "redis/resp_codec.hpp"

namespace convene::redis {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 16 * 1024;

using Replies = std::vector<Reply>;
using Completion = asio::any_completion_handler<void(Result<Replies>)>;
using Strand = asio::strand<asio::any_io_executor>;

Error InvalidCommand(std::string message) {
  Error error = Error::Make(ErrorCode::kInvalidArgument, "Redis Error", std::move(message));
  error.reason = "redis";
  return error;
}

// One call (a command or a pipeline) waiting for its replies. Replies come strictly in the order
// the commands were written (RESP2), so the front of the queue owns the next reply.
struct PendingCall {
  std::size_t expected = 0;
  Replies replies;
  SteadyClock::time_point deadline;
  // The caller's executor, holding outstanding work so its io_context does not run out of work
  // while the call waits here; the completion is posted there, never run inside our strand.
  asio::any_io_executor caller;
  Completion completion;
};

void Complete(PendingCall& call, Result<Replies> result) {
  auto deliver = [completion = std::move(call.completion), result = std::move(result)]() mutable {
    std::move(completion)(std::move(result));
  };
  asio::post(call.caller, std::move(deliver));
}

// One established connection. A failure of any kind drops it whole (its pending calls can no
// longer be matched to replies) and a fresh one replaces it.
struct Link {
  Link(detail::OpenedConnection opened, const Strand& strand)
      : socket(std::move(opened.socket)),
        parser(std::move(opened.parser)),
        endpoint(std::move(opened.endpoint)),
        watchdog(strand) {}

  tcp::socket socket;
  RespParser parser;
  RedisEndpoint endpoint;
  std::string outgoing;  // encoded commands queued while a write is in flight: the next write
  std::string in_flight;
  bool writing = false;
  std::deque<PendingCall> pending;
  asio::steady_timer watchdog;  // fires at the oldest pending call's deadline
  bool dead = false;
};

using LinkPtr = std::shared_ptr<Link>;

}  // namespace

class RedisClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor executor, RedisOptions options)
      : strand_(asio::make_strand(std::move(executor))),
        options_(std::move(options)),
        backoff_timer_(strand_) {}

  asio::awaitable<Result<void>> Connect() {
    co_return co_await asio::co_spawn(strand_, ConnectOnStrand(shared_from_this()),
                                      asio::use_awaitable);
  }

  asio::awaitable<Result<Replies>> Submit(std::string encoded, std::size_t count) {
    auto caller = asio::prefer(co_await asio::this_coro::executor,
                               asio::execution::outstanding_work.tracked);
    // The initiation must not own the client: use_awaitable keeps a copy of it in the caller's
    // coroutine stack until the completion runs, and the completion waits in link_->pending,
    // which the client owns. A `self` here would make a cycle (client -> link -> pending call ->
    // caller's stack -> client) that nothing breaks when the io_context stops with the call
    // still waiting: every such call, its caller and the client would leak. Only the enqueue
    // step, which the strand runs or destroys, keeps the client alive.
    auto initiation = [this](auto handler, std::string encoded, std::size_t count,
                             asio::any_io_executor caller) {
      PendingCall call{count, {}, {}, std::move(caller), Completion(std::move(handler))};
      auto enqueue = [self = shared_from_this(), call = std::move(call),
                      encoded = std::move(encoded)]() mutable {
        self->Enqueue(std::move(encoded), std::move(call));
      };
      asio::dispatch(strand_, std::move(enqueue));
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Result<Replies>)>(
        initiation, asio::use_awaitable, std::move(encoded), count, std::move(caller));
  }

  bool Connected() const noexcept { return connected_.load(std::memory_order_acquire); }

  RedisClientStats Stats() const noexcept {
    return RedisClientStats{connects_.load(std::memory_order_relaxed),
                            disconnects_.load(std::memory_order_relaxed),
                            timeouts_.load(std::memory_order_relaxed),
                            rejected_.load(std::memory_order_relaxed)};
  }

  void Close() {
    auto close = [self = shared_from_this()] {
      self->closed_ = true;
      self->backoff_timer_.cancel();
      if (self->link_) {
        self->Drop(self->link_,
                   detail::Unavailable(fmt::format("Redis {}: client closed",
                                                   detail::DescribeTarget(self->options_))));
      }
    };
    asio::dispatch(strand_, std::move(close));
  }

 private:
  // Everything below runs on strand_.

  // Every coroutine of the client takes `self`: it keeps the client alive until the coroutine
  // ends, whenever the owner lets go of it.
  asio::awaitable<Result<void>> ConnectOnStrand([[maybe_unused]] std::shared_ptr<Impl> self) {
    if (closed_) {
      co_return Fail(NotConnected());
    }
    if (link_) {
      co_return Result<void>();
    }
    if (started_) {
      co_return Fail(NotConnected());
    }
    started_ = true;
    auto opened = co_await detail::OpenConnection(strand_, options_, memo_);
    if (closed_) {
      co_return Fail(NotConnected());
    }
    if (!opened) {
      // The caller decides whether a first failure is fatal (the reference exits); either way
      // the client keeps trying, so one that is kept recovers when Redis comes up.
      last_failure_ = opened.error().message;
      StartReconnecting();
      co_return Fail(std::move(opened.error()));
    }
    Install(std::move(*opened));
    co_return Result<void>();
  }

  Error NotConnected() const {
    if (closed_) {
      return detail::Unavailable(
          fmt::format("Redis {}: client closed", detail::DescribeTarget(options_)));
    }
    if (last_failure_.empty()) {
      return detail::Unavailable(
          fmt::format("Redis {}: not connected", detail::DescribeTarget(options_)));
    }
    return detail::Unavailable(last_failure_ + " (reconnecting)");
  }

  void Enqueue(std::string encoded, PendingCall call) {
    if (!link_) {
      // Fail fast: a caller waiting for a reconnect would only turn a quick 503 into a slow one.
      rejected_.fetch_add(1, std::memory_order_relaxed);
      Complete(call, Fail(NotConnected()));
      return;
    }
    const LinkPtr& link = link_;
    call.deadline = SteadyClock::now() + options_.command_timeout;
    link->outgoing += encoded;
    link->pending.push_back(std::move(call));
    if (link->pending.size() == 1) {
      link->watchdog.cancel();  // re-arm it for this call's deadline
    }
    if (!link->writing) {
      link->writing = true;
      asio::co_spawn(strand_, Writer(shared_from_this(), link), asio::detached);
    }
  }

  void Install(detail::OpenedConnection opened) {
    auto link = std::make_shared<Link>(std::move(opened), strand_);
    spdlog::info("Redis {}: connected", detail::Describe(link->endpoint));
    link_ = link;
    last_failure_.clear();
    connects_.fetch_add(1, std::memory_order_relaxed);
    connected_.store(true, std::memory_order_release);
    asio::co_spawn(strand_, Reader(shared_from_this(), link), asio::detached);
    asio::co_spawn(strand_, Watchdog(shared_from_this(), link), asio::detached);
  }

  void Drop(LinkPtr link, const Error& error) {
    if (link->dead) {
      return;
    }
    link->dead = true;
    error_code ignored;
    link->socket.close(ignored);  // cancels the reader's and the writer's operations
    link->watchdog.cancel();
    // The client is marked disconnected before any caller learns of the failure, so a caller
    // never sees Connected() still true after its command failed.
    if (link_ == link) {
      link_.reset();
      connected_.store(false, std::memory_order_release);
      disconnects_.fetch_add(1, std::memory_order_relaxed);
      last_failure_ = error.message;
      if (!closed_) {
        spdlog::warn("{}; reconnecting", error.message);
        StartReconnecting();
      }
    }
    std::deque<PendingCall> pending = std::move(link->pending);
    link->pending.clear();
    for (PendingCall& call : pending) {
      Complete(call, Fail(error));
    }
  }

  asio::awaitable<void> Writer([[maybe_unused]] std::shared_ptr<Impl> self, LinkPtr link) {
    while (!link->dead && !link->outgoing.empty()) {
      // Swapping keeps both buffers' capacity, so a busy connection stops allocating.
      link->in_flight.swap(link->outgoing);
      auto [ec, written] =
          co_await asio::async_write(link->socket, asio::buffer(link->in_flight), kUseTuple);
      link->in_flight.clear();
      if (ec) {
        Drop(link,
             detail::Unavailable(fmt::format("Redis {}: write failed: {}",
                                             detail::Describe(link->endpoint), ec.message())));
        break;
      }
    }
    link->writing = false;
  }

  asio::awaitable<void> Reader([[maybe_unused]] std::shared_ptr<Impl> self, LinkPtr link) {
    std::array<char, kReadChunk> buffer;
    while (!link->dead) {
      while (true) {
        auto next = link->parser.Next();
        if (!next) {
          Drop(link, detail::Unavailable(fmt::format(
                         "Redis {}: {}", detail::Describe(link->endpoint), next.error().message)));
          co_return;
        }
        if (!*next) {
          break;
        }
        if (link->pending.empty()) {
          Drop(link, detail::Unavailable(fmt::format("Redis {}: reply without a command",
                                                     detail::Describe(link->endpoint))));
          co_return;
        }
        PendingCall& front = link->pending.front();
        const bool demoted = IsDemotedMaster(**next);
        front.replies.push_back(std::move(**next));
        if (front.replies.size() == front.expected) {
          PendingCall done = std::move(front);
          link->pending.pop_front();
          Complete(done, std::move(done.replies));
        }
        if (demoted) {
          // A fail-over made this server a replica while we stayed connected: ask the sentinels
          // again instead of sending every later write to a server that refuses it.
          Drop(link, detail::Unavailable(
                         fmt::format("Redis {}: no longer the master (READONLY); reconnecting "
                                     "through the sentinels",
                                     detail::Describe(link->endpoint))));
          co_return;
        }
      }
      auto [ec, n] = co_await link->socket.async_read_some(asio::buffer(buffer), kUseTuple);
      if (ec) {
        const std::string cause =
            ec == asio::error::eof ? "connection closed by the server" : ec.message();
        Drop(link, detail::Unavailable(
                       fmt::format("Redis {}: {}", detail::Describe(link->endpoint), cause)));
        co_return;
      }
      link->parser.Feed(std::string_view(buffer.data(), n));
    }
  }

  // Enforces command_timeout. Deadlines grow in queue order, so only the front needs watching.
  asio::awaitable<void> Watchdog([[maybe_unused]] std::shared_ptr<Impl> self, LinkPtr link) {
    while (!link->dead) {
      if (link->pending.empty()) {
        link->watchdog.expires_at(SteadyClock::time_point::max());
      } else {
        const auto deadline = link->pending.front().deadline;
        if (deadline <= SteadyClock::now()) {
          // Later replies could no longer be matched to their commands: drop the connection.
          timeouts_.fetch_add(1, std::memory_order_relaxed);
          Drop(link, detail::Unavailable(fmt::format(
                         "Redis {}: no reply within {} ms", detail::Describe(link->endpoint),
                         options_.command_timeout.count())));
          co_return;
        }
        link->watchdog.expires_at(deadline);
      }
      co_await link->watchdog.async_wait(kUseTuple);
    }
  }

  bool IsDemotedMaster(const Reply& reply) const {
    return !options_.sentinels.empty() && reply.IsError() && reply.str.starts_with("READONLY");
  }

  void StartReconnecting() {
    if (reconnecting_ || closed_) {
      return;
    }
    reconnecting_ = true;
    asio::co_spawn(strand_, Reconnect(shared_from_this()), asio::detached);
  }

  asio::awaitable<void> Reconnect([[maybe_unused]] std::shared_ptr<Impl> self) {
    auto backoff = options_.reconnect_min;
    bool quiet = false;
    while (!closed_) {
      backoff_timer_.expires_after(backoff);
      co_await backoff_timer_.async_wait(kUseTuple);
      if (closed_) {
        break;
      }
      auto opened = co_await detail::OpenConnection(strand_, options_, memo_);
      if (closed_) {
        break;
      }
      if (opened) {
        Install(std::move(*opened));
        break;
      }
      last_failure_ = opened.error().message;
      // One warning per outage; the retries of the same outage go to debug.
      if (!quiet) {
        spdlog::warn("{}; retrying with back-off up to {} ms", last_failure_,
                     options_.reconnect_max.count());
        quiet = true;
      } else {
        spdlog::debug("{}", last_failure_);
      }
      backoff = std::min(backoff * 2, options_.reconnect_max);
    }
    reconnecting_ = false;
  }

  Strand strand_;
  const RedisOptions options_;
  std::atomic<bool> connected_{false};
  std::atomic<std::uint64_t> connects_{0};
  std::atomic<std::uint64_t> disconnects_{0};
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::uint64_t> rejected_{0};
  LinkPtr link_;
  bool closed_ = false;
  bool started_ = false;
  bool reconnecting_ = false;
  std::string last_failure_;
  detail::HandshakeMemo memo_;
  asio::steady_timer backoff_timer_;
};

RedisClient::RedisClient(asio::any_io_executor executor, RedisOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

RedisClient::~RedisClient() { impl_->Close(); }

asio::awaitable<Result<void>> RedisClient::Connect() { return impl_->Connect(); }

asio::awaitable<Result<Reply>> RedisClient::Command(std::vector<std::string> args) {
  if (args.empty()) {
    co_return Fail(InvalidCommand("empty Redis command"));
  }
  std::string encoded;
  AppendCommand(encoded, args);
  auto replies = co_await impl_->Submit(std::move(encoded), 1);
  if (!replies) {
    co_return Fail(std::move(replies.error()));
  }
  co_return std::move(replies->front());
}

asio::awaitable<Result<std::vector<Reply>>> RedisClient::Pipeline(
    std::vector<std::vector<std::string>> commands) {
  if (commands.empty()) {
    co_return Replies();
  }
  std::string encoded;
  for (const auto& args : commands) {
    if (args.empty()) {
      co_return Fail(InvalidCommand("empty Redis command in a pipeline"));
    }
    AppendCommand(encoded, args);
  }
  co_return co_await impl_->Submit(std::move(encoded), commands.size());
}

asio::awaitable<Result<Reply>> RedisClient::Eval(const Script& script,
                                                 std::vector<std::string> keys,
                                                 std::vector<std::string> args) {
  std::vector<std::string> command;
  command.reserve(3 + keys.size() + args.size());
  command.push_back("EVALSHA");
  command.push_back(script.Sha1());
  command.push_back(std::to_string(keys.size()));
  std::move(keys.begin(), keys.end(), std::back_inserter(command));
  std::move(args.begin(), args.end(), std::back_inserter(command));
  auto reply = co_await Command(command);
  if (reply && reply->IsError() && reply->str.starts_with("NOSCRIPT")) {
    // The server lost its script cache (restart, fail-over, SCRIPT FLUSH): send the source once,
    // which also caches it again for the next EVALSHA.
    command[0] = "EVAL";
    command[1] = script.Source();
    reply = co_await Command(std::move(command));
  }
  co_return reply;
}

bool RedisClient::Connected() const noexcept { return impl_->Connected(); }

RedisClientStats RedisClient::Stats() const noexcept { return impl_->Stats(); }

void RedisClient::Close() { impl_->Close(); }

}  // namespace convene::redis
