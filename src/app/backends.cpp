#include "app/backends.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "registry/in_process_registry.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/sqlite/sqlite_settings_store.hpp"
#include "webhooks/event_dedupe.hpp"

namespace convene::app {

namespace asio = boost::asio;

namespace {

/// Runs `op` on `ioc` from the start-up thread until it completes. A work guard keeps `ioc` from
/// running out of work while the operation waits on another thread (the SQLite writer, libpq).
template <class T>
T RunAtStartup(asio::io_context& ioc, asio::awaitable<T> op) {
  auto guard = asio::make_work_guard(ioc);
  auto done = asio::co_spawn(ioc, std::move(op), asio::use_future);
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
  return done.get();
}

/// One instance on the embedded engines: SQLite, in-process registry and webhook-id memory, sole
/// leader, no peers.
class EmbeddedBackends final : public Backends {
 public:
  EmbeddedBackends(std::unique_ptr<store::sqlite::SqliteDatabase> database, const Clock& clock)
      : database_(std::move(database)), seen_events_(clock) {}
  ~EmbeddedBackends() override { Close(); }

  store::RoomStore& Rooms() override { return database_->Rooms(); }
  store::SettingsStore& Settings() override { return database_->Settings(); }
  store::OutboxStore& Outbox() override { return database_->Outbox(); }
  registry::ParticipantRegistry& Registry() override { return registry_; }
  coordination::EventGate& SeenEvents() override { return seen_events_; }
  coordination::LeaderElection& Leader() override { return leader_; }
  coordination::ChangeBus& Bus() override { return bus_; }
  bool SharedStore() const override { return false; }
  std::string Unready() const override { return database_->Ping() ? "" : "store unavailable"; }
  double LocalParticipants() const override { return static_cast<double>(registry_.ParticipantCount()); }
  std::string Describe() const override { return fmt::format("SQLite {}", database_->Path()); }
  void Start() override {}
  void BeginShutdown() override {}
  void Close() override { database_->Close(); }

 private:
  std::unique_ptr<store::sqlite::SqliteDatabase> database_;
  registry::InProcessRegistry registry_;
  webhooks::InProcessEventGate seen_events_;
  coordination::SoleInstance leader_;
  coordination::NoPeers bus_;
};

}  // namespace

Result<std::unique_ptr<Backends>> Backends::Open(const Config& config, [[maybe_unused]] asio::io_context& ioc,
                                                 const Clock& clock) {
  auto database = store::sqlite::SqliteDatabase::Open(config.data_dir);
  if (!database) return Fail(database.error());
  return std::unique_ptr<Backends>(std::make_unique<EmbeddedBackends>(std::move(*database), clock));
}

}  // namespace convene::app
