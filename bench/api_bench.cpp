// Micro-benchmarks for the request path outside crypto (crypto_bench.cpp: HMAC, JWT sign/verify)
// and the registry (src/registry/redis_registry_bench.cpp: same-name allocation): router dispatch
// over the real route table's patterns, JSON parse + validation of the two hottest bodies (create
// room, participant token), and rendering a room and a 100-room page.

#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

#include "api/participant_dto.hpp"
#include "api/room_dto.hpp"
#include "domain/room_json.hpp"
#include "http/request.hpp"
#include "http/request_body.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace convene {
namespace {

constexpr std::int64_t kNowMs = 1760000000000;

// Patterns in registration order as the API handlers add them (src/api/*_handler.cpp): the router
// scans in order, so a room route pays for the routes registered before it.
const std::vector<std::pair<http::Method, std::string>>& Routes() {
  using M = http::Method;
  static const std::vector<std::pair<M, std::string>> routes = {
      {M::kPost, "/internal-api/v1/auth/login"}, {M::kPost, "/internal-api/v1/auth/logout"},
      {M::kPost, "/internal-api/v1/auth/refresh"}, {M::kPost, "/internal-api/v1/auth/api-keys"},
      {M::kGet, "/internal-api/v1/auth/api-keys"}, {M::kDelete, "/internal-api/v1/auth/api-keys"},
      {M::kGet, "/internal-api/v1/config/security"}, {M::kPut, "/internal-api/v1/config/security"},
      {M::kGet, "/internal-api/v1/config/webhooks"}, {M::kPut, "/internal-api/v1/config/webhooks"},
      {M::kPost, "/internal-api/v1/config/webhooks/test"}, {M::kGet, "/internal-api/v1/config/rooms/appearance"},
      {M::kPut, "/internal-api/v1/config/rooms/appearance"}, {M::kPost, "/livekit/webhook"},
      {M::kDelete, "/internal-api/v1/meetings/{roomId}"},
      {M::kDelete, "/internal-api/v1/meetings/{roomId}/participants/{participantIdentity}"},
      {M::kPut, "/internal-api/v1/meetings/{roomId}/participants/{participantIdentity}/role"},
      {M::kPost, "/internal-api/v1/participants/token"}, {M::kPost, "/internal-api/v1/participants/token/refresh"},
      {M::kGet, "/api/v1/recordings"}, {M::kPost, "/internal-api/v1/rooms/{roomId}/recording-token"},
      {M::kPost, "/api/v1/rooms"}, {M::kGet, "/api/v1/rooms"}, {M::kDelete, "/api/v1/rooms"},
      {M::kGet, "/api/v1/rooms/{roomId}"}, {M::kDelete, "/api/v1/rooms/{roomId}"},
      {M::kGet, "/api/v1/rooms/{roomId}/config"}, {M::kPut, "/api/v1/rooms/{roomId}/config"},
      {M::kPut, "/api/v1/rooms/{roomId}/status"}, {M::kGet, "/internal-api/v1/rooms/{roomId}/roles"},
      {M::kGet, "/internal-api/v1/rooms/{roomId}/roles/{secret}"}, {M::kGet, "/ready"}, {M::kGet, "/metrics"},
      {M::kGet, "/api/v1/docs"}, {M::kGet, "/api/v1/docs/openapi.yaml"},
      {M::kGet, "/internal-api/v1/users/profile"}, {M::kPost, "/internal-api/v1/users/change-password"},
  };
  return routes;
}

http::Router MakeRouter() {
  http::Router router;
  for (const auto& [method, pattern] : Routes()) {
    router.Add(method, pattern, [](http::Request&) -> boost::asio::awaitable<http::Response> {
      co_return http::Response::Text(200, "", "");
    });
  }
  return router;
}

void BM_RouterFindGetRoom(benchmark::State& state) {
  const http::Router router = MakeRouter();
  http::Request req;
  req.method = http::Method::kGet;
  req.path = "/api/v1/rooms/daily-standup-4f3e2d1c0b9a8f7";
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.Find(req));
  }
}
BENCHMARK(BM_RouterFindGetRoom);

void BM_RouterFindParticipantToken(benchmark::State& state) {
  const http::Router router = MakeRouter();
  http::Request req;
  req.method = http::Method::kPost;
  req.path = "/internal-api/v1/participants/token";
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.Find(req));
  }
}
BENCHMARK(BM_RouterFindParticipantToken);

void BM_RouterFindUnmatched(benchmark::State& state) {
  const http::Router router = MakeRouter();
  http::Request req;
  req.method = http::Method::kGet;
  req.path = "/api/v1/nothing/here";
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.Find(req));
  }
}
BENCHMARK(BM_RouterFindUnmatched);

http::Request JsonRequest(std::string body) {
  http::Request req;
  req.method = http::Method::kPost;
  req.headers.emplace_back("content-type", "application/json");
  req.body = std::move(body);
  return req;
}

void BM_ParseCreateRoomBody(benchmark::State& state) {
  const http::Request req = JsonRequest(
      R"({"roomName":"Daily standup","autoDeletionDate":1760086400000,)"
      R"("autoDeletionPolicy":{"withMeeting":"force","withRecordings":"close"},)"
      R"("config":{"recording":{"enabled":false},"chat":{"enabled":true},"virtualBackground":{"enabled":true}}})");
  for (auto _ : state) {
    auto body = http::ParseBody(req);
    auto parsed = api::ParseCreateRoomRequest(*body, kNowMs, 3600 * 1000);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseCreateRoomBody);

void BM_ParseParticipantTokenBody(benchmark::State& state) {
  const http::Request req = JsonRequest(
      R"({"roomId":"daily-standup-4f3e2d1c0b9a8f7","secret":"a1b2c3d4e5f60718293a4b5c6d7e8f90",)"
      R"("participantName":"Alice Example"})");
  for (auto _ : state) {
    auto body = http::ParseBody(req);
    auto parsed = api::ParseParticipantTokenRequest(*body);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseParticipantTokenBody);

domain::Room SampleRoom(int i) {
  domain::Room room;
  room.room_id = "daily-standup-" + std::to_string(1000000000000000 + i).substr(1);
  room.room_name = "Daily standup";
  room.creation_date = kNowMs;
  room.auto_deletion_date = kNowMs + 86400000;
  room.moderator_secret = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
  room.speaker_secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
  return room;
}

void BM_RenderRoom(benchmark::State& state) {
  const domain::Room room = SampleRoom(1);
  std::string out;
  for (auto _ : state) {
    out.clear();
    domain::AppendRoomJson(out, room, "https://meet.example.com");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_RenderRoom);

void BM_RenderRoomPage100(benchmark::State& state) {
  std::vector<domain::Room> rooms;
  for (int i = 0; i < 100; ++i) rooms.push_back(SampleRoom(i));
  std::string out;
  for (auto _ : state) {
    out.clear();
    out += R"({"rooms":[)";
    for (std::size_t i = 0; i < rooms.size(); ++i) {
      if (i > 0) out += ',';
      domain::AppendRoomJson(out, rooms[i], "https://meet.example.com");
    }
    out += "]}";
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_RenderRoomPage100);

}  // namespace
}  // namespace convene
