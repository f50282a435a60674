#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.hpp"
#include "store/settings_store.hpp"

namespace convene::api {

// Request DTOs of the auth, users and global-config routes (reference §4.5-§4.7), validated with
// the reference's zod schemas and exact messages. Every parser answers 422 `Unprocessable Entity`
// with `details` on failure, collecting every problem as zod does.

/// `POST /internal-api/v1/auth/login`: {username: string ≥ 4, password: string ≥ 4} (UTF-16
/// length).
struct LoginRequest {
  std::string username;
  std::string password;
};
Result<LoginRequest> ParseLoginRequest(const boost::json::value& body);

/// `POST /internal-api/v1/users/change-password`: {currentPassword: string, newPassword: string ≥
/// 5}.
struct ChangePasswordRequest {
  std::string current_password;
  std::string new_password;
};
Result<ChangePasswordRequest> ParseChangePasswordRequest(const boost::json::value& body);

/// `PUT /internal-api/v1/config/security`:
/// {authentication: {authMethod: {type: "single_user"}, authTransportMode, authModeToAccessRoom}}.
Result<store::SecurityConfig> ParseSecurityConfigBody(const boost::json::value& body);

/// `PUT /internal-api/v1/config/webhooks`: {enabled: boolean, url?: URL}, url required when
/// enabled.
struct WebhooksConfigUpdate {
  bool enabled = false;
  std::optional<std::string> url;
};
Result<WebhooksConfigUpdate> ParseWebhooksConfigBody(const boost::json::value& body);

/// `POST /internal-api/v1/config/webhooks/test`: {url: URL}; returns the url.
Result<std::string> ParseWebhookTestBody(const boost::json::value& body);

/// `PUT /internal-api/v1/config/rooms/appearance`: {appearance: {themes: [exactly one theme]}}.
Result<store::Theme> ParseAppearanceBody(const boost::json::value& body);

/// GET /config/security body: {authentication: {authMethod: {type: "single_user"},
/// authModeToAccessRoom, authTransportMode}}.
boost::json::object SecurityConfigToJson(const store::SecurityConfig& security);
/// GET /config/webhooks body: {enabled, url?}.
boost::json::object WebhooksConfigToJson(const store::WebhooksConfig& webhooks);
/// GET /config/rooms/appearance body: {appearance: {themes: [...]}}.
boost::json::object AppearanceToJson(const std::vector<store::Theme>& themes);
boost::json::object ThemeToJson(const store::Theme& theme);

/// Wire names of the enums (the API's vocabulary, independent of how a store persists them).
std::string_view AuthModeName(store::AuthModeToAccessRoom mode);
std::string_view TransportModeName(store::AuthTransportMode mode);

/// Whether WHATWG `new URL(text)` would succeed, which is what zod's `.url()` checks: a scheme;
/// for special schemes (http, https, ws, wss, ftp) a non-empty, well-formed host and a valid port.
/// A close approximation: IDNA is not applied to non-ASCII hosts (they are accepted).
bool IsWhatwgUrl(std::string_view text);

/// String length as JavaScript counts it (UTF-16 code units), which zod's min/max use.
std::size_t JsLength(std::string_view utf8);

}  // namespace convene::api
