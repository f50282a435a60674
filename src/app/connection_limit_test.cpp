#include "app/connection_limit.hpp"

#include <gtest/gtest.h>

namespace convene::app {
namespace {

TEST(ConnectionLimit, DefaultLeavesTheReserveFree) {
  EXPECT_EQ(DefaultMaxConnections(1024, 120), 904u);
  EXPECT_EQ(DefaultMaxConnections(65536, 120), 65416u);
}

TEST(ConnectionLimit, DefaultIsAtLeastHalfOfASmallLimit) {
  EXPECT_EQ(DefaultMaxConnections(128, 120), 64u);
  EXPECT_EQ(DefaultMaxConnections(1, 120), 1u);
}

TEST(ConnectionLimit, UnlimitedDescriptorsGiveALargeFiniteCap) {
  EXPECT_GT(DefaultMaxConnections(~std::uint64_t{0}, 120), 1'000'000u);
  EXPECT_LT(DefaultMaxConnections(~std::uint64_t{0}, 120), 2'000'000u);
}

TEST(ConnectionLimit, ReserveGrowsWithThreadsAndThePostgresPool) {
  Config sqlite;
  sqlite.threads = 2;
  Config more_threads = sqlite;
  more_threads.threads = 16;
  EXPECT_GT(ReservedDescriptors(more_threads), ReservedDescriptors(sqlite));
  Config postgres = sqlite;
  postgres.database_url = "postgresql://u@h/db";
  postgres.database_pool_size = 200;
  EXPECT_GT(ReservedDescriptors(postgres), ReservedDescriptors(sqlite) + 150);
  Config redis = sqlite;
  redis.redis.enabled = true;
  EXPECT_GT(ReservedDescriptors(redis), ReservedDescriptors(sqlite));
}

TEST(ConnectionLimit, DescriptorLimitIsThisProcesssSoftLimit) { EXPECT_GT(DescriptorLimit(), 3u); }

}  // namespace
}  // namespace convene::app
