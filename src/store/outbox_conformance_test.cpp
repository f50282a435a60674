// One behavioural suite for every OutboxStore implementation (see store_conformance_test.cpp).

#include <optional>
#include <utility>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "store/outbox_store.hpp"
#include "store/testing/run_sync.hpp"
#include "store/testing/store_factories.hpp"
#include "store/testing/temp_dir.hpp"

namespace convene::store {
namespace {

namespace asio = boost::asio;
using Status = OutboxEvent::Status;
using Ids = std::vector<std::string>;

OutboxEvent Event(std::string id, std::string key, std::int64_t created_at_ms = 1000) {
  OutboxEvent event;
  event.id = std::move(id);
  event.ordering_key = std::move(key);
  event.event_type = "meetingStarted";
  event.body = R"({"event":"meetingStarted","creationDate":)" + std::to_string(created_at_ms) +
               R"(,"data":{"roomId":")" + event.ordering_key + R"("}})";
  event.created_at_ms = created_at_ms;
  return event;
}

Ids IdsOf(const std::vector<OutboxEvent>& events) {
  Ids ids;
  for (const OutboxEvent& event : events) ids.push_back(event.id);
  return ids;
}

template <class Factory>
class OutboxConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stores_ = Factory::Make(dir_.Path(), ioc_);
    if (this->IsSkipped()) return;  // the backend is not available (PostgreSQL without a server)
    outbox_ = stores_.outbox;
    ASSERT_NE(outbox_, nullptr);
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    return test::RunSync(ioc_, std::move(awaitable));
  }

  void MustEnqueue(const OutboxEvent& event) {
    Result<void> done = Run(outbox_->Enqueue(event));
    ASSERT_TRUE(done) << event.id << ": " << done.error().message;
  }
  Ids Due(std::int64_t now_ms, std::size_t limit = 100) {
    Result<std::vector<OutboxEvent>> due = Run(outbox_->Due(now_ms, limit));
    EXPECT_TRUE(due) << due.error().message;
    return due ? IdsOf(*due) : Ids{};
  }
  std::optional<std::int64_t> NextDueAt() {
    Result<std::optional<std::int64_t>> next = Run(outbox_->NextDueAt());
    EXPECT_TRUE(next) << next.error().message;
    return next ? *next : std::nullopt;
  }
  std::vector<OutboxEvent> List(std::optional<Status> status = std::nullopt,
                                std::size_t limit = 1000) {
    Result<std::vector<OutboxEvent>> events = Run(outbox_->List(status, limit));
    EXPECT_TRUE(events) << events.error().message;
    return events ? *events : std::vector<OutboxEvent>{};
  }
  OutboxEvent Find(const std::string& id) {
    for (const OutboxEvent& event : List()) {
      if (event.id == id) return event;
    }
    ADD_FAILURE() << "no event " << id;
    return {};
  }
  void Delivered(const std::string& id, int attempts = 1) {
    Result<void> done = Run(outbox_->MarkDelivered(id, attempts));
    ASSERT_TRUE(done) << done.error().message;
  }

  test::TempDir dir_;
  asio::io_context ioc_;
  test::Stores stores_;
  OutboxStore* outbox_ = nullptr;
};

using Implementations = ::testing::Types<test::MemoryStoresFactory, test::SqliteStoresFactory,
                                        test::PostgresStoresFactory>;
TYPED_TEST_SUITE(OutboxConformanceTest, Implementations, test::StoresFactoryNames);

TYPED_TEST(OutboxConformanceTest, EmptyOutbox) {
  EXPECT_EQ(this->Due(0), Ids{});
  EXPECT_EQ(this->NextDueAt(), std::nullopt);
  EXPECT_TRUE(this->List().empty());
}

TYPED_TEST(OutboxConformanceTest, EnqueuedEventRoundTripsAsPending) {
  OutboxEvent event = Event("ev-1", "room-1", 1'700'000'000'123);
  event.body = "{\"data\":{\"name\":\"\xC3\x9C \\\"q\\\" \\u0000 \xF0\x9F\x98\x80\"}}";
  // What Enqueue ignores: a new event is always pending, never attempted.
  event.status = Status::kFailed;
  event.attempts = 7;
  event.last_error = "ignored";
  this->MustEnqueue(event);

  OutboxEvent expected = event;
  expected.status = Status::kPending;
  expected.attempts = 0;
  expected.last_error = "";
  EXPECT_EQ(this->List(), std::vector<OutboxEvent>{expected});
  EXPECT_EQ(this->Due(0), Ids{"ev-1"});
  EXPECT_EQ(this->NextDueAt(), 0);
}

