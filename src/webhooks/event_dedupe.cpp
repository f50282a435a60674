#include "webhooks/event_dedupe.hpp"

namespace convene::webhooks {

bool EventDedupe::FirstTime(std::string_view id, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  while (!order_.empty() && order_.front().first + retention_ms_ < now_ms) {
    auto it = seen_.find(order_.front().second);
    // Only the entry this queue slot was made for (an id forgotten and seen again is newer).
    if (it != seen_.end() && it->second == order_.front().first) seen_.erase(it);
    order_.pop_front();
  }
  auto [it, inserted] = seen_.emplace(std::string(id), now_ms);
  if (inserted) order_.emplace_back(now_ms, it->first);
  return inserted;
}

void EventDedupe::Forget(std::string_view id) {
  std::lock_guard lock(mutex_);
  seen_.erase(std::string(id));
  // Its slot in order_ stays until it ages out and is then skipped.
}

boost::asio::awaitable<Result<bool>> InProcessEventGate::FirstTime(std::string_view id) {
  co_return dedupe_.FirstTime(id, clock_.NowMs());
}

boost::asio::awaitable<void> InProcessEventGate::Forget(std::string_view id) {
  dedupe_.Forget(id);
  co_return;
}

}  // namespace convene::webhooks
