// Random operation sequences run on the in-process and the Redis registry side by side: every
// answer and the final state must be the same. Finds the differences the hand-written conformance
// cases do not think of (the names are drawn from a small, collision-prone pool on purpose).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
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

// Generations are counted differently (one counter per process vs. one in Redis), so records
// compare by everything else, and by whether the entry was created by its latest admission.
std::string Describe(const ParticipantRecord& r) {
  std::string out = r.identity + "|" + r.name + "|";
  for (ParticipantRole role : r.roles) out += std::string(domain::ToString(role)) + ",";
  out += "|" + std::string(domain::ToString(r.selected_role));
  out += r.promoted ? "|promoted" : "|-";
  out += r.demoted ? "|demoted" : "|-";
  out += r.moderator_secret_holder ? "|secret" : "|-";
  out += r.presence == Presence::kJoined ? "|joined" : r.presence == Presence::kDeparted ? "|departed" : "|reserved";
  out += "|gv" + std::to_string(r.grant_version);
  out += "|" + std::to_string(r.reserved_at_ms) + "|" + std::to_string(r.joined_at_ms);
  out += r.generation == r.created_generation ? "|new" : "|reused";
  return out;
}

template <class T>
std::string Describe(const Result<T>& result);

std::string DescribeError(const Error& e) { return "error " + std::to_string(static_cast<int>(e.code)) + " " + e.message; }

template <class T>
std::string Describe(const Result<T>& result) {
  if (!result) return DescribeError(result.error());
  if constexpr (std::is_same_v<T, void>) {
    return "ok";
  } else if constexpr (std::is_same_v<T, bool>) {
    return *result ? "true" : "false";
  } else if constexpr (std::is_same_v<T, ParticipantRecord>) {
    return Describe(*result);
  } else if constexpr (std::is_same_v<T, std::optional<ParticipantRecord>>) {
    return *result ? Describe(**result) : "none";
  } else if constexpr (std::is_same_v<T, std::vector<ParticipantRecord>>) {
    std::string out;
    for (const auto& r : *result) out += Describe(r) + "\n";
    return out;
  } else {
    std::vector<std::string> rooms = *result;
    std::sort(rooms.begin(), rooms.end());
    std::string out;
    for (const auto& room : rooms) out += room + ",";
    return out;
  }
}

class RegistryDifferentialTest : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
    auto options = test::TestRedisOptions();
    if (!options) GTEST_SKIP() << test::kNoRedisMessage;
    client_ = std::make_unique<redis::RedisClient>(ioc_.get_executor(), *options);
    auto connected = Run(client_->Connect());
    ASSERT_TRUE(connected) << connected.error().message;
    RedisRegistryOptions registry_options;
    registry_options.key_prefix = prefix_;
    redis_ = std::make_unique<RedisRegistry>(*client_, registry_options);
  }
  void TearDown() override {
    if (client_) {
      test::DeleteKeys(ioc_, *client_, prefix_);
      client_->Close();
    }
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }

  template <class T>
  T Run(boost::asio::awaitable<T> operation) {
    return boost::asio::co_spawn(ioc_, std::move(operation), boost::asio::use_future).get();
  }

  std::set<std::string> RunRandomSequence(int steps, const std::vector<std::string>& names, std::vector<std::string> identities,
                         int extra_admissions);

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::vector<std::thread> threads_;
  std::string prefix_ = test::UniqueTestPrefix();
  std::unique_ptr<redis::RedisClient> client_;
  InProcessRegistry in_process_;
  std::unique_ptr<RedisRegistry> redis_;
};

constexpr std::int64_t kFarFuture = 4'102'444'800'000;  // 2100-01-01

