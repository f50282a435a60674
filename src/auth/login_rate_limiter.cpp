#include "auth/login_rate_limiter.hpp"

#include <algorithm>

namespace convene::auth {

void LoginRateLimiter::Prune(Entry& entry, std::int64_t now) const {
  while (!entry.attempts.empty() && entry.attempts.front() + limit_.window_ms <= now) {
    entry.attempts.pop_front();
  }
}

void LoginRateLimiter::MakeRoom(std::int64_t now) {
  // Sweep first: entries whose every attempt aged out carry no information.
  for (auto it = clients_.begin(); it != clients_.end();) {
    Prune(it->second, now);
    it = it->second.attempts.empty() ? clients_.erase(it) : std::next(it);
  }
  if (clients_.size() < limit_.max_clients) return;
  // Still full: forget the least recently active client. (An attacker who controls that many
  // addresses is not slowed by a per-address limit anyway; refusing new clients instead would
  // lock legitimate users out.)
  auto oldest = std::min_element(
      clients_.begin(), clients_.end(),
      [](const auto& a, const auto& b) { return a.second.last_seen_ms < b.second.last_seen_ms; });
  if (oldest != clients_.end()) clients_.erase(oldest);
}

LoginRateLimiter::Attempt LoginRateLimiter::Begin(std::string_view client) {
  if (!limit_.enabled) return Attempt{};
  const std::int64_t now = clock_.NowMs();
  std::lock_guard lock(mutex_);
  auto it = clients_.find(std::string(client));
  if (it == clients_.end()) {
    if (clients_.size() >= limit_.max_clients) MakeRoom(now);
    it = clients_.emplace(std::string(client), Entry{}).first;
  }
  Entry& entry = it->second;
  Prune(entry, now);
  entry.last_seen_ms = now;
  if (entry.attempts.size() >= limit_.max_failures) {
    const std::int64_t free_at = entry.attempts.front() + limit_.window_ms;
    return Attempt{false, now, std::max<std::int64_t>(1, (free_at - now + 999) / 1000)};
  }
  entry.attempts.push_back(now);
  return Attempt{true, now, 0};
}

void LoginRateLimiter::Succeeded(std::string_view client, const Attempt& attempt) {
  if (!limit_.enabled || !attempt.admitted) return;
  std::lock_guard lock(mutex_);
  auto it = clients_.find(std::string(client));
  if (it == clients_.end()) return;
  auto& attempts = it->second.attempts;
  // Remove this attempt's slot (the newest one with its start time; times are non-decreasing).
  for (auto a = attempts.rbegin(); a != attempts.rend(); ++a) {
    if (*a == attempt.started_ms) {
      attempts.erase(std::next(a).base());
      break;
    }
  }
  if (attempts.empty()) clients_.erase(it);
}

std::size_t LoginRateLimiter::TrackedClients() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

boost::asio::awaitable<Result<coordination::LoginAttempt>> InProcessLoginAttempts::Begin(std::string_view client) {
  const LoginRateLimiter::Attempt attempt = limiter_.Begin(client);
  co_return coordination::LoginAttempt{attempt.admitted, attempt.retry_after_seconds, attempt.started_ms, {}};
}

boost::asio::awaitable<void> InProcessLoginAttempts::Succeeded(std::string_view client,
                                                               const coordination::LoginAttempt& attempt) {
  limiter_.Succeeded(client, LoginRateLimiter::Attempt{attempt.admitted, attempt.started_ms, 0});
  co_return;
}

}  // namespace convene::auth
