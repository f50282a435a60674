#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/request.hpp"
#include "http/response.hpp"

namespace convene::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

/// A route table in the spirit of Seastar's `routes.add(GET, url(...), h)`: patterns are literal
/// segments and `{name}` captures of one non-empty segment, registered once at start-up.
class Router {
 public:
  struct Route {
    Method method;
    std::string pattern;  // also the metrics label
    std::vector<std::string> segments;
    Handler handler;
  };

  void Add(Method method, std::string pattern, Handler handler);

  /// Finds the route for `request.method` and `request.path`; fills `request.path_params` with
  /// percent-decoded captures. nullptr when nothing matches (the method is part of the match).
  const Route* Find(Request& request) const;

 private:
  const Route* Match(Method method, const std::vector<std::string_view>& parts, Request& request) const;

  std::vector<Route> routes_;
};

/// A route handler calling `(self->*member)(request)`, for handler classes that register their own
/// member functions: `router.Add(Method::kGet, "/x", BindHandler(this, &RoomsHandler::Get))`.
template <class Owner, class Member>
Handler BindHandler(Owner* self, Member member) {
  return [self, member](Request& request) { return (self->*member)(request); };
}

/// Percent-decodes one path segment or query component ('+' is a space only in queries).
/// Returns false on malformed escapes.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string& out);

}  // namespace convene::http
