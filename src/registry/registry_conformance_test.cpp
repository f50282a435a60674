// The participant registry's contract (deviations §3–§5), run over every implementation: the
// in-process one and the Redis one must behave identically, operation for operation.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <cctype>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "registry/in_process_registry.hpp"
#include "registry/redis_registry.hpp"
#include "registry/testing/redis_test_server.hpp"

namespace convene::registry {
namespace {

using domain::ParticipantRole;

AdmissionRequest Generate(std::string name, ParticipantRole role = ParticipantRole::kSpeaker,
                          std::int64_t now = 1000) {
  static std::atomic<int> admissions{0};
  AdmissionRequest r;
  r.room_id = "room";
  r.name = std::move(name);
  r.role = role;
  r.now_ms = now;
  r.usable_until_ms = 4'102'444'800'000;  // 2100: Redis expires departed records at this real time
  // Distinct per request, as the service's random suffixes are.
  r.identity_suffix = "t" + std::to_string(++admissions);
  return r;
}

AdmissionRequest Refresh(std::string identity, ParticipantRole role = ParticipantRole::kSpeaker,
                         std::int64_t now = 1000) {
  AdmissionRequest r = Generate("anything", role, now);
  r.mode = AdmissionRequest::Mode::kRefresh;
  r.owned_identity = std::move(identity);
  return r;
}

// ---- Implementations under test --------------------------------------------------------------

// Registry() and Peer() are two instances sharing one state, as two Convene processes would. For
// the in-process registry that is the same object.
class InProcessBackend {
 public:
  std::optional<std::string> Start(boost::asio::io_context&) { return std::nullopt; }
  void Stop(boost::asio::io_context&) {}
  ParticipantRegistry& Registry() { return registry_; }
  ParticipantRegistry& Peer() { return registry_; }

 private:
  InProcessRegistry registry_;
};

// Two RedisRegistry instances on two connections, under a key prefix of their own.
class RedisBackend {
 public:
  std::optional<std::string> Start(boost::asio::io_context& ioc) {
    auto options = test::TestRedisOptions();
    if (!options) return test::kNoRedisMessage;
    RedisRegistryOptions registry_options;
    registry_options.key_prefix = prefix_;
    for (int i = 0; i < 2; ++i) {
      clients_.push_back(std::make_unique<redis::RedisClient>(ioc.get_executor(), *options));
      auto connected = boost::asio::co_spawn(ioc, clients_.back()->Connect(), boost::asio::use_future).get();
      if (!connected) return "Redis test server unreachable: " + connected.error().message;
      registries_.push_back(std::make_unique<RedisRegistry>(*clients_.back(), registry_options));
    }
    return std::nullopt;
  }
  void Stop(boost::asio::io_context& ioc) {
    if (!clients_.empty()) test::DeleteKeys(ioc, *clients_.front(), prefix_);
    for (auto& client : clients_) client->Close();
  }
  ParticipantRegistry& Registry() { return *registries_.at(0); }
  ParticipantRegistry& Peer() { return *registries_.at(1); }

 private:
  std::string prefix_ = test::UniqueTestPrefix();
  std::vector<std::unique_ptr<redis::RedisClient>> clients_;
  std::vector<std::unique_ptr<RedisRegistry>> registries_;
};

template <class Backend>
class RegistryConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
    if (auto skip = backend_.Start(ioc_)) GTEST_SKIP() << *skip;
  }
  void TearDown() override {
    backend_.Stop(ioc_);
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }

  ParticipantRegistry& registry() { return backend_.Registry(); }
  ParticipantRegistry& peer() { return backend_.Peer(); }

  // Runs one operation on the io_context's threads and waits for it. The arguments of the call
  // that made `operation` live until the end of the caller's full expression, i.e. past the wait.
  template <class T>
  T Run(boost::asio::awaitable<T> operation) {
    return boost::asio::co_spawn(ioc_, std::move(operation), boost::asio::use_future).get();
  }
  Result<ParticipantRecord> Admit(AdmissionRequest r) {
    auto admitted = Run(registry().Admit(std::move(r)));
    if (admitted) ids_[admitted->name] = admitted->identity;
    return admitted;
  }
  /// The identity last admitted under `name` (identities are minted per admission); `name` itself
  /// for one never admitted here (external joins, unknown identities).
  std::string Id(const std::string& name) const {
    auto it = ids_.find(name);
    return it == ids_.end() ? name : it->second;
  }
  std::string Name(AdmissionRequest r) {
    auto admitted = Admit(std::move(r));
    EXPECT_TRUE(admitted) << admitted.error().message;
    return admitted ? admitted->name : "";
  }
  bool Left(std::string_view identity, std::string_view name) {
    auto left = Run(registry().MarkLeft("room", identity, name));
    EXPECT_TRUE(left) << left.error().message;
    return left && *left;
  }
  std::optional<ParticipantRecord> Get(std::string_view identity) {
    auto got = Run(registry().Get("room", identity));
    EXPECT_TRUE(got) << got.error().message;
    return got ? *got : std::nullopt;
  }
  std::vector<std::string> Rooms() {
    auto rooms = Run(registry().Rooms());
    EXPECT_TRUE(rooms) << rooms.error().message;
    if (!rooms) return {};
    std::sort(rooms->begin(), rooms->end());
    return *rooms;
  }

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::vector<std::thread> threads_;
  Backend backend_;
  std::map<std::string, std::string> ids_;
};

class BackendNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, InProcessBackend> ? "InProcess" : "Redis";
  }
};

using Backends = ::testing::Types<InProcessBackend, RedisBackend>;
TYPED_TEST_SUITE(RegistryConformanceTest, Backends, BackendNames);

void ExpectSameRecord(const ParticipantRecord& a, const ParticipantRecord& b) {
  EXPECT_EQ(a.identity, b.identity);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.roles, b.roles);
  EXPECT_EQ(a.selected_role, b.selected_role);
  EXPECT_EQ(a.promoted, b.promoted);
  EXPECT_EQ(a.demoted, b.demoted);
  EXPECT_EQ(a.moderator_secret_holder, b.moderator_secret_holder);
  EXPECT_EQ(a.presence, b.presence);
  EXPECT_EQ(a.reserved_at_ms, b.reserved_at_ms);
  EXPECT_EQ(a.joined_at_ms, b.joined_at_ms);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.created_generation, b.created_generation);
}

// ---- Name allocation (§3.1) ------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, FirstRequestGetsTheNameThenLowestFreeSuffixes) {
  EXPECT_EQ(this->Name(Generate("Participant")), "Participant");
  EXPECT_EQ(this->Name(Generate("Participant")), "Participant_1");
  EXPECT_EQ(this->Name(Generate("Participant")), "Participant_2");
}

