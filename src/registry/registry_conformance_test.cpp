// The participant registry's contract (deviations §3–§5), run over every implementation: the
// in-process one and the Redis one must behave identically, operation for operation.
#include <gtest/gtest.h>

#include <algorithm>
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
  AdmissionRequest r;
  r.room_id = "room";
  r.name = std::move(name);
  r.role = role;
  r.now_ms = now;
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
  Result<ParticipantRecord> Admit(AdmissionRequest r) { return Run(registry().Admit(std::move(r))); }
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
  EXPECT_TRUE(this->Left("alice_1", "alice_1"));
  EXPECT_EQ(this->Name(Generate("ALICE")), "ALICE_1");
}

TYPED_TEST(RegistryConformanceTest, AFullwidthSuffixIsTheSameNumber) {
  EXPECT_EQ(this->Name(Generate("Bob\uFF3F\uFF11")), "Bob\uFF3F\uFF11");
  EXPECT_EQ(this->Name(Generate("bob")), "bob");
  EXPECT_EQ(this->Name(Generate("bob")), "bob_2") << "Bob＿１ holds bob_1";
  EXPECT_TRUE(this->Left("Bob\uFF3F\uFF11", "Bob\uFF3F\uFF11"));
  EXPECT_EQ(this->Name(Generate("bob")), "bob_1");
}

TYPED_TEST(RegistryConformanceTest, ReleasedNumbersAreReusedLowestFirst) {
  for (int i = 0; i < 5; ++i) this->Name(Generate("X"));  // X, X_1..X_4
  EXPECT_TRUE(this->Left("X_1", "X_1"));
  EXPECT_TRUE(this->Left("X_3", "X_3"));
  EXPECT_EQ(this->Name(Generate("X")), "X_1");
  EXPECT_EQ(this->Name(Generate("X")), "X_3");
  EXPECT_EQ(this->Name(Generate("X")), "X_5");
}

TYPED_TEST(RegistryConformanceTest, ReleasedBaseNameIsReusedFirst) {
  this->Name(Generate("Bob"));
  this->Name(Generate("Bob"));
  EXPECT_TRUE(this->Left("Bob", "Bob"));
  EXPECT_EQ(this->Name(Generate("bob")), "bob");
}

TYPED_TEST(RegistryConformanceTest, ManuallyTypedSuffixIsSkippedAndReturnedWhenReleased) {
  EXPECT_EQ(this->Name(Generate("alice_2")), "alice_2");
  EXPECT_EQ(this->Name(Generate("alice")), "alice");
  EXPECT_EQ(this->Name(Generate("alice")), "alice_1");
  EXPECT_EQ(this->Name(Generate("ALICE")), "ALICE_3");
  EXPECT_TRUE(this->Left("alice_2", "alice_2"));
  EXPECT_EQ(this->Name(Generate("alice")), "alice_2");
}

TYPED_TEST(RegistryConformanceTest, NumbersAreHandedOutInOrderOnceEveryHolderLeft) {
  this->Name(Generate("other"));  // keeps the room alive
  // Suffixes released before the base, then the base before its suffixes.
  for (const auto& order : {std::vector<std::string>{"Zed_2", "Zed_1", "Zed"},
                            std::vector<std::string>{"Zed", "Zed_1", "Zed_2", "Zed_3"}}) {
    for (std::size_t i = 0; i < order.size(); ++i) this->Name(Generate("Zed"));
    for (const auto& name : order) EXPECT_TRUE(this->Left(name, name)) << name;
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
    auto record = this->Get(n);
    ASSERT_TRUE(record);
    EXPECT_EQ(record->name, n);
    EXPECT_TRUE(this->Left(n, n));
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
  for (const char* name : {"Y_11", "Y_5", "Y_10"}) EXPECT_TRUE(this->Left(name, name));
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
    EXPECT_TRUE(this->Left(name, name));
  }
  EXPECT_EQ(this->Name(Generate(longest)), stem1 + "_1");
  EXPECT_EQ(this->Name(Generate(longest)), stem1 + "_3");
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_10");
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_11");
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_13");
  // The base itself is reused first, with its case.
  EXPECT_TRUE(this->Left(longest, longest));
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
  EXPECT_TRUE(this->Left(stem2 + "_10", stem2 + "_10"));
  EXPECT_EQ(this->Name(Generate(longest)), stem2 + "_10");
}

