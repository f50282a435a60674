#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace convene::http {
class Router;
}
namespace convene::service {
class SettingsService;
}

namespace convene::api {

/// `/internal-api/v1/users/*` (reference §4.7). Both routes take an ADMIN or USER access token;
/// authentication precedes validation.
class UsersHandler {
 public:
  UsersHandler(service::SettingsService& settings, const auth::Authenticator& auth)
      : settings_(settings), auth_(auth) {}

  void Register(http::Router& router);

  /// 200 {"username", "roles"} (the password hash is never shown).
  boost::asio::awaitable<http::Response> Profile(http::Request& req) const;
  /// 200 `Password for user '<u>' changed successfully`; wrong current password → 400
  /// `Change Password Error` / `Invalid current password`. Issued tokens stay valid (reference).
  boost::asio::awaitable<http::Response> ChangePassword(http::Request& req) const;

 private:
  service::SettingsService& settings_;
  const auth::Authenticator& auth_;
};

}  // namespace convene::api
