#include "redis/redis_subscriber.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "redis/redis_test_support.hpp"

namespace convene::redis {
namespace {

using namespace std::chrono_literals;
using testing::IoThreads;
using testing::RedisProcess;
using testing::WaitFor;

// Messages received, safe to read from the test thread.
class Inbox {
 public:
  RedisSubscriber::MessageHandler Handler(std::string tag) {
    return [this, tag](std::string_view payload) {
      std::lock_guard lock(mutex_);
      messages_.push_back(tag + ":" + std::string(payload));
    };
  }
  std::vector<std::string> Messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  bool Has(const std::string& message) {
    auto all = Messages();
    return std::find(all.begin(), all.end(), message) != all.end();
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
};

RedisOptions LocalOptions(std::uint16_t port) {
  RedisOptions options;
  options.server = {"127.0.0.1", port};
  options.reconnect_min = 20ms;
  options.reconnect_max = 200ms;
  options.connect_timeout = 500ms;
  return options;
}

class RedisSubscriberTest : public ::testing::Test {
 protected:
  // Publishes until `done` holds (a subscription may still be settling), at most 10 s.
  bool PublishUntil(RedisClient& client, const std::string& channel, const std::string& payload,
                    const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i) {
      io_.Run(client.Command({"PUBLISH", channel, payload}));
      WaitFor(done, 50ms);
    }
    return done();
  }

  // Handlers capture test locals, so each test calls io_.Join() before its locals go.
  IoThreads io_{2};
};

TEST_F(RedisSubscriberTest, DeliversMessagesOfItsChannelsOnly) {
  auto shared = testing::SharedRedis();
  if (!shared) GTEST_SKIP() << testing::kNoSharedRedis;
  const std::string prefix = testing::UniquePrefix();
  Inbox inbox;
  RedisSubscriber subscriber(io_.Executor(), testing::SharedOptions(*shared));
  subscriber.Subscribe(prefix + "a", inbox.Handler("a"));
  subscriber.Subscribe(prefix + "b", inbox.Handler("b"));
  subscriber.Subscribe(prefix + "b", inbox.Handler("b2"));  // two handlers, one channel
  subscriber.Start();
  ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed(); }));

  RedisClient client(io_.Executor(), testing::SharedOptions(*shared));
  ASSERT_TRUE(io_.Run(client.Connect()).has_value());
  EXPECT_EQ(io_.Run(client.Command({"PUBLISH", prefix + "other", "x"}))->Integer(), 0);
  EXPECT_EQ(io_.Run(client.Command({"PUBLISH", prefix + "a", "one"}))->Integer(), 1);
  EXPECT_EQ(io_.Run(client.Command({"PUBLISH", prefix + "b", std::string("t\0o", 3)}))->Integer(),
            1);
  ASSERT_TRUE(WaitFor([&] { return inbox.Messages().size() == 3; }));
  const std::vector<std::string> expected{"a:one", "b:" + std::string("t\0o", 3),
                                          "b2:" + std::string("t\0o", 3)};
  EXPECT_EQ(inbox.Messages(), expected);
  subscriber.Stop();
  client.Close();
  ASSERT_TRUE(WaitFor([&] { return !subscriber.Subscribed(); }));
  io_.Join();  // no handler may run once `inbox` goes
}

TEST_F(RedisSubscriberTest, ResubscribesAfterTheServerRestartsAndCallsOnReconnect) {
  RedisProcess server;
  Inbox inbox;
  std::atomic<int> reconnects{0};
  RedisSubscriber subscriber(io_.Executor(), LocalOptions(server.Port()));
  subscriber.Subscribe("changes", inbox.Handler("c"));
  subscriber.OnReconnect([&] { ++reconnects; });
  subscriber.Start();
  ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed(); }));
  EXPECT_EQ(reconnects.load(), 0);  // the first subscription is not a reconnect

  RedisClient client(io_.Executor(), LocalOptions(server.Port()));
  ASSERT_TRUE(io_.Run(client.Connect()).has_value());
  ASSERT_TRUE(PublishUntil(client, "changes", "before", [&] { return inbox.Has("c:before"); }));

  server.Kill();
  ASSERT_TRUE(WaitFor([&] { return !subscriber.Subscribed(); }));
  server.Start();
  ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed() && client.Connected(); }));
  ASSERT_TRUE(WaitFor([&] { return reconnects.load() == 1; }));
  ASSERT_TRUE(PublishUntil(client, "changes", "after", [&] { return inbox.Has("c:after"); }));
  subscriber.Stop();
  client.Close();
  io_.Join();
}

TEST_F(RedisSubscriberTest, AFirstAttemptThatFailsCountsAsAReconnect) {
  RedisProcess server;
  server.Kill();
  std::atomic<int> reconnects{0};
  RedisSubscriber subscriber(io_.Executor(), LocalOptions(server.Port()));
  subscriber.Subscribe("changes", [](std::string_view) {});
  subscriber.OnReconnect([&] { ++reconnects; });
  subscriber.Start();
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(subscriber.Subscribed());
  server.Start();
  ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed(); }));
  ASSERT_TRUE(WaitFor([&] { return reconnects.load() == 1; }));
  subscriber.Stop();
  io_.Join();
}

TEST_F(RedisSubscriberTest, AFrozenServerIsDetectedByPing) {
  RedisProcess server;
  std::atomic<int> reconnects{0};
  RedisSubscriber subscriber(io_.Executor(), LocalOptions(server.Port()), 100ms);
  subscriber.Subscribe("changes", [](std::string_view) {});
  subscriber.OnReconnect([&] { ++reconnects; });
  subscriber.Start();
  ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed(); }));
  // Several ping intervals pass while the server answers: the subscription stays up.
  std::this_thread::sleep_for(350ms);
  EXPECT_TRUE(subscriber.Subscribed());
  EXPECT_EQ(reconnects.load(), 0);

  server.Pause();
  ASSERT_TRUE(WaitFor([&] { return !subscriber.Subscribed(); }));
  server.Resume();
  ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed() && reconnects.load() >= 1; }));
  subscriber.Stop();
  io_.Join();
}

TEST_F(RedisSubscriberTest, SharesTheLoginOfTheClient) {
  RedisProcess server({"--requirepass", "sub-secret"});
  RedisOptions options = LocalOptions(server.Port());
  options.password = "sub-secret";
  options.db = 2;
  Inbox inbox;
  RedisSubscriber subscriber(io_.Executor(), options);
  subscriber.Subscribe("ch", inbox.Handler("ch"));
  subscriber.Start();
  ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed(); }));
  subscriber.Stop();

  options.password = "wrong";
  RedisSubscriber refused(io_.Executor(), options);
  refused.Subscribe("ch", inbox.Handler("ch"));
  refused.Start();
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(refused.Subscribed());
  refused.Stop();
  io_.Join();
}

}  // namespace
}  // namespace convene::redis
