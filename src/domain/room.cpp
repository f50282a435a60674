#include "domain/room.hpp"

#include <array>
#include <utility>

namespace convene::domain {
namespace {

// One table per enum keeps the wire spelling in a single place for both directions.
template <class E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<RoomStatus, 3> kRoomStatusNames{{{RoomStatus::kOpen, "open"},
                                                 {RoomStatus::kActiveMeeting, "active_meeting"},
                                                 {RoomStatus::kClosed, "closed"}}};
constexpr Names<MeetingEndAction, 3> kEndActionNames{{{MeetingEndAction::kNone, "none"},
                                                      {MeetingEndAction::kClose, "close"},
                                                      {MeetingEndAction::kDelete, "delete"}}};
constexpr Names<WithMeetingPolicy, 3> kWithMeetingNames{
    {{WithMeetingPolicy::kForce, "force"},
     {WithMeetingPolicy::kWhenMeetingEnds, "when_meeting_ends"},
     {WithMeetingPolicy::kFail, "fail"}}};
constexpr Names<WithRecordingsPolicy, 3> kWithRecordingsNames{
    {{WithRecordingsPolicy::kForce, "force"},
     {WithRecordingsPolicy::kClose, "close"},
     {WithRecordingsPolicy::kFail, "fail"}}};
constexpr Names<RecordingAccess, 3> kRecordingAccessNames{
    {{RecordingAccess::kAdmin, "admin"},
     {RecordingAccess::kAdminModerator, "admin_moderator"},
     {RecordingAccess::kAdminModeratorSpeaker, "admin_moderator_speaker"}}};

template <class E, std::size_t N>
std::string_view NameOf(const Names<E, N>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return {};
}

template <class E, std::size_t N>
std::optional<E> ValueOf(const Names<E, N>& names, std::string_view text) {
  for (const auto& [v, name] : names) {
    if (name == text) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(RoomStatus v) { return NameOf(kRoomStatusNames, v); }
std::string_view ToString(MeetingEndAction v) { return NameOf(kEndActionNames, v); }
std::string_view ToString(WithMeetingPolicy v) { return NameOf(kWithMeetingNames, v); }
std::string_view ToString(WithRecordingsPolicy v) { return NameOf(kWithRecordingsNames, v); }
std::string_view ToString(RecordingAccess v) { return NameOf(kRecordingAccessNames, v); }
std::optional<RoomStatus> ParseRoomStatus(std::string_view s) { return ValueOf(kRoomStatusNames, s); }
std::optional<MeetingEndAction> ParseMeetingEndAction(std::string_view s) {
  return ValueOf(kEndActionNames, s);
}
std::optional<WithMeetingPolicy> ParseWithMeetingPolicy(std::string_view s) {
  return ValueOf(kWithMeetingNames, s);
}
std::optional<WithRecordingsPolicy> ParseWithRecordingsPolicy(std::string_view s) {
  return ValueOf(kWithRecordingsNames, s);
}
std::optional<RecordingAccess> ParseRecordingAccess(std::string_view s) {
  return ValueOf(kRecordingAccessNames, s);
}

}  // namespace convene::domain
