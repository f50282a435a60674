#include "store/sqlite/sqlite_participant_ledger_store.hpp"

#include <string>
#include <utility>

#include "store/sqlite/sqlite_connections.hpp"

namespace convene::store::sqlite {
namespace {

constexpr std::string_view kComponent = "participant ledger";

constexpr const char* kColumns =
    "room_id, identity, name, roles, selected_role, promoted, demoted, moderator_secret_holder,"
    " banned, grant_version, usable_until_ms";
const std::string kSelectOne = std::string("SELECT ") + kColumns +
                               " FROM participant_identities WHERE room_id = ?1 AND identity = ?2";
const std::string kSelectBanned = std::string("SELECT ") + kColumns +
                                  " FROM participant_identities WHERE banned = 1 AND usable_until_ms >= ?1";
const std::string kUpsert = std::string("INSERT INTO participant_identities (") + kColumns +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                            " ON CONFLICT (room_id, identity) DO UPDATE SET name = excluded.name,"
                            " roles = excluded.roles, selected_role = excluded.selected_role,"
                            " promoted = excluded.promoted, demoted = excluded.demoted,"
                            " moderator_secret_holder = excluded.moderator_secret_holder,"
                            " banned = excluded.banned, grant_version = excluded.grant_version,"
                            " usable_until_ms = excluded.usable_until_ms";
constexpr const char* kDelete = "DELETE FROM participant_identities WHERE room_id = ?1 AND identity = ?2";
// grant_version wraps within its column's range instead of failing the CHECK.
constexpr const char* kEndMeeting =
    "UPDATE participant_identities SET banned = 0, grant_version = (grant_version + 1) % 4294967296"
    " WHERE room_id = ?1";
// Rows that only held a ban (no roles) go when the ban ends (ApplyToEntry does the same).
constexpr const char* kDropBanOnlyRows = "DELETE FROM participant_identities WHERE room_id = ?1 AND roles = ''";
constexpr const char* kForgetRoom = "DELETE FROM participant_identities WHERE room_id = ?1";
constexpr const char* kPrune = "DELETE FROM participant_identities WHERE usable_until_ms < ?1";

Result<ParticipantLedgerEntry> ReadRow(const Statement& r) {
  ParticipantLedgerEntry entry;
  entry.room_id = r.ColumnText(0);
  entry.identity = r.ColumnText(1);
  entry.name = r.ColumnText(2);
  entry.roles = RolesFromText(r.ColumnText(3));
  auto selected = domain::ParseParticipantRole(r.ColumnText(4));
  if (!selected) return Fail(Error::Internal("participant ledger: invalid selected_role"));
  entry.selected_role = *selected;
  entry.promoted = r.ColumnInt64(5) != 0;
  entry.demoted = r.ColumnInt64(6) != 0;
  entry.moderator_secret_holder = r.ColumnInt64(7) != 0;
  entry.banned = r.ColumnInt64(8) != 0;
  entry.grant_version = static_cast<std::uint32_t>(r.ColumnInt64(9));
  entry.usable_until_ms = r.ColumnInt64(10);
  return entry;
}

Result<void> ApplyOne(Db& db, const ParticipantLedgerChange& change) {
  using Kind = ParticipantLedgerChange::Kind;
  auto run = [&db](const char* sql, const auto&... args) -> Result<void> {
    Result<CachedStatement> statement = db.Cached(sql);
    if (!statement) return Fail(std::move(statement.error()));
    if (Result<void> bound = BindAll(**statement, args...); !bound) return bound;
    return (*statement)->Run();
  };
  switch (change.kind) {
    case Kind::kUpsert: {
      const ParticipantLedgerEntry& e = change.entry;
      const std::string roles = RolesToText(e.roles);
      return run(kUpsert.c_str(), std::string_view(e.room_id), std::string_view(e.identity),
                 std::string_view(e.name), std::string_view(roles), domain::ToString(e.selected_role),
                 std::int64_t{e.promoted}, std::int64_t{e.demoted}, std::int64_t{e.moderator_secret_holder},
                 std::int64_t{e.banned}, std::int64_t{e.grant_version}, e.usable_until_ms);
    }
    case Kind::kRemove:
      return run(kDelete, std::string_view(change.room_id), std::string_view(change.identity));
    case Kind::kEndMeeting:
      if (Result<void> dropped = run(kDropBanOnlyRows, std::string_view(change.room_id)); !dropped) return dropped;
      return run(kEndMeeting, std::string_view(change.room_id));
    case Kind::kForgetRoom:
      return run(kForgetRoom, std::string_view(change.room_id));
    case Kind::kPrune:
      return run(kPrune, change.now_ms);
  }
  return {};
}

DbResult<void> ApplyOnWriter(Db& db, const std::vector<ParticipantLedgerChange>& changes) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx) return Fail(std::move(tx.error()));
  for (const ParticipantLedgerChange& change : changes) {
    if (Result<void> applied = ApplyOne(db, change); !applied) return Fail(std::move(applied.error()));
  }
  if (Result<void> committed = tx->Commit(); !committed) return Fail(std::move(committed.error()));
  return Result<void>();
}

}  // namespace

boost::asio::awaitable<Result<std::optional<ParticipantLedgerEntry>>> SqliteParticipantLedgerStore::Find(
    std::string_view room_id, std::string_view identity) {
  auto find = [&]() -> Result<std::optional<ParticipantLedgerEntry>> {
    Result<Connections::ReaderLease> reader = connections_.AcquireReader();
    if (!reader) return Fail(std::move(reader.error()));
    Result<CachedStatement> select = (*reader)->Cached(kSelectOne);
    if (!select) return Fail(std::move(select.error()));
    if (Result<void> bound = BindAll(**select, room_id, identity); !bound) return Fail(std::move(bound.error()));
    Result<bool> row = (*select)->Step();
    if (!row) return Fail(std::move(row.error()));
    if (!*row) return std::optional<ParticipantLedgerEntry>();
    Result<ParticipantLedgerEntry> entry = ReadRow(**select);
    if (!entry) return Fail(std::move(entry.error()));
    return std::optional<ParticipantLedgerEntry>(std::move(*entry));
  };
  co_return ForClient(kComponent, "Find", find());
}

boost::asio::awaitable<Result<std::vector<ParticipantLedgerEntry>>> SqliteParticipantLedgerStore::ListBanned(
    std::int64_t now_ms) {
  auto list = [&]() -> Result<std::vector<ParticipantLedgerEntry>> {
    Result<Connections::ReaderLease> reader = connections_.AcquireReader();
    if (!reader) return Fail(std::move(reader.error()));
    Result<CachedStatement> select = (*reader)->Cached(kSelectBanned);
    if (!select) return Fail(std::move(select.error()));
    if (Result<void> bound = BindAll(**select, now_ms); !bound) return Fail(std::move(bound.error()));
    std::vector<ParticipantLedgerEntry> banned;
    for (;;) {
      Result<bool> row = (*select)->Step();
      if (!row) return Fail(std::move(row.error()));
      if (!*row) return banned;
      Result<ParticipantLedgerEntry> entry = ReadRow(**select);
      if (!entry) return Fail(std::move(entry.error()));
      banned.push_back(std::move(*entry));
    }
  };
  co_return ForClient(kComponent, "ListBanned", list());
}

boost::asio::awaitable<Result<void>> SqliteParticipantLedgerStore::Apply(std::vector<ParticipantLedgerChange> changes) {
  auto task = [changes = std::move(changes)](Db& db) { return ApplyOnWriter(db, changes); };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "Apply", std::move(result));
}

}  // namespace convene::store::sqlite