TYPED_TEST(OutboxConformanceTest, DuplicateIdIsAlreadyExistsAndKeepsTheFirst) {
  this->MustEnqueue(Event("dup", "a"));
  OutboxEvent second = Event("dup", "b");
  Result<void> again = this->Run(this->outbox_->Enqueue(second));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  const std::vector<OutboxEvent> events = this->List();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].ordering_key, "a");
}

TYPED_TEST(OutboxConformanceTest, DueReturnsOnlyTheOldestPendingEventPerKeyOldestFirst) {
  const std::vector<std::pair<std::string, std::string>> events = {
      {"a1", "A"}, {"b1", "B"}, {"a2", "A"}, {"c1", "C"}, {"b2", "B"}, {"a3", "A"}};
  for (const auto& [id, key] : events) this->MustEnqueue(Event(id, key));
  EXPECT_EQ(this->Due(0), (Ids{"a1", "b1", "c1"}));
  EXPECT_EQ(this->Due(0, 2), (Ids{"a1", "b1"}));
  EXPECT_EQ(this->Due(0, 0), Ids{});

  this->Delivered("a1");
  EXPECT_EQ(this->Due(0), (Ids{"b1", "a2", "c1"}));  // a2 is A's oldest now, ordered by age
  this->Delivered("b1");
  this->Delivered("b2");
  EXPECT_EQ(this->Due(0), (Ids{"a2", "c1"}));
  this->Delivered("a2");
  this->Delivered("c1");
  this->Delivered("a3");
  EXPECT_EQ(this->Due(0), Ids{});
  EXPECT_EQ(this->NextDueAt(), std::nullopt);
  EXPECT_EQ(this->List(Status::kDelivered).size(), 6u);
}

TYPED_TEST(OutboxConformanceTest, RetryDelaysTheKeyAndBlocksItsLaterEvents) {
  this->MustEnqueue(Event("a1", "A"));
  this->MustEnqueue(Event("a2", "A"));
  this->MustEnqueue(Event("b1", "B"));
  ASSERT_TRUE(this->Run(this->outbox_->MarkRetry("a1", 1, 5000, "HTTP 503 Service Unavailable")));

  // a1 waits until 5000, and a2 waits behind it: per-key order holds even across back-off.
  EXPECT_EQ(this->Due(4999), Ids{"b1"});
  EXPECT_EQ(this->NextDueAt(), 0);  // b1
  this->Delivered("b1");
  EXPECT_EQ(this->Due(4999), Ids{});
  EXPECT_EQ(this->NextDueAt(), 5000);  // a2's own next_attempt_at_ms (0) does not count
  EXPECT_EQ(this->Due(5000), Ids{"a1"});

  const OutboxEvent a1 = this->Find("a1");
  EXPECT_EQ(a1.status, Status::kPending);
  EXPECT_EQ(a1.attempts, 1);
  EXPECT_EQ(a1.next_attempt_at_ms, 5000);
  EXPECT_EQ(a1.last_error, "HTTP 503 Service Unavailable");

  ASSERT_TRUE(this->Run(this->outbox_->MarkRetry("a1", 2, 9000, "timeout")));
  EXPECT_EQ(this->NextDueAt(), 9000);
  this->Delivered("a1", 3);
  EXPECT_EQ(this->Find("a1").attempts, 3);
  EXPECT_EQ(this->Find("a1").last_error, "");
  EXPECT_EQ(this->Due(0), Ids{"a2"});
}

TYPED_TEST(OutboxConformanceTest, FailedEventIsKeptAndUnblocksItsKey) {
  this->MustEnqueue(Event("a1", "A"));
  this->MustEnqueue(Event("a2", "A"));
  ASSERT_TRUE(this->Run(this->outbox_->MarkFailed("a1", 42, "gave up: HTTP 500")));
  EXPECT_EQ(this->Due(0), Ids{"a2"});
  const std::vector<OutboxEvent> failed = this->List(Status::kFailed);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].id, "a1");
  EXPECT_EQ(failed[0].attempts, 42);
  EXPECT_EQ(failed[0].last_error, "gave up: HTTP 500");
  EXPECT_EQ(IdsOf(this->List(Status::kPending)), Ids{"a2"});
}

