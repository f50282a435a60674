#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace boost::asio {
class io_context;
}

namespace convene::clients {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{5000};  // whole exchange: connect + write + read
};

struct HttpResponse {
  int status = 0;
  std::string reason;  // status text, e.g. "Internal Server Error"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string Header(std::string_view lower_name) const;
};

/// Outgoing HTTP/1.1 (and HTTPS with SNI and host-name verification) on the server's own
/// io_context, with a keep-alive connection pool per origin. Never follows redirects.
///
/// Failures are Error{kUnavailable, reason}: reason is one of "refused", "reset", "dns", "tls",
/// "timeout", "network" (with the system message in `message`); an HTTP error status is not a
/// failure — it is returned as a response. A malformed URL or method is kInvalidArgument with
/// reason "invalid_url" / "invalid_request".
///
/// Thread safety: Send() may be called concurrently from every thread running the io_context.
/// The pool is guarded by a mutex; a connection serves one exchange at a time and all of its I/O
/// runs on its own strand. The client must outlive every Send() it started.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual boost::asio::awaitable<Result<HttpResponse>> Send(HttpRequest request) = 0;
};

struct HttpClientOptions {
  std::size_t max_idle_per_origin = 16;
  std::chrono::milliseconds idle_timeout{30000};
  std::size_t max_response_bytes = 16 * 1024 * 1024;
  bool verify_tls = true;
  /// Extra trusted CA certificates (PEM), in addition to the system's default verify paths; for
  /// deployments behind a private CA, and for tests.
  std::string extra_ca_pem;
};

std::unique_ptr<HttpClient> MakeHttpClient(boost::asio::io_context& ioc, HttpClientOptions options = {});

}  // namespace convene::clients
