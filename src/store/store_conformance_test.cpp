// One behavioural suite for every RoomStore implementation: the in-memory fake must behave like
// the real stores, or tests written against the fake prove nothing.

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "domain/room.hpp"
#include "store/outbox_store.hpp"
#include "store/room_store.hpp"
#include "store/testing/run_sync.hpp"
#include "store/testing/sample_room.hpp"
#include "store/testing/store_factories.hpp"
#include "store/testing/temp_dir.hpp"

namespace convene::store {
namespace {

using domain::Room;

Room MakeRoom(std::string id) { return test::SampleRoom(std::move(id)); }

/// Every field away from its default, optionals present, values at their limits.
Room FullRoom(std::string id) {
  Room room;
  room.room_id = std::move(id);
  room.room_name = "\xC3\x9Cn\xC3\xAF 'quoted' \"name\"; DROP TABLE rooms;--";
  room.creation_date = std::numeric_limits<std::int64_t>::min();
  room.auto_deletion_date = std::numeric_limits<std::int64_t>::max();
  room.auto_deletion_policy = {domain::WithMeetingPolicy::kForce,
                               domain::WithRecordingsPolicy::kFail};
  room.config.recording_enabled = false;
  room.config.recording_allow_access_to = domain::RecordingAccess::kAdmin;
  room.config.chat_enabled = false;
  room.config.virtual_background_enabled = false;
  room.config.max_participants = std::numeric_limits<std::uint32_t>::max();
  room.moderator_secret = "m0d-s3cr3t";
  room.speaker_secret = "spk-s3cr3t";
  room.status = domain::RoomStatus::kActiveMeeting;
  room.meeting_end_action = domain::MeetingEndAction::kDelete;
  return room;
}

void ExpectSameError(const Error& actual, const Error& expected) {
  EXPECT_EQ(actual.code, expected.code);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.message, expected.message);
  EXPECT_EQ(actual.reason, expected.reason);
  ASSERT_EQ(actual.details.size(), expected.details.size());
  for (std::size_t i = 0; i < expected.details.size(); ++i) {
    EXPECT_EQ(actual.details[i].field, expected.details[i].field);
    EXPECT_EQ(actual.details[i].message, expected.details[i].message);
  }
}

template <class Factory>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stores_ = Factory::Make(dir_.Path(), ioc_);
    if (this->IsSkipped()) return;  // the backend is not available (PostgreSQL without a server)
    store_ = stores_.rooms;
    ASSERT_NE(store_, nullptr);
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    return test::RunSync(ioc_, std::move(awaitable));
  }

  void MustCreate(const Room& room) {
    Result<void> created = Run(store_->CreateRoom(room));
    ASSERT_TRUE(created) << room.room_id << ": " << created.error().message;
  }

  std::optional<Room> Get(const std::string& id) {
    Result<std::optional<Room>> room = Run(store_->GetRoom(id));
    EXPECT_TRUE(room) << room.error().message;
    return room ? *room : std::nullopt;
  }

  RoomPage List(std::string_view prefix, std::string_view after, std::size_t limit) {
    Result<RoomPage> page = Run(store_->ListRooms(prefix, after, limit));
    EXPECT_TRUE(page) << page.error().message;
    return page ? std::move(*page) : RoomPage{};
  }

  static std::vector<std::string> Ids(const RoomPage& page) {
    std::vector<std::string> ids;
    for (const Room& room : page.rooms) ids.push_back(room.room_id);
    return ids;
  }

  std::vector<std::string> ListIds(std::string_view prefix, std::string_view after = "",
                                   std::size_t limit = 1000) {
    return Ids(List(prefix, after, limit));
  }

  /// Walks every page with keyset pagination, as an API client would.
  std::vector<std::string> ListAllIds(std::string_view prefix, std::size_t page_size) {
    std::vector<std::string> ids;
    std::string after;
    for (int pages = 0; pages < 100'000; ++pages) {
      RoomPage page = List(prefix, after, page_size);
      EXPECT_LE(page.rooms.size(), page_size);
      for (const Room& room : page.rooms) ids.push_back(room.room_id);
      if (!page.truncated) return ids;
      EXPECT_EQ(page.rooms.size(), page_size) << "a truncated page must be full";
      if (page.rooms.empty()) break;
      after = page.rooms.back().room_id;
    }
    ADD_FAILURE() << "pagination did not terminate";
    return ids;
  }

  Result<std::optional<Room>> Update(const std::string& id, RoomMutator mutator) {
    return Run(store_->UpdateRoom(id, std::move(mutator)));
  }

  std::vector<std::string> ExpiredIds(std::int64_t now_ms, std::string_view after,
                                      std::size_t limit, bool* truncated = nullptr) {
    Result<RoomPage> page = Run(store_->ListExpiredRooms(now_ms, after, limit));
    EXPECT_TRUE(page) << page.error().message;
    if (!page) return {};
    if (truncated != nullptr) *truncated = page->truncated;
    return Ids(*page);
  }

  Result<std::optional<Room>> UpdateWithEvents(const std::string& id, RoomMutator mutator,
                                               RoomEventsFn events) {
    return Run(store_->UpdateRoom(id, std::move(mutator), std::move(events)));
  }

  std::vector<OutboxEvent> Outbox() {
    Result<std::vector<OutboxEvent>> events = Run(stores_.outbox->List(std::nullopt, 1000));
    EXPECT_TRUE(events) << events.error().message;
    return events ? std::move(*events) : std::vector<OutboxEvent>{};
  }

  // Destroyed in reverse order: the stores before the io_context and the directory.
  test::TempDir dir_;
  asio::io_context ioc_;
  test::Stores stores_;
  RoomStore* store_ = nullptr;
};

