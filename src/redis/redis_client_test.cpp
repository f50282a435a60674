#include "redis/redis_client.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "redis/redis_test_support.hpp"

namespace convene::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::IoThreads;
using testing::RedisProcess;
using testing::WaitFor;

using Command = std::vector<std::string>;

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto shared = testing::SharedRedis();
    if (!shared) {
      GTEST_SKIP() << testing::kNoSharedRedis;
    }
    shared_ = *shared;
    prefix_ = testing::UniquePrefix();
  }

  // A connected client for `options`, closed at the end of the test.
  RedisClient& Client(RedisOptions options) {
    clients_.push_back(std::make_unique<RedisClient>(io_.Executor(), std::move(options)));
    RedisClient& client = *clients_.back();
    auto connected = io_.Run(client.Connect());
    EXPECT_TRUE(connected.has_value()) << connected.error().message;
    return client;
  }
  RedisClient& Client() { return Client(testing::SharedOptions(shared_)); }

  Result<Reply> Run(RedisClient& client, Command command) {
    return io_.Run(client.Command(std::move(command)));
  }

  void TearDown() override {
    for (auto& client : clients_) client->Close();
  }

  testing::SharedServer shared_;
  std::string prefix_;
  IoThreads io_{2};
  std::vector<std::unique_ptr<RedisClient>> clients_;
};

TEST_F(RedisClientTest, SetGetIncrAndReplyTypes) {
  RedisClient& client = Client();
  EXPECT_TRUE(client.Connected());
  const std::string key = prefix_ + "k";
  auto set = Run(client, {"SET", key, "v1", "PX", "60000"});
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ(set->type, Reply::Type::kStatus);
  EXPECT_EQ(set->Text(), "OK");
  EXPECT_EQ(Run(client, {"GET", key})->Text(), "v1");
  EXPECT_TRUE(Run(client, {"GET", prefix_ + "missing"})->IsNil());
  EXPECT_EQ(Run(client, {"INCR", prefix_ + "n"})->Integer(), 1);
  EXPECT_EQ(Run(client, {"INCRBY", prefix_ + "n", "41"})->Integer(), 42);
  // A Redis error reply is a reply, not a failed call.
  auto wrong = Run(client, {"INCR", key});
  ASSERT_TRUE(wrong.has_value());
  EXPECT_TRUE(wrong->IsError());
  EXPECT_TRUE(wrong->str.starts_with("ERR")) << wrong->str;
  Run(client, {"DEL", key, prefix_ + "n"});
}

TEST_F(RedisClientTest, PipelineRepliesInOrder) {
  RedisClient& client = Client();
  const std::string key = prefix_ + "list";
  std::vector<Command> commands{{"DEL", key},          {"RPUSH", key, "a", "b", "c"},
                                {"LRANGE", key, "0", "-1"}, {"GET", prefix_ + "none"},
                                {"HSET", key, "f", "v"},    {"DEL", key}};
  auto replies = io_.Run(client.Pipeline(std::move(commands)));
  ASSERT_TRUE(replies.has_value()) << replies.error().message;
  ASSERT_EQ(replies->size(), 6u);
  EXPECT_EQ((*replies)[1].Integer(), 3);
  ASSERT_EQ((*replies)[2].elements.size(), 3u);
  EXPECT_EQ((*replies)[2].elements[2].Text(), "c");
  EXPECT_TRUE((*replies)[3].IsNil());
  EXPECT_TRUE((*replies)[4].IsError());  // WRONGTYPE
  EXPECT_EQ((*replies)[5].Integer(), 1);
  EXPECT_TRUE(io_.Run(client.Pipeline({}))->empty());
}

