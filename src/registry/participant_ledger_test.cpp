// The participant ledger: both stores behave alike (memory and SQLite), the write-behind queue
// reads through what it has not committed yet and commits in order, and the in-process registry
// on a SQLite ledger keeps roles, demotions, bans and grant versions across a restart.
#include "registry/participant_ledger.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "registry/in_process_registry.hpp"
#include "store/memory/memory_participant_ledger_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_participant_ledger_store.hpp"
#include "store/testing/run_sync.hpp"
#include "store/testing/temp_dir.hpp"

namespace convene::registry {
namespace {

using domain::ParticipantRole;
using store::ParticipantLedgerChange;
using store::ParticipantLedgerEntry;

ParticipantLedgerEntry Entry(std::string room, std::string identity, std::int64_t until = 10'000) {
  ParticipantLedgerEntry e;
  e.room_id = std::move(room);
  e.identity = std::move(identity);
  e.name = "Name of " + e.identity;
  e.roles = {ParticipantRole::kModerator, ParticipantRole::kSpeaker};
  e.selected_role = ParticipantRole::kSpeaker;
  e.moderator_secret_holder = true;
  e.grant_version = 4;
  e.usable_until_ms = until;
  return e;
}

class LedgerStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      auto db = store::sqlite::SqliteDatabase::Open(dir_.Path() + "/data");
      ASSERT_TRUE(db) << db.error().message;
      db_ = std::move(*db);
      store_ = &db_->ParticipantLedger();
    } else {
      store_ = &memory_;
    }
  }
  template <class T>
  T Run(boost::asio::awaitable<T> a) {
    return test::RunSync(ioc_, std::move(a));
  }
  std::optional<ParticipantLedgerEntry> Find(const std::string& room, const std::string& identity) {
    auto found = Run(store_->Find(room, identity));
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : std::nullopt;
  }
  void Apply(std::vector<ParticipantLedgerChange> changes) {
    auto applied = Run(store_->Apply(std::move(changes)));
    ASSERT_TRUE(applied) << applied.error().message;
  }

  boost::asio::io_context ioc_;
  test::TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteDatabase> db_;
  store::memory::MemoryParticipantLedgerStore memory_;
  store::ParticipantLedgerStore* store_ = nullptr;
};

TEST_P(LedgerStoreTest, UpsertRoundTripsEveryFieldAndReplaces) {
  ParticipantLedgerEntry e = Entry("r", "Ann-abc");
  e.promoted = true;
  e.demoted = true;
  e.banned = true;
  e.grant_version = 4'294'967'295u;
  e.name = "quo\"te \xF0\x9F\x98\x80";
  Apply({ParticipantLedgerChange::Upsert(e)});
  EXPECT_EQ(Find("r", "Ann-abc"), e);
  e.roles = {ParticipantRole::kSpeaker};
  e.banned = false;
  Apply({ParticipantLedgerChange::Upsert(e)});
  EXPECT_EQ(Find("r", "Ann-abc"), e);
  EXPECT_FALSE(Find("other", "Ann-abc")) << "rows are per room";
}

TEST_P(LedgerStoreTest, ABatchAppliesInOrder) {
  Apply({ParticipantLedgerChange::Upsert(Entry("r", "a")), ParticipantLedgerChange::Remove("r", "a"),
         ParticipantLedgerChange::Upsert(Entry("r", "b")), ParticipantLedgerChange::Remove("r", "b"),
         ParticipantLedgerChange::Upsert(Entry("r", "b"))});
  EXPECT_FALSE(Find("r", "a"));
  EXPECT_TRUE(Find("r", "b"));
}

TEST_P(LedgerStoreTest, EndMeetingLiftsBansMovesGrantVersionsAndDropsBanOnlyRows) {
  ParticipantLedgerEntry banned = Entry("r", "kicked");
  banned.banned = true;
  ParticipantLedgerEntry ban_only = Entry("r", "unknown");
  ban_only.roles.clear();
  ban_only.banned = true;
  Apply({ParticipantLedgerChange::Upsert(banned), ParticipantLedgerChange::Upsert(ban_only),
         ParticipantLedgerChange::Upsert(Entry("other", "kicked"))});
  auto listed = Run(store_->ListBanned(0));
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 2u);
  Apply({ParticipantLedgerChange::EndMeeting("r")});
  auto after = Find("r", "kicked");
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->banned);
  EXPECT_EQ(after->grant_version, 5u);
  EXPECT_FALSE(Find("r", "unknown"));
  EXPECT_EQ(Find("other", "kicked")->grant_version, 4u) << "other rooms are untouched";
  EXPECT_TRUE(Run(store_->ListBanned(0))->empty());
}

