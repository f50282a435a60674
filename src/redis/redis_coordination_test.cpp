// The Redis implementations of the coordination interfaces (src/coordination/), each against a
// real redis-server: several "instances" are simulated by several clients in one process.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "redis/redis_change_bus.hpp"
#include "redis/redis_event_gate.hpp"
#include "redis/redis_leader_election.hpp"
#include "redis/redis_test_support.hpp"

namespace convene::redis {
namespace {

using namespace std::chrono_literals;
using coordination::Change;
using coordination::ChangeTopic;
using testing::IoThreads;
using testing::RedisProcess;
using testing::WaitFor;

class CoordinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto shared = testing::SharedRedis();
    if (!shared) {
      GTEST_SKIP() << testing::kNoSharedRedis;
    }
    options_ = testing::SharedOptions(*shared);
    prefix_ = testing::UniquePrefix();
  }

  // The electors', gates' and buses' background work refers to the clients: it must be over
  // before the clients go.
  void TearDown() override {
    for (auto& client : clients_) client->Close();
    io_.Join();
  }

  RedisClient& NewClient(RedisOptions options) {
    clients_.push_back(std::make_unique<RedisClient>(io_.Executor(), std::move(options)));
    auto connected = io_.Run(clients_.back()->Connect());
    EXPECT_TRUE(connected.has_value()) << connected.error().message;
    return *clients_.back();
  }
  RedisClient& NewClient() { return NewClient(options_); }

  RedisOptions options_;
  std::string prefix_;
  IoThreads io_{2};
  std::vector<std::unique_ptr<RedisClient>> clients_;  // destroyed before io_'s io_context
  // Objects whose handlers run on io_ (change buses): destroyed after io_.Join().
  std::vector<std::shared_ptr<void>> keep_;
};

// ---- leader election ----

TEST_F(CoordinationTest, ExactlyOneOfTwoElectorsLeadsAndTheOtherTakesOverOnStop) {
  RedisLeaderElection a(NewClient(), io_.Executor(), 1500ms, prefix_);
  RedisLeaderElection b(NewClient(), io_.Executor(), 1500ms, prefix_);
  EXPECT_NE(a.Token(), b.Token());
  std::atomic<int> a_changes{0};
  a.OnChange([&](bool) { ++a_changes; });
  a.Start();
  b.Start();
  ASSERT_TRUE(WaitFor([&] { return a.IsLeader() || b.IsLeader(); }));
  // Over several lease periods the lease is renewed, never shared.
  for (int i = 0; i < 40; ++i) {
    EXPECT_FALSE(a.IsLeader() && b.IsLeader());
    std::this_thread::sleep_for(25ms);
  }
  EXPECT_TRUE(a.IsLeader() != b.IsLeader());
  RedisLeaderElection& leader = a.IsLeader() ? a : b;
  RedisLeaderElection& follower = a.IsLeader() ? b : a;

  const auto stopped_at = std::chrono::steady_clock::now();
  EXPECT_FALSE(leader.Settled());
  leader.Stop();
  EXPECT_FALSE(leader.IsLeader());  // at once
  // What a graceful shutdown waits for: the release has been answered.
  ASSERT_TRUE(WaitFor([&] { return leader.Settled(); }, 3s));
  ASSERT_TRUE(WaitFor([&] { return follower.IsLeader(); }, 5s));
  // The lease was released: the follower took over at its next attempt (every ttl/3), well
  // within a lease.
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 1500ms);
  EXPECT_FALSE(leader.IsLeader());
  follower.Stop();
  if (&leader == &a) {
    EXPECT_TRUE(WaitFor([&] { return a_changes.load() == 2; }));  // gained, lost
  }
}

TEST_F(CoordinationTest, ACrashedLeaderIsReplacedAfterItsLeaseExpires) {
  RedisClient& crashing = NewClient();
  RedisLeaderElection a(crashing, io_.Executor(), 600ms, prefix_);
  a.Start();
  ASSERT_TRUE(WaitFor([&] { return a.IsLeader(); }));
  RedisLeaderElection b(NewClient(), io_.Executor(), 600ms, prefix_);
  b.Start();
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(b.IsLeader());

  // The leader's Redis connection goes away without releasing anything.
  crashing.Close();
  ASSERT_TRUE(WaitFor([&] { return !a.IsLeader(); }, 2s));
  ASSERT_TRUE(WaitFor([&] { return b.IsLeader(); }, 5s));
  a.Stop();
  b.Stop();
  // Settled also when the release cannot be sent (a's client is closed): shutdown never hangs.
  EXPECT_TRUE(WaitFor([&] { return a.Settled() && b.Settled(); }, 5s));
}