TYPED_TEST(RegistryConformanceTest, LongMultiByteNamesReuseReleasedNumbers) {
  std::string accents;
  while (accents.size() < 256) accents += "\xC3\xA9";  // é
  const std::string stem(accents.substr(0, 254));
  EXPECT_EQ(this->Name(Generate(accents)), accents);
  EXPECT_EQ(this->Name(Generate(accents)), stem + "_1");
  EXPECT_EQ(this->Name(Generate(accents)), stem + "_2");
  EXPECT_TRUE(this->Left(stem + "_1", stem + "_1"));
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
  EXPECT_TRUE(this->Left(prefix + "_1", prefix + "_1"));
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
  EXPECT_TRUE(this->Left("Carol", "Carol"));
  EXPECT_FALSE(this->Left("Carol", "Carol")) << "a duplicate leave releases nothing";
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
  // The owner of that identity asking again gets its entry back.
  auto again = second;
  again.owned_identity = "dave-id";
  auto reused = this->Admit(again);
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->name, "Dave");
}

TYPED_TEST(RegistryConformanceTest, OwnedIdentityKeepsItsNameOnReloadAndRefresh) {
  ASSERT_TRUE(this->Admit(Generate("Erin")));
  ASSERT_TRUE(this->Admit(Generate("Erin")));  // Erin_1
  auto reload = Generate("erin");
  reload.owned_identity = "Erin_1";
  auto again = this->Admit(reload);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->identity, "Erin_1") << "the base of the allocated name counts as the same name";
  EXPECT_EQ(again->name, "Erin_1");

  auto refreshed = this->Admit(Refresh("Erin"));
  ASSERT_TRUE(refreshed);
  EXPECT_EQ(refreshed->name, "Erin");
  EXPECT_EQ(this->Run(this->registry().List("room"))->size(), 2u);
}

TYPED_TEST(RegistryConformanceTest, ReloadUnderAnotherNameGetsANewEntryWithTheRoles) {
  ASSERT_TRUE(this->Admit(Generate("Olga", ParticipantRole::kModerator)));
  auto renamed = Generate("Olga B.");
  renamed.owned_identity = "Olga";
  auto entry = this->Admit(renamed);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->identity, "Olga B.");
  EXPECT_EQ(entry->roles, (std::vector{ParticipantRole::kModerator, ParticipantRole::kSpeaker}));
  EXPECT_FALSE(entry->moderator_secret_holder) << "only the roles, not the proof, carry over";
  EXPECT_TRUE(this->Get("Olga")) << "the previous entry stays until its session leaves";
}

TYPED_TEST(RegistryConformanceTest, RefreshOfAForgottenEntryTakesBackItsIdentityWithTheTokenRoles) {
  auto refresh = Refresh("Pia", ParticipantRole::kSpeaker);
  refresh.token_roles = {ParticipantRole::kModerator};
  auto entry = this->Admit(refresh);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->name, "Pia");
  EXPECT_EQ(entry->roles, (std::vector{ParticipantRole::kModerator, ParticipantRole::kSpeaker}));
  EXPECT_EQ(entry->selected_role, ParticipantRole::kSpeaker);
  EXPECT_EQ(entry->generation, entry->created_generation);

  // Meanwhile somebody else holds that name: the refresh cannot take it.
  ASSERT_TRUE(this->Left("Pia", "Pia"));
  ASSERT_TRUE(this->Admit(Generate("pia")));
  auto taken = this->Admit(Refresh("Pia"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(taken.error().message, "Participant 'Pia' already exists in room 'room'");
}

TYPED_TEST(RegistryConformanceTest, GenerateWithAForgottenPreviousTokenCarriesItsRolesUnlessBanned) {
  auto carried = Generate("Quinn");
  carried.owned_identity = "old-quinn";
  carried.token_roles = {ParticipantRole::kModerator};
  auto entry = this->Admit(carried);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->roles, (std::vector{ParticipantRole::kModerator, ParticipantRole::kSpeaker}));

  ASSERT_TRUE(this->Run(this->registry().Ban("room", "old-rita")));
  auto banned = Generate("Rita");
  banned.owned_identity = "old-rita";
  banned.token_roles = {ParticipantRole::kModerator};
  auto fresh = this->Admit(banned);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->roles, (std::vector{ParticipantRole::kSpeaker}));
}

