#include "service/settings_service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <regex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "auth/passwords.hpp"
#include "store/memory/memory_settings_store.hpp"
#include "store/testing/run_sync.hpp"

namespace convene::service {
namespace {

namespace asio = boost::asio;

// A store whose global-config reads and writes suspend for a while, so that concurrent updates
// really interleave (the memory store never suspends).
class SlowStore final : public store::SettingsStore {
 public:
  explicit SlowStore(store::SettingsStore& inner) : inner_(inner) {}
  asio::awaitable<Result<bool>> Initialize(const store::InitialSettings& i) override {
    return inner_.Initialize(i);
  }
  asio::awaitable<Result<std::optional<store::GlobalConfig>>> GetGlobalConfig() override {
    co_await Pause();
    co_return co_await inner_.GetGlobalConfig();
  }
  asio::awaitable<Result<void>> PutGlobalConfig(const store::GlobalConfig& c) override {
    co_await Pause();
    co_return co_await inner_.PutGlobalConfig(c);
  }
  asio::awaitable<Result<std::optional<store::User>>> GetUser(std::string_view u) override {
    return inner_.GetUser(u);
  }
  asio::awaitable<Result<void>> PutUser(const store::User& u) override { return inner_.PutUser(u); }
  asio::awaitable<Result<std::vector<store::ApiKey>>> GetApiKeys() override {
    return inner_.GetApiKeys();
  }
  asio::awaitable<Result<void>> ReplaceApiKeys(const std::vector<store::ApiKey>& k) override {
    return inner_.ReplaceApiKeys(k);
  }

 private:
  static asio::awaitable<void> Pause() {
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
    co_await timer.async_wait(asio::use_awaitable);
  }
  store::SettingsStore& inner_;
};

class SettingsServiceTest : public ::testing::Test {
 protected:
  template <class T>
  T Run(asio::awaitable<T> a) {
    return test::RunSync(ioc_, std::move(a));
  }
  SettingsDefaults Defaults() const {
    SettingsDefaults d;
    d.initial_api_key = "meet-api-key";
    return d;
  }

