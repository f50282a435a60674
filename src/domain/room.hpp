#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convene::domain {

enum class RoomStatus { kOpen, kActiveMeeting, kClosed };
enum class MeetingEndAction { kNone, kClose, kDelete };
enum class WithMeetingPolicy { kForce, kWhenMeetingEnds, kFail };
enum class WithRecordingsPolicy { kForce, kClose, kFail };
enum class RecordingAccess { kAdmin, kAdminModerator, kAdminModeratorSpeaker };

std::string_view ToString(RoomStatus v);
std::string_view ToString(MeetingEndAction v);
std::string_view ToString(WithMeetingPolicy v);
std::string_view ToString(WithRecordingsPolicy v);
std::string_view ToString(RecordingAccess v);
std::optional<RoomStatus> ParseRoomStatus(std::string_view s);
std::optional<MeetingEndAction> ParseMeetingEndAction(std::string_view s);
std::optional<WithMeetingPolicy> ParseWithMeetingPolicy(std::string_view s);
std::optional<WithRecordingsPolicy> ParseWithRecordingsPolicy(std::string_view s);
std::optional<RecordingAccess> ParseRecordingAccess(std::string_view s);

/// MeetRoomConfig (reference §5.2) plus Convene's optional `maxParticipants` (deviations §4).
struct RoomConfig {
  bool recording_enabled = true;
  std::optional<RecordingAccess> recording_allow_access_to = RecordingAccess::kAdminModeratorSpeaker;
  bool chat_enabled = true;
  bool virtual_background_enabled = true;
  std::optional<std::uint32_t> max_participants;

  bool operator==(const RoomConfig&) const = default;
};

struct AutoDeletionPolicy {
  WithMeetingPolicy with_meeting = WithMeetingPolicy::kWhenMeetingEnds;
  WithRecordingsPolicy with_recordings = WithRecordingsPolicy::kClose;

  bool operator==(const AutoDeletionPolicy&) const = default;
};

/// A Meet room as stored. The moderator/speaker URLs are not stored: they are derived from the
/// secrets and the per-request base URL whenever a room is rendered (deviations §7.1).
struct Room {
  std::string room_id;
  std::string room_name;
  std::int64_t creation_date = 0;  // ms since epoch
  std::optional<std::int64_t> auto_deletion_date;
  AutoDeletionPolicy auto_deletion_policy;
  RoomConfig config;
  std::string moderator_secret;
  std::string speaker_secret;
  RoomStatus status = RoomStatus::kOpen;
  MeetingEndAction meeting_end_action = MeetingEndAction::kNone;

  bool operator==(const Room&) const = default;
};

}  // namespace convene::domain
