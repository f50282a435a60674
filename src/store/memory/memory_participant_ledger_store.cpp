#include "store/memory/memory_participant_ledger_store.hpp"

namespace convene::store::memory {

boost::asio::awaitable<Result<std::optional<ParticipantLedgerEntry>>> MemoryParticipantLedgerStore::Find(
    std::string_view room_id, std::string_view identity) {
  std::optional<ParticipantLedgerEntry> found;
  {
    std::lock_guard lock(mutex_);
    auto it = rows_.find(Key(room_id, identity));
    if (it != rows_.end()) found = it->second;
  }
  co_return found;
}

boost::asio::awaitable<Result<std::vector<ParticipantLedgerEntry>>> MemoryParticipantLedgerStore::ListBanned(
    std::int64_t now_ms) {
  std::vector<ParticipantLedgerEntry> banned;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, row] : rows_) {
      if (row.banned && row.usable_until_ms >= now_ms) banned.push_back(row);
    }
  }
  co_return banned;
}

boost::asio::awaitable<Result<void>> MemoryParticipantLedgerStore::Apply(std::vector<ParticipantLedgerChange> changes) {
  using Kind = ParticipantLedgerChange::Kind;
  std::lock_guard lock(mutex_);
  for (const ParticipantLedgerChange& change : changes) {
    if (change.kind == Kind::kUpsert || change.kind == Kind::kRemove) {
      const Key key(change.room_id, change.identity);
      auto it = rows_.find(key);
      std::optional<ParticipantLedgerEntry> row;
      if (it != rows_.end()) row = it->second;
      ApplyToEntry(change, row);
      if (row) {
        rows_.insert_or_assign(key, *row);
      } else if (it != rows_.end()) {
        rows_.erase(it);
      }
      continue;
    }
    for (auto it = rows_.begin(); it != rows_.end();) {
      std::optional<ParticipantLedgerEntry> row = it->second;
      ApplyToEntry(change, row);
      if (row) {
        it->second = std::move(*row);
        ++it;
      } else {
        it = rows_.erase(it);
      }
    }
  }
  co_return Result<void>{};
}

std::size_t MemoryParticipantLedgerStore::Size() {
  std::lock_guard lock(mutex_);
  return rows_.size();
}

}  // namespace convene::store::memory
