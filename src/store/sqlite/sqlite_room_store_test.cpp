// SQLite-only behaviour: durability across reopen, migrations, the threading model, query plans
// and shutdown. The RoomStore semantics themselves are in store_conformance_test.cpp.

#include "store/sqlite/sqlite_room_store.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/testing/run_sync.hpp"
#include "store/testing/temp_dir.hpp"

namespace convene::store::sqlite {
namespace {

using domain::Room;

Room MakeRoom(std::string id) {
  Room room;
  room.room_name = "Room " + id;
  room.room_id = std::move(id);
  room.creation_date = 1'700'000'000'000;
  room.auto_deletion_date = 1'800'000'000'000;
  room.config.max_participants = 0;
  room.moderator_secret = "mod-secret";
  room.speaker_secret = "spk-secret";
  return room;
}

class SqliteRoomStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteRoomStore> MustOpen() {
    Result<std::unique_ptr<SqliteRoomStore>> store = SqliteRoomStore::Open(data_dir_);
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    return test::RunSync(ioc_, std::move(awaitable));
  }

  /// A separate raw connection, as an operator's sqlite3 shell would have.
  Db RawDb() {
    Result<Db> db = Db::Open(data_dir_ + "/convene.db", OpenMode::kReadWriteCreate);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : Db();
  }

  test::TempDir dir_;
  std::string data_dir_ = dir_.Path() + "/nested/data";  // does not exist yet
  asio::io_context ioc_;
};

TEST_F(SqliteRoomStoreTest, OpenCreatesTheDataDirectoryAndFile) {
  auto store = MustOpen();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->Path(), data_dir_ + "/convene.db");
  EXPECT_TRUE(std::filesystem::is_regular_file(store->Path()));
  EXPECT_TRUE(store->Ping());
  EXPECT_TRUE(store->IntegrityCheck());
}

TEST_F(SqliteRoomStoreTest, DataSurvivesCloseAndReopen) {
  const Room room = MakeRoom("durable");
  {
    auto store = MustOpen();
    ASSERT_TRUE(store);
    ASSERT_TRUE(Run(store->CreateRoom(room)));
    store->Close();
  }
  // Close() checkpointed the WAL into the main file.
  EXPECT_FALSE(std::filesystem::exists(data_dir_ + "/convene.db-wal"));
  auto store = MustOpen();
  ASSERT_TRUE(store);
  Result<std::optional<Room>> stored = Run(store->GetRoom("durable"));
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, room);
}

TEST_F(SqliteRoomStoreTest, DataSurvivesDestructionWithoutExplicitClose) {
  {
    auto store = MustOpen();
    ASSERT_TRUE(store);
    ASSERT_TRUE(Run(store->CreateRoom(MakeRoom("implicit"))));
  }
  auto store = MustOpen();
  ASSERT_TRUE(store);
  EXPECT_TRUE(*Run(store->GetRoom("implicit")));
}

TEST_F(SqliteRoomStoreTest, ReopeningIsIdempotentAndSetsUserVersionAndWal) {
  for (int i = 0; i < 3; ++i) {
    auto store = MustOpen();
    ASSERT_TRUE(store);
    ASSERT_TRUE(Run(store->CreateRoom(MakeRoom("r" + std::to_string(i)))));
  }
  Db db = RawDb();
  EXPECT_EQ(db.QueryInt64("PRAGMA user_version").value_or(-1), LatestSchemaVersion());
  EXPECT_EQ(db.QueryInt64("PRAGMA user_version").value_or(-1), 3);
  EXPECT_EQ(db.QueryText("PRAGMA journal_mode").value_or(""), "wal");
  EXPECT_EQ(db.QueryInt64("SELECT count(*) FROM rooms").value_or(-1), 3);
  // rooms (migration 1); settings and outbox tables (migration 2; sqlite_sequence comes with
  // AUTOINCREMENT); the participant ledger (migration 3).
  EXPECT_EQ(db.QueryText("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema"
                         " WHERE type = 'table' ORDER BY name)")
                .value_or(""),
            "api_keys,global_config,participant_identities,rooms,sqlite_sequence,users,webhook_outbox");
  // STRICT is on: a wrong type is rejected, not coerced.
  Result<void> strict = db.Exec(
      "INSERT INTO rooms VALUES ('x', 'n', 'not-a-number', NULL, 'force', 'force', 1, NULL, 1, 1,"
      " NULL, 'm', 's', 'open', 'none')");
  EXPECT_FALSE(strict);
}