using Implementations = ::testing::Types<test::MemoryStoresFactory, test::SqliteStoresFactory,
                                        test::PostgresStoresFactory>;

TYPED_TEST_SUITE(StoreConformanceTest, Implementations, test::StoresFactoryNames);

// ----- create / get -----

TYPED_TEST(StoreConformanceTest, CreatedRoomRoundTripsEveryField) {
  const Room room = FullRoom("full-room");
  this->MustCreate(room);
  EXPECT_EQ(this->Get("full-room"), room);
  EXPECT_EQ(this->List("", "", 10).rooms, std::vector<Room>{room});
}

TYPED_TEST(StoreConformanceTest, RoundTripsAbsentOptionalsAndEmptyStrings) {
  Room room = MakeRoom("sparse");
  room.auto_deletion_date.reset();
  room.config.recording_allow_access_to.reset();
  room.config.max_participants.reset();
  room.room_name = "";
  room.moderator_secret = "";
  room.speaker_secret = "";
  room.creation_date = 0;
  this->MustCreate(room);
  const std::optional<Room> stored = this->Get("sparse");
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, room);
  EXPECT_FALSE(stored->auto_deletion_date);
  EXPECT_FALSE(stored->config.recording_allow_access_to);
  EXPECT_FALSE(stored->config.max_participants);
}

TYPED_TEST(StoreConformanceTest, RoundTripsEveryEnumValue) {
  using namespace domain;
  const RoomStatus statuses[] = {RoomStatus::kOpen, RoomStatus::kActiveMeeting,
                                 RoomStatus::kClosed};
  const MeetingEndAction actions[] = {MeetingEndAction::kNone, MeetingEndAction::kClose,
                                      MeetingEndAction::kDelete};
  const WithMeetingPolicy meetings[] = {
      WithMeetingPolicy::kForce, WithMeetingPolicy::kWhenMeetingEnds, WithMeetingPolicy::kFail};
  const WithRecordingsPolicy recordings[] = {
      WithRecordingsPolicy::kForce, WithRecordingsPolicy::kClose, WithRecordingsPolicy::kFail};
  const RecordingAccess accesses[] = {RecordingAccess::kAdmin, RecordingAccess::kAdminModerator,
                                      RecordingAccess::kAdminModeratorSpeaker};
  std::vector<Room> rooms;
  for (int i = 0; i < 3; ++i) {
    Room room = MakeRoom("enum-" + std::to_string(i));
    room.status = statuses[i];
    room.meeting_end_action = actions[(i + 1) % 3];
    room.auto_deletion_policy.with_meeting = meetings[(i + 2) % 3];
    room.auto_deletion_policy.with_recordings = recordings[i];
    room.config.recording_allow_access_to = accesses[(i + 1) % 3];
    room.config.max_participants = static_cast<std::uint32_t>(i);
    this->MustCreate(room);
    rooms.push_back(room);
  }
  for (const Room& room : rooms) EXPECT_EQ(this->Get(room.room_id), room);
}

