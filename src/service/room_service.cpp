#include "service/room_service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "domain/room_names.hpp"
#include "service/meeting_terminator.hpp"
#include "service/recordings_catalog.hpp"

namespace convene::service {

namespace asio = boost::asio;

using domain::Room;
using domain::RoomStatus;

namespace {

constexpr int kMaxIdAttempts = 8;
constexpr std::size_t kCollectorPageSize = 100;

}  // namespace

RoomService::RoomService(store::RoomStore& store, const Clock& clock, Random& random,
                         RecordingsCatalog& recordings)
    : store_(store), clock_(clock), random_(random), recordings_(recordings) {}

Error RoomService::RoomNotFound(std::string_view room_id) {
  return Error::Make(ErrorCode::kNotFound, "Room Error",
                     fmt::format("Room '{}' does not exist", room_id));
}

boost::asio::awaitable<Result<Room>> RoomService::Create(NewRoom params) {
  Room room;
  room.room_name = std::move(params.room_name);
  room.creation_date = clock_.NowMs();
  room.auto_deletion_date = params.auto_deletion_date;
  room.auto_deletion_policy = params.auto_deletion_policy;
  room.config = params.config;
  room.moderator_secret = domain::GenerateRoomSecret(random_);
  do {
    room.speaker_secret = domain::GenerateRoomSecret(random_);
  } while (room.speaker_secret == room.moderator_secret);
  // The suffix has 60 random bits, so a collision is practically impossible; the store's unique
  // key still decides, and we draw again rather than trust luck (deviations §7.3).
  for (int attempt = 0; attempt < kMaxIdAttempts; ++attempt) {
    room.room_id = domain::GenerateRoomId(room.room_name, random_);
    Result<void> created = co_await store_.CreateRoom(room);
    if (created) co_return room;
    if (created.error().code != ErrorCode::kAlreadyExists) co_return Fail(created.error());
  }
  co_return Fail(Error::Internal("Unexpected error while creating room"));
}

boost::asio::awaitable<Result<Room>> RoomService::Get(std::string_view room_id) {
  auto found = co_await store_.GetRoom(room_id);
  if (!found) co_return Fail(found.error());
  if (!*found) co_return Fail(RoomNotFound(room_id));
  co_return std::move(**found);
}

boost::asio::awaitable<Result<store::RoomPage>> RoomService::List(std::string_view prefix,
                                                                  std::string_view after_room_id,
                                                                  std::size_t limit) {
  co_return co_await store_.ListRooms(prefix, after_room_id, limit);
}

boost::asio::awaitable<Result<DeletionOutcome>> RoomService::Delete(
    std::string_view room_id, domain::WithMeetingPolicy with_meeting,
    domain::WithRecordingsPolicy with_recordings) {
  auto has_recordings = co_await recordings_.HasRecordings(room_id);
  if (!has_recordings) co_return Fail(has_recordings.error());

  // The decision is taken inside the store transaction so that a concurrent status change (a
  // meeting starting) cannot slip between the check and the write.
  domain::DeletionDecision decision;
  const std::string id(room_id);
  auto updated = co_await store_.UpdateRoom(
      room_id, [&decision, &id, recordings = *has_recordings, with_meeting,
                with_recordings](Room& room) -> Result<store::UpdateAction> {
        decision = domain::DecideDeletion(room.status == RoomStatus::kActiveMeeting, recordings,
                                          with_meeting, with_recordings);
        if (decision.conflict) {
          return Fail(Error::Make(ErrorCode::kFailedPrecondition,
                                  std::string(domain::ToString(*decision.conflict)),
                                  domain::DeletionConflictMessage(*decision.conflict, id)));
        }
        switch (decision.effect) {
          case domain::DeletionEffect::kDeleteNow:
            return store::UpdateAction::kDelete;
          case domain::DeletionEffect::kCloseNow:
            room.status = RoomStatus::kClosed;
            return store::UpdateAction::kSave;
          case domain::DeletionEffect::kScheduleDelete:
            room.meeting_end_action = domain::MeetingEndAction::kDelete;
            return store::UpdateAction::kSave;
          case domain::DeletionEffect::kScheduleClose:
            room.meeting_end_action = domain::MeetingEndAction::kClose;
            return store::UpdateAction::kSave;
        }
        return store::UpdateAction::kKeep;
      });
  if (!updated) co_return Fail(updated.error());
  if (!*updated) co_return Fail(RoomNotFound(room_id));

  if (decision.effect == domain::DeletionEffect::kDeleteNow && *has_recordings) {
    auto deleted = co_await recordings_.DeleteAllForRoom(room_id);
    if (!deleted) co_return Fail(deleted.error());
  }
  if (decision.end_livekit_meeting && terminator_ != nullptr) {
    // The room's meetingEndAction is already recorded; ending the meeting applies it.
    auto ended = co_await terminator_->EndMeeting(room_id);
    if (!ended) co_return Fail(ended.error());
  }
  if (decision.effect == domain::DeletionEffect::kDeleteNow && terminator_ != nullptr) {
    // In the background: the deletion is done and acknowledged; cleaning LiveKit up must not
    // make it (or the collector deleting hundreds of rooms) wait on LiveKit. A participant who
    // joins meanwhile is refused on participant_joined anyway.
    // Named locals, not temporaries inside the co_await expression (GCC 12, see sqlite_connections.hpp).
    auto executor = co_await asio::this_coro::executor;
    auto cleanup = terminator_->RoomDeleted(std::string(room_id));
    asio::co_spawn(executor, std::move(cleanup), asio::detached);
  }

  DeletionOutcome outcome;
  outcome.decision = decision;
  outcome.message = domain::DeletionSuccessMessage(decision.success, room_id);
  if (decision.include_room) outcome.room = std::move(**updated);
  co_return outcome;
}

boost::asio::awaitable<Result<Room>> RoomService::UpdateConfig(std::string_view room_id,
                                                               domain::RoomConfig config) {
  auto updated = co_await store_.UpdateRoom(
      room_id, [&config](Room& room) -> Result<store::UpdateAction> {
        room.config = config;
        return store::UpdateAction::kSave;
      });
  if (!updated) co_return Fail(updated.error());
  if (!*updated) co_return Fail(RoomNotFound(room_id));
  co_return std::move(**updated);
}

boost::asio::awaitable<Result<StatusOutcome>> RoomService::UpdateStatus(std::string_view room_id,
                                                                        RoomStatus status) {
  bool scheduled = false;
  auto updated = co_await store_.UpdateRoom(
      room_id, [status, &scheduled](Room& room) -> Result<store::UpdateAction> {
        if (status == RoomStatus::kClosed && room.status == RoomStatus::kActiveMeeting) {
          room.meeting_end_action = domain::MeetingEndAction::kClose;
          scheduled = true;
        } else {
          // As the reference (Q6): `open` during a meeting overwrites `active_meeting`.
          room.status = status;
          room.meeting_end_action = domain::MeetingEndAction::kNone;
        }
        return store::UpdateAction::kSave;
      });
  if (!updated) co_return Fail(updated.error());
  if (!*updated) co_return Fail(RoomNotFound(room_id));
  StatusOutcome outcome;
  outcome.scheduled = scheduled;
  outcome.message = scheduled
                        ? fmt::format("Room '{}' scheduled to be closed when the meeting ends", room_id)
                        : fmt::format("Room '{}' {} successfully", room_id, domain::ToString(status));
  outcome.room = std::move(**updated);
  co_return outcome;
}

boost::asio::awaitable<Result<std::size_t>> RoomService::CollectExpired() {
  const std::int64_t now = clock_.NowMs();
  std::size_t processed = 0;
  std::string after;
  while (true) {
    auto page = co_await store_.ListExpiredRooms(now, after, kCollectorPageSize);
    if (!page) co_return Fail(page.error());
    for (const Room& room : page->rooms) {
      after = room.room_id;
      auto outcome = co_await Delete(room.room_id, room.auto_deletion_policy.with_meeting,
                                     room.auto_deletion_policy.with_recordings);
      if (outcome) {
        ++processed;
        spdlog::info("auto-deletion: {}", outcome->message);
      } else if (outcome.error().code != ErrorCode::kNotFound) {
        spdlog::warn("auto-deletion of room '{}' failed: {}", room.room_id, outcome.error().message);
      }
    }
    if (!page->truncated) break;
  }
  co_return processed;
}

}  // namespace convene::service
