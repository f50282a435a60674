#include "service/meeting_service.hpp"

#include <algorithm>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "domain/room_json.hpp"
#include "registry/participant_registry.hpp"
#include "service/livekit_rooms.hpp"
#include "service/participant_service.hpp"
#include "service/recordings_catalog.hpp"
#include "service/room_service.hpp"
#include "store/room_store.hpp"
#include "tokens/participant_token.hpp"
#include "tokens/role_grant.hpp"
#include "webhooks/webhook_signer.hpp"

namespace convene::service {

namespace json = boost::json;
using domain::Room;
using domain::RoomStatus;

namespace {

constexpr std::string_view kRoleUpdatedTopic = "meet_participant_role_updated";
constexpr std::string_view kConfigUpdatedTopic = "meet_room_config_updated";
constexpr std::size_t kScanPageSize = 500;

}  // namespace

MeetingService::MeetingService(store::RoomStore& store, registry::ParticipantRegistry& registry,
                               LiveKitRooms& livekit, RecordingsCatalog& recordings,
                               const tokens::RoleGrantCodec& grants, const Clock& clock, Random& random,
                               MeetingServiceOptions options)
    : store_(store), registry_(registry), livekit_(livekit), recordings_(recordings), grants_(grants),
      clock_(clock), random_(random), options_(std::move(options)) {}

void MeetingService::TrackActive(std::string_view room_id, bool active) {
  std::lock_guard lock(active_mutex_);
  if (active) {
    active_rooms_.insert(std::string(room_id));
  } else {
    active_rooms_.erase(std::string(room_id));
  }
}

store::RoomEventsFn MeetingService::WebhookEvents(std::string event_type, const bool* fired) {
  if (!webhooks_enabled_ || !webhooks_enabled_()) return {};
  return [this, event_type = std::move(event_type), fired, id = "wh_" + random_.Hex(32),
          now = clock_.NowMs()](const Room& room, store::UpdateAction) -> std::vector<store::OutboxEvent> {
    if (!*fired) return {};
    return {webhooks::MakeWebhookEvent(event_type, domain::RoomToJson(room, options_.webhook_base_url), now, id)};
  };
}

boost::asio::awaitable<Result<void>> MeetingService::ApplyMeetingEnd(std::string_view room_id,
                                                                     std::int64_t finished_at_ms) {
  bool ended = false;
  bool deleted = false;
  const store::RoomEventsFn events = WebhookEvents("meetingEnded", &ended);
  auto updated = co_await store_.UpdateRoom(
      room_id, [&ended, &deleted](Room& room) -> Result<store::UpdateAction> {
        if (room.status != RoomStatus::kActiveMeeting) return store::UpdateAction::kKeep;
        ended = true;
        switch (room.meeting_end_action) {
          case domain::MeetingEndAction::kDelete:
            deleted = true;
            return store::UpdateAction::kDelete;
          case domain::MeetingEndAction::kClose:
            room.status = RoomStatus::kClosed;
            room.meeting_end_action = domain::MeetingEndAction::kNone;
            return store::UpdateAction::kSave;
          case domain::MeetingEndAction::kNone:
            room.status = RoomStatus::kOpen;
            return store::UpdateAction::kSave;
        }
        return store::UpdateAction::kKeep;
      },
      events);
  if (!updated) co_return Fail(updated.error());
  if (ended && events && wake_delivery_) wake_delivery_();
  TrackActive(room_id, false);
  livekit_.Forget(room_id);
  co_await registry_.FinishMeeting(room_id, finished_at_ms);
  if (deleted) {
    // The room is gone: so is what the registry recorded about its participants.
    co_await registry_.ForgetRoom(room_id);
    auto removed = co_await recordings_.DeleteAllForRoom(room_id);
    if (!removed) spdlog::warn("deleting recordings of room '{}' failed: {}", room_id, removed.error().message);
  }
  if (ended && *updated && observer_ != nullptr) observer_->MeetingEnded(**updated);
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> MeetingService::EndMeeting(std::string_view room_id) {
  auto room = co_await store_.GetRoom(room_id);
  if (!room) co_return Fail(room.error());
  if (!*room) co_return Fail(RoomService::RoomNotFound(room_id));
  auto deleted = co_await livekit_.client().DeleteRoom(room_id);
  if (!deleted && deleted.error().code != ErrorCode::kNotFound) {
    co_return Fail(LiveKitFailure(deleted.error(),
                                  fmt::format("Unexpected error while deleting LiveKit room '{}'", room_id)));
  }
  co_return co_await ApplyMeetingEnd(room_id, clock_.NowMs());
}

boost::asio::awaitable<Result<void>> MeetingService::Kick(std::string_view room_id, std::string_view identity) {
  auto room = co_await store_.GetRoom(room_id);
  if (!room) co_return Fail(room.error());
  if (!*room) co_return Fail(RoomService::RoomNotFound(room_id));
  auto participant = co_await livekit_.client().GetParticipant(room_id, identity);
  if (!participant) {
    if (participant.error().code == ErrorCode::kUnavailable) co_return Fail(LiveKitFailure(participant.error(), ""));
    co_return Fail(ParticipantNotFound(room_id, identity));
  }
  // Ban before removing, so a quick rejoin with the same token is already refused.
  auto banned = co_await registry_.Ban(room_id, identity, clock_.NowMs());
  if (!banned) co_return Fail(banned.error());
  auto removed = co_await livekit_.client().RemoveParticipant(room_id, identity);
  if (!removed && removed.error().code != ErrorCode::kNotFound) {
    // The kick did not happen, so neither does the ban: remove + ban is one operation.
    co_await registry_.Unban(room_id, identity);
    co_return Fail(LiveKitFailure(
        removed.error(), fmt::format("Unexpected error while kicking participant '{}' from room '{}'", identity, room_id)));
  }
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> MeetingService::ChangeRole(std::string_view room_id, std::string_view identity,
                                                                domain::ParticipantRole role) {
  auto room = co_await store_.GetRoom(room_id);
  if (!room) co_return Fail(room.error());
  if (!*room) co_return Fail(RoomService::RoomNotFound(room_id));

  auto previous = co_await registry_.Get(room_id, identity);
  if (!previous) co_return Fail(previous.error());
  auto record = co_await registry_.SetRole(room_id, identity, role);
  if (!record) co_return Fail(record.error());
  if (!*record) {
    // Not in the registry (joined with an external token, or this instance restarted): LiveKit
    // decides whether the participant exists.
    auto participant = co_await livekit_.client().GetParticipant(room_id, identity);
    if (!participant) {
      if (participant.error().code == ErrorCode::kUnavailable) co_return Fail(LiveKitFailure(participant.error(), ""));
      co_return Fail(ParticipantNotFound(room_id, identity));
    }
    co_await registry_.MarkJoined(room_id, identity, participant->name, clock_.NowMs());
    record = co_await registry_.SetRole(room_id, identity, role);
    if (!record) co_return Fail(record.error());
    if (!*record) co_return Fail(ParticipantNotFound(room_id, identity));
  }

  // The new metadata lists exactly the new role, so a demotion is visible and sticks (B3).
  const std::string metadata = tokens::MetadataJson(options_.livekit_url, {role}, role);
  auto updated = co_await livekit_.client().UpdateParticipantMetadata(room_id, identity, metadata);
  if (!updated) {
    // LiveKit still shows the old role: so must the registry (one state change, all or nothing).
    if (*previous) co_await registry_.RestoreRoles(room_id, **previous);
    if (updated.error().code == ErrorCode::kNotFound) co_return Fail(ParticipantNotFound(room_id, identity));
    co_return Fail(LiveKitFailure(
        updated.error(),
        fmt::format("Unexpected error while updating metadata for participant '{}' in room '{}'", identity, room_id)));
  }

  const std::int64_t now = clock_.NowMs();
  const std::string send_error = fmt::format("Unexpected error while sending data to LiveKit room '{}'", room_id);
  json::object payload{{"roomId", room_id},
                       {"participantIdentity", identity},
                       {"newRole", domain::ToString(role)},
                       {"timestamp", now}};
  // The target gets a participant-scoped grant, never the room's permanent secret (deviations §2.2).
  json::object for_target = payload;
  for_target["secret"] = grants_.Issue(room_id, identity, role, (*record)->grant_version);
  livekit::SendDataOptions to_target;
  to_target.topic = std::string(kRoleUpdatedTopic);
  to_target.destination_identities = {std::string(identity)};
  auto sent = co_await livekit_.client().SendData(room_id, json::serialize(for_target), to_target);
  if (!sent) co_return Fail(LiveKitFailure(sent.error(), send_error));

  auto participants = co_await livekit_.client().ListParticipants(room_id);
  if (!participants) co_return Fail(LiveKitFailure(participants.error(), send_error));
  livekit::SendDataOptions to_others;
  to_others.topic = std::string(kRoleUpdatedTopic);
  for (const auto& p : *participants) {
    if (p.identity != identity) to_others.destination_identities.push_back(p.identity);
  }
  // Never an empty destination list: LiveKit would broadcast it to everyone (B9).
  if (!to_others.destination_identities.empty()) {
    auto sent_others = co_await livekit_.client().SendData(room_id, json::serialize(payload), to_others);
    if (!sent_others) co_return Fail(LiveKitFailure(sent_others.error(), send_error));
  }
  co_return Result<void>{};
}

boost::asio::awaitable<void> MeetingService::RoomConfigUpdated(const Room& room, std::string metadata) {
  auto exists = co_await livekit_.Exists(room.room_id);
  if (!exists || !*exists) {
    if (!exists) spdlog::warn("room config signal for '{}' skipped: {}", room.room_id, exists.error().message);
    co_return;
  }
  const json::object payload{{"roomId", room.room_id},
                             {"config", domain::RoomConfigToJson(room.config)},
                             {"timestamp", clock_.NowMs()}};
  livekit::SendDataOptions options;
  options.topic = std::string(kConfigUpdatedTopic);
  auto sent = co_await livekit_.client().SendData(room.room_id, json::serialize(payload), options);
  if (!sent) spdlog::warn("room config signal for '{}' failed: {}", room.room_id, sent.error().message);
  auto updated = co_await livekit_.client().UpdateRoomMetadata(room.room_id, metadata);
  if (!updated) spdlog::warn("room metadata update for '{}' failed: {}", room.room_id, updated.error().message);
}

boost::asio::awaitable<Result<void>> MeetingService::ParticipantJoined(std::string_view room_id,
                                                                       const livekit::Participant& participant) {
  if (participant.IsEgress()) co_return Result<void>{};
  livekit_.Remember(room_id);
  auto admitted = co_await registry_.MarkJoined(room_id, participant.identity, participant.name, clock_.NowMs());
  if (!admitted) co_return Fail(admitted.error());
  bool refuse = !*admitted;  // banned: kicked until the meeting ends (deviations §5.1)

  bool started = false;
  const store::RoomEventsFn events = WebhookEvents("meetingStarted", &started);
  auto updated = co_await store_.UpdateRoom(room_id, [&started, &refuse](Room& room) -> Result<store::UpdateAction> {
    if (room.status == RoomStatus::kClosed) {
      // A closed room cannot be joined, not even with a token issued before it closed.
      refuse = true;
      return store::UpdateAction::kKeep;
    }
    if (refuse || room.status == RoomStatus::kActiveMeeting) return store::UpdateAction::kKeep;
    // The first participant who joins starts the meeting (deviations §6.2, fixes B7).
    room.status = RoomStatus::kActiveMeeting;
    started = true;
    return store::UpdateAction::kSave;
  }, events);
  if (!updated) co_return Fail(updated.error());
  if (!*updated) {
    // The room was deleted: a token issued before cannot keep a meeting going in it.
    refuse = true;
    co_await registry_.ForgetRoom(room_id);
  }
  if (started && events && wake_delivery_) wake_delivery_();
  if (refuse) {
    co_await Refuse(room_id, participant.identity);
    co_return Result<void>{};
  }
  if ((*updated)->status == RoomStatus::kActiveMeeting) TrackActive(room_id, true);
  if (started && observer_ != nullptr) observer_->MeetingStarted(**updated);
  co_return Result<void>{};
}

boost::asio::awaitable<void> MeetingService::Refuse(std::string_view room_id, std::string_view identity) {
  auto removed = co_await livekit_.client().RemoveParticipant(room_id, identity);
  if (removed || removed.error().code == ErrorCode::kNotFound) {
    std::lock_guard lock(refused_mutex_);
    refused_.erase({std::string(room_id), std::string(identity)});
    co_return;
  }
  // Kept until LiveKit confirms the participant is gone: reconciliation retries (deviations §5.1).
  spdlog::warn("could not remove refused participant from room '{}' (retried): {}", room_id, removed.error().message);
  std::lock_guard lock(refused_mutex_);
  refused_.insert({std::string(room_id), std::string(identity)});
}

bool MeetingService::IssuedByThisDeployment(const livekit::Participant& participant) const {
  boost::system::error_code ec;
  json::value metadata = json::parse(participant.metadata, ec);
  if (ec || !metadata.is_object()) return false;
  const json::object& o = metadata.get_object();
  const json::value* url = o.if_contains("livekitUrl");
  const json::value* roles = o.if_contains("roles");
  return url != nullptr && url->is_string() && url->get_string() == options_.livekit_url && roles != nullptr &&
         roles->is_array();
}

boost::asio::awaitable<void> MeetingService::RefuseInDeletedRoom(std::string_view room_id,
                                                                 const livekit::Participant& participant) {
  const bool gone = co_await livekit_.Delete(room_id, "deleted room");
  if (!gone) co_await Refuse(room_id, participant.identity);
}

boost::asio::awaitable<void> MeetingService::RoomDeleted(std::string room_id) {
  auto forgotten = co_await registry_.ForgetRoom(room_id);
  if (!forgotten) spdlog::warn("forgetting the participants of deleted room '{}' failed: {}", room_id, forgotten.error().message);
  TrackActive(room_id, false);
  // Tokens issued before the deletion must not keep a LiveKit room: whoever is in it goes.
  auto exists = co_await livekit_.Exists(room_id);
  if (exists && !*exists) co_return;
  co_await livekit_.Delete(room_id, "deleted room");
}

boost::asio::awaitable<Result<void>> MeetingService::ParticipantLeft(std::string_view room_id,
                                                                     const livekit::Participant& participant) {
  if (participant.IsEgress()) co_return Result<void>{};
  auto released = co_await registry_.MarkLeft(room_id, participant.identity, participant.name);
  if (!released) co_return Fail(released.error());
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> MeetingService::RoomFinished(std::string_view room_id,
                                                                  std::int64_t finished_at_ms) {
  co_return co_await ApplyMeetingEnd(room_id, finished_at_ms);
}

boost::asio::awaitable<Result<void>> MeetingService::LoadActiveRooms() {
  std::set<std::string> active;
  std::string after;
  while (true) {
    auto page = co_await store_.ListRooms("", after, kScanPageSize);
    if (!page) co_return Fail(page.error());
    for (const Room& room : page->rooms) {
      if (room.status == RoomStatus::kActiveMeeting) active.insert(room.room_id);
      after = room.room_id;
    }
    if (!page->truncated) break;
  }
  // A meeting that started during the scan, in a page already read, is missing here; the next
  // scan (or the participant_joined on this instance) brings it back.
  std::lock_guard lock(active_mutex_);
  active_rooms_ = std::move(active);
  co_return Result<void>{};
}

boost::asio::awaitable<Result<std::size_t>> MeetingService::Reconcile() {
  if (options_.rescan_active_rooms) {
    if (auto loaded = co_await LoadActiveRooms(); !loaded) co_return Fail(loaded.error());
  }
  // The rooms worth checking: those with a live meeting, and those with names held.
  std::set<std::string> candidates;
  {
    std::lock_guard lock(active_mutex_);
    candidates = active_rooms_;
  }
  auto registry_rooms = co_await registry_.Rooms();
  if (!registry_rooms) co_return Fail(registry_rooms.error());
  candidates.insert(registry_rooms->begin(), registry_rooms->end());

  const std::int64_t now = clock_.NowMs();
  std::size_t corrections = 0;
  // Refused participants whose removal failed: again, until LiveKit confirms they are gone.
  std::set<std::pair<std::string, std::string>> refused;
  {
    std::lock_guard lock(refused_mutex_);
    refused = refused_;
  }
  for (const auto& [room_id, identity] : refused) {
    co_await Refuse(room_id, identity);
    ++corrections;
  }
  if (auto pruned = co_await registry_.Prune(now); !pruned) {
    spdlog::warn("pruning the participant ledger failed: {}", pruned.error().message);
  }
  if (candidates.empty()) co_return corrections;

  std::vector<std::string> names(candidates.begin(), candidates.end());
  auto live = co_await livekit_.client().ListRooms(names);
  if (!live) co_return Fail(live.error());
  std::set<std::string> live_names;
  for (const auto& r : *live) live_names.insert(r.name);

  for (const std::string& room_id : candidates) {
    if (live_names.count(room_id) == 0) {
      // LiveKit no longer has it: as if room_finished arrived (a lost or reordered webhook). Only
      // names whose pending time is over are released, so a token just issued keeps its name.
      livekit_.Forget(room_id);
      bool was_active = false;
      {
        std::lock_guard lock(active_mutex_);
        was_active = active_rooms_.count(room_id) > 0;
      }
      if (was_active) {
        auto ended = co_await ApplyMeetingEnd(room_id, now - options_.pending_ttl_ms);
        if (!ended) spdlog::warn("reconciliation of room '{}' failed: {}", room_id, ended.error().message);
        ++corrections;
      } else {
        co_await registry_.FinishMeeting(room_id, now - options_.pending_ttl_ms);
      }
      continue;
    }
    auto participants = co_await livekit_.client().ListParticipants(room_id);
    if (!participants) continue;
    // Who may not be there: everyone, when the room was deleted or is closed (a closed room has
    // no meeting: whoever is in its LiveKit room joined after it closed), else the banned.
    auto room = co_await store_.GetRoom(room_id);
    if (!room) continue;
    const bool refuse_all = !*room || (*room)->status == RoomStatus::kClosed;
    if (!*room) co_await registry_.ForgetRoom(room_id);
    std::set<std::string> present;
    for (const auto& p : *participants) {
      if (p.IsEgress()) continue;
      if (refuse_all) {
        co_await Refuse(room_id, p.identity);
        ++corrections;
        continue;
      }
      auto admitted = co_await registry_.MarkJoined(room_id, p.identity, p.name, now);
      if (admitted && !*admitted) {
        co_await Refuse(room_id, p.identity);
        ++corrections;
        continue;
      }
      present.insert(p.identity);
    }
    if (refuse_all) continue;
    auto records = co_await registry_.List(room_id);
    if (!records) continue;
    for (const auto& record : *records) {
      if (present.count(record.identity) > 0) continue;
      if (record.presence == registry::Presence::kJoined) {
        // Joined but gone from LiveKit: its participant_left was lost.
        auto released = co_await registry_.MarkLeft(room_id, record.identity, record.name);
        if (released && *released) ++corrections;
      } else {
        auto released = co_await registry_.ReleaseStale(room_id, record.identity, now - options_.pending_ttl_ms);
        if (released && *released) ++corrections;
      }
    }
  }
  co_return corrections;
}

}  // namespace convene::service
