#include "domain/room_json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/serialize.hpp>

namespace convene::domain {
namespace {

namespace json = boost::json;

Room SampleRoom() {
  Room room;
  room.room_id = "MyRoom-1a2b3c4d5e6f7a8";
  room.room_name = "My Room";
  room.creation_date = 1760000000000;
  room.auto_deletion_date = 1760003600000;
  room.moderator_secret = "0f1e2d3c4b";
  room.speaker_secret = "a9b8c7d6e5";
  return room;
}

TEST(RoomToJson, MatchesReferenceKeyOrderAndShape) {
  EXPECT_EQ(json::serialize(RoomToJson(SampleRoom(), "https://meet.example.com")),
            R"({"roomId":"MyRoom-1a2b3c4d5e6f7a8","roomName":"My Room",)"
            R"("creationDate":1760000000000,"autoDeletionDate":1760003600000,)"
            R"("autoDeletionPolicy":{"withMeeting":"when_meeting_ends","withRecordings":"close"},)"
            R"("config":{"recording":{"enabled":true,"allowAccessTo":"admin_moderator_speaker"},)"
            R"("chat":{"enabled":true},"virtualBackground":{"enabled":true}},)"
            R"("moderatorUrl":"https://meet.example.com/room/MyRoom-1a2b3c4d5e6f7a8?secret=0f1e2d3c4b",)"
            R"("speakerUrl":"https://meet.example.com/room/MyRoom-1a2b3c4d5e6f7a8?secret=a9b8c7d6e5",)"
            R"("status":"open","meetingEndAction":"none"})");
}

TEST(RoomToJson, OmitsAbsentOptionalsAndCanDropModeratorUrl) {
  Room room = SampleRoom();
  room.auto_deletion_date.reset();
  room.config.recording_enabled = false;
  room.config.recording_allow_access_to.reset();
  room.config.max_participants = 12;
  room.status = RoomStatus::kActiveMeeting;
  room.meeting_end_action = MeetingEndAction::kClose;
  EXPECT_EQ(json::serialize(RoomToJson(room, "http://localhost:6080/", false)),
            R"({"roomId":"MyRoom-1a2b3c4d5e6f7a8","roomName":"My Room",)"
            R"("creationDate":1760000000000,)"
            R"("autoDeletionPolicy":{"withMeeting":"when_meeting_ends","withRecordings":"close"},)"
            R"("config":{"recording":{"enabled":false},"chat":{"enabled":true},)"
            R"("virtualBackground":{"enabled":true},"maxParticipants":12},)"
            R"("speakerUrl":"http://localhost:6080/room/MyRoom-1a2b3c4d5e6f7a8?secret=a9b8c7d6e5",)"
            R"("status":"active_meeting","meetingEndAction":"close"})");
}

TEST(RoomConfigToJson, RendersConfigAlone) {
  EXPECT_EQ(json::serialize(RoomConfigToJson(RoomConfig{})),
            R"({"recording":{"enabled":true,"allowAccessTo":"admin_moderator_speaker"},)"
            R"("chat":{"enabled":true},"virtualBackground":{"enabled":true}})");
}

TEST(AppendRoomJson, IsByteForByteTheSerializedDom) {
  Room room;
  room.room_id = "My_Room-0123456789abcde";
  room.room_name = "My Room";
  room.creation_date = 1760000000000;
  room.moderator_secret = "0123456789";
  room.speaker_secret = "abcdef0123";
  std::vector<Room> variants{room};
  room.auto_deletion_date = 1760003600000;
  room.config.recording_allow_access_to.reset();
  room.config.max_participants = 7;
  room.status = RoomStatus::kActiveMeeting;
  room.meeting_end_action = MeetingEndAction::kDelete;
  room.auto_deletion_policy = {WithMeetingPolicy::kForce, WithRecordingsPolicy::kForce};
  room.config.chat_enabled = false;
  variants.push_back(room);
  for (const auto& r : variants) {
    for (std::string_view base : {"http://localhost:6080", "https://x.example/\"q\\\x01\x1f\t"}) {
      for (bool moderator : {true, false}) {
        std::string fast;
        AppendRoomJson(fast, r, base, moderator);
        EXPECT_EQ(fast, json::serialize(RoomToJson(r, base, moderator)));
      }
    }
  }
}

}  // namespace
}  // namespace convene::domain
