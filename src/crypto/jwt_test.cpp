#include "crypto/jwt.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "crypto/base64.hpp"

namespace convene::crypto {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1760000000;

// Builds a compact JWS from raw JSON texts, independently of SignJwtHs256, so tests can craft
// headers and payloads the signer would never produce.
std::string Assemble(std::string_view header_json, std::string_view payload_json,
                     const HmacSha256Key& key) {
  const std::string signing_input =
      Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  const Sha256Digest mac = key.Sign(signing_input);
  return signing_input + "." +
         Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

class JwtTest : public testing::Test {
 protected:
  static JwtVerifyOptions Options(std::int64_t now = kNow, std::int64_t leeway = 0) {
    JwtVerifyOptions options;
    options.now_seconds = now;
    options.leeway_seconds = leeway;
    return options;
  }

  // A token with {"alg":"HS256"} and the given payload text, signed with key_.
  std::string Token(std::string_view payload_json) const {
    return Assemble(R"({"alg":"HS256"})", payload_json, key_);
  }

  tl::expected<json::object, JwtError> Verify(std::string_view token,
                                              const JwtVerifyOptions& options) const {
    return VerifyJwtHs256(key_, token, options);
  }

  JwtError VerifyError(std::string_view token, const JwtVerifyOptions& options) const {
    const auto result = Verify(token, options);
    EXPECT_FALSE(result.has_value()) << json::serialize(*result);
    return result ? JwtError::kMalformed : result.error();
  }

  HmacSha256Key key_{"secret"};
};

// ---- Signing -------------------------------------------------------------------------------

TEST_F(JwtTest, SignedTokenRoundTrips) {
  const json::object payload = {{"iss", "devkey"},
                                {"sub", "alice"},
                                {"nbf", kNow - 60},
                                {"exp", kNow + 600},
                                {"video", {{"roomJoin", true}, {"room", "demo"}}}};
  JwtVerifyOptions options = Options();
  options.issuer = "devkey";
  const auto verified = Verify(SignJwtHs256(key_, payload), options);
  ASSERT_TRUE(verified.has_value()) << JwtErrorText(verified.error());
  EXPECT_EQ(*verified, payload);
}

TEST_F(JwtTest, SignedHeaderIsExactlyAlgHs256) {
  const std::string token = SignJwtHs256(key_, {{"exp", kNow + 600}});
  const std::string_view header_segment = std::string_view(token).substr(0, token.find('.'));
  EXPECT_EQ(Base64UrlDecode(header_segment), R"({"alg":"HS256"})");
}

TEST_F(JwtTest, SignedTokenIsThreeUnpaddedBase64UrlSegments) {
  const std::string token = SignJwtHs256(key_, {{"exp", kNow + 600}, {"name", "?>?>~~~"}});
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(token.find_first_of("=+/"), std::string::npos) << token;
}

TEST_F(JwtTest, SignatureMatchesHandAssembledLivekitStyleToken) {
  // Node's livekit-server-sdk writes header {"alg":"HS256"} and a compact JSON payload; the
  // signature is HMAC-SHA256(secret, base64url(header) "." base64url(payload)).
  constexpr std::string_view kPayload =
      R"({"video":{"roomAdmin":true,"room":"demo"},)"
      R"("iss":"devkey","nbf":1760000000,"exp":1760000600})";
  const json::object payload = {{"video", {{"roomAdmin", true}, {"room", "demo"}}},
                                {"iss", "devkey"},
                                {"nbf", 1760000000},
                                {"exp", 1760000600}};
  ASSERT_EQ(json::serialize(payload), kPayload);

  const std::string signing_input =
      Base64UrlEncode(R"({"alg":"HS256"})") + "." + Base64UrlEncode(kPayload);
  const Sha256Digest mac = key_.Sign(signing_input);
  const std::string hand_made =
      signing_input + "." +
      Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  EXPECT_EQ(SignJwtHs256(key_, payload), hand_made);

  // The same token computed outside this code base (Python hmac/hashlib/base64, secret "secret").
  EXPECT_EQ(hand_made,
            "eyJhbGciOiJIUzI1NiJ9."
            "eyJ2aWRlbyI6eyJyb29tQWRtaW4iOnRydWUsInJvb20iOiJkZW1vIn0sImlzcyI6ImRldmtleSIsIm5iZiI6MT"
            "c2MDAwMDAwMCwiZXhwIjoxNzYwMDAwNjAwfQ."
            "7wsKfxIoGcjnsabzFpCfiRgOJSHAK1M6j8e5c5PphBs");
}

// ---- Accepting foreign tokens ----------------------------------------------------------------

constexpr std::string_view kJwtIoToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

TEST(Jwt, VerifiesJwtIoExample) {
  const HmacSha256Key key("your-256-bit-secret");
  JwtVerifyOptions options;
  options.require_exp = false;  // the example has no exp
  const auto payload = VerifyJwtHs256(key, kJwtIoToken, options);
  ASSERT_TRUE(payload.has_value()) << JwtErrorText(payload.error());
  EXPECT_EQ(payload->at("sub"), "1234567890");
  EXPECT_EQ(payload->at("name"), "John Doe");
  EXPECT_EQ(payload->at("iat"), 1516239022);
}

TEST(Jwt, RejectsJwtIoExampleUnderAnotherKey) {
  const HmacSha256Key key("not-the-secret");
  JwtVerifyOptions options;
  options.require_exp = false;
  const auto payload = VerifyJwtHs256(key, kJwtIoToken, options);
  ASSERT_FALSE(payload.has_value());
  EXPECT_EQ(payload.error(), JwtError::kBadSignature);
}

TEST_F(JwtTest, AcceptsExtraHeaderKeysSuchAsTyp) {
  // The Go SDK (golang-jwt) writes {"alg":"HS256","typ":"JWT"}.
  const std::string token =
      Assemble(R"({"alg":"HS256","typ":"JWT"})", R"({"exp":1760000600})", key_);
  EXPECT_TRUE(Verify(token, Options()).has_value());
}

// ---- Signature and algorithm -------------------------------------------------------------------

TEST_F(JwtTest, RejectsTamperedPayload) {
  const std::string token = SignJwtHs256(key_, {{"sub", "alice"}, {"exp", kNow + 600}});
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  const std::string forged = token.substr(0, first + 1) +
                             Base64UrlEncode(R"({"sub":"admin","exp":1760000600})") +
                             token.substr(second);
  EXPECT_EQ(VerifyError(forged, Options()), JwtError::kBadSignature);
}

TEST_F(JwtTest, RejectsTamperedSignature) {
  std::string token = SignJwtHs256(key_, {{"exp", kNow + 600}});
  // Change the first signature symbol: stays valid base64url, changes the first signature byte.
  char& c = token[token.rfind('.') + 1];
  c = (c == 'A') ? 'B' : 'A';
  EXPECT_EQ(VerifyError(token, Options()), JwtError::kBadSignature);
}

TEST_F(JwtTest, RejectsSignatureOfWrongLength) {
  const std::string token = SignJwtHs256(key_, {{"exp", kNow + 600}});
  const std::string signing_input = token.substr(0, token.rfind('.'));
  EXPECT_EQ(VerifyError(signing_input + ".", Options()), JwtError::kBadSignature);
  EXPECT_EQ(VerifyError(signing_input + ".AAAA", Options()), JwtError::kBadSignature);
  // The right signature followed by one more byte.
  const Sha256Digest mac = key_.Sign(signing_input);
  const std::string longer =
      std::string(reinterpret_cast<const char*>(mac.data()), mac.size()) + "x";
  EXPECT_EQ(VerifyError(signing_input + "." + Base64UrlEncode(longer), Options()),
            JwtError::kBadSignature);
}

TEST_F(JwtTest, RejectsSignatureFromAnotherKey) {
  const HmacSha256Key other("secret2");
  EXPECT_EQ(VerifyError(SignJwtHs256(other, {{"exp", kNow + 600}}), Options()),
            JwtError::kBadSignature);
}

TEST_F(JwtTest, RejectsAlgNone) {
  const std::string payload = Base64UrlEncode(R"({"exp":1760000600})");
  const std::string unsigned_token = Base64UrlEncode(R"({"alg":"none"})") + "." + payload + ".";
  EXPECT_EQ(VerifyError(unsigned_token, Options()), JwtError::kBadAlgorithm);
  // Even with a valid HMAC, a header naming another algorithm is refused.
  EXPECT_EQ(VerifyError(Assemble(R"({"alg":"none"})", R"({"exp":1760000600})", key_), Options()),
            JwtError::kBadAlgorithm);
}

TEST_F(JwtTest, RejectsAnyAlgOtherThanExactlyHs256) {
  const std::string_view headers[] = {
      R"({"alg":"HS512"})", R"({"alg":"HS384"})",  R"({"alg":"RS256"})",
      R"({"alg":"hs256"})", R"({"alg":"HS256 "})", R"({"alg":""})",
      R"({"alg":null})",    R"({"alg":256})",      R"({"alg":["HS256"]})",
  };
  for (const std::string_view header : headers) {
    EXPECT_EQ(VerifyError(Assemble(header, R"({"exp":1760000600})", key_), Options()),
              JwtError::kBadAlgorithm)
        << header;
  }
}

TEST_F(JwtTest, RejectsMissingAlg) {
  EXPECT_EQ(VerifyError(Assemble(R"({"typ":"JWT"})", R"({"exp":1760000600})", key_), Options()),
            JwtError::kBadAlgorithm);
  EXPECT_EQ(VerifyError(Assemble("{}", R"({"exp":1760000600})", key_), Options()),
            JwtError::kBadAlgorithm);
}

TEST_F(JwtTest, RejectsCriticalHeaderExtensions) {
  // RFC 7515 §4.1.11: a recipient must reject extensions in `crit` it does not understand.
  const std::string token =
      Assemble(R"({"alg":"HS256","crit":["b64"],"b64":false})", R"({"exp":1760000600})", key_);
  EXPECT_EQ(VerifyError(token, Options()), JwtError::kMalformed);
}

// ---- Issuer ----------------------------------------------------------------------------------

TEST_F(JwtTest, RejectsWrongOrMissingIssuerWhenOneIsRequired) {
  JwtVerifyOptions options = Options();
  options.issuer = "devkey";
  EXPECT_EQ(VerifyError(Token(R"({"iss":"otherkey","exp":1760000600})"), options),
            JwtError::kWrongIssuer);
  EXPECT_EQ(VerifyError(Token(R"({"iss":"devkey2","exp":1760000600})"), options),
            JwtError::kWrongIssuer);
  EXPECT_EQ(VerifyError(Token(R"({"exp":1760000600})"), options), JwtError::kWrongIssuer);
  EXPECT_EQ(VerifyError(Token(R"({"iss":["devkey"],"exp":1760000600})"), options),
            JwtError::kWrongIssuer);
  EXPECT_TRUE(Verify(Token(R"({"iss":"devkey","exp":1760000600})"), options).has_value());
}

TEST_F(JwtTest, IgnoresIssuerWhenNoneIsRequired) {
  EXPECT_TRUE(Verify(Token(R"({"iss":"anything","exp":1760000600})"), Options()).has_value());
  EXPECT_TRUE(Verify(Token(R"({"exp":1760000600})"), Options()).has_value());
}

// ---- Time claims -----------------------------------------------------------------------------
// Boundary rule (jwt.hpp): expired iff now >= exp + leeway; not yet valid iff now + leeway < nbf.

TEST_F(JwtTest, AcceptsTokenUntilTheSecondBeforeExpPlusLeeway) {
  const std::string token = Token(R"({"exp":1000})");
  EXPECT_TRUE(Verify(token, Options(/*now=*/999, /*leeway=*/0)).has_value());
  EXPECT_TRUE(Verify(token, Options(/*now=*/1059, /*leeway=*/60)).has_value());
}

TEST_F(JwtTest, RejectsTokenFromTheSecondOfExpPlusLeeway) {
  const std::string token = Token(R"({"exp":1000})");
  EXPECT_EQ(VerifyError(token, Options(/*now=*/1000, /*leeway=*/0)), JwtError::kExpired);
  EXPECT_EQ(VerifyError(token, Options(/*now=*/1060, /*leeway=*/60)), JwtError::kExpired);
}

TEST_F(JwtTest, AcceptsTokenFromExactlyNbfMinusLeeway) {
  const std::string token = Token(R"({"nbf":1000,"exp":5000})");
  EXPECT_TRUE(Verify(token, Options(/*now=*/1000, /*leeway=*/0)).has_value());
  EXPECT_TRUE(Verify(token, Options(/*now=*/940, /*leeway=*/60)).has_value());
}

TEST_F(JwtTest, RejectsTokenBeforeNbfMinusLeeway) {
  const std::string token = Token(R"({"nbf":1000,"exp":5000})");
  EXPECT_EQ(VerifyError(token, Options(/*now=*/999, /*leeway=*/0)), JwtError::kNotYetValid);
  EXPECT_EQ(VerifyError(token, Options(/*now=*/939, /*leeway=*/60)), JwtError::kNotYetValid);
}

TEST_F(JwtTest, RejectsMissingExpWhenRequired) {
  EXPECT_EQ(VerifyError(Token(R"({"sub":"alice"})"), Options()), JwtError::kExpired);
}

TEST_F(JwtTest, AcceptsMissingExpWhenNotRequired) {
  JwtVerifyOptions options = Options();
  options.require_exp = false;
  EXPECT_TRUE(Verify(Token(R"({"sub":"alice"})"), options).has_value());
  // A present exp is still enforced.
  EXPECT_EQ(VerifyError(Token(R"({"exp":1})"), options), JwtError::kExpired);
}

TEST_F(JwtTest, AcceptsIntegralDoubleTimes) {
  EXPECT_TRUE(Verify(Token(R"({"exp":1760000600.0})"), Options()).has_value());
  EXPECT_TRUE(Verify(Token(R"({"exp":1.7600006e9,"nbf":1.75E9})"), Options()).has_value());
  EXPECT_EQ(VerifyError(Token(R"({"exp":1.759999999e9})"), Options()), JwtError::kExpired);
}

TEST_F(JwtTest, RejectsTimesThatAreNotIntegralNumbers) {
  const std::string_view payloads[] = {
      R"({"exp":1760000600.5})",
      R"({"exp":"1760000000"})",
      R"({"exp":true})",
      R"({"exp":null})",
      R"({"exp":[1760000000]})",
      R"({"exp":{}})",
      R"({"exp":1760000600,"nbf":"0"})",
      R"({"exp":1760000600,"nbf":0.5})",
  };
  for (const std::string_view payload : payloads) {
    EXPECT_EQ(VerifyError(Token(payload), Options()), JwtError::kMalformed) << payload;
  }
}

TEST_F(JwtTest, SaturatesTimesBeyondInt64) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  EXPECT_TRUE(Verify(Token(R"({"exp":18446744073709551615})"), Options()).has_value());
  EXPECT_TRUE(Verify(Token(R"({"exp":1e300})"), Options()).has_value());
  EXPECT_EQ(VerifyError(Token(R"({"exp":-1e300})"), Options()), JwtError::kExpired);
  EXPECT_EQ(VerifyError(Token(R"({"exp":9223372036854775807,"nbf":1e300})"), Options()),
            JwtError::kNotYetValid);
  // exp + leeway and now + leeway saturate instead of wrapping around.
  EXPECT_TRUE(Verify(Token(R"({"exp":9223372036854775807,"nbf":1000})"), Options(kMax - 1, kMax))
                  .has_value());
  EXPECT_EQ(VerifyError(Token(R"({"exp":-9223372036854775808})"), Options(kNow, -1)),
            JwtError::kExpired);
  EXPECT_EQ(VerifyError(Token(R"({"exp":9223372036854775807,"nbf":9223372036854775807})"),
                        Options(kMin, -1)),
            JwtError::kNotYetValid);
}

// ---- Malformed input -------------------------------------------------------------------------

TEST_F(JwtTest, RejectsWrongNumberOfSegments) {
  const std::string token = Token(R"({"exp":1760000600})");
  const std::string two = token.substr(0, token.rfind('.'));
  EXPECT_EQ(VerifyError(two, Options()), JwtError::kMalformed);
  EXPECT_EQ(VerifyError(token + ".", Options()), JwtError::kMalformed);
  EXPECT_EQ(VerifyError(token + "." + token.substr(token.rfind('.') + 1), Options()),
            JwtError::kMalformed);
  EXPECT_EQ(VerifyError("", Options()), JwtError::kMalformed);
  EXPECT_EQ(VerifyError(".", Options()), JwtError::kMalformed);
  EXPECT_EQ(VerifyError("..", Options()), JwtError::kMalformed);
  EXPECT_EQ(VerifyError("...", Options()), JwtError::kMalformed);
}

TEST_F(JwtTest, RejectsNonBase64UrlCharactersInAnySegment) {
  const std::string token = Token(R"({"exp":1760000600})");
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  for (const std::size_t at : {std::size_t{0}, first + 1, second + 1}) {
    for (const char bad : {'+', '/', '=', '*', ' ', '\0'}) {
      std::string broken = token;
      broken[at] = bad;
      EXPECT_EQ(VerifyError(broken, Options()), JwtError::kMalformed) << at << " " << bad;
    }
  }
}

TEST_F(JwtTest, RejectsPaddedSegments) {
  // {"exp":1760000600} is 18 bytes, so its segment would carry "=" padding in standard base64.
  const std::string padded_payload = Base64Encode(R"({"sub":"a","exp":1760000600})");
  ASSERT_NE(padded_payload.find('='), std::string::npos);
  const std::string signing_input = Base64UrlEncode(R"({"alg":"HS256"})") + "." + padded_payload;
  const Sha256Digest mac = key_.Sign(signing_input);
  const std::string token =
      signing_input + "." +
      Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  EXPECT_EQ(VerifyError(token, Options()), JwtError::kMalformed);
}

TEST_F(JwtTest, RejectsHeaderThatIsNotAJsonObject) {
  for (const std::string_view header : {R"(["alg","HS256"])", R"("HS256")", "{", "", "null"}) {
    EXPECT_EQ(VerifyError(Assemble(header, R"({"exp":1760000600})", key_), Options()),
              JwtError::kMalformed)
        << header;
  }
}

TEST_F(JwtTest, RejectsPayloadThatIsNotAJsonObject) {
  const std::string_view payloads[] = {R"([{"exp":1760000600}])", R"("text")", "1760000000",
                                       "{\"exp\":1760000000",     "",          "null"};
  for (const std::string_view payload : payloads) {
    EXPECT_EQ(VerifyError(Token(payload), Options()), JwtError::kMalformed) << payload;
  }
}

TEST_F(JwtTest, RejectsNumbersBeyondDoubleRangeAnywhere) {
  // Boost.JSON would hold them as Infinity and later serialize them as `Infinity` (not JSON).
  const std::string_view payloads[] = {
      R"({"exp":1e400})",
      R"({"exp":-1e400})",
      R"({"exp":1760000600,"x":1e400})",
      R"({"exp":1760000600,"x":[1,{"y":-1e99999}]})",
  };
  for (const std::string_view payload : payloads) {
    EXPECT_EQ(VerifyError(Token(payload), Options()), JwtError::kMalformed) << payload;
    EXPECT_FALSE(DecodeJwtUnverified(Token(payload)).has_value()) << payload;
  }
  EXPECT_EQ(VerifyError(Assemble(R"({"alg":"HS256","x":1e400})", R"({"exp":1760000600})", key_),
                        Options()),
            JwtError::kMalformed);
  // Large but finite numbers are fine.
  EXPECT_TRUE(Verify(Token(R"({"exp":1760000600,"x":1e308,"y":-1e308})"), Options()).has_value());
}

TEST_F(JwtTest, RejectsHugeGarbage) {
  const std::string garbage(1 << 20, 'a');
  EXPECT_EQ(VerifyError(garbage, Options()), JwtError::kMalformed);
  EXPECT_EQ(VerifyError(garbage + "." + garbage + "." + garbage, Options()), JwtError::kMalformed);
  EXPECT_EQ(VerifyError(std::string(1 << 20, '.'), Options()), JwtError::kMalformed);
}

TEST_F(JwtTest, RejectsDeeplyNestedJsonWithoutCrashing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(VerifyError(Assemble(deep, R"({"exp":1760000600})", key_), Options()),
            JwtError::kMalformed);
  const std::string deep_claim = R"({"exp":1760000600,"x":)" + deep + "}";
  EXPECT_EQ(VerifyError(Token(deep_claim), Options()), JwtError::kMalformed);
}

// ---- Unverified decoding and error texts -------------------------------------------------------

TEST_F(JwtTest, DecodeUnverifiedReturnsPayloadWithoutCheckingAnything) {
  const HmacSha256Key other("unknown");
  const std::string token = Assemble(R"({"alg":"none"})", R"({"iss":"devkey","exp":1})", other);
  const auto payload = DecodeJwtUnverified(token);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(payload->at("iss"), "devkey");
}

TEST_F(JwtTest, DecodeUnverifiedRejectsMalformedTokens) {
  EXPECT_EQ(DecodeJwtUnverified("").error(), JwtError::kMalformed);
  EXPECT_EQ(DecodeJwtUnverified("a.b").error(), JwtError::kMalformed);
  EXPECT_EQ(DecodeJwtUnverified("a.b.c.d").error(), JwtError::kMalformed);
  EXPECT_EQ(DecodeJwtUnverified("e30.!!!.").error(), JwtError::kMalformed);
  EXPECT_EQ(DecodeJwtUnverified(Token("[1]")).error(), JwtError::kMalformed);
}

TEST(JwtErrorText, DescribesEveryError) {
  for (const JwtError e : {JwtError::kMalformed, JwtError::kBadAlgorithm, JwtError::kBadSignature,
                           JwtError::kWrongIssuer, JwtError::kExpired, JwtError::kNotYetValid}) {
    EXPECT_STRNE(JwtErrorText(e), "");
    EXPECT_STRNE(JwtErrorText(e), "unknown token error");
  }
}

}  // namespace
}  // namespace convene::crypto