TEST_F(SqliteRoomStoreTest, RefusesADatabaseFromANewerVersion) {
  { ASSERT_TRUE(MustOpen()); }
  {
    Db db = RawDb();
    ASSERT_TRUE(db.Exec("PRAGMA user_version = 99"));
  }
  Result<std::unique_ptr<SqliteRoomStore>> store = SqliteRoomStore::Open(data_dir_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find(data_dir_), std::string::npos) << store.error().message;
  EXPECT_EQ(RawDb().QueryInt64("PRAGMA user_version").value_or(-1), 99);  // left untouched
}

TEST_F(SqliteRoomStoreTest, OpenFailsWithThePathWhenTheDirectoryIsAFile) {
  const std::string file = dir_.Path() + "/a-file";
  std::ofstream(file) << "x";
  Result<std::unique_ptr<SqliteRoomStore>> store = SqliteRoomStore::Open(file);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find(file), std::string::npos) << store.error().message;
}

TEST_F(SqliteRoomStoreTest, OpenFailsWithThePathWhenTheFileIsNotADatabase) {
  std::filesystem::create_directories(data_dir_);
  std::ofstream(data_dir_ + "/convene.db") << std::string(4096, 'g');
  Result<std::unique_ptr<SqliteRoomStore>> store = SqliteRoomStore::Open(data_dir_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find(data_dir_ + "/convene.db"), std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find("not a database"), std::string::npos)
      << store.error().message;
}

TEST_F(SqliteRoomStoreTest, ListRoomsSearchesThePrimaryKey) {
  auto store = MustOpen();
  ASSERT_TRUE(store);
  const std::pair<std::string, std::string> cases[] = {
      {"", ""}, {"abc", ""}, {"", "abc"}, {"abc", "abd"}, {"abc", "ab"}, {"\xFF", ""}, {"%", "_"}};
  for (const auto& [prefix, after] : cases) {
    Result<std::vector<std::string>> plan = store->ExplainListRoomsForTest(prefix, after);
    ASSERT_TRUE(plan) << plan.error().message;
    ASSERT_EQ(plan->size(), 1u) << "prefix '" << prefix << "' after '" << after << "'";
    const std::string& line = plan->front();
    EXPECT_NE(line.find("SEARCH rooms USING PRIMARY KEY (room_id>"), std::string::npos) << line;
    EXPECT_EQ(line.find("TEMP B-TREE"), std::string::npos) << line;  // no sort step
    if (!prefix.empty() && prefix != "\xFF") {
      EXPECT_NE(line.find("AND room_id<?)"), std::string::npos) << line;  // bounded range
    }
  }
}

