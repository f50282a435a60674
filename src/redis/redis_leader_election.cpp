#include "redis/redis_leader_election.hpp"

#include <atomic>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "core/random.hpp"

namespace convene::redis {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Extends the lease only if this instance still holds it (another may have taken it over after
// it expired).
const Script& RenewScript() {
  static const Script script(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
      "  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
      "end\n"
      "return 0\n");
  return script;
}

// Deletes the lease only if this instance holds it.
const Script& ReleaseScript() {
  static const Script script(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
      "  return redis.call('DEL', KEYS[1])\n"
      "end\n"
      "return 0\n");
  return script;
}

}  // namespace

class RedisLeaderElection::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(RedisClient& client, asio::any_io_executor executor, std::chrono::milliseconds ttl,
       std::string key_prefix)
      : client_(client),
        strand_(asio::make_strand(std::move(executor))),
        ttl_(ttl),
        margin_(ttl / 5),
        key_(std::move(key_prefix) + "leader"),
        token_(CryptoRandom().Hex(32)),
        timer_(strand_) {}

  bool IsLeader() const noexcept {
    return !stop_requested_.load(std::memory_order_acquire) &&
           leader_.load(std::memory_order_acquire) &&
           SteadyClock::now().time_since_epoch().count() <
               valid_until_.load(std::memory_order_acquire);
  }

  void OnChange(std::function<void(bool)> callback) { on_change_ = std::move(callback); }

  void Start() {
    if (started_.exchange(true)) {
      return;
    }
    busy_.fetch_add(1, std::memory_order_acq_rel);  // the keeper, until its loop ends
    asio::co_spawn(strand_, Keeper(shared_from_this()), asio::detached);
  }

  bool Settled() const noexcept {
    return stop_applied_.load(std::memory_order_acquire) && busy_.load(std::memory_order_acquire) == 0;
  }

  void Stop() {
    // Visible to IsLeader() before Stop() returns, even if the keeper stores a successful
    // renewal before the strand runs the rest.
    stop_requested_.store(true, std::memory_order_release);
    auto stop = [self = shared_from_this()] {
      if (self->stopped_) {
        return;
      }
      self->stopped_ = true;
      self->timer_.cancel();
      // Released even when the last renewal failed: the key may still be ours, and the script
      // deletes it only if it is.
      if (self->holding_) {
        self->holding_ = false;
        self->Announce(false);
        self->SpawnRelease();
      }
      self->stop_applied_.store(true, std::memory_order_release);
    };
    asio::dispatch(strand_, std::move(stop));
  }

  const std::string& Token() const { return token_; }

 private:
  // Everything below runs on strand_.

  static asio::awaitable<void> Keeper(std::shared_ptr<Impl> self) {
    const std::string ttl_ms = std::to_string(self->ttl_.count());
    while (!self->stopped_) {
      // The lease counts from when Redis applies the command, which is after it is sent: timing
      // the belief from the send keeps it on the safe side.
      const auto sent_at = SteadyClock::now();
      bool held = false;
      if (!self->holding_) {
        std::vector<std::string> acquire{"SET", self->key_, self->token_, "NX", "PX", ttl_ms};
        auto reply = co_await self->client_.Command(std::move(acquire));
        held = reply && reply->type == Reply::Type::kStatus;
        if (reply && reply->IsNil() && !self->stopped_) {
          // Our own lease may still be there after a failed renewal: reclaim it.
          held = co_await self->Renew(ttl_ms);
        }
        if (!reply) {
          spdlog::debug("leader election: {}", reply.error().message);
        }
      } else {
        held = co_await self->Renew(ttl_ms);
      }
      if (self->stopped_) {
        // Stop() ran meanwhile; if this attempt took the lease, Stop()'s release (queued after
        // it on the same connection) or the expiry gives it back.
        if (held) self->SpawnRelease();
        break;
      }
      if (held) {
        self->valid_until_.store((sent_at + self->ttl_ - self->margin_).time_since_epoch().count(),
                                 std::memory_order_release);
      }
      self->holding_ = held;
      self->leader_.store(held, std::memory_order_release);
      self->Announce(held);
      self->timer_.expires_after(self->ttl_ / 3);
      co_await self->timer_.async_wait(kUseTuple);
    }
    self->busy_.fetch_sub(1, std::memory_order_acq_rel);
  }

  void SpawnRelease() {
    busy_.fetch_add(1, std::memory_order_acq_rel);
    asio::co_spawn(strand_, Release(shared_from_this()), asio::detached);
  }

  asio::awaitable<bool> Renew(const std::string& ttl_ms) {
    std::vector<std::string> keys{key_};
    std::vector<std::string> args{token_, ttl_ms};
    auto reply = co_await client_.Eval(RenewScript(), std::move(keys), std::move(args));
    if (!reply) {
      spdlog::debug("leader election: {}", reply.error().message);
      co_return false;
    }
    if (reply->IsError()) {
      spdlog::warn("leader election: renewal script failed: {}", reply->str);
      co_return false;
    }
    co_return reply->Integer() == 1;
  }

  static asio::awaitable<void> Release(std::shared_ptr<Impl> self) {
    std::vector<std::string> keys{self->key_};
    std::vector<std::string> args{self->token_};
    auto reply = co_await self->client_.Eval(ReleaseScript(), std::move(keys), std::move(args));
    if (!reply || reply->IsError()) {
      spdlog::warn("leader election: releasing the lease failed ({}); it expires within {} ms",
                   reply ? reply->str : reply.error().message, self->ttl_.count());
    }
    self->busy_.fetch_sub(1, std::memory_order_acq_rel);
  }

  void Announce(bool leader) {
    if (leader == announced_) {
      return;
    }
    announced_ = leader;
    if (leader) {
      spdlog::info("leader election: this instance leads (lease {}, {} ms)", key_, ttl_.count());
    } else {
      spdlog::info("leader election: this instance no longer leads");
    }
    if (on_change_) {
      on_change_(leader);
    }
  }

  RedisClient& client_;
  asio::strand<asio::any_io_executor> strand_;
  const std::chrono::milliseconds ttl_;
  const std::chrono::milliseconds margin_;
  const std::string key_;
  const std::string token_;
  std::function<void(bool)> on_change_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stop_applied_{false};  // Stop()'s strand step has run
  std::atomic<int> busy_{0};               // the keeper and lease releases still running
  std::atomic<bool> leader_{false};
  std::atomic<SteadyClock::rep> valid_until_{0};
  // Strand only.
  bool stopped_ = false;
  bool holding_ = false;    // the last attempt acquired or renewed the lease
  bool announced_ = false;  // what on_change_ was last told
  asio::steady_timer timer_;
};

RedisLeaderElection::RedisLeaderElection(RedisClient& client, asio::any_io_executor executor,
                                         std::chrono::milliseconds ttl, std::string key_prefix)
    : impl_(std::make_shared<Impl>(client, std::move(executor), ttl, std::move(key_prefix))) {}

RedisLeaderElection::~RedisLeaderElection() { impl_->Stop(); }

bool RedisLeaderElection::IsLeader() const noexcept { return impl_->IsLeader(); }

void RedisLeaderElection::OnChange(std::function<void(bool)> callback) {
  impl_->OnChange(std::move(callback));
}

void RedisLeaderElection::Start() { impl_->Start(); }

void RedisLeaderElection::Stop() { impl_->Stop(); }

const std::string& RedisLeaderElection::Token() const { return impl_->Token(); }

bool RedisLeaderElection::Settled() const noexcept { return impl_->Settled(); }

}  // namespace convene::redis
