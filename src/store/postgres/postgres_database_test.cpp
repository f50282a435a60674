// PostgreSQL-specific behaviour: start-up errors, migrations, concurrency across instances, lost
// connections and recovery. The behaviour shared with SQLite and the fake is in the conformance
// suites (src/store/*_conformance_test.cpp). Needs CONVENE_TEST_PG_URL (`make unit-test`).

#include "store/postgres/postgres_database.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "domain/room.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_schema.hpp"
#include "store/postgres/pg_test_support.hpp"
#include "store/postgres/postgres_outbox_store.hpp"
#include "store/postgres/postgres_room_store.hpp"
#include "store/postgres/postgres_settings_store.hpp"
#include "store/store_errors.hpp"
#include "store/testing/run_sync.hpp"

namespace convene::store::postgres {
namespace {

namespace asio = boost::asio;
using domain::Room;
using std::chrono::milliseconds;

Room MakeRoom(std::string id) {
  Room room;
  room.room_name = "Room " + id;
  room.room_id = std::move(id);
  room.creation_date = 1'700'000'000'000;
  room.moderator_secret = "mod-" + room.room_id;
  room.speaker_secret = "spk-" + room.room_id;
  room.config.max_participants = 0;
  return room;
}

// ----- parameters and messages (no server needed) -----

TEST(PgConnectParams, MalformedUrlErrorNeverContainsThePassword) {
  for (const char* url : {"postgresql://convene:Sup3rS3cret@127.0.0.1:5432/db?nonsense=1",
                          "postgresql://convene:Sup3rS3cret@127.0.0.1:5432/db?sslmode=bogus&x",
                          "postgresql://convene:Sup3r%53ecret@[::1/db",
                          "host=127.0.0.1 password=Sup3rS3cret port"}) {
    Result<PgConnectParams> params = PgConnectParams::Parse(url, milliseconds(1000));
    ASSERT_FALSE(params) << url;
    EXPECT_EQ(params.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(params.error().message.find("Sup3rS3cret"), std::string::npos)
        << params.error().message;
    EXPECT_EQ(params.error().message.find("Sup3r%53ecret"), std::string::npos)
        << params.error().message;
  }
}

TEST(PgConnectParams, DescribeNamesTheServerButNotThePassword) {
  Result<PgConnectParams> params = PgConnectParams::Parse(
      "postgresql://convene:Sup3rS3cret@db.example:6543/meet?sslmode=disable", milliseconds(250));
  ASSERT_TRUE(params) << params.error().message;
  EXPECT_EQ(params->Describe(), "host=db.example port=6543 dbname=meet user=convene");
  EXPECT_EQ(params->Scrub("x Sup3rS3cret y"), "x *** y");
  EXPECT_EQ(params->ClientStatementTimeout(), milliseconds(750));
}

TEST(PgConnectParams, KeepsTheCallersOptionsAndAddsTheStatementTimeout) {
  Result<PgConnectParams> params = PgConnectParams::Parse(
      "postgresql://u@h/d?options=-csearch_path%3Dconvene", milliseconds(1234));
  ASSERT_TRUE(params) << params.error().message;
  std::optional<std::string> options;
  for (std::size_t i = 0; i < params->Keywords().size(); ++i) {
    if (params->Keywords()[i] == "options") options = params->Values()[i];
  }
  EXPECT_EQ(options, "-csearch_path=convene -c statement_timeout=1234");
}

// ----- against a server -----

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<std::string> url = test::TestPostgresUrl();
    if (!url) GTEST_SKIP() << test::kNoPostgresMessage;
    url_ = *url;
    schema_ = test::PgTestSchema::Create(ioc_, url_);
    ASSERT_NE(schema_, nullptr);
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    return test::RunSync(ioc_, std::move(awaitable));
  }

  /// Runs the io_context on `threads` threads until it is out of work.
  void RunAll(int threads = 1) {
    ioc_.restart();  // an earlier run() returned for lack of work
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (std::thread& thread : pool) thread.join();
  }

