#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace convene::observability {

/// A monotonically increasing counter; lock-free to bump.
class Counter {
 public:
  void Increment(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  std::uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// Latency histogram with fixed buckets (seconds); lock-free to observe.
class Histogram {
 public:
  static constexpr std::array<double, 12> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1.0,  5.0};
  void Observe(double seconds);
  void Render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

/// Per-route request statistics: counts by status class (1xx..5xx) and a latency histogram.
class RouteStats {
 public:
  void Record(int status, double seconds);
  void Render(std::string& out, std::string_view method, std::string_view route) const;
  void RenderLatency(std::string& out, std::string_view method, std::string_view route) const;

 private:
  std::array<Counter, 5> by_class_;
  Histogram latency_;
};

/// Process-wide registry rendered in the Prometheus text format at GET /metrics. Metrics are
/// registered at start-up (or lazily, under a mutex) and then updated without locks. Degraded
/// modes (LiveKit or store unavailable) are counters here, not only log lines.
class Metrics {
 public:
  /// Stable pointer for one (method, route pattern) pair.
  RouteStats* Route(std::string_view method, std::string_view pattern);
  /// A counter with a fixed label set, e.g. Counter("convene_livekit_calls_total",
  /// "LiveKit Twirp calls by outcome", "method=\"ListRooms\",outcome=\"ok\"").
  Counter* GetCounter(std::string_view name, std::string_view help, std::string_view labels = {});
  /// A gauge computed when scraped (e.g. registry sizes).
  void AddGauge(std::string name, std::string help, std::function<double()> read);

  std::string Render() const;

 private:
  struct CounterEntry {
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> by_labels;
  };
  struct GaugeEntry {
    std::string name;
    std::string help;
    std::function<double()> read;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<RouteStats>> routes_;
  std::map<std::string, CounterEntry> counters_;
  std::vector<GaugeEntry> gauges_;
};

}  // namespace convene::observability