// ---- Roles -----------------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, RolesAccumulateButDemotionSticks) {
  auto mod = this->Admit(Generate("Frank", ParticipantRole::kModerator));
  ASSERT_TRUE(mod);
  EXPECT_EQ(mod->roles, (std::vector{ParticipantRole::kModerator}));
  EXPECT_TRUE(mod->moderator_secret_holder);
  auto as_speaker = Generate("Frank", ParticipantRole::kSpeaker);
  as_speaker.owned_identity = "Frank";
  auto both = this->Admit(as_speaker);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->roles, (std::vector{ParticipantRole::kModerator, ParticipantRole::kSpeaker}));
  EXPECT_EQ(both->selected_role, ParticipantRole::kSpeaker);

  auto demoted = this->Run(this->registry().SetRole("room", "Frank", ParticipantRole::kSpeaker));
  ASSERT_TRUE(demoted && *demoted);
  EXPECT_TRUE((*demoted)->demoted);
  EXPECT_EQ((*demoted)->roles, (std::vector{ParticipantRole::kSpeaker}));

  auto after = this->Admit(Refresh("Frank", ParticipantRole::kModerator));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->roles, (std::vector{ParticipantRole::kSpeaker})) << "the moderator secret cannot undo a demotion";
  EXPECT_EQ(after->selected_role, ParticipantRole::kSpeaker);
}

TYPED_TEST(RegistryConformanceTest, PromotionIsMarkedUnlessTheModeratorSecretWasProven) {
  ASSERT_TRUE(this->Admit(Generate("Gina")));
  auto promoted = this->Run(this->registry().SetRole("room", "Gina", ParticipantRole::kModerator));
  ASSERT_TRUE(promoted && *promoted);
  EXPECT_TRUE((*promoted)->promoted);
  EXPECT_EQ((*promoted)->selected_role, ParticipantRole::kModerator);

  ASSERT_TRUE(this->Admit(Generate("Hank", ParticipantRole::kModerator)));
  this->Run(this->registry().SetRole("room", "Hank", ParticipantRole::kSpeaker));
  auto back = this->Run(this->registry().SetRole("room", "Hank", ParticipantRole::kModerator));
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
  auto result = this->Run(this->registry().SetRole("room", "nobody", ParticipantRole::kModerator));
  ASSERT_TRUE(result);
  EXPECT_FALSE(*result);
  ParticipantRecord ghost;
  ghost.identity = "nobody";
  EXPECT_TRUE(this->Run(this->registry().RestoreRoles("room", ghost)));
  EXPECT_FALSE(this->Get("nobody"));
  EXPECT_TRUE(this->Rooms().empty());
}

TYPED_TEST(RegistryConformanceTest, RestoreRolesUndoesAFailedRoleChange) {
  auto before = this->Admit(Generate("Moe", ParticipantRole::kModerator));
  ASSERT_TRUE(before);
  this->Run(this->registry().SetRole("room", "Moe", ParticipantRole::kSpeaker));
  this->Run(this->registry().RestoreRoles("room", *before));
  auto after = this->Get("Moe");
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
  EXPECT_EQ(admitted->identity, "Nia");
  EXPECT_EQ(admitted->presence, Presence::kReserved);
  EXPECT_EQ(admitted->reserved_at_ms, kReserved);
  EXPECT_EQ(admitted->joined_at_ms, 0);
  EXPECT_GT(admitted->generation, 0u);
  EXPECT_EQ(admitted->generation, admitted->created_generation);
  auto got = this->Get("Nia");
  ASSERT_TRUE(got);
  ExpectSameRecord(*got, *admitted);

  ASSERT_TRUE(*this->Run(this->registry().MarkJoined("room", "Nia", "Nia", kJoined)));
  auto joined = this->Get("Nia");
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->presence, Presence::kJoined);
  EXPECT_EQ(joined->joined_at_ms, kJoined);

  auto reload = Generate("Nia", ParticipantRole::kSpeaker, kJoined + 1);
  reload.owned_identity = "Nia";
  auto reused = this->Admit(reload);
  ASSERT_TRUE(reused);
  EXPECT_GT(reused->generation, admitted->generation) << "every admission is a new generation";
  EXPECT_EQ(reused->created_generation, admitted->created_generation);

  ASSERT_TRUE(this->Admit(Generate("Abe")));
  auto all = this->Run(this->registry().List("room"));
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].identity, "Abe") << "sorted by identity";
  ExpectSameRecord((*all)[1], *this->Get("Nia"));
  EXPECT_TRUE(this->Run(this->registry().List("empty"))->empty());
  EXPECT_FALSE(this->Get("nobody"));
}

