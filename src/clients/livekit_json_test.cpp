#include "clients/livekit_json.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "crypto/base64.hpp"

namespace convene::livekit {
namespace {

namespace json = boost::json;

json::value Json(std::string_view text) { return json::parse(text); }

// livekit.md §3.5: the same participant as a Twirp response (snake_case, defaults present,
// int64 as strings) ...
constexpr std::string_view kTwirpParticipant =
    R"({"sid":"PA_7nZyKqG3mWbx","identity":"alice","state":"ACTIVE","tracks":[],
 "metadata":"","joined_at":"1760000000","joined_at_ms":"1760000000123","name":"Alice",
 "version":3,
 "permission":{"can_subscribe":true,"can_publish":true,"can_publish_data":true,
   "can_publish_sources":[],"hidden":false,"recorder":false,"can_update_metadata":false,
   "agent":false,"can_subscribe_metrics":false,"can_manage_agent_session":false},
 "region":"","is_publisher":false,"kind":"STANDARD","attributes":{},
 "disconnect_reason":"UNKNOWN_REASON","kind_details":[],"data_tracks":[],
 "client_protocol":0,"capabilities":[]})";

// ... and inside a webhook (camelCase, defaults omitted).
constexpr std::string_view kWebhookParticipant =
    R"({"sid":"PA_7nZyKqG3mWbx","identity":"alice","state":"ACTIVE","joinedAt":"1760000000",
 "joinedAtMs":"1760000000123","name":"Alice","version":3,
 "permission":{"canSubscribe":true,"canPublish":true,"canPublishData":true}})";

TEST(LiveKitJson, ParsesParticipantInBothSpellings) {
  for (const std::string_view text : {kTwirpParticipant, kWebhookParticipant}) {
    SCOPED_TRACE(text);
    const Result<Participant> p = wire::ParseParticipant(Json(text));
    ASSERT_TRUE(p.has_value()) << p.error().message;
    EXPECT_EQ(p->sid, "PA_7nZyKqG3mWbx");
    EXPECT_EQ(p->identity, "alice");
    EXPECT_EQ(p->name, "Alice");
    EXPECT_EQ(p->metadata, "");
    EXPECT_EQ(p->state, "ACTIVE");
    EXPECT_EQ(p->kind, "STANDARD");  // present in one, the proto default in the other
    EXPECT_EQ(p->joined_at, 1760000000);
    EXPECT_FALSE(p->recorder);
    EXPECT_FALSE(p->IsEgress());
  }
}

TEST(LiveKitJson, ParsesRoomInBothSpellings) {
  const std::string_view snake = R"({"sid":"RM_hycBMAjmt6Ub","name":"demo","empty_timeout":300,
    "departure_timeout":20,"max_participants":0,"creation_time":"1759999990",
    "creation_time_ms":"1759999990456","turn_password":"x","enabled_codecs":[{"mime":"audio/opus","fmtp_line":""}],
    "metadata":"{\"a\":1}","num_participants":1,"num_publishers":0,"active_recording":false,"version":null})";
  const std::string_view camel =
      R"({"sid":"RM_hycBMAjmt6Ub","name":"demo","emptyTimeout":300,"departureTimeout":20,
    "creationTime":"1759999990","creationTimeMs":"1759999990456","turnPassword":"x",
    "enabledCodecs":[{"mime":"audio/opus"}],"metadata":"{\"a\":1}","numParticipants":1})";
  for (const std::string_view text : {snake, camel}) {
    SCOPED_TRACE(text);
    const Result<Room> room = wire::ParseRoom(Json(text));
    ASSERT_TRUE(room.has_value()) << room.error().message;
    EXPECT_EQ(room->sid, "RM_hycBMAjmt6Ub");
    EXPECT_EQ(room->name, "demo");
    EXPECT_EQ(room->metadata, R"({"a":1})");
    EXPECT_EQ(room->empty_timeout, 300u);
    EXPECT_EQ(room->departure_timeout, 20u);
    EXPECT_EQ(room->max_participants, 0u);
    EXPECT_EQ(room->num_participants, 1u);
    EXPECT_EQ(room->creation_time, 1759999990);
  }
}

