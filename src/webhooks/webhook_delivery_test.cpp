#include "webhooks/webhook_delivery.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>

#include "clients/http_client.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "store/memory/memory_outbox_store.hpp"
#include "store/memory/memory_settings_store.hpp"
#include "store/sqlite/sqlite_database.hpp"
#include "store/sqlite/sqlite_outbox_store.hpp"
#include "store/sqlite/sqlite_room_store.hpp"
#include "store/sqlite/sqlite_settings_store.hpp"
#include "store/testing/run_sync.hpp"
#include "store/testing/temp_dir.hpp"
#include "webhooks/webhook_signer.hpp"
#include "webhooks/webhook_test_support.hpp"

namespace convene::webhooks {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using store::OutboxEvent;
using Status = OutboxEvent::Status;
using fakes::FakeHttpClient;
using fakes::HeaderOf;

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr std::int64_t kDay = 24 * 60 * 60 * 1000;

/// Ids are "<key>-<n>", so the ordering key can be read back from X-Webhook-Id.
OutboxEvent Event(const std::string& key, int n, std::int64_t created_at_ms = kT0) {
  boost::json::object data;
  data["roomId"] = key;
  data["n"] = n;
  return MakeWebhookEvent("meetingStarted", data, created_at_ms, key + "-" + std::to_string(n));
}

std::string KeyOf(const std::string& id) { return id.substr(0, id.find('-')); }

class WebhookDeliveryTest : public ::testing::Test {
 protected:
  WebhookDelivery& Delivery(WebhookDeliveryOptions options = {}) {
    delivery_ = std::make_unique<WebhookDelivery>(ioc_, outbox_, target_, http_, clock_, random_,
                                                  std::move(options));
    return *delivery_;
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    return convene::test::RunSync(ioc_, std::move(awaitable));
  }

  void Enqueue(const OutboxEvent& event) {
    Result<void> done = Run(outbox_.Enqueue(event));
    ASSERT_TRUE(done) << done.error().message;
  }

  std::size_t DeliverDue() {
    Result<std::size_t> attempts = Run(delivery_->DeliverDue());
    EXPECT_TRUE(attempts) << attempts.error().message;
    return attempts.value_or(0);
  }

  OutboxEvent Stored(const std::string& id) {
    Result<std::vector<OutboxEvent>> all = Run(outbox_.List(std::nullopt, 1000));
    if (all) {
      for (const OutboxEvent& event : *all) {
        if (event.id == id) return event;
      }
    }
    ADD_FAILURE() << "no event " << id;
    return {};
  }

  std::vector<std::string> RequestIds() const {
    std::vector<std::string> ids;
    for (const auto& request : http_.Requests()) ids.push_back(HeaderOf(request, "X-Webhook-Id"));
    return ids;
  }

