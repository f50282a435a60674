#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "auth/api_keys.hpp"
#include "auth/authenticator.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/result.hpp"
#include "store/settings_store.hpp"

namespace convene::auth {
class PasswordHasher;
}

namespace convene::service {

/// What start-up initialisation takes from the environment (reference §1.2, §17.5).
struct SettingsDefaults {
  std::string name_id = "openviduMeet";  // MEET_NAME_ID
  std::string admin_user = "admin";      // MEET_INITIAL_ADMIN_USER
  std::string admin_password = "admin";  // MEET_INITIAL_ADMIN_PASSWORD
  std::string initial_api_key;           // MEET_INITIAL_API_KEY
  bool initial_webhook_enabled = false;  // MEET_INITIAL_WEBHOOK_ENABLED == "true"
  std::string initial_webhook_url;       // MEET_INITIAL_WEBHOOK_URL
};

/// The default global config of §17.5: projectId = MEET_NAME_ID; webhooks enabled only when
/// MEET_INITIAL_WEBHOOK_ENABLED is true AND an initial API key exists, url =
/// MEET_INITIAL_WEBHOOK_URL (kept even when empty, as the reference stores ""); security
/// none/header; no themes.
store::GlobalConfig DefaultGlobalConfig(const SettingsDefaults& defaults);

/// Admin roles of the single stored user (§9.1).
inline const std::vector<std::string>& AdminRoles() {
  static const std::vector<std::string> roles{"admin", "user"};
  return roles;
}

/// Deployment-wide settings over the SettingsStore: the global config, the admin user and the API
/// key. Keeps an in-memory copy of all three, loaded at start-up and replaced after every write
/// made through this service, so the per-request reads (transport mode, authModeToAccessRoom,
/// token subject lookup, API-key check) cost no I/O.
///
/// The API key cache is the `auth::ApiKeys` the API-key validator already reads: this service is
/// its only writer (start-up load, create, delete), so the validator stays synchronous and has no
/// dependency on the service layer.
///
/// Writes are serialised by an asynchronous lock, so two concurrent read-modify-write updates
/// (say, PUT webhooks and PUT appearance) cannot lose each other's change. Thread-safe.
///
/// Scope: one instance owns the store. With several instances sharing a store, another instance's
/// writes become visible here only after Reload().
class SettingsService {
 public:
  /// `executor` only hosts the write lock; any executor of the application's io_context will do.
  SettingsService(boost::asio::any_io_executor executor, store::SettingsStore& store,
                  auth::ApiKeys& api_keys, const auth::PasswordHasher& passwords,
                  const Clock& clock, Random& random);
  ~SettingsService();
  SettingsService(const SettingsService&) = delete;
  SettingsService& operator=(const SettingsService&) = delete;

  /// Start-up (§17.5): hashes the initial admin password (bcrypt, on the blocking pool), lets the
  /// store initialise itself when it is new or belongs to another MEET_NAME_ID, then loads the
  /// caches. Returns whether the store was (re)initialised. Must complete before serving.
  boost::asio::awaitable<Result<bool>> Initialize(const SettingsDefaults& defaults);
  /// Reloads the caches from the store (writes the default config if it has gone missing).
  /// Other instances call it when told that this one changed the settings.
  boost::asio::awaitable<Result<void>> Reload();
  /// Awaited after every successful write (config, API keys, password), before the write returns,
  /// so that the other instances of a deployment reload their caches (and, if it waits for them,
  /// serve the change by the time the caller sees the answer). Set once at start-up.
  void SetChangeListener(std::function<boost::asio::awaitable<void>()> listener);

  // ---- Cached reads: no I/O, safe on every request ----
  store::GlobalConfig Config() const;
  store::AuthTransportMode transport_mode() const;
  store::AuthModeToAccessRoom auth_mode_to_access_room() const;
  std::optional<store::User> FindUser(std::string_view username) const;
  std::optional<store::ApiKey> ApiKey() const;

  /// Adapters for the Authenticator (`SetTransportModeSource`, `SetUserAuthentication`).
  std::function<auth::TransportMode()> TransportModeSource() const;
  auth::UserLookup UserLookup() const;

  // ---- Writes: store first, then the cache ----
  boost::asio::awaitable<Result<void>> UpdateSecurity(store::SecurityConfig security);
  /// An absent `url` keeps the stored one (reference §4.5).
  boost::asio::awaitable<Result<void>> UpdateWebhooks(bool enabled, std::optional<std::string> url);
  /// Replaces the themes with `theme`; colours it lacks (absent or empty) are carried over from the
  /// existing first theme, if any (reference §4.5).
  boost::asio::awaitable<Result<void>> UpdateAppearance(store::Theme theme);
  /// A fresh `ovmeet-` + 32 lowercase hex key from the CSPRNG replaces any existing key.
  boost::asio::awaitable<Result<store::ApiKey>> CreateApiKey();
  boost::asio::awaitable<Result<void>> DeleteApiKeys();

  /// Login check: the stored user when `password` matches, nullopt otherwise. Reads the user from
  /// the store (and refreshes the cache). An unknown user costs one bcrypt verification too, so
  /// timing does not reveal which usernames exist.
  boost::asio::awaitable<Result<std::optional<store::User>>> CheckCredentials(std::string username,
                                                                              std::string password);

  enum class PasswordChange { kChanged, kWrongCurrentPassword, kUnknownUser };
  boost::asio::awaitable<Result<PasswordChange>> ChangePassword(std::string username,
                                                                std::string current_password,
                                                                std::string new_password);

 private:
  struct Impl;
  void CacheConfig(store::GlobalConfig config);
  void CacheUser(store::User user);
  void CacheApiKeys(const std::vector<store::ApiKey>& keys);
  boost::asio::awaitable<void> NotifyChange();
  // `change` must be a named object in the caller (GCC 12: no lambda temporaries in co_await).
  boost::asio::awaitable<Result<void>> WriteConfig(
      const std::function<void(store::GlobalConfig&)>& change);

  std::unique_ptr<Impl> impl_;
};

}  // namespace convene::service
