#include "auth/user_tokens.hpp"

#include <limits>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/jwt.hpp"

namespace convene::auth {

namespace json = boost::json;

namespace {

// Fixed derivation label; changing it invalidates every issued user token.
constexpr std::string_view kKeyLabel = "convene/user-token/v1";

std::optional<std::vector<std::string>> ParseRoles(std::string_view metadata) {
  boost::system::error_code ec;
  json::value v = json::parse(metadata, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::value* roles = v.get_object().if_contains("roles");
  if (roles == nullptr || !roles->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const json::value& role : roles->get_array()) {
    if (!role.is_string()) return std::nullopt;
    out.emplace_back(role.get_string());
  }
  return out;
}

}  // namespace

std::string_view ToString(UserTokenType type) {
  return type == UserTokenType::kAccess ? "access" : "refresh";
}

std::string UserTokenKey(std::string_view auth_secret, std::string_view livekit_api_secret) {
  if (!auth_secret.empty()) return std::string(auth_secret);
  const crypto::HmacSha256Key master(livekit_api_secret);
  const crypto::Sha256Digest derived = master.Sign(kKeyLabel);
  return std::string(reinterpret_cast<const char*>(derived.data()), derived.size());
}

UserTokenCodec::UserTokenCodec(std::string issuer, std::string_view key, const Clock& clock,
                               UserTokenOptions options)
    : issuer_(std::move(issuer)), key_(key), clock_(clock), options_(options) {}

std::string UserTokenCodec::Mint(UserTokenType type, std::string_view username,
                                 const std::vector<std::string>& roles) const {
  json::array role_list;
  for (const auto& role : roles) role_list.emplace_back(role);
  // Same claims and order as livekit-server-sdk's AccessToken writes for the reference, plus `typ`.
  json::object payload;
  payload["metadata"] = json::serialize(json::object{{"roles", std::move(role_list)}});
  payload[kTokenTypeClaim] = ToString(type);
  payload["iss"] = issuer_;
  payload["exp"] = clock_.NowSeconds() + ttl_seconds(type);
  payload["nbf"] = 0;
  payload["sub"] = username;
  return crypto::SignJwtHs256(key_, payload);
}

std::optional<UserTokenClaims> UserTokenCodec::Verify(std::string_view token,
                                                      UserTokenType expected) const {
  crypto::JwtVerifyOptions options;
  options.issuer = issuer_;
  options.now_seconds = clock_.NowSeconds();
  options.leeway_seconds = 0;  // zero clock tolerance, as the reference
  options.require_exp = true;
  auto payload = crypto::VerifyJwtHs256(key_, token, options);
  if (!payload) return std::nullopt;

  const json::value* typ = payload->if_contains(kTokenTypeClaim);
  if (typ == nullptr || !typ->is_string() || typ->get_string() != ToString(expected))
    return std::nullopt;
  const json::value* sub = payload->if_contains("sub");
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty()) return std::nullopt;
  const json::value* metadata = payload->if_contains("metadata");
  if (metadata == nullptr || !metadata->is_string()) return std::nullopt;
  auto roles = ParseRoles(metadata->get_string());
  if (!roles) return std::nullopt;
  const json::value* exp = payload->if_contains("exp");

  UserTokenClaims claims;
  claims.type = expected;
  claims.username = std::string(sub->get_string());
  claims.roles = std::move(*roles);
  // The verifier already required an integral `exp` in the future; only int64 is realistic.
  claims.expires_at = exp->is_int64() ? exp->get_int64() : std::numeric_limits<std::int64_t>::max();
  return claims;
}

}  // namespace convene::auth