  asio::io_context ioc_;
  store::memory::MemoryOutboxStore outbox_;
  fakes::FakeTarget target_;
  FakeHttpClient http_;
  ManualClock clock_{kT0};
  SeededRandom random_{7};
  std::unique_ptr<WebhookDelivery> delivery_;
};

TEST_F(WebhookDeliveryTest, DeliversADueEventSignedForTheCurrentTarget) {
  Delivery();
  const OutboxEvent event = Event("room", 1);
  Enqueue(event);
  clock_.Advance(5000);  // the attempt is later than the event: X-Timestamp stays the event's
  EXPECT_EQ(DeliverDue(), 1u);

  ASSERT_EQ(http_.Requests().size(), 1u);
  const clients::HttpRequest& request = http_.Requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://receiver.test/hook");
  EXPECT_EQ(request.body, event.body);
  EXPECT_EQ(request.timeout, milliseconds(5000));
  EXPECT_EQ(request.headers, WebhookHeaders("ovmeet-test-key", kT0, event.body, "room-1"));
  EXPECT_EQ(HeaderOf(request, "X-Signature"),
            fakes::ReferenceHmacHex("ovmeet-test-key", std::to_string(kT0) + "." + event.body));

  const OutboxEvent stored = Stored("room-1");
  EXPECT_EQ(stored.status, Status::kDelivered);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(DeliverDue(), 0u);  // nothing left
}

TEST_F(WebhookDeliveryTest, EventsOfOneKeyGoOutInOrderAndNeverTogether) {
  Delivery();
  http_.SetDelay(milliseconds(5));
  // Interleaved keys; each key's events must arrive in insertion order.
  for (int n = 1; n <= 4; ++n) {
    for (const char* key : {"a", "b", "c"}) Enqueue(Event(key, n));
  }
  EXPECT_EQ(DeliverDue(), 12u);

  std::map<std::string, std::vector<std::string>> by_key;
  for (const std::string& id : RequestIds()) by_key[KeyOf(id)].push_back(id);
  for (const char* key : {"a", "b", "c"}) {
    const std::string k(key);
    EXPECT_EQ(by_key[k], (std::vector<std::string>{k + "-1", k + "-2", k + "-3", k + "-4"}));
  }
  for (const std::set<std::string>& overlap : http_.Overlaps()) {
    std::set<std::string> keys;
    for (const std::string& id : overlap) {
      EXPECT_TRUE(keys.insert(KeyOf(id)).second) << "two events of key " << KeyOf(id) << " at once";
    }
  }
  EXPECT_GT(http_.MaxInFlight(), 1u);  // the keys did go out concurrently
}

TEST_F(WebhookDeliveryTest, ConcurrencyIsCapped) {
  WebhookDeliveryOptions options;
  options.max_in_flight = 8;
  options.batch_size = 3;  // smaller than the cap: the loop must read the outbox again
  Delivery(options);
  http_.SetDelay(milliseconds(20));
  for (int key = 0; key < 30; ++key) Enqueue(Event("k" + std::to_string(key), 1));
  EXPECT_EQ(DeliverDue(), 30u);
  EXPECT_EQ(http_.Requests().size(), 30u);
  EXPECT_EQ(http_.MaxInFlight(), 8u);
  Result<std::vector<OutboxEvent>> delivered = Run(outbox_.List(Status::kDelivered, 100));
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->size(), 30u);
}

TEST_F(WebhookDeliveryTest, RetryDelaysDoubleFromOneSecondUpToFiveMinutes) {
  WebhookDeliveryOptions options;
  options.jitter = 0;
  WebhookDelivery& delivery = Delivery(options);
  const std::int64_t expected[] = {1000,   2000,   4000,   8000,   16000,  32000, 64000,
                                   128000, 256000, 300000, 300000, 300000, 300000};
  for (int attempts = 1; attempts <= 13; ++attempts) {
    EXPECT_EQ(delivery.RetryDelayMs(attempts), expected[attempts - 1]) << attempts;
  }
  EXPECT_EQ(delivery.RetryDelayMs(1000), 300000);
}

TEST_F(WebhookDeliveryTest, JitterStaysWithinTwentyPercentAndVaries) {
  WebhookDelivery& delivery = Delivery();
  std::set<std::int64_t> seen;
  for (int i = 0; i < 500; ++i) {
    const std::int64_t delay = delivery.RetryDelayMs(3);  // 4 s nominal
    EXPECT_GE(delay, 3200);
    EXPECT_LE(delay, 4800);
    seen.insert(delay);
  }
  EXPECT_GT(seen.size(), 100u);
  EXPECT_LT(*seen.begin(), 3400);
  EXPECT_GT(*seen.rbegin(), 4600);
}

