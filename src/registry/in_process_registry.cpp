#include "registry/in_process_registry.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_set>

#include "domain/display_name.hpp"
#include "domain/name_key.hpp"
#include "domain/participant_identity.hpp"
#include "store/memory/memory_participant_ledger_store.hpp"

namespace convene::registry {

using domain::ParticipantRole;

namespace {

// The key of the stem (the base, shortened for long names) of `requested`'s candidates with
// `digits`-digit suffixes; `key` is the key of `requested` itself.
std::string StemKey(const std::string& requested, const std::string& key, int digits) {
  const std::string_view stem = domain::FitForSuffix(requested, digits);
  return stem.size() == requested.size() ? key : domain::NameKey(stem);
}

}  // namespace

/// Everything about one room. `names` maps name keys (domain::NameKey) to the identity holding
/// them; `pools` remembers which `_N` suffixes may be free, so allocation finds the lowest free N
/// without scanning every participant.
///
/// A candidate `<stem>_N` uses the requested name as its stem, shortened when the candidate would
/// exceed 256 bytes (domain::FitForSuffix), by an amount that depends on the digit count of N.
/// Pools are kept per stem key: a released name splits at its last '_' into exactly the stem and
/// number it was allocated from, so the number goes back to the pool the next request for a name
/// with that stem reads — at every length (a pool per requested name lost the numbers of
/// shortened candidates). A long name reads the pool of each of its stems only over the digit
/// counts that use that stem.
struct InProcessRegistry::RoomState {
  struct SuffixPool {
    std::set<std::uint32_t> released;  // numbers ≤ high_water that are free (released or skipped)
    std::uint32_t high_water = 0;      // every number above it has never been handed out

    /// The lowest number in [lowest, highest] that may be free: a released one, else the next
    /// one above the high water. nullopt when all of them have been handed out.
    std::optional<std::uint32_t> Take(std::uint32_t lowest, std::uint32_t highest) {
      if (auto it = released.lower_bound(lowest); it != released.end()) {
        const std::uint32_t n = *it;  // below the high water, so lower than any number above it
        if (n > highest) return std::nullopt;
        released.erase(it);
        return n;
      }
      if (high_water >= highest) return std::nullopt;
      // A long name's shortened stem may be read from two digits on while its lower numbers
      // were never handed out: they stay free for the names whose candidates use them (the stem
      // itself typed as a name). A long name gets here only once every number of its previous
      // stem has been handed out, so the entries added never outnumber those handed out.
      for (std::uint32_t n = high_water + 1; n < lowest; ++n) released.insert(n);
      high_water = std::max(high_water + 1, lowest);
      return high_water;
    }
  };

  std::mutex mutex;
  bool unlinked = false;  // erased from rooms_; set under `mutex` (see LockRoom)
  std::unordered_map<std::string, ParticipantRecord> by_identity;
  std::unordered_map<std::string, std::string> names;  // name key -> identity
  std::unordered_map<std::string, SuffixPool> pools;   // stem key -> pool
  std::unordered_set<std::string> banned;

  bool Empty() const { return by_identity.empty() && banned.empty(); }

  bool NameFree(const std::string& key) const { return names.find(key) == names.end(); }

  // A candidate is usable only if nobody holds the name and nobody uses it as an identity (a
  // caller-chosen identity may equal somebody's future display name).
  // A banned identity is not handed out again either: its holder would be removed on join.
  bool Usable(const std::string& name, const std::string& key) const {
    return NameFree(key) && by_identity.find(name) == by_identity.end() && banned.find(name) == banned.end();
  }

