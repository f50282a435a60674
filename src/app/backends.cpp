#include "app/backends.hpp"

#include <atomic>
#include <chrono>
#include <future>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "redis/redis_change_bus.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_event_gate.hpp"
#include "redis/redis_leader_election.hpp"
#include "redis/redis_login_attempts.hpp"
#include "redis/redis_subscriber.hpp"
#include "auth/login_rate_limiter.hpp"
#include "core/random.hpp"
#include "observability/metrics.hpp"
#include "registry/in_process_registry.hpp"
#include "registry/redis_registry.hpp"
#include "store/postgres/postgres_database.hpp"
#include "store/postgres/postgres_outbox_store.hpp"
#include "store/postgres/postgres_room_store.hpp"
#include "store/postgres/postgres_settings_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/sqlite/sqlite_participant_ledger_store.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/sqlite/sqlite_settings_store.hpp"
#include "webhooks/event_dedupe.hpp"

namespace convene::app {

namespace asio = boost::asio;

namespace {

/// How long LiveKit webhook ids are remembered (deviations §6.1: at least 10 minutes).
constexpr auto kWebhookIdRetention = std::chrono::minutes(15);
/// The leader's lease: a dead leader's jobs move to another instance within this time.
constexpr auto kLeaderLease = std::chrono::seconds(10);
/// How often the readiness of PostgreSQL is probed (/ready reads the last result).
constexpr auto kHealthProbeInterval = std::chrono::seconds(1);

/// Runs `op` on `ioc` from the start-up thread until it completes. The work guard keeps `ioc` from
/// running out of work while the operation waits on another thread (the SQLite writer).
template <class T>
T RunAtStartup(asio::io_context& ioc, asio::awaitable<T> op) {
  auto guard = asio::make_work_guard(ioc);
  auto done = asio::co_spawn(ioc, std::move(op), asio::use_future);
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
  return done.get();
}

redis::RedisOptions RedisOptionsFrom(const RedisConfig& config) {
  redis::RedisOptions options;
  options.server = {config.host, config.port};
  options.username = config.username;
  options.password = config.password;
  options.db = config.db;
  for (const auto& sentinel : config.sentinels) options.sentinels.push_back({sentinel.host, sentinel.port});
  options.sentinel_password = config.sentinel_password;
  options.master_name = config.sentinel_master_name;
  return options;
}

/// The engines of one instance, assembled by Backends::Open from the configuration. Exactly one
/// of the two stores is open; the Redis members exist only when MEET_REDIS_* is configured.
class AssembledBackends final : public Backends {
 public:
  AssembledBackends(asio::io_context& ioc, const Clock& clock) : ioc_(ioc), probe_timer_(ioc), clock_(clock) {}
  ~AssembledBackends() override { Close(); }

  Result<void> OpenStore(const Config& config) {
    if (config.database_url.empty()) {
      auto database = store::sqlite::SqliteDatabase::Open(config.data_dir);
      if (!database) return Fail(database.error());
      sqlite_ = std::move(*database);
      rooms_ = &sqlite_->Rooms();
      settings_ = &sqlite_->Settings();
      outbox_ = &sqlite_->Outbox();
      return {};
    }
    store::postgres::PostgresOptions options;
    options.url = config.database_url;
    options.pool_size = config.database_pool_size;
    auto database = RunAtStartup(ioc_, store::postgres::PostgresDatabase::Open(ioc_.get_executor(), options));
    if (!database) return Fail(database.error());
    postgres_ = std::move(*database);
    rooms_ = &postgres_->Rooms();
    settings_ = &postgres_->Settings();
    outbox_ = &postgres_->Outbox();
    return {};
  }