TYPED_TEST(RegistryConformanceTest, NamesCompareCaseInsensitivelyAndKeepTheirCase) {
  EXPECT_EQ(this->Name(Generate("CaseTest")), "CaseTest");
  EXPECT_EQ(this->Name(Generate("casetest")), "casetest_1");
  EXPECT_EQ(this->Name(Generate("CASETEST")), "CASETEST_2");
}

TYPED_TEST(RegistryConformanceTest, LookAlikesCompareEqualAndKeepTheirForm) {
  EXPECT_EQ(this->Name(Generate("\u00c4rger")), "\u00c4rger");
  EXPECT_EQ(this->Name(Generate("\u00e4rger")), "\u00e4rger_1") << "non-ASCII case";
  EXPECT_EQ(this->Name(Generate("a\u0308rger")), "a\u0308rger_2") << "NFD, kept as typed";
  EXPECT_EQ(this->Name(Generate("\uFF21lice")), "\uFF21lice") << "fullwidth, first of its kind";
  EXPECT_EQ(this->Name(Generate("alice")), "alice_1");
  EXPECT_EQ(this->Name(Generate("Al\u200Bice")), "Al\u200Bice_2") << "an invisible character makes no twin";
  EXPECT_EQ(this->Name(Generate("Stra\u00dfe")), "Stra\u00dfe");
  EXPECT_EQ(this->Name(Generate("STRASSE")), "STRASSE_1");
  EXPECT_EQ(this->Name(Generate("Arger")), "Arger") << "a different letter is a different name";
  // Released look-alike numbers come back to the shared pool.
  EXPECT_TRUE(this->Left(this->Id("alice_1"), "alice_1"));
  EXPECT_EQ(this->Name(Generate("ALICE")), "ALICE_1");
}

TYPED_TEST(RegistryConformanceTest, AFullwidthSuffixIsTheSameNumber) {
  EXPECT_EQ(this->Name(Generate("Bob\uFF3F\uFF11")), "Bob\uFF3F\uFF11");
  EXPECT_EQ(this->Name(Generate("bob")), "bob");
  EXPECT_EQ(this->Name(Generate("bob")), "bob_2") << "Bob＿１ holds bob_1";
  EXPECT_TRUE(this->Left(this->Id("Bob\uFF3F\uFF11"), "Bob\uFF3F\uFF11"));
  EXPECT_EQ(this->Name(Generate("bob")), "bob_1");
}

TYPED_TEST(RegistryConformanceTest, ReleasedNumbersAreReusedLowestFirst) {
  for (int i = 0; i < 5; ++i) this->Name(Generate("X"));  // X, X_1..X_4
  EXPECT_TRUE(this->Left(this->Id("X_1"), "X_1"));
  EXPECT_TRUE(this->Left(this->Id("X_3"), "X_3"));
  EXPECT_EQ(this->Name(Generate("X")), "X_1");
  EXPECT_EQ(this->Name(Generate("X")), "X_3");
  EXPECT_EQ(this->Name(Generate("X")), "X_5");
}

TYPED_TEST(RegistryConformanceTest, ReleasedBaseNameIsReusedFirst) {
  this->Name(Generate("Bob"));
  this->Name(Generate("Bob"));
  EXPECT_TRUE(this->Left(this->Id("Bob"), "Bob"));
  EXPECT_EQ(this->Name(Generate("bob")), "bob");
}

TYPED_TEST(RegistryConformanceTest, ManuallyTypedSuffixIsSkippedAndReturnedWhenReleased) {
  EXPECT_EQ(this->Name(Generate("alice_2")), "alice_2");
  EXPECT_EQ(this->Name(Generate("alice")), "alice");
  EXPECT_EQ(this->Name(Generate("alice")), "alice_1");
  EXPECT_EQ(this->Name(Generate("ALICE")), "ALICE_3");
  EXPECT_TRUE(this->Left(this->Id("alice_2"), "alice_2"));
  EXPECT_EQ(this->Name(Generate("alice")), "alice_2");
}

TYPED_TEST(RegistryConformanceTest, NumbersAreHandedOutInOrderOnceEveryHolderLeft) {
  this->Name(Generate("other"));  // keeps the room alive
  // Suffixes released before the base, then the base before its suffixes.
  for (const auto& order : {std::vector<std::string>{"Zed_2", "Zed_1", "Zed"},
                            std::vector<std::string>{"Zed", "Zed_1", "Zed_2", "Zed_3"}}) {
    for (std::size_t i = 0; i < order.size(); ++i) this->Name(Generate("Zed"));
    for (const auto& name : order) EXPECT_TRUE(this->Left(this->Id(name), name)) << name;
  }
  EXPECT_EQ(this->Name(Generate("Zed")), "Zed");
  EXPECT_EQ(this->Name(Generate("Zed")), "Zed_1");
  EXPECT_EQ(this->Name(Generate("Zed")), "Zed_2");
  EXPECT_EQ(this->Name(Generate("Zed")), "Zed_3");
  EXPECT_EQ(this->Name(Generate("Zed")), "Zed_4");
}

TYPED_TEST(RegistryConformanceTest, MetacharactersAreOrdinaryNames) {
  for (const char* n : {"[x]", "a*b", "?", "\\", "%_", "a.b", "{room}", "a:b", "^$"}) {
    EXPECT_EQ(this->Name(Generate(n)), n);
    EXPECT_EQ(this->Name(Generate(n)), std::string(n) + "_1");
    EXPECT_EQ(this->Name(Generate(n)), std::string(n) + "_2");
  }
}

TYPED_TEST(RegistryConformanceTest, AnyBytesSurviveStorageUnchanged) {
  for (std::string n : {std::string("quo\"te"), std::string("tab\tnew\nline"), std::string("\x01\x1f"),
                        std::string("nul\0byte", 8), std::string("\xff\xfe not utf-8"),
                        std::string("\xF0\x9F\x98\x80 emoji"), std::string("/\\u0041")}) {
    EXPECT_EQ(this->Name(Generate(n)), n);
    EXPECT_EQ(this->Name(Generate(n)), n + "_1");
    auto record = this->Get(this->Id(n));
    ASSERT_TRUE(record);
    EXPECT_EQ(record->name, n);
    EXPECT_TRUE(this->Left(this->Id(n), n));
    EXPECT_EQ(this->Name(Generate(n)), n);
  }
}

