#include "clients/http_client.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

#include "clients/http_url.hpp"

namespace convene::clients {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// ---------------------------------------------------------------------------------------------
// A self-signed certificate (CA:TRUE so it can be its own trust anchor) for DNS:localhost only.

struct Certificate {
  std::string cert_pem;
  std::string key_pem;
};

std::string ToPem(const std::function<int(BIO*)>& write) {
  BIO* bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(write(bio), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return out;
}

Certificate MakeLocalhostCertificate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("convene-test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost"},
                                   std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  Certificate out;
  out.cert_pem = ToPem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
  out.key_pem = ToPem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

const Certificate& LocalhostCertificate() {
  static const Certificate cert = MakeLocalhostCertificate();
  return cert;
}

// ---------------------------------------------------------------------------------------------
// A scriptable HTTP/1.1 server on 127.0.0.1 with its own thread.

struct Seen {
  int connection = 0;  // index of the accepted connection
  int index = 0;       // index of the request on its connection
  std::string method;
  std::string target;
  std::string host;
  std::string content_type;
  std::string user_agent;
  int x_dup_count = 0;
  std::string body;
  std::string sni;
};

struct Reply {
  std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  bool close_after = false;
  bool drop = false;  // close without answering
  milliseconds delay{0};
};

class TestServer {
 public:
  using Handler = std::function<Reply(const Seen&)>;

  explicit TestServer(Handler handler, bool tls = false)
      : handler_(std::move(handler)),
        acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    if (tls) {
      tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
      tls_->use_certificate_chain(asio::buffer(LocalhostCertificate().cert_pem));
      tls_->use_private_key(asio::buffer(LocalhostCertificate().key_pem), ssl::context::pem);
    }
    asio::co_spawn(ioc_, Accept(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~TestServer() {
    ioc_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_; }
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
      if (ec) {
        co_return;
      }
      const int index = connections_++;
      asio::co_spawn(ioc_, Session(std::move(socket), index), asio::detached);
    }
  }

  asio::awaitable<void> Session(tcp::socket socket, int connection) {
    if (!tls_) {
      co_await Serve(socket, connection, "");
      co_return;
    }
    ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kUseTuple);
    if (ec) {
      co_return;
    }
    const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    co_await Serve(stream, connection, sni ? sni : "");
  }

  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, int connection, std::string sni) {
    beast::flat_buffer buffer;
    for (int index = 0;; ++index) {
      bhttp::request<bhttp::string_body> request;
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, request, kUseTuple);
      if (ec) {
        co_return;
      }
      Seen seen;
      seen.connection = connection;
      seen.index = index;
      seen.method = std::string(request.method_string());
      seen.target = std::string(request.target());
      seen.host = std::string(request[bhttp::field::host]);
      seen.content_type = std::string(request[bhttp::field::content_type]);
      seen.user_agent = std::string(request[bhttp::field::user_agent]);
      seen.x_dup_count = static_cast<int>(request.count("X-Dup"));
      seen.body = request.body();
      seen.sni = sni;
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(seen);
      }
      const Reply reply = handler_(seen);
      if (reply.delay.count() > 0) {
        asio::steady_timer timer(ioc_, reply.delay);
        co_await timer.async_wait(kUseTuple);
      }
      if (reply.drop) {
        co_return;
      }
      auto [write_ec, written] =
          co_await asio::async_write(stream, asio::buffer(reply.raw), kUseTuple);
      if (write_ec || reply.close_after) {
        co_return;
      }
    }
  }

  Handler handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::unique_ptr<ssl::context> tls_;
  std::thread thread_;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
};

Reply Ok() { return Reply{}; }

// ---------------------------------------------------------------------------------------------

class HttpClientTest : public testing::Test {
 protected:
  void MakeClient(HttpClientOptions options = {}) {
    client_ = MakeHttpClient(ioc_, std::move(options));
  }

