#include "clients/livekit_json.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>

#include "crypto/base64.hpp"

namespace convene::livekit::wire {

namespace json = boost::json;

namespace {

constexpr std::string_view kErrorName = "LiveKit Error";
constexpr std::size_t kMaxShownMessage = 512;

// ParticipantInfo.State and ParticipantInfo.Kind by number (livekit.md §3.2), for servers that
// send enums as numbers; an empty entry is an unused number.
constexpr std::array<std::string_view, 4> kStateNames = {"JOINING", "JOINED", "ACTIVE",
                                                         "DISCONNECTED"};
constexpr std::array<std::string_view, 9> kKindNames = {
    "STANDARD", "INGRESS", "EGRESS", "SIP", "AGENT", "", "", "CONNECTOR", "BRIDGE"};

Error BadResponse(std::string detail) {
  Error error = Error::Make(ErrorCode::kInternal, std::string(kErrorName),
                            "Unexpected answer from LiveKit: " + std::move(detail));
  error.reason = "bad_response";
  return error;
}

// Cuts at a UTF-8 character boundary so a shortened message stays valid text.
std::string Truncate(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return std::string(text);
  }
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return std::string(text.substr(0, cut)) + "...";
}

std::optional<std::int64_t> ToInt64(const json::value& v) {
  if (v.is_int64()) {
    return v.get_int64();
  }
  if (v.is_uint64()) {
    const std::uint64_t u = v.get_uint64();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(u);
  }
  if (v.is_double()) {
    // Boost.JSON turns "1e3" or integers beyond 64 bits into doubles; keep exact integral values.
    const double d = v.get_double();
    if (std::trunc(d) != d || d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
  }
  if (v.is_string()) {
    // proto3 JSON writes int64 as a decimal string (livekit.md §2.2).
    const json::string& s = v.get_string();
    std::int64_t out = 0;
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, out);
    if (s.empty() || ec != std::errc() || ptr != end) {
      return std::nullopt;
    }
    return out;
  }
  return std::nullopt;
}

// Reads one message object, accepting both key spellings; remembers the first type error so
// callers can read every field and check once.
class Reader {
 public:
  Reader(const json::object& object, std::string path) : object_(object), path_(std::move(path)) {}

  void String(std::string_view snake, std::string_view camel, std::string& out) {
    if (const json::value* v = Find(snake, camel)) {
      if (v->is_string()) {
        out = std::string(v->get_string());
      } else {
        Wrong(snake, "a string");
      }
    }
  }

  void Uint32(std::string_view snake, std::string_view camel, std::uint32_t& out) {
    if (const json::value* v = Find(snake, camel)) {
      const std::optional<std::int64_t> n = ToInt64(*v);
      if (n && *n >= 0 && *n <= std::numeric_limits<std::uint32_t>::max()) {
        out = static_cast<std::uint32_t>(*n);
      } else {
        Wrong(snake, "a uint32");
      }
    }
  }

  void Int64(std::string_view snake, std::string_view camel, std::int64_t& out) {
    if (const json::value* v = Find(snake, camel)) {
      if (const std::optional<std::int64_t> n = ToInt64(*v)) {
        out = *n;
      } else {
        Wrong(snake, "an int64");
      }
    }
  }

  void Bool(std::string_view snake, std::string_view camel, bool& out) {
    if (const json::value* v = Find(snake, camel)) {
      if (v->is_bool()) {
        out = v->get_bool();
      } else {
        Wrong(snake, "a boolean");
      }
    }
  }

  template <std::size_t N>
  void Enum(std::string_view snake, std::string_view camel,
            const std::array<std::string_view, N>& names, std::string& out) {
    const json::value* v = Find(snake, camel);
    if (v == nullptr) {
      return;
    }
    if (v->is_string()) {
      out = std::string(v->get_string());
      return;
    }
    const std::optional<std::int64_t> n = ToInt64(*v);
    if (!n) {
      Wrong(snake, "an enum");
      return;
    }
    // An unknown number is kept as its decimal text rather than guessed.
    const auto index = static_cast<std::size_t>(*n);
    out = *n >= 0 && index < N && !names[index].empty() ? std::string(names[index])
                                                        : std::to_string(*n);
  }

  /// A nested message; nullptr when absent or null.
  const json::object* Object(std::string_view snake, std::string_view camel) {
    const json::value* v = Find(snake, camel);
    if (v == nullptr) {
      return nullptr;
    }
    if (!v->is_object()) {
      Wrong(snake, "an object");
      return nullptr;
    }
    return &v->get_object();
  }

  /// A repeated field; nullptr when absent or null.
  const json::array* Array(std::string_view snake, std::string_view camel) {
    const json::value* v = Find(snake, camel);
    if (v == nullptr) {
      return nullptr;
    }
    if (!v->is_array()) {
      Wrong(snake, "an array");
      return nullptr;
    }
    return &v->get_array();
  }

  const std::string& path() const { return path_; }
  const std::optional<Error>& error() const { return error_; }