TEST_F(WebhookDeliveryTest, FailedAttemptsBackOffExponentiallyWithJitter) {
  Delivery();
  http_.SetScript(FakeHttpClient::Status(503, "Service Unavailable"));
  Enqueue(Event("r", 1));
  std::int64_t nominal = 1000;
  for (int attempt = 1; attempt <= 12; ++attempt) {
    EXPECT_EQ(DeliverDue(), 1u) << attempt;
    const OutboxEvent stored = Stored("r-1");
    ASSERT_EQ(stored.status, Status::kPending);
    EXPECT_EQ(stored.attempts, attempt);
    EXPECT_EQ(stored.last_error, "HTTP 503 Service Unavailable");
    const std::int64_t delay = stored.next_attempt_at_ms - clock_.NowMs();
    EXPECT_GE(delay, nominal * 8 / 10) << attempt;
    EXPECT_LE(delay, nominal * 12 / 10) << attempt;
    // Not due a moment early; due on time.
    clock_.Set(stored.next_attempt_at_ms - 1);
    EXPECT_EQ(DeliverDue(), 0u);
    clock_.Set(stored.next_attempt_at_ms);
    nominal = std::min<std::int64_t>(nominal * 2, 300000);
  }
  http_.SetScript(FakeHttpClient::Ok());
  EXPECT_EQ(DeliverDue(), 1u);
  EXPECT_EQ(Stored("r-1").status, Status::kDelivered);
  EXPECT_EQ(Stored("r-1").attempts, 13);
  EXPECT_EQ(http_.Requests().size(), 13u);
  // Every retry carried the same body and X-Webhook-Id, with its own timestamp and signature.
  for (const auto& request : http_.Requests()) {
    EXPECT_EQ(request.body, http_.Requests()[0].body);
    EXPECT_EQ(HeaderOf(request, "X-Webhook-Id"), "r-1");
    EXPECT_EQ(HeaderOf(request, "X-Signature"),
              fakes::ReferenceHmacHex("ovmeet-test-key", HeaderOf(request, "X-Timestamp") + "." + request.body));
  }
}

TEST_F(WebhookDeliveryTest, TransportErrorsAreRetriedWithTheirReason) {
  Delivery();
  http_.SetScript(FakeHttpClient::Transport("timeout", "read 10.0.0.1:443: Operation timed out"));
  Enqueue(Event("r", 1));
  EXPECT_EQ(DeliverDue(), 1u);
  const OutboxEvent stored = Stored("r-1");
  EXPECT_EQ(stored.status, Status::kPending);
  EXPECT_EQ(stored.last_error, "timeout: read 10.0.0.1:443: Operation timed out");
}

