#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "store/outbox_store.hpp"
#include "store/settings_store.hpp"

namespace boost::asio {
class io_context;
}

namespace convene::clients {
class HttpClient;
}

namespace convene::webhooks {

/// Where outgoing webhooks go right now. Read before every attempt, so a configuration change
/// applies to events already queued (reference §16: "read from the global config for every
/// event").
class WebhookTarget {
 public:
  struct Target {
    std::string url;
    std::string api_key;  // empty: there is no API key to sign with
  };

  virtual ~WebhookTarget() = default;
  /// nullopt when webhooks are disabled (or enabled without a URL). An error is transient: the
  /// attempt is retried later.
  virtual boost::asio::awaitable<Result<std::optional<Target>>> Current() = 0;
};

/// The production WebhookTarget: webhooksConfig of the global config, signed with the first API
/// key (reference §9.4, §16).
class SettingsWebhookTarget final : public WebhookTarget {
 public:
  /// `settings` must outlive this object.
  explicit SettingsWebhookTarget(store::SettingsStore& settings) : settings_(settings) {}
  boost::asio::awaitable<Result<std::optional<Target>>> Current() override;

 private:
  store::SettingsStore& settings_;
};

enum class DeliveryOutcome {
  kDelivered,  // 2xx
  kRetry,      // failed, another attempt is scheduled
  kFailed,     // given up (too old, webhooks disabled, no API key): kept as failed in the outbox
};
std::string_view ToString(DeliveryOutcome outcome);

struct WebhookDeliveryOptions {
  /// Attempts in flight at once (never two of one ordering key).
  std::size_t max_in_flight = 8;
  /// Events read from the outbox per query, on top of those in flight.
  std::size_t batch_size = 32;
  /// The whole HTTP exchange of one attempt (deviations §8).
  std::chrono::milliseconds attempt_timeout{5000};
  /// Back-off after the n-th failed attempt: min(initial * 2^(n-1), max), times a uniformly random
  /// factor in [1 - jitter, 1 + jitter].
  std::int64_t initial_backoff_ms = 1000;
  std::int64_t max_backoff_ms = 5 * 60 * 1000;
  double jitter = 0.2;
  /// An event that fails when it is at least this old (since created_at_ms) is given up on
  /// (deviations §8: retried for at least 24 h).
  std::int64_t max_age_ms = 24 * 60 * 60 * 1000;
  /// Longest sleep without a Wake(): a safety net for a missed Wake() or events written by
  /// another process. Due() is one indexed query, so this costs nothing.
  std::chrono::milliseconds poll_interval{10000};
  /// Pause after an outbox error before trying again (reading the outbox, or recording an
  /// outcome, which is retried while the event keeps its slot so that it is not sent again).
  std::chrono::milliseconds store_retry_delay{1000};
  /// Delivered events older than this are deleted from the outbox, checked every prune_interval;
  /// 0 keeps them forever. Failed events are always kept.
  std::int64_t keep_delivered_ms = 7LL * 24 * 60 * 60 * 1000;
  std::chrono::milliseconds prune_interval{std::chrono::hours(1)};
  /// Whether this instance delivers now (several instances: only the elected leader does, so an
  /// event is not sent twice in parallel). While false the worker reads nothing and sleeps until
  /// a Wake() or `poll_interval`; call Wake() when it becomes true. Empty = always. Thread-safe,
  /// no I/O.
  std::function<bool()> active;
  /// Called on the worker's strand after every recorded outcome (metrics); must not block.
  std::function<void(DeliveryOutcome outcome, std::string_view event_type)> on_outcome;
};

/// Delivers the durable outbox of outgoing webhooks (deviations §8): at least once, in order per
/// ordering key (room), with bounded concurrency, a timeout per attempt, exponential back-off with
/// jitter and give-up after `max_age_ms` (the event is then kept as failed and visible through
/// OutboxStore::List).
///
/// Requests: POST <url> with the event's body and the headers of WebhookHeaders() (signed with the
/// current API key, X-Timestamp = the event's creation time, X-Webhook-Id = its id). 2xx is
/// delivered; any other status, a transport error or a timeout is retried. If webhooks are
/// disabled or there is no API key when an event's turn comes, the event is marked failed
/// ("webhooks disabled" / "no API key") without a request.
///
/// Runs as coroutines on a strand of the given io_context and never blocks it: the worker sleeps
/// until the outbox's NextDueAt(), a Wake(), the end of an attempt or `poll_interval`.
class WebhookDelivery {
 public:
  /// Every reference must outlive the object.
  WebhookDelivery(boost::asio::io_context& ioc, store::OutboxStore& outbox, WebhookTarget& target,
                  clients::HttpClient& http, const Clock& clock, Random& random,
                  WebhookDeliveryOptions options = {});
  WebhookDelivery(const WebhookDelivery&) = delete;
  WebhookDelivery& operator=(const WebhookDelivery&) = delete;
  /// Destroy only once Run() has returned or the io_context has stopped running: the coroutines
  /// refer to this object.
  ~WebhookDelivery();

  /// Spawns Run() on the worker's strand, detached. Call once.
  void Start();
  /// The worker loop. Returns after Stop(), once the attempts in flight have recorded their
  /// outcome (bounded by attempt_timeout). Use either this or Start().
  boost::asio::awaitable<void> Run();
  /// New events were committed: look at the outbox now. Thread-safe, cheap, never blocks.
  void Wake();
  /// Starts no more attempts and makes Run() return. Thread-safe, never blocks; idempotent.
  void Stop();

  /// One pass for tests and tools, instead of Run(): attempts every event that is due at the
  /// clock's current time, and the ones that become due as earlier events of their key finish,
  /// until none is left; returns how many attempts were made. Not concurrently with Run().
  boost::asio::awaitable<Result<std::size_t>> DeliverDue();

  /// The delay before the attempt after the `attempts`-th failed one (draws from Random).
  std::int64_t RetryDelayMs(int attempts);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace convene::webhooks
