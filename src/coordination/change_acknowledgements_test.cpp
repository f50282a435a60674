#include "coordination/change_acknowledgements.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "core/random.hpp"

namespace convene::coordination {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// A bus that reports `receivers` instances and records what was published.
class FakeBus final : public ChangeBus {
 public:
  explicit FakeBus(std::size_t receivers) : receivers_(receivers) {}
  void Publish(Change change) override { published.push_back(std::move(change)); }
  asio::awaitable<Result<std::size_t>> PublishCounted(const Change& change) override {
    last_nonce = change.subject;
    counted.fetch_add(1);
    co_return receivers_;
  }
  void Subscribe(Handler) override {}

  std::vector<Change> published;
  std::string last_nonce;
  std::atomic<int> counted{0};

 private:
  std::size_t receivers_;
};

class ChangeAcknowledgementsTest : public ::testing::Test {
 protected:
  asio::io_context ioc_;
  SeededRandom random_{7};
};

TEST_F(ChangeAcknowledgementsTest, ReturnsOnceEveryReceiverAnswered) {
  FakeBus bus(2);
  ChangeAcknowledgements acks(bus, ioc_.get_executor(), random_);
  auto done = asio::co_spawn(ioc_, acks.PublishAndWait(ChangeTopic::kSettings, 10s), asio::use_future);
  std::thread io([this] { ioc_.run(); });
  while (bus.counted.load() == 0) std::this_thread::sleep_for(1ms);
  const std::string nonce = bus.last_nonce;
  EXPECT_FALSE(nonce.empty());
  acks.OnApplied({ChangeTopic::kApplied, "someone-else's-write"});
  acks.OnApplied({ChangeTopic::kApplied, nonce});
  EXPECT_EQ(done.wait_for(100ms), std::future_status::timeout) << "one answer is still missing";
  const auto started = std::chrono::steady_clock::now();
  acks.OnApplied({ChangeTopic::kApplied, nonce});
  EXPECT_EQ(done.wait_for(5s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  io.join();
}

TEST_F(ChangeAcknowledgementsTest, GivesUpAfterTheTimeoutWhenAnInstanceNeverAnswers) {
  FakeBus bus(1);
  ChangeAcknowledgements acks(bus, ioc_.get_executor(), random_);
  auto done = asio::co_spawn(ioc_, acks.PublishAndWait(ChangeTopic::kSettings, 50ms), asio::use_future);
  ioc_.run();
  EXPECT_EQ(done.wait_for(0s), std::future_status::ready);
}

TEST_F(ChangeAcknowledgementsTest, NoPeersMeansNoWait) {
  FakeBus bus(0);
  ChangeAcknowledgements acks(bus, ioc_.get_executor(), random_);
  auto done = asio::co_spawn(ioc_, acks.PublishAndWait(ChangeTopic::kSettings, 1h), asio::use_future);
  ioc_.run();
  EXPECT_EQ(done.wait_for(0s), std::future_status::ready);
}

TEST_F(ChangeAcknowledgementsTest, TheReceivingSideAnswersWithTheNonce) {
  FakeBus bus(0);
  ChangeAcknowledgements acks(bus, ioc_.get_executor(), random_);
  acks.Acknowledge({ChangeTopic::kSettings, "n1"});
  acks.Acknowledge({ChangeTopic::kSettings, ""});  // a change without a nonce needs no answer
  ASSERT_EQ(bus.published.size(), 1u);
  EXPECT_EQ(bus.published[0].topic, ChangeTopic::kApplied);
  EXPECT_EQ(bus.published[0].subject, "n1");
}

}  // namespace
}  // namespace convene::coordination
