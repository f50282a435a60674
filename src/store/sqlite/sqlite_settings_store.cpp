#include "store/sqlite/sqlite_settings_store.hpp"

#include <string>
#include <utility>

#include "store/settings_json.hpp"
#include "store/sqlite/sqlite_connections.hpp"

namespace convene::store::sqlite {
namespace {

constexpr std::string_view kComponent = "settings store";

constexpr const char* kSelectConfig =
    "SELECT project_id, auth_mode_to_access_room, auth_transport_mode, webhooks_enabled,"
    " webhooks_url, themes_json FROM global_config WHERE singleton = 1";
constexpr const char* kSelectProjectId = "SELECT project_id FROM global_config WHERE singleton = 1";
constexpr const char* kUpsertConfig =
    "INSERT INTO global_config (singleton, project_id, auth_mode_to_access_room,"
    " auth_transport_mode, webhooks_enabled, webhooks_url, themes_json)"
    " VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (singleton) DO UPDATE SET project_id = excluded.project_id,"
    " auth_mode_to_access_room = excluded.auth_mode_to_access_room,"
    " auth_transport_mode = excluded.auth_transport_mode,"
    " webhooks_enabled = excluded.webhooks_enabled, webhooks_url = excluded.webhooks_url,"
    " themes_json = excluded.themes_json";
constexpr const char* kSelectUser =
    "SELECT username, password_hash, roles_json FROM users WHERE username = ?1";
constexpr const char* kUpsertUser =
    "INSERT INTO users (username, password_hash, roles_json) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,"
    " roles_json = excluded.roles_json";
constexpr const char* kSelectKeys = "SELECT api_key, creation_date FROM api_keys ORDER BY position";
constexpr const char* kDeleteKeys = "DELETE FROM api_keys";
constexpr const char* kInsertKey =
    "INSERT INTO api_keys (position, api_key, creation_date) VALUES (?1, ?2, ?3)";

Error Corrupt(std::string_view what) {
  // The value is left out: these tables hold password hashes and API keys.
  return Error::Internal("settings: invalid " + std::string(what));
}

// ----- rows -----

Result<std::optional<GlobalConfig>> SelectConfig(Db& db) {
  Result<CachedStatement> select = db.Cached(kSelectConfig);
  if (!select) return Fail(std::move(select.error()));
  Result<bool> row = (*select)->Step();
  if (!row) return Fail(std::move(row.error()));
  if (!*row) return std::optional<GlobalConfig>();
  const Statement& r = **select;
  GlobalConfig config;
  config.project_id = r.ColumnText(0);
  std::optional<AuthModeToAccessRoom> mode = ParseAuthModeToAccessRoom(r.ColumnText(1));
  if (!mode) return Fail(Corrupt("auth_mode_to_access_room"));
  config.security.auth_mode_to_access_room = *mode;
  std::optional<AuthTransportMode> transport = ParseAuthTransportMode(r.ColumnText(2));
  if (!transport) return Fail(Corrupt("auth_transport_mode"));
  config.security.transport_mode = *transport;
  config.webhooks.enabled = r.ColumnInt64(3) != 0;
  if (!r.IsNull(4)) config.webhooks.url = std::string(r.ColumnText(4));
  std::optional<std::vector<Theme>> themes = ThemesFromJson(r.ColumnText(5));
  if (!themes) return Fail(Corrupt("themes_json"));
  config.themes = std::move(*themes);
  return std::optional<GlobalConfig>(std::move(config));
}

Result<void> WriteConfig(Db& db, const GlobalConfig& config) {
  const std::string themes = ThemesToJson(config.themes);  // bound without a copy: keep alive
  Result<CachedStatement> upsert = db.Cached(kUpsertConfig);
  if (!upsert) return Fail(std::move(upsert.error()));
  Result<void> bound = BindAll(
      **upsert, std::string_view(config.project_id),
      ToString(config.security.auth_mode_to_access_room), ToString(config.security.transport_mode),
      std::int64_t{config.webhooks.enabled}, config.webhooks.url, std::string_view(themes));
  if (!bound) return bound;
  return (*upsert)->Run();
}

Result<void> WriteUser(Db& db, const User& user) {
  const std::string roles = RolesToJson(user.roles);
  Result<CachedStatement> upsert = db.Cached(kUpsertUser);
  if (!upsert) return Fail(std::move(upsert.error()));
  Result<void> bound = BindAll(**upsert, std::string_view(user.username),
                               std::string_view(user.password_hash), std::string_view(roles));
  if (!bound) return bound;
  return (*upsert)->Run();
}

Result<void> WriteKeys(Db& db, const std::vector<ApiKey>& keys) {
  {
    Result<CachedStatement> erase = db.Cached(kDeleteKeys);
    if (!erase) return Fail(std::move(erase.error()));
    if (Result<void> ran = (*erase)->Run(); !ran) return ran;
  }
  std::int64_t position = 0;
  for (const ApiKey& key : keys) {
    Result<CachedStatement> insert = db.Cached(kInsertKey);
    if (!insert) return Fail(std::move(insert.error()));
    Result<void> bound =
        BindAll(**insert, position++, std::string_view(key.key), key.creation_date);
    if (!bound) return bound;
    if (Result<void> ran = (*insert)->Run(); !ran) return ran;
  }
  return {};
}

/// Runs `write(db)` in one transaction on the writer.
template <class F>
DbResult<void> InTransaction(Db& db, F&& write) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx) return Fail(std::move(tx.error()));
  if (Result<void> written = write(db); !written) return Fail(std::move(written.error()));
  if (Result<void> committed = tx->Commit(); !committed) return Fail(std::move(committed.error()));
  return Result<void>();
}