TEST_F(RedisClientTest, InvalidCommandsAreRejectedLocally) {
  RedisClient& client = Client();
  auto empty = Run(client, {});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

// 10 000 commands in flight at once from coroutines on 4 threads: each must get its own reply.
TEST_F(RedisClientTest, TenThousandConcurrentCommandsMatchTheirReplies) {
  IoThreads busy(4);
  RedisClient client(busy.Executor(), testing::SharedOptions(shared_));
  ASSERT_TRUE(busy.Run(client.Connect()).has_value());
  constexpr int kCommands = 10000;
  std::atomic<int> done{0};
  std::atomic<int> mismatches{0};
  std::atomic<int> failures{0};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCommands; ++i) {
    // Each command echoes a value unique to it, so a reply matched to the wrong caller shows.
    auto one = [&client, &done, &mismatches, &failures, i]() -> asio::awaitable<void> {
      const std::string value = "value-" + std::to_string(i);
      Command echo{"ECHO", value};  // named: GCC 12 rejects braced temporaries in co_await
      auto reply = co_await client.Command(std::move(echo));
      if (!reply) {
        ++failures;
      } else if (reply->Text() != value) {
        ++mismatches;
      }
      ++done;
    };
    asio::co_spawn(busy.Executor(), one, asio::detached);
  }
  ASSERT_TRUE(WaitFor([&] { return done.load() == kCommands; }, 60s));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  std::printf("[ measure  ] %d concurrent ECHO in %.3f s: %.0f commands/s\n", kCommands, seconds,
              kCommands / seconds);
  // The same from 4 plain threads, each issuing sequential commands (one round trip at a time).
  std::atomic<int> sequential_failures{0};
  std::vector<std::thread> threads;
  const auto sequential_start = std::chrono::steady_clock::now();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string value = std::to_string(t) + ":" + std::to_string(i);
        auto reply = busy.Run(client.Command({"ECHO", value}));
        if (!reply || reply->Text() != value) ++sequential_failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double sequential_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - sequential_start).count();
  EXPECT_EQ(sequential_failures.load(), 0);
  std::printf("[ measure  ] 4 threads x 500 sequential ECHO: %.0f commands/s\n",
              2000 / sequential_seconds);
  // One coroutine, one command at a time: the round-trip rate.
  auto round_trips = [&client]() -> asio::awaitable<double> {
    const auto begin = std::chrono::steady_clock::now();
    for (int i = 0; i < 2000; ++i) {
      Command ping{"PING"};
      auto reply = co_await client.Command(std::move(ping));
      if (!reply) co_return 0.0;
    }
    co_return 2000 / std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  };
  const double rate = busy.Run(round_trips());
  EXPECT_GT(rate, 0.0);
  std::printf("[ measure  ] 1 coroutine, 2000 sequential PING: %.0f round trips/s\n", rate);
  client.Close();
}

TEST_F(RedisClientTest, EvalFallsBackToEvalAfterScriptFlush) {
  // A server of our own: SCRIPT FLUSH would disturb other tests using the shared one.
  RedisProcess server;
  RedisOptions options;
  options.server = {"127.0.0.1", server.Port()};
  RedisClient& client = Client(options);
  const Script script("return {KEYS[1], ARGV[1], 7}");
  for (int round = 0; round < 2; ++round) {
    // Round 0: never loaded (NOSCRIPT -> EVAL). Round 1: cached, then flushed below.
    auto reply = io_.Run(client.Eval(script, {"k"}, {"a"}));
    ASSERT_TRUE(reply.has_value()) << reply.error().message;
    ASSERT_EQ(reply->elements.size(), 3u) << reply->str;
    EXPECT_EQ(reply->elements[0].Text(), "k");
    EXPECT_EQ(reply->elements[1].Text(), "a");
    EXPECT_EQ(reply->elements[2].Integer(), 7);
    auto exists = Run(client, {"SCRIPT", "EXISTS", script.Sha1()});
    ASSERT_EQ(exists->elements.size(), 1u);
    EXPECT_EQ(exists->elements[0].Integer(), 1);  // EVAL cached it again
    ASSERT_EQ(Run(client, {"SCRIPT", "FLUSH"})->Text(), "OK");
  }
}

