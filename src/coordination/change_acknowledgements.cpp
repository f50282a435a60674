#include "coordination/change_acknowledgements.hpp"

#include <limits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace convene::coordination {

namespace asio = boost::asio;

ChangeAcknowledgements::ChangeAcknowledgements(ChangeBus& bus, asio::any_io_executor executor, Random& random)
    : bus_(bus), strand_(asio::make_strand(std::move(executor))), random_(random) {}

asio::awaitable<void> ChangeAcknowledgements::PublishAndWait(ChangeTopic topic, std::chrono::milliseconds timeout) {
  const std::string nonce = random_.Hex(16);
  // Registered before publishing, so that no answer can arrive unregistered.
  co_await asio::dispatch(strand_, asio::use_awaitable);
  asio::steady_timer timer(strand_, timeout);
  waiters_[nonce] = Waiter{std::numeric_limits<std::size_t>::max(), 0, &timer};

  const Change change{topic, nonce};  // named, and passed by reference: GCC 12 destroys
                                      // temporaries inside a co_await expression twice
  auto receivers = co_await bus_.PublishCounted(change);
  co_await asio::dispatch(strand_, asio::use_awaitable);
  Waiter& waiter = waiters_[nonce];
  waiter.expected = receivers ? *receivers : 0;
  if (waiter.received < waiter.expected) {
    // OnApplied cancels the timer once the last answer is in; otherwise the timeout ends it.
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_await asio::dispatch(strand_, asio::use_awaitable);
  }
  waiters_.erase(nonce);
}

void ChangeAcknowledgements::Acknowledge(const Change& change) {
  if (change.subject.empty()) return;
  bus_.Publish(Change{ChangeTopic::kApplied, change.subject});
}

void ChangeAcknowledgements::OnApplied(const Change& change) {
  asio::post(strand_, [this, nonce = change.subject] {
    auto it = waiters_.find(nonce);
    if (it == waiters_.end()) return;  // another instance's write, or one that timed out
    Waiter& waiter = it->second;
    if (++waiter.received >= waiter.expected && waiter.timer != nullptr) waiter.timer->cancel();
  });
}

}  // namespace convene::coordination
