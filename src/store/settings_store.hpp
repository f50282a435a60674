#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::store {

enum class AuthModeToAccessRoom { kNone, kModeratorsOnly, kAllUsers };
enum class AuthTransportMode { kHeader, kCookie };

std::string_view ToString(AuthModeToAccessRoom v);
std::string_view ToString(AuthTransportMode v);
std::optional<AuthModeToAccessRoom> ParseAuthModeToAccessRoom(std::string_view s);
std::optional<AuthTransportMode> ParseAuthTransportMode(std::string_view s);

/// securityConfig.authentication (reference §4.5); authMethod is always {"type":"single_user"}.
struct SecurityConfig {
  AuthModeToAccessRoom auth_mode_to_access_room = AuthModeToAccessRoom::kNone;
  AuthTransportMode transport_mode = AuthTransportMode::kHeader;
  bool operator==(const SecurityConfig&) const = default;
};

struct WebhooksConfig {
  bool enabled = false;
  std::optional<std::string> url;
  bool operator==(const WebhooksConfig&) const = default;
};

/// MeetRoomTheme (reference §5.2); colours are "#rgb", "#rgba", "#rrggbb" or "#rrggbbaa".
struct Theme {
  std::string name;
  bool enabled = false;
  std::string base_theme = "light";  // "light" | "dark"
  std::optional<std::string> background_color;
  std::optional<std::string> primary_color;
  std::optional<std::string> secondary_color;
  std::optional<std::string> accent_color;
  std::optional<std::string> surface_color;
  bool operator==(const Theme&) const = default;
};

/// GlobalConfig (reference §5.4, §17.5).
struct GlobalConfig {
  std::string project_id;
  SecurityConfig security;
  WebhooksConfig webhooks;
  std::vector<Theme> themes;  // roomsConfig.appearance.themes
  bool operator==(const GlobalConfig&) const = default;
};

struct User {
  std::string username;
  std::string password_hash;        // bcrypt "$2b$10$..."
  std::vector<std::string> roles;   // ["admin","user"]
  bool operator==(const User&) const = default;
};

struct ApiKey {
  std::string key;
  std::int64_t creation_date = 0;  // ms
  bool operator==(const ApiKey&) const = default;
};

/// What start-up initialisation writes when the store is new or belongs to another project
/// (reference §17.5): the default global config, the admin user, and the initial API key if any.
struct InitialSettings {
  GlobalConfig config;       // project_id = MEET_NAME_ID
  User admin;                // password already hashed
  std::optional<ApiKey> api_key;
};

/// Deployment-wide settings: the global config, the single admin user and the API key (only one
/// key exists at a time, reference §9.4). Every method is one transaction.
class SettingsStore {
 public:
  virtual ~SettingsStore() = default;

  /// Atomically: if no global config exists, or its project_id differs from `initial.config`'s,
  /// writes `initial` (config, admin user overwritten, API key replaced when given) and returns
  /// true; otherwise changes nothing and returns false.
  virtual boost::asio::awaitable<Result<bool>> Initialize(const InitialSettings& initial) = 0;

  virtual boost::asio::awaitable<Result<std::optional<GlobalConfig>>> GetGlobalConfig() = 0;
  virtual boost::asio::awaitable<Result<void>> PutGlobalConfig(const GlobalConfig& config) = 0;

  virtual boost::asio::awaitable<Result<std::optional<User>>> GetUser(std::string_view username) = 0;
  virtual boost::asio::awaitable<Result<void>> PutUser(const User& user) = 0;

  /// The stored keys (zero or one).
  virtual boost::asio::awaitable<Result<std::vector<ApiKey>>> GetApiKeys() = 0;
  /// Replaces all keys with `keys` (empty = delete all).
  virtual boost::asio::awaitable<Result<void>> ReplaceApiKeys(const std::vector<ApiKey>& keys) = 0;
};

using SettingsStorePtr = std::unique_ptr<SettingsStore>;

}  // namespace convene::store