  Result<HttpResponse> Send(HttpRequest request) {
    if (!client_) {
      MakeClient();
    }
    std::optional<Result<HttpResponse>> out;
    asio::co_spawn(ioc_, client_->Send(std::move(request)),
                   [&](std::exception_ptr e, Result<HttpResponse> result) {
                     if (e) {
                       std::rethrow_exception(e);
                     }
                     out.emplace(std::move(result));
                   });
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(15));
    EXPECT_TRUE(out.has_value()) << "Send did not complete";
    return out ? std::move(*out) : Fail(Error::Internal("did not complete"));
  }

  Result<HttpResponse> Get(const std::string& url, milliseconds timeout = milliseconds(5000)) {
    HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.timeout = timeout;
    return Send(std::move(request));
  }

  static std::string Url(const TestServer& server, std::string_view path = "/",
                         std::string_view host = "127.0.0.1", bool tls = false) {
    return std::string(tls ? "https://" : "http://") + std::string(host) + ":" +
           std::to_string(server.port()) + std::string(path);
  }

  asio::io_context ioc_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpClientTest, PostRoundTrip) {
  TestServer server([](const Seen&) {
    Reply reply;
    reply.raw =
        "HTTP/1.1 201 Created\r\nX-Thing: A\r\nContent-Type: application/json\r\nContent-Length: "
        "7\r\n\r\n{\"a\":1}";
    return reply;
  });
  HttpRequest request;
  request.url = Url(server, "/twirp/x?y=1");
  request.headers = {{"Content-Type", "application/json"},
                     {"Authorization", "Bearer t"},
                     {"X-Dup", "1"},
                     {"X-Dup", "2"}};
  request.body = R"({"room":"r"})";
  const Result<HttpResponse> response = Send(request);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->reason, "Created");
  EXPECT_EQ(response->Header("x-thing"), "A");
  EXPECT_EQ(response->Header("content-type"), "application/json");
  EXPECT_EQ(response->Header("missing"), "");
  EXPECT_EQ(response->body, R"({"a":1})");

  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/twirp/x?y=1");
  EXPECT_EQ(seen[0].host, "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].content_type, "application/json");
  EXPECT_EQ(seen[0].body, R"({"room":"r"})");
  EXPECT_EQ(seen[0].user_agent, "convene");
  EXPECT_EQ(seen[0].x_dup_count, 2);
}

TEST_F(HttpClientTest, CallersMayOverrideDefaultHeaders) {
  TestServer server([](const Seen&) { return Ok(); });
  HttpRequest request;
  request.method = "GET";
  request.url = Url(server);
  request.headers = {{"User-Agent", "custom/1"}, {"Host", "virtual.example"}};
  ASSERT_TRUE(Send(request).has_value());
  ASSERT_EQ(server.seen().size(), 1u);
  EXPECT_EQ(server.seen()[0].user_agent, "custom/1");
  EXPECT_EQ(server.seen()[0].host, "virtual.example");
}

TEST_F(HttpClientTest, ErrorStatusIsAResponseNotAFailure) {
  TestServer server([](const Seen&) {
    Reply reply;
    reply.raw = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown";
    return reply;
  });
  const Result<HttpResponse> response = Get(Url(server));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "down");
}

TEST_F(HttpClientTest, NeverFollowsRedirects) {
  TestServer server([](const Seen&) {
    Reply reply;
    reply.raw = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n";
    return reply;
  });
  const Result<HttpResponse> response = Get(Url(server));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(server.seen().size(), 1u);
}

TEST_F(HttpClientTest, ReusesKeepAliveConnections) {
  TestServer server([](const Seen&) { return Ok(); });
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Get(Url(server)).has_value());
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, ReplaysOnceOnAFreshConnectionWhenThePooledOneDiesUnanswered) {
  // The keep-alive race: the server drops the second request of each connection unanswered.
  TestServer server([](const Seen& seen) {
    Reply reply;
    reply.drop = seen.index > 0;
    return reply;
  });
  ASSERT_TRUE(Get(Url(server, "/1")).has_value());
  const Result<HttpResponse> second = Get(Url(server, "/2"));
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(server.connections(), 2);
  const std::vector<Seen> seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].target, "/2");
  EXPECT_EQ(seen[2].connection, 1);
}