TYPED_TEST(RegistryConformanceTest, LongerSuffixedNamesDoNotConsumeNumbers) {
  EXPECT_EQ(this->Name(Generate("bob_1_2")), "bob_1_2");
  EXPECT_EQ(this->Name(Generate("bob")), "bob");
  EXPECT_EQ(this->Name(Generate("bob")), "bob_1");
  EXPECT_EQ(this->Name(Generate("bob")), "bob_2");
}

TYPED_TEST(RegistryConformanceTest, NonCanonicalSuffixesAreOrdinaryNames) {
  EXPECT_EQ(this->Name(Generate("eve_01")), "eve_01");
  EXPECT_EQ(this->Name(Generate("eve_0")), "eve_0");
  EXPECT_EQ(this->Name(Generate("eve_99999999999")), "eve_99999999999");
  EXPECT_EQ(this->Name(Generate("eve")), "eve");
  EXPECT_EQ(this->Name(Generate("eve")), "eve_1");
}

TYPED_TEST(RegistryConformanceTest, SuffixedNamesStayWithinLiveKitsIdentityLimit) {
  const std::string longest(256, 'a');
  EXPECT_EQ(this->Name(Generate(longest)), longest);
  const std::string second = this->Name(Generate(longest));
  EXPECT_EQ(second.size(), 256u);
  EXPECT_EQ(second, std::string(254, 'a') + "_1");
  // Multi-byte characters are never cut in half.
  std::string accents;
  while (accents.size() < 256) accents += "\xC3\xA9";  // é
  EXPECT_EQ(this->Name(Generate(accents)), accents);
  const std::string suffixed = this->Name(Generate(accents));
  EXPECT_LE(suffixed.size(), 256u);
  EXPECT_EQ(suffixed.substr(suffixed.size() - 2), "_1");
  EXPECT_EQ((suffixed.size() - 2) % 2, 0u) << "whole two-byte characters only";
}

TYPED_TEST(RegistryConformanceTest, NumbersOfEveryDigitCountAreReusedLowestFirst) {
  for (int i = 0; i < 14; ++i) this->Name(Generate("Y"));  // Y, Y_1..Y_13
  for (const char* name : {"Y_11", "Y_5", "Y_10"}) EXPECT_TRUE(this->Left(this->Id(name), name));
  EXPECT_EQ(this->Name(Generate("Y")), "Y_5");
  EXPECT_EQ(this->Name(Generate("Y")), "Y_10");
  EXPECT_EQ(this->Name(Generate("Y")), "Y_11");
  EXPECT_EQ(this->Name(Generate("Y")), "Y_14");
}

// Issue item 11: a candidate of a 255–256-byte name has a shortened base, and its number came
// back to the wrong pool when released (after _1 was released the next was _4).
TYPED_TEST(RegistryConformanceTest, LongNamesReuseReleasedNumbersLowestFirst) {
  const std::string longest(256, 'L');
  const std::string stem1(254, 'L'), stem2(253, 'L');
  EXPECT_EQ(this->Name(Generate(longest)), longest);
  for (int n = 1; n <= 12; ++n) {
    const std::string expected = (n < 10 ? stem1 : stem2) + "_" + std::to_string(n);
    EXPECT_EQ(this->Name(Generate(longest)), expected);
  }
  for (const std::string& name : {stem1 + "_1", stem1 + "_3", stem2 + "_10", stem2 + "_11"}) {
    EXPECT_TRUE(this->Left(this->Id(name), name));
  }
  EXPECT_EQ(this->Name(Generate(longest)), stem1 + "_1");
  EXPECT_EQ(this->Name(Generate(longest)), stem1 + "_3");
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_10");
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_11");
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_13");
  // The base itself is reused first, with its case.
  EXPECT_TRUE(this->Left(this->Id(longest), longest));
  const std::string lower(256, 'l');
  EXPECT_EQ(this->Name(Generate(lower)), lower);
  EXPECT_EQ(this->Name(Generate(lower)), std::string(253, 'l') + "_14") << "same pools whatever the case";
}

// The 256-byte name reads the 253-byte stem's pool from _10 on; _1.._9 of that stem were never
// handed out and stay free for the stem typed as a name.
TYPED_TEST(RegistryConformanceTest, AStemReadFromTwoDigitsOnKeepsItsLowerNumbersFree) {
  const std::string longest(256, 'G'), stem2(253, 'G');
  for (int i = 0; i < 11; ++i) this->Name(Generate(longest));  // the name, _1.._9 (254 bytes), _10
  EXPECT_EQ(this->Name(Generate(stem2)), stem2);
  EXPECT_EQ(this->Name(Generate(stem2)), stem2 + "_1");
  EXPECT_EQ(this->Name(Generate(stem2)), stem2 + "_2");
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_11");
  for (int n = 3; n <= 9; ++n) EXPECT_EQ(this->Name(Generate(stem2)), stem2 + "_" + std::to_string(n));
  EXPECT_EQ(this->Name(Generate(stem2)), stem2 + "_12") << "_10 and _11 are held";
  EXPECT_TRUE(this->Left(this->Id(stem2 + "_10"), stem2 + "_10"));
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_10");
}

TYPED_TEST(RegistryConformanceTest, LongMultiByteNamesReuseReleasedNumbers) {
  std::string accents;
  while (accents.size() < 256) accents += "\xC3\xA9";  // é
  const std::string stem(accents.substr(0, 254));
  EXPECT_EQ(this->Name(Generate(accents)), accents);
  EXPECT_EQ(this->Name(Generate(accents)), stem + "_1");
  EXPECT_EQ(this->Name(Generate(accents)), stem + "_2");
  EXPECT_TRUE(this->Left(this->Id(stem + "_1"), stem + "_1"));
  EXPECT_EQ(this->Name(Generate(accents)), stem + "_1");
  // The stem typed as a name is free, then shares the stem's numbers.
  EXPECT_EQ(this->Name(Generate(stem)), stem);
  EXPECT_EQ(this->Name(Generate(stem)), stem + "_3");
}

// Names that share the shortened stem compete for the same candidates: every number of that stem
// is one pool, so a released one goes to whichever asks next.
TYPED_TEST(RegistryConformanceTest, LongNamesSharingAStemShareItsNumbers) {
  const std::string prefix(254, 'p');
  const std::string first = prefix + "ab", second = prefix + "cd";
  EXPECT_EQ(this->Name(Generate(first)), first);
  EXPECT_EQ(this->Name(Generate(second)), second);
  EXPECT_EQ(this->Name(Generate(first)), prefix + "_1");
  EXPECT_EQ(this->Name(Generate(second)), prefix + "_2");
  EXPECT_EQ(this->Name(Generate(prefix)), prefix) << "the stem itself is a free name";
  EXPECT_TRUE(this->Left(this->Id(prefix + "_1"), prefix + "_1"));
  EXPECT_EQ(this->Name(Generate(second)), prefix + "_1");
  EXPECT_EQ(this->Name(Generate(prefix)), prefix + "_3");
}

