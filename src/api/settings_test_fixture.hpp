#pragma once

// Test-only: the object graph of the admin-authentication side (settings store fake, settings
// service, token codecs, authenticator), shared by the handler and gate tests.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "auth/api_keys.hpp"
#include "auth/authenticator.hpp"
#include "auth/passwords.hpp"
#include "auth/user_tokens.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "service/settings_service.hpp"
#include "store/memory/memory_settings_store.hpp"
#include "store/testing/run_sync.hpp"
#include "tokens/participant_token.hpp"

namespace convene::test {

class SettingsFixture : public ::testing::Test {
 protected:
  SettingsFixture() {
    authenticator.SetTransportModeSource(settings.TransportModeSource());
    authenticator.SetUserAuthentication(user_tokens, settings.UserLookup());
    service::SettingsDefaults defaults;
    defaults.initial_api_key = "meet-api-key";
    auto initialised = Run(settings.Initialize(defaults));
    EXPECT_TRUE(initialised) << initialised.error().message;
  }

  template <class T>
  T Run(boost::asio::awaitable<T> awaitable) {
    return RunSync(ioc, std::move(awaitable));
  }

  std::string AdminAccess() const {
    return user_tokens.Mint(auth::UserTokenType::kAccess, "admin", service::AdminRoles());
  }
  std::string AdminRefresh() const {
    return user_tokens.Mint(auth::UserTokenType::kRefresh, "admin", service::AdminRoles());
  }

  static http::Request Req(std::string body = {}) {
    http::Request req;
    req.remote_address = "192.0.2.1";
    if (!body.empty()) {
      req.headers.emplace_back("content-type", "application/json");
      req.body = std::move(body);
    }
    return req;
  }
  http::Request AsAdmin(std::string body = {}) const {
    http::Request req = Req(std::move(body));
    if (settings.transport_mode() == store::AuthTransportMode::kCookie) {
      req.headers.emplace_back("cookie",
                               std::string(auth::kAccessTokenCookie) + "=" + AdminAccess());
    } else {
      req.headers.emplace_back("authorization", "Bearer " + AdminAccess());
    }
    return req;
  }

  void UseCookies() {
    store::SecurityConfig security = settings.Config().security;
    security.transport_mode = store::AuthTransportMode::kCookie;
    ASSERT_TRUE(Run(settings.UpdateSecurity(security)));
  }

  static boost::json::value Json(const http::Response& res) { return boost::json::parse(res.body); }
  static void ExpectError(const http::Response& res, int status, std::string_view error,
                          std::string_view message) {
    EXPECT_EQ(res.status, status) << res.body;
    auto body = Json(res);
    EXPECT_EQ(body.at("error").as_string(), error) << res.body;
    EXPECT_EQ(body.at("message").as_string(), message) << res.body;
  }
  /// 422 with exactly these {field, message} details, in order.
  static void ExpectValidation(const http::Response& res,
                               const std::vector<std::pair<std::string, std::string>>& details) {
    ExpectError(res, 422, "Unprocessable Entity", "Invalid request");
    auto body = Json(res);
    const auto& list = body.at("details").as_array();
    ASSERT_EQ(list.size(), details.size()) << res.body;
    for (std::size_t i = 0; i < details.size(); ++i) {
      EXPECT_EQ(list[i].at("field").as_string(), details[i].first) << res.body;
      EXPECT_EQ(list[i].at("message").as_string(), details[i].second) << res.body;
    }
  }
  static std::vector<std::string> SetCookies(const http::Response& res) {
    std::vector<std::string> out;
    for (const auto& [name, value] : res.headers) {
      if (name == "Set-Cookie") out.push_back(value);
    }
    return out;
  }

  boost::asio::io_context ioc;
  boost::asio::thread_pool pool{1};
  ManualClock clock{1'760'000'000'000};
  SeededRandom random{7};
  store::memory::MemorySettingsStore store;
  auth::ApiKeys api_keys;
  auth::PasswordHasher passwords{pool, 4};  // cost 4 keeps the tests fast; production uses 10
  service::SettingsService settings{ioc.get_executor(), store, api_keys, passwords, clock, random};
  tokens::ParticipantTokenCodec participant_tokens{"devkey", "secret", "ws://localhost:7880", 7200,
                                                   clock};
  auth::UserTokenCodec user_tokens{"devkey", auth::UserTokenKey("", "secret"), clock};
  auth::Authenticator authenticator{api_keys, participant_tokens};
};

}  // namespace convene::test