  /// Lowest free `<name>_N` (deviations §3.1). Released numbers are tried first, in order;
  /// numbers someone took by typing the suffixed name themselves are skipped (they return to the
  /// pool when released). Always succeeds.
  std::string Allocate(const std::string& requested) {
    const std::string key = domain::NameKey(requested);
    if (Usable(requested, key)) return requested;
    // Consecutive digit counts whose candidates have the same stem key read one pool over their
    // whole range of numbers; a name that is never shortened has one such run, 1 to 4 294 967 295.
    const bool shortened = domain::SuffixMayShorten(requested);
    for (int first = 1; first <= domain::kMaxSuffixDigits;) {
      const std::string stem_key = shortened ? StemKey(requested, key, first) : key;
      int last = shortened ? first : domain::kMaxSuffixDigits;
      while (last < domain::kMaxSuffixDigits && StemKey(requested, key, last + 1) == stem_key) ++last;
      SuffixPool& pool = pools[stem_key];
      while (auto n = pool.Take(domain::LowestSuffix(first), domain::HighestSuffix(last))) {
        std::string candidate = domain::WithSuffix(domain::FitForSuffix(requested, domain::SuffixDigits(*n)), *n);
        if (Usable(candidate, domain::WithSuffix(stem_key, *n))) return candidate;
      }
      first = last + 1;
    }
    // Every one of 4 294 967 295 numbers would have to be held in this room at once.
    throw std::length_error("every suffix of a display name is in use");
  }

  void Insert(ParticipantRecord record) {
    HoldName(record);
    std::string identity = record.identity;
    by_identity.insert_or_assign(std::move(identity), std::move(record));
  }

  void HoldName(const ParticipantRecord& record) { names.emplace(domain::NameKey(record.name), record.identity); }

  /// The record's name becomes free again, if the record holds it.
  void ReleaseName(const ParticipantRecord& record) {
    const std::string key = domain::NameKey(record.name);
    auto name_it = names.find(key);
    if (name_it != names.end() && name_it->second == record.identity) {
      names.erase(name_it);
      ReturnSuffix(key);
    }
  }

  void Remove(std::unordered_map<std::string, ParticipantRecord>::iterator it) {
    ReleaseName(it->second);
    by_identity.erase(it);
  }