TYPED_TEST(RegistryConformanceTest, ReloadWithALongNameKeepsItsShortenedName) {
  const std::string longest(256, 'R');
  this->Name(Generate(longest));
  auto second = this->Admit(Generate(longest));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->name, std::string(254, 'R') + "_1");
  auto reload = Generate(longest);
  reload.owned_identity = second->identity;
  auto reloaded = this->Admit(reload);
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(reloaded->name, second->name) << "the same person asking again keeps the name";
  EXPECT_EQ(reloaded->created_generation, second->created_generation);
}

TYPED_TEST(RegistryConformanceTest, RoomsAreIsolated) {
  auto other = Generate("Same");
  other.room_id = "other";
  EXPECT_EQ(this->Name(Generate("Same")), "Same");
  EXPECT_EQ(this->Name(other), "Same");
  EXPECT_EQ(this->Rooms(), (std::vector<std::string>{"other", "room"}));
}

// ---- Ownership (§3.2, §3.4) ------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, ReleaseIsOwnerChecked) {
  this->Name(Generate("Carol"));
  EXPECT_FALSE(this->Left("somebody-else", "Carol"));
  EXPECT_FALSE(this->Left("Carol", "Carol_9"));
  EXPECT_EQ(this->Name(Generate("Carol")), "Carol_1");
  EXPECT_TRUE(this->Left(this->Id("Carol"), "Carol"));
  EXPECT_FALSE(this->Left(this->Id("Carol"), "Carol")) << "a duplicate leave releases nothing";
}

TYPED_TEST(RegistryConformanceTest, CallerSuppliedIdentityMustBeFree) {
  auto first = Generate("Dave");
  first.identity = "dave-id";
  auto created = this->Admit(first);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->identity, "dave-id");
  EXPECT_EQ(created->name, "Dave");
  auto second = Generate("Other");
  second.identity = "dave-id";
  auto result = this->Admit(second);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(result.error().name, "Participant Error");
  EXPECT_EQ(result.error().message, "Participant 'dave-id' already exists in room 'room'");
  // A name that equals someone's identity is not handed out either.
  EXPECT_EQ(this->Name(Generate("dave-id")), "dave-id_1");
  // The owner of that identity asking again gets its entry back (under the name it asks for now).
  auto again = second;
  again.owned_identity = "dave-id";
  auto reused = this->Admit(again);
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->identity, "dave-id");
  EXPECT_EQ(reused->name, "Other");
}

TYPED_TEST(RegistryConformanceTest, OwnedIdentityKeepsItsNameOnReloadAndRefresh) {
  ASSERT_TRUE(this->Admit(Generate("Erin")));
  ASSERT_TRUE(this->Admit(Generate("Erin")));  // Erin_1
  auto reload = Generate("erin");
  reload.owned_identity = this->Id("Erin_1");
  auto again = this->Admit(reload);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->identity, this->Id("Erin_1")) << "the base of the allocated name counts as the same name";
  EXPECT_EQ(again->name, "Erin_1");

  auto refreshed = this->Admit(Refresh(this->Id("Erin")));
  ASSERT_TRUE(refreshed);
  EXPECT_EQ(refreshed->name, "Erin");
  EXPECT_EQ(this->Run(this->registry().List("room"))->size(), 2u);
}

TYPED_TEST(RegistryConformanceTest, ReloadUnderAnotherNameKeepsTheIdentityAndItsRoles) {
  auto first = this->Admit(Generate("Olga", ParticipantRole::kModerator));
  ASSERT_TRUE(first);
  auto renamed = Generate("Olga B.");
  renamed.owned_identity = first->identity;
  auto entry = this->Admit(renamed);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->identity, first->identity) << "one holder, one identity";
  EXPECT_EQ(entry->name, "Olga B.");
  EXPECT_EQ(entry->roles, (std::vector{ParticipantRole::kModerator, ParticipantRole::kSpeaker}));
  EXPECT_TRUE(entry->moderator_secret_holder);
  EXPECT_EQ(this->Name(Generate("Olga")), "Olga") << "the old name is free again";
  EXPECT_EQ(this->Run(this->registry().List("room"))->size(), 2u);
}

TYPED_TEST(RegistryConformanceTest, MintedIdentitiesAreUniquePerAdmissionAndCarryTheName) {
  auto first = this->Admit(Generate("Alice", ParticipantRole::kModerator));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->identity.rfind("Alice-", 0), 0u) << first->identity;
  ASSERT_TRUE(this->Left(first->identity, "Alice"));
  // The name is free again; its next holder is somebody else with an identity of its own.
  auto squatter = this->Admit(Generate("Alice"));
  ASSERT_TRUE(squatter);
  EXPECT_EQ(squatter->name, "Alice");
  EXPECT_NE(squatter->identity, first->identity);
  EXPECT_EQ(squatter->roles, (std::vector{ParticipantRole::kSpeaker}));
  // The first Alice comes back with her token: her own identity and her roles, under another name;
  // nothing of hers reaches the squatter's record.
  auto back = Generate("Alice", ParticipantRole::kModerator);
  back.owned_identity = first->identity;
  auto returned = this->Admit(back);
  ASSERT_TRUE(returned);
  EXPECT_EQ(returned->identity, first->identity);
  EXPECT_EQ(returned->name, "Alice_1");
  EXPECT_TRUE(returned->HasRole(ParticipantRole::kModerator));
  auto squatter_now = this->Get(squatter->identity);
  ASSERT_TRUE(squatter_now);
  EXPECT_EQ(squatter_now->roles, (std::vector{ParticipantRole::kSpeaker}));
  EXPECT_FALSE(squatter_now->moderator_secret_holder);
}

TYPED_TEST(RegistryConformanceTest, LongNamesMintIdentitiesWithinTheLimit) {
  std::string accents;
  while (accents.size() < 256) accents += "\xC3\xA9";  // é
  auto admitted = this->Admit(Generate(accents));
  ASSERT_TRUE(admitted);
  EXPECT_LE(admitted->identity.size(), 256u);
  const std::size_t dash = admitted->identity.rfind('-');
  ASSERT_NE(dash, std::string::npos);
  EXPECT_EQ(dash % 2, 0u) << "whole two-byte characters only";
}

