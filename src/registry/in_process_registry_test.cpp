#include "registry/in_process_registry.hpp"

#include <gtest/gtest.h>

#include <set>
#include <atomic>
#include <thread>

#include "store/testing/run_sync.hpp"

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

class InProcessRegistryTest : public ::testing::Test {
 protected:
  std::string Name(AdmissionRequest r) {
    auto admitted = registry_.AdmitNow(r);
    EXPECT_TRUE(admitted) << admitted.error().message;
    return admitted ? admitted->name : "";
  }
  template <class T>
  T Run(boost::asio::awaitable<T> a) {
    return test::RunSync(ioc_, std::move(a));
  }

  boost::asio::io_context ioc_;
  InProcessRegistry registry_;
};

TEST_F(InProcessRegistryTest, FirstRequestGetsTheNameThenLowestFreeSuffixes) {
  EXPECT_EQ(Name(Generate("Participant")), "Participant");
  EXPECT_EQ(Name(Generate("Participant")), "Participant_1");
  EXPECT_EQ(Name(Generate("Participant")), "Participant_2");
}

TEST_F(InProcessRegistryTest, NamesCompareCaseInsensitivelyAndKeepTheirCase) {
  EXPECT_EQ(Name(Generate("CaseTest")), "CaseTest");
  EXPECT_EQ(Name(Generate("casetest")), "casetest_1");
  EXPECT_EQ(Name(Generate("CASETEST")), "CASETEST_2");
}

TEST_F(InProcessRegistryTest, NonAsciiBytesAreNotFolded) {
  EXPECT_EQ(Name(Generate("Ärger")), "Ärger");
  EXPECT_EQ(Name(Generate("ärger")), "ärger");
}

TEST_F(InProcessRegistryTest, ReleasedNumbersAreReusedLowestFirst) {
  for (int i = 0; i < 5; ++i) Name(Generate("X"));  // X, X_1..X_4
  EXPECT_TRUE(registry_.MarkLeftNow("room", "X_1", "X_1"));
  EXPECT_TRUE(registry_.MarkLeftNow("room", "X_3", "X_3"));
  EXPECT_EQ(Name(Generate("X")), "X_1");
  EXPECT_EQ(Name(Generate("X")), "X_3");
  EXPECT_EQ(Name(Generate("X")), "X_5");
}

TEST_F(InProcessRegistryTest, ReleasedBaseNameIsReusedFirst) {
  Name(Generate("Bob"));
  Name(Generate("Bob"));
  EXPECT_TRUE(registry_.MarkLeftNow("room", "Bob", "Bob"));
  EXPECT_EQ(Name(Generate("bob")), "bob");
}

TEST_F(InProcessRegistryTest, ManuallyTypedSuffixIsSkippedAndReturnedWhenReleased) {
  EXPECT_EQ(Name(Generate("alice_2")), "alice_2");
  EXPECT_EQ(Name(Generate("alice")), "alice");
  EXPECT_EQ(Name(Generate("alice")), "alice_1");
  EXPECT_EQ(Name(Generate("ALICE")), "ALICE_3");
  EXPECT_TRUE(registry_.MarkLeftNow("room", "alice_2", "alice_2"));
  EXPECT_EQ(Name(Generate("alice")), "alice_2");
}

TEST_F(InProcessRegistryTest, MetacharactersAreOrdinaryNames) {
  for (const char* n : {"[x]", "a*b", "?", "\\", "%_", "a.b"}) {
    EXPECT_EQ(Name(Generate(n)), n);
    EXPECT_EQ(Name(Generate(n)), std::string(n) + "_1");
    EXPECT_EQ(Name(Generate(n)), std::string(n) + "_2");
  }
}

TEST_F(InProcessRegistryTest, LongerSuffixedNamesDoNotConsumeNumbers) {
  EXPECT_EQ(Name(Generate("bob_1_2")), "bob_1_2");
  EXPECT_EQ(Name(Generate("bob")), "bob");
  EXPECT_EQ(Name(Generate("bob")), "bob_1");
  EXPECT_EQ(Name(Generate("bob")), "bob_2");
}

