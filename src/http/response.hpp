#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

#include "core/error.hpp"

namespace convene::http {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Location, Set-Cookie)

  static Response Json(int status, const boost::json::value& value);
  static Response Json(int status, const boost::json::object& value);
  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  /// The reference error body {error, message[, details]} with the status of `error.code`.
  static Response FromError(const Error& error);
  /// 200 {"message": text}
  static Response Message(int status, std::string_view text);

  Response& WithHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

/// The one place that turns an ErrorCode into an HTTP status (conventions §6).
int HttpStatusFor(ErrorCode code);

}  // namespace convene::http