TEST_F(SqliteRoomStoreTest, ListExpiredRoomsReadsOnlyTheDeletionDateIndex) {
  auto store = MustOpen();
  ASSERT_TRUE(store);
  Result<std::vector<std::string>> plan = store->ExplainListExpiredRoomsForTest();
  ASSERT_TRUE(plan) << plan.error().message;
  std::string all;
  for (const std::string& line : *plan) all += line + "\n";
  EXPECT_NE(all.find("SEARCH rooms USING INDEX rooms_by_auto_deletion_date (auto_deletion_date<?)"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("PRIMARY KEY"), std::string::npos) << all;
}

TEST_F(SqliteRoomStoreTest, ConcurrentUpdatesLoseNothing) {
  auto store = MustOpen();
  ASSERT_TRUE(store);
  ASSERT_TRUE(Run(store->CreateRoom(MakeRoom("counter"))));

  constexpr int kUpdates = 200;
  constexpr int kThreads = 4;
  asio::io_context ioc(kThreads);
  std::mutex mutex;
  std::set<std::uint32_t> seen_before;  // each mutator must see a distinct count
  std::set<std::thread::id> mutator_threads;
  std::set<std::thread::id> io_threads;
  std::atomic<int> succeeded{0};
  std::atomic<int> resumed_elsewhere{0};
  std::atomic<int> bad_reads{0};

  for (int i = 0; i < kUpdates; ++i) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto updated =
              co_await store->UpdateRoom("counter", [&](Room& room) -> Result<UpdateAction> {
                std::lock_guard lock(mutex);
                seen_before.insert(*room.config.max_participants);
                mutator_threads.insert(std::this_thread::get_id());
                // A counter and a toggle: a lost update shows up in both.
                room.config.max_participants = *room.config.max_participants + 1;
                room.status = room.status == domain::RoomStatus::kOpen ? domain::RoomStatus::kClosed
                                                                       : domain::RoomStatus::kOpen;
                return UpdateAction::kSave;
              });
          if (!ioc.get_executor().running_in_this_thread()) ++resumed_elsewhere;
          if (updated && *updated) ++succeeded;
          // Reads interleave with the writes and must always see a committed state.
          auto read = co_await store->GetRoom("counter");
          if (!read || !*read || *(*read)->config.max_participants > kUpdates) ++bad_reads;
        },
        asio::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      {
        std::lock_guard lock(mutex);
        io_threads.insert(std::this_thread::get_id());
      }
      ioc.run();
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(succeeded.load(), kUpdates);
  EXPECT_EQ(resumed_elsewhere.load(), 0);
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_EQ(seen_before.size(), static_cast<std::size_t>(kUpdates));  // fully serialised
  ASSERT_EQ(mutator_threads.size(), 1u);                              // the one writer thread
  EXPECT_EQ(io_threads.count(*mutator_threads.begin()), 0u);

  Result<std::optional<Room>> final_room = Run(store->GetRoom("counter"));
  ASSERT_TRUE(final_room && *final_room);
  EXPECT_EQ((*final_room)->config.max_participants, static_cast<std::uint32_t>(kUpdates));
  EXPECT_EQ((*final_room)->status, domain::RoomStatus::kOpen);  // an even number of toggles
}

TEST_F(SqliteRoomStoreTest, ReadsRunOnTheCallerAndDoNotWaitForAWriteInProgress) {
  auto store = MustOpen();
  ASSERT_TRUE(store);
  ASSERT_TRUE(Run(store->CreateRoom(MakeRoom("busy"))));

  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread writer_client([&] {
    asio::io_context ioc;
    auto updated =
        test::RunSync(ioc, store->UpdateRoom("busy", [&](Room& room) -> Result<UpdateAction> {
          room.room_name = "renamed";
          entered.set_value();
          released.wait();  // holds the BEGIN IMMEDIATE transaction open
          return UpdateAction::kSave;
        }));
    EXPECT_TRUE(updated && *updated);
  });
  entered.get_future().wait();

  // The writer is inside its transaction; a WAL reader still sees the last committed state.
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  Result<std::optional<Room>> during = Run([&]() -> asio::awaitable<Result<std::optional<Room>>> {
    auto room = co_await store->GetRoom("busy");
    ran_on = std::this_thread::get_id();
    co_return room;
  }());
  ASSERT_TRUE(during && *during) << (during ? "" : during.error().message);
  EXPECT_EQ((*during)->room_name, "Room busy");
  EXPECT_EQ(ran_on, caller);
  Result<RoomPage> page = Run(store->ListRooms("", "", 10));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->rooms.size(), 1u);

  release.set_value();
  writer_client.join();
  Result<std::optional<Room>> after = Run(store->GetRoom("busy"));
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->room_name, "renamed");
}

