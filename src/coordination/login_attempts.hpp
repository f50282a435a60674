#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::coordination {

/// One login attempt's hold on its client's failure budget (MEET_LOGIN_RATE_LIMIT).
struct LoginAttempt {
  bool admitted = true;                 // false: answer 429
  std::int64_t retry_after_seconds = 0;  // when refused: until the oldest failure leaves the window
  std::int64_t started_ms = 0;
  std::string slot;                     // identifies the hold, to give it back on success
};

/// The login rate limit, counted across every instance of a deployment: behind a round-robin load
/// balancer a per-instance count would give an attacker N times the budget. Semantics as
/// auth::LoginRateLimiter: every attempt takes a slot before the password is checked, a successful
/// login gives it back, a failed one keeps it until it ages out of the window.
class LoginAttempts {
 public:
  virtual ~LoginAttempts() = default;
  /// An error (Redis unreachable) means the budget is unknown: the caller answers 503.
  virtual boost::asio::awaitable<Result<LoginAttempt>> Begin(std::string_view client) = 0;
  /// Best effort.
  virtual boost::asio::awaitable<void> Succeeded(std::string_view client, const LoginAttempt& attempt) = 0;
};

}  // namespace convene::coordination