  PostgresOptions Options() const {
    PostgresOptions options;
    options.url = schema_->Url();
    options.pool_size = 4;
    return options;
  }

  std::unique_ptr<PostgresDatabase> MustOpen(PostgresOptions options) {
    auto db = Run(PostgresDatabase::Open(ioc_.get_executor(), std::move(options)));
    EXPECT_TRUE(db) << db.error().message;
    return db ? std::move(*db) : nullptr;
  }

  Result<std::unique_ptr<PostgresDatabase>> OpenUrl(std::string url) {
    PostgresOptions options;
    options.url = std::move(url);
    options.connect_timeout = milliseconds(3000);
    return Run(PostgresDatabase::Open(ioc_.get_executor(), options));
  }

  std::string url_;
  asio::io_context ioc_;
  std::unique_ptr<test::PgTestSchema> schema_;  // destroyed before ioc_
};

TEST_F(PostgresDatabaseTest, UnreachableServerFailsNamingHostPortAndDatabaseButNotThePassword) {
  auto db = OpenUrl("postgresql://convene:Sup3rS3cret@127.0.0.1:1/somedb");
  ASSERT_FALSE(db);
  const std::string& message = db.error().message;
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
  EXPECT_NE(message.find("port=1 "), std::string::npos) << message;
  EXPECT_NE(message.find("somedb"), std::string::npos) << message;
  EXPECT_NE(message.find("refused"), std::string::npos) << message;
  EXPECT_EQ(message.find("Sup3rS3cret"), std::string::npos) << message;
}

TEST_F(PostgresDatabaseTest, WrongPasswordFailsWithTheCauseButNotThePassword) {
  // Swap the test URL's password for a wrong one.
  const std::size_t scheme = url_.find("://");
  const std::size_t at = url_.find('@', scheme);
  const std::size_t colon = url_.find(':', scheme + 3);
  ASSERT_TRUE(scheme != std::string::npos && at != std::string::npos && colon < at)
      << "CONVENE_TEST_PG_URL must be postgresql://user:password@host:port/db";
  const std::string url = url_.substr(0, colon + 1) + "Wr0ngPassw0rd" + url_.substr(at);
  auto db = OpenUrl(url);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(db.error().message.find("password authentication failed"), std::string::npos)
      << db.error().message;
  EXPECT_EQ(db.error().message.find("Wr0ngPassw0rd"), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("dbname="), std::string::npos) << db.error().message;
}

TEST_F(PostgresDatabaseTest, HostNamesAreResolvedWithoutBlocking) {
  // "localhost" instead of the test server's address: resolved by Asio, every address tried.
  PostgresOptions options = Options();
  const std::size_t host = options.url.find("127.0.0.1");
  if (host == std::string::npos) GTEST_SKIP() << "the test URL does not use 127.0.0.1";
  options.url.replace(host, 9, "localhost");
  auto db = MustOpen(options);
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(Run(db->Ping()));

  auto unknown = OpenUrl("postgresql://convene:Sup3rS3cret@no-such-host.invalid:5432/db");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(unknown.error().message.find("no-such-host.invalid"), std::string::npos)
      << unknown.error().message;
  EXPECT_EQ(unknown.error().message.find("Sup3rS3cret"), std::string::npos);
}

TEST_F(PostgresDatabaseTest, OpenMigratesOnceAndReopensTheSameSchema) {
  {
    auto db = MustOpen(Options());
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(Run(db->Rooms().CreateRoom(MakeRoom("kept"))));
    EXPECT_TRUE(Run(db->Ping()));
  }
  auto db = MustOpen(Options());
  ASSERT_NE(db, nullptr);
  auto room = Run(db->Rooms().GetRoom("kept"));
  ASSERT_TRUE(room && *room);
  auto versions = Run(schema_->Admin().Query(
      "SELECT count(*)::integer, max(version) FROM schema_migrations", PgParams(),
      StatementKind::kRead, PgClock::now() + std::chrono::seconds(5)));
  ASSERT_TRUE(versions) << versions.error().message;
  EXPECT_EQ(versions->Int32(0, 0), PgLatestSchemaVersion());
  EXPECT_EQ(versions->Int32(0, 1), PgLatestSchemaVersion());
}

TEST_F(PostgresDatabaseTest, InstancesStartingAtOnceMigrateOnce) {
  // Four Opens interleaved on one io_context: each waits for the advisory lock in turn.
  std::vector<std::future<Result<std::unique_ptr<PostgresDatabase>>>> opening;
  for (int i = 0; i < 4; ++i) {
    opening.push_back(asio::co_spawn(ioc_, PostgresDatabase::Open(ioc_.get_executor(), Options()),
                                     asio::use_future));
  }
  RunAll();
  for (auto& future : opening) {
    auto db = future.get();
    EXPECT_TRUE(db) << db.error().message;
  }
}

TEST_F(PostgresDatabaseTest, NewerSchemaIsRefused) {
  ASSERT_NE(MustOpen(Options()), nullptr);
  ASSERT_TRUE(schema_->Exec("INSERT INTO schema_migrations (version, description) VALUES (" +
                            std::to_string(PgLatestSchemaVersion() + 1) + ", 'from the future')"));
  auto db = Run(PostgresDatabase::Open(ioc_.get_executor(), Options()));
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("newer than this build"), std::string::npos)
      << db.error().message;
}

