#pragma once

#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "store/memory/memory_outbox_store.hpp"
#include "store/memory/memory_room_store.hpp"
#include "store/memory/memory_settings_store.hpp"
#include "store/outbox_store.hpp"
#include "store/postgres/pg_test_support.hpp"
#include "store/postgres/postgres_database.hpp"
#include "store/postgres/postgres_outbox_store.hpp"
#include "store/postgres/postgres_room_store.hpp"
#include "store/postgres/postgres_settings_store.hpp"
#include "store/room_store.hpp"
#include "store/settings_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/sqlite/sqlite_settings_store.hpp"

/// The implementations the typed conformance suites run against: each factory makes one set of
/// stores that share a backend, as the application wires them (the room store writes its events
/// to that outbox). `Make(data_dir, ioc)` runs on the test's io_context, which the stores' I/O is
/// bound to; when the backend is not available it returns empty stores after GTEST_SKIP (the
/// fixture's SetUp checks IsSkipped()).
namespace convene::test {

struct Stores {
  std::shared_ptr<void> owner;  // keeps the backend alive; the pointers below point into it
  store::RoomStore* rooms = nullptr;
  store::SettingsStore* settings = nullptr;
  store::OutboxStore* outbox = nullptr;
};

struct MemoryStoresFactory {
  static constexpr const char* kName = "Memory";
  static Stores Make(const std::string& /*data_dir*/, boost::asio::io_context& /*ioc*/) {
    struct Backend {
      store::memory::MemoryOutboxStore outbox;
      store::memory::MemoryRoomStore rooms{&outbox};
      store::memory::MemorySettingsStore settings;
    };
    auto backend = std::make_shared<Backend>();
    return Stores{backend, &backend->rooms, &backend->settings, &backend->outbox};
  }
};

struct SqliteStoresFactory {
  static constexpr const char* kName = "Sqlite";
  static Stores Make(const std::string& data_dir, boost::asio::io_context& /*ioc*/) {
    auto db = store::sqlite::SqliteDatabase::Open(data_dir);
    if (!db) {
      ADD_FAILURE() << db.error().message;
      return {};
    }
    std::shared_ptr<store::sqlite::SqliteDatabase> shared = std::move(*db);
    return Stores{shared, &shared->Rooms(), &shared->Settings(), &shared->Outbox()};
  }
};

/// PostgreSQL (CONVENE_TEST_PG_URL): each test gets a fresh schema, dropped when the stores go.
struct PostgresStoresFactory {
  static constexpr const char* kName = "Postgres";
  static Stores Make(const std::string& /*data_dir*/, boost::asio::io_context& ioc) {
    const std::optional<std::string> url = TestPostgresUrl();
    if (!url) {
      [] { GTEST_SKIP() << kNoPostgresMessage; }();
      return {};
    }
    struct Backend {
      // Declared first, destroyed last: the schema is dropped after the database closed.
      std::unique_ptr<PgTestSchema> schema;
      std::unique_ptr<store::postgres::PostgresDatabase> db;
    };
    auto backend = std::make_shared<Backend>();
    backend->schema = PgTestSchema::Create(ioc, *url);
    if (!backend->schema) return {};
    store::postgres::PostgresOptions options;
    options.url = backend->schema->Url();
    options.pool_size = 4;
    auto db = RunSync(ioc, store::postgres::PostgresDatabase::Open(ioc.get_executor(), options));
    if (!db) {
      ADD_FAILURE() << db.error().message;
      return {};
    }
    backend->db = std::move(*db);
    return Stores{backend, &backend->db->Rooms(), &backend->db->Settings(),
                  &backend->db->Outbox()};
  }
};

/// gtest name generator for TYPED_TEST_SUITE over the factories above.
class StoresFactoryNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return T::kName;
  }
};

}  // namespace convene::test