TEST_F(WebhookDeliveryTest, GivesUpOnceTheEventIsOlderThanMaxAgeAndKeepsItAsFailed) {
  Delivery();
  http_.SetScript(FakeHttpClient::Status(500, "Internal Server Error"));
  Enqueue(Event("r", 1));
  Enqueue(Event("r", 2, kT0 + kDay));  // waits behind r-1
  clock_.Set(kT0 + kDay - 1);
  EXPECT_EQ(DeliverDue(), 1u);
  EXPECT_EQ(Stored("r-1").status, Status::kPending);  // 1 ms short of 24 h: retried

  clock_.Set(Stored("r-1").next_attempt_at_ms);
  http_.SetScript([](const clients::HttpRequest& request) -> Result<clients::HttpResponse> {
    // r-1 still fails; r-2 is accepted once r-1 is out of the way.
    if (HeaderOf(request, "X-Webhook-Id") == "r-1") {
      return clients::HttpResponse{500, "Internal Server Error", {}, ""};
    }
    return clients::HttpResponse{204, "No Content", {}, ""};
  });
  EXPECT_EQ(DeliverDue(), 2u);
  const OutboxEvent failed = Stored("r-1");
  EXPECT_EQ(failed.status, Status::kFailed);
  EXPECT_EQ(failed.attempts, 2);
  EXPECT_EQ(failed.last_error, "HTTP 500 Internal Server Error");
  EXPECT_EQ(Stored("r-2").status, Status::kDelivered);
  Result<std::vector<OutboxEvent>> listed = Run(outbox_.List(Status::kFailed, 10));
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(WebhookDeliveryTest, DisabledWebhooksOrNoApiKeyFailTheEventWithoutARequest) {
  std::vector<std::pair<DeliveryOutcome, std::string>> outcomes;
  WebhookDeliveryOptions options;
  options.on_outcome = [&outcomes](DeliveryOutcome outcome, std::string_view type) {
    outcomes.emplace_back(outcome, std::string(type));
  };
  Delivery(options);
  Enqueue(Event("a", 1));
  target_.target.reset();
  EXPECT_EQ(DeliverDue(), 1u);
  EXPECT_EQ(Stored("a-1").status, Status::kFailed);
  EXPECT_EQ(Stored("a-1").last_error, "webhooks disabled");
  EXPECT_EQ(Stored("a-1").attempts, 0);

  Enqueue(Event("b", 1));
  target_.target = WebhookTarget::Target{"http://receiver.test/hook", ""};
  EXPECT_EQ(DeliverDue(), 1u);
  EXPECT_EQ(Stored("b-1").status, Status::kFailed);
  EXPECT_EQ(Stored("b-1").last_error, "no API key");
  EXPECT_TRUE(http_.Requests().empty());
  EXPECT_EQ(outcomes, (std::vector<std::pair<DeliveryOutcome, std::string>>{
                          {DeliveryOutcome::kFailed, "meetingStarted"},
                          {DeliveryOutcome::kFailed, "meetingStarted"}}));
}

TEST_F(WebhookDeliveryTest, TargetErrorIsRetried) {
  Delivery();
  target_.error = Error::Unavailable("Storage Error", "Storage is not available");
  Enqueue(Event("a", 1));
  EXPECT_EQ(DeliverDue(), 1u);
  EXPECT_EQ(Stored("a-1").status, Status::kPending);
  EXPECT_EQ(Stored("a-1").attempts, 1);
  EXPECT_EQ(Stored("a-1").last_error, "webhook settings unavailable: Storage is not available");
  EXPECT_TRUE(http_.Requests().empty());
}

TEST_F(WebhookDeliveryTest, EveryAttemptUsesTheTargetOfThatMoment) {
  Delivery();
  http_.SetScript(FakeHttpClient::Status(502, "Bad Gateway"));
  Enqueue(Event("a", 1));
  EXPECT_EQ(DeliverDue(), 1u);
  target_.target = WebhookTarget::Target{"https://new.example/hook", "ovmeet-new-key"};
  http_.SetScript(FakeHttpClient::Ok());
  const std::int64_t retry_at = Stored("a-1").next_attempt_at_ms;
  clock_.Set(retry_at);
  EXPECT_EQ(DeliverDue(), 1u);
  ASSERT_EQ(http_.Requests().size(), 2u);
  const clients::HttpRequest& second = http_.Requests()[1];
  EXPECT_EQ(second.url, "https://new.example/hook");
  EXPECT_EQ(HeaderOf(second, "X-Timestamp"), std::to_string(retry_at));
  EXPECT_EQ(HeaderOf(second, "X-Signature"),
            SignWebhook("ovmeet-new-key", retry_at, Event("a", 1).body));
}

/// An outbox whose MarkDelivered fails the first `failures` times.
class FlakyOutbox final : public store::OutboxStore {
 public:
  explicit FlakyOutbox(store::OutboxStore& inner, int failures)
      : inner_(inner), failures_(failures) {}
  asio::awaitable<Result<void>> Enqueue(const OutboxEvent& e) override { return inner_.Enqueue(e); }
  asio::awaitable<Result<std::vector<OutboxEvent>>> Due(std::int64_t now, std::size_t n) override {
    return inner_.Due(now, n);
  }
  asio::awaitable<Result<std::optional<std::int64_t>>> NextDueAt() override {
    return inner_.NextDueAt();
  }
  asio::awaitable<Result<void>> MarkDelivered(std::string_view id, int attempts) override {
    if (failures_ > 0) {
      --failures_;
      co_return Fail(Error::Unavailable("Storage Error", "Storage is not available"));
    }
    co_return co_await inner_.MarkDelivered(id, attempts);
  }
  asio::awaitable<Result<void>> MarkRetry(std::string_view id, int attempts, std::int64_t next,
                                          std::string_view error) override {
    return inner_.MarkRetry(id, attempts, next, error);
  }
  asio::awaitable<Result<void>> MarkFailed(std::string_view id, int attempts,
                                           std::string_view error) override {
    return inner_.MarkFailed(id, attempts, error);
  }
  asio::awaitable<Result<std::vector<OutboxEvent>>> List(std::optional<Status> status,
                                                         std::size_t limit) override {
    return inner_.List(status, limit);
  }
  asio::awaitable<Result<std::size_t>> DeleteDelivered(std::int64_t before,
                                                       std::size_t limit) override {
    return inner_.DeleteDelivered(before, limit);
  }

 private:
  store::OutboxStore& inner_;
  int failures_;
};

TEST_F(WebhookDeliveryTest, AnOutcomeThatCannotBeStoredIsRetriedWithoutResending) {
  FlakyOutbox flaky(outbox_, 3);
  WebhookDeliveryOptions options;
  options.store_retry_delay = milliseconds(5);
  WebhookDelivery delivery(ioc_, flaky, target_, http_, clock_, random_, options);
  Enqueue(Event("a", 1));
  Result<std::size_t> attempts = Run(delivery.DeliverDue());
  ASSERT_TRUE(attempts);
  EXPECT_EQ(*attempts, 1u);
  EXPECT_EQ(http_.Requests().size(), 1u);  // sent once, recorded on the 4th try
  EXPECT_EQ(Stored("a-1").status, Status::kDelivered);
}

TEST_F(WebhookDeliveryTest, DeliveredEventsArePrunedAfterTheRetentionPeriod) {
  WebhookDeliveryOptions options;
  options.keep_delivered_ms = kDay;
  options.poll_interval = milliseconds(5);
  WebhookDelivery& delivery = Delivery(options);
  Enqueue(Event("old", 1, kT0 - 2 * kDay));
  Enqueue(Event("new", 1, kT0));
  ASSERT_TRUE(Run(outbox_.MarkDelivered("old-1", 1)));
  ASSERT_TRUE(Run(outbox_.MarkDelivered("new-1", 1)));
  // The first pass of Run() prunes.
  std::future<void> done = asio::co_spawn(ioc_, delivery.Run(), asio::use_future);
  ioc_.restart();  // the RunSync() calls above left it stopped (out of work)
  ioc_.run_for(milliseconds(50));
  delivery.Stop();
  ioc_.run();
  done.get();
  Result<std::vector<OutboxEvent>> left = Run(outbox_.List(std::nullopt, 10));
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].id, "new-1");
}

