#include "observability/log_throttle.hpp"

#include <gtest/gtest.h>

namespace convene::observability {
namespace {

using std::chrono::seconds;

TEST(LogThrottle, ReportsTheFirstOccurrenceThenOncePerIntervalWithTheCount) {
  LogThrottle throttle(seconds(10));
  const LogThrottle::Clock::time_point t0{seconds(1000)};
  EXPECT_EQ(throttle.Occurred(t0), 1u);
  for (int i = 1; i <= 500; ++i) EXPECT_EQ(throttle.Occurred(t0 + seconds(i % 9)), 0u);
  // The next line stands for the 500 suppressed occurrences and this one.
  EXPECT_EQ(throttle.Occurred(t0 + seconds(10)), 501u);
  EXPECT_EQ(throttle.Occurred(t0 + seconds(11)), 0u);
  EXPECT_EQ(throttle.Occurred(t0 + seconds(25)), 2u);
}

}  // namespace
}  // namespace convene::observability
