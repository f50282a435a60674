#include "store/postgres/postgres_settings_store.hpp"

#include <string>
#include <utility>

#include "store/postgres/pg_store_support.hpp"
#include "store/settings_json.hpp"

namespace convene::store::postgres {
namespace {

using Type = PgResult::Type;

constexpr std::string_view kComponent = "settings store";

constexpr PgStatement kSelectConfig{
    "settings_select_config",
    "SELECT project_id, auth_mode_to_access_room, auth_transport_mode, webhooks_enabled,"
    " webhooks_url, themes_json FROM global_config WHERE singleton = 1",
    StatementKind::kRead};
// SHARE ROW EXCLUSIVE conflicts with itself and with every write, not with plain reads.
constexpr PgStatement kLockConfig{"settings_lock_config",
                                  "LOCK TABLE global_config IN SHARE ROW EXCLUSIVE MODE",
                                  StatementKind::kRead};
constexpr PgStatement kSelectProjectId{"settings_select_project_id",
                                       "SELECT project_id FROM global_config WHERE singleton = 1",
                                       StatementKind::kRead};
constexpr PgStatement kUpsertConfig{
    "settings_upsert_config",
    "INSERT INTO global_config (singleton, project_id, auth_mode_to_access_room,"
    " auth_transport_mode, webhooks_enabled, webhooks_url, themes_json)"
    " VALUES (1, $1::text, $2::text, $3::text, $4::boolean, $5::text, $6::text)"
    " ON CONFLICT (singleton) DO UPDATE SET project_id = excluded.project_id,"
    " auth_mode_to_access_room = excluded.auth_mode_to_access_room,"
    " auth_transport_mode = excluded.auth_transport_mode,"
    " webhooks_enabled = excluded.webhooks_enabled, webhooks_url = excluded.webhooks_url,"
    " themes_json = excluded.themes_json",
    StatementKind::kWrite};
constexpr PgStatement kSelectUser{
    "settings_select_user",
    "SELECT username, password_hash, roles_json FROM users WHERE username = $1::text",
    StatementKind::kRead};
constexpr PgStatement kUpsertUser{
    "settings_upsert_user",
    "INSERT INTO users (username, password_hash, roles_json) VALUES ($1::text, $2::text, $3::text)"
    " ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,"
    " roles_json = excluded.roles_json",
    StatementKind::kWrite};
constexpr PgStatement kSelectKeys{"settings_select_keys",
                                  "SELECT api_key, creation_date FROM api_keys ORDER BY position",
                                  StatementKind::kRead};
constexpr PgStatement kLockKeys{"settings_lock_keys",
                                "LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE",
                                StatementKind::kRead};
constexpr PgStatement kDeleteKeys{"settings_delete_keys", "DELETE FROM api_keys",
                                  StatementKind::kWrite};
constexpr PgStatement kInsertKey{
    "settings_insert_key",
    "INSERT INTO api_keys (position, api_key, creation_date)"
    " VALUES ($1::integer, $2::text, $3::bigint)",
    StatementKind::kWrite};

Error Corrupt(std::string_view what) {
  // The value is left out: these tables hold password hashes and API keys.
  return Error::Internal("settings: invalid " + std::string(what));
}

// ----- statements -----

asio::awaitable<Result<void>> WriteConfig(PgConnection& connection, const GlobalConfig& config) {
  const std::string themes = ThemesToJson(config.themes);
  std::optional<std::string_view> url;
  if (config.webhooks.url) url = *config.webhooks.url;
  PgParams params;
  params.Bytes(config.project_id)
      .Bytes(ToString(config.security.auth_mode_to_access_room))
      .Bytes(ToString(config.security.transport_mode))
      .Bool(config.webhooks.enabled)
      .OptionalBytes(url)
      .Bytes(themes);
  Result<PgResult> written = co_await connection.Execute(kUpsertConfig, params);
  if (!written) co_return Fail(std::move(written.error()));
  co_return Result<void>();
}

asio::awaitable<Result<void>> WriteUser(PgConnection& connection, const User& user) {
  const std::string roles = RolesToJson(user.roles);
  PgParams params;
  params.Bytes(user.username).Bytes(user.password_hash).Bytes(roles);
  Result<PgResult> written = co_await connection.Execute(kUpsertUser, params);
  if (!written) co_return Fail(std::move(written.error()));
  co_return Result<void>();
}

asio::awaitable<Result<void>> WriteKeys(PgConnection& connection,
                                        const std::vector<ApiKey>& keys) {
  Result<PgResult> locked = co_await connection.Execute(kLockKeys);
  if (!locked) co_return Fail(std::move(locked.error()));
  Result<PgResult> erased = co_await connection.Execute(kDeleteKeys);
  if (!erased) co_return Fail(std::move(erased.error()));
  std::int32_t position = 0;
  for (const ApiKey& key : keys) {
    PgParams params;
    params.Int32(position++).Bytes(key.key).Int64(key.creation_date);
    Result<PgResult> inserted = co_await connection.Execute(kInsertKey, params);
    if (!inserted) co_return Fail(std::move(inserted.error()));
  }
  co_return Result<void>();
}

/// Adapts a Result<void> write to a transaction body.
asio::awaitable<PgOutcome<void>> AsOutcome(asio::awaitable<Result<void>> write) {
  Result<void> written = co_await std::move(write);
  if (!written) co_return Fail(std::move(written.error()));
  co_return Result<void>();
}

asio::awaitable<PgOutcome<bool>> InitializeBody(PgConnection& connection,
                                                const InitialSettings& initial) {
  // The lock makes two instances starting at once initialise one after the other: the second
  // then sees the first one's project id and writes nothing.
  Result<PgResult> locked = co_await connection.Execute(kLockConfig);
  if (!locked) co_return Fail(std::move(locked.error()));
  Result<PgResult> selected = co_await connection.Execute(kSelectProjectId);
  if (!selected) co_return Fail(std::move(selected.error()));
  if (Result<void> typed = selected->CheckTypes({Type::kText}); !typed) {
    co_return Fail(std::move(typed.error()));
  }
  if (selected->Rows() > 0 && selected->Bytes(0, 0) == initial.config.project_id) {
    co_return Result<bool>(false);  // committed, but nothing was written
  }
  if (Result<void> written = co_await WriteConfig(connection, initial.config); !written) {
    co_return Fail(std::move(written.error()));
  }
  if (Result<void> written = co_await WriteUser(connection, initial.admin); !written) {
    co_return Fail(std::move(written.error()));
  }
  if (initial.api_key) {
    const std::vector<ApiKey> keys{*initial.api_key};
    if (Result<void> written = co_await WriteKeys(connection, keys); !written) {
      co_return Fail(std::move(written.error()));
    }
  }
  co_return Result<bool>(true);
}

}  // namespace

// ----- writes -----

boost::asio::awaitable<Result<bool>> PostgresSettingsStore::Initialize(
    const InitialSettings& initial) {
  auto body = [&initial](PgConnection& connection) {
    return InitializeBody(connection, initial);
  };
  auto attempt = [&body](PgConnection& connection) {
    return InTransaction<bool>(connection, body);
  };
  co_return co_await RunOnPool<bool>(pool_, kComponent, "Initialize", attempt);
}

boost::asio::awaitable<Result<void>> PostgresSettingsStore::PutGlobalConfig(
    const GlobalConfig& config) {
  auto attempt = [&config](PgConnection& connection) {
    return AsOutcome(WriteConfig(connection, config));
  };
  co_return co_await RunOnPool<void>(pool_, kComponent, "PutGlobalConfig", attempt);
}

boost::asio::awaitable<Result<void>> PostgresSettingsStore::PutUser(const User& user) {
  auto attempt = [&user](PgConnection& connection) {
    return AsOutcome(WriteUser(connection, user));
  };
  co_return co_await RunOnPool<void>(pool_, kComponent, "PutUser", attempt);
}

boost::asio::awaitable<Result<void>> PostgresSettingsStore::ReplaceApiKeys(
    const std::vector<ApiKey>& keys) {
  auto body = [&keys](PgConnection& connection) {
    return AsOutcome(WriteKeys(connection, keys));
  };
  auto attempt = [&body](PgConnection& connection) {
    return InTransaction<void>(connection, body);
  };
  co_return co_await RunOnPool<void>(pool_, kComponent, "ReplaceApiKeys", attempt);
}

// ----- reads -----

boost::asio::awaitable<Result<std::optional<GlobalConfig>>>
PostgresSettingsStore::GetGlobalConfig() {
  auto attempt =
      [](PgConnection& connection) -> asio::awaitable<PgOutcome<std::optional<GlobalConfig>>> {
    Result<PgResult> selected = co_await connection.Execute(kSelectConfig);
    if (!selected) co_return Fail(std::move(selected.error()));
    const PgResult& r = *selected;
    Result<void> typed = r.CheckTypes(
        {Type::kText, Type::kText, Type::kText, Type::kBool, Type::kText, Type::kText});
    if (!typed) co_return Fail(std::move(typed.error()));
    if (r.Rows() == 0) co_return Result<std::optional<GlobalConfig>>(std::nullopt);
    GlobalConfig config;
    config.project_id = r.String(0, 0);
    std::optional<AuthModeToAccessRoom> mode = ParseAuthModeToAccessRoom(r.Bytes(0, 1));
    if (!mode) co_return Fail(Corrupt("auth_mode_to_access_room"));
    config.security.auth_mode_to_access_room = *mode;
    std::optional<AuthTransportMode> transport = ParseAuthTransportMode(r.Bytes(0, 2));
    if (!transport) co_return Fail(Corrupt("auth_transport_mode"));
    config.security.transport_mode = *transport;
    config.webhooks.enabled = r.Bool(0, 3);
    if (!r.IsNull(0, 4)) config.webhooks.url = r.String(0, 4);
    std::optional<std::vector<Theme>> themes = ThemesFromJson(r.Bytes(0, 5));
    if (!themes) co_return Fail(Corrupt("themes_json"));
    config.themes = std::move(*themes);
    co_return Result<std::optional<GlobalConfig>>(std::move(config));
  };
  co_return co_await RunOnPool<std::optional<GlobalConfig>>(pool_, kComponent, "GetGlobalConfig",
                                                            attempt);
}

boost::asio::awaitable<Result<std::optional<User>>> PostgresSettingsStore::GetUser(
    std::string_view username) {
  const std::string name(username);
  auto attempt =
      [&name](PgConnection& connection) -> asio::awaitable<PgOutcome<std::optional<User>>> {
    PgParams params;
    params.Bytes(name);
    Result<PgResult> selected = co_await connection.Execute(kSelectUser, params);
    if (!selected) co_return Fail(std::move(selected.error()));
    const PgResult& r = *selected;
    if (Result<void> typed = r.CheckTypes({Type::kText, Type::kText, Type::kText}); !typed) {
      co_return Fail(std::move(typed.error()));
    }
    if (r.Rows() == 0) co_return Result<std::optional<User>>(std::nullopt);
    User user;
    user.username = r.String(0, 0);
    user.password_hash = r.String(0, 1);
    std::optional<std::vector<std::string>> roles = RolesFromJson(r.Bytes(0, 2));
    if (!roles) co_return Fail(Corrupt("roles_json"));
    user.roles = std::move(*roles);
    co_return Result<std::optional<User>>(std::move(user));
  };
  co_return co_await RunOnPool<std::optional<User>>(pool_, kComponent, "GetUser", attempt);
}

boost::asio::awaitable<Result<std::vector<ApiKey>>> PostgresSettingsStore::GetApiKeys() {
  auto attempt = [](PgConnection& connection) -> asio::awaitable<PgOutcome<std::vector<ApiKey>>> {
    Result<PgResult> selected = co_await connection.Execute(kSelectKeys);
    if (!selected) co_return Fail(std::move(selected.error()));
    const PgResult& r = *selected;
    if (Result<void> typed = r.CheckTypes({Type::kText, Type::kInt8}); !typed) {
      co_return Fail(std::move(typed.error()));
    }
    std::vector<ApiKey> keys;
    for (int row = 0; row < r.Rows(); ++row) keys.push_back(ApiKey{r.String(row, 0), r.Int64(row, 1)});
    co_return Result<std::vector<ApiKey>>(std::move(keys));
  };
  co_return co_await RunOnPool<std::vector<ApiKey>>(pool_, kComponent, "GetApiKeys", attempt);
}

}  // namespace convene::store::postgres
