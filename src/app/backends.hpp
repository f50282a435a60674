#pragma once

#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "app/config.hpp"
#include "coordination/change_bus.hpp"
#include "coordination/event_gate.hpp"
#include "coordination/leader_election.hpp"
#include "coordination/login_attempts.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "registry/participant_registry.hpp"
#include "store/outbox_store.hpp"
#include "store/room_store.hpp"
#include "store/settings_store.hpp"

namespace convene::observability {
class Metrics;
}

namespace convene::app {

/// The engines one Convene instance runs on, chosen by the configuration:
///
/// | state                 | one instance (default)         | several instances (issue 5)      |
/// |-----------------------|--------------------------------|----------------------------------|
/// | rooms, settings, outbox | SQLite in MEET_DATA_DIR      | PostgreSQL (MEET_DATABASE_URL)   |
/// | participant registry  | in process                     | Redis (Lua scripts)              |
/// | LiveKit webhook ids   | in process                     | Redis (SET NX PX)                |
/// | login rate limit      | in process                     | Redis (sorted set per client)    |
/// | background jobs       | always run here                | on the elected leader only       |
/// | cache invalidation    | nothing to tell                | Redis pub/sub                    |
///
/// PostgreSQL and Redis are chosen independently (PostgreSQL alone serves one instance on an
/// external database), but several instances need both.
class Backends {
 public:
  /// Connects everything, at start-up: runs `ioc` until done. An unreachable database or Redis is
  /// an error naming what failed (never a password); the caller exits.
  static Result<std::unique_ptr<Backends>> Open(const Config& config, boost::asio::io_context& ioc,
                                                const Clock& clock);
  virtual ~Backends() = default;

  virtual store::RoomStore& Rooms() = 0;
  virtual store::SettingsStore& Settings() = 0;
  virtual store::OutboxStore& Outbox() = 0;
  virtual registry::ParticipantRegistry& Registry() = 0;
  virtual coordination::EventGate& SeenEvents() = 0;
  virtual coordination::LeaderElection& Leader() = 0;
  virtual coordination::ChangeBus& Bus() = 0;
  /// MEET_LOGIN_RATE_LIMIT, counted per instance or across all of them.
  virtual coordination::LoginAttempts& LoginLimits() = 0;

  /// The store is shared with other instances (reconciliation must rescan it).
  virtual bool SharedStore() const = 0;
  /// Why the instance cannot serve now ("" = ready), for GET /ready. No I/O: a background probe
  /// keeps it current.
  virtual std::string Unready() const = 0;
  /// Registers the engines' gauges (registry and login-limiter sizes in process; PostgreSQL pool
  /// and Redis connection figures otherwise). `metrics` must not outlive this object.
  virtual void AddMetrics(observability::Metrics& metrics) = 0;
  /// A short description for the start-up log ("SQLite ./data/convene.db", ...), without secrets.
  virtual std::string Describe() const = 0;

  /// Starts the background parts (leader lease, change subscriber, health probe). Call once the
  /// server is about to serve.
  virtual void Start() = 0;
  /// First step of a graceful shutdown, while requests drain: gives up leadership at once (so
  /// another instance takes the jobs over without waiting for the lease to expire) and stops
  /// listening to the other instances. Never blocks. Idempotent.
  virtual void BeginShutdown() = 0;
  /// True once what BeginShutdown() started in the background has ended (the leader lease given
  /// back, or the attempt failed): the shutdown waits for it, bounded, before stopping the I/O
  /// threads that carry it.
  virtual bool ShutdownSettled() const = 0;
  /// While the I/O threads still run, at the end of a graceful shutdown: writes what is still
  /// queued for the participant ledger.
  virtual boost::asio::awaitable<void> FlushBeforeStop() = 0;
  /// Last step, after the I/O threads have stopped: closes Redis and the store (queued writes are
  /// committed first). Idempotent.
  virtual void Close() = 0;
};

}  // namespace convene::app
