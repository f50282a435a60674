#include "service/settings_service.hpp"

#include <atomic>
#include <map>
#include <mutex>

#include <spdlog/spdlog.h>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "auth/passwords.hpp"

namespace convene::service {

namespace asio = boost::asio;

namespace {

// One-slot channel used as an asynchronous mutex: sending fills the slot (lock), a later send
// waits until a receive empties it (unlock). Unlike std::mutex it may be held across co_await and
// released from whichever thread the coroutine resumed on.
using LockChannel = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

class WriteLockGuard {
 public:
  explicit WriteLockGuard(LockChannel& channel) : channel_(channel) {}
  ~WriteLockGuard() {
    channel_.try_receive([](boost::system::error_code) {});
  }
  WriteLockGuard(const WriteLockGuard&) = delete;
  WriteLockGuard& operator=(const WriteLockGuard&) = delete;

 private:
  LockChannel& channel_;
};

bool Blank(const std::optional<std::string>& colour) { return !colour || colour->empty(); }

}  // namespace

store::GlobalConfig DefaultGlobalConfig(const SettingsDefaults& defaults) {
  store::GlobalConfig config;
  config.project_id = defaults.name_id;
  config.security.auth_mode_to_access_room = store::AuthModeToAccessRoom::kNone;
  config.security.transport_mode = store::AuthTransportMode::kHeader;
  config.webhooks.enabled = defaults.initial_webhook_enabled && !defaults.initial_api_key.empty();
  config.webhooks.url = defaults.initial_webhook_url;
  return config;
}

struct SettingsService::Impl {
  Impl(asio::any_io_executor executor, store::SettingsStore& store, auth::ApiKeys& api_keys,
       const auth::PasswordHasher& passwords, const Clock& clock, Random& random)
      : write_lock(std::move(executor), 1),
        store(store),
        api_keys(api_keys),
        passwords(passwords),
        clock(clock),
        random(random) {}

  LockChannel write_lock;
  store::SettingsStore& store;
  auth::ApiKeys& api_keys;
  const auth::PasswordHasher& passwords;
  const Clock& clock;
  Random& random;
  std::function<asio::awaitable<void>()> on_change;  // tells the other instances; set before serving

  // Hot-path copies of the two values read on every request.
  std::atomic<store::AuthTransportMode> transport_mode{store::AuthTransportMode::kHeader};
  std::atomic<store::AuthModeToAccessRoom> auth_mode{store::AuthModeToAccessRoom::kNone};