TEST(LiveKitJson, AcceptsInt64AsStringOrNumberAndUint32AsString) {
  const Result<Room> from_string =
      wire::ParseRoom(Json(R"({"creation_time":"-5","empty_timeout":"7"})"));
  ASSERT_TRUE(from_string.has_value());
  EXPECT_EQ(from_string->creation_time, -5);
  EXPECT_EQ(from_string->empty_timeout, 7u);

  const Result<Room> from_number =
      wire::ParseRoom(Json(R"({"creationTime":1760000000,"emptyTimeout":4294967295})"));
  ASSERT_TRUE(from_number.has_value());
  EXPECT_EQ(from_number->creation_time, 1760000000);
  EXPECT_EQ(from_number->empty_timeout, 4294967295u);

  const Result<Room> big = wire::ParseRoom(Json(R"({"creation_time":"9223372036854775807"})"));
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->creation_time, INT64_MAX);

  const Result<Room> exponent = wire::ParseRoom(Json(R"({"creation_time":1.76e9})"));
  ASSERT_TRUE(exponent.has_value());
  EXPECT_EQ(exponent->creation_time, 1760000000);
}

TEST(LiveKitJson, MissingAndNullKeysAreDefaultsAndUnknownKeysIgnored) {
  const Result<Participant> p = wire::ParseParticipant(Json(
      R"({"identity":"bob","permission":null,"name":null,"future_field":{"x":[1,2]},"kind":null})"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->identity, "bob");
  EXPECT_EQ(p->name, "");
  EXPECT_EQ(p->state, "JOINING");  // proto3 default of State
  EXPECT_EQ(p->kind, "STANDARD");
  EXPECT_EQ(p->joined_at, 0);

  const Result<Room> room = wire::ParseRoom(Json("{}"));
  ASSERT_TRUE(room.has_value());
  EXPECT_EQ(room->name, "");
  EXPECT_EQ(room->creation_time, 0);
}

TEST(LiveKitJson, EnumsAsNumbers) {
  const Result<Participant> p = wire::ParseParticipant(Json(R"({"state":2,"kind":2})"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->state, "ACTIVE");
  EXPECT_EQ(p->kind, "EGRESS");
  const Result<Participant> unknown = wire::ParseParticipant(Json(R"({"kind":5,"state":99})"));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->kind, "5");
  EXPECT_EQ(unknown->state, "99");
}

TEST(LiveKitJson, EgressParticipant) {
  const Result<Participant> p = wire::ParseParticipant(Json(
      R"({"identity":"EG_abc","kind":"EGRESS","permission":{"recorder":true,"hidden":true}})"));
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->recorder);
  EXPECT_TRUE(p->IsEgress());
}

TEST(LiveKitJson, WrongTypesAreBadResponses) {
  for (const std::string_view text :
       {R"({"name":5})", R"({"empty_timeout":-1})", R"({"empty_timeout":4294967296})",
        R"({"creation_time":"12x"})", R"({"creation_time":""})", R"({"creation_time":1.5})",
        R"({"creation_time":"99999999999999999999"})", R"({"num_participants":true})", "[]",
        "\"x\""}) {
    SCOPED_TRACE(text);
    const Result<Room> room = wire::ParseRoom(Json(text));
    ASSERT_FALSE(room.has_value());
    EXPECT_EQ(room.error().code, ErrorCode::kInternal);
    EXPECT_EQ(room.error().reason, "bad_response");
  }
  const Result<Participant> p =
      wire::ParseParticipant(Json(R"({"permission":{"recorder":"yes"}})"));
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message.find("permission.recorder"), std::string::npos);
}

