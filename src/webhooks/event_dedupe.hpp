#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "coordination/event_gate.hpp"
#include "core/clock.hpp"

namespace convene::webhooks {

/// Remembers LiveKit webhook event ids for a while (deviations §6.1: at least 10 minutes) so a
/// redelivered event is processed once. Memory is bounded by the retention window.
class EventDedupe {
 public:
  explicit EventDedupe(std::int64_t retention_ms = 15 * 60 * 1000) : retention_ms_(retention_ms) {}

  /// True the first time `id` is seen within the retention window.
  bool FirstTime(std::string_view id, std::int64_t now_ms);
  /// Forgets `id` (its processing failed, so a redelivery must be processed).
  void Forget(std::string_view id);

 private:
  std::int64_t retention_ms_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> seen_;  // id -> when first seen
  std::deque<std::pair<std::int64_t, std::string>> order_;  // oldest first
};

/// The EventGate of a single instance: an EventDedupe on the process's clock.
class InProcessEventGate final : public coordination::EventGate {
 public:
  explicit InProcessEventGate(const Clock& clock, std::int64_t retention_ms = 15 * 60 * 1000)
      : clock_(clock), dedupe_(retention_ms) {}
  boost::asio::awaitable<Result<bool>> FirstTime(std::string_view id) override;
  boost::asio::awaitable<void> Forget(std::string_view id) override;

 private:
  const Clock& clock_;
  EventDedupe dedupe_;
};

}  // namespace convene::webhooks