TYPED_TEST(RegistryConformanceTest, ADepartedIdentityKeepsItsRecordAndDemotion) {
  auto mod = this->Admit(Generate("Dina", ParticipantRole::kModerator));
  ASSERT_TRUE(mod);
  ASSERT_TRUE(*this->Run(this->registry().MarkJoined("room", mod->identity, "Dina", 1100)));
  auto demoted = this->Run(this->registry().SetRole("room", mod->identity, ParticipantRole::kSpeaker));
  ASSERT_TRUE(demoted && *demoted);
  ASSERT_TRUE(this->Left(mod->identity, "Dina"));
  auto departed = this->Get(mod->identity);
  ASSERT_TRUE(departed) << "the record outlives the presence";
  EXPECT_EQ(departed->presence, Presence::kDeparted);
  EXPECT_TRUE(departed->demoted);
  EXPECT_EQ(departed->roles, (std::vector{ParticipantRole::kSpeaker}));
  EXPECT_EQ(departed->grant_version, (*demoted)->grant_version);
  EXPECT_FALSE(this->Run(this->registry().List("room"))->size()) << "departed records are not present";
  // Back with its old token and the moderator secret: the demotion holds.
  auto again = Generate("Dina", ParticipantRole::kModerator);
  again.owned_identity = mod->identity;
  auto back = this->Admit(again);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->identity, mod->identity);
  EXPECT_EQ(back->roles, (std::vector{ParticipantRole::kSpeaker}));
  // Refresh of a departed identity brings back its record too.
  ASSERT_TRUE(this->Left(mod->identity, back->name));
  auto refreshed = this->Admit(Refresh(mod->identity, ParticipantRole::kModerator));
  ASSERT_TRUE(refreshed);
  EXPECT_EQ(refreshed->roles, (std::vector{ParticipantRole::kSpeaker}));
}

TYPED_TEST(RegistryConformanceTest, ADepartedIdentityIsNotHandedToAnybodyElse) {
  auto first = Generate("Nils");
  first.identity = "nils-id";
  ASSERT_TRUE(this->Admit(first));
  ASSERT_TRUE(this->Left("nils-id", "Nils"));
  auto other = Generate("Other");
  other.identity = "nils-id";
  auto taken = this->Admit(other);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kAlreadyExists);
  auto owner = other;
  owner.owned_identity = "nils-id";
  EXPECT_TRUE(this->Admit(owner)) << "its holder may have it again";
}

TYPED_TEST(RegistryConformanceTest, AnIdentityWithoutRecordGetsOnlyTheRoleProvenNow) {
  // Refresh of an identity the registry never recorded (or has pruned).
  auto refresh = Refresh("Pia", ParticipantRole::kSpeaker);
  auto entry = this->Admit(refresh);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->identity, "Pia");
  EXPECT_EQ(entry->name, "anything");
  EXPECT_EQ(entry->roles, (std::vector{ParticipantRole::kSpeaker}));
  EXPECT_EQ(entry->generation, entry->created_generation);
  // Generate with a token of such an identity: the same.
  auto carried = Generate("Quinn");
  carried.owned_identity = "old-quinn";
  auto quinn = this->Admit(carried);
  ASSERT_TRUE(quinn);
  EXPECT_NE(quinn->identity, "old-quinn") << "nothing recorded to keep: a new identity";
  EXPECT_EQ(quinn->roles, (std::vector{ParticipantRole::kSpeaker}));
  // A caller proving it holds a kicked identity is refused, whatever name it asks for.
  ASSERT_TRUE(this->Run(this->registry().Ban("room", "old-rita", 1000)));
  auto banned = Generate("Rita");
  banned.owned_identity = "old-rita";
  auto refused = this->Admit(banned);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().message, "Participant 'old-rita' was removed from room 'room'");
}

TYPED_TEST(RegistryConformanceTest, RoleChangesAndMeetingEndsMoveTheGrantVersionOn) {
  auto admitted = this->Admit(Generate("Gus"));
  ASSERT_TRUE(admitted);
  const auto v0 = admitted->grant_version;
  auto promoted = this->Run(this->registry().SetRole("room", admitted->identity, ParticipantRole::kModerator));
  ASSERT_TRUE(promoted && *promoted);
  EXPECT_NE((*promoted)->grant_version, v0);
  ASSERT_TRUE(*this->Run(this->registry().MarkJoined("room", admitted->identity, "Gus", 1500)));
  ASSERT_TRUE(this->Left(admitted->identity, "Gus"));
  this->Run(this->registry().FinishMeeting("room", 2000));
  auto after = this->Get(admitted->identity);
  ASSERT_TRUE(after);
  EXPECT_NE(after->grant_version, (*promoted)->grant_version) << "the end of the meeting voids its grants";
  EXPECT_TRUE(after->HasRole(ParticipantRole::kModerator)) << "the recorded role itself stays";
}

TYPED_TEST(RegistryConformanceTest, ForgetRoomDropsEverythingOfTheRoom) {
  auto admitted = this->Admit(Generate("Fay"));
  ASSERT_TRUE(admitted);
  ASSERT_TRUE(this->Run(this->registry().Ban("room", "kicked", 1000)));
  ASSERT_TRUE(this->Run(this->registry().ForgetRoom("room")));
  EXPECT_TRUE(this->Rooms().empty());
  EXPECT_FALSE(*this->Run(this->registry().IsBanned("room", "kicked")));
  EXPECT_TRUE(this->Run(this->registry().List("room"))->empty());
  auto departed = this->Get(admitted->identity);
  ASSERT_TRUE(departed) << "its record stays until its tokens expire";
  EXPECT_EQ(departed->presence, Presence::kDeparted);
  EXPECT_NE(departed->grant_version, admitted->grant_version) << "its grants are void";
}

// ---- Roles -----------------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, RolesAccumulateButDemotionSticks) {
  auto mod = this->Admit(Generate("Frank", ParticipantRole::kModerator));
  ASSERT_TRUE(mod);
  EXPECT_EQ(mod->roles, (std::vector{ParticipantRole::kModerator}));
  EXPECT_TRUE(mod->moderator_secret_holder);
  auto as_speaker = Generate("Frank", ParticipantRole::kSpeaker);
  as_speaker.owned_identity = this->Id("Frank");
  auto both = this->Admit(as_speaker);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->roles, (std::vector{ParticipantRole::kModerator, ParticipantRole::kSpeaker}));
  EXPECT_EQ(both->selected_role, ParticipantRole::kSpeaker);

  auto demoted = this->Run(this->registry().SetRole("room", this->Id("Frank"), ParticipantRole::kSpeaker));
  ASSERT_TRUE(demoted && *demoted);
  EXPECT_TRUE((*demoted)->demoted);
  EXPECT_EQ((*demoted)->roles, (std::vector{ParticipantRole::kSpeaker}));

  auto after = this->Admit(Refresh(this->Id("Frank"), ParticipantRole::kModerator));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->roles, (std::vector{ParticipantRole::kSpeaker})) << "the moderator secret cannot undo a demotion";
  EXPECT_EQ(after->selected_role, ParticipantRole::kSpeaker);
}

