#include "service/livekit_rooms.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "domain/room_json.hpp"

namespace convene::service {

namespace json = boost::json;

Error LiveKitFailure(const Error& error, std::string fallback_message) {
  if (error.code == ErrorCode::kUnavailable) {
    return Error::Unavailable("LiveKit Error", "LiveKit is not available");
  }
  return Error::Internal(std::move(fallback_message));
}

LiveKitRooms::LiveKitRooms(livekit::RoomServiceClient& client, LiveKitRoomsOptions options)
    : client_(client), options_(std::move(options)) {}

std::string LiveKitRooms::MetadataFor(const domain::Room& room) const {
  json::object room_options;
  room_options["roomName"] = room.room_name;
  if (room.auto_deletion_date) room_options["autoDeletionDate"] = *room.auto_deletion_date;
  room_options["autoDeletionPolicy"] =
      json::object{{"withMeeting", domain::ToString(room.auto_deletion_policy.with_meeting)},
                   {"withRecordings", domain::ToString(room.auto_deletion_policy.with_recordings)}};
  room_options["config"] = domain::RoomConfigToJson(room.config);
  return json::serialize(json::object{{"createdBy", options_.name_id}, {"roomOptions", std::move(room_options)}});
}

bool LiveKitRooms::CreatedByUs(std::string_view metadata) const {
  boost::system::error_code ec;
  json::value v = json::parse(metadata, ec);
  if (ec || !v.is_object()) return false;
  const json::value* created_by = v.get_object().if_contains("createdBy");
  return created_by != nullptr && created_by->is_string() && created_by->get_string() == options_.name_id;
}

void LiveKitRooms::Forget(std::string_view room_id) {
  ForgetLocally(room_id);
  if (forget_listener_) forget_listener_(room_id);
}

void LiveKitRooms::ForgetLocally(std::string_view room_id) {
  std::lock_guard lock(mutex_);
  known_.erase(std::string(room_id));
}

void LiveKitRooms::ForgetAll() {
  std::lock_guard lock(mutex_);
  known_.clear();
}

void LiveKitRooms::Remember(std::string_view room_id) {
  std::lock_guard lock(mutex_);
  known_.insert(std::string(room_id));
}

boost::asio::awaitable<Result<bool>> LiveKitRooms::Ensure(const domain::Room& room) {
  {
    std::lock_guard lock(mutex_);
    if (known_.count(room.room_id) > 0) co_return false;
  }
  livekit::CreateRoomOptions create;
  create.name = room.room_id;
  create.metadata = MetadataFor(room);
  create.empty_timeout = options_.empty_timeout;
  create.departure_timeout = options_.departure_timeout;
  create.max_participants = room.config.max_participants;
  auto created = co_await client_.CreateRoom(create);
  if (!created) {
    co_return Fail(LiveKitFailure(created.error(), "Unexpected error while creating LiveKit room"));
  }
  Remember(room.room_id);
  co_return true;
}

boost::asio::awaitable<bool> LiveKitRooms::Delete(std::string_view room_id, std::string_view why) {
  auto deleted = co_await client_.DeleteRoom(room_id);
  if (!deleted && deleted.error().code != ErrorCode::kNotFound) {
    spdlog::warn("could not delete the LiveKit room of {} '{}': {}", why, room_id, deleted.error().message);
    co_return false;
  }
  Forget(room_id);
  co_return true;
}

boost::asio::awaitable<Result<bool>> LiveKitRooms::Exists(std::string_view room_id) {
  {
    std::lock_guard lock(mutex_);
    if (known_.count(std::string(room_id)) > 0) co_return true;
  }
  std::vector<std::string> names{std::string(room_id)};
  auto rooms = co_await client_.ListRooms(std::move(names));
  if (!rooms) {
    co_return Fail(LiveKitFailure(rooms.error(),
                                  "Unexpected error while getting LiveKit room '" + std::string(room_id) + "'"));
  }
  const bool exists = !rooms->empty();
  if (exists) Remember(room_id);
  co_return exists;
}

}  // namespace convene::service
