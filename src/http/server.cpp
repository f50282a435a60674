#include "http/server.hpp"

#include <atomic>
#include <chrono>
#include <iterator>
#include <list>
#include <mutex>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "http/forwarded.hpp"
#include "http/router.hpp"
#include "observability/log_throttle.hpp"
#include "observability/metrics.hpp"

namespace convene::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// After a failed accept (out of file descriptors or kernel memory) the pending connection stays
// queued, so retrying at once fails again at once: one core and megabytes of log a second. The
// loop waits instead, doubling from the first to the last delay, back to the first after a success.
constexpr std::chrono::milliseconds kAcceptBackoffFirst{10};
constexpr std::chrono::milliseconds kAcceptBackoffLast{1000};
// A condition that can repeat on every accept is logged at most this often, with its count.
constexpr std::chrono::seconds kRepeatedLogInterval{10};

// What a connection beyond SERVER_MAX_CONNECTIONS receives before it is closed.
const std::string& ShedResponse() {
  static const std::string response = [] {
    constexpr std::string_view body =
        R"({"error":"Service Unavailable","message":"Too many open connections"})";
    return fmt::format(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{}",
        body.size(), body);
  }();
  return response;
}

Method ToMethod(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get: return Method::kGet;
    case bhttp::verb::head: return Method::kHead;
    case bhttp::verb::post: return Method::kPost;
    case bhttp::verb::put: return Method::kPut;
    case bhttp::verb::patch: return Method::kPatch;
    case bhttp::verb::delete_: return Method::kDelete;
    case bhttp::verb::options: return Method::kOptions;
    default: return Method::kOther;
  }
}

std::string_view MethodName(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kHead: return "HEAD";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kPatch: return "PATCH";
    case Method::kDelete: return "DELETE";
    case Method::kOptions: return "OPTIONS";
    case Method::kOther: return "OTHER";
  }
  return "OTHER";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Query strings are parsed leniently like Express's: a malformed escape keeps the raw text.
QueryParams ParseQuery(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    // As qs: a key may hold '=' inside brackets ("a[b=c]=d" is key "a[b=c]").
    const auto bracket_eq = pair.find("]=");
    const auto eq = bracket_eq == std::string_view::npos ? pair.find('=') : bracket_eq + 1;
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    QueryParam p;
    if (!PercentDecode(raw_key, true, p.key)) p.key = std::string(raw_key);
    if (!PercentDecode(raw_value, true, p.value)) p.value = std::string(raw_value);
    out.push_back(std::move(p));
  }
  return out;
}

// A Host header is echoed into URLs we hand out, so only plain host[:port] syntax is trusted.
bool IsSafeHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsSafeRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// RFC 9112 §6.1: when a request's Transfer-Encoding is anything but one "chunked" (on HTTP/1.1),
// its body length cannot be determined. Beast then reads no body and parses the body bytes as the
// next request, where a front proxy may have framed the same bytes differently (request
// smuggling), so such a request is refused and its connection closed.
bool AcceptableTransferEncoding(const bhttp::request_parser<bhttp::string_body>& parser) {
  const auto& msg = parser.get();
  const auto [first, last] = msg.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return true;
  if (std::next(first) != last || msg.version() != 11) return false;
  std::string_view value = first->value();
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return beast::iequals(value, "chunked");
}

