#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "store/participant_ledger_store.hpp"

namespace convene::store::memory {

/// In-memory ParticipantLedgerStore: unit tests, and the registry of a process that was given no
/// durable store. Thread-safe; every call completes without suspending.
class MemoryParticipantLedgerStore final : public ParticipantLedgerStore {
 public:
  boost::asio::awaitable<Result<std::optional<ParticipantLedgerEntry>>> Find(std::string_view room_id,
                                                                             std::string_view identity) override;
  boost::asio::awaitable<Result<std::vector<ParticipantLedgerEntry>>> ListBanned(std::int64_t now_ms) override;
  boost::asio::awaitable<Result<void>> Apply(std::vector<ParticipantLedgerChange> changes) override;

  std::size_t Size();

 private:
  using Key = std::pair<std::string, std::string>;  // room id, identity
  std::mutex mutex_;
  std::map<Key, ParticipantLedgerEntry> rows_;  // guarded by mutex_
};

}  // namespace convene::store::memory