TYPED_TEST(StoreConformanceTest, GetOfUnknownRoomIsNullopt) {
  this->MustCreate(MakeRoom("present"));
  EXPECT_EQ(this->Get("absent"), std::nullopt);
  EXPECT_EQ(this->Get("presen"), std::nullopt);
  EXPECT_EQ(this->Get(""), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, DuplicateIdIsAlreadyExistsAndKeepsTheFirstRoom) {
  const Room first = MakeRoom("dup");
  this->MustCreate(first);
  Room second = FullRoom("dup");
  Result<void> created = this->Run(this->store_->CreateRoom(second));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(created.error().name, "Room Error");
  EXPECT_EQ(created.error().message, "Room 'dup' already exists");
  EXPECT_EQ(created.error().message.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(this->Get("dup"), first);
}

// ----- list -----

TYPED_TEST(StoreConformanceTest, ListIsInAscendingByteOrder) {
  const std::vector<std::string> ids = {
      "b", "a", "B", "aa", "a-1", "a_1", "0", "~", "\xC3\xA9t\xC3\xA9", "Z", "ab", "a"};
  std::set<std::string> unique;
  for (const std::string& id : ids) {
    if (unique.insert(id).second) this->MustCreate(MakeRoom(id));
  }
  const std::vector<std::string> expected = {
      "0", "B", "Z", "a", "a-1", "a_1", "aa", "ab", "b", "~", "\xC3\xA9t\xC3\xA9"};
  EXPECT_EQ(this->ListIds(""), expected);
}

TYPED_TEST(StoreConformanceTest, PrefixIsLiteralForLikeAndGlobMetacharacters) {
  for (const char* id : {"a%b", "a%", "a_b", "axb", "aXb", "a*c", "a?c", "a[b]", "a\\b", "ab",
                         "a.b", "A%b", "%", "%%", "_x", "a", "b%"}) {
    this->MustCreate(MakeRoom(id));
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(this->ListIds("a%"), (V{"a%", "a%b"}));
  EXPECT_EQ(this->ListIds("a_"), (V{"a_b"}));
  EXPECT_EQ(this->ListIds("a*"), (V{"a*c"}));
  EXPECT_EQ(this->ListIds("a?"), (V{"a?c"}));
  EXPECT_EQ(this->ListIds("a["), (V{"a[b]"}));
  EXPECT_EQ(this->ListIds("a\\"), (V{"a\\b"}));
  EXPECT_EQ(this->ListIds("%"), (V{"%", "%%"}));
  EXPECT_EQ(this->ListIds("_"), (V{"_x"}));
  EXPECT_EQ(this->ListIds("a."), (V{"a.b"}));
  // Case-sensitive (LIKE would not be): "A%b" and "aXb" are not under "a%" / "ax".
  EXPECT_EQ(this->ListIds("ax"), (V{"axb"}));
  EXPECT_EQ(this->ListIds("A"), (V{"A%b"}));
  EXPECT_EQ(this->ListIds("a%b"), (V{"a%b"}));
  EXPECT_EQ(this->ListIds("a%bc"), V{});
  EXPECT_EQ(this->ListIds("zz"), V{});
}

TYPED_TEST(StoreConformanceTest, PrefixWorksWithHighAndMaximalBytes) {
  // Spelled with concatenation because "\xFFb" would be a single (too large) hex escape.
  const std::string a_ff = "a\xFF", a_ff_b = a_ff + "b", a_ff_ff = "a\xFF\xFF";
  const std::string ff = "\xFF", ff_ff = "\xFF\xFF", ff_ff_z = "\xFF\xFFz";
  const std::string del_a = std::string("\x7F") + "a", x80 = "\x80", ete = "\xC3\xA9t\xC3\xA9";
  for (const std::string& id : {ff, ff_ff, ff_ff_z, a_ff, a_ff_ff, a_ff_b, std::string("b"),
                                std::string("z"), del_a, x80, ete}) {
    this->MustCreate(MakeRoom(id));
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(this->ListIds(""),
            (V{a_ff, a_ff_b, a_ff_ff, "b", "z", del_a, x80, ete, ff, ff_ff, ff_ff_z}));
  EXPECT_EQ(this->ListIds(a_ff), (V{a_ff, a_ff_b, a_ff_ff}));
  EXPECT_EQ(this->ListIds(ff), (V{ff, ff_ff, ff_ff_z}));
  EXPECT_EQ(this->ListIds(ff_ff), (V{ff_ff, ff_ff_z}));
  EXPECT_EQ(this->ListIds(ff, ff), (V{ff_ff, ff_ff_z}));
  EXPECT_EQ(this->ListIds(ff_ff, ff_ff_z), V{});
  EXPECT_EQ(this->ListIds("\x7F"), (V{del_a}));
  EXPECT_EQ(this->ListIds("\xC3"), (V{ete}));
}

TYPED_TEST(StoreConformanceTest, KeysetPaginationVisitsEveryRoomOnce) {
  // 1000 ids inserted out of order, under three prefixes.
  std::vector<std::string> all;
  for (int i = 0; i < 1000; ++i) {
    const int n = (i * 7919) % 1000;  // a permutation of 0..999
    const char prefix = "abc"[n % 3];
    all.push_back(std::string(1, prefix) + "-" + std::to_string(n));
    this->MustCreate(MakeRoom(all.back()));
  }
  std::sort(all.begin(), all.end());

  const std::vector<std::string> paged = this->ListAllIds("", 7);
  EXPECT_EQ(paged, all);  // sorted, so no duplicates and no omissions

  std::vector<std::string> under_b;
  std::copy_if(all.begin(), all.end(), std::back_inserter(under_b),
               [](const std::string& id) { return id.starts_with("b-"); });
  EXPECT_EQ(this->ListAllIds("b-", 7), under_b);
  std::vector<std::string> under_b1;  // "b-1" is a prefix of "b-10" and "b-100" too
  std::copy_if(under_b.begin(), under_b.end(), std::back_inserter(under_b1),
               [](const std::string& id) { return id.starts_with("b-1"); });
  EXPECT_EQ(this->ListAllIds("b-1", 7), under_b1);
}

TYPED_TEST(StoreConformanceTest, TruncatedMeansMoreRoomsFollow) {
  for (const char* id : {"r1", "r2", "r3", "r4", "r5", "s1"}) this->MustCreate(MakeRoom(id));
  RoomPage page = this->List("r", "", 5);
  EXPECT_EQ(page.rooms.size(), 5u);
  EXPECT_FALSE(page.truncated);  // exactly full, nothing follows under "r"

  page = this->List("r", "", 4);
  EXPECT_EQ(this->Ids(page), (std::vector<std::string>{"r1", "r2", "r3", "r4"}));
  EXPECT_TRUE(page.truncated);

  page = this->List("r", "r4", 4);
  EXPECT_EQ(this->Ids(page), (std::vector<std::string>{"r5"}));
  EXPECT_FALSE(page.truncated);

  page = this->List("", "", 0);
  EXPECT_TRUE(page.rooms.empty());
  EXPECT_TRUE(page.truncated);

  page = this->List("", "s1", 3);
  EXPECT_TRUE(page.rooms.empty());
  EXPECT_FALSE(page.truncated);

  page = this->List("", "", std::numeric_limits<std::size_t>::max());
  EXPECT_EQ(page.rooms.size(), 6u);
  EXPECT_FALSE(page.truncated);
}

TYPED_TEST(StoreConformanceTest, AfterCursorNeedNotExistAndCombinesWithPrefix) {
  for (const char* id : {"a1", "b1", "b3", "b5", "c1"}) this->MustCreate(MakeRoom(id));
  using V = std::vector<std::string>;
  EXPECT_EQ(this->ListIds("", "b2"), (V{"b3", "b5", "c1"}));  // "b2" was never a room
  EXPECT_EQ(this->ListIds("b", "b2"), (V{"b3", "b5"}));
  EXPECT_EQ(this->ListIds("b", "a9"), (V{"b1", "b3", "b5"}));  // cursor before the prefix
  EXPECT_EQ(this->ListIds("b", "b5"), V{});
  EXPECT_EQ(this->ListIds("b", "zzz"), V{});  // cursor after the prefix
  EXPECT_EQ(this->ListIds("b", "b"), (V{"b1", "b3", "b5"}));
}

// ----- update -----

TYPED_TEST(StoreConformanceTest, UpdateSaveStoresTheMutatedRoom) {
  this->MustCreate(MakeRoom("u"));
  Room expected = FullRoom("u");
  int calls = 0;
  auto updated = this->Update("u", [&](Room& room) -> Result<UpdateAction> {
    ++calls;
    EXPECT_EQ(room, MakeRoom("u"));  // the mutator sees the stored room
    room = expected;
    return UpdateAction::kSave;
  });
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(*updated, expected);
  EXPECT_EQ(this->Get("u"), expected);
}

TYPED_TEST(StoreConformanceTest, UpdateKeepReturnsTheRoomButStoresNothing) {
  const Room original = MakeRoom("k");
  this->MustCreate(original);
  auto updated = this->Update("k", [](Room& room) -> Result<UpdateAction> {
    room.room_name = "changed";
    return UpdateAction::kKeep;
  });
  ASSERT_TRUE(updated) << updated.error().message;
  ASSERT_TRUE(*updated);
  EXPECT_EQ((*updated)->room_name, "changed");
  EXPECT_EQ(this->Get("k"), original);
}

TYPED_TEST(StoreConformanceTest, UpdateDeleteRemovesAndReturnsTheRoom) {
  this->MustCreate(MakeRoom("d1"));
  this->MustCreate(MakeRoom("d2"));
  auto updated = this->Update("d1", [](Room& room) -> Result<UpdateAction> {
    room.status = domain::RoomStatus::kClosed;
    return UpdateAction::kDelete;
  });
  ASSERT_TRUE(updated) << updated.error().message;
  ASSERT_TRUE(*updated);
  EXPECT_EQ((*updated)->room_id, "d1");
  EXPECT_EQ((*updated)->status, domain::RoomStatus::kClosed);
  EXPECT_EQ(this->Get("d1"), std::nullopt);
  EXPECT_EQ(this->ListIds(""), (std::vector<std::string>{"d2"}));
  // The id is free again.
  this->MustCreate(MakeRoom("d1"));
}

TYPED_TEST(StoreConformanceTest, MutatorErrorRollsBackAndIsReturnedUnchanged) {
  const Room original = MakeRoom("e");
  this->MustCreate(original);
  Error error = Error::Make(ErrorCode::kFailedPrecondition, "Room Error", "Room 'e' is closed");
  error.details = {FieldError{"status", "closed"}};
  error.reason = "room_closed";
  auto updated = this->Update("e", [&](Room& room) -> Result<UpdateAction> {
    room.room_name = "half-done";
    room.status = domain::RoomStatus::kClosed;
    return Fail(error);
  });
  ASSERT_FALSE(updated);
  ExpectSameError(updated.error(), error);
  EXPECT_EQ(this->Get("e"), original);
}

TYPED_TEST(StoreConformanceTest, MutatorExceptionPropagatesAndRollsBack) {
  const Room original = MakeRoom("throws");
  this->MustCreate(original);
  EXPECT_THROW(this->Update("throws",
                            [](Room& room) -> Result<UpdateAction> {
                              room.room_name = "half-done";
                              throw std::runtime_error("bug in a mutator");
                            }),
               std::runtime_error);
  EXPECT_EQ(this->Get("throws"), original);
  // The store is still usable: the transaction was rolled back, not left open.
  auto updated = this->Update("throws", [](Room& room) -> Result<UpdateAction> {
    room.room_name = "fine";
    return UpdateAction::kSave;
  });
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ(this->Get("throws")->room_name, "fine");
}

TYPED_TEST(StoreConformanceTest, UpdateOfUnknownRoomIsNulloptWithoutCallingTheMutator) {
  bool called = false;
  auto updated = this->Update("ghost", [&](Room&) -> Result<UpdateAction> {
    called = true;
    return UpdateAction::kSave;
  });
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(*updated, std::nullopt);
  EXPECT_FALSE(called);
  EXPECT_EQ(this->Get("ghost"), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, MutatorMayNotChangeTheRoomId) {
  const Room original = MakeRoom("fixed");
  this->MustCreate(original);
  auto updated = this->Update("fixed", [](Room& room) -> Result<UpdateAction> {
    room.room_id = "moved";
    return UpdateAction::kSave;
  });
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kInternal);
  EXPECT_EQ(this->Get("fixed"), original);
  EXPECT_EQ(this->Get("moved"), std::nullopt);
}

TYPED_TEST(StoreConformanceTest, SuccessiveUpdatesSeeEachOther) {
  Room room = MakeRoom("count");
  room.config.max_participants = 0;
  this->MustCreate(room);
  for (int i = 0; i < 10; ++i) {
    auto updated = this->Update("count", [](Room& r) -> Result<UpdateAction> {
      r.config.max_participants = *r.config.max_participants + 1;
      return UpdateAction::kSave;
    });
    ASSERT_TRUE(updated && *updated);
  }
  EXPECT_EQ(this->Get("count")->config.max_participants, 10u);
}

// ----- expired rooms -----

TYPED_TEST(StoreConformanceTest, ListExpiredRoomsReturnsRoomsStrictlyBeforeNowById) {
  const std::pair<const char*, std::optional<std::int64_t>> rooms[] = {
      {"e5", 50},
      {"e2", 200},
      {"e1", 100},
      {"e3", 300},
      {"e4", std::nullopt},
      {"e6", 1000},
      {"e0", std::numeric_limits<std::int64_t>::min()}};
  for (const auto& [id, date] : rooms) {
    Room room = MakeRoom(id);
    room.auto_deletion_date = date;
    this->MustCreate(room);
  }
  using V = std::vector<std::string>;
  bool truncated = true;
  EXPECT_EQ(this->ExpiredIds(300, "", 100, &truncated), (V{"e0", "e1", "e2", "e5"}));
  EXPECT_FALSE(truncated);
  EXPECT_EQ(this->ExpiredIds(300, "", 2, &truncated), (V{"e0", "e1"}));
  EXPECT_TRUE(truncated);
  EXPECT_EQ(this->ExpiredIds(300, "e1", 2, &truncated), (V{"e2", "e5"}));
  EXPECT_FALSE(truncated);
  EXPECT_EQ(this->ExpiredIds(301, "e2", 10), (V{"e3", "e5"}));
  EXPECT_EQ(this->ExpiredIds(std::numeric_limits<std::int64_t>::min(), "", 10), V{});
  EXPECT_EQ(this->ExpiredIds(std::numeric_limits<std::int64_t>::max(), "", 10),
            (V{"e0", "e1", "e2", "e3", "e5", "e6"}));
}

TYPED_TEST(StoreConformanceTest, ListExpiredRoomsFollowsUpdates) {
  Room room = MakeRoom("later");
  this->MustCreate(room);
  room = MakeRoom("soon");
  room.auto_deletion_date = 10;
  this->MustCreate(room);
  using V = std::vector<std::string>;
  EXPECT_EQ(this->ExpiredIds(100, "", 10), (V{"soon"}));

  auto set_date = [](std::optional<std::int64_t> date) {
    return [date](Room& r) -> Result<UpdateAction> {
      r.auto_deletion_date = date;
      return UpdateAction::kSave;
    };
  };
  ASSERT_TRUE(this->Update("later", set_date(5)));
  ASSERT_TRUE(this->Update("soon", set_date(std::nullopt)));
  EXPECT_EQ(this->ExpiredIds(100, "", 10), (V{"later"}));
  ASSERT_TRUE(
      this->Update("later", [](Room&) -> Result<UpdateAction> { return UpdateAction::kDelete; }));
  EXPECT_EQ(this->ExpiredIds(100, "", 10), V{});
}

// ----- webhook events written with a room change (deviations §7.2, §8) -----

OutboxEvent RoomEvent(std::string id, const Room& room, std::string type) {
  OutboxEvent event;
  event.id = std::move(id);
  event.ordering_key = room.room_id;
  event.event_type = std::move(type);
  event.body = "{\"event\":\"" + event.event_type + "\",\"data\":{\"roomId\":\"" + room.room_id +
               "\",\"status\":\"" + std::string(domain::ToString(room.status)) + "\"}}";
  event.created_at_ms = 1'700'000'000'123;
  return event;
}

TYPED_TEST(StoreConformanceTest, EventsAreCommittedWithASavedRoom) {
  this->MustCreate(MakeRoom("ev"));
  int calls = 0;
  auto updated = this->UpdateWithEvents(
      "ev",
      [](Room& room) -> Result<UpdateAction> {
        room.status = domain::RoomStatus::kActiveMeeting;
        return UpdateAction::kSave;
      },
      [&calls](const Room& after, UpdateAction action) {
        ++calls;
        // Called with the room as the mutator left it, and its decision.
        EXPECT_EQ(after.status, domain::RoomStatus::kActiveMeeting);
        EXPECT_EQ(action, UpdateAction::kSave);
        return std::vector<OutboxEvent>{RoomEvent("e-1", after, "meetingStarted"),
                                        RoomEvent("e-2", after, "other")};
      });
  ASSERT_TRUE(updated && *updated) << (updated ? "" : updated.error().message);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(this->Get("ev")->status, domain::RoomStatus::kActiveMeeting);
  const std::vector<OutboxEvent> outbox = this->Outbox();
  ASSERT_EQ(outbox.size(), 2u);
  OutboxEvent expected = RoomEvent("e-1", **updated, "meetingStarted");
  EXPECT_EQ(outbox[0], expected);
  EXPECT_EQ(outbox[0].status, OutboxEvent::Status::kPending);
  EXPECT_EQ(outbox[1].id, "e-2");
}

TYPED_TEST(StoreConformanceTest, EventsOfADeleteSeeTheRoomAsItWas) {
  Room room = MakeRoom("gone");
  room.status = domain::RoomStatus::kActiveMeeting;
  room.meeting_end_action = domain::MeetingEndAction::kDelete;
  this->MustCreate(room);
  auto updated = this->UpdateWithEvents(
      "gone", [](Room&) -> Result<UpdateAction> { return UpdateAction::kDelete; },
      [&room](const Room& after, UpdateAction action) {
        EXPECT_EQ(after, room);
        EXPECT_EQ(action, UpdateAction::kDelete);
        return std::vector<OutboxEvent>{RoomEvent("ended", after, "meetingEnded")};
      });
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ(this->Get("gone"), std::nullopt);
  const std::vector<OutboxEvent> outbox = this->Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0], RoomEvent("ended", room, "meetingEnded"));
}

TYPED_TEST(StoreConformanceTest, KeepWritesOnlyTheEventsItReturns) {
  const Room original = MakeRoom("keep");
  this->MustCreate(original);
  auto none = this->UpdateWithEvents(
      "keep",
      [](Room& room) -> Result<UpdateAction> {
        room.room_name = "not saved";
        return UpdateAction::kKeep;
      },
      [](const Room&, UpdateAction action) {
        EXPECT_EQ(action, UpdateAction::kKeep);
        return std::vector<OutboxEvent>{};
      });
  ASSERT_TRUE(none && *none);
  EXPECT_TRUE(this->Outbox().empty());

  auto some = this->UpdateWithEvents(
      "keep",
      [](Room& room) -> Result<UpdateAction> {
        room.room_name = "still not saved";
        return UpdateAction::kKeep;
      },
      [](const Room& after, UpdateAction) {
        return std::vector<OutboxEvent>{RoomEvent("kept", after, "x")};
      });
  ASSERT_TRUE(some && *some);
  EXPECT_EQ(this->Get("keep"), original);
  const std::vector<OutboxEvent> outbox = this->Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].id, "kept");
}

