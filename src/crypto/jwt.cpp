#include "crypto/jwt.hpp"

#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "crypto/base64.hpp"

// Decisions this file makes (see jwt_test.cpp for the tests that pin each one):
// - Segments are decoded with Base64UrlDecode: URL-safe alphabet, no padding, canonical trailing
//   bits. RFC 7515 §2 forbids padding in JWS compact form, and a single accepted spelling means a
//   valid token cannot be re-encoded into a second valid token.
// - Checks run in this order: shape (three segments that all decode), header (JSON object, `alg`
//   exactly "HS256", no `crit`), signature, payload (JSON object), `iss`, `exp`, `nbf`. The
//   payload JSON is parsed only after the signature matched, so without the key an attacker
//   reaches only the header parser.
// - Time boundaries: expired iff now >= exp + leeway (RFC 7519 §4.1.4: valid only *before* exp,
//   as jose and golang-jwt check it), not yet valid iff now + leeway < nbf.
// - `exp`/`nbf` must be integral numbers (int64, uint64 or an integral double); anything else,
//   including a fractional number, is kMalformed. Values beyond int64 saturate.
// - Header and payload must be JSON objects without numbers outside double range (see
//   AllNumbersFinite).

namespace convene::crypto {
namespace {

namespace json = boost::json;

// base64url of the exact header livekit-server-sdk (jose) writes: {"alg":"HS256"}.
constexpr std::string_view kHeaderSegment = "eyJhbGciOiJIUzI1NiJ9";

// A token split at its two dots, each part base64url-decoded.
struct DecodedToken {
  std::string header;
  std::string payload;
  std::string signature;
  // What the signature covers: "<header>.<payload>" exactly as it appears in the token.
  std::string_view signing_input;
};

std::optional<DecodedToken> Decode(std::string_view token) {
  const std::size_t first = token.find('.');
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto header = Base64UrlDecode(token.substr(0, first));
  auto payload = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!header || !payload || !signature) {
    return std::nullopt;
  }
  return DecodedToken{std::move(*header), std::move(*payload), std::move(*signature),
                      token.substr(0, second)};
}

// Boost.JSON 1.81 parses a number beyond double range (1e400) as +-Infinity and serializes it back
// as `Infinity`, which is not JSON. Refusing such documents keeps every accepted payload
// serializable (logs, API responses, re-signing). Recursion depth is bounded by the parser's
// max_depth (32).
bool AllNumbersFinite(const json::value& value) {
  switch (value.kind()) {
    case json::kind::double_:
      return std::isfinite(value.get_double());
    case json::kind::array:
      for (const json::value& element : value.get_array()) {
        if (!AllNumbersFinite(element)) {
          return false;
        }
      }
      return true;
    case json::kind::object:
      for (const auto& member : value.get_object()) {
        if (!AllNumbersFinite(member.value())) {
          return false;
        }
      }
      return true;
    default:
      return true;
  }
}

tl::expected<json::object, JwtError> ParseObject(std::string_view text,
                                                 json::storage_ptr storage = {}) {
  // The error_code overload reports syntax errors, excessive nesting (default max depth 32) and
  // bad UTF-8 as values; untrusted input must never reach a throwing parser.
  boost::system::error_code ec;
  json::value value = json::parse(text, ec, std::move(storage));
  if (ec || !value.is_object() || !AllNumbersFinite(value)) {
    return tl::unexpected(JwtError::kMalformed);
  }
  return std::move(value.get_object());
}

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  }
  return sum;
}

// Reads a NumericDate claim. The inner optional is empty when the claim is absent.
tl::expected<std::optional<std::int64_t>, JwtError> ReadNumericDate(const json::object& payload,
                                                                    std::string_view name) {
  using Limits = std::numeric_limits<std::int64_t>;
  const json::value* claim = payload.if_contains(name);
  if (claim == nullptr) {
    return std::optional<std::int64_t>();
  }
  if (claim->is_int64()) {
    return claim->get_int64();
  }
  if (claim->is_uint64()) {
    // Boost.JSON only uses uint64 for values above INT64_MAX: the far future either way.
    return Limits::max();
  }
  if (claim->is_double()) {
    const double d = claim->get_double();
    if (!std::isfinite(d) || std::trunc(d) != d) {
      return tl::unexpected(JwtError::kMalformed);
    }
    // 2^63 is exactly representable as a double; casting anything at or beyond it is UB.
    constexpr double kTwoTo63 = 9223372036854775808.0;
    if (d >= kTwoTo63) {
      return Limits::max();
    }
    if (d < -kTwoTo63) {
      return Limits::min();
    }
    return static_cast<std::int64_t>(d);
  }
  return tl::unexpected(JwtError::kMalformed);
}

