#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "registry/participant_registry.hpp"

namespace convene::registry {

/// The registry for a single Convene instance: per-room state under a per-room mutex, so
/// operations on different rooms never contend and each operation on one room is atomic. Every
/// operation is O(1) expected, except name allocation, which is amortised O(log n) in the number of
/// same-name participants (see RoomState::Allocate). Nothing here blocks on I/O.
class InProcessRegistry final : public ParticipantRegistry {
 public:
  InProcessRegistry();
  ~InProcessRegistry() override;

  boost::asio::awaitable<Result<ParticipantRecord>> Admit(AdmissionRequest request) override;
  boost::asio::awaitable<Result<void>> Rollback(std::string_view room_id, std::string_view identity,
                                                std::uint64_t generation) override;
  boost::asio::awaitable<Result<bool>> MarkJoined(std::string_view room_id, std::string_view identity,
                                                  std::string_view name, std::int64_t now_ms) override;
  boost::asio::awaitable<Result<bool>> MarkLeft(std::string_view room_id, std::string_view identity,
                                                std::string_view name) override;
  boost::asio::awaitable<Result<void>> Ban(std::string_view room_id, std::string_view identity) override;
  boost::asio::awaitable<Result<void>> Unban(std::string_view room_id, std::string_view identity) override;
  boost::asio::awaitable<Result<void>> RestoreRoles(std::string_view room_id,
                                                    const ParticipantRecord& previous) override;
  boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> SetRole(
      std::string_view room_id, std::string_view identity, domain::ParticipantRole role) override;
  boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> Get(std::string_view room_id,
                                                                       std::string_view identity) override;
  boost::asio::awaitable<Result<bool>> IsBanned(std::string_view room_id, std::string_view identity) override;
  boost::asio::awaitable<Result<std::vector<ParticipantRecord>>> List(std::string_view room_id) override;
  boost::asio::awaitable<Result<void>> FinishMeeting(std::string_view room_id,
                                                     std::int64_t finished_at_ms) override;
  boost::asio::awaitable<Result<bool>> ReleaseStale(std::string_view room_id, std::string_view identity,
                                                    std::int64_t reserved_before_ms) override;
  boost::asio::awaitable<Result<std::vector<std::string>>> Rooms() override;

  /// Synchronous cores of the operations above, for unit tests and benchmarks.
  Result<ParticipantRecord> AdmitNow(const AdmissionRequest& request);
  bool MarkLeftNow(std::string_view room_id, std::string_view identity, std::string_view name);
  std::size_t ParticipantCount() const;

 private:
  struct RoomState;
  /// A room's state with its mutex held; empty when the room has no state and `create` was false.
  struct LockedRoom {
    std::shared_ptr<RoomState> room;
    std::unique_lock<std::mutex> lock;
    RoomState* operator->() const { return room.get(); }
    explicit operator bool() const { return room != nullptr; }
  };
  LockedRoom LockRoom(std::string_view room_id, bool create);
  /// Unlocks `locked` and forgets the room when it holds nothing any more (bounded memory).
  void Release(LockedRoom& locked, std::string_view room_id);

  mutable std::shared_mutex rooms_mutex_;
  std::unordered_map<std::string, std::shared_ptr<RoomState>> rooms_;
  std::atomic<std::uint64_t> generations_{0};
};

}  // namespace convene::registry
