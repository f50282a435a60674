// Read-path micro-benchmarks of SqliteRoomStore on a 100 000-room database: a point lookup and a
// 100-room ListRooms page (keyset pagination), driven from a coroutine exactly as a request
// handler would call them. Writes are not measured here: each is an fsync (synchronous=FULL),
// so their cost is the disk's.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "domain/room.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/testing/run_sync.hpp"
#include "store/testing/temp_dir.hpp"

namespace convene::store::sqlite {
namespace {

constexpr int kRooms = 100'000;

std::string RoomId(int i) {
  char id[32];
  std::snprintf(id, sizeof id, "room-%06d", i);
  return id;
}

domain::Room TemplateRoom() {
  domain::Room room;
  room.room_id = RoomId(0);
  room.room_name = "Weekly planning";
  room.creation_date = 1'700'000'000'000;
  room.auto_deletion_date = 1'800'000'000'000;
  room.config.max_participants = 50;
  room.moderator_secret = "2f1c9a7be04d51";
  room.speaker_secret = "9b03e6d2a7c814";
  return room;
}

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "benchmark set-up failed: %s\n", what);
    std::abort();
  }
}

/// One populated database shared by every benchmark (built on first use, ~1 s).
class Database {
 public:
  static Database& Get() {
    static Database database;
    return database;
  }

  SqliteRoomStore& Store() { return *store_; }

 private:
  Database() {
    {
      auto store = SqliteRoomStore::Open(dir_.Path());
      Check(store.has_value(), "open");
      asio::io_context ioc;
      const domain::Room room = TemplateRoom();
      Check(test::RunSync(ioc, (*store)->CreateRoom(room)).has_value(), "create template room");
    }
    // 100 000 CreateRoom calls would be 100 000 fsyncs; clone the template row in one
    // transaction instead, through a second connection (only room_id is schema-specific here).
    {
      Result<Db> db = Db::Open(dir_.Path() + "/convene.db", OpenMode::kReadWriteCreate);
      Check(db.has_value(), "raw open");
      Check(db->Exec("BEGIN; CREATE TEMP TABLE template AS SELECT * FROM rooms;").has_value(),
            "template");
      Result<Statement> rename = db->Prepare("UPDATE template SET room_id = ?1");
      Result<Statement> insert = db->Prepare("INSERT INTO rooms SELECT * FROM template");
      Check(rename && insert, "prepare");
      for (int i = 1; i < kRooms; ++i) {
        const std::string id = RoomId(i);
        Check(rename->Bind(1, std::string_view(id)) && rename->Run(), "rename");
        rename->Reset();
        Check(insert->Run().has_value(), "insert");
        insert->Reset();
      }
      Check(db->Exec("COMMIT").has_value(), "commit");
    }
    auto store = SqliteRoomStore::Open(dir_.Path());
    Check(store.has_value(), "reopen");
    store_ = std::move(*store);
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteRoomStore> store_;
};

/// Ids visited in a scattered order, so that lookups do not just walk the B-tree's hot path.
std::vector<std::string> ScatteredIds(int count) {
  std::vector<std::string> ids;
  ids.reserve(count);
  for (int i = 0; i < count; ++i) ids.push_back(RoomId(static_cast<int>((i * 7919L) % kRooms)));
  return ids;
}

void BM_GetRoom(benchmark::State& state) {
  SqliteRoomStore& store = Database::Get().Store();
  const std::vector<std::string> ids = ScatteredIds(4096);
  asio::io_context ioc;
  // The whole loop runs inside one coroutine, so the numbers include the awaitable machinery of
  // a call but not the cost of spawning a coroutine per iteration.
  test::RunSync(ioc, [&]() -> asio::awaitable<void> {
    std::size_t i = 0;
    for (auto _ : state) {
      auto room = co_await store.GetRoom(ids[i++ % ids.size()]);
      if (!room || !*room) {
        state.SkipWithError("GetRoom failed");
        break;
      }
      benchmark::DoNotOptimize(room);
    }
  });
}
BENCHMARK(BM_GetRoom);

void ListPages(benchmark::State& state, std::string_view prefix, int first, int span) {
  SqliteRoomStore& store = Database::Get().Store();
  std::vector<std::string> cursors;
  for (int i = 0; i < 1024; ++i) cursors.push_back(RoomId(first + (i * 7919) % (span - 200)));
  asio::io_context ioc;
  test::RunSync(ioc, [&]() -> asio::awaitable<void> {
    std::size_t i = 0;
    for (auto _ : state) {
      auto page = co_await store.ListRooms(prefix, cursors[i++ % cursors.size()], 100);
      if (!page || page->rooms.size() != 100 || !page->truncated) {
        state.SkipWithError("ListRooms returned an unexpected page");
        break;
      }
      benchmark::DoNotOptimize(page);
    }
  });
  state.SetItemsProcessed(state.iterations() * 100);
}

void BM_ListRoomsPage100(benchmark::State& state) { ListPages(state, "", 0, kRooms); }
BENCHMARK(BM_ListRoomsPage100);

// Same page size under a prefix that covers 10 000 of the rooms ("room-04xxxx").
void BM_ListRoomsPage100WithPrefix(benchmark::State& state) {
  ListPages(state, "room-04", 40'000, 10'000);
}
BENCHMARK(BM_ListRoomsPage100WithPrefix);

}  // namespace
}  // namespace convene::store::sqlite

// main() comes from benchmark::benchmark_main.