TEST_P(LedgerStoreTest, ForgetRoomAndPrune) {
  Apply({ParticipantLedgerChange::Upsert(Entry("r", "a", 100)), ParticipantLedgerChange::Upsert(Entry("r", "b", 900)),
         ParticipantLedgerChange::Upsert(Entry("gone", "c", 900))});
  Apply({ParticipantLedgerChange::ForgetRoom("gone"), ParticipantLedgerChange::Prune(500)});
  EXPECT_FALSE(Find("gone", "c"));
  EXPECT_FALSE(Find("r", "a")) << "no token for it can be used any more";
  EXPECT_TRUE(Find("r", "b"));
  ParticipantLedgerEntry banned = Entry("r", "old", 100);
  banned.banned = true;
  Apply({ParticipantLedgerChange::Upsert(banned)});
  EXPECT_TRUE(Run(store_->ListBanned(500))->empty()) << "an expired ban is not loaded";
}

INSTANTIATE_TEST_SUITE_P(Stores, LedgerStoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sqlite" : "Memory"; });

// A store whose commits wait until the test lets them through, to look at the queue meanwhile.
class GatedStore final : public store::ParticipantLedgerStore {
 public:
  explicit GatedStore(boost::asio::io_context& ioc) : gate_(ioc, boost::asio::steady_timer::time_point::max()) {}
  boost::asio::awaitable<Result<std::optional<ParticipantLedgerEntry>>> Find(std::string_view room,
                                                                             std::string_view identity) override {
    co_return co_await inner_.Find(room, identity);
  }
  boost::asio::awaitable<Result<std::vector<ParticipantLedgerEntry>>> ListBanned(std::int64_t now) override {
    co_return co_await inner_.ListBanned(now);
  }
  boost::asio::awaitable<Result<void>> Apply(std::vector<ParticipantLedgerChange> changes) override {
    ++batches;
    if (closed) {
      boost::system::error_code ec;
      co_await gate_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    co_return co_await inner_.Apply(std::move(changes));
  }
  void Open() {
    closed = false;
    gate_.cancel();
  }

  bool closed = true;
  int batches = 0;
  store::memory::MemoryParticipantLedgerStore inner_;

 private:
  boost::asio::steady_timer gate_;
};

// Runs `a` on `ioc` until it is done (the gate's timer is work that never ends by itself, so
// test::RunSync, which runs until the io_context is out of work, would not return).
template <class T>
T RunUntilDone(boost::asio::io_context& ioc, boost::asio::awaitable<T> a) {
  auto future = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
  ioc.restart();
  while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
  return future.get();
}

TEST(ParticipantLedgerTest, ReadsThroughUncommittedChangesAndCommitsThemInOrderInFewBatches) {
  boost::asio::io_context ioc;
  GatedStore store(ioc);
  ParticipantLedger ledger(store, ioc.get_executor());
  ParticipantLedgerEntry stored = Entry("r", "stored");
  ASSERT_TRUE(RunUntilDone(ioc, store.inner_.Apply({ParticipantLedgerChange::Upsert(stored)})));

  ledger.Record(ParticipantLedgerChange::Upsert(Entry("r", "a")));
  ioc.poll();  // the flusher takes the first change and waits at the closed gate
  for (int i = 0; i < 50; ++i) ledger.Record(ParticipantLedgerChange::Upsert(Entry("r", "n" + std::to_string(i))));
  ledger.Record(ParticipantLedgerChange::Remove("r", "a"));
  ledger.Record(ParticipantLedgerChange::EndMeeting("r"));

  auto a = RunUntilDone(ioc, ledger.Find("r", "a"));
  ASSERT_TRUE(a);
  EXPECT_FALSE(*a) << "a queued removal hides the row";
  auto n = RunUntilDone(ioc, ledger.Find("r", "n7"));
  ASSERT_TRUE(n && *n);
  EXPECT_EQ((*n)->grant_version, 5u) << "the queued end of meeting applies to queued rows";
  auto s = RunUntilDone(ioc, ledger.Find("r", "stored"));
  ASSERT_TRUE(s && *s);
  EXPECT_EQ((*s)->grant_version, 5u) << "...and to committed rows read through the queue";
  EXPECT_TRUE(store.inner_.Size() == 1) << "nothing committed while the gate is closed";

  store.Open();
  ASSERT_TRUE(RunUntilDone(ioc, ledger.Flush()));
  EXPECT_LE(store.batches, 2) << "everything queued behind the first batch commits as one";
  EXPECT_EQ(store.inner_.Size(), 51u);
  auto committed = RunUntilDone(ioc, store.inner_.Find("r", "n49"));
  EXPECT_EQ((*committed)->grant_version, 5u);
}

TEST(ParticipantLedgerTest, PersistReturnsOnlyOnceTheChangeIsInTheStore) {
  boost::asio::io_context ioc;
  GatedStore store(ioc);
  store.Open();
  ParticipantLedger ledger(store, ioc.get_executor());
  ParticipantLedgerEntry e = Entry("r", "kicked");
  e.banned = true;
  ASSERT_TRUE(RunUntilDone(ioc, ledger.Persist(ParticipantLedgerChange::Upsert(e))));
  auto stored = RunUntilDone(ioc, store.inner_.Find("r", "kicked"));
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->banned);
}

AdmissionRequest Moderator(std::string name, std::int64_t now) {
  AdmissionRequest r;
  r.room_id = "room";
  r.name = std::move(name);
  r.role = ParticipantRole::kModerator;
  r.now_ms = now;
  r.usable_until_ms = now + 3'600'000;
  r.identity_suffix = "abcdefghijkl";
  return r;
}

TEST(InProcessRegistryDurability, RolesDemotionsAndBansSurviveARestartOnTheSameDatabase) {
  test::TempDir dir;
  const std::string data = dir.Path() + "/data";
  std::string demoted_id;
  std::string kicked_id;
  {
    boost::asio::io_context ioc;
    auto db = store::sqlite::SqliteDatabase::Open(data);
    ASSERT_TRUE(db);
    InProcessRegistry registry((*db)->ParticipantLedger(), ioc.get_executor());
    auto carl = test::RunSync(ioc, registry.Admit(Moderator("Carl", 1000)));
    ASSERT_TRUE(carl);
    demoted_id = carl->identity;
    ASSERT_TRUE(test::RunSync(ioc, registry.MarkJoined("room", demoted_id, "Carl", 1100)));
    auto demoted = test::RunSync(ioc, registry.SetRole("room", demoted_id, ParticipantRole::kSpeaker));
    ASSERT_TRUE(demoted && *demoted);
    auto kim = Moderator("Kim", 1000);
    kim.identity_suffix = "mnopqrstuvwx";
    auto kicked = test::RunSync(ioc, registry.Admit(kim));
    ASSERT_TRUE(kicked);
    kicked_id = kicked->identity;
    ASSERT_TRUE(test::RunSync(ioc, registry.Ban("room", kicked_id, 1200)));
    // No flush here: the role change and the ban were durable when their calls returned.
  }
  boost::asio::io_context ioc;
  auto db = store::sqlite::SqliteDatabase::Open(data);
  ASSERT_TRUE(db);
  InProcessRegistry registry((*db)->ParticipantLedger(), ioc.get_executor());
  ASSERT_TRUE(test::RunSync(ioc, registry.LoadBans(1300)));
  EXPECT_TRUE(*test::RunSync(ioc, registry.IsBanned("room", kicked_id)));
  auto carl = test::RunSync(ioc, registry.Get("room", demoted_id));
  ASSERT_TRUE(carl && *carl);
  EXPECT_EQ((*carl)->presence, Presence::kDeparted);
  EXPECT_TRUE((*carl)->demoted);
  auto again = Moderator("Carl", 1400);
  again.owned_identity = demoted_id;
  auto back = test::RunSync(ioc, registry.Admit(again));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->roles, (std::vector{ParticipantRole::kSpeaker})) << "the moderator secret cannot undo it";
  auto refused = test::RunSync(ioc, registry.MarkJoined("room", kicked_id, "Kim", 1500));
  ASSERT_TRUE(refused);
  EXPECT_FALSE(*refused);
}

}  // namespace
}  // namespace convene::registry
