#pragma once

#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "store/memory/memory_outbox_store.hpp"
#include "store/memory/memory_room_store.hpp"
#include "store/memory/memory_settings_store.hpp"
#include "store/outbox_store.hpp"
#include "store/room_store.hpp"
#include "store/settings_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/sqlite/sqlite_settings_store.hpp"

/// The implementations the typed conformance suites run against: each factory makes one set of
/// stores that share a backend, as the application wires them (the room store writes its events
/// to that outbox).
namespace convene::test {

struct Stores {
  std::shared_ptr<void> owner;  // keeps the backend alive; the pointers below point into it
  store::RoomStore* rooms = nullptr;
  store::SettingsStore* settings = nullptr;
  store::OutboxStore* outbox = nullptr;
};

struct MemoryStoresFactory {
  static constexpr const char* kName = "Memory";
  static Stores Make(const std::string& /*data_dir*/) {
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
  static Stores Make(const std::string& data_dir) {
    auto db = store::sqlite::SqliteDatabase::Open(data_dir);
    if (!db) {
      ADD_FAILURE() << db.error().message;
      return {};
    }
    std::shared_ptr<store::sqlite::SqliteDatabase> shared = std::move(*db);
    return Stores{shared, &shared->Rooms(), &shared->Settings(), &shared->Outbox()};
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
