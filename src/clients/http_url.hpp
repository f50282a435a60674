#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace convene::clients {

/// An absolute http(s) URL split into what an HTTP/1.1 client needs. Internal to src/clients.
struct HttpUrl {
  bool tls = false;
  std::string host;  // lower-cased; an IPv6 literal without brackets
  std::uint16_t port = 0;
  std::string target;  // origin-form request target: path (at least "/") plus "?query"

  /// Value of the Host header: brackets around IPv6 literals, port only when not the default.
  std::string HostHeader() const;
  /// Pool key: scheme, host and port.
  std::string Origin() const;
};

/// Parses `http://host[:port][/path][?query][#fragment]` (scheme and host case-insensitive).
/// Refuses user info, empty hosts, bad ports and other schemes with kInvalidArgument and reason
/// "invalid_url"; the fragment is dropped since it is never sent. Like a WHATWG URL parser, it
/// first strips surrounding spaces and controls and removes tabs and newlines, and it
/// percent-encodes spaces, controls and non-ASCII bytes in the path and query, so the target is
/// always safe on a request line.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

}  // namespace convene::clients