DbResult<bool> InitializeOnWriter(Db& db, const InitialSettings& initial) {
  Result<Transaction> tx = Transaction::Begin(db);
  if (!tx) return Fail(std::move(tx.error()));
  {
    // Read inside the write transaction: two instances starting at once cannot both initialise.
    Result<CachedStatement> select = db.Cached(kSelectProjectId);
    if (!select) return Fail(std::move(select.error()));
    Result<bool> row = (*select)->Step();
    if (!row) return Fail(std::move(row.error()));
    if (*row && (*select)->ColumnText(0) == initial.config.project_id) {
      return Result<bool>(false);  // `tx` rolls back: nothing was written
    }
  }
  if (Result<void> written = WriteConfig(db, initial.config); !written) {
    return Fail(std::move(written.error()));
  }
  if (Result<void> written = WriteUser(db, initial.admin); !written) {
    return Fail(std::move(written.error()));
  }
  if (initial.api_key) {
    if (Result<void> written = WriteKeys(db, {*initial.api_key}); !written) {
      return Fail(std::move(written.error()));
    }
  }
  if (Result<void> committed = tx->Commit(); !committed) return Fail(std::move(committed.error()));
  return Result<bool>(true);
}

}  // namespace

// ----- writes: copied into the writer task, which must not reach into the caller's frame -----

boost::asio::awaitable<Result<bool>> SqliteSettingsStore::Initialize(
    const InitialSettings& initial) {
  auto task = [initial](Db& db) { return InitializeOnWriter(db, initial); };
  DbResult<bool> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "Initialize", std::move(result));
}

boost::asio::awaitable<Result<void>> SqliteSettingsStore::PutGlobalConfig(
    const GlobalConfig& config) {
  auto task = [config](Db& db) {
    return InTransaction(db, [&config](Db& d) { return WriteConfig(d, config); });
  };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "PutGlobalConfig", std::move(result));
}

boost::asio::awaitable<Result<void>> SqliteSettingsStore::PutUser(const User& user) {
  auto task = [user](Db& db) {
    return InTransaction(db, [&user](Db& d) { return WriteUser(d, user); });
  };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "PutUser", std::move(result));
}

boost::asio::awaitable<Result<void>> SqliteSettingsStore::ReplaceApiKeys(
    const std::vector<ApiKey>& keys) {
  auto task = [keys](Db& db) {
    return InTransaction(db, [&keys](Db& d) { return WriteKeys(d, keys); });
  };
  DbResult<void> result = co_await connections_.Write(std::move(task));
  co_return FlattenForClient(kComponent, "ReplaceApiKeys", std::move(result));
}

// ----- reads -----

boost::asio::awaitable<Result<std::optional<GlobalConfig>>> SqliteSettingsStore::GetGlobalConfig() {
  auto get = [&]() -> Result<std::optional<GlobalConfig>> {
    Result<Connections::ReaderLease> reader = connections_.AcquireReader();
    if (!reader) return Fail(std::move(reader.error()));
    return SelectConfig(**reader);
  };
  co_return ForClient(kComponent, "GetGlobalConfig", get());
}

boost::asio::awaitable<Result<std::optional<User>>> SqliteSettingsStore::GetUser(
    std::string_view username) {
  auto get = [&]() -> Result<std::optional<User>> {
    Result<Connections::ReaderLease> reader = connections_.AcquireReader();
    if (!reader) return Fail(std::move(reader.error()));
    Result<CachedStatement> select = (*reader)->Cached(kSelectUser);
    if (!select) return Fail(std::move(select.error()));
    if (Result<void> bound = (*select)->Bind(1, username); !bound) {
      return Fail(std::move(bound.error()));
    }
    Result<bool> row = (*select)->Step();
    if (!row) return Fail(std::move(row.error()));
    if (!*row) return std::optional<User>();
    User user;
    user.username = (*select)->ColumnText(0);
    user.password_hash = (*select)->ColumnText(1);
    std::optional<std::vector<std::string>> roles = RolesFromJson((*select)->ColumnText(2));
    if (!roles) return Fail(Corrupt("roles_json"));
    user.roles = std::move(*roles);
    return std::optional<User>(std::move(user));
  };
  co_return ForClient(kComponent, "GetUser", get());
}

boost::asio::awaitable<Result<std::vector<ApiKey>>> SqliteSettingsStore::GetApiKeys() {
  auto get = [&]() -> Result<std::vector<ApiKey>> {
    Result<Connections::ReaderLease> reader = connections_.AcquireReader();
    if (!reader) return Fail(std::move(reader.error()));
    Result<CachedStatement> select = (*reader)->Cached(kSelectKeys);
    if (!select) return Fail(std::move(select.error()));
    std::vector<ApiKey> keys;
    for (;;) {
      Result<bool> row = (*select)->Step();
      if (!row) return Fail(std::move(row.error()));
      if (!*row) return keys;
      keys.push_back(ApiKey{std::string((*select)->ColumnText(0)), (*select)->ColumnInt64(1)});
    }
  };
  co_return ForClient(kComponent, "GetApiKeys", get());
}

}  // namespace convene::store::sqlite
