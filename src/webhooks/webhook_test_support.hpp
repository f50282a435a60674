#pragma once

// Test doubles for the outgoing-webhook tests: a scriptable in-process HttpClient, a fixed
// WebhookTarget and a raw HTTP/1.1 receiver on 127.0.0.1 with its own thread.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "clients/http_client.hpp"
#include "webhooks/webhook_delivery.hpp"

namespace convene::webhooks::fakes {

namespace asio = boost::asio;

/// Lowercase hex HMAC-SHA256 computed with OpenSSL directly, independent of crypto::HmacSha256Key.
inline std::string ReferenceHmacHex(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

inline std::string HeaderOf(const clients::HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

/// An HttpClient that answers from a script, optionally after a delay, and records what it saw.
/// Single-threaded use (one io_context thread), like the tests.
class FakeHttpClient final : public clients::HttpClient {
 public:
  using Script = std::function<Result<clients::HttpResponse>(const clients::HttpRequest&)>;

  explicit FakeHttpClient(Script script = Ok()) : script_(std::move(script)) {}

  static Script Ok() {
    return [](const clients::HttpRequest&) -> Result<clients::HttpResponse> {
      return clients::HttpResponse{200, "OK", {}, ""};
    };
  }
  static Script Status(int status, std::string reason) {
    return [status, reason](const clients::HttpRequest&) -> Result<clients::HttpResponse> {
      return clients::HttpResponse{status, reason, {}, ""};
    };
  }
  static Script Transport(std::string reason, std::string message) {
    return [reason, message](const clients::HttpRequest&) -> Result<clients::HttpResponse> {
      Error error = Error::Unavailable("HTTP Client Error", message);
      error.reason = reason;
      return Fail(std::move(error));
    };
  }

  asio::awaitable<Result<clients::HttpResponse>> Send(clients::HttpRequest request) override {
    const std::string id = HeaderOf(request, "X-Webhook-Id");
    in_flight_.insert(id);
    max_in_flight_ = std::max(max_in_flight_, in_flight_.size());
    overlaps_.push_back(in_flight_);
    requests_.push_back(request);
    if (delay_.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, delay_);
      (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    in_flight_.erase(id);
    co_return script_(request);
  }

  void SetScript(Script script) { script_ = std::move(script); }
  void SetDelay(std::chrono::milliseconds delay) { delay_ = delay; }
  const std::vector<clients::HttpRequest>& Requests() const { return requests_; }
  std::size_t MaxInFlight() const { return max_in_flight_; }
  /// For each request, the X-Webhook-Ids in flight when it started (itself included).
  const std::vector<std::set<std::string>>& Overlaps() const { return overlaps_; }

 private:
  Script script_;
  std::chrono::milliseconds delay_{0};
  std::vector<clients::HttpRequest> requests_;
  std::set<std::string> in_flight_;
  std::size_t max_in_flight_ = 0;
  std::vector<std::set<std::string>> overlaps_;
};

class FakeTarget final : public WebhookTarget {
 public:
  std::optional<Target> target = Target{"http://receiver.test/hook", "ovmeet-test-key"};
  std::optional<Error> error;
  int calls = 0;

  asio::awaitable<Result<std::optional<Target>>> Current() override {
    ++calls;
    if (error) co_return Fail(*error);
    co_return target;
  }
};

/// What the receiver saw: the request line, the headers (lower-cased names) and the raw body.
struct Received {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;
  std::string body;
};

/// A tiny HTTP/1.1 server on 127.0.0.1:<ephemeral>, one request per connection, answering with
/// the status lines the test queues (then 200 OK).
class HttpReceiver {
 public:
  HttpReceiver()
      : acceptor_(ioc_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ioc_, Accept(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~HttpReceiver() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t Port() const { return acceptor_.local_endpoint().port(); }
  std::string Url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(Port()) + path;
  }
  /// Status lines for the next requests, e.g. "500 Internal Server Error".
  void QueueStatus(std::string status_line) {
    std::lock_guard lock(mutex_);
    statuses_.push_back(std::move(status_line));
  }
  std::vector<Received> Seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(ioc_, Serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(asio::ip::tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [ec, n] =
        co_await http::async_read(socket, buffer, request, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    Received received;
    received.method = std::string(request.method_string());
    received.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      received.headers[name] = std::string(field.value());
    }
    received.body = request.body();
    std::string status = "200 OK";
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(std::move(received));
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.erase(statuses_.begin());
      }
    }
    const std::string reply =
        "HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)co_await asio::async_write(socket, asio::buffer(reply),
                                     asio::as_tuple(asio::use_awaitable));
  }

  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> statuses_;  // guarded by mutex_
  std::vector<Received> seen_;         // guarded by mutex_
};

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
inline std::uint16_t ClosedPort() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor(ioc,
                                   asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace convene::webhooks::fakes
