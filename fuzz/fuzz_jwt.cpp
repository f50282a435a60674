// libFuzzer target for the token parsers in src/crypto (untrusted input: Authorization headers,
// webhook tokens, base64 claims).
//
// A random input almost never carries a valid HMAC, so the raw-token path alone would only fuzz
// the shape and header checks. The input is therefore also read as "<header JSON>\n<payload JSON>",
// encoded and signed here, which lets the fuzzer reach payload parsing and the claim checks.
// Invariants are checked with __builtin_trap() so that a violation is reported as a crash.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/base64.hpp"
#include "crypto/hmac.hpp"
#include "crypto/jwt.hpp"

namespace {

namespace crypto = convene::crypto;

void Check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

const crypto::HmacSha256Key& Key() {
  static const crypto::HmacSha256Key key("fuzz-secret");
  return key;
}

crypto::JwtVerifyOptions Options(bool require_exp) {
  crypto::JwtVerifyOptions options;
  options.issuer = "devkey";
  options.now_seconds = 1760000000;
  options.leeway_seconds = 60;
  options.require_exp = require_exp;
  return options;
}

void FuzzBase64(std::string_view input) {
  if (const auto strict = crypto::Base64UrlDecode(input)) {
    // Strict decoding accepts exactly one spelling per byte string: the encoder's.
    Check(crypto::Base64UrlEncode(*strict) == input);
    Check(crypto::Base64Decode(input) == strict);
  }
  if (const auto lenient = crypto::Base64Decode(input)) {
    Check(crypto::Base64Decode(crypto::Base64Encode(*lenient)) == lenient);
  }
}

// Equality, except that doubles may differ in the last bits: Boost.JSON 1.81 does not parse
// numbers with correct rounding (e.g. "1.7600006E124" comes back 1 ulp away from strtod's result;
// exact parsing only arrived with `parse_options::numbers` in 1.83), so serialize-then-parse is
// not the identity for every double.
bool SameJson(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.get_double();
    const double y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.is_array() && b.is_array()) {
    const auto& xs = a.get_array();
    const auto& ys = b.get_array();
    if (xs.size() != ys.size()) {
      return false;
    }
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (!SameJson(xs[i], ys[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto& xs = a.get_object();
    const auto& ys = b.get_object();
    if (xs.size() != ys.size()) {
      return false;
    }
    for (const auto& member : xs) {
      const boost::json::value* other = ys.if_contains(member.key());
      if (other == nullptr || !SameJson(member.value(), *other)) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

// Whatever verifies must survive being signed again by our own signer.
void CheckResignRoundTrip(const crypto::JwtVerifyOptions& options,
                          const boost::json::object& payload) {
  const std::string token = crypto::SignJwtHs256(Key(), payload);
  const auto again = crypto::VerifyJwtHs256(Key(), token, options);
  Check(again.has_value() && SameJson(*again, payload));
}

void FuzzRawToken(std::string_view input) {
  for (const bool require_exp : {true, false}) {
    const auto options = Options(require_exp);
    if (const auto payload = crypto::VerifyJwtHs256(Key(), input, options)) {
      CheckResignRoundTrip(options, *payload);
    }
  }
  (void)crypto::DecodeJwtUnverified(input);
}

void FuzzSignedJson(std::string_view input) {
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    return;
  }
  const std::string signing_input = crypto::Base64UrlEncode(input.substr(0, newline)) + "." +
                                    crypto::Base64UrlEncode(input.substr(newline + 1));
  const crypto::Sha256Digest mac = Key().Sign(signing_input);
  const std::string token = signing_input + "." +
                            crypto::Base64UrlEncode(std::string_view(
                                reinterpret_cast<const char*>(mac.data()), mac.size()));
  for (const bool require_exp : {true, false}) {
    const auto options = Options(require_exp);
    const auto payload = crypto::VerifyJwtHs256(Key(), token, options);
    if (payload) {
      CheckResignRoundTrip(options, *payload);
    }
    // A signature made with another key must never verify.
    static const crypto::HmacSha256Key other("other-secret");
    Check(!crypto::VerifyJwtHs256(other, token, options).has_value());
  }
  (void)crypto::DecodeJwtUnverified(token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzBase64(input);
  FuzzRawToken(input);
  FuzzSignedJson(input);
  return 0;
}
