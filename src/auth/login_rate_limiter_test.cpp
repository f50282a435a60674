#include "auth/login_rate_limiter.hpp"

#include <gtest/gtest.h>

namespace convene::auth {
namespace {

constexpr std::int64_t kMinute = 60 * 1000;

class LoginRateLimiterTest : public ::testing::Test {
 protected:
  ManualClock clock_{1'760'000'000'000};
  LoginRateLimiter limiter_{LoginRateLimit{}, clock_};

  // A failed attempt: the slot is kept.
  bool Fail(std::string_view client) { return limiter_.Begin(client).admitted; }
};

TEST_F(LoginRateLimiterTest, FiveFailuresThenBlocked) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Fail("10.0.0.1")) << i;
  const auto blocked = limiter_.Begin("10.0.0.1");
  EXPECT_FALSE(blocked.admitted);
  EXPECT_EQ(blocked.retry_after_seconds, 300);
  EXPECT_EQ(kTooManyLoginAttempts, "Too many login attempts, please try again later");
}

TEST_F(LoginRateLimiterTest, SuccessfulLoginsDoNotCount) {
  for (int i = 0; i < 20; ++i) {
    auto attempt = limiter_.Begin("10.0.0.1");
    ASSERT_TRUE(attempt.admitted) << i;
    limiter_.Succeeded("10.0.0.1", attempt);
  }
  EXPECT_EQ(limiter_.TrackedClients(), 0u);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Fail("10.0.0.1"));
  EXPECT_FALSE(Fail("10.0.0.1"));
}

TEST_F(LoginRateLimiterTest, ConcurrentAttemptsCannotOvershoot) {
  // Six attempts started before any finished: the sixth is refused although none failed yet.
  std::vector<LoginRateLimiter::Attempt> in_flight;
  for (int i = 0; i < 5; ++i) in_flight.push_back(limiter_.Begin("10.0.0.1"));
  EXPECT_FALSE(limiter_.Begin("10.0.0.1").admitted);
  limiter_.Succeeded("10.0.0.1", in_flight[2]);
  EXPECT_TRUE(limiter_.Begin("10.0.0.1").admitted);
}

TEST_F(LoginRateLimiterTest, WindowSlides) {
  EXPECT_TRUE(Fail("a"));  // t = 0
  clock_.Advance(2 * kMinute);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Fail("a"));  // t = 2 min
  EXPECT_FALSE(Fail("a"));
  clock_.Advance(3 * kMinute - 1);  // just before the first failure ages out
  auto blocked = limiter_.Begin("a");
  EXPECT_FALSE(blocked.admitted);
  EXPECT_EQ(blocked.retry_after_seconds, 1);
  clock_.Advance(1);  // t = 5 min: the first failure left the window, one slot is free
  EXPECT_TRUE(Fail("a"));
  EXPECT_FALSE(Fail("a"));
  clock_.Advance(2 * kMinute);  // the four failures of t = 2 min left too
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(Fail("a"));
  EXPECT_FALSE(Fail("a"));
}

TEST_F(LoginRateLimiterTest, ClientsAreIndependent) {
  for (int i = 0; i < 5; ++i) Fail("10.0.0.1");
  EXPECT_FALSE(Fail("10.0.0.1"));
  EXPECT_TRUE(Fail("10.0.0.2"));
  EXPECT_TRUE(Fail("::1"));
}

TEST_F(LoginRateLimiterTest, RefusedAttemptsDoNotExtendTheLockout) {
  for (int i = 0; i < 5; ++i) Fail("a");
  for (int i = 0; i < 100; ++i) {
    clock_.Advance(1000);
    Fail("a");
  }
  clock_.Advance(5 * kMinute - 100 * 1000);
  EXPECT_TRUE(Fail("a"));
}

TEST(LoginRateLimiter, DisabledNeverBlocks) {
  ManualClock clock(0);
  LoginRateLimiter limiter(LoginRateLimit{false, 5, 5 * kMinute, 10}, clock);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.Begin("a").admitted);
  EXPECT_EQ(limiter.TrackedClients(), 0u);
}

TEST(LoginRateLimiter, ConfigurableLimit) {
  ManualClock clock(0);
  LoginRateLimiter limiter(LoginRateLimit{true, 2, kMinute, 10}, clock);
  EXPECT_TRUE(limiter.Begin("a").admitted);
  EXPECT_TRUE(limiter.Begin("a").admitted);
  EXPECT_FALSE(limiter.Begin("a").admitted);
  clock.Advance(kMinute);
  EXPECT_TRUE(limiter.Begin("a").admitted);
}

TEST(LoginRateLimiter, MemoryIsBounded) {
  ManualClock clock(0);
  LoginRateLimiter limiter(LoginRateLimit{true, 5, 5 * kMinute, 3}, clock);
  for (int i = 0; i < 100; ++i) {
    clock.Advance(1);
    EXPECT_TRUE(limiter.Begin("client-" + std::to_string(i)).admitted);
    EXPECT_LE(limiter.TrackedClients(), 3u);
  }
  // The most recently active clients are the ones remembered.
  for (int i = 0; i < 4; ++i) limiter.Begin("client-99");
  EXPECT_FALSE(limiter.Begin("client-99").admitted);
}

TEST(LoginRateLimiter, ExpiredClientsAreSweptBeforeAnyoneIsEvicted) {
  ManualClock clock(0);
  LoginRateLimiter limiter(LoginRateLimit{true, 5, kMinute, 2}, clock);
  for (int i = 0; i < 5; ++i) limiter.Begin("attacker");
  limiter.Begin("old");
  clock.Advance(kMinute + 1);  // "old" and the attacker's failures expire
  for (int i = 0; i < 5; ++i) limiter.Begin("attacker");
  EXPECT_FALSE(limiter.Begin("attacker").admitted);
  EXPECT_TRUE(limiter.Begin("new").admitted);  // room made by sweeping "old", not the attacker
  EXPECT_FALSE(limiter.Begin("attacker").admitted);
}

}  // namespace
}  // namespace convene::auth
