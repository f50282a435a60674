#include "registry/in_process_registry.hpp"

#include <gtest/gtest.h>

#include <set>
#include <atomic>
#include <thread>

#include "store/testing/run_sync.hpp"

namespace convene::registry {
namespace {

AdmissionRequest Generate(std::string name) {
  AdmissionRequest r;
  r.room_id = "room";
  r.name = std::move(name);
  r.now_ms = 1000;
  return r;
}

// The registry's contract is tested over every implementation in registry_conformance_test.cpp;
// these tests cover what only the in-process one has: its synchronous entry points and its locks.
class InProcessRegistryTest : public ::testing::Test {
 protected:
  template <class T>
  T Run(boost::asio::awaitable<T> a) {
    return test::RunSync(ioc_, std::move(a));
  }

  boost::asio::io_context ioc_;
  InProcessRegistry registry_;
};

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