TYPED_TEST(RegistryConformanceTest, PromotionIsMarkedUnlessTheModeratorSecretWasProven) {
  ASSERT_TRUE(this->Admit(Generate("Gina")));
  auto promoted = this->Run(this->registry().SetRole("room", this->Id("Gina"), ParticipantRole::kModerator));
  ASSERT_TRUE(promoted && *promoted);
  EXPECT_TRUE((*promoted)->promoted);
  EXPECT_EQ((*promoted)->selected_role, ParticipantRole::kModerator);

  ASSERT_TRUE(this->Admit(Generate("Hank", ParticipantRole::kModerator)));
  this->Run(this->registry().SetRole("room", this->Id("Hank"), ParticipantRole::kSpeaker));
  auto back = this->Run(this->registry().SetRole("room", this->Id("Hank"), ParticipantRole::kModerator));
  ASSERT_TRUE(back && *back);
  EXPECT_FALSE((*back)->promoted);
  EXPECT_FALSE((*back)->demoted);
}

TYPED_TEST(RegistryConformanceTest, AGrantedModeratorRoleIsNotASecretProof) {
  auto granted = Generate("Ivy", ParticipantRole::kModerator);
  granted.role_from_grant = true;
  auto entry = this->Admit(granted);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->roles, (std::vector{ParticipantRole::kModerator}));
  EXPECT_FALSE(entry->moderator_secret_holder);
}

TYPED_TEST(RegistryConformanceTest, RoleChangesOfUnknownIdentitiesFindNothing) {
  auto result = this->Run(this->registry().SetRole("room", this->Id("nobody"), ParticipantRole::kModerator));
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result);
  ParticipantRecord ghost;
  ghost.identity = "nobody";
  EXPECT_TRUE(this->Run(this->registry().RestoreRoles("room", ghost)));
  EXPECT_FALSE(this->Get(this->Id("nobody")));
  EXPECT_TRUE(this->Rooms().empty());
}

TYPED_TEST(RegistryConformanceTest, RestoreRolesUndoesAFailedRoleChange) {
  auto before = this->Admit(Generate("Moe", ParticipantRole::kModerator));
  ASSERT_TRUE(before);
  this->Run(this->registry().SetRole("room", this->Id("Moe"), ParticipantRole::kSpeaker));
  this->Run(this->registry().RestoreRoles("room", *before));
  auto after = this->Get(this->Id("Moe"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->roles, before->roles);
  EXPECT_EQ(after->selected_role, ParticipantRole::kModerator);
  EXPECT_FALSE(after->demoted);
  EXPECT_FALSE(after->promoted);
}

// ---- The record ------------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, GetAndListReturnTheRecordAsAdmitted) {
  constexpr std::int64_t kReserved = 1'700'000'000'123;  // real epoch milliseconds, every digit kept
  constexpr std::int64_t kJoined = 1'700'000'004'567;
  auto admitted = this->Admit(Generate("Nia", ParticipantRole::kModerator, kReserved));
  ASSERT_TRUE(admitted);
  EXPECT_EQ(admitted->identity.rfind("Nia-", 0), 0u) << admitted->identity;
  EXPECT_EQ(admitted->presence, Presence::kReserved);
  EXPECT_EQ(admitted->reserved_at_ms, kReserved);
  EXPECT_EQ(admitted->joined_at_ms, 0);
  EXPECT_GT(admitted->generation, 0u);
  EXPECT_EQ(admitted->generation, admitted->created_generation);
  auto got = this->Get(this->Id("Nia"));
  ASSERT_TRUE(got);
  ExpectSameRecord(*got, *admitted);

  ASSERT_TRUE(*this->Run(this->registry().MarkJoined("room", this->Id("Nia"), "Nia", kJoined)));
  auto joined = this->Get(this->Id("Nia"));
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->presence, Presence::kJoined);
  EXPECT_EQ(joined->joined_at_ms, kJoined);

  auto reload = Generate("Nia", ParticipantRole::kSpeaker, kJoined + 1);
  reload.owned_identity = this->Id("Nia");
  auto reused = this->Admit(reload);
  ASSERT_TRUE(reused);
  EXPECT_GT(reused->generation, admitted->generation) << "every admission is a new generation";
  EXPECT_EQ(reused->created_generation, admitted->created_generation);

  ASSERT_TRUE(this->Admit(Generate("Abe")));
  auto all = this->Run(this->registry().List("room"));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_LT((*all)[0].identity, (*all)[1].identity) << "sorted by identity";
  ExpectSameRecord((*all)[1], *this->Get(this->Id("Nia")));
  EXPECT_TRUE(this->Run(this->registry().List("empty"))->empty());
  EXPECT_FALSE(this->Get(this->Id("nobody")));
}

// ---- Bans (§5.1) -----------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, BanReleasesTheNameAndBlocksTheIdentityUntilTheMeetingEnds) {
  ASSERT_TRUE(this->Admit(Generate("Ivan")));
  this->Run(this->registry().Ban("room", this->Id("Ivan"), 1000));
  EXPECT_TRUE(*this->Run(this->registry().IsBanned("room", this->Id("Ivan"))));
  EXPECT_FALSE(*this->Run(this->registry().IsBanned("room", this->Id("Other"))));
  auto refused = this->Admit(Refresh(this->Id("Ivan")));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().message, "Participant '" + this->Id("Ivan") + "' was removed from room 'room'");
  auto chosen = Generate("Someone");
  chosen.identity = this->Id("Ivan");
  auto chosen_refused = this->Admit(chosen);
  ASSERT_FALSE(chosen_refused);
  EXPECT_EQ(chosen_refused.error().code, ErrorCode::kPermissionDenied);
  auto joined = this->Run(this->registry().MarkJoined("room", this->Id("Ivan"), "Ivan", 2000));
  ASSERT_TRUE(joined);
  EXPECT_FALSE(*joined) << "a banned identity joining must be removed again";
  auto kicked = this->Get(this->Id("Ivan"));
  ASSERT_TRUE(kicked) << "its record stays, departed";
  EXPECT_EQ(kicked->presence, Presence::kDeparted);
  EXPECT_TRUE(this->Run(this->registry().List("room"))->empty());

  this->Run(this->registry().FinishMeeting("room", 3000));
  EXPECT_FALSE(*this->Run(this->registry().IsBanned("room", this->Id("Ivan"))));
  EXPECT_TRUE(this->Admit(Refresh(this->Id("Ivan"))));
}

