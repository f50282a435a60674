// One behavioural suite for every SettingsStore implementation (see store_conformance_test.cpp).

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "store/settings_store.hpp"
#include "store/testing/run_sync.hpp"
#include "store/testing/store_factories.hpp"
#include "store/testing/temp_dir.hpp"

namespace convene::store {
namespace {

namespace asio = boost::asio;

GlobalConfig DefaultConfig(std::string project_id) {
  GlobalConfig config;
  config.project_id = std::move(project_id);
  return config;
}

/// Every field away from its default, optionals present, awkward text.
GlobalConfig FullConfig() {
  GlobalConfig config;
  config.project_id = "proj-\xC3\xA9 'x' \"y\"";
  config.security.auth_mode_to_access_room = AuthModeToAccessRoom::kAllUsers;
  config.security.transport_mode = AuthTransportMode::kCookie;
  config.webhooks.enabled = true;
  config.webhooks.url = "https://example.com/hook?a=1&b=\"2\"";
  Theme full;
  full.name = "my_theme-1";
  full.enabled = true;
  full.base_theme = "dark";
  full.background_color = "#000";
  full.primary_color = "#11223344";
  full.secondary_color = "#abc";
  full.accent_color = "#abcd";
  full.surface_color = "";
  Theme sparse;
  sparse.name = "";
  sparse.base_theme = "light";
  config.themes = {full, sparse};
  return config;
}

User Admin(std::string password_hash = "$2b$10$abcdefghijklmnopqrstuv") {
  return User{"admin", std::move(password_hash), {"admin", "user"}};
}

InitialSettings Initial(std::string project_id, std::optional<ApiKey> key) {
  InitialSettings initial;
  initial.config = DefaultConfig(std::move(project_id));
  initial.admin = Admin();
  initial.api_key = std::move(key);
  return initial;
}

template <class Factory>
class SettingsConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stores_ = Factory::Make(dir_.Path(), ioc_);
    if (this->IsSkipped()) return;  // the backend is not available (PostgreSQL without a server)
    settings_ = stores_.settings;
    ASSERT_NE(settings_, nullptr);
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    return test::RunSync(ioc_, std::move(awaitable));
  }

  bool MustInitialize(const InitialSettings& initial) {
    Result<bool> done = Run(settings_->Initialize(initial));
    EXPECT_TRUE(done) << done.error().message;
    return done && *done;
  }
  std::optional<GlobalConfig> Config() {
    Result<std::optional<GlobalConfig>> config = Run(settings_->GetGlobalConfig());
    EXPECT_TRUE(config) << config.error().message;
    return config ? *config : std::nullopt;
  }
  std::optional<User> GetUser(const std::string& name) {
    Result<std::optional<User>> user = Run(settings_->GetUser(name));
    EXPECT_TRUE(user) << user.error().message;
    return user ? *user : std::nullopt;
  }
  std::vector<ApiKey> Keys() {
    Result<std::vector<ApiKey>> keys = Run(settings_->GetApiKeys());
    EXPECT_TRUE(keys) << keys.error().message;
    return keys ? *keys : std::vector<ApiKey>{};
  }

  test::TempDir dir_;
  asio::io_context ioc_;
  test::Stores stores_;
  SettingsStore* settings_ = nullptr;
};

using Implementations = ::testing::Types<test::MemoryStoresFactory, test::SqliteStoresFactory,
                                        test::PostgresStoresFactory>;
TYPED_TEST_SUITE(SettingsConformanceTest, Implementations, test::StoresFactoryNames);

TYPED_TEST(SettingsConformanceTest, NewStoreIsEmpty) {
  EXPECT_EQ(this->Config(), std::nullopt);
  EXPECT_EQ(this->GetUser("admin"), std::nullopt);
  EXPECT_TRUE(this->Keys().empty());
}

TYPED_TEST(SettingsConformanceTest, InitializeWritesEverythingOnce) {
  const ApiKey key{"ovmeet-0123456789abcdef0123456789abcdef", 1'700'000'000'000};
  EXPECT_TRUE(this->MustInitialize(Initial("openvidu_meet", key)));
  EXPECT_EQ(this->Config(), DefaultConfig("openvidu_meet"));
  EXPECT_EQ(this->GetUser("admin"), Admin());
  EXPECT_EQ(this->Keys(), std::vector<ApiKey>{key});

  // Same project: nothing changes, even where the new initial settings differ.
  InitialSettings again = Initial("openvidu_meet", ApiKey{"ovmeet-other", 5});
  again.admin = Admin("$2b$10$changed");
  again.config.webhooks.enabled = true;
  EXPECT_FALSE(this->MustInitialize(again));
  EXPECT_EQ(this->Config(), DefaultConfig("openvidu_meet"));
  EXPECT_EQ(this->GetUser("admin"), Admin());
  EXPECT_EQ(this->Keys(), std::vector<ApiKey>{key});
}

