#include "domain/room_deletion.hpp"

#include <string>

namespace convene::domain {
namespace {

DeletionDecision Conflict(DeletionConflict conflict) {
  DeletionDecision decision;
  decision.conflict = conflict;
  return decision;
}

DeletionDecision Success(DeletionSuccess success, DeletionEffect effect, bool end_livekit_meeting,
                         bool scheduled, bool include_room) {
  DeletionDecision decision;
  decision.success = success;
  decision.effect = effect;
  decision.end_livekit_meeting = end_livekit_meeting;
  decision.scheduled = scheduled;
  decision.include_room = include_room;
  return decision;
}

/// Reference §7.2: the policy checks run before any action, so a conflict changes nothing.
std::optional<DeletionConflict> FindConflict(bool has_active_meeting, bool has_recordings,
                                             WithMeetingPolicy with_meeting,
                                             WithRecordingsPolicy with_recordings) {
  const bool fail_meeting = with_meeting == WithMeetingPolicy::kFail;
  const bool fail_recordings = with_recordings == WithRecordingsPolicy::kFail;
  if (has_active_meeting && fail_meeting) {
    return has_recordings ? DeletionConflict::kRoomWithRecordingsHasActiveMeeting
                          : DeletionConflict::kRoomHasActiveMeeting;
  }
  if (has_recordings && fail_recordings) {
    if (!has_active_meeting) return DeletionConflict::kRoomHasRecordings;
    return with_meeting == WithMeetingPolicy::kWhenMeetingEnds
               ? DeletionConflict::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion
               : DeletionConflict::kRoomWithActiveMeetingHasRecordings;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(DeletionSuccess v) {
  switch (v) {
    case DeletionSuccess::kRoomDeleted:
      return "room_deleted";
    case DeletionSuccess::kRoomWithActiveMeetingDeleted:
      return "room_with_active_meeting_deleted";
    case DeletionSuccess::kRoomWithActiveMeetingScheduledToBeDeleted:
      return "room_with_active_meeting_scheduled_to_be_deleted";
    case DeletionSuccess::kRoomAndRecordingsDeleted:
      return "room_and_recordings_deleted";
    case DeletionSuccess::kRoomClosed:
      return "room_closed";
    case DeletionSuccess::kRoomWithActiveMeetingAndRecordingsDeleted:
      return "room_with_active_meeting_and_recordings_deleted";
    case DeletionSuccess::kRoomWithActiveMeetingClosed:
      return "room_with_active_meeting_closed";
    case DeletionSuccess::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted:
      return "room_with_active_meeting_and_recordings_scheduled_to_be_deleted";
    case DeletionSuccess::kRoomWithActiveMeetingScheduledToBeClosed:
      return "room_with_active_meeting_scheduled_to_be_closed";
  }
  return {};
}

std::string_view ToString(DeletionConflict v) {
  switch (v) {
    case DeletionConflict::kRoomHasActiveMeeting:
      return "room_has_active_meeting";
    case DeletionConflict::kRoomHasRecordings:
      return "room_has_recordings";
    case DeletionConflict::kRoomWithActiveMeetingHasRecordings:
      return "room_with_active_meeting_has_recordings";
    case DeletionConflict::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion:
      return "room_with_active_meeting_has_recordings_cannot_schedule_deletion";
    case DeletionConflict::kRoomWithRecordingsHasActiveMeeting:
      return "room_with_recordings_has_active_meeting";
  }
  return {};
}

DeletionDecision DecideDeletion(bool has_active_meeting, bool has_recordings,
                                WithMeetingPolicy with_meeting,
                                WithRecordingsPolicy with_recordings) {
  if (auto conflict =
          FindConflict(has_active_meeting, has_recordings, with_meeting, with_recordings)) {
    return Conflict(*conflict);
  }

  // Reference §7.3. From here on `fail` can only appear where it does not matter (e.g.
  // withRecordings=fail for a room without recordings).
  const bool force_meeting = with_meeting == WithMeetingPolicy::kForce;
  const bool force_recordings = with_recordings == WithRecordingsPolicy::kForce;

  if (!has_active_meeting && !has_recordings) {
    return Success(DeletionSuccess::kRoomDeleted, DeletionEffect::kDeleteNow, false, false, false);
  }
  if (!has_active_meeting) {
    return force_recordings ? Success(DeletionSuccess::kRoomAndRecordingsDeleted,
                                      DeletionEffect::kDeleteNow, false, false, false)
                            : Success(DeletionSuccess::kRoomClosed, DeletionEffect::kCloseNow,
                                      false, false, true);
  }
  // Active meeting. With `force` the response already says "deleted"/"closed", but the room is
  // only marked (meetingEndAction) and the LiveKit room is removed now; the row itself goes away
  // when the meeting-end handling applies the action.
  if (!has_recordings) {
    return force_meeting ? Success(DeletionSuccess::kRoomWithActiveMeetingDeleted,
                                   DeletionEffect::kScheduleDelete, true, false, false)
                         : Success(DeletionSuccess::kRoomWithActiveMeetingScheduledToBeDeleted,
                                   DeletionEffect::kScheduleDelete, false, true, true);
  }
  if (force_meeting) {
    return force_recordings ? Success(DeletionSuccess::kRoomWithActiveMeetingAndRecordingsDeleted,
                                      DeletionEffect::kScheduleDelete, true, false, false)
                            : Success(DeletionSuccess::kRoomWithActiveMeetingClosed,
                                      DeletionEffect::kScheduleClose, true, false, true);
  }
  return force_recordings
             ? Success(DeletionSuccess::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted,
                       DeletionEffect::kScheduleDelete, false, true, true)
             : Success(DeletionSuccess::kRoomWithActiveMeetingScheduledToBeClosed,
                       DeletionEffect::kScheduleClose, false, true, true);
}

std::string DeletionConflictMessage(DeletionConflict conflict, std::string_view room_id) {
  const std::string room = "Room '" + std::string(room_id) + "'";
  switch (conflict) {
    case DeletionConflict::kRoomHasActiveMeeting:
      return room + " cannot be deleted because it has an active meeting.";
    case DeletionConflict::kRoomHasRecordings:
      return room + " cannot be deleted because it has recordings.";
    case DeletionConflict::kRoomWithActiveMeetingHasRecordings:
      return room + " with active meeting cannot be deleted because it has recordings.";
    case DeletionConflict::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion:
      return room +
             " with active meeting cannot be scheduled to be deleted because it has recordings.";
    case DeletionConflict::kRoomWithRecordingsHasActiveMeeting:
      return room + " with recordings cannot be deleted because it has an active meeting.";
  }
  return room;
}

std::string DeletionSuccessMessage(DeletionSuccess success, std::string_view room_id) {
  const std::string room = "Room '" + std::string(room_id) + "'";
  switch (success) {
    case DeletionSuccess::kRoomDeleted:
      return room + " deleted successfully";
    case DeletionSuccess::kRoomWithActiveMeetingDeleted:
      return room + " with active meeting deleted successfully";
    case DeletionSuccess::kRoomWithActiveMeetingScheduledToBeDeleted:
      // The spec table abbreviates this row ("... scheduled to be deleted when the meeting ends");
      // every published version of the reference's room service writes "with active meeting".
      return room + " with active meeting scheduled to be deleted when the meeting ends";
    case DeletionSuccess::kRoomAndRecordingsDeleted:
      return room + " and its recordings deleted successfully";
    case DeletionSuccess::kRoomClosed:
      return room + " has been closed instead of deleted because it has recordings";
    case DeletionSuccess::kRoomWithActiveMeetingAndRecordingsDeleted:
      return room + " with active meeting and its recordings deleted successfully";
    case DeletionSuccess::kRoomWithActiveMeetingClosed:
      return room +
             " with active meeting has been closed instead of deleted because it has recordings";
    case DeletionSuccess::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted:
      return room +
             " with active meeting and its recordings scheduled to be deleted when the meeting ends";
    case DeletionSuccess::kRoomWithActiveMeetingScheduledToBeClosed:
      return room +
             " with active meeting scheduled to be closed when the meeting ends because it has "
             "recordings";
  }
  return room;
}

}  // namespace convene::domain