TYPED_TEST(RegistryConformanceTest, ABannedIdentityIsNotHandedOutAgain) {
  // A kicked participant's name is free again; its identity is never anybody else's.
  auto kim = this->Admit(Generate("Kim"));
  ASSERT_TRUE(kim);
  this->Run(this->registry().Ban("room", kim->identity, 1000));
  auto next = this->Admit(Generate("Kim"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->name, "Kim");
  EXPECT_NE(next->identity, kim->identity);
  // A name equal to a banned caller-chosen identity is not handed out: whoever got it would be
  // taken for the banned participant.
  this->Run(this->registry().Ban("room", "Lou", 1000));
  EXPECT_EQ(this->Name(Generate("Lou")), "Lou_1");
  this->Run(this->registry().Unban("room", "Lou"));
  EXPECT_EQ(this->Name(Generate("Lou")), "Lou");
}

TYPED_TEST(RegistryConformanceTest, ARoomWithOnlyBansIsListedUntilTheyAreLifted) {
  this->Run(this->registry().Ban("room", this->Id("Lars"), 1000));
  EXPECT_EQ(this->Rooms(), (std::vector<std::string>{"room"}));
  this->Run(this->registry().Unban("room", this->Id("Lars")));
  EXPECT_TRUE(this->Rooms().empty());
}

// ---- Admission (§4) --------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, CapacityCountsReservedAndJoined) {
  auto r = Generate("p");
  r.max_participants = 2;
  ASSERT_TRUE(this->Admit(r));
  ASSERT_TRUE(this->Admit(r));
  ASSERT_TRUE(*this->Run(this->registry().MarkJoined("room", this->Id("p"), "p", 1500)));
  auto full = this->Admit(r);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(full.error().name, "Room Error");
  EXPECT_EQ(full.error().message, "Room 'room' is full");
  // The same identity asking again is not a new participant.
  auto again = r;
  again.owned_identity = this->Id("p");
  EXPECT_TRUE(this->Admit(again));
  EXPECT_TRUE(this->Admit(Refresh(this->Id("p_1"))));
}

TYPED_TEST(RegistryConformanceTest, ARefusedAdmissionLeavesNoRoomBehind) {
  auto r = Generate("p");
  r.room_id = "tiny";
  r.max_participants = 0;
  EXPECT_FALSE(this->Admit(r));
  EXPECT_TRUE(this->Rooms().empty());
}

TYPED_TEST(RegistryConformanceTest, RollbackUndoesOnlyTheReservationItCreated) {
  auto created = this->Admit(Generate("Jill"));
  ASSERT_TRUE(created);
  this->Run(this->registry().Rollback("room", this->Id("Jill"), created->generation + 1));
  EXPECT_EQ(this->Name(Generate("Jill")), "Jill_1") << "wrong generation: nothing rolled back";
  this->Run(this->registry().Rollback("room", this->Id("Jill"), created->generation));
  EXPECT_EQ(this->Name(Generate("Jill")), "Jill");
}

TYPED_TEST(RegistryConformanceTest, RollbackKeepsEntriesThatExistedBeforeOrJoined) {
  ASSERT_TRUE(this->Admit(Generate("Ken")));
  auto reload = Generate("Ken");
  reload.owned_identity = this->Id("Ken");
  auto reused = this->Admit(reload);
  ASSERT_TRUE(reused);
  this->Run(this->registry().Rollback("room", this->Id("Ken"), reused->generation));
  EXPECT_TRUE(this->Get(this->Id("Ken"))) << "the entry predates the failed admission";

  auto created = this->Admit(Generate("Lea"));
  ASSERT_TRUE(created);
  this->Run(this->registry().MarkJoined("room", this->Id("Lea"), "Lea", 2000));
  this->Run(this->registry().Rollback("room", this->Id("Lea"), created->generation));
  EXPECT_TRUE(this->Get(this->Id("Lea"))) << "a joined participant is not rolled back";
}

// ---- Lifetime (§3.3) -------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, FinishMeetingKeepsTokensIssuedAfterTheFinish) {
  ASSERT_TRUE(this->Admit(Generate("Old", ParticipantRole::kSpeaker, 1000)));
  ASSERT_TRUE(this->Admit(Generate("New", ParticipantRole::kSpeaker, 5000)));
  ASSERT_TRUE(this->Admit(Generate("Joiner", ParticipantRole::kSpeaker, 1000)));
  this->Run(this->registry().MarkJoined("room", this->Id("Joiner"), "Joiner", 4500));
  this->Run(this->registry().FinishMeeting("room", 4000));
  EXPECT_EQ(this->Name(Generate("Old", ParticipantRole::kSpeaker, 6000)), "Old");
  EXPECT_EQ(this->Name(Generate("New", ParticipantRole::kSpeaker, 6000)), "New_1");
  EXPECT_EQ(this->Name(Generate("Joiner", ParticipantRole::kSpeaker, 6000)), "Joiner_1");
}

TYPED_TEST(RegistryConformanceTest, LeaveAfterAFreshTokenFallsBackToReserved) {
  ASSERT_TRUE(this->Admit(Generate("Kim", ParticipantRole::kSpeaker, 1000)));
  this->Run(this->registry().MarkJoined("room", this->Id("Kim"), "Kim", 2000));
  auto reload = Generate("Kim", ParticipantRole::kSpeaker, 3000);
  reload.owned_identity = this->Id("Kim");
  ASSERT_TRUE(this->Admit(reload));
  EXPECT_FALSE(this->Left(this->Id("Kim"), "Kim"));
  EXPECT_EQ(this->Get(this->Id("Kim"))->presence, Presence::kReserved);
  EXPECT_EQ(this->Name(Generate("Kim")), "Kim_1");
  EXPECT_FALSE(*this->Run(this->registry().ReleaseStale("room", this->Id("Kim"), 3000))) << "not older than the limit";
  EXPECT_TRUE(*this->Run(this->registry().ReleaseStale("room", this->Id("Kim"), 4000)));
  EXPECT_EQ(this->Name(Generate("Kim")), "Kim");
}

