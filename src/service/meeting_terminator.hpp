#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::service {

/// Ends the live meeting of a room on the media server (LiveKit DeleteRoom). Used by room deletion
/// with `withMeeting=force`; implemented by the participant/meeting layer on top of the LiveKit
/// client. Ending a meeting that does not exist succeeds.
class MeetingTerminator {
 public:
  virtual ~MeetingTerminator() = default;
  virtual boost::asio::awaitable<Result<void>> EndMeeting(std::string_view room_id) = 0;
  /// The room is gone from the store (deleted now): whatever lives on for it elsewhere goes too.
  /// Never fails; problems are logged. Takes the id by value: it runs detached from the deletion.
  virtual boost::asio::awaitable<void> RoomDeleted(std::string room_id) = 0;
};

}  // namespace convene::service
