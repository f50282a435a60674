#include "clients/livekit_client.hpp"

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "clients/http_client.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "crypto/base64.hpp"
#include "crypto/hmac.hpp"
#include "crypto/jwt.hpp"

namespace convene::livekit {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr std::int64_t kNowMs = 1760000000123;
constexpr std::int64_t kNow = 1760000000;

Error HttpFailure(std::string reason) {
  Error error = Error::Unavailable("HTTP Client Error", "connect 10.0.0.1:7880: boom");
  error.reason = std::move(reason);
  return error;
}

clients::HttpResponse Answer(int status, std::string body,
                             std::string content_type = "application/json") {
  clients::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("content-type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

// Records every request and plays back scripted answers (default: 200 "{}").
class FakeHttpClient final : public clients::HttpClient {
 public:
  asio::awaitable<Result<clients::HttpResponse>> Send(clients::HttpRequest request) override {
    requests.push_back(std::move(request));
    if (answers.empty()) {
      co_return Answer(200, "{}");
    }
    Result<clients::HttpResponse> answer = std::move(answers.front());
    answers.pop_front();
    co_return answer;
  }

  std::vector<clients::HttpRequest> requests;
  std::deque<Result<clients::HttpResponse>> answers;
};

std::string HeaderOf(const clients::HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

class RoomServiceClientTest : public testing::Test {
 protected:
  RoomServiceClientTest() { Rebuild(1); }

  void Rebuild(int max_retries) {
    RoomServiceClientOptions options;
    options.base_url = "http://livekit:7880";
    options.api_key = "devkey";
    options.api_secret = "secret";
    options.timeout = std::chrono::milliseconds(1234);
    options.max_retries = max_retries;
    client_ = MakeRoomServiceClient(http_, clock_, random_, std::move(options));
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    std::optional<T> out;
    asio::co_spawn(ioc_, std::move(awaitable), [&](std::exception_ptr e, T value) {
      if (e) {
        std::rethrow_exception(e);
      }
      out.emplace(std::move(value));
    });
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(10));
    EXPECT_TRUE(out.has_value()) << "coroutine did not finish";
    return std::move(*out);
  }

  // Verifies the Authorization header of `request` and returns its payload.
  json::object Claims(const clients::HttpRequest& request) {
    const std::string header = HeaderOf(request, "Authorization");
    EXPECT_EQ(header.rfind("Bearer ", 0), 0u);
    crypto::JwtVerifyOptions options;
    options.issuer = "devkey";
    options.now_seconds = kNow;
    const auto claims =
        crypto::VerifyJwtHs256(crypto::HmacSha256Key("secret"), header.substr(7), options);
    EXPECT_TRUE(claims.has_value());
    return claims ? *claims : json::object();
  }

  void ExpectCall(const clients::HttpRequest& request, std::string_view method,
                  std::string_view body, std::string_view grant) {
    SCOPED_TRACE(method);
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.url, "http://livekit:7880/twirp/livekit.RoomService/" + std::string(method));
    EXPECT_EQ(HeaderOf(request, "Content-Type"), "application/json");
    EXPECT_EQ(request.timeout, std::chrono::milliseconds(1234));
    EXPECT_EQ(json::parse(request.body), json::parse(body));
    const json::object claims = Claims(request);
    // Exactly these claims: the method's grant, issuer and a 10-minute validity from now.
    EXPECT_EQ(json::value(claims),
              json::parse(R"({"video":)" + std::string(grant) +
                          R"(,"iss":"devkey","nbf":1760000000,"exp":1760000600})"));
  }

  asio::io_context ioc_;
  FakeHttpClient http_;
  ManualClock clock_{kNowMs};
  SeededRandom random_{42};
  RoomServiceClientPtr client_;
};

TEST_F(RoomServiceClientTest, EveryMethodSendsItsMessageWithItsGrant) {
  CreateRoomOptions create;
  create.name = "demo";
  create.metadata = "m";
  create.empty_timeout = 30;
  ASSERT_TRUE(Run(client_->CreateRoom(create)).has_value());
  ASSERT_TRUE(Run(client_->ListRooms({"demo"})).has_value());
  ASSERT_TRUE(Run(client_->DeleteRoom("demo")).has_value());
  ASSERT_TRUE(Run(client_->ListParticipants("demo")).has_value());
  ASSERT_TRUE(Run(client_->GetParticipant("demo", "alice")).has_value());
  ASSERT_TRUE(Run(client_->RemoveParticipant("demo", "alice")).has_value());
  ASSERT_TRUE(Run(client_->UpdateParticipantMetadata("demo", "alice", "{}")).has_value());
  SendDataOptions send;
  send.destination_identities = {"bob"};
  ASSERT_TRUE(Run(client_->SendData("demo", "hi", send)).has_value());
  ASSERT_TRUE(Run(client_->UpdateRoomMetadata("demo", "x")).has_value());

  ASSERT_EQ(http_.requests.size(), 9u);
  const auto& r = http_.requests;
  ExpectCall(r[0], "CreateRoom", R"({"name":"demo","metadata":"m","emptyTimeout":30})",
             R"({"roomCreate":true})");
  ExpectCall(r[1], "ListRooms", R"({"names":["demo"]})", R"({"roomList":true})");
  ExpectCall(r[2], "DeleteRoom", R"({"room":"demo"})", R"({"roomCreate":true})");
  const std::string admin = R"({"roomAdmin":true,"room":"demo"})";
  ExpectCall(r[3], "ListParticipants", R"({"room":"demo"})", admin);
  ExpectCall(r[4], "GetParticipant", R"({"room":"demo","identity":"alice"})", admin);
  ExpectCall(r[5], "RemoveParticipant", R"({"room":"demo","identity":"alice"})", admin);
  ExpectCall(r[6], "UpdateParticipant", R"({"room":"demo","identity":"alice","metadata":"{}"})",
             admin);
  ExpectCall(r[8], "UpdateRoomMetadata", R"({"room":"demo","metadata":"x"})", admin);

  // SendData carries a random nonce: check it separately.
  json::object send_body = json::parse(r[7].body).as_object();
  const auto nonce = crypto::Base64Decode(send_body.at("nonce").as_string());
  ASSERT_TRUE(nonce.has_value());
  EXPECT_EQ(nonce->size(), 16u);
  send_body.erase("nonce");
  EXPECT_EQ(
      json::value(send_body),
      json::parse(
          R"({"room":"demo","data":"aGk=","kind":"RELIABLE","destinationIdentities":["bob"]})"));
  EXPECT_EQ(json::value(Claims(r[7])).at("video"), json::parse(admin));
}

TEST_F(RoomServiceClientTest, TokenFollowsTheClock) {
  clock_.Set(1800000000000);
  ASSERT_TRUE(Run(client_->ListRooms({})).has_value());
  crypto::JwtVerifyOptions options;
  options.now_seconds = 1800000000;
  const auto claims =
      crypto::VerifyJwtHs256(crypto::HmacSha256Key("secret"),
                             HeaderOf(http_.requests[0], "Authorization").substr(7), options);
  ASSERT_TRUE(claims.has_value());
  EXPECT_EQ(claims->at("nbf"), 1800000000);
  EXPECT_EQ(claims->at("exp"), 1800000600);
  EXPECT_FALSE(claims->contains("sub"));
}

TEST_F(RoomServiceClientTest, EachSendDataHasAFreshNonce) {
  ASSERT_TRUE(Run(client_->SendData("demo", "x", {})).has_value());
  ASSERT_TRUE(Run(client_->SendData("demo", "x", {})).has_value());
  ASSERT_EQ(http_.requests.size(), 2u);
  EXPECT_NE(json::parse(http_.requests[0].body).at("nonce"),
            json::parse(http_.requests[1].body).at("nonce"));
}

TEST_F(RoomServiceClientTest, ParsesAnswers) {
  http_.answers.push_back(
      Answer(200, R"({"rooms":[{"name":"demo","creation_time":"1760000000"}]})"));
  const Result<std::vector<Room>> rooms = Run(client_->ListRooms({}));
  ASSERT_TRUE(rooms.has_value());
  ASSERT_EQ(rooms->size(), 1u);
  EXPECT_EQ((*rooms)[0].creation_time, 1760000000);

  http_.answers.push_back(Answer(200, R"({"identity":"alice","joinedAt":"5"})"));
  const Result<Participant> participant = Run(client_->GetParticipant("demo", "alice"));
  ASSERT_TRUE(participant.has_value());
  EXPECT_EQ(participant->joined_at, 5);

  http_.answers.push_back(Answer(200, "not json"));
  const Result<Room> bad = Run(client_->UpdateRoomMetadata("demo", "x"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().reason, "bad_response");
}

TEST_F(RoomServiceClientTest, TwirpErrorsAreMappedAndNotRetried) {
  http_.answers.push_back(
      Answer(404, R"({"code":"not_found","msg":"participant does not exist"})"));
  const Result<Participant> missing = Run(client_->GetParticipant("demo", "ghost"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().reason, "twirp:not_found");
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(RoomServiceClientTest, PlainText401IsUnauthenticated) {
  http_.answers.push_back(
      Answer(401, "invalid authorization token: signature invalid", "text/plain; charset=utf-8"));
  const Result<std::vector<Room>> rooms = Run(client_->ListRooms({}));
  ASSERT_FALSE(rooms.has_value());
  EXPECT_EQ(rooms.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(rooms.error().reason, "twirp:unauthenticated");
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(RoomServiceClientTest, TransportFailuresAreRetriedForIdempotentMethods) {
  http_.answers.push_back(Fail(HttpFailure("refused")));
  const Result<std::vector<Room>> rooms = Run(client_->ListRooms({}));
  EXPECT_TRUE(rooms.has_value());
  EXPECT_EQ(http_.requests.size(), 2u);
  // A fresh token each attempt (same clock here, so the same claims).
  EXPECT_EQ(Claims(http_.requests[1]).at("video"), json::parse(R"({"roomList":true})"));
}

TEST_F(RoomServiceClientTest, GivesUpAfterMaxRetriesWithTheReferenceError) {
  Rebuild(2);
  for (int i = 0; i < 3; ++i) {
    http_.answers.push_back(Fail(HttpFailure("reset")));
  }
  const auto started = std::chrono::steady_clock::now();
  const Result<std::vector<Participant>> result = Run(client_->ListParticipants("demo"));
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(result.error().name, "LiveKit Error");
  EXPECT_EQ(result.error().message, "LiveKit is not available");
  EXPECT_EQ(result.error().reason, "transport");
  EXPECT_EQ(http_.requests.size(), 3u);
  // Two backoffs of at most 50 and 100 ms.
  EXPECT_LT(elapsed, std::chrono::milliseconds(400));
}

TEST_F(RoomServiceClientTest, TimeoutIsDeadline) {
  Rebuild(0);
  http_.answers.push_back(Fail(HttpFailure("timeout")));
  const Result<Room> result = Run(client_->UpdateRoomMetadata("demo", "m"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(result.error().reason, "deadline");
  EXPECT_EQ(result.error().message, "LiveKit is not available");
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(RoomServiceClientTest, TwirpUnavailableIsRetried) {
  http_.answers.push_back(Answer(
      503, R"({"code":"unavailable","msg":"twirp error unknown: no response from servers"})"));
  http_.answers.push_back(Answer(200, R"({"name":"demo","metadata":"m"})"));
  const Result<Room> room = Run(client_->UpdateRoomMetadata("demo", "m"));
  ASSERT_TRUE(room.has_value());
  EXPECT_EQ(room->metadata, "m");
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(RoomServiceClientTest, NonIdempotentMethodsAreNeverRetried) {
  Rebuild(3);
  http_.answers.push_back(Fail(HttpFailure("reset")));
  EXPECT_FALSE(Run(client_->SendData("demo", "x", {})).has_value());
  EXPECT_EQ(http_.requests.size(), 1u);

  http_.answers.push_back(Answer(503, R"({"code":"unavailable","msg":"x"})"));
  const Result<void> removed = Run(client_->RemoveParticipant("demo", "alice"));
  ASSERT_FALSE(removed.has_value());
  EXPECT_EQ(removed.error().reason, "twirp:unavailable");
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(RoomServiceClientTest, CreateRoomIsRetried) {
  http_.answers.push_back(Fail(HttpFailure("timeout")));
  CreateRoomOptions create;
  create.name = "demo";
  EXPECT_TRUE(Run(client_->CreateRoom(create)).has_value());
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(RoomServiceClientTest, RetryGetsOnlyWhatIsLeftOfTheCallsDeadline) {
  // LIVEKIT_TIMEOUT bounds the whole call: the retry's exchange may use what the first attempt
  // and the back-off left of it, never a fresh full timeout.
  http_.answers.push_back(Fail(HttpFailure("timeout")));
  CreateRoomOptions create;
  create.name = "demo";
  EXPECT_TRUE(Run(client_->CreateRoom(create)).has_value());
  ASSERT_EQ(http_.requests.size(), 2u);
  EXPECT_EQ(http_.requests[0].timeout, std::chrono::milliseconds(1234));
  EXPECT_LT(http_.requests[1].timeout, std::chrono::milliseconds(1234 - 20));  // back-off >= 25 ms
  EXPECT_GT(http_.requests[1].timeout, std::chrono::milliseconds(1234 - 500));
}

TEST_F(RoomServiceClientTest, DeleteRoomNotFoundAfterAnUnknownOutcomeIsSuccess) {
  http_.answers.push_back(Fail(HttpFailure("timeout")));
  http_.answers.push_back(
      Answer(404, R"({"code":"not_found","msg":"requested room does not exist"})"));
  EXPECT_TRUE(Run(client_->DeleteRoom("demo")).has_value());

  // Without an earlier ambiguous attempt, not_found is reported.
  http_.answers.push_back(
      Answer(404, R"({"code":"not_found","msg":"requested room does not exist"})"));
  const Result<void> missing = Run(client_->DeleteRoom("demo"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(RoomServiceClientTest, OtherClientErrorsAreNotRetried) {
  http_.answers.push_back(
      Answer(400, R"({"code":"invalid_argument","msg":"metadata size exceeds limits 524288"})"));
  const Result<Participant> result = Run(client_->UpdateParticipantMetadata("demo", "alice", "m"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().message, "metadata size exceeds limits 524288");
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST(HttpBaseUrl, ConvertsWebSocketSchemes) {
  EXPECT_EQ(HttpBaseUrl("ws://localhost:7880"), "http://localhost:7880");
  EXPECT_EQ(HttpBaseUrl("wss://lk.example.com"), "https://lk.example.com");
  EXPECT_EQ(HttpBaseUrl("WSS://lk.example.com/"), "https://lk.example.com");
  EXPECT_EQ(HttpBaseUrl("http://10.0.0.5:7880/"), "http://10.0.0.5:7880");
  EXPECT_EQ(HttpBaseUrl("https://lk.example.com/prefix//"), "https://lk.example.com/prefix");
  EXPECT_EQ(HttpBaseUrl("https://"), "https://");
  EXPECT_EQ(HttpBaseUrl("wss://h/path"), "https://h/path");
}

}  // namespace
}  // namespace convene::livekit
