#include "redis/redis_subscriber.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <map>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "redis/redis_connect.hpp"
#include "redis/resp_codec.hpp"

namespace convene::redis {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 16 * 1024;

using Strand = asio::strand<asio::any_io_executor>;

// One subscribed connection, from SUBSCRIBE until it fails.
struct Session {
  Session(detail::OpenedConnection opened, const Strand& strand)
      : connection(std::move(opened)), ping_timer(strand) {}

  detail::OpenedConnection connection;
  asio::steady_timer ping_timer;
  bool pong_outstanding = false;
  bool closed = false;
  std::string close_reason;  // set when we close it ourselves

  void Close(std::string reason) {
    if (closed) {
      return;
    }
    closed = true;
    close_reason = std::move(reason);
    error_code ignored;
    connection.socket.close(ignored);
    ping_timer.cancel();
  }
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace

class RedisSubscriber::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor executor, RedisOptions options,
       std::chrono::milliseconds ping_interval)
      : strand_(asio::make_strand(std::move(executor))),
        options_(std::move(options)),
        ping_interval_(ping_interval),
        backoff_timer_(strand_) {}

  // Set-up, before Start(): nothing else runs yet.
  void Subscribe(std::string channel, MessageHandler handler) {
    handlers_[std::move(channel)].push_back(std::move(handler));
  }
  void OnReconnect(std::function<void()> callback) {
    reconnect_callbacks_.push_back(std::move(callback));
  }

  void Start() {
    if (started_.exchange(true)) {
      return;
    }
    if (handlers_.empty()) {
      spdlog::warn("Redis subscriber started without any channel");
      return;
    }
    asio::co_spawn(strand_, Run(shared_from_this()), asio::detached);
  }

  void Stop() {
    auto stop = [self = shared_from_this()] {
      self->stopped_ = true;
      self->backoff_timer_.cancel();
      if (self->session_) {
        self->session_->Close("stopped");
      }
    };
    asio::dispatch(strand_, std::move(stop));
  }

  bool Subscribed() const noexcept { return subscribed_.load(std::memory_order_acquire); }

 private:
  // Everything below runs on strand_.

  // The background coroutines take `self`: it keeps the subscriber alive until they end.
  asio::awaitable<void> Run([[maybe_unused]] std::shared_ptr<Impl> self) {
    auto backoff = options_.reconnect_min;
    bool was_down = false;
    bool quiet = false;  // one warning per outage
    while (!stopped_) {
      auto opened = co_await detail::OpenConnection(strand_, options_, memo_);
      if (stopped_) {
        break;
      }
      std::string failure;
      if (opened) {
        session_ = std::make_shared<Session>(std::move(*opened), strand_);
        const bool reached = co_await Serve(session_, was_down);
        failure = fmt::format("Redis {}: subscription lost: {}",
                              detail::Describe(session_->connection.endpoint),
                              session_->close_reason);
        session_.reset();
        if (reached) {
          backoff = options_.reconnect_min;
          quiet = false;
        }
      } else {
        failure = opened.error().message;
      }
      if (stopped_) {
        break;
      }
      was_down = true;
      if (!quiet) {
        spdlog::warn("{}; resubscribing", failure);
        quiet = true;
      } else {
        spdlog::debug("{}", failure);
      }
      backoff_timer_.expires_after(backoff);
      co_await backoff_timer_.async_wait(kUseTuple);
      backoff = std::min(backoff * 2, options_.reconnect_max);
    }
    subscribed_.store(false, std::memory_order_release);
  }

  // Subscribes and delivers messages until the connection fails; true if it got subscribed.
  asio::awaitable<bool> Serve(SessionPtr session, bool was_down) {
    std::vector<std::string> subscribe{"SUBSCRIBE"};
    for (const auto& [channel, handlers] : handlers_) {
      subscribe.push_back(channel);
    }
    std::string out;
    AppendCommand(out, subscribe);
    auto& socket = session->connection.socket;
    auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(out), kUseTuple);
    if (write_ec) {
      session->Close("SUBSCRIBE failed: " + write_ec.message());
      co_return false;
    }
    asio::co_spawn(strand_, Pinger(shared_from_this(), session), asio::detached);

