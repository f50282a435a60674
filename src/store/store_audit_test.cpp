// AuditStore (the audit behind `convene --check-store`) on every store
// implementation: a healthy store passes with the right counts, and each broken
// invariant is reported by record id.

#include <algorithm>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "domain/room.hpp"
#include "store/outbox_store.hpp"
#include "store/room_store.hpp"
#include "store/settings_store.hpp"
#include "store/store_audit.hpp"
#include "store/testing/run_sync.hpp"
#include "store/testing/sample_room.hpp"
#include "store/testing/store_factories.hpp"
#include "store/testing/temp_dir.hpp"

namespace convene::store {
namespace {

namespace asio = boost::asio;

OutboxEvent AuditEvent(std::string id, std::string body) {
  OutboxEvent event;
  event.id = std::move(id);
  event.ordering_key = "room";
  event.event_type = "meetingStarted";
  event.body = std::move(body);
  event.created_at_ms = 1'700'000'000'000;
  return event;
}

template <class Factory> class StoreAuditTest : public ::testing::Test {
protected:
  void SetUp() override {
    stores_ = Factory::Make(dir_.Path(), ioc_);
    if (this->IsSkipped())
      return; // the backend is not available (PostgreSQL without a server)
    ASSERT_NE(stores_.rooms, nullptr);
  }

  template <class T> T Run(asio::awaitable<T> awaitable) {
    return test::RunSync(ioc_, std::move(awaitable));
  }

  void Initialize() {
    InitialSettings initial;
    initial.config.project_id = "openvidu_meet";
    initial.admin =
        User{"admin", "$2b$10$abcdefghijklmnopqrstuv", {"admin", "user"}};
    initial.api_key = ApiKey{"ovmeet-key", 1};
    Result<bool> done = Run(stores_.settings->Initialize(initial));
    ASSERT_TRUE(done) << done.error().message;
  }
  void Create(const domain::Room &room) {
    Result<void> done = Run(stores_.rooms->CreateRoom(room));
    ASSERT_TRUE(done) << done.error().message;
  }
  void Enqueue(const OutboxEvent &event) {
    Result<void> done = Run(stores_.outbox->Enqueue(event));
    ASSERT_TRUE(done) << done.error().message;
  }
  StoreAuditReport Audit() {
    Result<StoreAuditReport> report =
        Run(AuditStore(*stores_.rooms, *stores_.settings, *stores_.outbox));
    EXPECT_TRUE(report) << report.error().message;
    return report ? *report : StoreAuditReport{};
  }

  test::TempDir dir_;
  asio::io_context ioc_;
  test::Stores stores_;
};

using Implementations =
    ::testing::Types<test::MemoryStoresFactory, test::SqliteStoresFactory,
                     test::PostgresStoresFactory>;
TYPED_TEST_SUITE(StoreAuditTest, Implementations, test::StoresFactoryNames);

bool Mentions(const StoreAuditReport &report, const std::string &needle) {
  return std::any_of(report.problems.begin(), report.problems.end(),
                     [&](const std::string &line) {
                       return line.find(needle) != std::string::npos;
                     });
}

TYPED_TEST(StoreAuditTest, HealthyStorePassesWithEveryRecordCounted) {
  this->Initialize();
  // More rooms than one audit page, so the walk crosses page boundaries.
  for (int i = 0; i < 1203; ++i)
    this->Create(test::SampleRoom("room-" + std::to_string(100000 + i)));
  this->Enqueue(AuditEvent(
      "evt-1", R"({"event":"meetingStarted","creationDate":1,"data":{}})"));
  const StoreAuditReport report = this->Audit();
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
  EXPECT_EQ(report.rooms, 1203u);
  EXPECT_EQ(report.outbox_events, 1u);
  EXPECT_FALSE(report.outbox_truncated);
}

TYPED_TEST(StoreAuditTest, UninitialisedStoreIsReported) {
  const StoreAuditReport report = this->Audit();
  EXPECT_EQ(report.rooms, 0u);
  EXPECT_TRUE(Mentions(report, "no global config"))
      << ::testing::PrintToString(report.problems);
}

TYPED_TEST(StoreAuditTest, RoomWithoutUsableSecretsIsReportedByIdOnly) {
  this->Initialize();
  domain::Room same = test::SampleRoom("same-secrets");
  same.speaker_secret = same.moderator_secret;
  this->Create(same);
  domain::Room empty = test::SampleRoom("empty-secret");
  empty.moderator_secret.clear();
  this->Create(empty);
  domain::Room undated = test::SampleRoom("undated");
  undated.creation_date = 0;
  this->Create(undated);
  const StoreAuditReport report = this->Audit();
  EXPECT_EQ(report.rooms, 3u);
  ASSERT_EQ(report.problems.size(), 3u)
      << ::testing::PrintToString(report.problems);
  EXPECT_TRUE(Mentions(
      report,
      "room 'same-secrets': the moderator and speaker secrets are equal"));
  EXPECT_TRUE(Mentions(report, "room 'empty-secret': a secret is empty"));
  EXPECT_TRUE(Mentions(report, "room 'undated': no creation date"));
  EXPECT_FALSE(Mentions(report, same.moderator_secret))
      << "secrets never appear in the report";
}

TYPED_TEST(StoreAuditTest, WebhookWhoseBodyDoesNotMatchItsTypeIsReported) {
  this->Initialize();
  this->Enqueue(AuditEvent("not-json", "{\"event\":"));
  this->Enqueue(AuditEvent("not-object", "[1,2]"));
  this->Enqueue(AuditEvent(
      "other-type", R"({"event":"meetingEnded","creationDate":1,"data":{}})"));
  this->Enqueue(AuditEvent(
      "fine", R"({"event":"meetingStarted","creationDate":1,"data":{}})"));
  const StoreAuditReport report = this->Audit();
  EXPECT_EQ(report.outbox_events, 4u);
  ASSERT_EQ(report.problems.size(), 3u)
      << ::testing::PrintToString(report.problems);
  EXPECT_TRUE(Mentions(
      report, "webhook event 'not-json': the body is not a JSON object"));
  EXPECT_TRUE(Mentions(
      report, "webhook event 'not-object': the body is not a JSON object"));
  EXPECT_TRUE(Mentions(report, "webhook event 'other-type': the body's "
                               "\"event\" is not 'meetingStarted'"));
}

} // namespace
} // namespace convene::store