TEST_F(CoordinationTest, LeaderStopsBelievingWhenRedisIsGoneAndLeadsAgainAfter) {
  RedisProcess server;
  RedisOptions options;
  options.server = {"127.0.0.1", server.Port()};
  options.command_timeout = 200ms;
  options.connect_timeout = 200ms;
  options.reconnect_min = 20ms;
  options.reconnect_max = 100ms;
  RedisClient& client = NewClient(options);
  // A long lease, so that the margin (ttl/5) dwarfs scheduling delays on a loaded machine.
  RedisLeaderElection election(client, io_.Executor(), 3000ms, prefix_);
  election.Start();
  ASSERT_TRUE(WaitFor([&] { return election.IsLeader(); }));

  server.Pause();  // renewals time out
  const auto paused_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return !election.IsLeader(); }, 5s));
  // It gave up before the lease could have expired in Redis (at most a lease after the last
  // renewal, which came before the pause).
  EXPECT_LT(std::chrono::steady_clock::now() - paused_at, 3000ms);
  server.Resume();
  ASSERT_TRUE(WaitFor([&] { return election.IsLeader(); }, 10s));  // its own lease, reclaimed

  server.Kill();
  ASSERT_TRUE(WaitFor([&] { return !election.IsLeader(); }, 5s));
  server.Start();  // an empty server: the lease is free
  ASSERT_TRUE(WaitFor([&] { return election.IsLeader(); }, 10s));
  election.Stop();
}

// ---- event gate ----

TEST_F(CoordinationTest, EventGateLetsAnIdThroughOnceAcrossInstances) {
  RedisEventGate a(NewClient(), 60s, prefix_);
  RedisEventGate b(NewClient(), 60s, prefix_);
  auto first = io_.Run(a.FirstTime("EV_1"));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*io_.Run(b.FirstTime("EV_1")));
  EXPECT_FALSE(*io_.Run(a.FirstTime("EV_1")));
  EXPECT_TRUE(*io_.Run(b.FirstTime("EV_2")));

  // The key carries the retention as its expiry.
  auto ttl = io_.Run(clients_[0]->Command({"PTTL", prefix_ + "lkwh:EV_1"}));
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(*ttl->Integer(), 50000);
  EXPECT_LE(*ttl->Integer(), 60000);

  // Forgotten (its processing failed): the redelivery goes through, once.
  io_.Run(b.Forget("EV_1"));
  EXPECT_TRUE(*io_.Run(a.FirstTime("EV_1")));
  EXPECT_FALSE(*io_.Run(b.FirstTime("EV_1")));
}

TEST_F(CoordinationTest, EventGateIdsExpireAfterTheRetention) {
  RedisEventGate gate(NewClient(), 100ms, prefix_);
  EXPECT_TRUE(*io_.Run(gate.FirstTime("short")));
  EXPECT_FALSE(*io_.Run(gate.FirstTime("short")));
  ASSERT_TRUE(WaitFor([&] { return *io_.Run(gate.FirstTime("short")); }, 5s));
}

TEST_F(CoordinationTest, EventGateReportsUnavailableRedis) {
  RedisClient closed(io_.Executor(), options_);  // never connected
  RedisEventGate gate(closed, 60s, prefix_);
  auto first = io_.Run(gate.FirstTime("EV"));
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);
  io_.Run(gate.Forget("EV"));  // best effort: no error, no hang
  closed.Close();
}

// ---- change bus ----

class Received {
 public:
  coordination::ChangeBus::Handler Handler() {
    return [this](const Change& change) {
      std::lock_guard lock(mutex_);
      changes_.push_back(change);
    };
  }
  std::vector<Change> Changes() {
    std::lock_guard lock(mutex_);
    return changes_;
  }
  bool Has(ChangeTopic topic, const std::string& subject = {}) {
    for (const Change& change : Changes()) {
      if (change.topic == topic && change.subject == subject) return true;
    }
    return false;
  }

 private:
  std::mutex mutex_;
  std::vector<Change> changes_;
};

// One instance's view of the bus: a publishing client, a subscriber and the bus.
struct BusInstance {
  BusInstance(IoThreads& io, RedisClient& client, const RedisOptions& options,
              const std::string& prefix, const std::string& id)
      : subscriber(io.Executor(), options), bus(client, subscriber, io.Executor(), prefix, id) {
    bus.Subscribe(received.Handler());
    subscriber.Start();
  }
  ~BusInstance() { subscriber.Stop(); }