TEST_F(HttpClientTest, NoReplayWhenAFreshConnectionDiesUnanswered) {
  TestServer server([](const Seen&) {
    Reply reply;
    reply.drop = true;
    return reply;
  });
  const Result<HttpResponse> response = Get(Url(server));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().reason, "reset");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, NoReplayWhenTheAnswerWasCutShort) {
  // The server processed the request (it started answering): replaying could repeat its effect.
  TestServer server([](const Seen& seen) {
    Reply reply;
    if (seen.index > 0) {
      reply.raw = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
      reply.close_after = true;
    }
    return reply;
  });
  ASSERT_TRUE(Get(Url(server)).has_value());
  const Result<HttpResponse> response = Get(Url(server));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().reason, "reset");
  EXPECT_EQ(server.seen().size(), 2u);
}

TEST_F(HttpClientTest, DiscardsIdleConnectionsTheServerClosed) {
  TestServer server([](const Seen&) {
    Reply reply;
    reply.close_after = true;  // without saying so in a Connection header
    return reply;
  });
  ASSERT_TRUE(Get(Url(server)).has_value());
  std::this_thread::sleep_for(milliseconds(50));  // let the FIN arrive
  ASSERT_TRUE(Get(Url(server)).has_value());
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.seen().size(), 2u);  // detected before use: nothing was replayed
}

TEST_F(HttpClientTest, HonoursConnectionClose) {
  TestServer server([](const Seen&) {
    Reply reply;
    reply.raw = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
    return reply;
  });
  ASSERT_TRUE(Get(Url(server)).has_value());
  ASSERT_TRUE(Get(Url(server)).has_value());
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpClientTest, IdleTimeoutRetiresConnections) {
  HttpClientOptions options;
  options.idle_timeout = milliseconds(20);
  MakeClient(options);
  TestServer server([](const Seen&) { return Ok(); });
  ASSERT_TRUE(Get(Url(server)).has_value());
  std::this_thread::sleep_for(milliseconds(60));
  ASSERT_TRUE(Get(Url(server)).has_value());
  EXPECT_EQ(server.connections(), 2);
}

TEST_F(HttpClientTest, ReadsChunkedAndCloseDelimitedBodies) {
  TestServer server([](const Seen& seen) {
    Reply reply;
    if (seen.target == "/chunked") {
      reply.raw =
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    } else {
      reply.raw = "HTTP/1.1 200 OK\r\n\r\nuntil close";
      reply.close_after = true;
    }
    return reply;
  });
  const Result<HttpResponse> chunked = Get(Url(server, "/chunked"));
  ASSERT_TRUE(chunked.has_value());
  EXPECT_EQ(chunked->body, "abcde");
  const Result<HttpResponse> close_delimited = Get(Url(server, "/close"));
  ASSERT_TRUE(close_delimited.has_value()) << close_delimited.error().message;
  EXPECT_EQ(close_delimited->body, "until close");
}

TEST_F(HttpClientTest, HeadResponsesHaveNoBody) {
  TestServer server([](const Seen& seen) {
    Reply reply;
    if (seen.method == "HEAD") {
      reply.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    }
    return reply;
  });
  HttpRequest request;
  request.method = "HEAD";
  request.url = Url(server);
  const Result<HttpResponse> response = Send(request);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->Header("content-length"), "100");
  EXPECT_EQ(response->body, "");
  // The connection stays in sync for the next request.
  const Result<HttpResponse> next = Get(Url(server));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->body, "ok");
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpClientTest, DeadlineCoversTheWholeExchange) {
  TestServer server([](const Seen&) {
    Reply reply;
    reply.delay = milliseconds(3000);
    return reply;
  });
  const auto started = std::chrono::steady_clock::now();
  const Result<HttpResponse> response = Get(Url(server), milliseconds(200));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().reason, "timeout");
  EXPECT_GE(elapsed, milliseconds(190));
  EXPECT_LT(elapsed, milliseconds(1500));
}

