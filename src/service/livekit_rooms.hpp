#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include <boost/asio/awaitable.hpp>

#include "clients/livekit_client.hpp"
#include "core/result.hpp"
#include "domain/room.hpp"

namespace convene::service {

struct LiveKitRoomsOptions {
  std::string name_id = "openviduMeet";            // MEET_NAME_ID, written as createdBy
  std::optional<std::uint32_t> empty_timeout;      // MEETING_EMPTY_TIMEOUT (seconds)
  std::optional<std::uint32_t> departure_timeout;  // MEETING_DEPARTURE_TIMEOUT (seconds)
};

/// Convene's view of the LiveKit rooms backing Meet rooms. Remembers which LiveKit rooms it knows
/// exist, so issuing a named token costs no LiveKit round trip once the room is up (the reference
/// does ListRooms + CreateRoom on every named token). The memory is dropped when the meeting ends
/// (room_finished, end meeting) or when reconciliation finds the room gone.
class LiveKitRooms {
 public:
  LiveKitRooms(livekit::RoomServiceClient& client, LiveKitRoomsOptions options);

  /// Creates the LiveKit room for `room` unless known to exist (CreateRoom is idempotent). Sends
  /// the reference's metadata and Convene's maxParticipants. True when it asked LiveKit now (the
  /// room was not known to exist).
  /// Errors: 503 `LiveKit Error` when LiveKit is unreachable, else 500
  /// `Unexpected error while creating LiveKit room`.
  boost::asio::awaitable<Result<bool>> Ensure(const domain::Room& room);
  /// Deletes the LiveKit room (disconnecting whoever is in it) and forgets it; a room LiveKit does
  /// not have counts as deleted. On failure logs why and returns false; `why` names the reason
  /// for the log ("deleted room").
  boost::asio::awaitable<bool> Delete(std::string_view room_id, std::string_view why);
  /// Whether LiveKit has the room (from memory, else ListRooms).
  boost::asio::awaitable<Result<bool>> Exists(std::string_view room_id);
  /// The LiveKit room is gone (deleted here, room_finished, reconciliation): forgets it and tells
  /// the forget listener, so other instances forget it too. Without that, another instance would
  /// keep issuing tokens for a room LiveKit no longer has, and LiveKit would auto-create it on
  /// join without Convene's metadata.
  void Forget(std::string_view room_id);
  /// Forgets a room another instance reported gone (no listener call: no echo).
  void ForgetLocally(std::string_view room_id);
  /// Forgets everything (changes from other instances may have been missed).
  void ForgetAll();
  void Remember(std::string_view room_id);
  /// Called by Forget() with the room id; set once at start-up, before serving.
  void SetForgetListener(std::function<void(std::string_view room_id)> listener) {
    forget_listener_ = std::move(listener);
  }

  /// {"createdBy": MEET_NAME_ID, "roomOptions": {roomName, autoDeletionDate?, autoDeletionPolicy, config}}
  std::string MetadataFor(const domain::Room& room) const;
  /// The ownership check of reference §14.2 on room metadata: createdBy == MEET_NAME_ID.
  bool CreatedByUs(std::string_view metadata) const;

  livekit::RoomServiceClient& client() { return client_; }

 private:
  livekit::RoomServiceClient& client_;
  LiveKitRoomsOptions options_;
  std::mutex mutex_;
  std::unordered_set<std::string> known_;
  std::function<void(std::string_view)> forget_listener_;
};

/// Maps a LiveKit client failure to the API error of an operation: unreachable → 503
/// `LiveKit Error`/`LiveKit is not available`; anything else → 500 with `fallback_message`.
Error LiveKitFailure(const Error& error, std::string fallback_message);

}  // namespace convene::service
