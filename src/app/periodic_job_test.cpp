// PeriodicJob: first pass at Start, RunSoon cuts the wait short or queues one
// pass behind the running one (never two at once), Stop ends the loop.

#include "app/periodic_job.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

namespace convene::app {
namespace {

namespace asio = boost::asio;
using std::chrono::hours;
using std::chrono::milliseconds;

TEST(PeriodicJob, RunSoonCutsTheIntervalShort) {
  asio::io_context ioc;
  int passes = 0;
  PeriodicJob *self = nullptr;
  PeriodicJob job(ioc, hours(1), [&]() -> asio::awaitable<void> {
    ++passes;
    if (passes == 1)
      self->RunSoon(); // without it the next pass would be an hour away
    if (passes == 2)
      self->Stop();
    co_return;
  });
  self = &job;
  job.Start();
  ioc.run_for(
      std::chrono::seconds(10)); // returns at once when the loop has ended
  EXPECT_EQ(passes, 2);
  EXPECT_TRUE(ioc.stopped()) << "the loop ended: no work left";
}

TEST(PeriodicJob, RunSoonDuringAPassQueuesOneMorePassNeverAnOverlappingOne) {
  asio::io_context ioc(2);
  int passes = 0;
  int running = 0;
  int most_running = 0;
  PeriodicJob *self = nullptr;
  PeriodicJob job(ioc, hours(1), [&]() -> asio::awaitable<void> {
    ++passes;
    most_running = std::max(most_running, ++running);
    if (passes == 1) {
      self->RunSoon(); // both while this pass runs: coalesced into one more
                       // pass
      self->RunSoon();
    }
    asio::steady_timer busy(co_await asio::this_coro::executor,
                            milliseconds(30));
    co_await busy.async_wait(asio::use_awaitable);
    --running;
    if (passes == 2)
      self->Stop();
  });
  self = &job;
  job.Start();
  ioc.run_for(std::chrono::seconds(10));
  EXPECT_EQ(passes, 2);
  EXPECT_EQ(most_running, 1);
}

TEST(PeriodicJob, RunsEveryIntervalUntilStopped) {
  asio::io_context ioc;
  int passes = 0;
  PeriodicJob *self = nullptr;
  PeriodicJob job(ioc, milliseconds(5), [&]() -> asio::awaitable<void> {
    if (++passes == 4)
      self->Stop();
    co_return;
  });
  self = &job;
  job.Start();
  ioc.run_for(std::chrono::seconds(10));
  EXPECT_EQ(passes, 4);
  job.RunSoon(); // after Stop: no pass
  ioc.restart();
  ioc.run_for(milliseconds(50));
  EXPECT_EQ(passes, 4);
}

} // namespace
} // namespace convene::app