 private:
  // null is proto3 JSON for "default", like a missing key.
  const json::value* Find(std::string_view snake, std::string_view camel) const {
    if (const json::value* v = object_.if_contains(snake); v != nullptr && !v->is_null()) {
      return v;
    }
    if (camel != snake) {
      if (const json::value* v = object_.if_contains(camel); v != nullptr && !v->is_null()) {
        return v;
      }
    }
    return nullptr;
  }

  void Wrong(std::string_view key, std::string_view expected) {
    if (!error_) {
      error_ = BadResponse("'" + path_ + std::string(key) + "' is not " + std::string(expected));
    }
  }

  const json::object& object_;
  std::string path_;
  std::optional<Error> error_;
};

Result<Room> ParseRoomAt(const json::value& value, const std::string& path) {
  if (!value.is_object()) {
    return Fail(
        BadResponse("'" + (path.empty() ? std::string("Room") : path) + "' is not an object"));
  }
  Reader r(value.get_object(), path.empty() ? path : path + ".");
  Room room;
  r.String("sid", "sid", room.sid);
  r.String("name", "name", room.name);
  r.String("metadata", "metadata", room.metadata);
  r.Uint32("empty_timeout", "emptyTimeout", room.empty_timeout);
  r.Uint32("departure_timeout", "departureTimeout", room.departure_timeout);
  r.Uint32("max_participants", "maxParticipants", room.max_participants);
  r.Uint32("num_participants", "numParticipants", room.num_participants);
  r.Int64("creation_time", "creationTime", room.creation_time);
  if (r.error()) {
    return Fail(*r.error());
  }
  return room;
}

Result<Participant> ParseParticipantAt(const json::value& value, const std::string& path) {
  if (!value.is_object()) {
    return Fail(BadResponse("'" + (path.empty() ? std::string("ParticipantInfo") : path) +
                            "' is not an object"));
  }
  Reader r(value.get_object(), path.empty() ? path : path + ".");
  Participant participant;
  participant.state = std::string(kStateNames[0]);  // proto3 default, omitted by camelCase writers
  participant.kind = std::string(kKindNames[0]);
  r.String("sid", "sid", participant.sid);
  r.String("identity", "identity", participant.identity);
  r.String("name", "name", participant.name);
  r.String("metadata", "metadata", participant.metadata);
  r.Enum("state", "state", kStateNames, participant.state);
  r.Enum("kind", "kind", kKindNames, participant.kind);
  r.Int64("joined_at", "joinedAt", participant.joined_at);
  if (const json::object* permission = r.Object("permission", "permission")) {
    Reader p(*permission, r.path() + "permission.");
    p.Bool("recorder", "recorder", participant.recorder);
    if (p.error()) {
      return Fail(*p.error());
    }
  }
  if (r.error()) {
    return Fail(*r.error());
  }
  return participant;
}

json::array StringArray(const std::vector<std::string>& values) {
  json::array out;
  out.reserve(values.size());
  for (const std::string& v : values) {
    out.emplace_back(v);
  }
  return out;
}

}  // namespace

json::object GrantFor(std::string_view method, std::string_view room) {
  json::object grant;
  if (method == kCreateRoom || method == kDeleteRoom) {
    grant["roomCreate"] = true;
  } else if (method == kListRooms) {
    grant["roomList"] = true;
  } else {
    // roomAdmin is scoped by exact equality with the request's `room`.
    grant["roomAdmin"] = true;
    grant["room"] = room;
  }
  return grant;
}

json::object CreateRoomRequest(const CreateRoomOptions& options) {
  json::object body;
  body["name"] = options.name;
  if (!options.metadata.empty()) {
    body["metadata"] = options.metadata;
  }
  if (options.empty_timeout) {
    body["emptyTimeout"] = *options.empty_timeout;
  }
  if (options.departure_timeout) {
    body["departureTimeout"] = *options.departure_timeout;
  }
  if (options.max_participants) {
    body["maxParticipants"] = *options.max_participants;
  }
  return body;
}

json::object ListRoomsRequest(const std::vector<std::string>& names) {
  json::object body;
  body["names"] = StringArray(names);
  return body;
}

json::object DeleteRoomRequest(std::string_view room) {
  json::object body;
  body["room"] = room;
  return body;
}

json::object ListParticipantsRequest(std::string_view room) {
  json::object body;
  body["room"] = room;
  return body;
}

json::object RoomParticipantIdentity(std::string_view room, std::string_view identity) {
  json::object body;
  body["room"] = room;
  body["identity"] = identity;
  return body;
}

json::object UpdateParticipantMetadataRequest(std::string_view room, std::string_view identity,
                                              std::string_view metadata) {
  json::object body;
  body["room"] = room;
  body["identity"] = identity;
  body["metadata"] = metadata;
  return body;
}

json::object SendDataRequest(std::string_view room, std::string_view payload,
                             const SendDataOptions& options, std::string_view nonce) {
  json::object body;
  body["room"] = room;
  body["data"] = crypto::Base64Encode(payload);
  // RELIABLE is the enum's zero value; sent explicitly so the intent is visible on the wire.
  body["kind"] = "RELIABLE";
  if (!options.destination_identities.empty()) {
    body["destinationIdentities"] = StringArray(options.destination_identities);
  }
  if (!options.destination_sids.empty()) {
    body["destinationSids"] = StringArray(options.destination_sids);
  }
  if (options.topic) {
    body["topic"] = *options.topic;
  }
  if (!nonce.empty()) {
    body["nonce"] = crypto::Base64Encode(nonce);
  }
  return body;
}