// ---- Bans (§5.1) -----------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, BanReleasesTheNameAndBlocksTheIdentityUntilTheMeetingEnds) {
  ASSERT_TRUE(this->Admit(Generate("Ivan")));
  this->Run(this->registry().Ban("room", "Ivan"));
  EXPECT_TRUE(*this->Run(this->registry().IsBanned("room", "Ivan")));
  EXPECT_FALSE(*this->Run(this->registry().IsBanned("room", "Other")));
  auto refused = this->Admit(Refresh("Ivan"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(refused.error().message, "Participant 'Ivan' was removed from room 'room'");
  auto chosen = Generate("Someone");
  chosen.identity = "Ivan";
  auto chosen_refused = this->Admit(chosen);
  ASSERT_FALSE(chosen_refused);
  EXPECT_EQ(chosen_refused.error().code, ErrorCode::kPermissionDenied);
  auto joined = this->Run(this->registry().MarkJoined("room", "Ivan", "Ivan", 2000));
  ASSERT_TRUE(joined);
  EXPECT_FALSE(*joined) << "a banned identity joining must be removed again";
  EXPECT_FALSE(this->Get("Ivan"));

  this->Run(this->registry().FinishMeeting("room", 3000));
  EXPECT_FALSE(*this->Run(this->registry().IsBanned("room", "Ivan")));
  EXPECT_TRUE(this->Admit(Refresh("Ivan")));
}

TYPED_TEST(RegistryConformanceTest, ABannedIdentityIsNotHandedOutAgain) {
  ASSERT_TRUE(this->Admit(Generate("Kim")));
  this->Run(this->registry().Ban("room", "Kim"));
  EXPECT_EQ(this->Name(Generate("Kim")), "Kim_1");
  this->Run(this->registry().Unban("room", "Kim"));
  EXPECT_EQ(this->Name(Generate("Kim")), "Kim");
}

TYPED_TEST(RegistryConformanceTest, ARoomWithOnlyBansIsListedUntilTheyAreLifted) {
  this->Run(this->registry().Ban("room", "Lars"));
  EXPECT_EQ(this->Rooms(), (std::vector<std::string>{"room"}));
  this->Run(this->registry().Unban("room", "Lars"));
  EXPECT_TRUE(this->Rooms().empty());
}

// ---- Admission (§4) --------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, CapacityCountsReservedAndJoined) {
  auto r = Generate("p");
  r.max_participants = 2;
  ASSERT_TRUE(this->Admit(r));
  ASSERT_TRUE(this->Admit(r));
  ASSERT_TRUE(*this->Run(this->registry().MarkJoined("room", "p", "p", 1500)));
  auto full = this->Admit(r);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(full.error().name, "Room Error");
  EXPECT_EQ(full.error().message, "Room 'room' is full");
  // The same identity asking again is not a new participant.
  auto again = r;
  again.owned_identity = "p";
  EXPECT_TRUE(this->Admit(again));
  EXPECT_TRUE(this->Admit(Refresh("p_1")));
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
  this->Run(this->registry().Rollback("room", "Jill", created->generation + 1));
  EXPECT_EQ(this->Name(Generate("Jill")), "Jill_1") << "wrong generation: nothing rolled back";
  this->Run(this->registry().Rollback("room", "Jill", created->generation));
  EXPECT_EQ(this->Name(Generate("Jill")), "Jill");
}

TYPED_TEST(RegistryConformanceTest, RollbackKeepsEntriesThatExistedBeforeOrJoined) {
  ASSERT_TRUE(this->Admit(Generate("Ken")));
  auto reload = Generate("Ken");
  reload.owned_identity = "Ken";
  auto reused = this->Admit(reload);
  ASSERT_TRUE(reused);
  this->Run(this->registry().Rollback("room", "Ken", reused->generation));
  EXPECT_TRUE(this->Get("Ken")) << "the entry predates the failed admission";

  auto created = this->Admit(Generate("Lea"));
  ASSERT_TRUE(created);
  this->Run(this->registry().MarkJoined("room", "Lea", "Lea", 2000));
  this->Run(this->registry().Rollback("room", "Lea", created->generation));
  EXPECT_TRUE(this->Get("Lea")) << "a joined participant is not rolled back";
}

// ---- Lifetime (§3.3) -------------------------------------------------------------------------