  mutable std::mutex mutex;  // guards everything below
  store::GlobalConfig config;
  std::map<std::string, store::User, std::less<>> users;
  std::optional<SettingsDefaults> defaults;
};

SettingsService::SettingsService(asio::any_io_executor executor, store::SettingsStore& store,
                                 auth::ApiKeys& api_keys, const auth::PasswordHasher& passwords,
                                 const Clock& clock, Random& random)
    : impl_(
          std::make_unique<Impl>(std::move(executor), store, api_keys, passwords, clock, random)) {}

SettingsService::~SettingsService() = default;

void SettingsService::CacheConfig(store::GlobalConfig config) {
  impl_->transport_mode.store(config.security.transport_mode);
  impl_->auth_mode.store(config.security.auth_mode_to_access_room);
  std::lock_guard lock(impl_->mutex);
  impl_->config = std::move(config);
}

void SettingsService::CacheUser(store::User user) {
  std::lock_guard lock(impl_->mutex);
  std::string name = user.username;
  impl_->users.insert_or_assign(std::move(name), std::move(user));
}

void SettingsService::CacheApiKeys(const std::vector<store::ApiKey>& keys) {
  // Only one key exists at a time (§9.4); should a store ever hold more, the first one is used,
  // as the reference does for signing webhooks.
  if (keys.empty()) {
    impl_->api_keys.Clear();
  } else {
    impl_->api_keys.Set(auth::ApiKeys::Key{keys.front().key, keys.front().creation_date});
  }
}

asio::awaitable<Result<bool>> SettingsService::Initialize(const SettingsDefaults& defaults) {
  auto hash = co_await impl_->passwords.Hash(defaults.admin_password);
  if (!hash) co_return Fail(hash.error());
  store::InitialSettings initial;
  initial.config = DefaultGlobalConfig(defaults);
  initial.admin = store::User{defaults.admin_user, std::move(*hash), AdminRoles()};
  if (!defaults.initial_api_key.empty()) {
    initial.api_key = store::ApiKey{defaults.initial_api_key, impl_->clock.NowMs()};
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->defaults = defaults;
  }
  auto created = co_await impl_->store.Initialize(initial);
  if (!created) co_return Fail(created.error());
  if (*created) {
    spdlog::info("settings store initialised for project '{}' (admin user '{}'{})",
                 defaults.name_id, defaults.admin_user, initial.api_key ? ", initial API key" : "");
  }
  auto loaded = co_await Reload();
  if (!loaded) co_return Fail(loaded.error());
  co_return *created;
}

void SettingsService::SetChangeListener(std::function<asio::awaitable<void>()> listener) {
  impl_->on_change = std::move(listener);
}

asio::awaitable<void> SettingsService::NotifyChange() {
  if (impl_->on_change) co_await impl_->on_change();
}

asio::awaitable<Result<void>> SettingsService::Reload() {
  // Under the write lock, so a reload never puts older data over a concurrent write's result.
  co_await impl_->write_lock.async_send(boost::system::error_code{}, asio::use_awaitable);
  WriteLockGuard guard(impl_->write_lock);
  auto config = co_await impl_->store.GetGlobalConfig();
  if (!config) co_return Fail(config.error());
  if (!*config) {
    // §17.5: a missing global config is recreated with the defaults when read.
    std::optional<SettingsDefaults> defaults;
    {
      std::lock_guard lock(impl_->mutex);
      defaults = impl_->defaults;
    }
    store::GlobalConfig fresh = DefaultGlobalConfig(defaults.value_or(SettingsDefaults{}));
    auto put = co_await impl_->store.PutGlobalConfig(fresh);
    if (!put) co_return Fail(put.error());
    *config = std::move(fresh);
  }
  CacheConfig(std::move(**config));

  std::vector<std::string> usernames;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->defaults) usernames.push_back(impl_->defaults->admin_user);
    for (const auto& [name, user] : impl_->users) usernames.push_back(name);
  }
  for (const std::string& name : usernames) {
    auto user = co_await impl_->store.GetUser(name);
    if (!user) co_return Fail(user.error());
    if (*user) {
      CacheUser(std::move(**user));
    } else {
      std::lock_guard lock(impl_->mutex);
      if (auto it = impl_->users.find(name); it != impl_->users.end()) impl_->users.erase(it);
    }
  }

  auto keys = co_await impl_->store.GetApiKeys();
  if (!keys) co_return Fail(keys.error());
  CacheApiKeys(*keys);
  co_return Result<void>{};
}

store::GlobalConfig SettingsService::Config() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->config;
}

store::AuthTransportMode SettingsService::transport_mode() const {
  return impl_->transport_mode.load();
}

store::AuthModeToAccessRoom SettingsService::auth_mode_to_access_room() const {
  return impl_->auth_mode.load();
}

std::optional<store::User> SettingsService::FindUser(std::string_view username) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->users.find(username);
  if (it == impl_->users.end()) return std::nullopt;
  return it->second;
}

std::optional<store::ApiKey> SettingsService::ApiKey() const {
  auto key = impl_->api_keys.Current();
  if (!key) return std::nullopt;
  return store::ApiKey{std::move(key->key), key->creation_date};
}

std::function<auth::TransportMode()> SettingsService::TransportModeSource() const {
  return [this] {
    return transport_mode() == store::AuthTransportMode::kCookie ? auth::TransportMode::kCookie
                                                                 : auth::TransportMode::kHeader;
  };
}

auth::UserLookup SettingsService::UserLookup() const {
  return [this](std::string_view username) -> std::optional<auth::UserRecord> {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->users.find(username);
    if (it == impl_->users.end()) return std::nullopt;
    return auth::UserRecord{it->second.username, it->second.roles};
  };
}

asio::awaitable<Result<void>> SettingsService::WriteConfig(
    const std::function<void(store::GlobalConfig&)>& change) {
  co_await impl_->write_lock.async_send(boost::system::error_code{}, asio::use_awaitable);
  WriteLockGuard guard(impl_->write_lock);
  // Start from the stored config, not the cache: with several instances the cache may not have
  // seen another instance's latest change yet, and writing it back would undo that change.
  auto stored = co_await impl_->store.GetGlobalConfig();
  if (!stored) co_return Fail(stored.error());
  store::GlobalConfig config = *stored ? std::move(**stored) : Config();
  change(config);
  auto put = co_await impl_->store.PutGlobalConfig(config);
  if (!put) co_return Fail(put.error());
  CacheConfig(std::move(config));
  co_await NotifyChange();
  co_return Result<void>{};
}

