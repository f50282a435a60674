#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>

#include "registry/participant_ledger.hpp"
#include "registry/participant_registry.hpp"

namespace convene::store {
class ParticipantLedgerStore;
}

namespace convene::registry {

struct InProcessRegistryOptions {
  /// How long a ban of an identity the registry never issued a token to is kept (its tokens'
  /// lifetime is unknown): a participant token's lifetime plus the refresh grace by default.
  std::int64_t unknown_identity_retention_ms = (2 + 24) * 3600 * 1000LL;
};

/// The registry for a single Convene instance: per-room state under a per-room mutex, so
/// operations on different rooms never contend and each operation on one room is atomic. Every
/// operation is O(1) expected, except name allocation, which is amortised O(log n) in the number of
/// same-name participants (see RoomState::Allocate). Nothing here blocks on I/O.
///
/// Memory holds the present participants (reserved or joined) and the bans; every change of a
/// participant's recorded state also goes to the durable ParticipantLedger (write-behind for
/// admissions, awaited for bans, role changes and meeting ends), which is where departed
/// identities are looked up. So roles, demotions and bans survive a departure and a restart
/// (deviations §5.1) while memory stays bounded by presence.
class InProcessRegistry final : public ParticipantRegistry {
 public:
  /// Memory only (unit tests, benchmarks): the ledger is an in-memory store, written inline.
  InProcessRegistry();
  /// Durable: the ledger lives in `ledger_store`; its flusher runs on `executor`.
  InProcessRegistry(store::ParticipantLedgerStore& ledger_store, boost::asio::any_io_executor executor,
                    InProcessRegistryOptions options = {});
  ~InProcessRegistry() override;

  /// Start-up: the bans recorded in the ledger come back into memory.
  boost::asio::awaitable<Result<void>> LoadBans(std::int64_t now_ms);
  /// Waits until every recorded change is durable (graceful shutdown, tests).
  boost::asio::awaitable<Result<void>> FlushLedger();

  boost::asio::awaitable<Result<ParticipantRecord>> Admit(AdmissionRequest request) override;
  boost::asio::awaitable<Result<void>> Rollback(std::string_view room_id, std::string_view identity,
                                                std::uint64_t generation) override;
  boost::asio::awaitable<Result<bool>> MarkJoined(std::string_view room_id, std::string_view identity,
                                                  std::string_view name, std::int64_t now_ms) override;
  boost::asio::awaitable<Result<bool>> MarkLeft(std::string_view room_id, std::string_view identity,
                                                std::string_view name) override;
  boost::asio::awaitable<Result<void>> Ban(std::string_view room_id, std::string_view identity,
                                           std::int64_t now_ms) override;
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
  boost::asio::awaitable<Result<void>> ForgetRoom(std::string_view room_id) override;
  boost::asio::awaitable<Result<void>> Prune(std::int64_t now_ms) override;

  /// The departed records an admission may need, read from the ledger before the room is locked.
  struct LedgerHints {
    std::optional<store::ParticipantLedgerEntry> owned;     // of request.owned_identity
    std::optional<store::ParticipantLedgerEntry> identity;  // of request.identity
  };
  /// Synchronous cores of the operations above, for unit tests and benchmarks.
  Result<ParticipantRecord> AdmitNow(const AdmissionRequest& request, const LedgerHints& hints = {});
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
  /// Whether the identity is present (reserved or joined) in memory.
  bool IsPresent(std::string_view room_id, std::string_view identity);
  /// The ledger's record of an identity not present in memory; nullopt when it has none.
  boost::asio::awaitable<Result<std::optional<store::ParticipantLedgerEntry>>> FindDeparted(
      std::string_view room_id, std::string_view identity);

  std::unique_ptr<store::ParticipantLedgerStore> owned_ledger_store_;  // memory-only mode
  ParticipantLedger ledger_;
  InProcessRegistryOptions options_;
  mutable std::shared_mutex rooms_mutex_;
  std::unordered_map<std::string, std::shared_ptr<RoomState>> rooms_;
  std::atomic<std::uint64_t> generations_{0};
};

}  // namespace convene::registry