TEST_F(PostgresDatabaseTest, VerifyOnlyOpenNeverCreatesOrMigratesASchema) {
  PostgresOptions verify_only = Options();
  verify_only.migrate = false;
  // An empty schema: no Convene store there, and the check leaves it empty.
  auto missing = Run(PostgresDatabase::Open(ioc_.get_executor(), verify_only));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("no Convene schema"), std::string::npos)
      << missing.error().message;
  auto tables = Run(schema_->Admin().Query(
      "SELECT count(*)::integer FROM information_schema.tables WHERE table_schema = $1::text",
      PgParams().Bytes(schema_->Name()), StatementKind::kRead,
      PgClock::now() + std::chrono::seconds(5)));
  ASSERT_TRUE(tables) << tables.error().message;
  EXPECT_EQ(tables->Int32(0, 0), 0);

  ASSERT_NE(MustOpen(Options()), nullptr);  // migrated
  EXPECT_NE(MustOpen(verify_only), nullptr);
  // A schema one step behind (or ahead) is not this build's: refused, unchanged.
  ASSERT_TRUE(schema_->Exec("DELETE FROM schema_migrations WHERE version = " +
                            std::to_string(PgLatestSchemaVersion())));
  auto behind = Run(PostgresDatabase::Open(ioc_.get_executor(), verify_only));
  ASSERT_FALSE(behind);
  EXPECT_NE(behind.error().message.find("schema version"), std::string::npos)
      << behind.error().message;
}

