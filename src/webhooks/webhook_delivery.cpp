#include "webhooks/webhook_delivery.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <unordered_set>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "clients/http_client.hpp"
#include "webhooks/webhook_signer.hpp"

namespace convene::webhooks {

namespace asio = boost::asio;
using store::OutboxEvent;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Upper bound of one timer wait; the loop re-evaluates after it anyway. Keeps expires_after far
// from steady_clock overflow when a deadline is "never".
constexpr std::int64_t kMaxWaitMs = 60 * 60 * 1000;
// Delivered events deleted per prune query: bounds the length of that write transaction.
constexpr std::size_t kPruneBatch = 1000;

/// What last_error records for a failed attempt. Never the URL's path or query (they may carry a
/// receiver's secret token): the client's messages name only host and port.
std::string DescribeFailure(const Result<clients::HttpResponse>& response) {
  if (response) {
    std::string text = "HTTP " + std::to_string(response->status);
    if (!response->reason.empty()) text += " " + response->reason;
    return text;
  }
  const Error& error = response.error();
  return error.reason.empty() ? error.message : error.reason + ": " + error.message;
}

/// A uniformly distributed double in [0, 1) from 53 random bits.
double UnitInterval(Random& random) {
  const std::string bytes = random.Bytes(8);
  std::uint64_t bits = 0;
  std::memcpy(&bits, bytes.data(), std::min<std::size_t>(bytes.size(), sizeof bits));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

}  // namespace

std::string_view ToString(DeliveryOutcome outcome) {
  switch (outcome) {
    case DeliveryOutcome::kDelivered:
      return "delivered";
    case DeliveryOutcome::kRetry:
      return "retry";
    case DeliveryOutcome::kFailed:
      return "failed";
  }
  return "failed";
}

asio::awaitable<Result<std::optional<WebhookTarget::Target>>> SettingsWebhookTarget::Current() {
  Result<std::optional<store::GlobalConfig>> config = co_await settings_.GetGlobalConfig();
  if (!config) co_return Fail(std::move(config.error()));
  if (!*config) co_return std::optional<Target>();
  const store::WebhooksConfig& webhooks = (*config)->webhooks;
  if (!webhooks.enabled || !webhooks.url || webhooks.url->empty()) {
    co_return std::optional<Target>();
  }
  Result<std::vector<store::ApiKey>> keys = co_await settings_.GetApiKeys();
  if (!keys) co_return Fail(std::move(keys.error()));
  Target target{*webhooks.url, keys->empty() ? std::string() : keys->front().key};
  co_return std::optional<Target>(std::move(target));
}

// ---------------------------------------------------------------------------------------------

/// Everything below runs on `strand_`, which serialises the worker loop, the attempts and the
/// Wake()/Stop() notifications: no member needs a lock.
class WebhookDelivery::Impl {
 public:
  Impl(asio::io_context& ioc, store::OutboxStore& outbox, WebhookTarget& target,
       clients::HttpClient& http, const Clock& clock, Random& random,
       WebhookDeliveryOptions options)
      : strand_(asio::make_strand(ioc)),
        timer_(strand_),
        outbox_(outbox),
        target_(target),
        http_(http),
        clock_(clock),
        random_(random),
        options_(std::move(options)) {
    options_.max_in_flight = std::max<std::size_t>(options_.max_in_flight, 1);
  }

  asio::strand<asio::io_context::executor_type>& Strand() { return strand_; }

  /// The loop of Run() (until_idle = false) and of DeliverDue() (true).
  asio::awaitable<Result<std::size_t>> Loop(bool until_idle);

  void Signal() {
    wake_pending_ = true;
    timer_.cancel();
  }

  void RequestStop() {
    stop_requested_ = true;
    timer_.cancel();
  }

  std::int64_t RetryDelayMs(int attempts);

 private:
  struct Outcome {
    DeliveryOutcome kind;
    int attempts;
    std::int64_t next_attempt_at_ms = 0;
    std::string error;
  };

  void StartAttempt(OutboxEvent event);
  asio::awaitable<void> Attempt(OutboxEvent event);
  asio::awaitable<Outcome> Send(const OutboxEvent& event);
  asio::awaitable<void> Record(const OutboxEvent& event, const Outcome& outcome);
  asio::awaitable<Result<void>> Mark(const OutboxEvent& event, const Outcome& outcome);
  asio::awaitable<void> WaitUntil(std::int64_t deadline_ms);
  asio::awaitable<void> Sleep(std::chrono::milliseconds delay);
  asio::awaitable<void> MaybePrune(std::int64_t now_ms);

  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;  // the loop's sleep; Signal() and RequestStop() cut it short
  store::OutboxStore& outbox_;
  WebhookTarget& target_;
  clients::HttpClient& http_;
  const Clock& clock_;
  Random& random_;
  WebhookDeliveryOptions options_;