    bool reached = false;
    std::size_t confirmed = 0;
    std::array<char, kReadChunk> buffer;
    while (!session->closed) {
      while (!session->closed) {
        auto next = session->connection.parser.Next();
        if (!next) {
          session->Close(next.error().message);
          break;
        }
        if (!*next) {
          break;
        }
        const Reply& push = **next;
        if (push.type != Reply::Type::kArray || push.elements.empty() ||
            !push.elements[0].Text()) {
          session->Close(push.IsError() ? push.str : "unexpected reply in subscribe mode");
          break;
        }
        const std::string_view kind = *push.elements[0].Text();
        if (kind == "message" && push.elements.size() == 3) {
          Deliver(push.elements[1].str, push.elements[2].str);
        } else if (kind == "pong") {
          session->pong_outstanding = false;
        } else if (kind == "subscribe" && ++confirmed == handlers_.size()) {
          reached = true;
          subscribed_.store(true, std::memory_order_release);
          spdlog::info("Redis {}: subscribed to {} channel(s)",
                       detail::Describe(session->connection.endpoint), confirmed);
          if (was_down) {
            for (const auto& callback : reconnect_callbacks_) {
              Guarded("reconnect callback", callback);
            }
          }
        }
      }
      if (session->closed) {
        break;
      }
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), kUseTuple);
      if (ec) {
        session->Close(ec == asio::error::eof ? "connection closed by the server" : ec.message());
        break;
      }
      session->connection.parser.Feed(std::string_view(buffer.data(), n));
    }
    subscribed_.store(false, std::memory_order_release);
    co_return reached;
  }

  // A subscribed connection is silent when nothing is published, so a dead peer (a partition, a
  // frozen server) would go unnoticed; a PING unanswered for a whole interval drops it.
  asio::awaitable<void> Pinger([[maybe_unused]] std::shared_ptr<Impl> self, SessionPtr session) {
    std::string ping;
    AppendCommand(ping, {"PING"});
    while (!session->closed) {
      session->ping_timer.expires_after(ping_interval_);
      co_await session->ping_timer.async_wait(kUseTuple);
      if (session->closed) {
        break;
      }
      if (session->pong_outstanding) {
        session->Close(fmt::format("no answer to PING within {} ms", ping_interval_.count()));
        break;
      }
      session->pong_outstanding = true;
      auto [ec, written] =
          co_await asio::async_write(session->connection.socket, asio::buffer(ping), kUseTuple);
      if (ec) {
        session->Close("PING failed: " + ec.message());
      }
    }
  }

  void Deliver(const std::string& channel, const std::string& payload) {
    auto found = handlers_.find(channel);
    if (found == handlers_.end()) {
      return;
    }
    for (const auto& handler : found->second) {
      Guarded("message handler", [&] { handler(payload); });
    }
  }

  // A throwing handler must not take the subscription down with it.
  template <class F>
  static void Guarded(const char* what, const F& f) {
    try {
      f();
    } catch (const std::exception& e) {
      spdlog::error("Redis subscriber: {} threw: {}", what, e.what());
    } catch (...) {
      spdlog::error("Redis subscriber: {} threw", what);
    }
  }

  Strand strand_;
  const RedisOptions options_;
  const std::chrono::milliseconds ping_interval_;
  std::map<std::string, std::vector<MessageHandler>> handlers_;
  std::vector<std::function<void()>> reconnect_callbacks_;
  std::atomic<bool> started_{false};
  std::atomic<bool> subscribed_{false};
  bool stopped_ = false;
  SessionPtr session_;
  detail::HandshakeMemo memo_;
  asio::steady_timer backoff_timer_;
};

RedisSubscriber::RedisSubscriber(asio::any_io_executor executor, RedisOptions options,
                                 std::chrono::milliseconds ping_interval)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options), ping_interval)) {}

RedisSubscriber::~RedisSubscriber() { impl_->Stop(); }

void RedisSubscriber::Subscribe(std::string channel, MessageHandler handler) {
  impl_->Subscribe(std::move(channel), std::move(handler));
}

void RedisSubscriber::OnReconnect(std::function<void()> callback) {
  impl_->OnReconnect(std::move(callback));
}

void RedisSubscriber::Start() { impl_->Start(); }

void RedisSubscriber::Stop() { impl_->Stop(); }

bool RedisSubscriber::Subscribed() const noexcept { return impl_->Subscribed(); }

}  // namespace convene::redis