TEST_F(PostgresDatabaseTest, ClosedDatabaseIsUnavailable) {
  auto db = MustOpen(Options());
  ASSERT_NE(db, nullptr);
  db->Close();
  EXPECT_FALSE(Run(db->Ping()));
  auto room = Run(db->Rooms().GetRoom("x"));
  ASSERT_FALSE(room);
  EXPECT_EQ(room.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(room.error().message, StoreUnavailable().message);
}

// 200 concurrent read-modify-writes of one room through two instances (two pools, as two
// servers would), on four threads: SELECT ... FOR UPDATE serialises them, so none is lost.
TEST_F(PostgresDatabaseTest, ConcurrentUpdatesOfOneRoomFromTwoInstancesAreSerialised) {
  auto first = MustOpen(Options());
  auto second = MustOpen(Options());
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(Run(first->Rooms().CreateRoom(MakeRoom("counter"))));

  constexpr int kUpdates = 200;
  std::atomic<int> succeeded{0};
  std::atomic<int> failed{0};
  auto increment = [](Room& room) -> Result<UpdateAction> {
    room.config.max_participants = *room.config.max_participants + 1;
    return UpdateAction::kSave;
  };
  for (int i = 0; i < kUpdates; ++i) {
    RoomStore& rooms = i % 2 == 0 ? static_cast<RoomStore&>(first->Rooms()) : second->Rooms();
    asio::co_spawn(ioc_, rooms.UpdateRoom("counter", increment),
                   [&](std::exception_ptr thrown, Result<std::optional<Room>> updated) {
                     if (!thrown && updated && *updated) {
                       ++succeeded;
                     } else {
                       ++failed;
                     }
                   });
  }
  RunAll(4);

  EXPECT_EQ(succeeded.load(), kUpdates);
  EXPECT_EQ(failed.load(), 0);
  auto room = Run(first->Rooms().GetRoom("counter"));
  ASSERT_TRUE(room && *room);
  EXPECT_EQ((*room)->config.max_participants, static_cast<std::uint32_t>(kUpdates));
  EXPECT_LE(first->PoolStats().open, 4u);
}

// One instance records events of one ordering key while another delivers them as they become
// due: the key locks keep exactly one head per key, so every event is delivered, in order, and
// none is left stranded behind a finished head.
TEST_F(PostgresDatabaseTest, EventsRecordedWhileAnotherInstanceDeliversAreNeverStranded) {
  auto producer = MustOpen(Options());
  auto deliverer = MustOpen(Options());
  ASSERT_TRUE(producer && deliverer);
  constexpr int kEvents = 150;
  std::vector<std::string> delivered;
  bool produced = false;
  auto produce = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < kEvents; ++i) {
      OutboxEvent event;
      event.id = "e" + std::to_string(i);
      event.ordering_key = "room-k";
      event.event_type = "meetingStarted";
      event.body = "{}";
      event.created_at_ms = i;
      Result<void> enqueued = co_await producer->Outbox().Enqueue(event);
      EXPECT_TRUE(enqueued) << enqueued.error().message;
    }
    produced = true;
  };
  auto deliver = [&]() -> asio::awaitable<void> {
    asio::steady_timer idle(ioc_);
    for (int rounds = 0; rounds < 20'000 && static_cast<int>(delivered.size()) < kEvents;
         ++rounds) {
      // Read before the query: only a query sent after the last event committed may conclude
      // anything (one sent earlier can skip a key the producer still holds locked).
      const bool all_committed = produced;
      Result<std::vector<OutboxEvent>> due = co_await deliverer->Outbox().Due(1, 10);
      EXPECT_TRUE(due) << due.error().message;
      if (!due) co_return;
      if (due->empty()) {
        if (all_committed) {  // nothing due although not all were delivered: stranded
          Result<std::vector<OutboxEvent>> pending =
              co_await deliverer->Outbox().List(OutboxEvent::Status::kPending, 1000);
          if (pending && !pending->empty()) {
            ADD_FAILURE() << pending->size() << " pending events, none due";
            co_return;
          }
        }
        idle.expires_after(milliseconds(1));
        co_await idle.async_wait(asio::use_awaitable);
        continue;
      }
      for (const OutboxEvent& event : *due) {
        Result<void> marked = co_await deliverer->Outbox().MarkDelivered(event.id, 1);
        EXPECT_TRUE(marked) << marked.error().message;
        delivered.push_back(event.id);
      }
    }
  };
  asio::co_spawn(ioc_, produce, asio::detached);
  asio::co_spawn(ioc_, deliver, asio::detached);
  RunAll();
  ASSERT_EQ(static_cast<int>(delivered.size()), kEvents);
  for (int i = 0; i < kEvents; ++i) EXPECT_EQ(delivered[static_cast<std::size_t>(i)], "e" + std::to_string(i));
  auto next = Run(deliverer->Outbox().NextDueAt());
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, std::nullopt);
}

