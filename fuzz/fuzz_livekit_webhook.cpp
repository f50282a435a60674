// libFuzzer target for LiveKit webhook bodies and their Authorization tokens: the input is
// "<authorization>\n<body>" (or only a body). Verification must refuse everything unsigned; body
// parsing must accept or reject any bytes without crashing.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/hmac.hpp"
#include "webhooks/livekit_event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const convene::crypto::HmacSha256Key key("secret");
  const auto newline = input.find('\n');
  const std::string_view authorization = newline == std::string_view::npos ? std::string_view{} : input.substr(0, newline);
  const std::string_view body = newline == std::string_view::npos ? input : input.substr(newline + 1);
  auto verified = convene::webhooks::VerifyLiveKitWebhook(key, "devkey", authorization, body, 1'760'000'000);
  if (verified) __builtin_trap();  // nothing the fuzzer writes can carry a valid signature
  (void)convene::webhooks::ParseLiveKitEvent(body);
  return 0;
}
