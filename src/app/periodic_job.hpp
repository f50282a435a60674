#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace convene::app {

/// A background job run every `interval` (the reference's collectors and
/// Convene's reconciliation and leadership watch): the first pass at Start(),
/// the next `interval` after each pass ends, so passes never overlap. RunSoon()
/// asks for a pass now — e.g. when this instance has just become the leader and
/// the previous one may have died mid-job — without waiting out the interval.
///
/// Every member runs on one strand of the io_context, so Start/RunSoon/Stop may
/// be called from any thread. The object must outlive the io_context's run (the
/// pass in progress refers to it).
class PeriodicJob {
public:
  PeriodicJob(boost::asio::io_context &ioc, std::chrono::milliseconds interval,
              std::function<boost::asio::awaitable<void>()> job);
  PeriodicJob(const PeriodicJob &) = delete;
  PeriodicJob &operator=(const PeriodicJob &) = delete;

  /// Runs the first pass now, then one every interval. Once.
  void Start();
  /// Another pass as soon as possible: at once while waiting, right after the
  /// pass in progress.
  void RunSoon();
  /// No pass starts after this; a pass in progress finishes. Idempotent.
  void Stop();

private:
  boost::asio::awaitable<void> Loop();

  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  const std::chrono::milliseconds interval_;
  const std::function<boost::asio::awaitable<void>()> job_;
  // Touched only on strand_.
  bool stopped_ = false;
  bool rerun_ = false;
};

} // namespace convene::app