TEST_F(InProcessRegistryTest, RoomsAreIsolated) {
  auto other = Generate("Same");
  other.room_id = "other";
  EXPECT_EQ(Name(Generate("Same")), "Same");
  EXPECT_EQ(Name(other), "Same");
}

TEST_F(InProcessRegistryTest, ReleaseIsOwnerChecked) {
  Name(Generate("Carol"));
  EXPECT_FALSE(registry_.MarkLeftNow("room", "somebody-else", "Carol"));
  EXPECT_FALSE(registry_.MarkLeftNow("room", "Carol", "Carol_9"));
  EXPECT_EQ(Name(Generate("Carol")), "Carol_1");
  EXPECT_TRUE(registry_.MarkLeftNow("room", "Carol", "Carol"));
  EXPECT_FALSE(registry_.MarkLeftNow("room", "Carol", "Carol")) << "a duplicate leave releases nothing";
}

TEST_F(InProcessRegistryTest, CallerSuppliedIdentityMustBeFree) {
  auto first = Generate("Dave");
  first.identity = "dave-id";
  ASSERT_TRUE(registry_.AdmitNow(first));
  auto second = Generate("Other");
  second.identity = "dave-id";
  auto result = registry_.AdmitNow(second);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(result.error().message, "Participant 'dave-id' already exists in room 'room'");
  // A name that equals someone's identity is not handed out either.
  EXPECT_EQ(Name(Generate("dave-id")), "dave-id_1");
}

TEST_F(InProcessRegistryTest, OwnedIdentityKeepsItsNameOnReloadAndRefresh) {
  auto first = registry_.AdmitNow(Generate("Erin"));
  ASSERT_TRUE(first);
  auto reload = Generate("Erin");
  reload.owned_identity = "Erin";
  auto again = registry_.AdmitNow(reload);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->identity, "Erin");
  EXPECT_EQ(again->name, "Erin");

  AdmissionRequest refresh = Generate("anything");
  refresh.mode = AdmissionRequest::Mode::kRefresh;
  refresh.owned_identity = "Erin";
  auto refreshed = registry_.AdmitNow(refresh);
  ASSERT_TRUE(refreshed);
  EXPECT_EQ(refreshed->name, "Erin");
}

TEST_F(InProcessRegistryTest, RolesAccumulateButDemotionSticks) {
  auto mod = registry_.AdmitNow(Generate("Frank", ParticipantRole::kModerator));
  ASSERT_TRUE(mod);
  EXPECT_EQ(mod->roles, (std::vector{ParticipantRole::kModerator}));
  auto as_speaker = Generate("Frank", ParticipantRole::kSpeaker);
  as_speaker.owned_identity = "Frank";
  auto both = registry_.AdmitNow(as_speaker);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->roles, (std::vector{ParticipantRole::kModerator, ParticipantRole::kSpeaker}));
  EXPECT_EQ(both->selected_role, ParticipantRole::kSpeaker);

  auto demoted = Run(registry_.SetRole("room", "Frank", ParticipantRole::kSpeaker));
  ASSERT_TRUE(demoted && *demoted);
  EXPECT_TRUE((*demoted)->demoted);

  AdmissionRequest refresh = Generate("Frank", ParticipantRole::kModerator);
  refresh.mode = AdmissionRequest::Mode::kRefresh;
  refresh.owned_identity = "Frank";
  auto after = registry_.AdmitNow(refresh);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->roles, (std::vector{ParticipantRole::kSpeaker})) << "the moderator secret cannot undo a demotion";
  EXPECT_EQ(after->selected_role, ParticipantRole::kSpeaker);
}

TEST_F(InProcessRegistryTest, PromotionIsMarkedUnlessTheModeratorSecretWasProven) {
  ASSERT_TRUE(registry_.AdmitNow(Generate("Gina")));
  auto promoted = Run(registry_.SetRole("room", "Gina", ParticipantRole::kModerator));
  ASSERT_TRUE(promoted && *promoted);
  EXPECT_TRUE((*promoted)->promoted);

  ASSERT_TRUE(registry_.AdmitNow(Generate("Hank", ParticipantRole::kModerator)));
  Run(registry_.SetRole("room", "Hank", ParticipantRole::kSpeaker));
  auto back = Run(registry_.SetRole("room", "Hank", ParticipantRole::kModerator));
  ASSERT_TRUE(back && *back);
  EXPECT_FALSE((*back)->promoted);
}