TEST_F(PostgresDatabaseTest, TerminatedIdleConnectionsAreReplacedTransparently) {
  auto db = MustOpen(Options());
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(Run(db->Rooms().CreateRoom(MakeRoom("r"))));
  auto terminated = schema_->TerminateSessions();
  ASSERT_TRUE(terminated) << terminated.error().message;
  EXPECT_GE(*terminated, 1);
  // Reads and writes after the server ended the sessions: the pool notices and reconnects.
  for (int i = 0; i < 5; ++i) {
    auto room = Run(db->Rooms().GetRoom("r"));
    ASSERT_TRUE(room) << room.error().message;
    EXPECT_TRUE(*room);
  }
  EXPECT_TRUE(Run(db->Rooms().CreateRoom(MakeRoom("r2"))));
  EXPECT_TRUE(Run(db->Ping()));
  EXPECT_GE(db->PoolStats().connects, 2u);
}

// A write blocked in the server when its session is killed has an unknown outcome: 503, not
// retried. Once the server is reachable again the next calls succeed.
TEST_F(PostgresDatabaseTest, ConnectionLostMidWriteIsUnavailableThenRecovers) {
  auto db = MustOpen(Options());
  ASSERT_NE(db, nullptr);
  // An uncommitted insert of the same key makes CreateRoom("blocked") wait inside the server.
  ASSERT_TRUE(schema_->Exec(
      "BEGIN; INSERT INTO rooms VALUES (convert_to('blocked', 'UTF8'), ''::bytea, 0, NULL,"
      " 'force', 'close', true, NULL, true, true, NULL, ''::bytea, ''::bytea, 'open', 'none')"));

  const Room room = MakeRoom("blocked");
  std::optional<Result<void>> created;
  asio::co_spawn(ioc_, db->Rooms().CreateRoom(room),
                 [&](std::exception_ptr, Result<void> result) { created = std::move(result); });
  std::optional<Result<int>> terminated;
  auto kill = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(ioc_, milliseconds(300));
    co_await timer.async_wait(asio::use_awaitable);
    terminated = co_await schema_->TerminateSessionsAsync();
  };
  asio::co_spawn(ioc_, kill, asio::detached);
  RunAll();
  ASSERT_TRUE(terminated && *terminated) << (terminated ? terminated->error().message : "");
  ASSERT_TRUE(created);
  ASSERT_FALSE(*created);
  EXPECT_EQ(created->error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(created->error().message, StoreUnavailable().message);

  ASSERT_TRUE(schema_->Exec("ROLLBACK"));
  auto again = Run(db->Rooms().CreateRoom(room));
  EXPECT_TRUE(again) << again.error().message;
  auto stored = Run(db->Rooms().GetRoom("blocked"));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(**stored, room);
}

// A read blocked when its session is killed is retried on a fresh connection.
TEST_F(PostgresDatabaseTest, ConnectionLostMidTransactionBeforeCommitIsRetried) {
  auto db = MustOpen(Options());
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(Run(db->Rooms().CreateRoom(MakeRoom("locked"))));
  ASSERT_TRUE(schema_->Exec(
      "BEGIN; SELECT 1 FROM rooms WHERE room_id = convert_to('locked', 'UTF8') FOR UPDATE"));

  int calls = 0;
  std::optional<Result<std::optional<Room>>> updated;
  auto rename = [&calls](Room& room) -> Result<UpdateAction> {
    ++calls;
    room.room_name = "renamed";
    return UpdateAction::kSave;
  };
  asio::co_spawn(ioc_, db->Rooms().UpdateRoom("locked", rename),
                 [&](std::exception_ptr, Result<std::optional<Room>> result) {
                   updated = std::move(result);
                 });
  auto kill_then_release = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(ioc_, milliseconds(300));
    co_await timer.async_wait(asio::use_awaitable);
    Result<int> killed = co_await schema_->TerminateSessionsAsync();
    EXPECT_TRUE(killed && *killed >= 1);
    timer.expires_after(milliseconds(300));  // the retry now waits for the lock in turn
    co_await timer.async_wait(asio::use_awaitable);
    auto released = co_await schema_->Admin().ExecuteScript(
        "ROLLBACK", StatementKind::kRead, PgClock::now() + std::chrono::seconds(5));
    EXPECT_TRUE(released);
  };
  asio::co_spawn(ioc_, kill_then_release, asio::detached);
  RunAll();
  ASSERT_TRUE(updated);
  ASSERT_TRUE(*updated) << updated->error().message;
  ASSERT_TRUE(**updated);
  EXPECT_EQ(calls, 1);  // the killed attempt never got the row
  EXPECT_EQ((***updated).room_name, "renamed");
}