TEST_F(HttpClientTest, ConnectionRefused) {
  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  const Result<HttpResponse> response = Get("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().reason, "refused");
  EXPECT_NE(response.error().message.find("127.0.0.1"), std::string::npos);
}

TEST_F(HttpClientTest, UnresolvableHost) {
  const Result<HttpResponse> response = Get("http://convene-test.invalid/", milliseconds(2000));
  ASSERT_FALSE(response.has_value());
  // Without a reachable DNS server the lookup may hang instead of failing: bounded by the deadline.
  EXPECT_TRUE(response.error().reason == "dns" || response.error().reason == "timeout")
      << response.error().reason;
}

TEST_F(HttpClientTest, ResponseBodyLimit) {
  HttpClientOptions options;
  options.max_response_bytes = 16;
  MakeClient(options);
  TestServer server([](const Seen&) {
    Reply reply;
    reply.raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x');
    return reply;
  });
  const Result<HttpResponse> response = Get(Url(server));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().reason, "network");
}

TEST_F(HttpClientTest, RejectsBadRequests) {
  const Result<HttpResponse> bad_url = Get("ftp://example.com/");
  ASSERT_FALSE(bad_url.has_value());
  EXPECT_EQ(bad_url.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad_url.error().reason, "invalid_url");

  HttpRequest injected;
  injected.url = "http://127.0.0.1:1/";
  injected.headers = {{"X-A", "b\r\nX-Evil: 1"}};
  const Result<HttpResponse> bad_header = Send(injected);
  ASSERT_FALSE(bad_header.has_value());
  EXPECT_EQ(bad_header.error().reason, "invalid_request");
}

TEST_F(HttpClientTest, ConcurrentSendsFromManyThreads) {
  HttpClientOptions options;
  options.max_idle_per_origin = 4;
  MakeClient(options);
  TestServer server([](const Seen&) {
    Reply reply;
    reply.delay = milliseconds(5);
    return reply;
  });
  constexpr int kRequests = 64;
  std::atomic<int> ok{0};
  std::atomic<int> done{0};
  const std::string url = Url(server);
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest request;
    request.method = "GET";
    request.url = url;
    asio::co_spawn(ioc_, client_->Send(std::move(request)),
                   [&](std::exception_ptr e, Result<HttpResponse> result) {
                     if (!e && result && result->body == "ok") {
                       ++ok;
                     }
                     ++done;
                   });
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] { ioc_.run_for(std::chrono::seconds(20)); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(done.load(), kRequests);
  EXPECT_EQ(ok.load(), kRequests);
  EXPECT_LE(server.connections(), kRequests);
}

// --- TLS ---

TEST_F(HttpClientTest, TlsWithTrustedCertificateSendsSni) {
  HttpClientOptions options;
  options.extra_ca_pem = LocalhostCertificate().cert_pem;
  MakeClient(options);
  TestServer server([](const Seen&) { return Ok(); }, /*tls=*/true);
  for (int i = 0; i < 2; ++i) {
    const Result<HttpResponse> response = Get(Url(server, "/", "localhost", true));
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->body, "ok");
  }
  EXPECT_EQ(server.connections(), 1);
  ASSERT_EQ(server.seen().size(), 2u);
  EXPECT_EQ(server.seen()[0].sni, "localhost");
}

TEST_F(HttpClientTest, TlsRejectsCertificateForAnotherHost) {
  HttpClientOptions options;
  options.extra_ca_pem = LocalhostCertificate().cert_pem;
  MakeClient(options);
  TestServer server([](const Seen&) { return Ok(); }, /*tls=*/true);
  // The certificate names DNS:localhost only; a trusted chain is not enough.
  const Result<HttpResponse> response = Get(Url(server, "/", "127.0.0.1", true));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().reason, "tls");
  EXPECT_TRUE(server.seen().empty());
}