TYPED_TEST(RegistryConformanceTest, ReleaseStaleKeepsJoinedParticipants) {
  ASSERT_TRUE(this->Admit(Generate("Max", ParticipantRole::kSpeaker, 1000)));
  this->Run(this->registry().MarkJoined("room", this->Id("Max"), "Max", 2000));
  EXPECT_FALSE(*this->Run(this->registry().ReleaseStale("room", this->Id("Max"), 9000)));
  EXPECT_FALSE(*this->Run(this->registry().ReleaseStale("room", this->Id("nobody"), 9000)));
  EXPECT_FALSE(*this->Run(this->registry().ReleaseStale("elsewhere", "Max", 9000)));
  EXPECT_TRUE(this->Get(this->Id("Max")));
}

TYPED_TEST(RegistryConformanceTest, ExternalJoinBlocksItsName) {
  this->Run(this->registry().MarkJoined("room", this->Id("TEST_PARTICIPANT"), "TEST_PARTICIPANT", 1000));
  EXPECT_EQ(this->Name(Generate("TEST_PARTICIPANT")), "TEST_PARTICIPANT_1");
  auto joined = this->Get(this->Id("TEST_PARTICIPANT"));
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->presence, Presence::kJoined);
  EXPECT_TRUE(joined->roles.empty());
}

TYPED_TEST(RegistryConformanceTest, ExternalJoinBlocksItsLookAlikes) {
  this->Run(this->registry().MarkJoined("room", "ext-0", "\uFF3Aed", 1000));  // fullwidth Ｚ
  EXPECT_EQ(this->Name(Generate("zed")), "zed_1");
  this->Run(this->registry().MarkJoined("room", "ZED", "", 1000));  // no name: its identity, taken
  EXPECT_EQ(this->Get("ZED")->name, "ZED");
  EXPECT_TRUE(this->Left("ext-0", "\uFF3Aed"));
  EXPECT_EQ(this->Name(Generate("Zed")), "Zed");
}

TYPED_TEST(RegistryConformanceTest, ExternalJoinUnderATakenNameFallsBackToItsIdentity) {
  ASSERT_TRUE(this->Admit(Generate("Uma")));
  this->Run(this->registry().MarkJoined("room", this->Id("ext-1"), "uma", 1000));
  EXPECT_EQ(this->Get(this->Id("ext-1"))->name, "ext-1");
  EXPECT_EQ(this->Name(Generate("ext-1")), "ext-1_1");
  // An empty name is the identity.
  this->Run(this->registry().MarkJoined("room", this->Id("ext-2"), "", 1000));
  EXPECT_EQ(this->Get(this->Id("ext-2"))->name, "ext-2");
}

TYPED_TEST(RegistryConformanceTest, ExternalJoinWhoseIdentityIsSomebodysNameHoldsNoName) {
  ASSERT_TRUE(this->Admit(Generate("Uma")));
  this->Run(this->registry().MarkJoined("room", this->Id("UMA"), "Uma", 1000));
  auto nameless = this->Get(this->Id("UMA"));
  ASSERT_TRUE(nameless);
  EXPECT_EQ(nameless->name, "UMA");
  EXPECT_TRUE(this->Left(this->Id("UMA"), "UMA")) << "its own entry goes";
  EXPECT_FALSE(this->Get(this->Id("UMA")));
  EXPECT_EQ(this->Name(Generate("uma")), "uma_1") << "but Uma keeps her name";
}

TYPED_TEST(RegistryConformanceTest, EmptyRoomsAreForgotten) {
  ASSERT_TRUE(this->Admit(Generate("Lou")));
  EXPECT_EQ(this->Rooms().size(), 1u);
  this->Left(this->Id("Lou"), "Lou");
  EXPECT_TRUE(this->Rooms().empty());
  EXPECT_FALSE(*this->Run(this->registry().MarkLeft("gone", "Lou", "Lou")));
  EXPECT_TRUE(this->Rooms().empty());
}

// ---- Atomicity -------------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, ConcurrentAdmissionsThroughTwoInstancesGetDistinctNames) {
  constexpr int kRequests = 2000;
  std::vector<std::future<Result<ParticipantRecord>>> pending;
  pending.reserve(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    ParticipantRegistry& instance = i % 2 == 0 ? this->registry() : this->peer();
    pending.push_back(boost::asio::co_spawn(this->ioc_, instance.Admit(Generate(i % 3 ? "Crowd" : "crowd")),
                                            boost::asio::use_future));
  }
  std::set<std::string> folded;
  for (auto& future : pending) {
    auto admitted = future.get();
    ASSERT_TRUE(admitted) << admitted.error().message;
    std::string name = admitted->name;
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_TRUE(folded.insert(name).second) << admitted->name << " handed out twice";
  }
  // Nobody left, so the names are exactly the base and the numbers 1..kRequests-1.
  EXPECT_EQ(folded.size(), static_cast<std::size_t>(kRequests));
  EXPECT_EQ(folded.count("crowd"), 1u);
  EXPECT_EQ(folded.count("crowd_" + std::to_string(kRequests - 1)), 1u);
  EXPECT_EQ(this->Run(this->peer().List("room"))->size(), static_cast<std::size_t>(kRequests));
}

TYPED_TEST(RegistryConformanceTest, ConcurrentAdmissionsAndLeavesNeverShareAName) {
  constexpr int kWorkers = 16;
  constexpr int kRounds = 40;
  // Each worker admits and leaves again, through alternating instances: released numbers are
  // handed out again while others allocate.
  auto worker = [this](int w) -> boost::asio::awaitable<Result<void>> {
    for (int i = 0; i < kRounds; ++i) {
      ParticipantRegistry& instance = (w + i) % 2 == 0 ? this->registry() : this->peer();
      auto admitted = co_await instance.Admit(Generate("Churn"));
      if (!admitted) co_return Fail(admitted.error());
      if (i % 2 == 0) {
        auto left = co_await instance.MarkLeft("room", admitted->identity, admitted->name);
        if (!left) co_return Fail(left.error());
        if (!*left) co_return Fail(Error::Internal("own leave released nothing: " + admitted->name));
      }
    }
    co_return Result<void>{};
  };
  std::vector<std::future<Result<void>>> pending;
  for (int w = 0; w < kWorkers; ++w) {
    pending.push_back(boost::asio::co_spawn(this->ioc_, worker(w), boost::asio::use_future));
  }
  for (auto& future : pending) {
    auto done = future.get();
    EXPECT_TRUE(done) << done.error().message;
  }
  auto present = this->Run(this->registry().List("room"));
  ASSERT_TRUE(present);
  EXPECT_EQ(present->size(), static_cast<std::size_t>(kWorkers * kRounds / 2));
  std::set<std::string> names;
  for (const auto& record : *present) EXPECT_TRUE(names.insert(record.name).second) << record.name;
}

}  // namespace
}  // namespace convene::registry
