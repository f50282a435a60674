#pragma once

#include "auth/authenticator.hpp"

namespace convene::http {
class Router;
}

namespace convene::api {

/// The recording routes the reference web frontend calls on ordinary pages, answered as the
/// reference answers for a deployment without recordings (convene-deviations §10). No other
/// recording route is served.
class RecordingsHandler {
 public:
  explicit RecordingsHandler(const auth::Authenticator& auth) : auth_(auth) {}
  void Register(http::Router& router);

 private:
  const auth::Authenticator& auth_;
};

}  // namespace convene::api