TEST_F(RedisClientTest, WrongPasswordGivesAClearErrorWithoutThePassword) {
  RedisOptions options = testing::SharedOptions(shared_);
  options.password = "not-the-right-secret";
  RedisClient client(io_.Executor(), options);
  auto connected = io_.Run(client.Connect());
  ASSERT_FALSE(connected.has_value());
  const Error& error = connected.error();
  EXPECT_EQ(error.code, ErrorCode::kUnavailable);
  EXPECT_EQ(error.name, "Service Unavailable");
  EXPECT_NE(error.message.find("127.0.0.1:" + std::to_string(shared_.port)), std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("AUTH"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("WRONGPASS"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("not-the-right-secret"), std::string::npos) << error.message;
  // Commands fail at once meanwhile, with the same cause.
  auto command = io_.Run(client.Command({"PING"}), 1s);
  ASSERT_FALSE(command.has_value());
  EXPECT_EQ(command.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(command.error().message.find("not-the-right-secret"), std::string::npos);
  client.Close();
}

TEST_F(RedisClientTest, AclUserLogsInWithUsernameAndPassword) {
  RedisClient& admin = Client();
  const std::string user = "convene-test-" + std::to_string(::getpid());
  const Command create{"ACL", "SETUSER", user, "on", ">user-secret", "~*", "+@all"};
  ASSERT_EQ(Run(admin, create)->Text(), "OK");
  RedisOptions options = testing::SharedOptions(shared_);
  options.username = user;
  options.password = "user-secret";
  RedisClient& client = Client(options);
  EXPECT_EQ(Run(client, {"ACL", "WHOAMI"})->Text(), user);
  Run(admin, {"ACL", "DELUSER", user});
}

// Log lines captured while it lives (the default logger is swapped for a ring buffer).
class CapturedLog {
 public:
  CapturedLog()
      : previous_(spdlog::default_logger()),
        sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink_));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  int Count(const std::string& needle) const {
    int n = 0;
    for (const std::string& line : sink_->last_formatted()) {
      n += line.find(needle) != std::string::npos ? 1 : 0;
    }
    return n;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

TEST_F(RedisClientTest, PasswordAgainstAServerWithoutOneWarnsOnceAndWorks) {
  CapturedLog log;
  RedisProcess server;  // no requirepass
  RedisOptions options;
  options.server = {"127.0.0.1", server.Port()};
  options.password = "redispassword";  // the reference's default
  options.reconnect_min = 20ms;
  options.reconnect_max = 100ms;
  RedisClient& client = Client(options);
  EXPECT_TRUE(client.Connected());
  EXPECT_EQ(Run(client, {"PING"})->Text(), "PONG");
  // A reconnect meets the same situation: it is not worth a second warning.
  server.Kill();
  ASSERT_TRUE(WaitFor([&] { return !client.Connected(); }));
  server.Start();
  ASSERT_TRUE(WaitFor([&] { return client.Connected(); }));
  EXPECT_EQ(Run(client, {"PING"})->Text(), "PONG");
  EXPECT_EQ(log.Count("the server has none"), 1);
  EXPECT_EQ(log.Count("redispassword"), 0);
  client.Close();
  io_.Join();  // nothing logs into the captured logger once it goes
}

TEST_F(RedisClientTest, SelectsTheConfiguredDatabase) {
  RedisOptions in_db3 = testing::SharedOptions(shared_);
  in_db3.db = 3;
  RedisClient& db3 = Client(in_db3);
  RedisClient& db0 = Client();
  const std::string key = prefix_ + "db";
  ASSERT_EQ(Run(db3, {"SET", key, "three", "PX", "60000"})->Text(), "OK");
  EXPECT_TRUE(Run(db0, {"GET", key})->IsNil());
  EXPECT_EQ(Run(db3, {"GET", key})->Text(), "three");
  Run(db3, {"DEL", key});
  RedisOptions bad = testing::SharedOptions(shared_);
  bad.db = 100000;
  RedisClient client(io_.Executor(), bad);
  auto connected = io_.Run(client.Connect());
  ASSERT_FALSE(connected.has_value());
  EXPECT_NE(connected.error().message.find("SELECT"), std::string::npos);
  client.Close();
}

TEST_F(RedisClientTest, CommandsBeforeConnectFailAtOnce) {
  RedisClient client(io_.Executor(), testing::SharedOptions(shared_));
  const auto start = std::chrono::steady_clock::now();
  auto reply = io_.Run(client.Command({"PING"}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  client.Close();
}

TEST_F(RedisClientTest, ConnectionRefusedNamesTheServer) {
  RedisOptions options;
  const std::uint16_t port = testing::FreePort();
  options.server = {"127.0.0.1", port};
  RedisClient client(io_.Executor(), options);
  auto connected = io_.Run(client.Connect());
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(connected.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << connected.error().message;
  EXPECT_NE(connected.error().message.find("cannot connect"), std::string::npos);
  client.Close();
}

TEST_F(RedisClientTest, ResolvesHostNames) {
  RedisOptions options = testing::SharedOptions(shared_);
  options.server.host = "localhost";  // the reference's default MEET_REDIS_HOST
  RedisClient& client = Client(options);
  EXPECT_EQ(Run(client, {"PING"})->Text(), "PONG");
}

TEST_F(RedisClientTest, FailsFastWhileDownAndRecoversWhenTheServerReturns) {
  RedisProcess server;
  RedisOptions options;
  options.server = {"127.0.0.1", server.Port()};
  options.reconnect_min = 20ms;
  options.reconnect_max = 200ms;
  RedisClient& client = Client(options);
  ASSERT_EQ(Run(client, {"SET", "k", "1"})->Text(), "OK");

  server.Kill();
  // The first command may be the one that discovers the loss; from then on every command fails
  // at once, without waiting for a timeout.
  ASSERT_TRUE(WaitFor([&] { return !client.Connected(); }, 5s));
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto reply = Run(client, {"GET", "k"});
    // Well below the 2 s command timeout: nothing waited for a reply.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(reply.error().name, "Service Unavailable");
    EXPECT_NE(reply.error().message.find(std::to_string(server.Port())), std::string::npos);
  }
  EXPECT_GE(client.Stats().rejected, 20u);

  server.Start();
  ASSERT_TRUE(WaitFor([&] { return client.Connected(); }, 10s));
  EXPECT_EQ(Run(client, {"PING"})->Text(), "PONG");
}

TEST_F(RedisClientTest, InFlightCommandsFailWhenTheServerDies) {
  RedisProcess server;
  RedisOptions options;
  options.server = {"127.0.0.1", server.Port()};
  RedisClient& client = Client(options);
  // BLPOP holds its reply until a timeout; the server dies before.
  std::atomic<bool> finished{false};
  Result<Reply> outcome;
  auto blocked = [&]() -> asio::awaitable<void> {
    Command blpop{"BLPOP", "nothing", "0"};
    outcome = co_await client.Command(std::move(blpop));
    finished = true;
  };
  asio::co_spawn(io_.Executor(), blocked, asio::detached);
  std::this_thread::sleep_for(100ms);
  server.Kill();
  ASSERT_TRUE(WaitFor([&] { return finished.load(); }, 5s));
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, ErrorCode::kUnavailable);
}

TEST_F(RedisClientTest, TimesOutAndDropsTheConnectionThenRecovers) {
  RedisProcess server;
  RedisOptions options;
  options.server = {"127.0.0.1", server.Port()};
  options.command_timeout = 300ms;
  options.connect_timeout = 300ms;
  options.reconnect_min = 20ms;
  options.reconnect_max = 100ms;
  RedisClient& client = Client(options);
  ASSERT_EQ(Run(client, {"PING"})->Text(), "PONG");

  server.Pause();
  const auto start = std::chrono::steady_clock::now();
  auto reply = Run(client, {"PING"});
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(reply.error().message.find("no reply within 300 ms"), std::string::npos)
      << reply.error().message;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 5s);
  EXPECT_FALSE(client.Connected());

  server.Resume();
  ASSERT_TRUE(WaitFor([&] { return client.Connected(); }, 10s));
  EXPECT_EQ(Run(client, {"PING"})->Text(), "PONG");
  const RedisClientStats stats = client.Stats();
  EXPECT_EQ(stats.timeouts, 1u);
  EXPECT_GE(stats.connects, 2u);
  EXPECT_GE(stats.disconnects, 1u);
}

TEST_F(RedisClientTest, CloseFailsLaterCommands) {
  RedisClient& client = Client();
  client.Close();
  ASSERT_TRUE(WaitFor([&] { return !client.Connected(); }, 5s));
  auto reply = Run(client, {"PING"});
  ASSERT_FALSE(reply.has_value());
  EXPECT_NE(reply.error().message.find("closed"), std::string::npos);
  client.Close();  // idempotent
}

// Sentinel mode: the master's address comes from a real redis-server in sentinel mode.
TEST_F(RedisClientTest, DiscoversTheMasterThroughSentinel) {
  RedisProcess master({"--requirepass", "master-secret"});
  const std::string config = "sentinel monitor convene-master 127.0.0.1 " +
                             std::to_string(master.Port()) + " 1\n" +
                             "sentinel auth-pass convene-master master-secret\n" +
                             "requirepass sentinel-secret\n";
  RedisProcess sentinel({"--sentinel"}, config);

  RedisOptions options;
  // The first sentinel is down: the next one is asked.
  options.sentinels = {{"127.0.0.1", testing::FreePort()}, {"127.0.0.1", sentinel.Port()}};
  options.sentinel_password = "sentinel-secret";
  options.master_name = "convene-master";
  options.password = "master-secret";
  RedisClient& client = Client(options);
  ASSERT_TRUE(client.Connected());
  auto role = Run(client, {"ROLE"});
  ASSERT_TRUE(role.has_value());
  EXPECT_EQ(role->elements.at(0).Text(), "master");
  auto port = Run(client, {"CONFIG", "GET", "port"});
  ASSERT_EQ(port->elements.size(), 2u);
  EXPECT_EQ(port->elements[1].Integer(), master.Port());

  // A master name the sentinels do not know, and a wrong sentinel password, fail clearly.
  options.master_name = "unknown-master";
  RedisClient unknown(io_.Executor(), options);
  auto failed = io_.Run(unknown.Connect());
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message.find("unknown-master"), std::string::npos)
      << failed.error().message;
  unknown.Close();
  options.master_name = "convene-master";
  options.sentinel_password = "wrong-sentinel-secret";
  RedisClient wrong(io_.Executor(), options);
  failed = io_.Run(wrong.Connect());
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().message.find("wrong-sentinel-secret"), std::string::npos);
  EXPECT_NE(failed.error().message.find(std::to_string(sentinel.Port())), std::string::npos)
      << failed.error().message;
  wrong.Close();
}

// The master named by the sentinels turns into a replica under the client: its READONLY answer
// drops the connection, and the ROLE check refuses the server until it is a master again.
TEST_F(RedisClientTest, InSentinelModeAReadOnlyAnswerSendsTheClientBackToTheSentinels) {
  RedisProcess master;
  const std::string config = "sentinel monitor ro 127.0.0.1 " + std::to_string(master.Port()) +
                             " 1\n";
  RedisProcess sentinel({"--sentinel"}, config);
  RedisOptions options;
  options.sentinels = {{"127.0.0.1", sentinel.Port()}};
  options.master_name = "ro";
  options.reconnect_min = 20ms;
  options.reconnect_max = 100ms;
  RedisClient& client = Client(options);
  RedisOptions direct;
  direct.server = {"127.0.0.1", master.Port()};
  RedisClient& admin = Client(direct);

  const std::string nowhere = std::to_string(testing::FreePort());
  ASSERT_EQ(Run(admin, {"REPLICAOF", "127.0.0.1", nowhere})->Text(), "OK");
  auto refused = Run(client, {"SET", "k", "v"});
  ASSERT_TRUE(refused.has_value());
  EXPECT_TRUE(refused->str.starts_with("READONLY")) << refused->str;
  ASSERT_TRUE(WaitFor([&] { return !client.Connected(); }, 2s));
  std::this_thread::sleep_for(200ms);  // several reconnects, each refused by the ROLE check
  EXPECT_FALSE(client.Connected());
  auto failed = Run(client, {"PING"});
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(failed.error().message.find("not a master"), std::string::npos)
      << failed.error().message;

  ASSERT_TRUE(WaitFor([&] {
    auto reply = Run(admin, {"REPLICAOF", "NO", "ONE"});
    return reply && reply->Text() == "OK";
  }));
  ASSERT_TRUE(WaitFor([&] { return client.Connected(); }, 10s));
  EXPECT_EQ(Run(client, {"SET", "k", "v"})->Text(), "OK");
}

// A real fail-over (SENTINEL FAILOVER promotes the replica): the client ends up on the new
// master by itself, whether the old master's connection is killed by the sentinel or answers
// READONLY first.
TEST_F(RedisClientTest, FollowsASentinelFailOver) {
  RedisProcess first({"--requirepass", "pw", "--masterauth", "pw"});
  RedisProcess second({"--requirepass", "pw", "--masterauth", "pw", "--replicaof", "127.0.0.1",
                       std::to_string(first.Port())});
  const std::string config = "sentinel monitor fo 127.0.0.1 " + std::to_string(first.Port()) +
                             " 1\n" + "sentinel auth-pass fo pw\n" +
                             "sentinel down-after-milliseconds fo 2000\n" +
                             "sentinel failover-timeout fo 10000\n";
  RedisProcess sentinel({"--sentinel"}, config);

  RedisOptions options;
  options.sentinels = {{"127.0.0.1", sentinel.Port()}};
  options.master_name = "fo";
  options.password = "pw";
  options.reconnect_min = 20ms;
  options.reconnect_max = 200ms;
  RedisClient& client = Client(options);
  auto port_of = [&]() -> std::int64_t {
    auto reply = Run(client, {"CONFIG", "GET", "port"});
    return reply && reply->elements.size() == 2 ? reply->elements[1].Integer().value_or(0) : 0;
  };
  ASSERT_EQ(port_of(), first.Port());

  RedisOptions direct;
  direct.server = {"127.0.0.1", sentinel.Port()};
  RedisClient& sentinel_client = Client(direct);
  // The sentinel learns about the replica from the master's INFO: retry until it can promote it.
  const bool started = WaitFor(
      [&] {
        auto reply = Run(sentinel_client, {"SENTINEL", "FAILOVER", "fo"});
        if (reply && reply->Text() == "OK") return true;
        std::this_thread::sleep_for(200ms);
        return false;
      },
      30s);
  ASSERT_TRUE(started);
  ASSERT_TRUE(WaitFor([&] { return port_of() == second.Port(); }, 30s));
  EXPECT_EQ(Run(client, {"SET", "after-failover", "1"})->Text(), "OK");
}

}  // namespace
}  // namespace convene::redis
