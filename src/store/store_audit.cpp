#include "store/store_audit.hpp"

#include <optional>
#include <string_view>
#include <system_error>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "store/outbox_store.hpp"
#include "store/room_store.hpp"
#include "store/settings_store.hpp"

namespace convene::store {
namespace {

namespace asio = boost::asio;

// Rooms are read in pages of this many, like a room listing, so the audit's
// memory stays flat however many rooms the store holds.
constexpr std::size_t kRoomPage = 500;

void AuditRoom(const domain::Room &room, std::string_view previous_id,
               StoreAuditReport &report) {
  auto problem = [&](std::string_view what) {
    report.problems.push_back("room '" + room.room_id +
                              "': " + std::string(what));
  };
  if (room.room_id.empty())
    report.problems.emplace_back("a room has an empty roomId");
  if (!previous_id.empty() && room.room_id <= previous_id) {
    problem("listed after '" + std::string(previous_id) +
            "' (ids must be unique and ascending)");
  }
  if (room.moderator_secret.empty() || room.speaker_secret.empty())
    problem("a secret is empty");
  if (room.moderator_secret == room.speaker_secret)
    problem("the moderator and speaker secrets are equal");
  if (room.creation_date <= 0)
    problem("no creation date");
}

void AuditOutboxEvent(const OutboxEvent &event, StoreAuditReport &report) {
  auto problem = [&](std::string_view what) {
    report.problems.push_back("webhook event '" + event.id +
                              "': " + std::string(what));
  };
  if (event.id.empty())
    report.problems.emplace_back("a webhook event has an empty id");
  if (event.created_at_ms <= 0)
    problem("no creation time");
  std::error_code ec;
  const boost::json::value body = boost::json::parse(event.body, ec);
  const boost::json::object *object = ec ? nullptr : body.if_object();
  if (object == nullptr) {
    problem("the body is not a JSON object");
    return;
  }
  const boost::json::value *type = object->if_contains("event");
  if (type == nullptr || !type->is_string() ||
      type->get_string() != event.event_type) {
    problem("the body's \"event\" is not '" + event.event_type + "'");
  }
}

} // namespace

asio::awaitable<Result<StoreAuditReport>>
AuditStore(RoomStore &rooms, SettingsStore &settings, OutboxStore &outbox) {
  StoreAuditReport report;
  std::string last_id;
  for (;;) {
    Result<RoomPage> page = co_await rooms.ListRooms("", last_id, kRoomPage);
    if (!page)
      co_return Fail(std::move(page.error()));
    for (const domain::Room &room : page->rooms) {
      AuditRoom(room, last_id, report);
      last_id = room.room_id;
      ++report.rooms;
    }
    if (!page->truncated || page->rooms.empty())
      break;
  }

  Result<std::optional<GlobalConfig>> config =
      co_await settings.GetGlobalConfig();
  if (!config)
    co_return Fail(std::move(config.error()));
  if (!config->has_value())
    report.problems.emplace_back("no global config (never initialised)");
  Result<std::vector<ApiKey>> keys = co_await settings.GetApiKeys();
  if (!keys)
    co_return Fail(std::move(keys.error()));
  if (keys->size() > 1)
    report.problems.emplace_back("more than one API key");

  Result<std::vector<OutboxEvent>> events =
      co_await outbox.List(std::nullopt, kOutboxAuditLimit + 1);
  if (!events)
    co_return Fail(std::move(events.error()));
  report.outbox_truncated = events->size() > kOutboxAuditLimit;
  if (report.outbox_truncated)
    events->resize(kOutboxAuditLimit);
  for (const OutboxEvent &event : *events)
    AuditOutboxEvent(event, report);
  report.outbox_events = events->size();
  co_return report;
}

} // namespace convene::store
