#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace boost::asio {
class io_context;
}

namespace convene::observability {
class Metrics;
}

namespace convene::http {

class Router;

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 6080;  // 0 = ephemeral (tests)
  std::size_t body_limit = 100 * 1024;    // as express.json's default
  std::size_t header_limit = 16 * 1024;
  /// Whole-request read deadline: a client that trickles a request (slowloris) is cut off.
  std::chrono::milliseconds read_timeout{15000};
  /// How long a keep-alive connection may sit idle between requests.
  std::chrono::milliseconds idle_timeout{65000};
  std::chrono::milliseconds write_timeout{15000};
  std::string cors_origin = "*";  // "" disables CORS headers
  std::string fixed_base_url;     // MEET_BASE_URL, already normalised; "" = derive per request
  /// SERVER_TRUST_PROXY: how many proxies in front are trusted (0 = none). The client address,
  /// scheme and host are then the X-Forwarded-For/-Proto/-Host entries the outermost of them
  /// wrote (http/forwarded.hpp).
  unsigned trusted_proxy_hops = 0;
  /// SERVER_MAX_CONNECTIONS: open client connections at most (0 = no cap). A connection beyond
  /// it is accepted, answered 503 and closed at once (counted in convene_http_connections_shed_total).
  std::size_t max_connections = 0;
};

/// HTTP/1.1 server on Boost.Beast with one coroutine per connection, keep-alive, limits and
/// deadlines on every read and write, and graceful shutdown.
class Server {
 public:
  Server(boost::asio::io_context& ioc, ServerOptions options, const Router& router,
         observability::Metrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds and listens; returns the bound port (useful with port 0).
  Result<std::uint16_t> Listen();
  /// Starts accepting connections (on the io_context's threads).
  void Start();
  /// Stops accepting; idle keep-alive connections are closed now, busy ones after their response.
  void BeginShutdown();
  std::size_t OpenConnections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

/// MEET_BASE_URL normalisation of the reference (§1.2): trailing '/' removed, ':443' removed for
/// https and ':80' for http.
std::string NormalizeBaseUrl(std::string url);

}  // namespace convene::http
