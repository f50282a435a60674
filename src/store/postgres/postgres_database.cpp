#include "store/postgres/postgres_database.hpp"

#include <utility>

#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_pool.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/postgres/postgres_outbox_store.hpp"
#include "store/postgres/postgres_room_store.hpp"
#include "store/postgres/postgres_settings_store.hpp"

namespace convene::store::postgres {
namespace {

constexpr PgStatement kPing{"convene_ping", "SELECT 1", StatementKind::kRead};

}  // namespace

asio::awaitable<Result<std::unique_ptr<PostgresDatabase>>> PostgresDatabase::Open(
    asio::any_io_executor executor, PostgresOptions options) {
  Result<PgConnectParams> params = PgConnectParams::Parse(options.url, options.statement_timeout);
  if (!params) co_return Fail(std::move(params.error()));
  PgPoolOptions pool_options;
  pool_options.size = options.pool_size;
  pool_options.connect_timeout = options.connect_timeout;
  pool_options.acquire_timeout = options.statement_timeout;
  std::shared_ptr<PgPool> pool = PgPool::Create(std::move(executor), std::move(*params), pool_options);
  {
    // The first connection proves the URL, the network and the credentials.
    Result<PgLease> lease = co_await pool->Acquire();
    if (!lease) co_return Fail(std::move(lease.error()));
    // Not a conditional expression: GCC 12 mishandles co_await inside `?:`.
    Result<void> migrated;
    if (options.migrate) {
      migrated = co_await MigratePg(**lease);
    } else {
      migrated = co_await VerifyPgSchema(**lease);
    }
    if (!migrated) {
      Error error = std::move(migrated.error());
      error.message = "PostgreSQL (" + pool->Params().Describe() + "): " + error.message;
      co_return Fail(std::move(error));
    }
  }
  co_return std::unique_ptr<PostgresDatabase>(new PostgresDatabase(std::move(pool)));
}

PostgresDatabase::PostgresDatabase(std::shared_ptr<PgPool> pool)
    : pool_(std::move(pool)),
      rooms_(std::make_unique<PostgresRoomStore>(*pool_)),
      settings_(std::make_unique<PostgresSettingsStore>(*pool_)),
      outbox_(std::make_unique<PostgresOutboxStore>(*pool_)) {}

PostgresDatabase::~PostgresDatabase() { Close(); }

void PostgresDatabase::Close() { pool_->Close(); }

asio::awaitable<bool> PostgresDatabase::Ping() {
  Result<PgLease> lease = co_await pool_->Acquire();
  if (!lease) co_return false;
  Result<PgResult> answered = co_await (*lease)->Execute(kPing);
  co_return answered.has_value();
}

PostgresPoolStats PostgresDatabase::PoolStats() const {
  const PgPool::Stats stats = pool_->GetStats();
  return PostgresPoolStats{stats.open,     stats.idle,
                           stats.waiting,  stats.connects,
                           stats.connect_failures, stats.discarded};
}

const std::string& PostgresDatabase::Describe() const { return pool_->Params().Describe(); }

}  // namespace convene::store::postgres