asio::awaitable<Result<void>> SettingsService::UpdateSecurity(store::SecurityConfig security) {
  const std::function<void(store::GlobalConfig&)> change = [security](store::GlobalConfig& config) {
    config.security = security;
  };
  co_return co_await WriteConfig(change);
}

asio::awaitable<Result<void>> SettingsService::UpdateWebhooks(bool enabled,
                                                              std::optional<std::string> url) {
  const std::function<void(store::GlobalConfig&)> change = [enabled,
                                                            &url](store::GlobalConfig& config) {
    config.webhooks.enabled = enabled;
    if (url) config.webhooks.url = *url;
  };
  co_return co_await WriteConfig(change);
}

asio::awaitable<Result<void>> SettingsService::UpdateAppearance(store::Theme theme) {
  const std::function<void(store::GlobalConfig&)> change = [&theme](store::GlobalConfig& config) {
    if (!config.themes.empty()) {
      const store::Theme& existing = config.themes.front();
      for (auto member : {&store::Theme::background_color, &store::Theme::primary_color,
                          &store::Theme::secondary_color, &store::Theme::accent_color,
                          &store::Theme::surface_color}) {
        if (Blank(theme.*member) && !Blank(existing.*member)) theme.*member = existing.*member;
      }
    }
    config.themes = {theme};
  };
  co_return co_await WriteConfig(change);
}

asio::awaitable<Result<store::ApiKey>> SettingsService::CreateApiKey() {
  co_await impl_->write_lock.async_send(boost::system::error_code{}, asio::use_awaitable);
  WriteLockGuard guard(impl_->write_lock);
  store::ApiKey key{"ovmeet-" + impl_->random.Hex(32), impl_->clock.NowMs()};
  const std::vector<store::ApiKey> keys{key};
  auto put = co_await impl_->store.ReplaceApiKeys(keys);
  if (!put) co_return Fail(put.error());
  CacheApiKeys(keys);
  co_await NotifyChange();
  co_return key;
}

asio::awaitable<Result<void>> SettingsService::DeleteApiKeys() {
  co_await impl_->write_lock.async_send(boost::system::error_code{}, asio::use_awaitable);
  WriteLockGuard guard(impl_->write_lock);
  const std::vector<store::ApiKey> none;
  auto put = co_await impl_->store.ReplaceApiKeys(none);
  if (!put) co_return Fail(put.error());
  CacheApiKeys(none);
  co_await NotifyChange();
  co_return Result<void>{};
}

asio::awaitable<Result<std::optional<store::User>>> SettingsService::CheckCredentials(
    std::string username, std::string password) {
  auto user = co_await impl_->store.GetUser(username);
  if (!user) co_return Fail(user.error());
  if (!*user) {
    // Same cost as a wrong password, so response time does not reveal unknown usernames.
    std::string equaliser(auth::kTimingEqualiserHash);
    co_await impl_->passwords.Verify(std::move(password), std::move(equaliser));
    co_return std::optional<store::User>{};
  }
  const bool ok = co_await impl_->passwords.Verify(std::move(password), (*user)->password_hash);
  CacheUser(**user);
  if (!ok) co_return std::optional<store::User>{};
  co_return std::move(*user);
}

asio::awaitable<Result<SettingsService::PasswordChange>> SettingsService::ChangePassword(
    std::string username, std::string current_password, std::string new_password) {
  co_await impl_->write_lock.async_send(boost::system::error_code{}, asio::use_awaitable);
  WriteLockGuard guard(impl_->write_lock);
  auto user = co_await impl_->store.GetUser(username);
  if (!user) co_return Fail(user.error());
  if (!*user) co_return PasswordChange::kUnknownUser;
  const bool ok =
      co_await impl_->passwords.Verify(std::move(current_password), (*user)->password_hash);
  if (!ok) co_return PasswordChange::kWrongCurrentPassword;
  auto hash = co_await impl_->passwords.Hash(std::move(new_password));
  if (!hash) co_return Fail(hash.error());
  store::User updated = std::move(**user);
  updated.password_hash = std::move(*hash);
  auto put = co_await impl_->store.PutUser(updated);
  if (!put) co_return Fail(put.error());
  CacheUser(std::move(updated));
  co_await NotifyChange();
  co_return PasswordChange::kChanged;
}

}  // namespace convene::service
