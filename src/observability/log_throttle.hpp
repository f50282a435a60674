#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

namespace convene::observability {

/// Lets a condition that can repeat thousands of times a second (accept failing for want of file
/// descriptors, connections shed at the cap) reach the log at most once per interval, with the
/// number of occurrences the line stands for: a storm costs a few lines, not one per event.
class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(Clock::duration interval) : interval_(interval) {}

  /// Counts one occurrence. Returns how many occurrences (this one included) the caller should
  /// report now, or 0 when the interval since the last reported line has not passed. The first
  /// occurrence is always reported.
  std::uint64_t Occurred(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    ++pending_;
    if (reported_once_ && now - last_report_ < interval_) return 0;
    reported_once_ = true;
    last_report_ = now;
    const std::uint64_t count = pending_;
    pending_ = 0;
    return count;
  }

 private:
  const Clock::duration interval_;
  std::mutex mutex_;
  bool reported_once_ = false;
  Clock::time_point last_report_{};
  std::uint64_t pending_ = 0;
};

}  // namespace convene::observability
