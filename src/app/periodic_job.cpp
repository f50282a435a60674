#include "app/periodic_job.hpp"

#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace convene::app {

namespace asio = boost::asio;

PeriodicJob::PeriodicJob(asio::io_context &ioc,
                         std::chrono::milliseconds interval,
                         std::function<asio::awaitable<void>()> job)
    : strand_(asio::make_strand(ioc)), timer_(strand_), interval_(interval),
      job_(std::move(job)) {}

void PeriodicJob::Start() { asio::co_spawn(strand_, Loop(), asio::detached); }

void PeriodicJob::RunSoon() {
  asio::post(strand_, [this] {
    rerun_ = true;
    timer_.cancel();
  });
}

void PeriodicJob::Stop() {
  asio::post(strand_, [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

asio::awaitable<void> PeriodicJob::Loop() {
  while (!stopped_) {
    rerun_ = false;
    co_await job_(); // resumes on strand_, whatever threads the job's own
                     // operations used
    if (stopped_)
      break;
    if (rerun_)
      continue; // asked for while this pass ran
    timer_.expires_after(interval_);
    // A cancellation is RunSoon() or Stop(); the loop condition tells which.
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

} // namespace convene::app
