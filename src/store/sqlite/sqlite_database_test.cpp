// SQLite-only behaviour of the shared database: migration 2 on an existing file, durability of
// settings and outbox across reopen, the outbox query plans and shutdown of all stores at once.
// The store semantics themselves are in the *_conformance_test.cpp suites.

#include "store/sqlite/sqlite_database.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/sqlite/sqlite_settings_store.hpp"
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
  room.moderator_secret = "mod-secret";
  room.speaker_secret = "spk-secret";
  return room;
}

OutboxEvent Event(std::string id, std::string key) {
  OutboxEvent event;
  event.id = std::move(id);
  event.ordering_key = std::move(key);
  event.event_type = "meetingEnded";
  event.body = R"({"event":"meetingEnded","creationDate":5,"data":{}})";
  event.created_at_ms = 5;
  return event;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteDatabase> MustOpen() {
    Result<std::unique_ptr<SqliteDatabase>> db = SqliteDatabase::Open(data_dir_);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    return test::RunSync(ioc_, std::move(awaitable));
  }

  Db RawDb() {
    Result<Db> db = Db::Open(data_dir_ + "/convene.db", OpenMode::kReadWriteCreate);
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : Db();
  }

  test::TempDir dir_;
  std::string data_dir_ = dir_.Path() + "/data";
  asio::io_context ioc_;
};

TEST_F(SqliteDatabaseTest, MigratesAVersionOneDatabaseKeepingItsRooms) {
  std::filesystem::create_directories(data_dir_);
  {
    // A file as the first release left it: migration 1 only, with a room in it.
    Db db = RawDb();
    ASSERT_TRUE(db.Exec(Migrations()[0].sql));
    ASSERT_TRUE(db.Exec("PRAGMA user_version = 1"));
    ASSERT_TRUE(
        db.Exec("INSERT INTO rooms VALUES ('old', 'Old', 1, NULL, 'when_meeting_ends', 'close', 1,"
                " 'admin_moderator_speaker', 1, 1, NULL, 'm', 's', 'open', 'none')"));
  }
  auto db = MustOpen();
  ASSERT_TRUE(db);
  EXPECT_EQ(RawDb().QueryInt64("PRAGMA user_version").value_or(-1), LatestSchemaVersion());
  Result<std::optional<Room>> old = Run(db->Rooms().GetRoom("old"));
  ASSERT_TRUE(old && *old) << (old ? "absent" : old.error().message);
  EXPECT_EQ((*old)->room_name, "Old");
  OutboxEvent event = Event("e1", "old");
  EXPECT_TRUE(Run(db->Outbox().Enqueue(event)));
  EXPECT_TRUE(Run(db->Settings().PutUser(User{"admin", "h", {"admin"}})));
  EXPECT_TRUE(db->IntegrityCheck());
}

