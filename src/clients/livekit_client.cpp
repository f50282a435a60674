#include "clients/livekit_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "clients/http_client.hpp"
#include "clients/livekit_json.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "crypto/hmac.hpp"
#include "crypto/jwt.hpp"

namespace convene::livekit {

namespace asio = boost::asio;
namespace json = boost::json;

std::string HttpBaseUrl(std::string_view livekit_url) {
  const auto has_prefix = [&](std::string_view prefix) {
    return livekit_url.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), livekit_url.begin(), [](char a, char b) {
             return a == std::tolower(static_cast<unsigned char>(b));
           });
  };
  std::string out;
  if (has_prefix("wss://")) {
    out = "https://" + std::string(livekit_url.substr(6));
  } else if (has_prefix("ws://")) {
    out = "http://" + std::string(livekit_url.substr(5));
  } else {
    out = std::string(livekit_url);
  }
  // Trailing slashes would double up with "/twirp/..."; never eat into the scheme's "//".
  const std::size_t scheme_end = out.find("://");
  const std::size_t keep = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  while (out.size() > keep && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

namespace {

constexpr std::int64_t kTokenTtlSeconds = 600;  // what the Node SDK's service clients use
constexpr std::chrono::milliseconds kBackoffBase{50};
constexpr std::chrono::milliseconds kBackoffMax{200};
// The least time left before the call's deadline for a retry to be worth starting.
constexpr std::chrono::milliseconds kMinAttemptTime{50};

struct CallSpec {
  std::string_view method;
  std::string_view room;  // scope of the roomAdmin grant; empty for room-less methods
  bool idempotent = false;
  // DeleteRoom: once an attempt has failed without a definite answer, a later not_found means that
  // attempt deleted the room.
  bool not_found_after_unknown_is_success = false;
};

bool IsRetryable(const Error& error) {
  return error.reason == "transport" || error.reason == "deadline" ||
         error.reason == "twirp:unavailable";
}

class TwirpRoomServiceClient final : public RoomServiceClient {
 public:
  TwirpRoomServiceClient(clients::HttpClient& http, const Clock& clock, Random& random,
                         RoomServiceClientOptions options)
      : http_(http),
        clock_(clock),
        random_(random),
        options_(std::move(options)),
        key_(options_.api_secret),
        base_url_(HttpBaseUrl(options_.base_url)) {
    // The prepared key is all that is needed from now on; do not keep the secret around where a
    // future debug dump of the options could print it.
    options_.api_secret.clear();
  }

  asio::awaitable<Result<Room>> CreateRoom(const CreateRoomOptions& options) override {
    const json::object body = wire::CreateRoomRequest(options);
    // Idempotent in LiveKit: an existing room is returned (livekit.md §2.4).
    const CallSpec spec{wire::kCreateRoom, {}, true, false};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return wire::ParseRoom(*answer);
  }

  asio::awaitable<Result<std::vector<Room>>> ListRooms(std::vector<std::string> names) override {
    const json::object body = wire::ListRoomsRequest(names);
    const CallSpec spec{wire::kListRooms, {}, true, false};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return wire::ParseListRoomsResponse(*answer);
  }

  asio::awaitable<Result<void>> DeleteRoom(std::string_view room) override {
    const json::object body = wire::DeleteRoomRequest(room);
    const CallSpec spec{wire::kDeleteRoom, room, true, true};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return Result<void>{};
  }

  asio::awaitable<Result<std::vector<Participant>>> ListParticipants(
      std::string_view room) override {
    const json::object body = wire::ListParticipantsRequest(room);
    const CallSpec spec{wire::kListParticipants, room, true, false};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return wire::ParseListParticipantsResponse(*answer);
  }

  asio::awaitable<Result<Participant>> GetParticipant(std::string_view room,
                                                      std::string_view identity) override {
    const json::object body = wire::RoomParticipantIdentity(room, identity);
    const CallSpec spec{wire::kGetParticipant, room, true, false};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return wire::ParseParticipant(*answer);
  }

  asio::awaitable<Result<void>> RemoveParticipant(std::string_view room,
                                                  std::string_view identity) override {
    const json::object body = wire::RoomParticipantIdentity(room, identity);
    // Not retried: a replay after an unknown outcome would kick a participant who re-joined.
    const CallSpec spec{wire::kRemoveParticipant, room, false, false};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return Result<void>{};
  }

  asio::awaitable<Result<Participant>> UpdateParticipantMetadata(
      std::string_view room, std::string_view identity, std::string_view metadata) override {
    const json::object body = wire::UpdateParticipantMetadataRequest(room, identity, metadata);
    const CallSpec spec{wire::kUpdateParticipant, room, true, false};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return wire::ParseParticipant(*answer);
  }

  asio::awaitable<Result<void>> SendData(std::string_view room, std::string_view payload,
                                         const SendDataOptions& options) override {
    // A fresh nonce per call: LiveKit silently drops a packet whose nonce it has seen recently,
    // so two identical signals must not share one (livekit.md §4).
    const std::string nonce = RandomBytes(16);
    const json::object body = wire::SendDataRequest(room, payload, options, nonce);
    // Not retried: clients would see the message twice if the first attempt was delivered.
    const CallSpec spec{wire::kSendData, room, false, false};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return Result<void>{};
  }

  asio::awaitable<Result<Room>> UpdateRoomMetadata(std::string_view room,
                                                   std::string_view metadata) override {
    const json::object body = wire::UpdateRoomMetadataRequest(room, metadata);
    const CallSpec spec{wire::kUpdateRoomMetadata, room, true, false};
    Result<json::value> answer = co_await Call(spec, body);
    if (!answer) {
      co_return Fail(answer.error());
    }
    co_return wire::ParseRoom(*answer);
  }

 private:
  asio::awaitable<Result<json::value>> Call(const CallSpec& spec, const json::object& body) {
    const std::string url = base_url_ + "/twirp/livekit.RoomService/" + std::string(spec.method);
    const std::string payload = json::serialize(body);
    const json::object grant = wire::GrantFor(spec.method, spec.room);
    const int attempts = spec.idempotent ? 1 + std::max(0, options_.max_retries) : 1;
    // LIVEKIT_TIMEOUT bounds the whole call, retries and back-off included: a caller (and the
    // client behind it) gets its 503 within one timeout, not one timeout per attempt.
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    bool outcome_unknown = false;
    for (int attempt = 1;; ++attempt) {
      const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      clients::HttpRequest request;
      request.method = "POST";
      request.url = url;
      request.headers.emplace_back("Content-Type", "application/json");
      // Minted per attempt so a retry never carries a token close to its nbf/exp edge.
      request.headers.emplace_back("Authorization", "Bearer " + MintToken(grant));
      request.body = payload;
      request.timeout = remaining;
      Result<clients::HttpResponse> response = co_await http_.Send(std::move(request));
      Result<json::value> result = Interpret(spec, response);
      if (result) {
        co_return result;
      }
      const Error& error = result.error();
      if (spec.not_found_after_unknown_is_success && outcome_unknown &&
          error.reason == "twirp:not_found") {
        co_return json::value(json::object());
      }
      if (!IsRetryable(error) || attempt >= attempts) {
        co_return result;
      }
      const auto backoff = BackoffDelay(attempt);
      // A retry needs the back-off plus some time for the exchange itself; without it the retry
      // could only time out, so the error in hand is the answer.
      if (deadline - std::chrono::steady_clock::now() < backoff + kMinAttemptTime) {
        co_return result;
      }
      outcome_unknown = true;
      spdlog::warn("LiveKit {}: {}; retrying (attempt {} of {})", spec.method, error.reason,
                   attempt + 1, attempts);
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(backoff);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  static Result<json::value> Interpret(const CallSpec& spec,
                                       const Result<clients::HttpResponse>& response) {
    if (!response) {
      // The HTTP layer's text (host, port, system error) is for the log only; callers get the
      // reference's "LiveKit is not available".
      spdlog::warn("LiveKit {}: {} [{}]", spec.method, response.error().message,
                   response.error().reason);
      return Fail(wire::Unreachable(response.error().reason == "timeout"));
    }
    if (response->status >= 200 && response->status <= 299) {
      return wire::ParseBody(response->body);
    }
    Error error = wire::MapErrorAnswer(response->status, response->body);
    if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal) {
      spdlog::warn("LiveKit {}: HTTP {} [{}]", spec.method, response->status, error.reason);
    } else {
      spdlog::debug("LiveKit {}: HTTP {} [{}]", spec.method, response->status, error.reason);
    }
    return Fail(std::move(error));
  }

  // 50 ms, 100 ms, then 200 ms, each drawn uniformly from its upper half so that concurrent
  // callers do not retry in lockstep.
  std::chrono::milliseconds BackoffDelay(int attempt) {
    const int doublings = std::clamp(attempt - 1, 0, 4);
    const auto ceiling = std::min(kBackoffBase * (1 << doublings), kBackoffMax);
    const std::string bytes = RandomBytes(2);
    const unsigned fraction =
        static_cast<unsigned char>(bytes[0]) << 8 | static_cast<unsigned char>(bytes[1]);
    return ceiling / 2 + ceiling / 2 * fraction / 65535;
  }

  std::string MintToken(const json::object& grant) const {
    const std::int64_t now = clock_.NowSeconds();
    json::object claims;
    claims["video"] = grant;
    claims["iss"] = options_.api_key;
    claims["nbf"] = now;
    claims["exp"] = now + kTokenTtlSeconds;
    return crypto::SignJwtHs256(key_, claims);
  }

  // Random is not required to be thread-safe (SeededRandom is not), and calls arrive from every
  // io_context thread.
  std::string RandomBytes(std::size_t n) {
    std::lock_guard lock(random_mutex_);
    return random_.Bytes(n);
  }

  clients::HttpClient& http_;
  const Clock& clock_;
  Random& random_;
  std::mutex random_mutex_;
  RoomServiceClientOptions options_;
  const crypto::HmacSha256Key key_;  // thread-safe: Sign() duplicates the prepared context
  const std::string base_url_;
};

}  // namespace

RoomServiceClientPtr MakeRoomServiceClient(clients::HttpClient& http, const Clock& clock,
                                           Random& random, RoomServiceClientOptions options) {
  return std::make_unique<TwirpRoomServiceClient>(http, clock, random, std::move(options));
}

}  // namespace convene::livekit