TEST_F(HttpClientTest, TlsRejectsUntrustedCertificate) {
  TestServer server([](const Seen&) { return Ok(); }, /*tls=*/true);
  const Result<HttpResponse> response = Get(Url(server, "/", "localhost", true));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().reason, "tls");
}

TEST_F(HttpClientTest, TlsVerificationCanBeDisabledForTests) {
  HttpClientOptions options;
  options.verify_tls = false;
  MakeClient(options);
  TestServer server([](const Seen&) { return Ok(); }, /*tls=*/true);
  const Result<HttpResponse> response = Get(Url(server, "/", "127.0.0.1", true));
  ASSERT_TRUE(response.has_value()) << response.error().message;
}

TEST_F(HttpClientTest, TlsAgainstPlainServerFails) {
  TestServer server([](const Seen&) { return Ok(); });
  const Result<HttpResponse> response =
      Get(Url(server, "/", "127.0.0.1", true), milliseconds(2000));
  ASSERT_FALSE(response.has_value());
  EXPECT_TRUE(response.error().reason == "tls" || response.error().reason == "reset")
      << response.error().reason;
}

// --- URLs ---

TEST(HttpUrl, Parses) {
  const Result<HttpUrl> plain = ParseHttpUrl("http://LiveKit:7880");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "livekit");
  EXPECT_EQ(plain->port, 7880);
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(plain->HostHeader(), "livekit:7880");
  EXPECT_EQ(plain->Origin(), "http://livekit:7880");

  const Result<HttpUrl> tls = ParseHttpUrl("HTTPS://lk.example.com/twirp/a?b=c#frag");
  ASSERT_TRUE(tls.has_value());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(tls->target, "/twirp/a?b=c");
  EXPECT_EQ(tls->HostHeader(), "lk.example.com");
  EXPECT_EQ(tls->Origin(), "https://lk.example.com:443");

  const Result<HttpUrl> v6 = ParseHttpUrl("http://[::1]:8080?x");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target, "/?x");
  EXPECT_EQ(v6->HostHeader(), "[::1]:8080");
  EXPECT_EQ(ParseHttpUrl("http://[::1]")->HostHeader(), "[::1]");
}

TEST(HttpUrl, Rejects) {
  for (const std::string_view url :
       {"", "localhost:7880", "ws://h/", "ftp://h/", "http://", "http://:80/", "http://h:0/",
        "http://h:65536/", "http://h:x/", "http://user:pw@h/", "http://[::1/", "http://[zz]/",
        "http://h:80\r\n.evil/", "http://h\x01/", "\r\n"}) {
    SCOPED_TRACE(url);
    const Result<HttpUrl> parsed = ParseHttpUrl(url);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_EQ(parsed.error().reason, "invalid_url");
  }
}

TEST(HttpUrl, CleansAndEncodesLikeAWhatwgParser) {
  struct Case {
    std::string_view url;
    std::string_view host;
    std::string_view target;
  };
  for (const Case& c : {
           Case{" \t http://h/hook \r\n", "h", "/hook"},
           Case{"http://h/hook\r\nX-Injected: 1", "h", "/hookX-Injected:%201"},
           Case{"ht\ntp://h\t/a", "h", "/a"},
           Case{"http://h/a b?c d", "h", "/a%20b?c%20d"},
           Case{"http://h/\x7f\xc3\xa9\"<>`{}?q='\"<>`{}", "h",
                "/%7F%C3%A9%22%3C%3E%60%7B%7D?q=%27%22%3C%3E`{}"},
           Case{"http://h/already%20encoded?x=%0d%0a", "h", "/already%20encoded?x=%0d%0a"},
       }) {
    SCOPED_TRACE(c.url);
    const Result<HttpUrl> parsed = ParseHttpUrl(c.url);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->host, c.host);
    EXPECT_EQ(parsed->target, c.target);
  }
}

}  // namespace
}  // namespace convene::clients
