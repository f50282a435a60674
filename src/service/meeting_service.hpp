#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "clients/livekit_client.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "domain/participant_role.hpp"
#include "domain/room.hpp"
#include "service/meeting_terminator.hpp"
#include "store/room_store.hpp"

namespace convene::registry {
class ParticipantRegistry;
}
namespace convene::tokens {
class RoleGrantCodec;
}

namespace convene::service {

class LiveKitRooms;
class RecordingsCatalog;

/// Notified of meeting lifecycle transitions (the outgoing-webhook layer subscribes).
class MeetingObserver {
 public:
  virtual ~MeetingObserver() = default;
  virtual void MeetingStarted(const domain::Room& room) = 0;
  virtual void MeetingEnded(const domain::Room& room) = 0;
};

struct MeetingServiceOptions {
  std::string livekit_url;  // public LIVEKIT_URL, written into participant metadata
  /// Base URL of the room links inside outgoing webhook payloads (MEET_BASE_URL, or
  /// http://localhost:<SERVER_PORT> as the reference's default).
  std::string webhook_base_url = "http://localhost:6080";
  /// How long a `reserved` name waits for its participant to join (MEET_NAME_PENDING_TTL).
  std::int64_t pending_ttl_ms = 2 * 60 * 1000;
  /// The store is shared with other instances (PostgreSQL): before each reconciliation pass,
  /// re-read which rooms are in `active_meeting`, since meetings may have started on another
  /// instance that this one never heard of. One store scan per pass.
  bool rescan_active_rooms = false;
};

/// Live meetings: end meeting, kick, role changes (reference §13 with deviations §2, §5), the
/// LiveKit webhook effects (§14 with deviations §6) and reconciliation against LiveKit.
class MeetingService final : public MeetingTerminator {
 public:
  MeetingService(store::RoomStore& store, registry::ParticipantRegistry& registry, LiveKitRooms& livekit,
                 RecordingsCatalog& recordings, const tokens::RoleGrantCodec& grants, const Clock& clock,
                 Random& random, MeetingServiceOptions options);

  void SetObserver(MeetingObserver* observer) { observer_ = observer; }
  /// Set once the server knows its bound port (SERVER_PORT=0 picks one).
  void SetWebhookBaseUrl(std::string base_url) { options_.webhook_base_url = std::move(base_url); }

  /// Outgoing webhooks: `enabled` says whether meetingStarted/meetingEnded events are recorded now
  /// (webhooks on and an API key to sign with, as the reference decides per event); `wake` tells
  /// the delivery worker that new events were committed.
  void SetWebhookSink(std::function<bool()> enabled, std::function<void()> wake) {
    webhooks_enabled_ = std::move(enabled);
    wake_delivery_ = std::move(wake);
  }

  /// Deletes the LiveKit room and applies the room's meetingEndAction at once (deviations §5.2).
  /// Idempotent: without a live meeting nothing changes. 404 when the Meet room does not exist.
  boost::asio::awaitable<Result<void>> EndMeeting(std::string_view room_id) override;
  /// The room was deleted from the store: its participant records go, and its LiveKit room with
  /// whoever is in it (tokens issued before the deletion must not keep a meeting going).
  boost::asio::awaitable<void> RoomDeleted(std::string room_id) override;
  /// Remove + ban until the meeting ends (deviations §5.1).
  boost::asio::awaitable<Result<void>> Kick(std::string_view room_id, std::string_view identity);
  /// Registry first, then LiveKit metadata, then the two `meet_participant_role_updated` signals.
  boost::asio::awaitable<Result<void>> ChangeRole(std::string_view room_id, std::string_view identity,
                                                  domain::ParticipantRole role);
  /// `meet_room_config_updated` signal and LiveKit room metadata (deviations §6.4). Never fails the
  /// caller: a missing or unreachable LiveKit room only produces a log line.
  boost::asio::awaitable<void> RoomConfigUpdated(const domain::Room& room, std::string metadata);

  // LiveKit webhook effects; each is safe to run twice.
  boost::asio::awaitable<Result<void>> ParticipantJoined(std::string_view room_id,
                                                         const livekit::Participant& participant);
  boost::asio::awaitable<Result<void>> ParticipantLeft(std::string_view room_id,
                                                       const livekit::Participant& participant);
  boost::asio::awaitable<Result<void>> RoomFinished(std::string_view room_id, std::int64_t finished_at_ms);
  /// Whether a LiveKit participant joined with a token this deployment issued: its metadata is the
  /// one Convene writes into participant tokens (this LIVEKIT_URL and a role list).
  bool IssuedByThisDeployment(const livekit::Participant& participant) const;
  /// A participant joined the LiveKit room of a Meet room that no longer exists (LiveKit created
  /// it again on join): the LiveKit room goes, with whoever is in it; if that fails, the
  /// participant is refused (removed, retried by reconciliation).
  boost::asio::awaitable<void> RefuseInDeletedRoom(std::string_view room_id, const livekit::Participant& participant);

  /// One reconciliation pass (deviations §6.3). Returns the number of corrections made.
  boost::asio::awaitable<Result<std::size_t>> Reconcile();
  /// Start-up: learn which rooms are in `active_meeting` (one scan of the store). Replaces what
  /// was known, so rooms whose meeting ended elsewhere are dropped too.
  boost::asio::awaitable<Result<void>> LoadActiveRooms();

 private:
  /// The room_finished transition: only a room in `active_meeting` changes (deviations §6.2).
  boost::asio::awaitable<Result<void>> ApplyMeetingEnd(std::string_view room_id, std::int64_t finished_at_ms);
  void TrackActive(std::string_view room_id, bool active);
  /// Removes a participant who may not be in the room (banned, room closed or deleted); when the
  /// removal fails it is remembered and retried by every reconciliation pass until LiveKit
  /// confirms the participant is gone.
  boost::asio::awaitable<void> Refuse(std::string_view room_id, std::string_view identity);
  /// Events for the outbox, written in the store transaction of the room change (deviations §8):
  /// one `event_type` webhook when `*fired` was set by the mutator and webhooks are enabled.
  store::RoomEventsFn WebhookEvents(std::string event_type, const bool* fired);

  store::RoomStore& store_;
  registry::ParticipantRegistry& registry_;
  LiveKitRooms& livekit_;
  RecordingsCatalog& recordings_;
  const tokens::RoleGrantCodec& grants_;
  const Clock& clock_;
  Random& random_;
  MeetingServiceOptions options_;
  MeetingObserver* observer_ = nullptr;
  std::function<bool()> webhooks_enabled_;
  std::function<void()> wake_delivery_;
  std::mutex active_mutex_;
  std::set<std::string> active_rooms_;
  std::mutex refused_mutex_;
  std::set<std::pair<std::string, std::string>> refused_;  // (room, identity) still to remove
};

}  // namespace convene::service