tl::expected<void, JwtError> CheckClaims(const json::object& payload,
                                         const JwtVerifyOptions& options) {
  if (!options.issuer.empty()) {
    const json::value* iss = payload.if_contains("iss");
    if (iss == nullptr || !iss->is_string() || iss->get_string() != options.issuer) {
      return tl::unexpected(JwtError::kWrongIssuer);
    }
  }
  const auto exp = ReadNumericDate(payload, "exp");
  if (!exp) {
    return tl::unexpected(exp.error());
  }
  if (!*exp) {
    if (options.require_exp) {
      return tl::unexpected(JwtError::kExpired);
    }
  } else if (options.now_seconds >= SaturatingAdd(**exp, options.leeway_seconds)) {
    return tl::unexpected(JwtError::kExpired);
  }
  const auto nbf = ReadNumericDate(payload, "nbf");
  if (!nbf) {
    return tl::unexpected(nbf.error());
  }
  if (*nbf && SaturatingAdd(options.now_seconds, options.leeway_seconds) < **nbf) {
    return tl::unexpected(JwtError::kNotYetValid);
  }
  return {};
}

std::string_view AsBytes(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

}  // namespace

const char* JwtErrorText(JwtError e) {
  switch (e) {
    case JwtError::kMalformed:
      return "malformed token";
    case JwtError::kBadAlgorithm:
      return "unsupported signing algorithm";
    case JwtError::kBadSignature:
      return "signature mismatch";
    case JwtError::kWrongIssuer:
      return "wrong issuer";
    case JwtError::kExpired:
      return "token expired or without expiry";
    case JwtError::kNotYetValid:
      return "token not valid yet";
  }
  return "unknown token error";
}

std::string SignJwtHs256(const HmacSha256Key& key, const boost::json::object& payload) {
  const std::string payload_segment = Base64UrlEncode(json::serialize(payload));
  std::string token;
  // 43 = base64url length of a 32-byte signature.
  token.reserve(kHeaderSegment.size() + 1 + payload_segment.size() + 1 + 43);
  token.append(kHeaderSegment).append(1, '.').append(payload_segment);
  const Sha256Digest signature = key.Sign(token);
  token.append(1, '.').append(Base64UrlEncode(AsBytes(signature)));
  return token;
}

tl::expected<boost::json::object, JwtError> VerifyJwtHs256(const HmacSha256Key& key,
                                                           std::string_view token,
                                                           const JwtVerifyOptions& options) {
  // Shape first: three segments of strict base64url. Decoding is cheap and touches no parser.
  const std::optional<DecodedToken> decoded = Decode(token);
  if (!decoded) {
    return tl::unexpected(JwtError::kMalformed);
  }

  {
    // The header is thrown away after the alg check, so its DOM lives in a stack arena.
    unsigned char arena[1024];
    json::monotonic_resource resource(arena, sizeof(arena));
    const auto header = ParseObject(decoded->header, &resource);
    if (!header) {
      return tl::unexpected(header.error());
    }
    // Pinning the one algorithm we implement refuses "none" and any key-confusion attempt.
    const json::value* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->get_string() != "HS256") {
      return tl::unexpected(JwtError::kBadAlgorithm);
    }
    // RFC 7515 §4.1.11: extensions listed in `crit` must be understood; we understand none.
    if (header->contains("crit")) {
      return tl::unexpected(JwtError::kMalformed);
    }
  }

  const Sha256Digest expected = key.Sign(decoded->signing_input);
  if (!ConstantTimeEquals(decoded->signature, AsBytes(expected))) {
    return tl::unexpected(JwtError::kBadSignature);
  }

  auto payload = ParseObject(decoded->payload);
  if (!payload) {
    return payload;
  }
  if (const auto checked = CheckClaims(*payload, options); !checked) {
    return tl::unexpected(checked.error());
  }
  return payload;
}

tl::expected<boost::json::object, JwtError> DecodeJwtUnverified(std::string_view token) {
  const std::optional<DecodedToken> decoded = Decode(token);
  if (!decoded) {
    return tl::unexpected(JwtError::kMalformed);
  }
  return ParseObject(decoded->payload);
}

}  // namespace convene::crypto
