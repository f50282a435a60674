#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "crypto/hmac.hpp"

namespace convene::crypto {

/// Why a JWT was rejected. Callers map these to their own API errors; the text is for logs only
/// and never contains the token.
enum class JwtError {
  kMalformed,         // not three base64url parts, header/payload not JSON objects
  kBadAlgorithm,      // header alg is not exactly "HS256" (refuses "none" and key confusion)
  kBadSignature,
  kWrongIssuer,
  kExpired,           // exp missing (when required) or now >= exp + leeway
  kNotYetValid,       // now + leeway < nbf
};

const char* JwtErrorText(JwtError e);

struct JwtVerifyOptions {
  std::string_view issuer;          // required value of `iss`; empty = not checked
  std::int64_t now_seconds = 0;
  std::int64_t leeway_seconds = 0;  // applied to exp and nbf
  bool require_exp = true;
};

/// Signs `payload` (a JSON object) as a compact JWS with the protected header exactly
/// {"alg":"HS256"}, which is what livekit-server-sdk writes.
std::string SignJwtHs256(const HmacSha256Key& key, const boost::json::object& payload);

/// Verifies signature (constant time), algorithm, issuer and time claims; returns the payload.
tl::expected<boost::json::object, JwtError> VerifyJwtHs256(const HmacSha256Key& key,
                                                           std::string_view token,
                                                           const JwtVerifyOptions& options);

/// Decodes the payload WITHOUT verifying anything. Only for logging/diagnostics, never for
/// authorization decisions.
tl::expected<boost::json::object, JwtError> DecodeJwtUnverified(std::string_view token);

}  // namespace convene::crypto
