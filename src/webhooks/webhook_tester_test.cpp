#include "webhooks/webhook_tester.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "clients/http_client.hpp"
#include "store/testing/run_sync.hpp"
#include "webhooks/webhook_signer.hpp"
#include "webhooks/webhook_test_support.hpp"

namespace convene::webhooks {
namespace {

namespace asio = boost::asio;
using fakes::FakeHttpClient;
using fakes::HeaderOf;

constexpr const char* kKey = "ovmeet-0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1'700'000'000'000;

class WebhookTesterTest : public ::testing::Test {
 protected:
  Result<void> Test(const std::string& url, const std::string& api_key = kKey) {
    return convene::test::RunSync(ioc_, TestWebhookUrl(http_, url, api_key, kNow));
  }

  std::string FailureMessage(const std::string& url) {
    Result<void> result = Test(url);
    EXPECT_FALSE(result);
    if (result) return "";
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().name, "Webhook Error");
    return result.error().message;
  }

  asio::io_context ioc_;
  FakeHttpClient http_;
};

TEST_F(WebhookTesterTest, SendsTheSignedTestEventOnce) {
  ASSERT_TRUE(Test("https://example.com/hook"));
  ASSERT_EQ(http_.Requests().size(), 1u);
  const clients::HttpRequest& request = http_.Requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://example.com/hook");
  EXPECT_EQ(request.body,
            "{\"event\":\"testEvent\",\"creationDate\":1700000000000,"
            "\"data\":{\"message\":\"This is a test webhook event\"}}");
  EXPECT_EQ(request.body, TestWebhookBody(kNow));
  EXPECT_EQ(request.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(HeaderOf(request, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(request, "X-Timestamp"), "1700000000000");
  EXPECT_EQ(HeaderOf(request, "X-Signature"),
            fakes::ReferenceHmacHex(kKey, "1700000000000." + request.body));
  EXPECT_EQ(HeaderOf(request, "X-Webhook-Id"), "");  // not sent for the test event
}

TEST_F(WebhookTesterTest, AnyTwoHundredIsValid) {
  for (int status : {200, 201, 204, 299}) {
    http_.SetScript(FakeHttpClient::Status(status, "Whatever"));
    EXPECT_TRUE(Test("http://h/")) << status;
  }
}

TEST_F(WebhookTesterTest, StatusFailuresUseTheReferenceTexts) {
  http_.SetScript(FakeHttpClient::Status(500, "Internal Server Error"));
  EXPECT_EQ(FailureMessage("http://h/x"),
            "Webhook URL 'http://h/x' is invalid: Server error (500 Internal Server Error)");
  http_.SetScript(FakeHttpClient::Status(503, "Service Unavailable"));
  EXPECT_EQ(FailureMessage("http://h/x"),
            "Webhook URL 'http://h/x' is invalid: Server error (503 Service Unavailable)");
  http_.SetScript(FakeHttpClient::Status(404, "Not Found"));
  EXPECT_EQ(FailureMessage("http://h/x"),
            "Webhook URL 'http://h/x' is invalid: Client error (404 Not Found)");
  http_.SetScript(FakeHttpClient::Status(400, ""));
  EXPECT_EQ(FailureMessage("http://h/x"),
            "Webhook URL 'http://h/x' is invalid: Client error (400 )");
  http_.SetScript(FakeHttpClient::Status(302, "Found"));
  EXPECT_EQ(FailureMessage("http://h/x"),
            "Webhook URL 'http://h/x' is invalid: Unexpected response (302)");
  http_.SetScript(FakeHttpClient::Status(100, "Continue"));
  EXPECT_EQ(FailureMessage("http://h/x"),
            "Webhook URL 'http://h/x' is invalid: Unexpected response (100)");
  // No retries: one request per test.
  EXPECT_EQ(http_.Requests().size(), 6u);
}

TEST_F(WebhookTesterTest, TransportFailuresUseTheReferenceTexts) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"timeout", "Request timed out after 5 seconds"},
      {"dns", "Domain name could not be resolved"},
      {"refused", "Connection refused by server"},
      {"reset", "Connection reset by server"},
      {"tls", "SSL/TLS certificate error"},
      {"network", "Network error: connect h:80: No route to host"},
  };
  for (const auto& [reason, text] : cases) {
    http_.SetScript(FakeHttpClient::Transport(reason, "connect h:80: No route to host"));
    EXPECT_EQ(FailureMessage("http://h"), "Webhook URL 'http://h' is invalid: " + text) << reason;
  }
  // A URL the client refuses before any I/O.
  http_.SetScript([](const clients::HttpRequest&) -> Result<clients::HttpResponse> {
    Error error = Error::Make(ErrorCode::kInvalidArgument, "HTTP Client Error", "unsupported URL");
    error.reason = "invalid_url";
    return Fail(std::move(error));
  });
  EXPECT_EQ(FailureMessage("ftp://h"),
            "Webhook URL 'ftp://h' is invalid: Connection failed: unsupported URL");
}

TEST_F(WebhookTesterTest, NoApiKeyIsAnErrorWithoutARequest) {
  Result<void> result = Test("http://h/", "");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().name, "Webhook Error");
  EXPECT_EQ(result.error().message,
            "There are no API keys configured yet. Please, create one to use webhooks.");
  EXPECT_TRUE(http_.Requests().empty());
}

TEST(WebhookTesterOverHttp, ReceiverGetsTheSignedRawBody) {
  fakes::HttpReceiver receiver;
  asio::io_context ioc;
  auto http = clients::MakeHttpClient(ioc);
  Result<void> ok = convene::test::RunSync(ioc, TestWebhookUrl(*http, receiver.Url(), kKey, kNow));
  ASSERT_TRUE(ok) << ok.error().message;
  const std::vector<fakes::Received> seen = receiver.Seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, TestWebhookBody(kNow));
  EXPECT_EQ(seen[0].headers.at("x-signature"),
            fakes::ReferenceHmacHex(kKey, seen[0].headers.at("x-timestamp") + "." + seen[0].body));

  receiver.QueueStatus("502 Bad Gateway");
  Result<void> bad = convene::test::RunSync(ioc, TestWebhookUrl(*http, receiver.Url(), kKey, kNow));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "Webhook URL '" + receiver.Url() + "' is invalid: Server error (502 Bad Gateway)");
}

TEST(WebhookTesterOverHttp, ClosedPortIsConnectionRefused) {
  asio::io_context ioc;
  auto http = clients::MakeHttpClient(ioc);
  const std::string url = "http://127.0.0.1:" + std::to_string(fakes::ClosedPort()) + "/hook";
  Result<void> result = convene::test::RunSync(ioc, TestWebhookUrl(*http, url, kKey, kNow));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            "Webhook URL '" + url + "' is invalid: Connection refused by server");
}

}  // namespace
}  // namespace convene::webhooks
