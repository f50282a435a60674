#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::coordination {

/// Lets an event through once per retention window, across every instance sharing the gate's
/// backend (deviations §6.1: LiveKit webhook ids are remembered at least 10 minutes, shared across
/// instances), so a redelivered or twice-delivered webhook is processed once in effect.
class EventGate {
 public:
  virtual ~EventGate() = default;
  /// True the first time `id` is seen within the retention window (and records it atomically).
  /// An error (e.g. Redis unavailable) means the caller cannot know: it answers 503 so the sender
  /// retries.
  virtual boost::asio::awaitable<Result<bool>> FirstTime(std::string_view id) = 0;
  /// Forgets `id` because its processing failed, so that a redelivery is processed. Best effort.
  virtual boost::asio::awaitable<void> Forget(std::string_view id) = 0;
};

}  // namespace convene::coordination