  asio::io_context ioc_;
  asio::thread_pool pool_{1};
  ManualClock clock_{1'760'000'000'000};
  SeededRandom random_{1};
  store::memory::MemorySettingsStore memory_;
  auth::ApiKeys api_keys_;
  auth::PasswordHasher passwords_{pool_, 4};
  SettingsService service_{ioc_.get_executor(), memory_, api_keys_, passwords_, clock_, random_};
};

TEST_F(SettingsServiceTest, InitializeWritesTheReferenceDefaults) {
  auto created = Run(service_.Initialize(Defaults()));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(*created);

  auto stored = Run(memory_.GetGlobalConfig());
  ASSERT_TRUE(stored && *stored);
  const store::GlobalConfig& config = **stored;
  EXPECT_EQ(config.project_id, "openviduMeet");
  EXPECT_EQ(config.security.auth_mode_to_access_room, store::AuthModeToAccessRoom::kNone);
  EXPECT_EQ(config.security.transport_mode, store::AuthTransportMode::kHeader);
  EXPECT_FALSE(config.webhooks.enabled);
  EXPECT_EQ(config.webhooks.url, std::optional<std::string>(""));
  EXPECT_TRUE(config.themes.empty());
  EXPECT_EQ(service_.Config(), config);

  auto admin = Run(memory_.GetUser("admin"));
  ASSERT_TRUE(admin && *admin);
  EXPECT_EQ((*admin)->roles, AdminRoles());
  EXPECT_EQ((*admin)->password_hash.substr(0, 4), "$2b$");
  EXPECT_TRUE(auth::VerifyPasswordBlocking("admin", (*admin)->password_hash));
  EXPECT_EQ(service_.FindUser("admin"), **admin);

  ASSERT_TRUE(api_keys_.Current());
  EXPECT_EQ(api_keys_.Current()->key, "meet-api-key");
  EXPECT_EQ(api_keys_.Current()->creation_date, clock_.NowMs());
  EXPECT_TRUE(api_keys_.Matches("meet-api-key"));
}

TEST_F(SettingsServiceTest, WebhooksStartEnabledOnlyWithAnInitialApiKey) {
  SettingsDefaults d = Defaults();
  d.initial_webhook_enabled = true;
  d.initial_webhook_url = "http://hooks.example/x";
  EXPECT_TRUE(DefaultGlobalConfig(d).webhooks.enabled);
  EXPECT_EQ(DefaultGlobalConfig(d).webhooks.url, "http://hooks.example/x");
  d.initial_api_key.clear();
  EXPECT_FALSE(DefaultGlobalConfig(d).webhooks.enabled);

  ASSERT_TRUE(Run(service_.Initialize(d)));
  EXPECT_FALSE(service_.Config().webhooks.enabled);
  EXPECT_FALSE(api_keys_.Current());  // no initial key: none stored
}

TEST_F(SettingsServiceTest, RestartWithTheSameProjectKeepsWhatTheApiChanged) {
  ASSERT_TRUE(Run(service_.Initialize(Defaults())));
  ASSERT_EQ(*Run(service_.ChangePassword("admin", "admin", "changed")),
            SettingsService::PasswordChange::kChanged);
  auto key = Run(service_.CreateApiKey());
  ASSERT_TRUE(key);

  auth::ApiKeys other_keys;
  SettingsService restarted(ioc_.get_executor(), memory_, other_keys, passwords_, clock_, random_);
  auto created = Run(restarted.Initialize(Defaults()));
  ASSERT_TRUE(created);
  EXPECT_FALSE(*created);
  EXPECT_TRUE(*Run(restarted.CheckCredentials("admin", "changed")));
  EXPECT_EQ(other_keys.Current()->key, key->key);  // not reset to MEET_INITIAL_API_KEY

  // Another MEET_NAME_ID re-initialises: password and key come from the environment again.
  SettingsDefaults other_project = Defaults();
  other_project.name_id = "anotherProject";
  auto reinit = Run(restarted.Initialize(other_project));
  ASSERT_TRUE(reinit);
  EXPECT_TRUE(*reinit);
  EXPECT_EQ(restarted.Config().project_id, "anotherProject");
  EXPECT_TRUE(*Run(restarted.CheckCredentials("admin", "admin")));
  EXPECT_EQ(other_keys.Current()->key, "meet-api-key");
}

TEST_F(SettingsServiceTest, CachedReadsFollowWrites) {
  ASSERT_TRUE(Run(service_.Initialize(Defaults())));
  EXPECT_EQ(service_.transport_mode(), store::AuthTransportMode::kHeader);
  EXPECT_EQ(service_.TransportModeSource()(), auth::TransportMode::kHeader);
  store::SecurityConfig security{store::AuthModeToAccessRoom::kAllUsers,
                                 store::AuthTransportMode::kCookie};
  ASSERT_TRUE(Run(service_.UpdateSecurity(security)));
  EXPECT_EQ(service_.transport_mode(), store::AuthTransportMode::kCookie);
  EXPECT_EQ(service_.TransportModeSource()(), auth::TransportMode::kCookie);
  EXPECT_EQ(service_.auth_mode_to_access_room(), store::AuthModeToAccessRoom::kAllUsers);
  EXPECT_EQ((*Run(memory_.GetGlobalConfig()))->security, security);

  auto user = service_.UserLookup()("admin");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->roles, AdminRoles());
  EXPECT_FALSE(service_.UserLookup()("nobody"));
}

TEST_F(SettingsServiceTest, WebhookUpdateWithoutUrlKeepsTheStoredOne) {
  ASSERT_TRUE(Run(service_.Initialize(Defaults())));
  ASSERT_TRUE(Run(service_.UpdateWebhooks(true, std::string("https://hooks.example/a"))));
  EXPECT_EQ(service_.Config().webhooks, (store::WebhooksConfig{true, "https://hooks.example/a"}));
  ASSERT_TRUE(Run(service_.UpdateWebhooks(false, std::nullopt)));
  EXPECT_EQ(service_.Config().webhooks, (store::WebhooksConfig{false, "https://hooks.example/a"}));
  EXPECT_EQ((*Run(memory_.GetGlobalConfig()))->webhooks, service_.Config().webhooks);
}

TEST_F(SettingsServiceTest, AppearanceCarriesColoursOverFromTheExistingTheme) {
  ASSERT_TRUE(Run(service_.Initialize(Defaults())));
  store::Theme first{"first", true,         "light",   "#ffffff",
                     "#000",  std::nullopt, "#123456", "#abcdef12"};
  ASSERT_TRUE(Run(service_.UpdateAppearance(first)));
  EXPECT_EQ(service_.Config().themes, std::vector<store::Theme>{first});

  store::Theme second{"second", false, "dark", std::nullopt, "#bb86fc", "#111", "", std::nullopt};
  ASSERT_TRUE(Run(service_.UpdateAppearance(second)));
  const store::Theme expected{"second",  false,  "dark",    "#ffffff",
                              "#bb86fc", "#111", "#123456", "#abcdef12"};
  EXPECT_EQ(service_.Config().themes, std::vector<store::Theme>{expected});
}

TEST_F(SettingsServiceTest, ApiKeysAreSingleAndFromTheCsprngFormat) {
  ASSERT_TRUE(Run(service_.Initialize(Defaults())));
  auto first = Run(service_.CreateApiKey());
  ASSERT_TRUE(first);
  EXPECT_TRUE(std::regex_match(first->key, std::regex("ovmeet-[0-9a-f]{32}"))) << first->key;
  EXPECT_EQ(first->creation_date, clock_.NowMs());
  EXPECT_FALSE(api_keys_.Matches("meet-api-key"));
  EXPECT_TRUE(api_keys_.Matches(first->key));

  auto second = Run(service_.CreateApiKey());
  ASSERT_TRUE(second);
  EXPECT_NE(second->key, first->key);
  EXPECT_EQ(*Run(memory_.GetApiKeys()), std::vector<store::ApiKey>{*second});
  EXPECT_EQ(service_.ApiKey(), *second);

  ASSERT_TRUE(Run(service_.DeleteApiKeys()));
  EXPECT_FALSE(service_.ApiKey());
  EXPECT_TRUE(api_keys_.Empty());
  EXPECT_TRUE(Run(memory_.GetApiKeys())->empty());
}

TEST_F(SettingsServiceTest, CredentialsAndPasswordChange) {
  ASSERT_TRUE(Run(service_.Initialize(Defaults())));
  EXPECT_TRUE(*Run(service_.CheckCredentials("admin", "admin")));
  EXPECT_FALSE(*Run(service_.CheckCredentials("admin", "wrong")));
  EXPECT_FALSE(*Run(service_.CheckCredentials("nobody", "admin")));

  EXPECT_EQ(*Run(service_.ChangePassword("admin", "wrong", "new-password")),
            SettingsService::PasswordChange::kWrongCurrentPassword);
  EXPECT_EQ(*Run(service_.ChangePassword("nobody", "admin", "new-password")),
            SettingsService::PasswordChange::kUnknownUser);
  EXPECT_EQ(*Run(service_.ChangePassword("admin", "admin", "new-password")),
            SettingsService::PasswordChange::kChanged);
  EXPECT_FALSE(*Run(service_.CheckCredentials("admin", "admin")));
  EXPECT_TRUE(*Run(service_.CheckCredentials("admin", "new-password")));
  EXPECT_TRUE(
      auth::VerifyPasswordBlocking("new-password", service_.FindUser("admin")->password_hash));
}

TEST_F(SettingsServiceTest, ConcurrentUpdatesDoNotLoseEachOther) {
  ASSERT_TRUE(Run(service_.Initialize(Defaults())));
  SlowStore slow(memory_);
  SettingsService service(ioc_.get_executor(), slow, api_keys_, passwords_, clock_, random_);
  ASSERT_TRUE(Run(service.Reload()));

  auto webhooks = asio::co_spawn(
      ioc_, service.UpdateWebhooks(true, std::string("https://h.example")), asio::use_future);
  store::Theme theme{"t",          true,         "dark",       std::nullopt,
                     std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  auto appearance = asio::co_spawn(ioc_, service.UpdateAppearance(theme), asio::use_future);
  store::SecurityConfig security{store::AuthModeToAccessRoom::kModeratorsOnly,
                                 store::AuthTransportMode::kHeader};
  auto sec = asio::co_spawn(ioc_, service.UpdateSecurity(security), asio::use_future);
  ioc_.restart();
  ioc_.run();
  EXPECT_TRUE(webhooks.get());
  EXPECT_TRUE(appearance.get());
  EXPECT_TRUE(sec.get());

  auto stored = Run(memory_.GetGlobalConfig());
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->webhooks.enabled);
  EXPECT_EQ((*stored)->themes.size(), 1u);
  EXPECT_EQ((*stored)->security, security);
  EXPECT_EQ(service.Config(), **stored);
}

TEST_F(SettingsServiceTest, ReloadRecreatesAMissingGlobalConfig) {
  store::memory::MemorySettingsStore empty;
  auth::ApiKeys keys;
  SettingsService service(ioc_.get_executor(), empty, keys, passwords_, clock_, random_);
  ASSERT_TRUE(Run(service.Reload()));
  EXPECT_EQ(service.Config(), DefaultGlobalConfig(SettingsDefaults{}));
  EXPECT_TRUE(*Run(empty.GetGlobalConfig()));
}

}  // namespace
}  // namespace convene::service
