#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/query_param.hpp"

namespace convene::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };

/// A transport-independent view of one HTTP request. Only src/http/server.cpp knows Beast; handlers
/// see this struct, which keeps handler translation units free of Beast's compile cost.
struct Request {
  Method method = Method::kOther;
  std::string path;                 // percent-decoded path, without the query string
  QueryParams query;                // percent-decoded, in order, repeats kept
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::vector<std::pair<std::string, std::string>> path_params;  // filled by the router
  std::string remote_address;
  std::string request_id;
  std::string base_url;             // public base URL for links built while serving this request

  /// First header with this (lower-case) name, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  bool HasHeader(std::string_view lower_name) const;
  /// A path parameter captured by the router ("" when absent).
  std::string_view Param(std::string_view name) const;
  /// Value of the named cookie from the Cookie header(s).
  std::optional<std::string> Cookie(std::string_view name) const;
  /// All values of a query parameter, in order.
  std::vector<std::string_view> QueryValues(std::string_view key) const;
};

}  // namespace convene::http