TEST_F(InProcessRegistryTest, BanReleasesTheNameAndBlocksTheIdentityUntilTheMeetingEnds) {
  ASSERT_TRUE(registry_.AdmitNow(Generate("Ivan")));
  Run(registry_.Ban("room", "Ivan"));
  AdmissionRequest refresh = Generate("Ivan");
  refresh.mode = AdmissionRequest::Mode::kRefresh;
  refresh.owned_identity = "Ivan";
  auto refused = registry_.AdmitNow(refresh);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  auto joined = Run(registry_.MarkJoined("room", "Ivan", "Ivan", 2000));
  ASSERT_TRUE(joined);
  EXPECT_FALSE(*joined) << "a banned identity joining must be removed again";

  Run(registry_.FinishMeeting("room", 3000));
  EXPECT_TRUE(registry_.AdmitNow(refresh));
}

TEST_F(InProcessRegistryTest, ABannedIdentityIsNotHandedOutAgain) {
  ASSERT_TRUE(registry_.AdmitNow(Generate("Kim")));
  Run(registry_.Ban("room", "Kim"));
  EXPECT_EQ(Name(Generate("Kim")), "Kim_1");
  Run(registry_.Unban("room", "Kim"));
  EXPECT_EQ(Name(Generate("Kim")), "Kim");
}

TEST_F(InProcessRegistryTest, SuffixedNamesStayWithinLiveKitsIdentityLimit) {
  const std::string longest(256, 'a');
  EXPECT_EQ(Name(Generate(longest)), longest);
  const std::string second = Name(Generate(longest));
  EXPECT_EQ(second.size(), 256u);
  EXPECT_EQ(second, std::string(254, 'a') + "_1");
  // Multi-byte characters are never cut in half.
  std::string accents;
  while (accents.size() < 256) accents += "\xC3\xA9";  // é
  EXPECT_EQ(Name(Generate(accents)), accents);
  const std::string suffixed = Name(Generate(accents));
  EXPECT_LE(suffixed.size(), 256u);
  EXPECT_EQ(suffixed.substr(suffixed.size() - 2), "_1");
  EXPECT_EQ((suffixed.size() - 2) % 2, 0u) << "whole two-byte characters only";
}

TEST_F(InProcessRegistryTest, RestoreRolesUndoesAFailedRoleChange) {
  auto before = registry_.AdmitNow(Generate("Moe", ParticipantRole::kModerator));
  ASSERT_TRUE(before);
  Run(registry_.SetRole("room", "Moe", ParticipantRole::kSpeaker));
  Run(registry_.RestoreRoles("room", *before));
  auto after = Run(registry_.Get("room", "Moe"));
  ASSERT_TRUE(after && *after);
  EXPECT_EQ((*after)->roles, before->roles);
  EXPECT_FALSE((*after)->demoted);
}

TEST_F(InProcessRegistryTest, CapacityCountsReservedAndJoined) {
  auto r = Generate("p");
  r.max_participants = 2;
  ASSERT_TRUE(registry_.AdmitNow(r));
  ASSERT_TRUE(registry_.AdmitNow(r));
  auto full = registry_.AdmitNow(r);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().message, "Room 'room' is full");
  // The same identity asking again is not a new participant.
  auto again = r;
  again.owned_identity = "p";
  EXPECT_TRUE(registry_.AdmitNow(again));
}

TEST_F(InProcessRegistryTest, RollbackUndoesOnlyTheReservationItCreated) {
  auto created = registry_.AdmitNow(Generate("Jill"));
  ASSERT_TRUE(created);
  Run(registry_.Rollback("room", "Jill", created->generation + 1));
  EXPECT_EQ(Name(Generate("Jill")), "Jill_1") << "wrong generation: nothing rolled back";
  Run(registry_.Rollback("room", "Jill", created->generation));
  EXPECT_EQ(Name(Generate("Jill")), "Jill");
}

