#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "domain/room.hpp"
#include "domain/room_deletion.hpp"
#include "store/room_store.hpp"

namespace convene::service {

class RecordingsCatalog;
class MeetingTerminator;

struct NewRoom {
  std::string room_name;  // already sanitised
  std::optional<std::int64_t> auto_deletion_date;
  domain::AutoDeletionPolicy auto_deletion_policy;
  domain::RoomConfig config;
};

struct DeletionOutcome {
  domain::DeletionDecision decision;
  std::string message;
  std::optional<domain::Room> room;  // the room after the change, when the decision includes it
};

struct StatusOutcome {
  bool scheduled = false;  // 202: close deferred to the end of the active meeting
  std::string message;
  domain::Room room;
};

/// Room use cases of the public API (reference §4.1, §7, §8). Rules live in domain/, persistence in
/// the store; this class sequences them and owns the error texts.
class RoomService {
 public:
  RoomService(store::RoomStore& store, const Clock& clock, Random& random,
              RecordingsCatalog& recordings);

  /// Wires the LiveKit side once it exists (end meetings on forced deletion).
  void SetMeetingTerminator(MeetingTerminator* terminator) { terminator_ = terminator; }

  boost::asio::awaitable<Result<domain::Room>> Create(NewRoom params);
  /// kNotFound "Room '<id>' does not exist".
  boost::asio::awaitable<Result<domain::Room>> Get(std::string_view room_id);
  boost::asio::awaitable<Result<store::RoomPage>> List(std::string_view prefix,
                                                       std::string_view after_room_id,
                                                       std::size_t limit);
  boost::asio::awaitable<Result<DeletionOutcome>> Delete(std::string_view room_id,
                                                         domain::WithMeetingPolicy with_meeting,
                                                         domain::WithRecordingsPolicy with_recordings);
  boost::asio::awaitable<Result<domain::Room>> UpdateConfig(std::string_view room_id,
                                                            domain::RoomConfig config);
  boost::asio::awaitable<Result<StatusOutcome>> UpdateStatus(std::string_view room_id,
                                                             domain::RoomStatus status);
  /// The auto-deletion collector's pass (reference §8): every room whose autoDeletionDate passed
  /// is deleted or closed with its own policy. Returns how many rooms were processed.
  boost::asio::awaitable<Result<std::size_t>> CollectExpired();

  static Error RoomNotFound(std::string_view room_id);

 private:
  store::RoomStore& store_;
  const Clock& clock_;
  Random& random_;
  RecordingsCatalog& recordings_;
  MeetingTerminator* terminator_ = nullptr;
};

}  // namespace convene::service