  void ReturnSuffix(const std::string& key) {
    auto split = domain::SplitSuffix(key);
    if (!split) return;
    auto pool_it = pools.find(std::string(split->base));
    if (pool_it == pools.end()) return;
    SuffixPool& pool = pool_it->second;
    if (split->number <= pool.high_water) pool.released.insert(split->number);
    // Every number up to the high water is free again and the stem itself is free: forget the pool.
    if (pool.released.size() == pool.high_water && NameFree(pool_it->first)) pools.erase(pool_it);
  }
};

namespace {

using store::ParticipantLedgerChange;
using store::ParticipantLedgerEntry;

void AddRole(std::vector<ParticipantRole>& roles, ParticipantRole role) {
  if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
}

// The roles of a token: what the registry already grants this identity, plus the role this request
// proves — except that a demotion sticks (deviations §1.5).
void ApplyRequestedRole(ParticipantRecord& record, const AdmissionRequest& request) {
  const bool blocked = request.role == ParticipantRole::kModerator && record.demoted;
  if (!blocked) AddRole(record.roles, request.role);
  if (record.HasRole(request.role)) {
    record.selected_role = request.role;
  } else if (!record.roles.empty() && !record.HasRole(record.selected_role)) {
    record.selected_role = record.roles.back();
  }
  if (request.role == ParticipantRole::kModerator && !request.role_from_grant && !blocked) {
    record.moderator_secret_holder = true;
  }
}

// Generate may reuse an owned entry when the person asks for the same name again (a page reload):
// the exact allocated name, or a candidate allocated from it ("Alice_2" for "Alice"; for a long
// name, its shortened stem with a suffix).
bool SameRequestedName(const ParticipantRecord& record, const std::string& requested) {
  const std::string request_key = domain::NameKey(requested);
  const std::string name_key = domain::NameKey(record.name);
  if (request_key == name_key) return true;
  auto split = domain::SplitSuffix(name_key);
  return split && split->base == StemKey(requested, request_key, domain::SuffixDigits(split->number));
}

ParticipantLedgerEntry EntryOf(std::string_view room_id, const ParticipantRecord& record, bool banned) {
  ParticipantLedgerEntry entry;
  entry.room_id = std::string(room_id);
  entry.identity = record.identity;
  entry.name = record.name;
  entry.roles = record.roles;
  entry.selected_role = record.selected_role;
  entry.promoted = record.promoted;
  entry.demoted = record.demoted;
  entry.moderator_secret_holder = record.moderator_secret_holder;
  entry.banned = banned;
  entry.grant_version = record.grant_version;
  entry.usable_until_ms = record.usable_until_ms;
  return entry;
}

ParticipantRecord RecordOf(const ParticipantLedgerEntry& entry) {
  ParticipantRecord record;
  record.identity = entry.identity;
  record.name = entry.name;
  record.roles = entry.roles;
  record.selected_role = entry.selected_role;
  record.promoted = entry.promoted;
  record.demoted = entry.demoted;
  record.moderator_secret_holder = entry.moderator_secret_holder;
  record.grant_version = entry.grant_version;
  record.usable_until_ms = entry.usable_until_ms;
  record.presence = Presence::kDeparted;
  return record;
}

}  // namespace

InProcessRegistry::InProcessRegistry()
    : owned_ledger_store_(std::make_unique<store::memory::MemoryParticipantLedgerStore>()),
      ledger_(*owned_ledger_store_, std::nullopt) {}

InProcessRegistry::InProcessRegistry(store::ParticipantLedgerStore& ledger_store,
                                     boost::asio::any_io_executor executor, InProcessRegistryOptions options)
    : ledger_(ledger_store, std::move(executor)), options_(options) {}

InProcessRegistry::~InProcessRegistry() = default;

InProcessRegistry::LockedRoom InProcessRegistry::LockRoom(std::string_view room_id, bool create) {
  // Lock order everywhere: rooms_mutex_ before a room's mutex, never the other way round (a room
  // mutex is never held while waiting for rooms_mutex_).
  const std::string key(room_id);
  while (true) {
    std::shared_ptr<RoomState> room;
    {
      std::shared_lock lock(rooms_mutex_);
      auto it = rooms_.find(key);
      if (it != rooms_.end()) room = it->second;
    }
    if (!room) {
      if (!create) return {};
      std::unique_lock lock(rooms_mutex_);
      auto& slot = rooms_[key];
      if (!slot) slot = std::make_shared<RoomState>();
      room = slot;
    }
    std::unique_lock room_lock(room->mutex);
    // Release() may have unlinked this state between the lookup and the lock; it marks it so,
    // under the room's mutex, and writing into an unlinked state would lose the change.
    if (!room->unlinked) return {std::move(room), std::move(room_lock)};
  }
}

void InProcessRegistry::Release(LockedRoom& locked, std::string_view room_id) {
  if (!locked) return;
  const bool empty = locked->Empty();
  locked.lock.unlock();
  if (!empty) return;
  std::unique_lock lock(rooms_mutex_);
  auto it = rooms_.find(std::string(room_id));
  if (it == rooms_.end() || it->second != locked.room) return;
  std::lock_guard room_lock(it->second->mutex);
  if (it->second->Empty()) {
    it->second->unlinked = true;
    rooms_.erase(it);
  }
}

bool InProcessRegistry::IsPresent(std::string_view room_id, std::string_view identity) {
  LockedRoom room = LockRoom(room_id, false);
  return room && room->by_identity.count(std::string(identity)) > 0;
}

boost::asio::awaitable<Result<std::optional<ParticipantLedgerEntry>>> InProcessRegistry::FindDeparted(
    std::string_view room_id, std::string_view identity) {
  if (IsPresent(room_id, identity)) co_return std::optional<ParticipantLedgerEntry>{};
  auto found = co_await ledger_.Find(std::string(room_id), std::string(identity));
  if (!found) co_return found;
  // A row without roles records nothing about the identity but a ban (held in memory): no record.
  if (*found && (*found)->roles.empty()) co_return std::optional<ParticipantLedgerEntry>{};
  co_return found;
}

Result<ParticipantRecord> InProcessRegistry::AdmitNow(const AdmissionRequest& request, const LedgerHints& hints) {
  LockedRoom room = LockRoom(request.room_id, true);
  Result<ParticipantRecord> result = [&]() -> Result<ParticipantRecord> {
    const std::uint64_t generation = ++generations_;
    auto full = [&] { return request.max_participants && room->by_identity.size() >= *request.max_participants; };
    auto record_change = [&](const ParticipantRecord& record) {
      ledger_.Record(ParticipantLedgerChange::Upsert(EntryOf(request.room_id, record, false)));
    };
    auto stamp = [&](ParticipantRecord& record) {
      ApplyRequestedRole(record, request);
      record.reserved_at_ms = request.now_ms;
      record.generation = generation;
      record.usable_until_ms = std::max(record.usable_until_ms, request.usable_until_ms);
    };
    // A present record again (reload, refresh): same identity; a new name only when asked for.
    auto admit_present = [&](ParticipantRecord& record, bool rename) -> ParticipantRecord {
      if (rename) {
        room->ReleaseName(record);
        record.name = room->Allocate(request.name);
        room->HoldName(record);
      }
      stamp(record);
      record_change(record);
      return record;
    };
    // A departed (or never recorded) identity comes back: a name is allocated for it again.
    auto admit_absent = [&](ParticipantRecord record) -> Result<ParticipantRecord> {
      if (full()) return Fail(RoomFull(request.room_id));
      record.name = room->Allocate(request.name);
      record.presence = Presence::kReserved;
      stamp(record);
      record.created_generation = generation;
      room->Insert(record);
      record_change(record);
      return record;
    };
    auto departed = [](const std::optional<ParticipantLedgerEntry>& hint,
                       const std::string& identity) -> std::optional<ParticipantRecord> {
      if (hint && hint->identity == identity) return RecordOf(*hint);
      return std::nullopt;
    };
    auto fresh = [](std::string identity) {
      ParticipantRecord record;
      record.identity = std::move(identity);
      return record;
    };

    if (request.mode == AdmissionRequest::Mode::kRefresh) {
      const std::string& identity = *request.owned_identity;
      if (room->banned.count(identity) > 0) return Fail(ParticipantBanned(request.room_id, identity));
      auto it = room->by_identity.find(identity);
      if (it != room->by_identity.end()) return admit_present(it->second, false);
      // Departed: its recorded roles come back. Never recorded (or pruned): the role proven now.
      if (auto record = departed(hints.owned, identity)) return admit_absent(std::move(*record));
      return admit_absent(fresh(identity));
    }

    // Generate. A caller proving it holds a kicked identity is the kicked participant: refused
    // until the meeting ends, whatever name it asks for now.
    const std::optional<std::string>& owned = request.owned_identity;
    if (owned && room->banned.count(*owned) > 0) return Fail(ParticipantBanned(request.room_id, *owned));
    if (request.identity) {
      const std::string& identity = *request.identity;
      if (room->banned.count(identity) > 0) return Fail(ParticipantBanned(request.room_id, identity));
      const bool is_owned = owned && *owned == identity;
      auto it = room->by_identity.find(identity);
      if (it != room->by_identity.end()) {
        if (!is_owned) return Fail(IdentityTaken(request.room_id, identity));
        return admit_present(it->second, !SameRequestedName(it->second, request.name));
      }
      if (auto record = departed(hints.identity, identity)) {
        // Somebody's tokens may still carry it: only its holder may have it again.
        if (!is_owned) return Fail(IdentityTaken(request.room_id, identity));
        return admit_absent(std::move(*record));
      }
      return admit_absent(fresh(identity));
    }
    if (owned) {
      auto it = room->by_identity.find(*owned);
      if (it != room->by_identity.end()) {
        return admit_present(it->second, !SameRequestedName(it->second, request.name));
      }
      if (auto record = departed(hints.owned, *owned)) return admit_absent(std::move(*record));
    }

    // A new identity, minted from the allocated name: unique per admission (deviations §3.5).
    if (full()) return Fail(RoomFull(request.room_id));
    ParticipantRecord record;
    record.name = room->Allocate(request.name);
    record.identity = domain::MintIdentity(record.name, request.identity_suffix);
    // 60 random bits make a clash with a present identity all but impossible; it still must not
    // merge two participants.
    if (room->by_identity.count(record.identity) > 0) record.identity += "-" + std::to_string(generation);
    stamp(record);
    record.created_generation = generation;
    room->Insert(record);
    record_change(record);
    return record;
  }();
  // A refused admission may have created the room just now: an empty room is forgotten again, so
  // Rooms() lists only rooms with entries or bans.
  Release(room, request.room_id);
  return result;
}

boost::asio::awaitable<Result<ParticipantRecord>> InProcessRegistry::Admit(AdmissionRequest request) {
  LedgerHints hints;
  if (request.owned_identity) {
    auto found = co_await FindDeparted(request.room_id, *request.owned_identity);
    if (!found) co_return Fail(found.error());
    hints.owned = std::move(*found);
  }
  if (request.identity && request.identity != request.owned_identity) {
    auto found = co_await FindDeparted(request.room_id, *request.identity);
    if (!found) co_return Fail(found.error());
    hints.identity = std::move(*found);
  } else if (request.identity) {
    hints.identity = hints.owned;
  }
  co_return AdmitNow(request, hints);
}

boost::asio::awaitable<Result<void>> InProcessRegistry::Rollback(std::string_view room_id,
                                                                 std::string_view identity,
                                                                 std::uint64_t generation) {
  // The record goes back to what it was before: absent from memory. A brand-new identity keeps a
  // ledger row until it is pruned; no token carries it, so nobody can present it.
  if (LockedRoom room = LockRoom(room_id, false)) {
    auto it = room->by_identity.find(std::string(identity));
    if (it != room->by_identity.end() && it->second.generation == generation &&
        it->second.created_generation == generation && it->second.presence == Presence::kReserved) {
      room->Remove(it);
    }
    Release(room, room_id);
  }
  co_return Result<void>{};
}

boost::asio::awaitable<Result<bool>> InProcessRegistry::MarkJoined(std::string_view room_id,
                                                                   std::string_view identity,
                                                                   std::string_view name,
                                                                   std::int64_t now_ms) {
  auto departed = co_await FindDeparted(room_id, identity);
  if (!departed) co_return Fail(departed.error());
  LockedRoom room = LockRoom(room_id, true);
  const std::string id(identity);
  if (room->banned.count(id) > 0) {
    Release(room, room_id);
    co_return false;
  }
  auto it = room->by_identity.find(id);
  if (it != room->by_identity.end()) {
    it->second.presence = Presence::kJoined;
    it->second.joined_at_ms = now_ms;
    co_return true;
  }
  // Joined without a reservation: a departed identity rejoining with a token it still holds (its
  // recorded roles come back), one that joined with an external token, or this instance
  // restarted. Record it so its name and identity are not handed to someone else while it is
  // present (R3).
  const bool recorded = *departed && (*departed)->identity == id;
  ParticipantRecord record = recorded ? RecordOf(**departed) : ParticipantRecord{};
  record.identity = id;
  record.name = std::string(name.empty() ? identity : name);
  if (!room->NameFree(domain::NameKey(record.name))) record.name = id;
  record.presence = Presence::kJoined;
  record.joined_at_ms = now_ms;
  // Its tokens' lifetime is unknown: kept as long as any token's could be.
  if (!recorded) record.usable_until_ms = now_ms + options_.unknown_identity_retention_ms;
  if (recorded) ledger_.Record(ParticipantLedgerChange::Upsert(EntryOf(room_id, record, false)));
  if (room->NameFree(domain::NameKey(record.name))) {
    room->Insert(std::move(record));
  } else {
    // Even the identity's name is held by someone else; keep the identity known without a name.
    room->by_identity.emplace(id, std::move(record));
  }
  co_return true;
}

bool InProcessRegistry::MarkLeftNow(std::string_view room_id, std::string_view identity,
                                    std::string_view name) {
  LockedRoom room = LockRoom(room_id, false);
  if (!room) return false;
  bool released = false;
  auto it = room->by_identity.find(std::string(identity));
  if (it != room->by_identity.end() && it->second.name == name) {
    if (it->second.presence == Presence::kJoined && it->second.reserved_at_ms > it->second.joined_at_ms) {
      // A token was issued after this session joined (a refresh or reload): the person is
      // probably reconnecting, so the entry falls back to `reserved` and its pending TTL.
      it->second.presence = Presence::kReserved;
    } else {
      // Departed: the ledger already holds its recorded state.
      room->Remove(it);
      released = true;
    }
  }
  Release(room, room_id);
  return released;
}

boost::asio::awaitable<Result<bool>> InProcessRegistry::MarkLeft(std::string_view room_id,
                                                                 std::string_view identity,
                                                                 std::string_view name) {
  co_return MarkLeftNow(room_id, identity, name);
}

boost::asio::awaitable<Result<void>> InProcessRegistry::Ban(std::string_view room_id, std::string_view identity,
                                                            std::int64_t now_ms) {
  auto departed = co_await FindDeparted(room_id, identity);
  if (!departed) co_return Fail(departed.error());
  ParticipantLedgerEntry entry;
  {
    LockedRoom room = LockRoom(room_id, true);
    const std::string id(identity);
    room->banned.insert(id);
    auto it = room->by_identity.find(id);
    if (it != room->by_identity.end()) {
      entry = EntryOf(room_id, it->second, true);
      room->Remove(it);
    } else if (*departed) {
      entry = **departed;
      entry.banned = true;
    } else {
      entry.room_id = std::string(room_id);
      entry.identity = id;
      entry.usable_until_ms = now_ms + options_.unknown_identity_retention_ms;
      entry.banned = true;
    }
    // Until the ban's end, however long the identity's last token lives.
    entry.usable_until_ms = std::max(entry.usable_until_ms, now_ms);
  }
  co_return co_await ledger_.Persist(ParticipantLedgerChange::Upsert(std::move(entry)));
}

boost::asio::awaitable<Result<void>> InProcessRegistry::Unban(std::string_view room_id,
                                                              std::string_view identity) {
  if (LockedRoom room = LockRoom(room_id, false)) {
    room->banned.erase(std::string(identity));
    Release(room, room_id);
  }
  auto entry = co_await ledger_.Find(std::string(room_id), std::string(identity));
  if (!entry) co_return Fail(entry.error());
  if (!*entry || !(*entry)->banned) co_return Result<void>{};
  // A row that only held the ban has nothing left to record.
  if ((*entry)->roles.empty()) {
    co_return co_await ledger_.Persist(ParticipantLedgerChange::Remove(std::string(room_id), std::string(identity)));
  }
  (*entry)->banned = false;
  co_return co_await ledger_.Persist(ParticipantLedgerChange::Upsert(std::move(**entry)));
}

boost::asio::awaitable<Result<void>> InProcessRegistry::RestoreRoles(std::string_view room_id,
                                                                     const ParticipantRecord& previous) {
  std::optional<ParticipantLedgerEntry> entry;
  if (LockedRoom room = LockRoom(room_id, false)) {
    auto it = room->by_identity.find(previous.identity);
    if (it != room->by_identity.end()) {
      it->second.roles = previous.roles;
      it->second.selected_role = previous.selected_role;
      it->second.promoted = previous.promoted;
      it->second.demoted = previous.demoted;
      // The grant version stays where the failed change moved it: nothing issued at it survives.
      entry = EntryOf(room_id, it->second, false);
    }
  }
  if (!entry) co_return Result<void>{};
  co_return co_await ledger_.Persist(ParticipantLedgerChange::Upsert(std::move(*entry)));
}

boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> InProcessRegistry::SetRole(
    std::string_view room_id, std::string_view identity, ParticipantRole role) {
  std::optional<ParticipantRecord> updated;
  {
    LockedRoom room = LockRoom(room_id, false);
    if (!room) co_return std::optional<ParticipantRecord>{};
    auto it = room->by_identity.find(std::string(identity));
    if (it == room->by_identity.end()) co_return std::optional<ParticipantRecord>{};
    ParticipantRecord& record = it->second;
    const bool was_moderator = record.HasRole(ParticipantRole::kModerator);
    record.roles = {role};
    record.selected_role = role;
    if (role == ParticipantRole::kModerator) {
      record.demoted = false;
      record.promoted = !record.moderator_secret_holder;
    } else {
      record.promoted = false;
      record.demoted = record.demoted || was_moderator;
    }
    ++record.grant_version;
    updated = record;
  }
  auto persisted = co_await ledger_.Persist(ParticipantLedgerChange::Upsert(EntryOf(room_id, *updated, false)));
  if (!persisted) co_return Fail(persisted.error());
  co_return updated;
}

boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> InProcessRegistry::Get(
    std::string_view room_id, std::string_view identity) {
  {
    LockedRoom room = LockRoom(room_id, false);
    if (room) {
      auto it = room->by_identity.find(std::string(identity));
      if (it != room->by_identity.end()) co_return std::optional<ParticipantRecord>(it->second);
    }
  }
  auto entry = co_await FindDeparted(room_id, identity);
  if (!entry) co_return Fail(entry.error());
  if (!*entry) co_return std::optional<ParticipantRecord>{};
  co_return std::optional<ParticipantRecord>(RecordOf(**entry));
}

boost::asio::awaitable<Result<bool>> InProcessRegistry::IsBanned(std::string_view room_id,
                                                                 std::string_view identity) {
  LockedRoom room = LockRoom(room_id, false);
  if (!room) co_return false;
  co_return room->banned.count(std::string(identity)) > 0;
}

boost::asio::awaitable<Result<std::vector<ParticipantRecord>>> InProcessRegistry::List(
    std::string_view room_id) {
  std::vector<ParticipantRecord> out;
  if (LockedRoom room = LockRoom(room_id, false)) {
    out.reserve(room->by_identity.size());
    for (const auto& [id, record] : room->by_identity) out.push_back(record);
  }
  std::sort(out.begin(), out.end(),
            [](const ParticipantRecord& a, const ParticipantRecord& b) { return a.identity < b.identity; });
  co_return out;
}

boost::asio::awaitable<Result<void>> InProcessRegistry::FinishMeeting(std::string_view room_id,
                                                                      std::int64_t finished_at_ms) {
  if (LockedRoom room = LockRoom(room_id, false)) {
    room->banned.clear();
    for (auto it = room->by_identity.begin(); it != room->by_identity.end();) {
      const auto& r = it->second;
      // Tokens issued after the finish belong to the next meeting (R6).
      if (std::max(r.reserved_at_ms, r.joined_at_ms) <= finished_at_ms) {
        auto next = std::next(it);
        room->Remove(it);
        it = next;
      } else {
        // Its ledger row moves on with the room's below.
        ++it->second.grant_version;
        ++it;
      }
    }
    Release(room, room_id);
  }
  co_return co_await ledger_.Persist(ParticipantLedgerChange::EndMeeting(std::string(room_id)));
}

boost::asio::awaitable<Result<bool>> InProcessRegistry::ReleaseStale(std::string_view room_id,
                                                                     std::string_view identity,
                                                                     std::int64_t reserved_before_ms) {
  LockedRoom room = LockRoom(room_id, false);
  if (!room) co_return false;
  bool released = false;
  auto it = room->by_identity.find(std::string(identity));
  if (it != room->by_identity.end() && it->second.presence == Presence::kReserved &&
      it->second.reserved_at_ms < reserved_before_ms) {
    room->Remove(it);
    released = true;
  }
  Release(room, room_id);
  co_return released;
}

boost::asio::awaitable<Result<std::vector<std::string>>> InProcessRegistry::Rooms() {
  std::vector<std::string> out;
  std::shared_lock lock(rooms_mutex_);
  out.reserve(rooms_.size());
  for (const auto& [id, state] : rooms_) out.push_back(id);
  co_return out;
}

boost::asio::awaitable<Result<void>> InProcessRegistry::ForgetRoom(std::string_view room_id) {
  // Names, presence and bans go; the ledger keeps what it recorded until the tokens expire, as the
  // Redis registry does (a participant's token keeps authenticating it, so routes on the deleted
  // room answer 404 for the room rather than 403 for the participant).
  if (LockedRoom room = LockRoom(room_id, false)) {
    room->banned.clear();
    while (!room->by_identity.empty()) room->Remove(room->by_identity.begin());
    Release(room, room_id);
  }
  co_return co_await ledger_.Persist(ParticipantLedgerChange::EndMeeting(std::string(room_id)));
}

boost::asio::awaitable<Result<void>> InProcessRegistry::Prune(std::int64_t now_ms) {
  ledger_.Record(ParticipantLedgerChange::Prune(now_ms));
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> InProcessRegistry::LoadBans(std::int64_t now_ms) {
  auto banned = co_await ledger_.ListBanned(now_ms);
  if (!banned) co_return Fail(banned.error());
  for (const ParticipantLedgerEntry& entry : *banned) {
    LockedRoom room = LockRoom(entry.room_id, true);
    room->banned.insert(entry.identity);
  }
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> InProcessRegistry::FlushLedger() { co_return co_await ledger_.Flush(); }

std::size_t InProcessRegistry::ParticipantCount() const {
  std::size_t total = 0;
  std::shared_lock lock(rooms_mutex_);
  for (const auto& [id, state] : rooms_) {
    std::lock_guard room_lock(state->mutex);
    total += state->by_identity.size();
  }
  return total;
}

}  // namespace convene::registry
