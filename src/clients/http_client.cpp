#include "clients/http_client.hpp"

#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>

#include "clients/http_url.hpp"

namespace convene::clients {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

std::string HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) {
      return value;
    }
  }
  return {};
}

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::string_view kUserAgent = "convene";

using Strand = asio::strand<asio::io_context::executor_type>;
using TlsStream = ssl::stream<beast::tcp_stream>;
using Request = bhttp::request<bhttp::string_body>;

enum class Phase { kResolve, kConnect, kHandshake, kWrite, kRead };

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kResolve: return "resolve";
    case Phase::kConnect: return "connect to";
    case Phase::kHandshake: return "TLS handshake with";
    case Phase::kWrite: return "write to";
    case Phase::kRead: return "read from";
  }
  return "talk to";
}

// The peer went away before (or while) answering: an RST, a FIN, or a TLS peer closing without
// close_notify.
bool IsPeerClose(const error_code& ec) {
  return ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe || ec == asio::error::eof ||
         ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == ssl::error::stream_truncated;
}

std::string_view ReasonFor(const error_code& ec, Phase phase) {
  if (ec == beast::error::timeout) {
    return "timeout";
  }
  if (phase == Phase::kResolve) {
    return "dns";
  }
  if (ec == asio::error::connection_refused) {
    return "refused";
  }
  if (IsPeerClose(ec)) {
    return "reset";
  }
  if (phase == Phase::kHandshake || ec.category() == asio::error::get_ssl_category()) {
    return "tls";
  }
  return "network";
}

Error Failure(std::string_view reason, Phase phase, const HttpUrl& url, std::string_view detail) {
  std::string message(PhaseName(phase));
  message += ' ';
  message += url.host;
  message += ':';
  message += std::to_string(url.port);
  message += ": ";
  message += detail;
  Error error = Error::Unavailable("HTTP Client Error", std::move(message));
  error.reason = std::string(reason);
  return error;
}

Error Failure(const error_code& ec, Phase phase, const HttpUrl& url) {
  return Failure(ReasonFor(ec, phase), phase, url, ec.message());
}

Error InvalidRequest(std::string message) {
  Error error = Error::Make(ErrorCode::kInvalidArgument, "HTTP Client Error", std::move(message));
  error.reason = "invalid_request";
  return error;
}

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct Connection {
  explicit Connection(Strand s) : strand(std::move(s)) {}

  Strand strand;
  std::unique_ptr<beast::tcp_stream> plain;  // exactly one of plain / tls is set
  std::unique_ptr<TlsStream> tls;
  beast::flat_buffer buffer;
  bool connected = false;
  SteadyClock::time_point idle_since{};

  beast::tcp_stream& Tcp() { return tls ? tls->next_layer() : *plain; }
};

using ConnectionPtr = std::shared_ptr<Connection>;

struct Attempt {
  Result<HttpResponse> result;
  // The request failed on a reused connection before anything of it could have been processed.
  bool retry_on_fresh = false;
  bool reusable = false;
};

// An idle keep-alive connection must have nothing to read. EOF means the server closed it (its
// keep-alive timeout is usually shorter than ours); bytes on plain HTTP mean the stream is out of
// sync. TLS may legitimately have records pending (TLS 1.3 session tickets), so only EOF counts.
bool LooksDead(Connection& conn) {
  char byte = 0;
  const ssize_t n = ::recv(conn.Tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) {
    return true;
  }
  if (n > 0) {
    return !conn.tls;
  }
  return errno != EAGAIN && errno != EWOULDBLOCK;
}

class BeastHttpClient final : public HttpClient {
 public:
  BeastHttpClient(asio::io_context& ioc, HttpClientOptions options)
      : ioc_(ioc), options_(std::move(options)), tls_context_(ssl::context::tls_client) {
    SSL_CTX_set_min_proto_version(tls_context_.native_handle(), TLS1_2_VERSION);
    // No default store just means every verification fails; that is reported per request.
    error_code ignored;
    tls_context_.set_default_verify_paths(ignored);
    if (!options_.extra_ca_pem.empty()) {
      // Throws on malformed PEM: a configuration error, found at start-up.
      tls_context_.add_certificate_authority(asio::buffer(options_.extra_ca_pem));
    }
  }

  asio::awaitable<Result<HttpResponse>> Send(HttpRequest request) override {
    Result<HttpUrl> url = ParseHttpUrl(request.url);
    if (!url) {
      co_return Fail(url.error());
    }
    const SteadyClock::time_point deadline = SteadyClock::now() + request.timeout;
    Result<Request> prepared = Prepare(std::move(request), *url);
    if (!prepared) {
      co_return Fail(prepared.error());
    }
    const std::string origin = url->Origin();

    ConnectionPtr conn = TakeIdle(origin);
    const bool reused = conn != nullptr;
    if (!conn) {
      conn = NewConnection(*url);
    }
    Attempt attempt = co_await asio::co_spawn(
        conn->strand, Exchange(conn, *url, *prepared, deadline), asio::use_awaitable);
    if (!attempt.result && reused && attempt.retry_on_fresh) {
      // The server closed the pooled connection while we were sending (keep-alive race); the
      // request cannot have been processed, so replaying it once is safe for any method.
      conn = NewConnection(*url);
      attempt = co_await asio::co_spawn(conn->strand, Exchange(conn, *url, *prepared, deadline),
                                        asio::use_awaitable);
    }
    if (attempt.result && attempt.reusable) {
      Release(origin, std::move(conn));
    }
    co_return std::move(attempt.result);
  }

