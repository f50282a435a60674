// libFuzzer target for the LiveKit Twirp response parsers in src/clients/livekit_json.hpp
// (untrusted input: whatever answers on LIVEKIT_URL_PRIVATE, or a proxy in front of it).
//
// Input layout: the first byte picks an HTTP status for the error mapper, the rest is the body.
// Invariants are checked with __builtin_trap() so that a violation is reported as a crash:
//   - nothing throws or crashes, whatever the bytes;
//   - a parsed Room / Participant survives re-encoding in both snake_case and camelCase;
//   - an error answer always has a reason "twirp:<[a-z_]+>" and a bounded message.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "clients/livekit_json.hpp"

namespace {

namespace json = boost::json;
namespace wire = convene::livekit::wire;
using convene::livekit::Participant;
using convene::livekit::Room;

void Check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

json::value Encode(const Room& room, bool snake) {
  json::object o;
  o["sid"] = room.sid;
  o["name"] = room.name;
  o["metadata"] = room.metadata;
  o[snake ? "empty_timeout" : "emptyTimeout"] = room.empty_timeout;
  o[snake ? "departure_timeout" : "departureTimeout"] = room.departure_timeout;
  o[snake ? "max_participants" : "maxParticipants"] = room.max_participants;
  o[snake ? "num_participants" : "numParticipants"] = room.num_participants;
  // int64 as a string in one dialect and as a number in the other.
  if (snake) {
    o["creation_time"] = std::to_string(room.creation_time);
  } else {
    o["creationTime"] = room.creation_time;
  }
  return o;
}

bool Same(const Room& a, const Room& b) {
  return a.sid == b.sid && a.name == b.name && a.metadata == b.metadata &&
         a.empty_timeout == b.empty_timeout && a.departure_timeout == b.departure_timeout &&
         a.max_participants == b.max_participants && a.num_participants == b.num_participants &&
         a.creation_time == b.creation_time;
}

json::value Encode(const Participant& p, bool snake) {
  json::object o;
  o["sid"] = p.sid;
  o["identity"] = p.identity;
  o["name"] = p.name;
  o["metadata"] = p.metadata;
  o["state"] = p.state;
  o["kind"] = p.kind;
  if (snake) {
    o["joined_at"] = std::to_string(p.joined_at);
  } else {
    o["joinedAt"] = p.joined_at;
  }
  json::object permission;
  permission["recorder"] = p.recorder;
  o["permission"] = permission;
  return o;
}

bool Same(const Participant& a, const Participant& b) {
  return a.sid == b.sid && a.identity == b.identity && a.name == b.name &&
         a.metadata == b.metadata && a.state == b.state && a.kind == b.kind &&
         a.joined_at == b.joined_at && a.recorder == b.recorder;
}

template <class T, class Parse>
void CheckRoundTrip(const T& parsed, Parse parse) {
  for (const bool snake : {true, false}) {
    const auto again = parse(Encode(parsed, snake));
    Check(again.has_value() && Same(*again, parsed));
  }
}

void CheckError(const convene::Error& error) {
  constexpr std::string_view kPrefix = "twirp:";
  Check(error.reason.compare(0, kPrefix.size(), kPrefix) == 0);
  const std::string_view code = std::string_view(error.reason).substr(kPrefix.size());
  Check(!code.empty() &&
        code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos);
  Check(error.name == "LiveKit Error");
  Check(!error.message.empty() && error.message.size() <= 512 + 3);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  // 0..255 -> 300..555: every 4xx and 5xx, plus a few 3xx.
  const int status = 300 + data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  CheckError(wire::MapErrorAnswer(status, body));

  const auto parsed = wire::ParseBody(body);
  if (!parsed) {
    Check(parsed.error().reason == "bad_response");
    return 0;
  }
  const json::value& value = *parsed;
  if (const auto room = wire::ParseRoom(value)) {
    CheckRoundTrip(*room, [](const json::value& v) { return wire::ParseRoom(v); });
  }
  if (const auto participant = wire::ParseParticipant(value)) {
    CheckRoundTrip(*participant, [](const json::value& v) { return wire::ParseParticipant(v); });
  }
  if (const auto rooms = wire::ParseListRoomsResponse(value)) {
    for (const Room& room : *rooms) {
      CheckRoundTrip(room, [](const json::value& v) { return wire::ParseRoom(v); });
    }
  }
  if (const auto participants = wire::ParseListParticipantsResponse(value)) {
    for (const Participant& participant : *participants) {
      CheckRoundTrip(participant, [](const json::value& v) { return wire::ParseParticipant(v); });
    }
  }
  return 0;
}