TEST_F(SqliteRoomStoreTest, CloseFinishesQueuedWritesAndThenRefusesWork) {
  auto store = MustOpen();
  ASSERT_TRUE(store);
  ASSERT_TRUE(Run(store->CreateRoom(MakeRoom("blocker"))));

  // Hold the writer so that creates pile up in its queue.
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  asio::io_context ioc;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto updated =
            co_await store->UpdateRoom("blocker", [&](Room& room) -> Result<UpdateAction> {
              room.room_name = "updated before close";
              entered.set_value();
              released.wait();
              return UpdateAction::kSave;
            });
        EXPECT_TRUE(updated && *updated);
      },
      asio::detached);
  constexpr int kQueued = 20;
  std::vector<std::optional<Result<void>>> results(kQueued);
  for (int i = 0; i < kQueued; ++i) {
    asio::co_spawn(
        ioc,
        [&, i]() -> asio::awaitable<void> {
          results[i] = co_await store->CreateRoom(MakeRoom("queued-" + std::to_string(i)));
        },
        asio::detached);
  }
  std::thread io_thread([&] { ioc.run(); });
  entered.get_future().wait();
  // Give the io thread time to hand every create to the writer queue.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  std::thread closer([&] { store->Close(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // Close() is now waiting
  release.set_value();
  closer.join();
  io_thread.join();  // every coroutine has finished

  int acknowledged = 0;
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value());
    if (*result) {
      ++acknowledged;
    } else {
      EXPECT_EQ(result->error().code, ErrorCode::kUnavailable);
    }
  }
  EXPECT_EQ(acknowledged, kQueued);  // all were queued before Close()

  // After Close(): refused, with the generic client-facing error.
  EXPECT_FALSE(store->Ping());
  Result<void> late = Run(store->CreateRoom(MakeRoom("late")));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(late.error().name, "Storage Error");
  EXPECT_EQ(late.error().message, "Storage is not available");
  Result<std::optional<Room>> read = Run(store->GetRoom("blocker"));
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(store->IntegrityCheck());
  store->Close();  // idempotent
  store.reset();

  auto reopened = MustOpen();
  ASSERT_TRUE(reopened);
  for (int i = 0; i < kQueued; ++i) {
    Result<std::optional<Room>> room = Run(reopened->GetRoom("queued-" + std::to_string(i)));
    ASSERT_TRUE(room);
    EXPECT_EQ(room->has_value(), results[i]->has_value()) << i;
  }
  EXPECT_EQ((*Run(reopened->GetRoom("blocker")))->room_name, "updated before close");
  EXPECT_FALSE(*Run(reopened->GetRoom("late")));
}

TEST_F(SqliteRoomStoreTest, IntegrityCheckPassesOnAPopulatedDatabase) {
  auto store = MustOpen();
  ASSERT_TRUE(store);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Run(store->CreateRoom(MakeRoom(std::to_string(i)))));
  Result<void> check = store->IntegrityCheck();
  EXPECT_TRUE(check) << check.error().message;
}

TEST_F(SqliteRoomStoreTest, CorruptRowIsAnInternalErrorWithoutDetails) {
  auto store = MustOpen();
  ASSERT_TRUE(store);
  ASSERT_TRUE(Run(store->CreateRoom(MakeRoom("corrupt"))));
  {
    Db db = RawDb();
    ASSERT_TRUE(db.Exec("UPDATE rooms SET status = 'secret-looking-garbage'"));
  }
  Result<std::optional<Room>> room = Run(store->GetRoom("corrupt"));
  ASSERT_FALSE(room);
  EXPECT_EQ(room.error().code, ErrorCode::kInternal);
  EXPECT_EQ(room.error().message, "Unexpected error while accessing the store");
}

}  // namespace
}  // namespace convene::store::sqlite
