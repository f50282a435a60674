#include "domain/room_deletion.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace convene::domain {
namespace {

using C = DeletionConflict;
using E = DeletionEffect;
using S = DeletionSuccess;
using WM = WithMeetingPolicy;
using WR = WithRecordingsPolicy;

/// One cell of reference §7.2/§7.3. For conflicts only `conflict` and `message` matter.
struct Cell {
  bool active;
  bool recordings;
  WM with_meeting;
  WR with_recordings;
  std::optional<C> conflict;
  S success;
  E effect;
  bool end_livekit_meeting;
  bool scheduled;
  bool include_room;
  std::string message;  // for room id "r1"
};

void PrintTo(const Cell& c, std::ostream* os) {
  *os << "active=" << c.active << " recordings=" << c.recordings
      << " withMeeting=" << ToString(c.with_meeting)
      << " withRecordings=" << ToString(c.with_recordings);
}

Cell Fails(bool active, bool recordings, WM wm, WR wr, C conflict, std::string message) {
  return Cell{active, recordings, wm,    wr,    conflict, S::kRoomDeleted,
              E::kDeleteNow, false, false, false, std::move(message)};
}

Cell Succeeds(bool active, bool recordings, WM wm, WR wr, S success, E effect, bool end_livekit,
              bool scheduled, bool include_room, std::string message) {
  return Cell{active,  recordings, wm,        wr,           std::nullopt,      success,
              effect,  end_livekit, scheduled, include_room, std::move(message)};
}

// Messages, written out in full for room "r1".
const std::string kDeleted = "Room 'r1' deleted successfully";
const std::string kActiveDeleted = "Room 'r1' with active meeting deleted successfully";
const std::string kActiveScheduledDelete =
    "Room 'r1' with active meeting scheduled to be deleted when the meeting ends";
const std::string kRecordingsDeleted = "Room 'r1' and its recordings deleted successfully";
const std::string kClosed =
    "Room 'r1' has been closed instead of deleted because it has recordings";
const std::string kActiveRecordingsDeleted =
    "Room 'r1' with active meeting and its recordings deleted successfully";
const std::string kActiveClosed =
    "Room 'r1' with active meeting has been closed instead of deleted because it has recordings";
const std::string kActiveRecordingsScheduledDelete =
    "Room 'r1' with active meeting and its recordings scheduled to be deleted when the meeting "
    "ends";
const std::string kActiveScheduledClose =
    "Room 'r1' with active meeting scheduled to be closed when the meeting ends because it has "
    "recordings";
const std::string kHasActiveMeeting =
    "Room 'r1' cannot be deleted because it has an active meeting.";
const std::string kWithRecordingsHasActiveMeeting =
    "Room 'r1' with recordings cannot be deleted because it has an active meeting.";
const std::string kHasRecordings = "Room 'r1' cannot be deleted because it has recordings.";
const std::string kActiveHasRecordings =
    "Room 'r1' with active meeting cannot be deleted because it has recordings.";
const std::string kActiveCannotSchedule =
    "Room 'r1' with active meeting cannot be scheduled to be deleted because it has recordings.";

// All 2 x 2 x 3 x 3 = 36 combinations, in order: active, recordings, withMeeting, withRecordings.
const std::vector<Cell> kTable = {
    // No active meeting, no recordings: always deleted now, policies are irrelevant.
    Succeeds(false, false, WM::kForce, WR::kForce, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),
    Succeeds(false, false, WM::kForce, WR::kClose, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),
    Succeeds(false, false, WM::kForce, WR::kFail, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),
    Succeeds(false, false, WM::kWhenMeetingEnds, WR::kForce, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),
    Succeeds(false, false, WM::kWhenMeetingEnds, WR::kClose, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),
    Succeeds(false, false, WM::kWhenMeetingEnds, WR::kFail, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),
    Succeeds(false, false, WM::kFail, WR::kForce, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),
    Succeeds(false, false, WM::kFail, WR::kClose, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),
    Succeeds(false, false, WM::kFail, WR::kFail, S::kRoomDeleted, E::kDeleteNow, false, false, false, kDeleted),

    // No active meeting, recordings: withRecordings decides, withMeeting is irrelevant.
    Succeeds(false, true, WM::kForce, WR::kForce, S::kRoomAndRecordingsDeleted, E::kDeleteNow, false, false, false, kRecordingsDeleted),
    Succeeds(false, true, WM::kForce, WR::kClose, S::kRoomClosed, E::kCloseNow, false, false, true, kClosed),
    Fails(false, true, WM::kForce, WR::kFail, C::kRoomHasRecordings, kHasRecordings),
    Succeeds(false, true, WM::kWhenMeetingEnds, WR::kForce, S::kRoomAndRecordingsDeleted, E::kDeleteNow, false, false, false, kRecordingsDeleted),
    Succeeds(false, true, WM::kWhenMeetingEnds, WR::kClose, S::kRoomClosed, E::kCloseNow, false, false, true, kClosed),
    Fails(false, true, WM::kWhenMeetingEnds, WR::kFail, C::kRoomHasRecordings, kHasRecordings),
    Succeeds(false, true, WM::kFail, WR::kForce, S::kRoomAndRecordingsDeleted, E::kDeleteNow, false, false, false, kRecordingsDeleted),
    Succeeds(false, true, WM::kFail, WR::kClose, S::kRoomClosed, E::kCloseNow, false, false, true, kClosed),
    Fails(false, true, WM::kFail, WR::kFail, C::kRoomHasRecordings, kHasRecordings),

    // Active meeting, no recordings: withMeeting decides, withRecordings is irrelevant.
    Succeeds(true, false, WM::kForce, WR::kForce, S::kRoomWithActiveMeetingDeleted, E::kScheduleDelete, true, false, false, kActiveDeleted),
    Succeeds(true, false, WM::kForce, WR::kClose, S::kRoomWithActiveMeetingDeleted, E::kScheduleDelete, true, false, false, kActiveDeleted),
    Succeeds(true, false, WM::kForce, WR::kFail, S::kRoomWithActiveMeetingDeleted, E::kScheduleDelete, true, false, false, kActiveDeleted),
    Succeeds(true, false, WM::kWhenMeetingEnds, WR::kForce, S::kRoomWithActiveMeetingScheduledToBeDeleted, E::kScheduleDelete, false, true, true, kActiveScheduledDelete),
    Succeeds(true, false, WM::kWhenMeetingEnds, WR::kClose, S::kRoomWithActiveMeetingScheduledToBeDeleted, E::kScheduleDelete, false, true, true, kActiveScheduledDelete),
    Succeeds(true, false, WM::kWhenMeetingEnds, WR::kFail, S::kRoomWithActiveMeetingScheduledToBeDeleted, E::kScheduleDelete, false, true, true, kActiveScheduledDelete),
    Fails(true, false, WM::kFail, WR::kForce, C::kRoomHasActiveMeeting, kHasActiveMeeting),
    Fails(true, false, WM::kFail, WR::kClose, C::kRoomHasActiveMeeting, kHasActiveMeeting),
    Fails(true, false, WM::kFail, WR::kFail, C::kRoomHasActiveMeeting, kHasActiveMeeting),

    // Active meeting and recordings: both policies matter.
    Succeeds(true, true, WM::kForce, WR::kForce, S::kRoomWithActiveMeetingAndRecordingsDeleted, E::kScheduleDelete, true, false, false, kActiveRecordingsDeleted),
    Succeeds(true, true, WM::kForce, WR::kClose, S::kRoomWithActiveMeetingClosed, E::kScheduleClose, true, false, true, kActiveClosed),
    Fails(true, true, WM::kForce, WR::kFail, C::kRoomWithActiveMeetingHasRecordings, kActiveHasRecordings),
    Succeeds(true, true, WM::kWhenMeetingEnds, WR::kForce, S::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted, E::kScheduleDelete, false, true, true, kActiveRecordingsScheduledDelete),
    Succeeds(true, true, WM::kWhenMeetingEnds, WR::kClose, S::kRoomWithActiveMeetingScheduledToBeClosed, E::kScheduleClose, false, true, true, kActiveScheduledClose),
    Fails(true, true, WM::kWhenMeetingEnds, WR::kFail, C::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion, kActiveCannotSchedule),
    Fails(true, true, WM::kFail, WR::kForce, C::kRoomWithRecordingsHasActiveMeeting, kWithRecordingsHasActiveMeeting),
    Fails(true, true, WM::kFail, WR::kClose, C::kRoomWithRecordingsHasActiveMeeting, kWithRecordingsHasActiveMeeting),
    Fails(true, true, WM::kFail, WR::kFail, C::kRoomWithRecordingsHasActiveMeeting, kWithRecordingsHasActiveMeeting),
};

class DeletionTableCell : public testing::TestWithParam<Cell> {};

TEST_P(DeletionTableCell, MatchesReferenceDecisionAndMessage) {
  const Cell& cell = GetParam();
  const DeletionDecision d =
      DecideDeletion(cell.active, cell.recordings, cell.with_meeting, cell.with_recordings);
  ASSERT_EQ(d.conflict, cell.conflict);
  if (d.conflict) {
    EXPECT_EQ(DeletionConflictMessage(*d.conflict, "r1"), cell.message);
    // A conflict changes nothing, so no side effect may be requested.
    EXPECT_FALSE(d.end_livekit_meeting);
    EXPECT_FALSE(d.scheduled);
    EXPECT_FALSE(d.include_room);
    return;
  }
  EXPECT_EQ(d.success, cell.success);
  EXPECT_EQ(d.effect, cell.effect);
  EXPECT_EQ(d.end_livekit_meeting, cell.end_livekit_meeting);
  EXPECT_EQ(d.scheduled, cell.scheduled);
  EXPECT_EQ(d.include_room, cell.include_room);
  EXPECT_EQ(DeletionSuccessMessage(d.success, "r1"), cell.message);
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, DeletionTableCell, testing::ValuesIn(kTable));

TEST(DeletionTable, CoversEveryCombinationExactlyOnce) {
  std::set<std::tuple<bool, bool, WM, WR>> seen;
  for (const Cell& c : kTable) {
    EXPECT_TRUE(seen.insert({c.active, c.recordings, c.with_meeting, c.with_recordings}).second);
  }
  EXPECT_EQ(seen.size(), 36u);
}

TEST(DeletionDecision, ScheduledExactlyForTheThreeScheduledCodes) {
  for (const Cell& c : kTable) {
    if (c.conflict) continue;
    const bool scheduled_code = c.success == S::kRoomWithActiveMeetingScheduledToBeDeleted ||
                                c.success == S::kRoomWithActiveMeetingScheduledToBeClosed ||
                                c.success ==
                                    S::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted;
    EXPECT_EQ(c.scheduled, scheduled_code) << ToString(c.success);
  }
}

TEST(DeletionCodes, UseTheReferenceWireSpelling) {
  EXPECT_EQ(ToString(S::kRoomDeleted), "room_deleted");
  EXPECT_EQ(ToString(S::kRoomWithActiveMeetingDeleted), "room_with_active_meeting_deleted");
  EXPECT_EQ(ToString(S::kRoomWithActiveMeetingScheduledToBeDeleted),
            "room_with_active_meeting_scheduled_to_be_deleted");
  EXPECT_EQ(ToString(S::kRoomAndRecordingsDeleted), "room_and_recordings_deleted");
  EXPECT_EQ(ToString(S::kRoomClosed), "room_closed");
  EXPECT_EQ(ToString(S::kRoomWithActiveMeetingAndRecordingsDeleted),
            "room_with_active_meeting_and_recordings_deleted");
  EXPECT_EQ(ToString(S::kRoomWithActiveMeetingClosed), "room_with_active_meeting_closed");
  EXPECT_EQ(ToString(S::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted),
            "room_with_active_meeting_and_recordings_scheduled_to_be_deleted");
  EXPECT_EQ(ToString(S::kRoomWithActiveMeetingScheduledToBeClosed),
            "room_with_active_meeting_scheduled_to_be_closed");
  EXPECT_EQ(ToString(C::kRoomHasActiveMeeting), "room_has_active_meeting");
  EXPECT_EQ(ToString(C::kRoomHasRecordings), "room_has_recordings");
  EXPECT_EQ(ToString(C::kRoomWithActiveMeetingHasRecordings),
            "room_with_active_meeting_has_recordings");
  EXPECT_EQ(ToString(C::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion),
            "room_with_active_meeting_has_recordings_cannot_schedule_deletion");
  EXPECT_EQ(ToString(C::kRoomWithRecordingsHasActiveMeeting),
            "room_with_recordings_has_active_meeting");
}

}  // namespace
}  // namespace convene::domain