TEST_F(SqliteDatabaseTest, SettingsAndOutboxSurviveReopen) {
  GlobalConfig config;
  config.project_id = "p";
  config.webhooks = {true, "http://127.0.0.1:1/hook"};
  config.themes = {
      Theme{"t", true, "dark", "#fff", std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
  {
    auto db = MustOpen();
    ASSERT_TRUE(db);
    ASSERT_TRUE(Run(db->Settings().PutGlobalConfig(config)));
    std::vector<ApiKey> keys = {ApiKey{"ovmeet-k", 7}};
    ASSERT_TRUE(Run(db->Settings().ReplaceApiKeys(keys)));
    OutboxEvent event = Event("kept", "room");
    ASSERT_TRUE(Run(db->Outbox().Enqueue(event)));
    ASSERT_TRUE(Run(db->Outbox().MarkRetry("kept", 3, 12345, "timeout")));
    // No explicit Close(): destruction commits and closes.
  }
  auto db = MustOpen();
  ASSERT_TRUE(db);
  EXPECT_EQ(Run(db->Settings().GetGlobalConfig()).value_or(std::nullopt), config);
  EXPECT_EQ(Run(db->Settings().GetApiKeys()).value_or(std::vector<ApiKey>{}),
            (std::vector<ApiKey>{ApiKey{"ovmeet-k", 7}}));
  Result<std::vector<OutboxEvent>> events = Run(db->Outbox().List(std::nullopt, 10));
  ASSERT_TRUE(events && events->size() == 1u);
  EXPECT_EQ((*events)[0].attempts, 3);
  EXPECT_EQ((*events)[0].next_attempt_at_ms, 12345);
  EXPECT_EQ(Run(db->Outbox().NextDueAt()).value_or(std::nullopt), 12345);
}

TEST_F(SqliteDatabaseTest, RoomChangeAndItsEventsCommitTogetherDurably) {
  {
    auto db = MustOpen();
    ASSERT_TRUE(db);
    Room room = MakeRoom("r");
    ASSERT_TRUE(Run(db->Rooms().CreateRoom(room)));
    RoomMutator mutator = [](Room& r) -> Result<UpdateAction> {
      r.status = domain::RoomStatus::kActiveMeeting;
      return UpdateAction::kSave;
    };
    RoomEventsFn events = [](const Room& after, UpdateAction) {
      return std::vector<OutboxEvent>{Event("started", after.room_id)};
    };
    auto updated = Run(db->Rooms().UpdateRoom("r", mutator, events));
    ASSERT_TRUE(updated && *updated);
    db->Close();
  }
  // A separate connection sees both, as a restarted process would.
  Db raw = RawDb();
  EXPECT_EQ(raw.QueryText("SELECT status FROM rooms WHERE room_id = 'r'").value_or(""),
            "active_meeting");
  EXPECT_EQ(
      raw.QueryText("SELECT id || ':' || status || ':' || head FROM webhook_outbox").value_or(""),
      "started:pending:1");
}

TEST_F(SqliteDatabaseTest, StandaloneRoomStoreOpensTheSameSchema) {
  {
    auto rooms = SqliteRoomStore::Open(data_dir_);
    ASSERT_TRUE(rooms) << rooms.error().message;
    ASSERT_TRUE(Run((*rooms)->CreateRoom(MakeRoom("x"))));
    RoomMutator mutator = [](Room&) -> Result<UpdateAction> { return UpdateAction::kKeep; };
    RoomEventsFn events = [](const Room& after, UpdateAction) {
      return std::vector<OutboxEvent>{Event("from-standalone", after.room_id)};
    };
    ASSERT_TRUE(Run((*rooms)->UpdateRoom("x", mutator, events)));
  }
  auto db = MustOpen();
  ASSERT_TRUE(db);
  EXPECT_TRUE(*Run(db->Rooms().GetRoom("x")));
  Result<std::vector<OutboxEvent>> due = Run(db->Outbox().Due(0, 10));
  ASSERT_TRUE(due && due->size() == 1u);
  EXPECT_EQ((*due)[0].id, "from-standalone");
}

TEST_F(SqliteDatabaseTest, DueAndNextDueAtReadOnlyTheHeadsIndex) {
  auto db = MustOpen();
  ASSERT_TRUE(db);
  Result<std::vector<std::string>> due = db->Outbox().ExplainDueForTest();
  ASSERT_TRUE(due) << due.error().message;
  EXPECT_NE(Joined(*due).find("SEARCH webhook_outbox USING INDEX outbox_heads_by_next_attempt"),
            std::string::npos)
      << Joined(*due);
  EXPECT_EQ(Joined(*due).find("SCAN webhook_outbox"), std::string::npos) << Joined(*due);

  Result<std::vector<std::string>> next = db->Outbox().ExplainNextDueAtForTest();
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_NE(Joined(*next).find("outbox_heads_by_next_attempt"), std::string::npos) << Joined(*next);
}

TEST_F(SqliteDatabaseTest, HeadFlagsStayExactUnderManyKeys) {
  auto db = MustOpen();
  ASSERT_TRUE(db);
  // 3 events for each of 20 keys, interleaved.
  for (int round = 0; round < 3; ++round) {
    for (int key = 0; key < 20; ++key) {
      OutboxEvent event =
          Event("e" + std::to_string(round) + "-" + std::to_string(key), "k" + std::to_string(key));
      ASSERT_TRUE(Run(db->Outbox().Enqueue(event)));
    }
  }
  const auto heads = [this] {
    return RawDb().QueryInt64("SELECT count(*) FROM webhook_outbox WHERE head = 1").value_or(-1);
  };
  EXPECT_EQ(heads(), 20);
  for (int key = 0; key < 20; key += 2) {
    ASSERT_TRUE(Run(db->Outbox().MarkDelivered("e0-" + std::to_string(key), 1)));
  }
  for (int key = 1; key < 20; key += 2) {
    ASSERT_TRUE(Run(db->Outbox().MarkFailed("e0-" + std::to_string(key), 1, "x")));
  }
  EXPECT_EQ(heads(), 20);
  EXPECT_EQ(RawDb()
                .QueryInt64("SELECT count(*) FROM webhook_outbox WHERE head = 1 AND"
                            " id NOT LIKE 'e1-%'")
                .value_or(-1),
            0);
  Result<std::vector<OutboxEvent>> due = Run(db->Outbox().Due(0, 100));
  ASSERT_TRUE(due);
  EXPECT_EQ(due->size(), 20u);
}

TEST_F(SqliteDatabaseTest, CloseStopsEveryStore) {
  auto db = MustOpen();
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->Ping());
  db->Close();
  db->Close();  // idempotent
  EXPECT_FALSE(db->Ping());
  OutboxEvent event = Event("late", "k");
  Result<void> enqueued = Run(db->Outbox().Enqueue(event));
  ASSERT_FALSE(enqueued);
  EXPECT_EQ(enqueued.error().code, ErrorCode::kUnavailable);
  Result<std::optional<GlobalConfig>> config = Run(db->Settings().GetGlobalConfig());
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kUnavailable);
  Result<void> created = Run(db->Rooms().CreateRoom(MakeRoom("late")));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
}

TEST_F(SqliteDatabaseTest, CorruptSettingsAreAnInternalErrorWithoutDetails) {
  auto db = MustOpen();
  ASSERT_TRUE(db);
  ASSERT_TRUE(Run(db->Settings().PutUser(User{"admin", "$2b$10$secret-hash", {"admin"}})));
  GlobalConfig config;
  config.project_id = "p";
  ASSERT_TRUE(Run(db->Settings().PutGlobalConfig(config)));
  {
    Db raw = RawDb();
    ASSERT_TRUE(raw.Exec("UPDATE users SET roles_json = 'not json $2b$10$secret-hash'"));
    ASSERT_TRUE(raw.Exec("UPDATE global_config SET themes_json = '[{\"name\":1}]'"));
  }
  Result<std::optional<User>> user = Run(db->Settings().GetUser("admin"));
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, ErrorCode::kInternal);
  EXPECT_EQ(user.error().message, "Unexpected error while accessing the store");
  Result<std::optional<GlobalConfig>> stored = Run(db->Settings().GetGlobalConfig());
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace convene::store::sqlite