TEST_F(InProcessRegistryTest, FinishMeetingKeepsTokensIssuedAfterTheFinish) {
  ASSERT_TRUE(registry_.AdmitNow(Generate("Old", ParticipantRole::kSpeaker, 1000)));
  ASSERT_TRUE(registry_.AdmitNow(Generate("New", ParticipantRole::kSpeaker, 5000)));
  Run(registry_.FinishMeeting("room", 4000));
  EXPECT_EQ(Name(Generate("Old", ParticipantRole::kSpeaker, 6000)), "Old");
  EXPECT_EQ(Name(Generate("New", ParticipantRole::kSpeaker, 6000)), "New_1");
}

TEST_F(InProcessRegistryTest, LeaveAfterAFreshTokenFallsBackToReserved) {
  ASSERT_TRUE(registry_.AdmitNow(Generate("Kim", ParticipantRole::kSpeaker, 1000)));
  Run(registry_.MarkJoined("room", "Kim", "Kim", 2000));
  auto reload = Generate("Kim", ParticipantRole::kSpeaker, 3000);
  reload.owned_identity = "Kim";
  ASSERT_TRUE(registry_.AdmitNow(reload));
  EXPECT_FALSE(registry_.MarkLeftNow("room", "Kim", "Kim"));
  EXPECT_EQ(Name(Generate("Kim")), "Kim_1");
  EXPECT_TRUE(*Run(registry_.ReleaseStale("room", "Kim", 4000)));
  EXPECT_EQ(Name(Generate("Kim")), "Kim");
}

TEST_F(InProcessRegistryTest, ExternalJoinBlocksItsName) {
  Run(registry_.MarkJoined("room", "TEST_PARTICIPANT", "TEST_PARTICIPANT", 1000));
  EXPECT_EQ(Name(Generate("TEST_PARTICIPANT")), "TEST_PARTICIPANT_1");
}

TEST_F(InProcessRegistryTest, EmptyRoomsAreForgotten) {
  ASSERT_TRUE(registry_.AdmitNow(Generate("Lou")));
  EXPECT_EQ(Run(registry_.Rooms())->size(), 1u);
  registry_.MarkLeftNow("room", "Lou", "Lou");
  EXPECT_TRUE(Run(registry_.Rooms())->empty());
}

TEST_F(InProcessRegistryTest, RoomsAppearingAndEmptyingConcurrentlyNeitherDeadlockNorLoseEntries) {
  // Every admission creates a room state and every leave empties and unlinks it again, so the
  // lookup-then-lock path races the unlink path all the time (a lock-order inversion here once
  // hung the server).
  constexpr int kThreads = 8;
  constexpr int kRounds = 3000;
  std::vector<std::thread> threads;
  std::atomic<int> admitted{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &admitted] {
      for (int i = 0; i < kRounds; ++i) {
        AdmissionRequest r = Generate("P" + std::to_string(t));
        r.room_id = "room-" + std::to_string(i % 3);
        auto a = registry_.AdmitNow(r);
        if (!a) continue;
        ++admitted;
        registry_.MarkLeftNow(r.room_id, a->identity, a->name);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(admitted.load(), kThreads * kRounds);
  EXPECT_EQ(registry_.ParticipantCount(), 0u);
  EXPECT_TRUE(Run(registry_.Rooms())->empty());
}

TEST_F(InProcessRegistryTest, ConcurrentSameNameRequestsAllGetDistinctNames) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::vector<std::vector<std::string>> names(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &names] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = registry_.AdmitNow(Generate("Crowd"));
        if (r) names[t].push_back(r->name);
        // Churn: every third participant leaves again, freeing numbers for the others.
        if (r && i % 3 == 0) registry_.MarkLeftNow("room", r->identity, r->name);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::size_t total = 0;
  for (const auto& v : names) total += v.size();
  EXPECT_EQ(total, static_cast<std::size_t>(kThreads * kPerThread)) << "every request succeeds";
  auto present = Run(registry_.List("room"));
  ASSERT_TRUE(present);
  std::set<std::string> distinct;
  for (const auto& rec : *present) EXPECT_TRUE(distinct.insert(rec.name).second) << rec.name;
  EXPECT_EQ(present->size(), registry_.ParticipantCount());
}

}  // namespace
}  // namespace convene::registry