 private:
  static Result<Request> Prepare(HttpRequest request, const HttpUrl& url) {
    const bhttp::verb verb = bhttp::string_to_verb(request.method);
    if (verb == bhttp::verb::unknown) {
      return Fail(InvalidRequest("unsupported HTTP method"));
    }
    Request out(verb, url.target, 11);
    out.set(bhttp::field::host, url.HostHeader());
    out.set(bhttp::field::user_agent, kUserAgent);
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || HasLineBreakOrNul(name) || HasLineBreakOrNul(value)) {
        return Fail(InvalidRequest("malformed request header"));
      }
      // Callers may override our defaults; any other field may legitimately repeat.
      if (beast::iequals(name, "host") || beast::iequals(name, "user-agent")) {
        out.set(name, value);
      } else {
        out.insert(name, value);
      }
    }
    out.body() = std::move(request.body);
    out.keep_alive(true);
    out.prepare_payload();
    return out;
  }

  ConnectionPtr NewConnection(const HttpUrl& url) {
    auto conn = std::make_shared<Connection>(asio::make_strand(ioc_));
    if (url.tls) {
      conn->tls = std::make_unique<TlsStream>(conn->strand, tls_context_);
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(conn->strand);
    }
    return conn;
  }

  // Most recently used first: the others then age out instead of all staying half-alive.
  ConnectionPtr TakeIdle(const std::string& origin) {
    std::vector<ConnectionPtr> doomed;  // closed after the lock is released
    std::lock_guard lock(mutex_);
    const auto it = pool_.find(origin);
    if (it == pool_.end()) {
      return nullptr;
    }
    const auto now = SteadyClock::now();
    auto& idle = it->second;
    while (!idle.empty()) {
      ConnectionPtr conn = std::move(idle.back());
      idle.pop_back();
      if (now - conn->idle_since <= options_.idle_timeout && !LooksDead(*conn)) {
        return conn;
      }
      doomed.push_back(std::move(conn));
    }
    return nullptr;
  }

  void Release(const std::string& origin, ConnectionPtr conn) {
    std::vector<ConnectionPtr> doomed;
    std::lock_guard lock(mutex_);
    const auto now = SteadyClock::now();
    for (auto& [key, idle] : pool_) {
      while (!idle.empty() && now - idle.front()->idle_since > options_.idle_timeout) {
        doomed.push_back(std::move(idle.front()));
        idle.pop_front();
      }
    }
    auto& idle = pool_[origin];
    if (idle.size() < options_.max_idle_per_origin) {
      idle.push_back(std::move(conn));
    } else {
      doomed.push_back(std::move(conn));
    }
  }

  // Runs on conn->strand, which serialises every operation on the stream including Beast's
  // timeout handler.
  asio::awaitable<Attempt> Exchange(ConnectionPtr conn, const HttpUrl& url, const Request& request,
                                    SteadyClock::time_point deadline) {
    Attempt attempt;
    const bool reused = conn->connected;
    if (!reused) {
      Result<void> connected = co_await Connect(*conn, url, deadline);
      if (!connected) {
        attempt.result = Fail(connected.error());
        co_return attempt;
      }
    }
    // One deadline for connect, handshake, write and read together: Beast applies it to every
    // operation started until it is changed.
    conn->Tcp().expires_at(deadline);
    if (conn->tls) {
      attempt = co_await WriteAndRead(*conn->tls, *conn, url, request, reused);
    } else {
      attempt = co_await WriteAndRead(*conn->plain, *conn, url, request, reused);
    }
    conn->Tcp().expires_never();
    conn->idle_since = SteadyClock::now();
    co_return attempt;
  }

  asio::awaitable<Result<tcp::resolver::results_type>> Resolve(const Strand& strand,
                                                               const HttpUrl& url,
                                                               SteadyClock::time_point deadline) {
    // getaddrinfo runs on Asio's private resolver thread and cancel() cannot interrupt it, so the
    // coroutine waits on a timer that the resolve completion cancels, rather than on the resolve
    // itself: a hung DNS server then costs at most the deadline.
    struct State {
      explicit State(const Strand& s) : timer(s), resolver(s) {}
      asio::steady_timer timer;
      tcp::resolver resolver;
      bool done = false;
      error_code ec;
      tcp::resolver::results_type results;
    };
    auto state = std::make_shared<State>(strand);
    state->resolver.async_resolve(
        url.host, std::to_string(url.port), tcp::resolver::numeric_service,
        asio::bind_executor(strand,
                            [state](const error_code& ec, tcp::resolver::results_type results) {
                              state->done = true;
                              state->ec = ec;
                              state->results = std::move(results);
                              state->timer.cancel();
                            }));
    if (!state->done) {
      state->timer.expires_at(deadline);
      co_await state->timer.async_wait(kUseTuple);
    }
    if (!state->done) {
      state->resolver.cancel();
      co_return Fail(Failure("timeout", Phase::kResolve, url, "timed out"));
    }
    if (state->ec) {
      co_return Fail(Failure(state->ec, Phase::kResolve, url));
    }
    co_return state->results;
  }

  asio::awaitable<Result<void>> Connect(Connection& conn, const HttpUrl& url,
                                        SteadyClock::time_point deadline) {
    Result<tcp::resolver::results_type> endpoints = co_await Resolve(conn.strand, url, deadline);
    if (!endpoints) {
      co_return Fail(endpoints.error());
    }
    conn.Tcp().expires_at(deadline);
    auto [connect_ec, endpoint] = co_await conn.Tcp().async_connect(*endpoints, kUseTuple);
    (void)endpoint;
    if (connect_ec) {
      co_return Fail(Failure(connect_ec, Phase::kConnect, url));
    }
    error_code ignored;
    conn.Tcp().socket().set_option(tcp::no_delay(true), ignored);

    if (conn.tls) {
      // SNI carries host names only (RFC 6066 §3); IP literals are verified against the
      // certificate's IP SANs by host_name_verification.
      if (!IsIpLiteral(url.host) &&
          SSL_set_tlsext_host_name(conn.tls->native_handle(), url.host.c_str()) != 1) {
        co_return Fail(Failure("tls", Phase::kHandshake, url, "cannot set SNI host name"));
      }
      if (options_.verify_tls) {
        conn.tls->set_verify_mode(ssl::verify_peer);
        // Beast's own SSL client example checks the chain only; without this any valid
        // certificate for any host would be accepted (CONVENTIONS §3.3).
        conn.tls->set_verify_callback(ssl::host_name_verification(url.host));
      } else {
        conn.tls->set_verify_mode(ssl::verify_none);
      }
      auto [handshake_ec] = co_await conn.tls->async_handshake(ssl::stream_base::client, kUseTuple);
      if (handshake_ec) {
        co_return Fail(Failure(handshake_ec, Phase::kHandshake, url));
      }
      // No TLS shutdown is ever sent on close: message framing never relies on close_notify and a
      // shutdown would cost a round trip; peers see (and ignore) stream_truncated.
    }
    conn.connected = true;
    co_return Result<void>{};
  }

  template <class Stream>
  asio::awaitable<Attempt> WriteAndRead(Stream& stream, Connection& conn, const HttpUrl& url,
                                        const Request& request, bool reused) {
    Attempt attempt;
    auto [write_ec, written] = co_await bhttp::async_write(stream, request, kUseTuple);
    (void)written;
    if (write_ec) {
      attempt.retry_on_fresh = reused && write_ec != beast::error::timeout;
      attempt.result = Fail(Failure(write_ec, Phase::kWrite, url));
      co_return attempt;
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(options_.max_response_bytes);
    if (request.method() == bhttp::verb::head) {
      parser.skip(true);
    }
    auto [read_ec, read] = co_await bhttp::async_read(stream, conn.buffer, parser, kUseTuple);
    (void)read;
    if (read_ec == ssl::error::stream_truncated && parser.is_header_done() && !parser.is_done()) {
      // A TLS peer closing without close_notify ends a body delimited by the connection close
      // just like a FIN would; put_eof still rejects a truncated Content-Length body.
      error_code eof_ec;
      parser.put_eof(eof_ec);
      if (!eof_ec && parser.is_done()) {
        read_ec = {};
      }
    }
    if (read_ec) {
      // EOF or RST before the first response byte on a pooled connection is the keep-alive race:
      // the server closed the idle connection before it saw our request.
      attempt.retry_on_fresh =
          reused && !parser.got_some() && conn.buffer.size() == 0 && IsPeerClose(read_ec);
      attempt.result = Fail(Failure(read_ec, Phase::kRead, url));
      co_return attempt;
    }

    auto& message = parser.get();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    response.reason = std::string(message.reason());
    for (const auto& field : message) {
      response.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
    }
    // Leftover bytes after a complete answer mean the stream cannot be trusted for the next one.
    attempt.reusable = message.keep_alive() && !message.need_eof() && conn.buffer.size() == 0;
    response.body = std::move(message.body());
    attempt.result = std::move(response);
    co_return attempt;
  }

  asio::io_context& ioc_;
  const HttpClientOptions options_;
  ssl::context tls_context_;  // read-only after construction; OpenSSL makes SSL_new thread-safe

  std::mutex mutex_;
  std::map<std::string, std::deque<ConnectionPtr>> pool_;  // origin -> idle, oldest first
};

}  // namespace

std::unique_ptr<HttpClient> MakeHttpClient(asio::io_context& ioc, HttpClientOptions options) {
  return std::make_unique<BeastHttpClient>(ioc, std::move(options));
}

}  // namespace convene::clients