TEST(LiveKitJson, ParsesLists) {
  const Result<std::vector<Room>> rooms = wire::ParseListRoomsResponse(
      Json(R"({"rooms":[{"name":"a"},{"name":"b","num_participants":2}]})"));
  ASSERT_TRUE(rooms.has_value());
  ASSERT_EQ(rooms->size(), 2u);
  EXPECT_EQ((*rooms)[1].name, "b");
  EXPECT_EQ((*rooms)[1].num_participants, 2u);

  // Sparse writers omit an empty list altogether.
  for (const std::string_view empty : {"{}", R"({"rooms":[]})", R"({"rooms":null})"}) {
    const Result<std::vector<Room>> none = wire::ParseListRoomsResponse(Json(empty));
    ASSERT_TRUE(none.has_value());
    EXPECT_TRUE(none->empty());
  }

  const Result<std::vector<Participant>> participants = wire::ParseListParticipantsResponse(
      Json("{\"participants\":[" + std::string(kTwirpParticipant) + "," +
           std::string(kWebhookParticipant) + "]}"));
  ASSERT_TRUE(participants.has_value());
  ASSERT_EQ(participants->size(), 2u);
  EXPECT_EQ((*participants)[1].joined_at, 1760000000);

  const Result<std::vector<Participant>> bad =
      wire::ParseListParticipantsResponse(Json(R"({"participants":[{},{"identity":1}]})"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("participants[1].identity"), std::string::npos);
  EXPECT_FALSE(wire::ParseListRoomsResponse(Json(R"({"rooms":{}})")).has_value());
}

TEST(LiveKitJson, ParseBody) {
  EXPECT_TRUE(wire::ParseBody("")->is_object());
  EXPECT_TRUE(wire::ParseBody(" \n")->is_object());
  EXPECT_TRUE(wire::ParseBody("{}")->is_object());
  const Result<json::value> bad = wire::ParseBody("OK");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().reason, "bad_response");
}

struct TwirpCase {
  std::string_view code;
  int status;
  ErrorCode expected;
};

TEST(LiveKitJson, MapsEveryTwirpCodeByCode) {
  // livekit.md §2.5 table; the status is deliberately irrelevant for JSON errors.
  const TwirpCase cases[] = {
      {"canceled", 408, ErrorCode::kInternal},
      {"unknown", 500, ErrorCode::kInternal},
      {"invalid_argument", 400, ErrorCode::kInvalidArgument},
      {"malformed", 400, ErrorCode::kInvalidArgument},
      {"deadline_exceeded", 408, ErrorCode::kInternal},
      {"not_found", 404, ErrorCode::kNotFound},
      {"bad_route", 404, ErrorCode::kInternal},
      {"already_exists", 409, ErrorCode::kAlreadyExists},
      {"permission_denied", 403, ErrorCode::kPermissionDenied},
      {"unauthenticated", 401, ErrorCode::kUnauthenticated},
      {"resource_exhausted", 429, ErrorCode::kResourceExhausted},
      {"failed_precondition", 412, ErrorCode::kFailedPrecondition},
      {"aborted", 409, ErrorCode::kInternal},
      {"out_of_range", 400, ErrorCode::kInvalidArgument},
      {"unimplemented", 501, ErrorCode::kInternal},
      {"internal", 500, ErrorCode::kInternal},
      {"unavailable", 503, ErrorCode::kUnavailable},
      {"dataloss", 500, ErrorCode::kInternal},
  };
  for (const TwirpCase& c : cases) {
    SCOPED_TRACE(c.code);
    const std::string body =
        R"({"code":")" + std::string(c.code) + R"(","msg":"twirp error unknown: x"})";
    const Error error = wire::MapErrorAnswer(c.status, body);
    EXPECT_EQ(error.code, c.expected);
    EXPECT_EQ(error.reason, "twirp:" + std::string(c.code));
    EXPECT_EQ(error.name, "LiveKit Error");
    EXPECT_EQ(error.message, "twirp error unknown: x");
  }
}

