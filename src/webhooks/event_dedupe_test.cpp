#include "webhooks/event_dedupe.hpp"

#include <gtest/gtest.h>

namespace convene::webhooks {
namespace {

TEST(EventDedupe, SeesEachIdOnceWithinTheWindow) {
  EventDedupe dedupe(1000);
  EXPECT_TRUE(dedupe.FirstTime("EV_1", 0));
  EXPECT_FALSE(dedupe.FirstTime("EV_1", 500));
  EXPECT_TRUE(dedupe.FirstTime("EV_2", 500));
  EXPECT_TRUE(dedupe.FirstTime("EV_1", 1501)) << "forgotten after the retention window";
}

TEST(EventDedupe, ForgottenIdsAreProcessedAgain) {
  EventDedupe dedupe(1000);
  EXPECT_TRUE(dedupe.FirstTime("EV_1", 0));
  dedupe.Forget("EV_1");
  EXPECT_TRUE(dedupe.FirstTime("EV_1", 900));
  // The first slot ages out at 1001 but must not evict the newer sighting.
  EXPECT_FALSE(dedupe.FirstTime("EV_1", 1200));
}

}  // namespace
}  // namespace convene::webhooks