// One random sequence of `steps` operations over both registries. `names` are the requested names;
// `identities` grows with every identity admitted. `extra_admissions` (percent) tilts the mix
// towards admissions, so that rooms fill up (and suffixes reach two digits) despite the leaves.
// Returns the names the registries allocated.
std::set<std::string> RegistryDifferentialTest::RunRandomSequence(int steps, const std::vector<std::string>& names,
                                                 std::vector<std::string> identities, int extra_admissions) {
  std::mt19937 rng(GetParam());
  auto pick = [&rng](const auto& pool) { return pool[std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng)]; };
  auto chance = [&rng](int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; };

  const std::vector<std::string> rooms{"r1", "r2"};
  // Per registry: the generation each admission returned, and the records returned (for
  // RestoreRoles), indexed alike.
  std::vector<std::uint64_t> generations[2];
  std::vector<ParticipantRecord> records[2];
  // Real epoch milliseconds in the future: Redis expires departed records at real times.
  std::int64_t now = 1'900'000'000'000;
  ParticipantRegistry* registries[2] = {&in_process_, redis_.get()};
  std::set<std::string> allocated;

  for (int step = 0; step < steps; ++step) {
    now += std::uniform_int_distribution<int>(0, 30)(rng);
    const std::string room = pick(rooms);
    const std::string identity = pick(identities);
    const int op = chance(extra_admissions) ? 0 : std::uniform_int_distribution<int>(0, 99)(rng);
    std::string answers[2];
    std::string what;
    if (op < 40) {
      AdmissionRequest request;
      request.room_id = room;
      request.mode = chance(25) ? AdmissionRequest::Mode::kRefresh : AdmissionRequest::Mode::kGenerate;
      request.name = pick(names);
      if (request.mode == AdmissionRequest::Mode::kRefresh || chance(40)) request.owned_identity = identity;
      if (request.mode == AdmissionRequest::Mode::kGenerate && chance(15)) request.identity = pick(identities);
      // Unique over every sequence of the process, as the service's random suffixes are.
      static int admissions = 0;
      request.identity_suffix = "s" + std::to_string(++admissions);
      request.role = chance(40) ? ParticipantRole::kModerator : ParticipantRole::kSpeaker;
      request.role_from_grant = chance(20);
      if (chance(20)) request.max_participants = std::uniform_int_distribution<std::uint32_t>(0, 6)(rng);
      request.now_ms = now;
      request.usable_until_ms = kFarFuture;  // Redis expires departed records at this real time
      what = "admit " + request.name;
      for (int i = 0; i < 2; ++i) {
        auto admitted = Run(registries[i]->Admit(request));
        answers[i] = Describe(admitted);
        if (admitted) {
          generations[i].push_back(admitted->generation);
          records[i].push_back(*admitted);
          allocated.insert(admitted->name);
          if (i == 0 && std::find(identities.begin(), identities.end(), admitted->identity) == identities.end()) {
            identities.push_back(admitted->identity);
          }
        }
      }
    } else if (op < 45 && !generations[0].empty()) {
      const std::size_t k = std::uniform_int_distribution<std::size_t>(0, generations[0].size() - 1)(rng);
      what = "rollback " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->Rollback(room, identity, generations[i][k])));
    } else if (op < 58) {
      const std::string name = chance(80) ? identity : pick(names);
      what = "joined " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->MarkJoined(room, identity, name, now)));
    } else if (op < 72) {
      const std::string name = chance(85) ? identity : pick(names);
      what = "left " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->MarkLeft(room, identity, name)));
    } else if (op < 76) {
      what = "ban " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->Ban(room, identity, now)));
    } else if (op < 79) {
      what = "unban " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->Unban(room, identity)));
    } else if (op < 85) {
      const ParticipantRole role = chance(50) ? ParticipantRole::kModerator : ParticipantRole::kSpeaker;
      what = "set role " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->SetRole(room, identity, role)));
    } else if (op < 88 && !records[0].empty()) {
      const std::size_t k = std::uniform_int_distribution<std::size_t>(0, records[0].size() - 1)(rng);
      what = "restore roles " + records[0][k].identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->RestoreRoles(room, records[i][k])));
    } else if (op < 90) {
      const std::int64_t at = now - std::uniform_int_distribution<int>(0, 200)(rng);
      what = "finish meeting";
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->FinishMeeting(room, at)));
    } else if (op < 95) {
      const std::int64_t before = now - std::uniform_int_distribution<int>(0, 200)(rng);
      what = "release stale " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->ReleaseStale(room, identity, before)));
    } else if (op < 97) {
      what = "get " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->Get(room, identity)));
    } else {
      what = "banned? " + identity;
      for (int i = 0; i < 2; ++i) answers[i] = Describe(Run(registries[i]->IsBanned(room, identity)));
    }
    EXPECT_EQ(answers[0], answers[1]) << "step " << step << ": " << what << " in " << room;
    for (const std::string& r : rooms) {
      EXPECT_EQ(Describe(Run(in_process_.List(r))), Describe(Run(redis_->List(r))))
          << "state of " << r << " after step " << step << ": " << what;
    }
    EXPECT_EQ(Describe(Run(in_process_.Rooms())), Describe(Run(redis_->Rooms()))) << "after step " << step;
    if (HasFailure()) break;
  }
  return allocated;
}

TEST_P(RegistryDifferentialTest, RandomOperationSequencesGiveTheSameAnswers) {
  RunRandomSequence(1500, {"Al", "al", "AL", "Al_1", "al_2", "Al_3", "Bo", "bo_1_2", "Ä", "ä", "x"},
                    {"Al", "al_1", "Al_2", "ext", "EXT", "Bo", "x_1", "nobody"}, 0);
}

// Names whose suffixed candidates are shortened (255–256 bytes, some sharing a shortened stem,
// some multi-byte) and names that only look alike (NFD, fullwidth, invisible characters).
TEST_P(RegistryDifferentialTest, LongAndLookAlikeNamesGiveTheSameAnswers) {
  const std::string l254(254, 'L'), l253(253, 'L');
  std::string accents;
  while (accents.size() < 256) accents += "\xC3\xA9";  // é
  const std::vector<std::string> names{
      std::string(256, 'L'), std::string(256, 'l'), l254 + "Lx", l254, l253, l254 + "_1", l253 + "_10", accents,
      accents.substr(0, 254), "\u00c9mile", "E\u0301mile", "\uFF25mile", "\u00e9mile_1", "Em\u200Bile"};
  const std::vector<std::string> identities{std::string(256, 'L'), l254 + "_1", l254 + "_2", l253 + "_10",
                                            accents.substr(0, 254) + "_1", "\u00c9mile", "ext"};
  const std::set<std::string> allocated = RunRandomSequence(1200, names, identities, 35);
  const bool two_digits = std::any_of(allocated.begin(), allocated.end(), [&](const std::string& name) {
    return name.size() == 256 && name.compare(253, 2, "_1") == 0;
  });
  EXPECT_TRUE(two_digits) << "no shortened candidate with a two-digit suffix was allocated";
}

INSTANTIATE_TEST_SUITE_P(Seeds, RegistryDifferentialTest, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace convene::registry