TYPED_TEST(StoreConformanceTest, MutatorErrorRecordsNoEvents) {
  const Room original = MakeRoom("err");
  this->MustCreate(original);
  bool called = false;
  auto updated = this->UpdateWithEvents(
      "err",
      [](Room& room) -> Result<UpdateAction> {
        room.room_name = "half-done";
        return Fail(Error::Make(ErrorCode::kFailedPrecondition, "Room Error", "no"));
      },
      [&called](const Room& after, UpdateAction) {
        called = true;
        return std::vector<OutboxEvent>{RoomEvent("never", after, "x")};
      });
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(called);
  EXPECT_EQ(this->Get("err"), original);
  EXPECT_TRUE(this->Outbox().empty());
}

TYPED_TEST(StoreConformanceTest, UnknownRoomRecordsNoEvents) {
  bool called = false;
  auto updated = this->UpdateWithEvents(
      "ghost", [](Room&) -> Result<UpdateAction> { return UpdateAction::kSave; },
      [&called](const Room& after, UpdateAction) {
        called = true;
        return std::vector<OutboxEvent>{RoomEvent("never", after, "x")};
      });
  ASSERT_TRUE(updated);
  EXPECT_EQ(*updated, std::nullopt);
  EXPECT_FALSE(called);
  EXPECT_TRUE(this->Outbox().empty());
}

