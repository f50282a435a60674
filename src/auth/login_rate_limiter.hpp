#pragma once

#include "coordination/login_attempts.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"

namespace convene::auth {

/// MEET_LOGIN_RATE_LIMIT: `max_failures` failed logins per `window_ms` per client address
/// (reference §1.4, §4.6: 5 per 5 minutes). Disabled = no limit (the reference's NODE_ENV=test).
struct LoginRateLimit {
  bool enabled = true;
  std::uint32_t max_failures = 5;
  std::int64_t window_ms = 5 * 60 * 1000;
  /// Bound on the number of client addresses tracked at once (memory bound under a spray of
  /// source addresses). When full, expired entries are swept and then the least recently active
  /// client is forgotten.
  std::size_t max_clients = 10000;
};

/// The body of the 429 answer (plain text, as the reference's express-rate-limit sends it).
inline constexpr std::string_view kTooManyLoginAttempts =
    "Too many login attempts, please try again later";

/// Sliding-window limiter for `POST /internal-api/v1/auth/login`. Every attempt that passes
/// validation takes a slot *before* the password is checked (so a burst of concurrent attempts
/// cannot overshoot the limit while bcrypt runs); a successful login gives its slot back, a failed
/// one keeps it until it ages out of the window. Requests refused with 429 take no slot.
/// Thread-safe.
class LoginRateLimiter {
 public:
  LoginRateLimiter(LoginRateLimit limit, const Clock& clock) : limit_(limit), clock_(clock) {}

  /// A slot held by one attempt. `admitted` false means: answer 429; `retry_after_seconds` is
  /// when the oldest failure leaves the window.
  struct Attempt {
    bool admitted = true;
    std::int64_t started_ms = 0;
    std::int64_t retry_after_seconds = 0;
  };

  Attempt Begin(std::string_view client);
  /// The attempt succeeded: its slot is returned (successful logins never count).
  void Succeeded(std::string_view client, const Attempt& attempt);

  /// Number of tracked clients (for tests and a gauge).
  std::size_t TrackedClients() const;

 private:
  struct Entry {
    std::deque<std::int64_t> attempts;  // start times, oldest first
    std::int64_t last_seen_ms = 0;
  };
  void Prune(Entry& entry, std::int64_t now) const;
  void MakeRoom(std::int64_t now);

  LoginRateLimit limit_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> clients_;
};

/// The LoginAttempts of one instance: a LoginRateLimiter in this process.
class InProcessLoginAttempts final : public coordination::LoginAttempts {
 public:
  /// `limiter` must outlive this object.
  explicit InProcessLoginAttempts(LoginRateLimiter& limiter) : limiter_(limiter) {}
  boost::asio::awaitable<Result<coordination::LoginAttempt>> Begin(std::string_view client) override;
  boost::asio::awaitable<void> Succeeded(std::string_view client,
                                         const coordination::LoginAttempt& attempt) override;

 private:
  LoginRateLimiter& limiter_;
};

}  // namespace convene::auth
