// Shutdown of the Redis components as the application does it (src/app/application.cpp): the I/O
// threads stop while calls are still waiting for Redis, then Close(), then the objects and the
// io_context are destroyed. Everything the waiting calls hold must be freed then; under ASan the
// test also asks LeakSanitizer (the asan ctest runs with detect_leaks=1).
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "redis/redis_change_bus.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_event_gate.hpp"
#include "redis/redis_leader_election.hpp"
#include "redis/redis_subscriber.hpp"
#include "redis/redis_test_support.hpp"

namespace convene::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::RedisProcess;
using testing::WaitFor;

// A caller whose frame owns `alive`: the frame is freed iff `alive` is released.
asio::awaitable<void> WaitForGet(RedisClient& client, std::shared_ptr<int> alive) {
  std::vector<std::string> get{"GET", "convene-test:shutdown"};
  auto reply = co_await client.Command(std::move(get));
  (void)reply;
  (void)alive;
}

asio::awaitable<void> WaitForEvent(coordination::EventGate& gate, std::shared_ptr<int> alive) {
  auto first = co_await gate.FirstTime("shutdown-event");
  (void)first;
  (void)alive;
}

// The application's I/O threads, reduced to one: stopped (not drained) on Stop().
class Runner {
 public:
  explicit Runner(asio::io_context& ioc) : ioc_(ioc), thread_([&ioc] { ioc.run(); }) {}
  ~Runner() { Stop(); }
  void Stop() {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  asio::io_context& ioc_;
  std::thread thread_;
};

bool NoLeaks() {
#if defined(__SANITIZE_ADDRESS__)
  return __lsan_do_recoverable_leak_check() == 0;
#else
  return true;
#endif
}

TEST(RedisShutdownTest, CallsPendingWhenTheIoThreadsStopAreFreed) {
  RedisProcess server;
  RedisOptions options;
  options.server = RedisEndpoint{"127.0.0.1", server.Port()};
  // Longer than the test: the calls are still waiting when the I/O threads stop.
  options.command_timeout = 60s;
  options.connect_timeout = 60s;

  std::weak_ptr<int> watch;
  {
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    Runner runner(ioc);
    {
      RedisClient client(ioc.get_executor(), options);
      auto connected = asio::co_spawn(ioc, client.Connect(), asio::use_future).get();
      ASSERT_TRUE(connected.has_value()) << connected.error().message;
      RedisSubscriber subscriber(ioc.get_executor(), options, 60s);
      RedisEventGate gate(client, 1min, testing::UniquePrefix());
      RedisLeaderElection leader(client, ioc.get_executor(), 60s, testing::UniquePrefix());
      RedisChangeBus bus(client, subscriber, ioc.get_executor(), testing::UniquePrefix());
      subscriber.Start();
      leader.Start();
      ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed() && leader.IsLeader(); }));

      // Redis stops answering: every call below stays queued on the connection.
      server.Pause();
      auto alive = std::make_shared<int>(0);
      watch = alive;
      for (int i = 0; i < 16; ++i) {
        asio::co_spawn(ioc, WaitForGet(client, alive), asio::detached);
      }
      asio::co_spawn(ioc, WaitForEvent(gate, alive), asio::detached);
      alive.reset();
      bus.Publish(coordination::Change{coordination::ChangeTopic::kSettings, {}});
      leader.Stop();  // its release of the lease waits too
      subscriber.Stop();
      std::this_thread::sleep_for(200ms);  // the calls reach the connection
      EXPECT_FALSE(watch.expired());

      runner.Stop();
      client.Close();  // after the I/O threads stopped, as Backends::Close()
    }
  }
  server.Resume();
  EXPECT_TRUE(watch.expired()) << "coroutines waiting for Redis were never freed";
  EXPECT_TRUE(NoLeaks()) << "LeakSanitizer found leaks (see above)";
}

// Checked by LeakSanitizer only (an ASan build).
TEST(RedisShutdownTest, ReconnectionsPendingWhenTheIoThreadsStopAreFreed) {
  RedisProcess server;
  RedisOptions options;
  options.server = RedisEndpoint{"127.0.0.1", server.Port()};
  options.command_timeout = 60s;
  options.connect_timeout = 60s;
  options.reconnect_min = 10ms;
  options.reconnect_max = 10ms;

  {
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    Runner runner(ioc);
    {
      RedisClient client(ioc.get_executor(), options);
      auto connected = asio::co_spawn(ioc, client.Connect(), asio::use_future).get();
      ASSERT_TRUE(connected.has_value()) << connected.error().message;
      RedisSubscriber subscriber(ioc.get_executor(), options, 60s);
      RedisLeaderElection leader(client, ioc.get_executor(), 60s, testing::UniquePrefix());
      RedisChangeBus bus(client, subscriber, ioc.get_executor(), testing::UniquePrefix());
      subscriber.Start();
      leader.Start();
      ASSERT_TRUE(WaitFor([&] { return subscriber.Subscribed() && leader.IsLeader(); }));

      // The connections are lost, and the new ones hang in their handshake: the server accepts
      // (the kernel does) but answers nothing.
      server.Kill();
      ASSERT_TRUE(WaitFor([&] { return !client.Connected() && !subscriber.Subscribed(); }));
      server.Start();
      server.Pause();
      std::this_thread::sleep_for(200ms);  // reconnection attempts are under way

      runner.Stop();
      leader.Stop();
      subscriber.Stop();
      client.Close();
    }
  }
  server.Resume();
  EXPECT_TRUE(NoLeaks()) << "LeakSanitizer found leaks (see above)";
}

}  // namespace
}  // namespace convene::redis