TEST(LiveKitJson, BranchesOnCodeNeverOnMessage) {
  const Error error = wire::MapErrorAnswer(
      404,
      R"({"code":"invalid_argument","msg":"not_found participant does not exist","meta":{"argument":"x"}})");
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.reason, "twirp:invalid_argument");
}

TEST(LiveKitJson, UnknownOrHostileCodeIsInternal) {
  const Error odd = wire::MapErrorAnswer(500, R"({"code":"brand_new_code","msg":""})");
  EXPECT_EQ(odd.code, ErrorCode::kInternal);
  EXPECT_EQ(odd.reason, "twirp:brand_new_code");
  const Error hostile = wire::MapErrorAnswer(500, R"({"code":"x\nINJECTED log line","msg":"m"})");
  EXPECT_EQ(hostile.code, ErrorCode::kInternal);
  EXPECT_EQ(hostile.reason, "twirp:unknown");
}

TEST(LiveKitJson, PlainTextErrorsMapByStatus) {
  struct Case {
    int status;
    std::string_view body;
    ErrorCode code;
    std::string_view reason;
  };
  const Case cases[] = {
      {401, "invalid authorization token: go-jose/go-jose: error in cryptographic primitive",
       ErrorCode::kUnauthenticated, "twirp:unauthenticated"},
      {401, "invalid API key", ErrorCode::kUnauthenticated, "twirp:unauthenticated"},
      {404, "404 page not found\n", ErrorCode::kNotFound, "twirp:not_found"},
      {413, "request body too large", ErrorCode::kInternal, "twirp:internal"},
      {502, "<html><body>Bad Gateway</body></html>", ErrorCode::kUnavailable, "twirp:unavailable"},
      {503, "", ErrorCode::kUnavailable, "twirp:unavailable"},
      {500, R"({"error":"json but not twirp"})", ErrorCode::kUnavailable, "twirp:unavailable"},
      {403, "forbidden", ErrorCode::kInternal, "twirp:internal"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    const Error error = wire::MapErrorAnswer(c.status, c.body);
    EXPECT_EQ(error.code, c.code);
    EXPECT_EQ(error.reason, c.reason);
    // The body (possibly an HTML page) is never shown.
    EXPECT_EQ(error.message, "LiveKit answered HTTP " + std::to_string(c.status));
  }
}

TEST(LiveKitJson, LongMessagesAreTruncatedAtCharacterBoundary) {
  std::string msg(600, 'a');
  msg.replace(511, 2, "\xC3\xA9");  // 'é' straddling the cut
  const Error error = wire::TwirpError("internal", msg);
  EXPECT_LT(error.message.size(), 520u);
  EXPECT_EQ(error.message.substr(error.message.size() - 3), "...");
  EXPECT_EQ(error.message.find('\xC3'), std::string::npos);
}

TEST(LiveKitJson, UnreachableIsTheReferenceMessage) {
  const Error transport = wire::Unreachable(false);
  EXPECT_EQ(transport.code, ErrorCode::kUnavailable);
  EXPECT_EQ(transport.name, "LiveKit Error");
  EXPECT_EQ(transport.message, "LiveKit is not available");
  EXPECT_EQ(transport.reason, "transport");
  EXPECT_EQ(wire::Unreachable(true).reason, "deadline");
}

TEST(LiveKitJson, GrantPerMethod) {
  EXPECT_EQ(json::value(wire::GrantFor(wire::kCreateRoom, "x")), Json(R"({"roomCreate":true})"));
  EXPECT_EQ(json::value(wire::GrantFor(wire::kDeleteRoom, "x")), Json(R"({"roomCreate":true})"));
  EXPECT_EQ(json::value(wire::GrantFor(wire::kListRooms, "")), Json(R"({"roomList":true})"));
  for (const std::string_view method :
       {wire::kListParticipants, wire::kGetParticipant, wire::kRemoveParticipant,
        wire::kUpdateParticipant, wire::kSendData, wire::kUpdateRoomMetadata}) {
    EXPECT_EQ(json::value(wire::GrantFor(method, "demo")),
              Json(R"({"roomAdmin":true,"room":"demo"})"));
  }
}

TEST(LiveKitJson, CreateRoomRequest) {
  CreateRoomOptions minimal;
  minimal.name = "demo";
  EXPECT_EQ(json::value(wire::CreateRoomRequest(minimal)), Json(R"({"name":"demo"})"));

  CreateRoomOptions full;
  full.name = "demo";
  full.metadata = R"({"createdBy":"convene"})";
  full.empty_timeout = 60;
  full.departure_timeout = 0;
  full.max_participants = 4294967295u;
  const json::object body = wire::CreateRoomRequest(full);
  EXPECT_EQ(json::value(body),
            Json(R"({"name":"demo","metadata":"{\"createdBy\":\"convene\"}","emptyTimeout":60,
                     "departureTimeout":0,"maxParticipants":4294967295})"));
  // uint32 fields go out as JSON numbers, not strings.
  EXPECT_TRUE(body.at("emptyTimeout").is_number());
}

TEST(LiveKitJson, SimpleRequests) {
  EXPECT_EQ(json::value(wire::ListRoomsRequest({})), Json(R"({"names":[]})"));
  EXPECT_EQ(json::value(wire::ListRoomsRequest({"a", "b"})), Json(R"({"names":["a","b"]})"));
  EXPECT_EQ(json::value(wire::DeleteRoomRequest("r")), Json(R"({"room":"r"})"));
  EXPECT_EQ(json::value(wire::ListParticipantsRequest("r")), Json(R"({"room":"r"})"));
  EXPECT_EQ(json::value(wire::RoomParticipantIdentity("r", "alice")),
            Json(R"({"room":"r","identity":"alice"})"));
  EXPECT_EQ(json::value(wire::UpdateParticipantMetadataRequest("r", "alice", R"({"role":"mod"})")),
            Json(R"({"room":"r","identity":"alice","metadata":"{\"role\":\"mod\"}"})"));
  EXPECT_EQ(json::value(wire::UpdateRoomMetadataRequest("r", "")),
            Json(R"({"room":"r","metadata":""})"));
}

TEST(LiveKitJson, SendDataRequest) {
  const std::string nonce("\xde\xad\xbe\xef\0\0\0\0\0\0\0\0\0\0\0\0", 16);
  SendDataOptions options;
  options.destination_identities = {"bob"};
  options.topic = "chat";
  EXPECT_EQ(json::value(wire::SendDataRequest("demo", "hi", options, nonce)),
            Json(R"({"room":"demo","data":"aGk=","kind":"RELIABLE","destinationIdentities":["bob"],
                     "topic":"chat","nonce":"3q2+7wAAAAAAAAAAAAAAAA=="})"));

  SendDataOptions to_sids;
  to_sids.destination_sids = {"PA_1", "PA_2"};
  EXPECT_EQ(
      json::value(wire::SendDataRequest("demo", std::string("\0\xff", 2), to_sids, nonce)),
      Json(R"({"room":"demo","data":"AP8=","kind":"RELIABLE","destinationSids":["PA_1","PA_2"],
                     "nonce":"3q2+7wAAAAAAAAAAAAAAAA=="})"));

  // An empty topic is still a present optional field.
  SendDataOptions empty_topic;
  empty_topic.topic = "";
  const json::object body = wire::SendDataRequest("demo", "", empty_topic, nonce);
  EXPECT_EQ(body.at("topic"), "");
  EXPECT_EQ(body.at("data"), "");
  EXPECT_FALSE(body.contains("destinationIdentities"));
}

}  // namespace
}  // namespace convene::livekit
