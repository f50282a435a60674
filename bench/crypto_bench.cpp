// Micro-benchmarks for src/crypto (CONVENTIONS §5.4): HMAC-SHA256 over a 120-byte message, and
// HS256 sign/verify of a participant-token-sized payload (~600 bytes of JSON).

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/hmac.hpp"
#include "crypto/jwt.hpp"

namespace convene::crypto {
namespace {

constexpr std::string_view kSecret = "2fcb0b7e0f8a4c3d9e1b6a5f4d3c2b1a0f9e8d7c6b5a4f3e";
constexpr std::int64_t kNow = 1760000000;

// What the token service mints for a participant joining a room (livekit.md §1.3, §1.8).
boost::json::object ParticipantPayload() {
  return {
      {"name", "Alice Example"},
      {"metadata",
       R"({"livekitUrl":"wss://livekit.example.com","roles":[{"role":"moderator",)"
       R"("permissions":{"canRecord":true,"canChat":true,"canChangeVirtualBackground":true}}],)"
       R"("selectedRole":"moderator"})"},
      {"attributes", {{"team", "a"}, {"locale", "en-US"}}},
      {"video",
       {{"roomJoin", true},
        {"room", "daily-standup-4f3e2d1c"},
        {"canPublish", true},
        {"canSubscribe", true},
        {"canPublishData", true},
        {"canUpdateOwnMetadata", true},
        {"canPublishSources", {"camera", "microphone", "screen_share", "screen_share_audio"}}}},
      {"iss", "APIdevkey0123456"},
      {"sub", "alice-4f3e2d1c-9b8a-7c6d"},
      {"nbf", kNow},
      {"exp", kNow + 6 * 3600},
  };
}

void BM_HmacSha256Sign120Bytes(benchmark::State& state) {
  const HmacSha256Key key(kSecret);
  const std::string message(120, 'm');
  for (auto _ : state) {
    benchmark::DoNotOptimize(key.Sign(message));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}
BENCHMARK(BM_HmacSha256Sign120Bytes);

// Baseline for the design choice in hmac.hpp: OpenSSL's one-shot HMAC() re-fetches and re-keys
// on every call.
void BM_OpenSslOneShotHmac120Bytes(benchmark::State& state) {
  const std::string message(120, 'm');
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_size = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), out, &out_size));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}
BENCHMARK(BM_OpenSslOneShotHmac120Bytes);

void BM_JwtSignParticipantToken(benchmark::State& state) {
  const HmacSha256Key key(kSecret);
  const boost::json::object payload = ParticipantPayload();
  for (auto _ : state) {
    benchmark::DoNotOptimize(SignJwtHs256(key, payload));
  }
  state.counters["payload_bytes"] = static_cast<double>(boost::json::serialize(payload).size());
}
BENCHMARK(BM_JwtSignParticipantToken);

void BM_JwtVerifyParticipantToken(benchmark::State& state) {
  const HmacSha256Key key(kSecret);
  const std::string token = SignJwtHs256(key, ParticipantPayload());
  JwtVerifyOptions options;
  options.issuer = "APIdevkey0123456";
  options.now_seconds = kNow + 60;
  options.leeway_seconds = 60;
  for (auto _ : state) {
    auto payload = VerifyJwtHs256(key, token, options);
    if (!payload) {
      state.SkipWithError(JwtErrorText(payload.error()));
      break;
    }
    benchmark::DoNotOptimize(payload);
  }
  state.counters["token_bytes"] = static_cast<double>(token.size());
}
BENCHMARK(BM_JwtVerifyParticipantToken);

}  // namespace
}  // namespace convene::crypto