  bool wake_pending_ = false;
  bool stop_requested_ = false;
  std::size_t in_flight_ = 0;
  std::unordered_set<std::string> busy_ids_;
  std::unordered_set<std::string> busy_keys_;  // ordering keys with an attempt in flight
  std::int64_t next_prune_at_ms_ = std::numeric_limits<std::int64_t>::min();
};

asio::awaitable<Result<std::size_t>> WebhookDelivery::Impl::Loop(bool until_idle) {
  std::size_t attempts_started = 0;
  std::optional<Error> read_error;
  while (!stop_requested_) {
    wake_pending_ = false;
    const std::int64_t now = clock_.NowMs();
    if (!until_idle && options_.active && !options_.active()) {
      co_await WaitUntil(now + options_.poll_interval.count());
      continue;
    }
    if (!until_idle) co_await MaybePrune(now);

    bool started = false;
    bool more = false;
    if (in_flight_ < options_.max_in_flight) {
      // Events in flight are still pending, so Due() returns them again: ask for that many more.
      const std::size_t limit = options_.batch_size + in_flight_;
      Result<std::vector<OutboxEvent>> due = co_await outbox_.Due(now, limit);
      if (!due) {
        spdlog::warn("webhook delivery: reading the outbox failed: {}", due.error().message);
        if (until_idle) {
          read_error = std::move(due.error());
          break;
        }
        co_await WaitUntil(clock_.NowMs() + options_.store_retry_delay.count());
        continue;
      }
      more = due->size() == limit;
      for (OutboxEvent& event : *due) {
        if (in_flight_ >= options_.max_in_flight) {
          more = true;
          break;
        }
        // Only a key's oldest pending event is due, but while it is in flight that is still the
        // one Due() returns; the key check also keeps a later event from overtaking it.
        if (busy_ids_.contains(event.id) || busy_keys_.contains(event.ordering_key)) continue;
        StartAttempt(std::move(event));
        started = true;
        ++attempts_started;
      }
    }
    if (started && more && in_flight_ < options_.max_in_flight) continue;

    if (until_idle) {
      // Done after a pass that found nothing to start with nothing in flight. (An attempt may
      // have finished already, e.g. against fakes that never suspend, and made its key's next
      // event due: a pass that started something is followed by another.)
      if (in_flight_ == 0 && !started) break;
      co_await WaitUntil(std::numeric_limits<std::int64_t>::max());  // until an attempt ends
      continue;
    }

    std::int64_t deadline = now + options_.poll_interval.count();
    if (in_flight_ < options_.max_in_flight) {
      Result<std::optional<std::int64_t>> next = co_await outbox_.NextDueAt();
      if (!next) {
        spdlog::warn("webhook delivery: reading the outbox failed: {}", next.error().message);
      } else if (*next) {
        if (**next > now) {
          deadline = std::min(deadline, **next);
        } else if (in_flight_ == 0) {
          continue;  // became due after Due() ran
        }
        // Otherwise it is an event in flight, or one waiting behind one: an attempt's end wakes
        // the loop, within attempt_timeout. (An unrelated event whose back-off ends meanwhile
        // waits as long at most.)
      }
    }
    co_await WaitUntil(deadline);
  }
  // Stopping, or idle in until_idle mode: let the attempts in flight record their outcome.
  while (in_flight_ > 0) co_await WaitUntil(std::numeric_limits<std::int64_t>::max());
  if (read_error) co_return Fail(std::move(*read_error));
  co_return attempts_started;
}

void WebhookDelivery::Impl::StartAttempt(OutboxEvent event) {
  ++in_flight_;
  busy_ids_.insert(event.id);
  busy_keys_.insert(event.ordering_key);
  asio::co_spawn(strand_, Attempt(std::move(event)), asio::detached);
}

asio::awaitable<void> WebhookDelivery::Impl::Attempt(OutboxEvent event) {
  // Detached: nothing may escape, or the slot and the key would stay taken for good.
  try {
    const Outcome outcome = co_await Send(event);
    co_await Record(event, outcome);
  } catch (const std::exception& e) {
    spdlog::error("webhook delivery: attempt of event {} threw: {}", event.id, e.what());
  } catch (...) {
    spdlog::error("webhook delivery: attempt of event {} threw", event.id);
  }
  busy_ids_.erase(event.id);
  busy_keys_.erase(event.ordering_key);
  --in_flight_;
  Signal();
}

asio::awaitable<WebhookDelivery::Impl::Outcome> WebhookDelivery::Impl::Send(
    const OutboxEvent& event) {
  const int attempts = event.attempts + 1;
  auto failed = [&](std::string error) -> Outcome {
    const std::int64_t now = clock_.NowMs();
    if (now - event.created_at_ms >= options_.max_age_ms) {
      return Outcome{DeliveryOutcome::kFailed, attempts, 0, std::move(error)};
    }
    return Outcome{DeliveryOutcome::kRetry, attempts, now + RetryDelayMs(attempts),
                   std::move(error)};
  };

  Result<std::optional<WebhookTarget::Target>> target = co_await target_.Current();
  if (!target) co_return failed("webhook settings unavailable: " + target.error().message);
  // Not attempts: no request was made.
  if (!*target) co_return Outcome{DeliveryOutcome::kFailed, event.attempts, 0, "webhooks disabled"};
  if ((*target)->api_key.empty()) {
    co_return Outcome{DeliveryOutcome::kFailed, event.attempts, 0, "no API key"};
  }

  clients::HttpRequest request;
  request.method = "POST";
  request.url = (*target)->url;
  // The body (with its creationDate) and X-Webhook-Id are the same on every attempt, but
  // X-Timestamp is the time of this attempt, signed anew: receivers following OpenVidu's
  // "validate events" guide reject timestamps older than a few minutes, and Convene retries for
  // up to a day. For a first attempt both times are the same, as in the reference.
  const std::int64_t sent_at = event.attempts == 0 ? event.created_at_ms : clock_.NowMs();
  request.headers = WebhookHeaders((*target)->api_key, sent_at, event.body, event.id);
  request.body = event.body;
  request.timeout = options_.attempt_timeout;
  Result<clients::HttpResponse> response = co_await http_.Send(std::move(request));
  if (response && response->status >= 200 && response->status < 300) {
    co_return Outcome{DeliveryOutcome::kDelivered, attempts, 0, ""};
  }
  co_return failed(DescribeFailure(response));
}

asio::awaitable<void> WebhookDelivery::Impl::Record(const OutboxEvent& event,
                                                    const Outcome& outcome) {
  // The event keeps its slot (and its key stays busy) until its outcome is stored: releasing it
  // earlier would send it again at once, since it is still pending in the outbox.
  for (;;) {
    Result<void> marked = co_await Mark(event, outcome);
    if (marked) break;
    if (marked.error().code == ErrorCode::kNotFound || stop_requested_) {
      spdlog::warn("webhook delivery: cannot record the outcome of event {}: {}", event.id,
                   marked.error().message);
      co_return;  // still pending if it exists: sent again later (at least once)
    }
    spdlog::warn("webhook delivery: recording the outcome of event {} failed, retrying: {}",
                 event.id, marked.error().message);
    co_await Sleep(options_.store_retry_delay);
  }

  switch (outcome.kind) {
    case DeliveryOutcome::kDelivered:
      spdlog::debug("webhook {} ({}) delivered after {} attempt(s)", event.id, event.event_type,
                    outcome.attempts);
      break;
    case DeliveryOutcome::kRetry:
      spdlog::info("webhook {} ({}) attempt {} failed ({}); retrying in {} ms", event.id,
                   event.event_type, outcome.attempts, outcome.error,
                   outcome.next_attempt_at_ms - clock_.NowMs());
      break;
    case DeliveryOutcome::kFailed:
      spdlog::warn("webhook {} ({}) failed after {} attempt(s): {}", event.id, event.event_type,
                   outcome.attempts, outcome.error);
      break;
  }
  if (options_.on_outcome) options_.on_outcome(outcome.kind, event.event_type);
}

asio::awaitable<Result<void>> WebhookDelivery::Impl::Mark(const OutboxEvent& event,
                                                          const Outcome& outcome) {
  switch (outcome.kind) {
    case DeliveryOutcome::kDelivered:
      co_return co_await outbox_.MarkDelivered(event.id, outcome.attempts);
    case DeliveryOutcome::kRetry:
      co_return co_await outbox_.MarkRetry(event.id, outcome.attempts, outcome.next_attempt_at_ms,
                                           outcome.error);
    case DeliveryOutcome::kFailed:
      co_return co_await outbox_.MarkFailed(event.id, outcome.attempts, outcome.error);
  }
  co_return Fail(Error::Internal("unknown delivery outcome"));
}

std::int64_t WebhookDelivery::Impl::RetryDelayMs(int attempts) {
  // Doubling from initial_backoff_ms, capped; the shift is bounded so it cannot overflow.
  const int doublings = std::clamp(attempts - 1, 0, 40);
  const double base = std::min(static_cast<double>(options_.initial_backoff_ms) *
                                   static_cast<double>(std::int64_t{1} << doublings),
                               static_cast<double>(options_.max_backoff_ms));
  // Jitter spreads the retries of many events that failed together (a receiver outage).
  const double factor = 1.0 + options_.jitter * (2.0 * UnitInterval(random_) - 1.0);
  return std::max<std::int64_t>(0, static_cast<std::int64_t>(base * factor));
}

asio::awaitable<void> WebhookDelivery::Impl::WaitUntil(std::int64_t deadline_ms) {
  if (wake_pending_ || stop_requested_) co_return;
  const std::int64_t now = clock_.NowMs();
  const std::int64_t delay =
      deadline_ms <= now ? 0 : std::min<std::int64_t>(deadline_ms - now, kMaxWaitMs);
  timer_.expires_after(std::chrono::milliseconds(delay));
  (void)co_await timer_.async_wait(kUseTuple);  // cancelled = woken
}

asio::awaitable<void> WebhookDelivery::Impl::Sleep(std::chrono::milliseconds delay) {
  asio::steady_timer timer(strand_, delay);
  (void)co_await timer.async_wait(kUseTuple);
}

asio::awaitable<void> WebhookDelivery::Impl::MaybePrune(std::int64_t now_ms) {
  if (options_.keep_delivered_ms <= 0 || now_ms < next_prune_at_ms_) co_return;
  next_prune_at_ms_ = now_ms + std::chrono::milliseconds(options_.prune_interval).count();
  Result<std::size_t> deleted =
      co_await outbox_.DeleteDelivered(now_ms - options_.keep_delivered_ms, kPruneBatch);
  if (!deleted) {
    spdlog::warn("webhook delivery: pruning delivered events failed: {}", deleted.error().message);
  } else if (*deleted > 0) {
    spdlog::debug("webhook delivery: pruned {} delivered event(s)", *deleted);
    // A full batch means more are left: go on at the next pass.
    if (*deleted == kPruneBatch) next_prune_at_ms_ = now_ms;
  }
}

// ---------------------------------------------------------------------------------------------

WebhookDelivery::WebhookDelivery(asio::io_context& ioc, store::OutboxStore& outbox,
                                 WebhookTarget& target, clients::HttpClient& http,
                                 const Clock& clock, Random& random, WebhookDeliveryOptions options)
    : impl_(std::make_unique<Impl>(ioc, outbox, target, http, clock, random, std::move(options))) {}

WebhookDelivery::~WebhookDelivery() = default;

void WebhookDelivery::Start() {
  asio::co_spawn(impl_->Strand(), impl_->Loop(false),
                 [](std::exception_ptr e, const Result<std::size_t>&) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     spdlog::error("webhook delivery stopped by an exception: {}", ex.what());
                   } catch (...) {
                     spdlog::error("webhook delivery stopped by an exception");
                   }
                 });
}

asio::awaitable<void> WebhookDelivery::Run() {
  // Named, not a temporary inside the co_await expression (GCC 12, CONVENTIONS §4.1).
  asio::awaitable<Result<std::size_t>> loop = impl_->Loop(false);
  (void)co_await asio::co_spawn(impl_->Strand(), std::move(loop), asio::use_awaitable);
}

asio::awaitable<Result<std::size_t>> WebhookDelivery::DeliverDue() {
  asio::awaitable<Result<std::size_t>> loop = impl_->Loop(true);
  co_return co_await asio::co_spawn(impl_->Strand(), std::move(loop), asio::use_awaitable);
}

void WebhookDelivery::Wake() {
  Impl* impl = impl_.get();
  asio::post(impl->Strand(), [impl] { impl->Signal(); });
}

void WebhookDelivery::Stop() {
  Impl* impl = impl_.get();
  asio::post(impl->Strand(), [impl] { impl->RequestStop(); });
}

std::int64_t WebhookDelivery::RetryDelayMs(int attempts) { return impl_->RetryDelayMs(attempts); }

}  // namespace convene::webhooks
