#pragma once

#include <chrono>
#include <cstdint>

namespace convene {

/// Wall-clock source, injected so tests control time (expiry, auto-deletion, TTLs).
class Clock {
 public:
  virtual ~Clock() = default;
  /// Milliseconds since the Unix epoch.
  virtual std::int64_t NowMs() const = 0;
  std::int64_t NowSeconds() const { return NowMs() / 1000; }
};

class SystemClock final : public Clock {
 public:
  std::int64_t NowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

/// A clock that only moves when told to. For unit tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now_ms) : now_ms_(now_ms) {}
  std::int64_t NowMs() const override { return now_ms_; }
  void Set(std::int64_t now_ms) { now_ms_ = now_ms; }
  void Advance(std::int64_t delta_ms) { now_ms_ += delta_ms; }

 private:
  std::int64_t now_ms_;
};

}  // namespace convene