std::string NewRequestId() {
  // Unique per process is enough for log correlation; no need for the CSPRNG here.
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t epoch = static_cast<std::uint64_t>(
      std::chrono::steady_clock::now().time_since_epoch().count());
  return fmt::format("{:x}-{:x}", epoch & 0xffffffffu, counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace

std::string NormalizeBaseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  // Drop a default port (":443" for https, ":80" for http). The reference does a substring
  // replace, which would also mangle ":8080"; only an exact port at the end of the authority goes.
  auto drop_default_port = [&url](std::string_view scheme, std::string_view port) {
    if (url.rfind(scheme, 0) != 0) return;
    const std::size_t authority_end = url.find('/', scheme.size());
    const std::size_t end = authority_end == std::string::npos ? url.size() : authority_end;
    if (end >= port.size() && std::string_view(url).substr(end - port.size(), port.size()) == port) {
      url.erase(end - port.size(), port.size());
    }
  };
  drop_default_port("https://", ":443");
  drop_default_port("http://", ":80");
  return url;
}

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  // Per-connection state visible to BeginShutdown, which closes idle connections on their strand.
  struct Connection {
    asio::any_io_executor executor;     // the connection's strand
    beast::tcp_stream* stream = nullptr;  // nulled (on the strand) when the session ends
    bool busy = false;  // touched only on the connection's strand
  };

  asio::io_context& ioc;
  ServerOptions options;
  const Router& router;
  observability::Metrics& metrics;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  mutable std::mutex connections_mutex;
  std::list<std::shared_ptr<Connection>> connections;
  // Sessions running, counted from their accept (before they register), for the cap.
  std::atomic<std::size_t> open_connections{0};
  observability::RouteStats* unmatched_stats;
  observability::Counter* shed_connections;
  observability::Counter* accept_errors;
  observability::LogThrottle shed_log{kRepeatedLogInterval};
  observability::LogThrottle accept_error_log{kRepeatedLogInterval};
  asio::steady_timer accept_backoff;  // on the acceptor's executor; cancelled by BeginShutdown

  Impl(asio::io_context& io, ServerOptions opts, const Router& r, observability::Metrics& m)
      // The accept loop, its back-off timer and BeginShutdown's close share one strand.
      : ioc(io), options(std::move(opts)), router(r), metrics(m), acceptor(asio::make_strand(io)),
        unmatched_stats(m.Route("ANY", "unmatched")),
        shed_connections(m.GetCounter("convene_http_connections_shed_total",
                                      "Connections closed at accept because SERVER_MAX_CONNECTIONS "
                                      "were open")),
        accept_errors(m.GetCounter("convene_http_accept_errors_total",
                                   "Failed accepts (e.g. out of file descriptors)")),
        accept_backoff(acceptor.get_executor()) {}

  asio::awaitable<void> Accept() {
    auto backoff = kAcceptBackoffFirst;
    while (!stopping.load()) {
      tcp::socket socket(asio::make_strand(ioc));
      auto [ec] = co_await acceptor.async_accept(socket, kUseTuple);
      if (ec) {
        if (stopping.load() || ec == asio::error::operation_aborted) break;
        accept_errors->Increment();
        // The client gave up between SYN and accept: nothing is wrong with the server.
        if (ec == asio::error::connection_aborted) continue;
        if (const std::uint64_t count = accept_error_log.Occurred()) {
          spdlog::warn("accept failed: {} ({} time(s) since the last report); backing off up to {} ms",
                       ec.message(), count, kAcceptBackoffLast.count());
        }
        accept_backoff.expires_after(backoff);
        co_await accept_backoff.async_wait(kUseTuple);
        backoff = std::min(backoff * 2, kAcceptBackoffLast);
        continue;
      }
      backoff = kAcceptBackoffFirst;
      if (options.max_connections != 0 && open_connections.load() >= options.max_connections) {
        Shed(socket);
        continue;
      }
      open_connections.fetch_add(1);
      socket.set_option(tcp::no_delay(true), ec);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  // Accept-and-close rather than leaving connections in the listen queue: a queued client only
  // learns after its own timeout, while this one is told at once (503, Retry-After) and can retry
  // or go to another instance; the queue stays short, so once connections close, new clients are
  // served at once. The cap keeps file descriptors in reserve, so accepting still succeeds.
  void Shed(tcp::socket& socket) {
    shed_connections->Increment();
    if (const std::uint64_t count = shed_log.Occurred()) {
      spdlog::warn("{} connection(s) refused since the last report: {} open, at the "
                   "SERVER_MAX_CONNECTIONS cap",
                   count, open_connections.load());
    }
    // Best effort and never blocking: the answer fits the empty send buffer of a new socket.
    boost::system::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(ShedResponse()), ignored);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  std::shared_ptr<Connection> Register(beast::tcp_stream* stream) {
    auto conn = std::make_shared<Connection>();
    conn->stream = stream;
    conn->executor = stream->get_executor();
    std::lock_guard lock(connections_mutex);
    connections.push_back(conn);
    return conn;
  }

  void Unregister(const std::shared_ptr<Connection>& conn) {
    conn->stream = nullptr;
    std::lock_guard lock(connections_mutex);
    connections.remove(conn);
  }

  std::string BaseUrlFor(const Request& req, std::string_view host_header) const {
    if (!options.fixed_base_url.empty()) return options.fixed_base_url;
    std::string proto = "http";
    std::string_view host = host_header;
    // The same hop as the client address: the values the outermost trusted proxy wrote.
    const std::string fwd_proto =
        ForwardedValue(req, "x-forwarded-proto", options.trusted_proxy_hops);
    if (fwd_proto == "https" || fwd_proto == "http") proto = fwd_proto;
    const std::string fwd_host = ForwardedValue(req, "x-forwarded-host", options.trusted_proxy_hops);
    if (IsSafeHost(fwd_host)) host = fwd_host;
    if (!IsSafeHost(host)) return fmt::format("http://localhost:{}", options.port);
    return NormalizeBaseUrl(proto + "://" + std::string(host));
  }

  Request ToRequest(bhttp::request<bhttp::string_body>& msg, const beast::tcp_stream& stream) const {
    Request req;
    req.method = ToMethod(msg.method());
    std::string_view target = msg.target();
    const auto q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = ParseQuery(target.substr(q + 1));
    req.headers.reserve(16);
    for (const auto& field : msg) {
      req.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    boost::system::error_code ec;
    const auto endpoint = stream.socket().remote_endpoint(ec);
    if (!ec) req.remote_address = endpoint.address().to_string();
    // Behind trusted proxies the client is the address the outermost one saw, never the
    // leftmost X-Forwarded-For entry: the client writes that one itself (and could rotate it to
    // get a fresh login rate-limit budget per request).
    std::string fwd = ForwardedValue(req, "x-forwarded-for", options.trusted_proxy_hops);
    if (!fwd.empty() && fwd.size() < 64) req.remote_address = std::move(fwd);
    const std::string_view incoming_id = req.Header("x-request-id");
    req.request_id = IsSafeRequestId(incoming_id) ? std::string(incoming_id) : NewRequestId();
    req.base_url = BaseUrlFor(req, req.Header("host"));
    return req;
  }

  void AddCorsHeaders(const Request& req, bhttp::response<bhttp::string_body>& res) const {
    if (options.cors_origin.empty()) return;
    res.set(bhttp::field::access_control_allow_origin, options.cors_origin);
    res.set(bhttp::field::access_control_allow_credentials, "true");
    if (options.cors_origin != "*") res.set(bhttp::field::vary, "Origin");
    if (req.method == Method::kOptions) {
      res.set(bhttp::field::access_control_allow_methods, "GET,HEAD,PUT,PATCH,POST,DELETE");
      const std::string_view wanted = req.Header("access-control-request-headers");
      if (!wanted.empty()) {
        res.set(bhttp::field::access_control_allow_headers, wanted);
        res.insert(bhttp::field::vary, "Access-Control-Request-Headers");
      }
    }
  }

  asio::awaitable<Response> Dispatch(Request& req, std::string_view& route_label,
                                     observability::RouteStats*& stats) {
    // The cors middleware runs before routing and ends every OPTIONS request with 204.
    if (req.method == Method::kOptions && !options.cors_origin.empty()) {
      route_label = "preflight";
      co_return Response::Text(204, "", "");
    }
    const Router::Route* route = router.Find(req);
    if (route == nullptr) {
      stats = unmatched_stats;
      co_return Response::FromError(
          Error::Make(ErrorCode::kNotFound, "Path Not Found", "API path not implemented"));
    }
    route_label = route->pattern;
    stats = metrics.Route(MethodName(route->method), route->pattern);
    try {
      co_return co_await route->handler(req);
    } catch (const std::exception& e) {
      // A bug, not a client error: log it with the request id, answer without internals.
      spdlog::error("request {} {} {} failed: {}", req.request_id, MethodName(req.method),
                    route->pattern, e.what());
    }
    co_return Response::FromError(Error::Internal("Unexpected error"));
  }

  static bhttp::response<bhttp::string_body> SimpleError(int status, std::string_view name,
                                                         std::string_view message) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = fmt::format(R"({{"error":"{}","message":"{}"}})", name, message);
    res.keep_alive(false);
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> Session(beast::tcp_stream stream) {
    auto self = shared_from_this();
    auto conn = Register(&stream);
    beast::flat_buffer buffer;
    bool first = true;
    while (!stopping.load()) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      parser.body_limit(options.body_limit);
      // The first read of a keep-alive connection waits up to the idle timeout; once bytes of a
      // request arrive the whole request must be read within read_timeout.
      stream.expires_after(first || buffer.size() > 0 ? options.read_timeout : options.idle_timeout);
      first = false;
      auto [ec, bytes] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
      (void)bytes;
      if (ec) {
        if (ec == bhttp::error::body_limit) {
          auto res = SimpleError(413, "Payload Too Large", "Request body is too large");
          co_await bhttp::async_write(stream, res, kUseTuple);
        } else if (ec == bhttp::error::header_limit) {
          auto res = SimpleError(431, "Request Header Fields Too Large", "Request headers are too large");
          co_await bhttp::async_write(stream, res, kUseTuple);
        } else if (ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
                   ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
          auto res = SimpleError(400, "Bad Request", "Malformed HTTP request");
          co_await bhttp::async_write(stream, res, kUseTuple);
        }
        break;  // timeouts, resets, end of stream: just close
      }
      if (!AcceptableTransferEncoding(parser)) {
        auto res = SimpleError(400, "Bad Request", "Malformed HTTP request");
        co_await bhttp::async_write(stream, res, kUseTuple);
        break;
      }
      conn->busy = true;
      auto started = std::chrono::steady_clock::now();
      auto& msg = parser.get();
      const bool keep_alive = msg.keep_alive();
      const unsigned version = msg.version();
      Request req = ToRequest(msg, stream);
      std::string_view route_label = "unmatched";
      observability::RouteStats* stats = nullptr;
      Response response = co_await Dispatch(req, route_label, stats);

      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status), version};
      if (!response.content_type.empty()) res.set(bhttp::field::content_type, response.content_type);
      for (auto& [name, value] : response.headers) res.insert(name, value);
      res.set("X-Request-Id", req.request_id);
      AddCorsHeaders(req, res);
      res.body() = std::move(response.body);
      res.keep_alive(keep_alive && !stopping.load());
      res.prepare_payload();
      if (req.method == Method::kHead) {
        // Same headers as GET, including its Content-Length, but no body.
        const auto length = res.body().size();
        res.body().clear();
        res.content_length(length);
      }
      stream.expires_after(options.write_timeout);
      auto [wec, wbytes] = co_await bhttp::async_write(stream, res, kUseTuple);
      (void)wbytes;
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (stats != nullptr) stats->Record(response.status, seconds);
      spdlog::debug("{} {} {} -> {} ({:.3f} ms)", req.request_id, MethodName(req.method), route_label,
                    response.status, seconds * 1e3);
      conn->busy = false;
      if (wec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.close();
    Unregister(conn);
    open_connections.fetch_sub(1);
  }
};

Server::Server(asio::io_context& ioc, ServerOptions options, const Router& router,
               observability::Metrics& metrics)
    : impl_(std::make_shared<Impl>(ioc, std::move(options), router, metrics)) {}

Server::~Server() = default;

Result<std::uint16_t> Server::Listen() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) {
    return Fail(Error::Internal("Invalid listen address '" + impl_->options.address + "'"));
  }
  const tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Fail(Error::Internal(fmt::format("Cannot listen on {}:{}: {}", impl_->options.address,
                                            impl_->options.port, ec.message())));
  }
  impl_->options.port = acceptor.local_endpoint().port();
  return impl_->options.port;
}

void Server::Start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->Accept(), asio::detached);
}

void Server::BeginShutdown() {
  auto impl = impl_;
  impl->stopping.store(true);
  asio::dispatch(impl->acceptor.get_executor(), [impl] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_backoff.cancel();
  });
  std::lock_guard lock(impl->connections_mutex);
  for (const auto& conn : impl->connections) {
    // Runs on the connection's strand, so `busy` and the stream are not touched concurrently.
    asio::dispatch(conn->executor, [conn] {
      if (!conn->busy && conn->stream != nullptr) conn->stream->socket().cancel();
    });
  }
}

std::size_t Server::OpenConnections() const {
  std::lock_guard lock(impl_->connections_mutex);
  return impl_->connections.size();
}

}  // namespace convene::http