TYPED_TEST(OutboxConformanceTest, EnqueueKeepsAFutureFirstAttempt) {
  OutboxEvent later = Event("later", "A");
  later.next_attempt_at_ms = 3000;
  this->MustEnqueue(later);
  EXPECT_EQ(this->Due(2999), Ids{});
  EXPECT_EQ(this->NextDueAt(), 3000);
  EXPECT_EQ(this->Due(3000), Ids{"later"});
}

TYPED_TEST(OutboxConformanceTest, MarkingAFinishedEventIsANoOpAndUnknownIdsAreNotFound) {
  this->MustEnqueue(Event("a1", "A"));
  this->MustEnqueue(Event("a2", "A"));
  this->Delivered("a1", 1);
  // Late duplicates of an outcome change nothing.
  ASSERT_TRUE(this->Run(this->outbox_->MarkFailed("a1", 9, "late")));
  ASSERT_TRUE(this->Run(this->outbox_->MarkRetry("a1", 9, 99, "late")));
  ASSERT_TRUE(this->Run(this->outbox_->MarkDelivered("a1", 9)));
  const OutboxEvent a1 = this->Find("a1");
  EXPECT_EQ(a1.status, Status::kDelivered);
  EXPECT_EQ(a1.attempts, 1);
  EXPECT_EQ(this->Due(0), Ids{"a2"});

  for (Result<void> result : {this->Run(this->outbox_->MarkDelivered("nope", 1)),
                              this->Run(this->outbox_->MarkRetry("nope", 1, 1, "x")),
                              this->Run(this->outbox_->MarkFailed("nope", 1, "x"))}) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  }
}

TYPED_TEST(OutboxConformanceTest, MarkingALaterEventOfAKeyKeepsTheOldestDue) {
  this->MustEnqueue(Event("a1", "A"));
  this->MustEnqueue(Event("a2", "A"));
  this->MustEnqueue(Event("a3", "A"));
  this->Delivered("a2");  // not what a worker does, but the outbox must stay consistent
  EXPECT_EQ(this->Due(0), Ids{"a1"});
  this->Delivered("a1");
  EXPECT_EQ(this->Due(0), Ids{"a3"});
}

TYPED_TEST(OutboxConformanceTest, ListIsInInsertionOrderWithFilterAndLimit) {
  for (int i = 0; i < 5; ++i) {
    this->MustEnqueue(Event("e" + std::to_string(i), "k" + std::to_string(i % 2)));
  }
  this->Delivered("e0");
  ASSERT_TRUE(this->Run(this->outbox_->MarkFailed("e3", 1, "x")));
  EXPECT_EQ(IdsOf(this->List()), (Ids{"e0", "e1", "e2", "e3", "e4"}));
  EXPECT_EQ(IdsOf(this->List(std::nullopt, 2)), (Ids{"e0", "e1"}));
  EXPECT_EQ(IdsOf(this->List(Status::kPending)), (Ids{"e1", "e2", "e4"}));
  EXPECT_EQ(IdsOf(this->List(Status::kPending, 1)), (Ids{"e1"}));
  EXPECT_EQ(IdsOf(this->List(Status::kDelivered)), (Ids{"e0"}));
  EXPECT_EQ(IdsOf(this->List(Status::kFailed)), (Ids{"e3"}));
}

TYPED_TEST(OutboxConformanceTest, DeleteDeliveredRemovesOnlyOldDeliveredEvents) {
  this->MustEnqueue(Event("old-delivered", "A", 100));
  this->MustEnqueue(Event("old-failed", "B", 100));
  this->MustEnqueue(Event("old-pending", "C", 100));
  this->MustEnqueue(Event("new-delivered", "D", 900));
  this->MustEnqueue(Event("old-delivered-2", "E", 200));
  for (const char* id : {"old-delivered", "new-delivered", "old-delivered-2"}) this->Delivered(id);
  ASSERT_TRUE(this->Run(this->outbox_->MarkFailed("old-failed", 1, "x")));

  Result<std::size_t> deleted = this->Run(this->outbox_->DeleteDelivered(500, 1));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(*deleted, 1u);
  deleted = this->Run(this->outbox_->DeleteDelivered(500, 100));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 1u);
  EXPECT_EQ(IdsOf(this->List()), (Ids{"old-failed", "old-pending", "new-delivered"}));
  // A new event still sorts after every surviving one.
  this->MustEnqueue(Event("newest", "C"));
  EXPECT_EQ(IdsOf(this->List()), (Ids{"old-failed", "old-pending", "new-delivered", "newest"}));
  EXPECT_EQ(this->Due(0), Ids{"old-pending"});
}

}  // namespace
}  // namespace convene::store
