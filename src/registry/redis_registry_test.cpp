// What only the Redis registry has: its keys, its error mapping, its script cache. The behaviour
// both registries share is in registry_conformance_test.cpp.
#include "registry/redis_registry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "registry/testing/redis_test_server.hpp"

namespace convene::registry {
namespace {

using domain::ParticipantRole;

AdmissionRequest Generate(std::string name, std::string room = "room") {
  AdmissionRequest r;
  r.room_id = std::move(room);
  r.name = std::move(name);
  r.now_ms = 1000;
  return r;
}

class RedisRegistryTest : public ::testing::Test {
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
    registry_ = std::make_unique<RedisRegistry>(*client_, registry_options);
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
  redis::Reply Command(std::vector<std::string> args) {
    auto reply = Run(client_->Command(std::move(args)));
    EXPECT_TRUE(reply) << reply.error().message;
    return reply ? *reply : redis::Reply{};
  }
  // Every key under this test's prefix, sorted.
  std::vector<std::string> Keys() {
    std::vector<std::string> keys;
    for (const auto& key : Command({"KEYS", prefix_ + "*"}).elements) keys.emplace_back(*key.Text());
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::vector<std::thread> threads_;
  std::string prefix_ = test::UniqueTestPrefix();
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<RedisRegistry> registry_;
};

TEST_F(RedisRegistryTest, RoomKeysShareTheRoomsHashTag) {
  ASSERT_TRUE(Run(registry_->Admit(Generate("Ann"))));
  ASSERT_TRUE(Run(registry_->Admit(Generate("Ann"))));
  ASSERT_TRUE(Run(registry_->MarkLeft("room", "Ann_1", "Ann_1")));  // a released number
  ASSERT_TRUE(Run(registry_->Ban("room", "Bad")));
  const std::string room = prefix_ + "reg:{room}:";
  std::vector<std::string> expected{room + "p", room + "n", room + "b", room + "hw", room + "free",
                                    prefix_ + "reg:rooms", prefix_ + "reg:generation"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Keys(), expected);
}

TEST_F(RedisRegistryTest, EmptyRoomsLeaveNoKeys) {
  for (const char* room : {"a", "b"}) {
    ASSERT_TRUE(Run(registry_->Admit(Generate("Zoe", room))));
    ASSERT_TRUE(Run(registry_->Admit(Generate("Zoe", room))));
    ASSERT_TRUE(Run(registry_->Admit(Generate("Zoe", room))));
    ASSERT_TRUE(Run(registry_->Ban(room, "Zoe_1")));
  }
  // Room a: the base leaves first, so its suffix pool outlives the last name... until the room is
  // empty. Room b: ended as a meeting.
  EXPECT_TRUE(*Run(registry_->MarkLeft("a", "Zoe", "Zoe")));
  EXPECT_TRUE(*Run(registry_->MarkLeft("a", "Zoe_2", "Zoe_2")));
  ASSERT_TRUE(Run(registry_->Unban("a", "Zoe_1")));
  ASSERT_TRUE(Run(registry_->FinishMeeting("b", 5000)));
  EXPECT_TRUE(Run(registry_->Rooms())->empty());
  EXPECT_EQ(Keys(), (std::vector<std::string>{prefix_ + "reg:generation"}))
      << "only the global generation counter stays";
}

TEST_F(RedisRegistryTest, UnexpectedDataIsAnInternalErrorThatRevealsNothing) {
  const std::string records = prefix_ + "reg:{room}:p";
  Command({"HSET", records, "broken", "not json: secret-name"});
  Command({"HSET", records, "odd", R"({"n":"secret-name","r":["owner"],"s":"speaker"})"});
  for (const char* identity : {"broken", "odd"}) {
    auto got = Run(registry_->Get("room", identity));
    ASSERT_FALSE(got) << identity;
    EXPECT_EQ(got.error().code, ErrorCode::kInternal);
    EXPECT_EQ(got.error().message.find("secret"), std::string::npos) << got.error().message;
  }
  auto listed = Run(registry_->List("room"));
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::kInternal);
}

TEST_F(RedisRegistryTest, ScriptsComeBackAfterTheServerForgotThem) {
  ASSERT_TRUE(Run(registry_->Admit(Generate("Cy"))));
  Command({"SCRIPT", "FLUSH"});
  auto after = Run(registry_->Admit(Generate("Cy")));
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->name, "Cy_1");
}

TEST_F(RedisRegistryTest, ManyHoldersOfOneNameStillGetTheLowestFreeNumber) {
  constexpr int kHolders = 5000;
  for (int i = 0; i < kHolders; ++i) ASSERT_TRUE(Run(registry_->Admit(Generate("Alice"))));
  for (int n : {4000, 17, 2500}) {
    const std::string name = "Alice_" + std::to_string(n);
    ASSERT_TRUE(*Run(registry_->MarkLeft("room", name, name)));
  }
  for (int n : {17, 2500, 4000, kHolders}) {
    EXPECT_EQ(Run(registry_->Admit(Generate("ALICE")))->name, "ALICE_" + std::to_string(n));
  }
}

TEST(RedisRegistryUnavailableTest, AnUnreachableServerIsServiceUnavailable) {
  boost::asio::io_context ioc;
  redis::RedisOptions options;
  options.server = {"127.0.0.1", 1};  // nothing listens there: connections are refused at once
  options.connect_timeout = std::chrono::milliseconds(200);
  redis::RedisClient client(ioc.get_executor(), options);
  RedisRegistry registry(client);
  // The client keeps retrying in the background, so the io_context never runs out of work: run it
  // only until the operation is done.
  auto run = [&ioc](auto operation) {
    auto future = boost::asio::co_spawn(ioc, std::move(operation), boost::asio::use_future);
    for (int i = 0; i < 100 && future.wait_for(std::chrono::seconds(0)) != std::future_status::ready; ++i) {
      ioc.run_one_for(std::chrono::milliseconds(50));
    }
    return future.get();
  };
  EXPECT_FALSE(run(client.Connect()));
  auto admitted = run(registry.Admit(Generate("Dan")));
  ASSERT_FALSE(admitted);
  EXPECT_EQ(admitted.error().code, ErrorCode::kUnavailable);
  auto rooms = run(registry.Rooms());
  ASSERT_FALSE(rooms);
  EXPECT_EQ(rooms.error().code, ErrorCode::kUnavailable);
  client.Close();
  ioc.run_for(std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace convene::registry