json::object UpdateRoomMetadataRequest(std::string_view room, std::string_view metadata) {
  json::object body;
  body["room"] = room;
  body["metadata"] = metadata;
  return body;
}

Result<json::value> ParseBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return json::value(json::object());
  }
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) {
    return Fail(BadResponse("body is not JSON"));
  }
  return value;
}

Result<Room> ParseRoom(const json::value& json) { return ParseRoomAt(json, ""); }

Result<Participant> ParseParticipant(const json::value& json) {
  return ParseParticipantAt(json, "");
}

Result<std::vector<Room>> ParseListRoomsResponse(const json::value& json) {
  if (!json.is_object()) {
    return Fail(BadResponse("'ListRoomsResponse' is not an object"));
  }
  Reader r(json.get_object(), "");
  std::vector<Room> rooms;
  if (const json::array* items = r.Array("rooms", "rooms")) {
    rooms.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
      Result<Room> room = ParseRoomAt((*items)[i], "rooms[" + std::to_string(i) + "]");
      if (!room) {
        return Fail(room.error());
      }
      rooms.push_back(std::move(*room));
    }
  }
  if (r.error()) {
    return Fail(*r.error());
  }
  return rooms;
}

Result<std::vector<Participant>> ParseListParticipantsResponse(const json::value& json) {
  if (!json.is_object()) {
    return Fail(BadResponse("'ListParticipantsResponse' is not an object"));
  }
  Reader r(json.get_object(), "");
  std::vector<Participant> participants;
  if (const json::array* items = r.Array("participants", "participants")) {
    participants.reserve(items->size());
    for (std::size_t i = 0; i < items->size(); ++i) {
      Result<Participant> participant =
          ParseParticipantAt((*items)[i], "participants[" + std::to_string(i) + "]");
      if (!participant) {
        return Fail(participant.error());
      }
      participants.push_back(std::move(*participant));
    }
  }
  if (r.error()) {
    return Fail(*r.error());
  }
  return participants;
}

Error TwirpError(std::string_view code, std::string_view msg) {
  // `code` ends up in Error::reason, which callers branch on and logs print: keep it to the
  // Twirp vocabulary's alphabet.
  const bool clean =
      !code.empty() && code.size() <= 32 &&
      code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos;
  const std::string safe_code = clean ? std::string(code) : "unknown";

  ErrorCode mapped = ErrorCode::kInternal;
  if (safe_code == "not_found") {
    mapped = ErrorCode::kNotFound;
  } else if (safe_code == "invalid_argument" || safe_code == "malformed" ||
             safe_code == "out_of_range") {
    mapped = ErrorCode::kInvalidArgument;
  } else if (safe_code == "unauthenticated") {
    mapped = ErrorCode::kUnauthenticated;
  } else if (safe_code == "permission_denied") {
    mapped = ErrorCode::kPermissionDenied;
  } else if (safe_code == "already_exists") {
    mapped = ErrorCode::kAlreadyExists;
  } else if (safe_code == "failed_precondition") {
    mapped = ErrorCode::kFailedPrecondition;
  } else if (safe_code == "resource_exhausted") {
    mapped = ErrorCode::kResourceExhausted;
  } else if (safe_code == "unavailable") {
    mapped = ErrorCode::kUnavailable;
  }

  std::string message =
      msg.empty() ? "LiveKit answered " + safe_code : Truncate(msg, kMaxShownMessage);
  Error error = Error::Make(mapped, std::string(kErrorName), std::move(message));
  error.reason = "twirp:" + safe_code;
  return error;
}

Error MapErrorAnswer(int status, std::string_view body) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const json::object& object = parsed.get_object();
    const json::value* code = object.if_contains("code");
    if (code != nullptr && code->is_string()) {
      const json::value* msg = object.if_contains("msg");
      return TwirpError(code->get_string(), msg != nullptr && msg->is_string()
                                                ? std::string_view(msg->get_string())
                                                : std::string_view());
    }
  }
  // Not a Twirp error: LiveKit's auth middleware (plain-text 401), its body limit (413), Go's
  // 404 page, or a proxy in front of LiveKit. The body is not shown: it may be an HTML page.
  std::string_view code = "internal";
  if (status == 401) {
    code = "unauthenticated";
  } else if (status == 404) {
    code = "not_found";
  } else if (status >= 500 && status <= 599) {
    code = "unavailable";
  }
  return TwirpError(code, "LiveKit answered HTTP " + std::to_string(status));
}

Error Unreachable(bool deadline) {
  Error error = Error::Unavailable(std::string(kErrorName), "LiveKit is not available");
  error.reason = deadline ? "deadline" : "transport";
  return error;
}

}  // namespace convene::livekit::wire