TYPED_TEST(StoreConformanceTest, EventFailureRollsTheRoomChangeBack) {
  const Room original = MakeRoom("dup-event");
  this->MustCreate(original);
  auto first = this->UpdateWithEvents(
      "dup-event", [](Room&) -> Result<UpdateAction> { return UpdateAction::kKeep; },
      [](const Room& after, UpdateAction) {
        return std::vector<OutboxEvent>{RoomEvent("taken", after, "x")};
      });
  ASSERT_TRUE(first);

  // Delete + a fresh event + a taken id: nothing of it may remain.
  auto second = this->UpdateWithEvents(
      "dup-event", [](Room&) -> Result<UpdateAction> { return UpdateAction::kDelete; },
      [](const Room& after, UpdateAction) {
        return std::vector<OutboxEvent>{RoomEvent("fresh", after, "x"),
                                        RoomEvent("taken", after, "y")};
      });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(this->Get("dup-event"), original);
  const std::vector<OutboxEvent> outbox = this->Outbox();
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].id, "taken");
  EXPECT_EQ(outbox[0].event_type, "x");

  // Two events of one call with the same id fail the same way.
  auto third = this->UpdateWithEvents(
      "dup-event",
      [](Room& room) -> Result<UpdateAction> {
        room.room_name = "renamed";
        return UpdateAction::kSave;
      },
      [](const Room& after, UpdateAction) {
        return std::vector<OutboxEvent>{RoomEvent("twin", after, "x"),
                                        RoomEvent("twin", after, "y")};
      });
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(this->Get("dup-event"), original);
  EXPECT_EQ(this->Outbox().size(), 1u);
}