  Result<void> OpenCoordination(const Config& config) {
    if (!config.redis.enabled) {
      // The single instance's participant ledger is durable in SQLite: the embedded database, or,
      // on PostgreSQL, one in MEET_DATA_DIR beside it (the ledger is this instance's alone).
      if (!sqlite_) {
        auto database = store::sqlite::SqliteDatabase::Open(config.data_dir);
        if (!database) return Fail(database.error());
        ledger_database_ = std::move(*database);
      }
      store::sqlite::SqliteDatabase& ledger_db = sqlite_ ? *sqlite_ : *ledger_database_;
      registry::InProcessRegistryOptions registry_options;
      registry_options.unknown_identity_retention_ms =
          (config.participant_token_ttl + config.participant_refresh_grace).count();
      auto in_process = std::make_unique<registry::InProcessRegistry>(ledger_db.ParticipantLedger(),
                                                                       ioc_.get_executor(), registry_options);
      if (auto loaded = RunAtStartup(ioc_, in_process->LoadBans(clock_.NowMs())); !loaded) {
        return Fail(loaded.error());
      }
      in_process_ = in_process.get();
      registry_ = std::move(in_process);
      seen_events_ = std::make_unique<webhooks::InProcessEventGate>(clock_, std::chrono::milliseconds(kWebhookIdRetention).count());
      bus_ = std::make_unique<coordination::NoPeers>();
      local_login_limiter_ = std::make_unique<auth::LoginRateLimiter>(config.login_rate_limit, clock_);
      login_limits_ = std::make_unique<auth::InProcessLoginAttempts>(*local_login_limiter_);
      return {};
    }
    const redis::RedisOptions options = RedisOptionsFrom(config.redis);
    const std::string& prefix = config.redis.key_prefix;
    redis_ = std::make_unique<redis::RedisClient>(ioc_.get_executor(), options);
    if (auto connected = RunAtStartup(ioc_, redis_->Connect()); !connected) return Fail(connected.error());
    subscriber_ = std::make_unique<redis::RedisSubscriber>(ioc_.get_executor(), options);
    registry_ = std::make_unique<registry::RedisRegistry>(
        *redis_, registry::RedisRegistryOptions{prefix, (config.participant_token_ttl + config.participant_refresh_grace).count()});
    seen_events_ = std::make_unique<redis::RedisEventGate>(*redis_, kWebhookIdRetention, prefix);
    redis_leader_ = std::make_unique<redis::RedisLeaderElection>(*redis_, ioc_.get_executor(), kLeaderLease, prefix);
    redis_leader_->OnChange([](bool leader) {
      spdlog::info(leader ? "elected to run the background jobs" : "no longer runs the background jobs");
    });
    bus_ = std::make_unique<redis::RedisChangeBus>(*redis_, *subscriber_, ioc_.get_executor(), prefix);
    const auth::LoginRateLimit& limit = config.login_rate_limit;
    login_limits_ = std::make_unique<redis::RedisLoginAttempts>(*redis_, limit.enabled, limit.max_failures,
                                                                limit.window_ms, clock_, random_, prefix);
    return {};
  }

  store::RoomStore& Rooms() override { return *rooms_; }
  store::SettingsStore& Settings() override { return *settings_; }
  store::OutboxStore& Outbox() override { return *outbox_; }
  registry::ParticipantRegistry& Registry() override { return *registry_; }
  coordination::EventGate& SeenEvents() override { return *seen_events_; }
  coordination::LeaderElection& Leader() override {
    if (redis_leader_) return *redis_leader_;
    return sole_instance_;
  }
  coordination::ChangeBus& Bus() override { return *bus_; }
  coordination::LoginAttempts& LoginLimits() override { return *login_limits_; }
  bool SharedStore() const override { return postgres_ != nullptr; }

  std::string Unready() const override {
    if (sqlite_ && !sqlite_->Ping()) return "store unavailable";
    if (postgres_ && !postgres_ok_.load()) return "database unavailable";
    if (redis_ && !redis_->Connected()) return "redis unavailable";
    return "";
  }

  void AddMetrics(observability::Metrics& metrics) override {
    if (in_process_ != nullptr) {
      metrics.AddGauge("convene_registry_participants", "Participants held in the registry (reserved or joined)",
                       [this] { return static_cast<double>(in_process_->ParticipantCount()); });
    }
    if (local_login_limiter_) {
      metrics.AddGauge("convene_login_limiter_clients", "Client addresses tracked by the login rate limiter",
                       [this] { return static_cast<double>(local_login_limiter_->TrackedClients()); });
    }
    if (postgres_) {
      const auto pool = [this] { return postgres_->PoolStats(); };
      metrics.AddGauge("convene_postgres_connections_open", "PostgreSQL connections open",
                       [pool] { return static_cast<double>(pool().open); });
      metrics.AddGauge("convene_postgres_connections_idle", "PostgreSQL connections idle in the pool",
                       [pool] { return static_cast<double>(pool().idle); });
      metrics.AddGauge("convene_postgres_waiting", "Operations waiting for a PostgreSQL connection",
                       [pool] { return static_cast<double>(pool().waiting); });
      metrics.AddGauge("convene_postgres_connect_failures", "Failed PostgreSQL connection attempts since start",
                       [pool] { return static_cast<double>(pool().connect_failures); });
    }
    if (redis_) {
      metrics.AddGauge("convene_redis_connected", "1 while the Redis connection is up",
                       [this] { return redis_->Connected() ? 1.0 : 0.0; });
      metrics.AddGauge("convene_redis_reconnects", "Redis connections established since start",
                       [this] { return static_cast<double>(redis_->Stats().connects); });
      metrics.AddGauge("convene_redis_rejected_calls", "Redis calls failed at once because Redis was down",
                       [this] { return static_cast<double>(redis_->Stats().rejected); });
    }
  }