TYPED_TEST(RegistryConformanceTest, FinishMeetingKeepsTokensIssuedAfterTheFinish) {
  ASSERT_TRUE(this->Admit(Generate("Old", ParticipantRole::kSpeaker, 1000)));
  ASSERT_TRUE(this->Admit(Generate("New", ParticipantRole::kSpeaker, 5000)));
  ASSERT_TRUE(this->Admit(Generate("Joiner", ParticipantRole::kSpeaker, 1000)));
  this->Run(this->registry().MarkJoined("room", "Joiner", "Joiner", 4500));
  this->Run(this->registry().FinishMeeting("room", 4000));
  EXPECT_EQ(this->Name(Generate("Old", ParticipantRole::kSpeaker, 6000)), "Old");
  EXPECT_EQ(this->Name(Generate("New", ParticipantRole::kSpeaker, 6000)), "New_1");
  EXPECT_EQ(this->Name(Generate("Joiner", ParticipantRole::kSpeaker, 6000)), "Joiner_1");
}

TYPED_TEST(RegistryConformanceTest, LeaveAfterAFreshTokenFallsBackToReserved) {
  ASSERT_TRUE(this->Admit(Generate("Kim", ParticipantRole::kSpeaker, 1000)));
  this->Run(this->registry().MarkJoined("room", "Kim", "Kim", 2000));
  auto reload = Generate("Kim", ParticipantRole::kSpeaker, 3000);
  reload.owned_identity = "Kim";
  ASSERT_TRUE(this->Admit(reload));
  EXPECT_FALSE(this->Left("Kim", "Kim"));
  EXPECT_EQ(this->Get("Kim")->presence, Presence::kReserved);
  EXPECT_EQ(this->Name(Generate("Kim")), "Kim_1");
  EXPECT_FALSE(*this->Run(this->registry().ReleaseStale("room", "Kim", 3000))) << "not older than the limit";
  EXPECT_TRUE(*this->Run(this->registry().ReleaseStale("room", "Kim", 4000)));
  EXPECT_EQ(this->Name(Generate("Kim")), "Kim");
}

TYPED_TEST(RegistryConformanceTest, ReleaseStaleKeepsJoinedParticipants) {
  ASSERT_TRUE(this->Admit(Generate("Max", ParticipantRole::kSpeaker, 1000)));
  this->Run(this->registry().MarkJoined("room", "Max", "Max", 2000));
  EXPECT_FALSE(*this->Run(this->registry().ReleaseStale("room", "Max", 9000)));
  EXPECT_FALSE(*this->Run(this->registry().ReleaseStale("room", "nobody", 9000)));
  EXPECT_FALSE(*this->Run(this->registry().ReleaseStale("elsewhere", "Max", 9000)));
  EXPECT_TRUE(this->Get("Max"));
}

TYPED_TEST(RegistryConformanceTest, ExternalJoinBlocksItsName) {
  this->Run(this->registry().MarkJoined("room", "TEST_PARTICIPANT", "TEST_PARTICIPANT", 1000));
  EXPECT_EQ(this->Name(Generate("TEST_PARTICIPANT")), "TEST_PARTICIPANT_1");
  auto joined = this->Get("TEST_PARTICIPANT");
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
  this->Run(this->registry().MarkJoined("room", "ext-1", "uma", 1000));
  EXPECT_EQ(this->Get("ext-1")->name, "ext-1");
  EXPECT_EQ(this->Name(Generate("ext-1")), "ext-1_1");
  // An empty name is the identity.
  this->Run(this->registry().MarkJoined("room", "ext-2", "", 1000));
  EXPECT_EQ(this->Get("ext-2")->name, "ext-2");
}

TYPED_TEST(RegistryConformanceTest, ExternalJoinWhoseIdentityIsSomebodysNameHoldsNoName) {
  ASSERT_TRUE(this->Admit(Generate("Uma")));
  this->Run(this->registry().MarkJoined("room", "UMA", "Uma", 1000));
  auto nameless = this->Get("UMA");
  ASSERT_TRUE(nameless);
  EXPECT_EQ(nameless->name, "UMA");
  EXPECT_TRUE(this->Left("UMA", "UMA")) << "its own entry goes";
  EXPECT_FALSE(this->Get("UMA"));
  EXPECT_EQ(this->Name(Generate("uma")), "uma_1") << "but Uma keeps her name";
}

TYPED_TEST(RegistryConformanceTest, EmptyRoomsAreForgotten) {
  ASSERT_TRUE(this->Admit(Generate("Lou")));
  EXPECT_EQ(this->Rooms().size(), 1u);
  this->Left("Lou", "Lou");
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