// ----- the long-running loop, in real time -----

class WebhookDeliveryLoopTest : public ::testing::Test {
 protected:
  ~WebhookDeliveryLoopTest() override {
    if (thread_.joinable()) {  // a failed assertion skipped StopLoop()
      ioc_.stop();
      thread_.join();
    }
  }

  void StartLoop(WebhookDeliveryOptions options) {
    delivery_ = std::make_unique<WebhookDelivery>(ioc_, outbox_, target_, http_, clock_, random_,
                                                  std::move(options));
    done_ = asio::co_spawn(ioc_, delivery_->Run(), asio::use_future);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  void StopLoop() {
    delivery_->Stop();
    ASSERT_EQ(done_.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    done_.get();
    work_.reset();
    thread_.join();
  }

  void Enqueue(const OutboxEvent& event) {
    // On the io_context thread: the fake client and target are single-threaded.
    auto enqueued = asio::co_spawn(ioc_, outbox_.Enqueue(event), asio::use_future);
    ASSERT_TRUE(enqueued.get());
  }

  /// Polls the status of `id` from the test thread (the memory outbox is thread-safe).
  bool WaitForStatus(const std::string& id, Status status, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto listed = asio::co_spawn(ioc_, outbox_.List(status, 100), asio::use_future).get();
      if (listed) {
        for (const OutboxEvent& event : *listed) {
          if (event.id == id) return true;
        }
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return false;
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
  store::memory::MemoryOutboxStore outbox_;
  fakes::FakeTarget target_;
  FakeHttpClient http_;
  SystemClock clock_;
  SeededRandom random_{11};
  std::unique_ptr<WebhookDelivery> delivery_;
  std::future<void> done_;
  std::thread thread_;
};

TEST_F(WebhookDeliveryLoopTest, WakeDeliversNewEventsAtOnce) {
  WebhookDeliveryOptions options;
  options.poll_interval = std::chrono::hours(1);  // only Wake() can start the attempt
  StartLoop(options);
  std::this_thread::sleep_for(milliseconds(20));  // the loop is asleep now
  Enqueue(Event("w", 1, clock_.NowMs()));
  EXPECT_FALSE(WaitForStatus("w-1", Status::kDelivered, milliseconds(100)));
  delivery_->Wake();
  EXPECT_TRUE(WaitForStatus("w-1", Status::kDelivered, std::chrono::seconds(5)));
  StopLoop();
}

TEST_F(WebhookDeliveryLoopTest, SleepsUntilTheNextRetryIsDue) {
  WebhookDeliveryOptions options;
  options.poll_interval = std::chrono::hours(1);
  options.initial_backoff_ms = 50;
  int calls = 0;
  http_.SetScript([&calls](const clients::HttpRequest&) -> Result<clients::HttpResponse> {
    return ++calls == 1 ? clients::HttpResponse{503, "Service Unavailable", {}, ""}
                        : clients::HttpResponse{200, "OK", {}, ""};
  });
  StartLoop(options);
  Enqueue(Event("s", 1, clock_.NowMs()));
  delivery_->Wake();
  // The retry needs no Wake(): the loop sleeps until the outbox's NextDueAt().
  EXPECT_TRUE(WaitForStatus("s-1", Status::kDelivered, std::chrono::seconds(5)));
  StopLoop();
  EXPECT_EQ(calls, 2);
}

TEST_F(WebhookDeliveryLoopTest, AnInactiveWorkerSendsNothingUntilItBecomesActive) {
  std::atomic<bool> leader{false};
  WebhookDeliveryOptions options;
  options.poll_interval = std::chrono::hours(1);
  options.active = [&leader] { return leader.load(); };
  StartLoop(options);
  Enqueue(Event("a", 1, clock_.NowMs()));
  delivery_->Wake();
  EXPECT_FALSE(WaitForStatus("a-1", Status::kDelivered, milliseconds(200)));
  EXPECT_TRUE(http_.Requests().empty());
  leader = true;  // elected: the election tells the worker with a Wake()
  delivery_->Wake();
  EXPECT_TRUE(WaitForStatus("a-1", Status::kDelivered, std::chrono::seconds(5)));
  StopLoop();
}

TEST_F(WebhookDeliveryLoopTest, StopEndsAnIdleLoopPromptly) {
  StartLoop({});
  std::this_thread::sleep_for(milliseconds(20));
  const auto started = std::chrono::steady_clock::now();
  StopLoop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

// ----- end to end over real HTTP and SQLite -----

TEST(WebhookDeliveryEndToEnd, RoomChangeEventReachesTheReceiverSigned) {
  fakes::HttpReceiver receiver;
  receiver.QueueStatus("500 Internal Server Error");  // first attempt fails, the retry succeeds
  convene::test::TempDir dir;
  asio::io_context ioc;
  auto db = store::sqlite::SqliteDatabase::Open(dir.Path());
  ASSERT_TRUE(db) << db.error().message;
  auto run = [&ioc](auto awaitable) { return convene::test::RunSync(ioc, std::move(awaitable)); };

  store::GlobalConfig config;
  config.project_id = "p";
  config.webhooks = {true, receiver.Url("/hooks/convene?token=abc")};
  ASSERT_TRUE(run((*db)->Settings().PutGlobalConfig(config)));
  const std::string api_key = "ovmeet-0123456789abcdef0123456789abcdef";
  std::vector<store::ApiKey> keys = {{api_key, 1}};
  ASSERT_TRUE(run((*db)->Settings().ReplaceApiKeys(keys)));

  domain::Room room;
  room.room_id = "room-e2e";
  room.room_name = "R\xC3\xA9union";
  ASSERT_TRUE(run((*db)->Rooms().CreateRoom(room)));
  store::RoomMutator mutator = [](domain::Room& r) -> Result<store::UpdateAction> {
    r.status = domain::RoomStatus::kActiveMeeting;
    return store::UpdateAction::kSave;
  };
  store::RoomEventsFn events = [](const domain::Room& after, store::UpdateAction) {
    boost::json::object data;
    data["roomId"] = after.room_id;
    data["roomName"] = after.room_name;
    data["status"] = std::string(domain::ToString(after.status));
    return std::vector<OutboxEvent>{MakeWebhookEvent("meetingStarted", data, kT0, "wh-e2e")};
  };
  ASSERT_TRUE(run((*db)->Rooms().UpdateRoom("room-e2e", mutator, events)));

  auto http = clients::MakeHttpClient(ioc);
  SettingsWebhookTarget target((*db)->Settings());
  ManualClock clock(kT0 + 10);
  SeededRandom random(3);
  WebhookDelivery delivery(ioc, (*db)->Outbox(), target, *http, clock, random);
  Result<std::size_t> first = run(delivery.DeliverDue());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, 1u);
  Result<std::vector<OutboxEvent>> pending = run((*db)->Outbox().List(Status::kPending, 10));
  ASSERT_TRUE(pending && pending->size() == 1u);
  EXPECT_EQ((*pending)[0].last_error, "HTTP 500 Internal Server Error");
  const std::int64_t retry_at = (*pending)[0].next_attempt_at_ms;
  clock.Set(retry_at);
  Result<std::size_t> second = run(delivery.DeliverDue());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(*second, 1u);

  const std::vector<fakes::Received> seen = receiver.Seen();
  ASSERT_EQ(seen.size(), 2u);
  for (std::size_t i = 0; i < seen.size(); ++i) {
    const fakes::Received& request = seen[i];
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/hooks/convene?token=abc");
    EXPECT_EQ(request.headers.at("content-type"), "application/json");
    // The first attempt is stamped with the event's time, a retry with its own (signed anew).
    EXPECT_EQ(request.headers.at("x-timestamp"), std::to_string(i == 0 ? kT0 : retry_at));
    EXPECT_EQ(request.headers.at("x-webhook-id"), "wh-e2e");
    // The receiver's check: HMAC over "<X-Timestamp>.<raw body>" with the API key.
    EXPECT_EQ(
        request.headers.at("x-signature"),
        fakes::ReferenceHmacHex(api_key, request.headers.at("x-timestamp") + "." + request.body));
    EXPECT_EQ(request.body,
              "{\"event\":\"meetingStarted\",\"creationDate\":1700000000000,\"data\":"
              "{\"roomId\":\"room-e2e\",\"roomName\":\"R\xC3\xA9union\","
              "\"status\":\"active_meeting\"}}");
  }
  Result<std::vector<OutboxEvent>> delivered = run((*db)->Outbox().List(Status::kDelivered, 10));
  ASSERT_TRUE(delivered && delivered->size() == 1u);
  EXPECT_EQ((*delivered)[0].attempts, 2);
}

}  // namespace
}  // namespace convene::webhooks