TYPED_TEST(StoreConformanceTest, EventsExceptionPropagatesAndRollsBack) {
  const Room original = MakeRoom("ev-throws");
  this->MustCreate(original);
  EXPECT_THROW(this->UpdateWithEvents(
                   "ev-throws",
                   [](Room& room) -> Result<UpdateAction> {
                     room.room_name = "half-done";
                     return UpdateAction::kSave;
                   },
                   [](const Room&, UpdateAction) -> std::vector<OutboxEvent> {
                     throw std::runtime_error("bug in an events function");
                   }),
               std::runtime_error);
  EXPECT_EQ(this->Get("ev-throws"), original);
  EXPECT_TRUE(this->Outbox().empty());
  // Still usable afterwards.
  auto updated = this->UpdateWithEvents(
      "ev-throws", [](Room&) -> Result<UpdateAction> { return UpdateAction::kSave; },
      [](const Room& after, UpdateAction) {
        return std::vector<OutboxEvent>{RoomEvent("after-throw", after, "x")};
      });
  ASSERT_TRUE(updated && *updated);
  EXPECT_EQ(this->Outbox().size(), 1u);
}

TYPED_TEST(StoreConformanceTest, EventsOfSuccessiveChangesKeepTheirOrder) {
  this->MustCreate(MakeRoom("a"));
  this->MustCreate(MakeRoom("b"));
  std::vector<std::string> expected;
  for (int i = 0; i < 6; ++i) {
    const std::string room_id = i % 2 == 0 ? "a" : "b";
    const std::string id = "order-" + std::to_string(i);
    expected.push_back(id);
    auto updated = this->UpdateWithEvents(
        room_id, [](Room&) -> Result<UpdateAction> { return UpdateAction::kSave; },
        [id](const Room& after, UpdateAction) {
          return std::vector<OutboxEvent>{RoomEvent(id, after, "x")};
        });
    ASSERT_TRUE(updated && *updated);
  }
  std::vector<std::string> ids;
  for (const OutboxEvent& event : this->Outbox()) ids.push_back(event.id);
  EXPECT_EQ(ids, expected);
}

TYPED_TEST(StoreConformanceTest, UpdateWithoutEventsFunctionWritesNoEvents) {
  this->MustCreate(MakeRoom("plain"));
  ASSERT_TRUE(
      this->Update("plain", [](Room&) -> Result<UpdateAction> { return UpdateAction::kSave; }));
  auto updated = this->UpdateWithEvents(
      "plain", [](Room&) -> Result<UpdateAction> { return UpdateAction::kSave; }, RoomEventsFn());
  ASSERT_TRUE(updated && *updated);
  EXPECT_TRUE(this->Outbox().empty());
}

}  // namespace
}  // namespace convene::store