TYPED_TEST(SettingsConformanceTest, InitializeForAnotherProjectOverwrites) {
  const ApiKey key{"ovmeet-first", 1};
  ASSERT_TRUE(this->MustInitialize(Initial("first", key)));
  ASSERT_TRUE(this->Run(this->settings_->PutUser(User{"other", "h", {"user"}})));

  // A different project, no API key given: config and admin are rewritten, the key is kept.
  InitialSettings second = Initial("second", std::nullopt);
  second.admin = Admin("$2b$10$second");
  second.config = FullConfig();
  second.config.project_id = "second";
  EXPECT_TRUE(this->MustInitialize(second));
  EXPECT_EQ(this->Config(), second.config);
  EXPECT_EQ(this->GetUser("admin"), Admin("$2b$10$second"));
  EXPECT_EQ(this->GetUser("other"), (User{"other", "h", {"user"}}));
  EXPECT_EQ(this->Keys(), std::vector<ApiKey>{key});

  // Another project with a key: the key is replaced.
  const ApiKey third_key{"ovmeet-third", 3};
  EXPECT_TRUE(this->MustInitialize(Initial("third", third_key)));
  EXPECT_EQ(this->Keys(), std::vector<ApiKey>{third_key});
}

TYPED_TEST(SettingsConformanceTest, GlobalConfigRoundTripsEveryField) {
  const GlobalConfig full = FullConfig();
  ASSERT_TRUE(this->Run(this->settings_->PutGlobalConfig(full)));
  EXPECT_EQ(this->Config(), full);

  GlobalConfig sparse = DefaultConfig("");
  sparse.webhooks.url = "";  // present but empty is not absent
  ASSERT_TRUE(this->Run(this->settings_->PutGlobalConfig(sparse)));
  const std::optional<GlobalConfig> stored = this->Config();
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, sparse);
  EXPECT_TRUE(stored->themes.empty());
  EXPECT_EQ(stored->webhooks.url, std::optional<std::string>(""));
}

TYPED_TEST(SettingsConformanceTest, RoundTripsEveryEnumValue) {
  for (AuthModeToAccessRoom mode :
       {AuthModeToAccessRoom::kNone, AuthModeToAccessRoom::kModeratorsOnly,
        AuthModeToAccessRoom::kAllUsers}) {
    for (AuthTransportMode transport : {AuthTransportMode::kHeader, AuthTransportMode::kCookie}) {
      GlobalConfig config = DefaultConfig("p");
      config.security = SecurityConfig{mode, transport};
      ASSERT_TRUE(this->Run(this->settings_->PutGlobalConfig(config)));
      EXPECT_EQ(this->Config(), config);
    }
  }
}

TYPED_TEST(SettingsConformanceTest, PutUserInsertsAndOverwrites) {
  ASSERT_TRUE(this->Run(this->settings_->PutUser(Admin())));
  ASSERT_TRUE(this->Run(this->settings_->PutUser(User{"bob", "", {}})));
  EXPECT_EQ(this->GetUser("admin"), Admin());
  EXPECT_EQ(this->GetUser("bob"), (User{"bob", "", {}}));
  EXPECT_EQ(this->GetUser("Admin"), std::nullopt);  // case-sensitive
  EXPECT_EQ(this->GetUser(""), std::nullopt);

  const User changed{"admin", "$2b$10$new", {"user", "admin", "\"quoted\""}};
  ASSERT_TRUE(this->Run(this->settings_->PutUser(changed)));
  EXPECT_EQ(this->GetUser("admin"), changed);  // role order kept
}

TYPED_TEST(SettingsConformanceTest, ReplaceApiKeysReplacesAllInOrder) {
  const std::vector<ApiKey> two = {{"ovmeet-b", 20}, {"ovmeet-a", 10}};
  ASSERT_TRUE(this->Run(this->settings_->ReplaceApiKeys(two)));
  EXPECT_EQ(this->Keys(), two);
  const std::vector<ApiKey> one = {{"ovmeet-c", 30}};
  ASSERT_TRUE(this->Run(this->settings_->ReplaceApiKeys(one)));
  EXPECT_EQ(this->Keys(), one);
  ASSERT_TRUE(this->Run(this->settings_->ReplaceApiKeys({})));
  EXPECT_TRUE(this->Keys().empty());
}

TEST(SettingsEnums, SpellingsRoundTrip) {
  for (AuthModeToAccessRoom mode :
       {AuthModeToAccessRoom::kNone, AuthModeToAccessRoom::kModeratorsOnly,
        AuthModeToAccessRoom::kAllUsers}) {
    EXPECT_EQ(ParseAuthModeToAccessRoom(ToString(mode)), mode);
  }
  EXPECT_EQ(ToString(AuthModeToAccessRoom::kModeratorsOnly), "moderators_only");
  EXPECT_EQ(ToString(AuthModeToAccessRoom::kAllUsers), "all_users");
  EXPECT_EQ(ToString(AuthTransportMode::kCookie), "cookie");
  EXPECT_EQ(ParseAuthTransportMode("header"), AuthTransportMode::kHeader);
  EXPECT_EQ(ParseAuthTransportMode("Header"), std::nullopt);
  EXPECT_EQ(ParseAuthModeToAccessRoom(""), std::nullopt);
}

}  // namespace
}  // namespace convene::store
