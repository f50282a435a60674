#include "store/participant_ledger_store.hpp"

#include <algorithm>

namespace convene::store {

ParticipantLedgerChange ParticipantLedgerChange::Upsert(ParticipantLedgerEntry entry) {
  ParticipantLedgerChange change;
  change.kind = Kind::kUpsert;
  change.room_id = entry.room_id;
  change.identity = entry.identity;
  change.entry = std::move(entry);
  return change;
}

ParticipantLedgerChange ParticipantLedgerChange::Remove(std::string room_id, std::string identity) {
  ParticipantLedgerChange change;
  change.kind = Kind::kRemove;
  change.room_id = std::move(room_id);
  change.identity = std::move(identity);
  return change;
}

ParticipantLedgerChange ParticipantLedgerChange::EndMeeting(std::string room_id) {
  ParticipantLedgerChange change;
  change.kind = Kind::kEndMeeting;
  change.room_id = std::move(room_id);
  return change;
}

ParticipantLedgerChange ParticipantLedgerChange::ForgetRoom(std::string room_id) {
  ParticipantLedgerChange change;
  change.kind = Kind::kForgetRoom;
  change.room_id = std::move(room_id);
  return change;
}

ParticipantLedgerChange ParticipantLedgerChange::Prune(std::int64_t now_ms) {
  ParticipantLedgerChange change;
  change.kind = Kind::kPrune;
  change.now_ms = now_ms;
  return change;
}

std::string RolesToText(const std::vector<domain::ParticipantRole>& roles) {
  std::string text;
  for (domain::ParticipantRole role : roles) {
    if (!text.empty()) text.push_back(',');
    text.append(domain::ToString(role));
  }
  return text;
}

std::vector<domain::ParticipantRole> RolesFromText(std::string_view text) {
  std::vector<domain::ParticipantRole> roles;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (auto role = domain::ParseParticipantRole(item);
        role && std::find(roles.begin(), roles.end(), *role) == roles.end()) {
      roles.push_back(*role);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return roles;
}

void ApplyToEntry(const ParticipantLedgerChange& change, std::optional<ParticipantLedgerEntry>& row) {
  using Kind = ParticipantLedgerChange::Kind;
  switch (change.kind) {
    case Kind::kUpsert:
      row = change.entry;
      return;
    case Kind::kRemove:
      if (row && row->room_id == change.room_id && row->identity == change.identity) row.reset();
      return;
    case Kind::kEndMeeting:
      if (row && row->room_id == change.room_id) {
        // A row that only held a ban (of an identity without roles) has nothing left to record.
        if (row->roles.empty()) {
          row.reset();
          return;
        }
        row->banned = false;
        ++row->grant_version;
      }
      return;
    case Kind::kForgetRoom:
      if (row && row->room_id == change.room_id) row.reset();
      return;
    case Kind::kPrune:
      if (row && row->usable_until_ms < change.now_ms) row.reset();
      return;
  }
}

}  // namespace convene::store
