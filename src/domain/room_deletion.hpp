#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/room.hpp"

namespace convene::domain {

/// MeetRoomDeletionSuccessCode (reference §5.3).
enum class DeletionSuccess {
  kRoomDeleted,
  kRoomWithActiveMeetingDeleted,
  kRoomWithActiveMeetingScheduledToBeDeleted,
  kRoomAndRecordingsDeleted,
  kRoomClosed,
  kRoomWithActiveMeetingAndRecordingsDeleted,
  kRoomWithActiveMeetingClosed,
  kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted,
  kRoomWithActiveMeetingScheduledToBeClosed,
};

/// MeetRoomDeletionErrorCode (reference §5.3); all answered with 409.
enum class DeletionConflict {
  kRoomHasActiveMeeting,
  kRoomHasRecordings,
  kRoomWithActiveMeetingHasRecordings,
  kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion,
  kRoomWithRecordingsHasActiveMeeting,
};

std::string_view ToString(DeletionSuccess v);
std::string_view ToString(DeletionConflict v);

/// What the store must do to the room.
enum class DeletionEffect {
  kDeleteNow,               // remove the room (and its recordings) immediately
  kCloseNow,                // status := closed
  kScheduleDelete,          // meetingEndAction := delete
  kScheduleClose,           // meetingEndAction := close
};

struct DeletionDecision {
  std::optional<DeletionConflict> conflict;  // set => 409, nothing changes
  DeletionSuccess success = DeletionSuccess::kRoomDeleted;
  DeletionEffect effect = DeletionEffect::kDeleteNow;
  bool end_livekit_meeting = false;  // `force` with an active meeting: delete the LiveKit room now
  bool scheduled = false;            // HTTP 202 instead of 200 (single delete only)
  bool include_room = false;         // the response carries the room
};

/// The full decision table of reference §7.2/§7.3 (pure; unit-tested cell by cell).
DeletionDecision DecideDeletion(bool has_active_meeting, bool has_recordings,
                                WithMeetingPolicy with_meeting,
                                WithRecordingsPolicy with_recordings);

/// "Room '<id>' ..." texts of §7.2 and §7.3.
std::string DeletionConflictMessage(DeletionConflict conflict, std::string_view room_id);
std::string DeletionSuccessMessage(DeletionSuccess success, std::string_view room_id);

}  // namespace convene::domain