TEST_F(PostgresDatabaseTest, StatementTimeoutIsUnavailableAndKeepsTheConnection) {
  PostgresOptions options = Options();
  options.statement_timeout = milliseconds(300);
  options.pool_size = 1;
  auto db = MustOpen(options);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(Run(db->Rooms().CreateRoom(MakeRoom("slow"))));
  ASSERT_TRUE(schema_->Exec(
      "BEGIN; SELECT 1 FROM rooms WHERE room_id = convert_to('slow', 'UTF8') FOR UPDATE"));
  auto touch = [](Room&) -> Result<UpdateAction> { return UpdateAction::kSave; };
  const auto started = std::chrono::steady_clock::now();
  auto updated = Run(db->Rooms().UpdateRoom("slow", touch));
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kUnavailable);
  EXPECT_LT(waited, std::chrono::seconds(3));
  ASSERT_TRUE(schema_->Exec("ROLLBACK"));
  EXPECT_TRUE(Run(db->Rooms().UpdateRoom("slow", touch)));
  EXPECT_EQ(db->PoolStats().discarded, 0u);  // the server cancelled; the connection stayed good
}

TEST_F(PostgresDatabaseTest, WaitersQueueForASmallPool) {
  PostgresOptions options = Options();
  options.pool_size = 2;
  auto db = MustOpen(options);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(Run(db->Rooms().CreateRoom(MakeRoom("q"))));
  std::atomic<int> ok{0};
  for (int i = 0; i < 50; ++i) {
    asio::co_spawn(ioc_, db->Rooms().GetRoom("q"),
                   [&](std::exception_ptr, Result<std::optional<Room>> room) {
                     if (room && *room) ++ok;
                   });
  }
  RunAll();
  EXPECT_EQ(ok.load(), 50);
  const PostgresPoolStats stats = db->PoolStats();
  EXPECT_LE(stats.open, 2u);
  EXPECT_EQ(stats.waiting, 0u);
  EXPECT_EQ(stats.connect_failures, 0u);
  EXPECT_EQ(stats.discarded, 0u);
}

// Not a benchmark (Debug build, one shared CI server), but a sanity figure for the log.
TEST_F(PostgresDatabaseTest, ThroughputFigures) {
  PostgresOptions options = Options();
  options.pool_size = 8;
  auto db = MustOpen(options);
  ASSERT_NE(db, nullptr);
  std::vector<std::string> ids;  // the calls view them until they run
  for (int i = 0; i < 64; ++i) {
    ids.push_back("t" + std::to_string(i));
    ASSERT_TRUE(Run(db->Rooms().CreateRoom(MakeRoom(ids.back()))));
  }
  auto measure = [&](const char* what, int total, auto make_op) {
    std::atomic<int> ok{0};
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < total; ++i) {
      asio::co_spawn(ioc_, make_op(i), [&](std::exception_ptr thrown, auto result) {
        if (!thrown && result) ++ok;
      });
    }
    RunAll(2);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_EQ(ok.load(), total) << what;
    std::printf("[ figures  ] %s: %d in %.3f s = %.0f/s\n", what, total, seconds, total / seconds);
  };
  auto touch = [](Room& room) -> Result<UpdateAction> {
    room.config.max_participants = *room.config.max_participants + 1;
    return UpdateAction::kSave;
  };
  measure("GetRoom", 4000, [&](int i) { return db->Rooms().GetRoom(ids[i % 64]); });
  measure("UpdateRoom (64 rooms)", 2000,
          [&](int i) { return db->Rooms().UpdateRoom(ids[i % 64], touch); });
}

}  // namespace
}  // namespace convene::store::postgres