  RedisSubscriber subscriber;
  RedisChangeBus bus;
  Received received;
};

class ChangeBusTest : public CoordinationTest {
 protected:
  BusInstance& Bus(RedisClient& client, const RedisOptions& options, const std::string& id) {
    auto bus = std::make_shared<BusInstance>(io_, client, options, prefix_, id);
    keep_.push_back(bus);
    return *bus;
  }
};

TEST_F(ChangeBusTest, ChangesReachTheOtherInstancesOnly) {
  BusInstance& a = Bus(NewClient(), options_, "instance-a");
  BusInstance& b = Bus(NewClient(), options_, "instance-b");
  BusInstance& c = Bus(NewClient(), options_, "instance-c");
  ASSERT_TRUE(WaitFor([&] {
    return a.subscriber.Subscribed() && b.subscriber.Subscribed() && c.subscriber.Subscribed();
  }));
  EXPECT_EQ(a.bus.Channel(), prefix_ + "changes");

  a.bus.Publish(Change{ChangeTopic::kLiveKitRoom, "room with spaces-1"});
  a.bus.Publish(Change{ChangeTopic::kSettings, {}});
  ASSERT_TRUE(WaitFor([&] {
    return b.received.Changes().size() == 2 && c.received.Changes().size() == 2;
  }));
  EXPECT_TRUE(b.received.Has(ChangeTopic::kLiveKitRoom, "room with spaces-1"));
  EXPECT_TRUE(b.received.Has(ChangeTopic::kSettings));
  EXPECT_TRUE(c.received.Has(ChangeTopic::kSettings));
  b.bus.Publish(Change{ChangeTopic::kOutbox, {}});
  ASSERT_TRUE(WaitFor([&] { return a.received.Has(ChangeTopic::kOutbox); }));
  ASSERT_TRUE(WaitFor([&] { return c.received.Has(ChangeTopic::kOutbox); }));
  ASSERT_TRUE(WaitFor([&] { return b.bus.GetStats().published == 1; }));
  // Nobody hears itself.
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(a.received.Changes().size(), 1u);
  EXPECT_EQ(b.received.Changes().size(), 2u);
  EXPECT_EQ(a.bus.GetStats().received, 1u);
  EXPECT_EQ(a.bus.GetStats().published, 2u);
}

TEST_F(ChangeBusTest, ResyncsAfterTheSubscriptionWasDown) {
  RedisProcess server;
  RedisOptions options;
  options.server = {"127.0.0.1", server.Port()};
  options.reconnect_min = 20ms;
  options.reconnect_max = 100ms;
  RedisClient& client = NewClient(options);
  BusInstance& a = Bus(client, options, "instance-a");
  ASSERT_TRUE(WaitFor([&] { return a.subscriber.Subscribed(); }));
  EXPECT_TRUE(a.received.Changes().empty());

  server.Kill();
  // Publishing while Redis is down neither blocks nor throws; it is counted.
  a.bus.Publish(Change{ChangeTopic::kSettings, {}});
  ASSERT_TRUE(WaitFor([&] { return a.bus.GetStats().publish_failures >= 1; }));
  server.Start();
  ASSERT_TRUE(WaitFor([&] { return a.received.Has(ChangeTopic::kResync); }));
}

TEST(RedisChangeBusWire, EncodesAndDecodes) {
  const std::string wire = RedisChangeBus::Encode("id1", Change{ChangeTopic::kLiveKitRoom, "a b"});
  EXPECT_EQ(wire, "id1 livekit_room a b");
  auto decoded = RedisChangeBus::Decode(wire);
  EXPECT_EQ(decoded.instance_id, "id1");
  EXPECT_EQ(decoded.change.topic, ChangeTopic::kLiveKitRoom);
  EXPECT_EQ(decoded.change.subject, "a b");
  decoded = RedisChangeBus::Decode(RedisChangeBus::Encode("id2", Change{ChangeTopic::kOutbox, {}}));
  EXPECT_EQ(decoded.change.topic, ChangeTopic::kOutbox);
  EXPECT_EQ(decoded.change.subject, "");
  // Whatever a newer or broken peer sends means "drop every cache".
  EXPECT_EQ(RedisChangeBus::Decode("id3 recordings x").change.topic, ChangeTopic::kResync);
  EXPECT_EQ(RedisChangeBus::Decode("garbage").change.topic, ChangeTopic::kResync);
  EXPECT_EQ(RedisChangeBus::Decode("").change.topic, ChangeTopic::kResync);
}

}  // namespace
}  // namespace convene::redis
