#include "domain/room_json.hpp"

#include <string>
#include <utility>

#include <boost/json/string.hpp>

namespace convene::domain {
namespace {

namespace json = boost::json;

std::string BuildUrl(std::string_view base_url, std::string_view room_id, std::string_view secret) {
  // The base is "<scheme>://<host>"; a configured MEET_BASE_URL with a trailing '/' would
  // otherwise produce "//room".
  while (base_url.ends_with('/')) base_url.remove_suffix(1);
  std::string url;
  url.reserve(base_url.size() + room_id.size() + secret.size() + 14);
  url.append(base_url).append("/room/").append(room_id).append("?secret=").append(secret);
  return url;
}

// JSON string escaping as Boost.JSON's serializer does it: quote, backslash, the short escapes for
// \b \f \n \r \t, \u00XX for other control characters, every other byte as is.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[(c >> 4) & 0xf]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendKey(std::string& out, std::string_view key) {
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

void AppendBool(std::string& out, bool v) { out.append(v ? "true" : "false"); }

}  // namespace

json::object RoomConfigToJson(const RoomConfig& config) {
  json::object recording;
  recording["enabled"] = config.recording_enabled;
  if (config.recording_allow_access_to) {
    recording["allowAccessTo"] = ToString(*config.recording_allow_access_to);
  }
  json::object out;
  out["recording"] = std::move(recording);
  out["chat"] = json::object{{"enabled", config.chat_enabled}};
  out["virtualBackground"] = json::object{{"enabled", config.virtual_background_enabled}};
  if (config.max_participants) out["maxParticipants"] = *config.max_participants;
  return out;
}

json::object RoomToJson(const Room& room, std::string_view base_url,
                        bool include_moderator_url) {
  json::object out;
  out["roomId"] = room.room_id;
  out["roomName"] = room.room_name;
  out["creationDate"] = room.creation_date;
  if (room.auto_deletion_date) out["autoDeletionDate"] = *room.auto_deletion_date;
  out["autoDeletionPolicy"] =
      json::object{{"withMeeting", ToString(room.auto_deletion_policy.with_meeting)},
                   {"withRecordings", ToString(room.auto_deletion_policy.with_recordings)}};
  out["config"] = RoomConfigToJson(room.config);
  if (include_moderator_url) {
    out["moderatorUrl"] = BuildUrl(base_url, room.room_id, room.moderator_secret);
  }
  out["speakerUrl"] = BuildUrl(base_url, room.room_id, room.speaker_secret);
  out["status"] = ToString(room.status);
  out["meetingEndAction"] = ToString(room.meeting_end_action);
  return out;
}

void AppendRoomJson(std::string& out, const Room& room, std::string_view base_url,
                    bool include_moderator_url) {
  out.push_back('{');
  AppendKey(out, "roomId");
  AppendJsonString(out, room.room_id);
  out.push_back(',');
  AppendKey(out, "roomName");
  AppendJsonString(out, room.room_name);
  out.push_back(',');
  AppendKey(out, "creationDate");
  out.append(std::to_string(room.creation_date));
  if (room.auto_deletion_date) {
    out.push_back(',');
    AppendKey(out, "autoDeletionDate");
    out.append(std::to_string(*room.auto_deletion_date));
  }
  out.append(",\"autoDeletionPolicy\":{\"withMeeting\":\"");
  out.append(ToString(room.auto_deletion_policy.with_meeting));
  out.append("\",\"withRecordings\":\"");
  out.append(ToString(room.auto_deletion_policy.with_recordings));
  out.append("\"},\"config\":{\"recording\":{\"enabled\":");
  AppendBool(out, room.config.recording_enabled);
  if (room.config.recording_allow_access_to) {
    out.append(",\"allowAccessTo\":\"");
    out.append(ToString(*room.config.recording_allow_access_to));
    out.push_back('"');
  }
  out.append("},\"chat\":{\"enabled\":");
  AppendBool(out, room.config.chat_enabled);
  out.append("},\"virtualBackground\":{\"enabled\":");
  AppendBool(out, room.config.virtual_background_enabled);
  out.push_back('}');
  if (room.config.max_participants) {
    out.append(",\"maxParticipants\":");
    out.append(std::to_string(*room.config.max_participants));
  }
  out.push_back('}');
  if (include_moderator_url) {
    out.push_back(',');
    AppendKey(out, "moderatorUrl");
    AppendJsonString(out, BuildUrl(base_url, room.room_id, room.moderator_secret));
  }
  out.push_back(',');
  AppendKey(out, "speakerUrl");
  AppendJsonString(out, BuildUrl(base_url, room.room_id, room.speaker_secret));
  out.append(",\"status\":\"");
  out.append(ToString(room.status));
  out.append("\",\"meetingEndAction\":\"");
  out.append(ToString(room.meeting_end_action));
  out.append("\"}");
}

}  // namespace convene::domain