  std::string Describe() const override {
    std::string store = sqlite_ ? fmt::format("SQLite {}", sqlite_->Path())
                                : fmt::format("PostgreSQL {}", postgres_->Describe());
    return redis_ ? store + ", Redis coordination" : store;
  }

  void Start() override {
    if (subscriber_) subscriber_->Start();
    if (redis_leader_) redis_leader_->Start();
    if (postgres_) asio::co_spawn(ioc_, ProbeDatabase(), asio::detached);
  }

  void BeginShutdown() override {
    stopping_ = true;
    probe_timer_.cancel();
    if (redis_leader_) redis_leader_->Stop();
    if (subscriber_) subscriber_->Stop();
  }

  bool ShutdownSettled() const override { return !redis_leader_ || redis_leader_->Settled(); }

  asio::awaitable<void> FlushBeforeStop() override {
    if (in_process_ == nullptr) co_return;
    if (auto flushed = co_await in_process_->FlushLedger(); !flushed) {
      spdlog::error("participant ledger: final flush failed: {}", flushed.error().message);
    }
  }

  void Close() override {
    if (closed_.exchange(true)) return;
    if (redis_) redis_->Close();
    if (sqlite_) sqlite_->Close();
    if (ledger_database_) ledger_database_->Close();
    if (postgres_) postgres_->Close();
  }

 private:
  // /ready must not wait for the database, so it reads the result of this background probe.
  asio::awaitable<void> ProbeDatabase() {
    while (!stopping_.load()) {
      const bool ok = co_await postgres_->Ping();
      if (ok != postgres_ok_.exchange(ok)) {
        if (ok) spdlog::info("PostgreSQL is reachable again");
        else spdlog::warn("PostgreSQL is unreachable; requests that need it answer 503");
      }
      probe_timer_.expires_after(kHealthProbeInterval);
      auto [ec] = co_await probe_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) break;
    }
  }

  asio::io_context& ioc_;
  asio::steady_timer probe_timer_;
  const Clock& clock_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> closed_{false};
  std::atomic<bool> postgres_ok_{true};

  std::unique_ptr<store::sqlite::SqliteDatabase> sqlite_;
  std::unique_ptr<store::postgres::PostgresDatabase> postgres_;
  std::unique_ptr<store::sqlite::SqliteDatabase> ledger_database_;  // PostgreSQL without Redis
  store::RoomStore* rooms_ = nullptr;
  store::SettingsStore* settings_ = nullptr;
  store::OutboxStore* outbox_ = nullptr;

  // Declared after the client, destroyed before it: they hold references to it.
  std::unique_ptr<redis::RedisClient> redis_;
  std::unique_ptr<redis::RedisSubscriber> subscriber_;
  std::unique_ptr<registry::ParticipantRegistry> registry_;
  registry::InProcessRegistry* in_process_ = nullptr;
  std::unique_ptr<coordination::EventGate> seen_events_;
  std::unique_ptr<redis::RedisLeaderElection> redis_leader_;
  coordination::SoleInstance sole_instance_;
  std::unique_ptr<coordination::ChangeBus> bus_;
  CryptoRandom random_;  // login slot ids
  std::unique_ptr<auth::LoginRateLimiter> local_login_limiter_;
  std::unique_ptr<coordination::LoginAttempts> login_limits_;
};

}  // namespace

Result<std::unique_ptr<Backends>> Backends::Open(const Config& config, asio::io_context& ioc, const Clock& clock) {
  auto backends = std::make_unique<AssembledBackends>(ioc, clock);
  if (auto opened = backends->OpenStore(config); !opened) return Fail(opened.error());
  if (auto opened = backends->OpenCoordination(config); !opened) return Fail(opened.error());
  if (config.redis.enabled && config.database_url.empty()) {
    spdlog::warn("Redis coordination with the embedded SQLite store: instances would not share rooms; "
                 "set MEET_DATABASE_URL to run several instances");
  } else if (!config.redis.enabled && !config.database_url.empty()) {
    spdlog::warn("PostgreSQL without Redis: run one instance only (several need MEET_REDIS_HOST)");
  }
  return std::unique_ptr<Backends>(std::move(backends));
}

}  // namespace convene::app
