#include "tokens/participant_token.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/jwt.hpp"
#include "domain/role_permissions.hpp"

namespace convene::tokens {

namespace json = boost::json;
using domain::ParticipantRole;

std::string MetadataJson(std::string_view livekit_url, const std::vector<ParticipantRole>& roles,
                         ParticipantRole selected) {
  json::array role_list;
  for (ParticipantRole role : roles) {
    role_list.push_back(json::object{{"role", domain::ToString(role)},
                                     {"permissions", domain::MeetPermissionsJson(domain::PermissionsFor(role))}});
  }
  return json::serialize(json::object{{"livekitUrl", livekit_url},
                                      {"roles", std::move(role_list)},
                                      {"selectedRole", domain::ToString(selected)}});
}

ParticipantTokenCodec::ParticipantTokenCodec(std::string api_key, std::string_view api_secret,
                                             std::string livekit_url, std::int64_t ttl_seconds,
                                             const Clock& clock)
    : api_key_(std::move(api_key)), key_(api_secret), livekit_url_(std::move(livekit_url)),
      ttl_seconds_(ttl_seconds), clock_(clock) {}

std::string ParticipantTokenCodec::Mint(const ParticipantClaims& claims) const {
  // Key order as livekit-server-sdk writes it; order is not significant to verifiers.
  json::object payload;
  payload["metadata"] = MetadataJson(livekit_url_, claims.roles, claims.selected_role);
  if (claims.name) payload["name"] = *claims.name;
  payload["video"] = domain::LiveKitGrantJson(claims.room_id, claims.room_join);
  payload["iss"] = api_key_;
  payload["exp"] = clock_.NowSeconds() + ttl_seconds_;
  payload["nbf"] = 0;
  if (claims.identity) payload["sub"] = *claims.identity;
  return crypto::SignJwtHs256(key_, payload);
}

namespace {

const json::string* StringAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_string() : nullptr;
}

// MeetTokenMetadata (reference §10.4): livekitUrl string, roles [{role, permissions}], selectedRole.
bool ParseMetadata(std::string_view text, ParticipantClaims& out) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const json::object& o = v.get_object();
  if (StringAt(o, "livekitUrl") == nullptr) return false;
  const json::string* selected = StringAt(o, "selectedRole");
  if (selected == nullptr) return false;
  auto selected_role = domain::ParseParticipantRole(*selected);
  if (!selected_role) return false;
  const json::value* roles = o.if_contains("roles");
  if (roles == nullptr || !roles->is_array()) return false;
  for (const json::value& entry : roles->get_array()) {
    if (!entry.is_object()) return false;
    const json::string* name = StringAt(entry.get_object(), "role");
    auto role = name != nullptr ? domain::ParseParticipantRole(*name) : std::nullopt;
    if (!role) return false;
    out.roles.push_back(*role);
  }
  out.selected_role = *selected_role;
  return true;
}

}  // namespace

std::optional<ParticipantClaims> ParticipantTokenCodec::Verify(std::string_view token, Expiry expiry,
                                                               std::int64_t grace_seconds) const {
  auto checked = Check(token, expiry, grace_seconds);
  if (!checked) return std::nullopt;
  return std::move(*checked);
}

tl::expected<ParticipantClaims, ParticipantTokenCodec::Problem> ParticipantTokenCodec::Check(
    std::string_view token, Expiry expiry, std::int64_t grace_seconds) const {
  const auto invalid = tl::unexpected(Problem::kInvalid);
  crypto::JwtVerifyOptions options;
  options.issuer = api_key_;
  options.now_seconds = clock_.NowSeconds();
  options.require_exp = true;
  if (expiry == Expiry::kAllowExpired) {
    // Checked below with the grace instead; the library applies leeway to nbf as well, which we
    // do not want, so verify exp by hand.
    options.now_seconds = 0;
  }
  auto payload = crypto::VerifyJwtHs256(key_, token, options);
  if (!payload) return invalid;
  ParticipantClaims claims;
  const json::value* exp = payload->if_contains("exp");
  if (exp == nullptr || !exp->is_number()) return invalid;
  claims.expires_at = exp->is_int64() ? exp->get_int64()
                      : exp->is_uint64() ? static_cast<std::int64_t>(exp->get_uint64())
                                         : static_cast<std::int64_t>(exp->get_double());
  if (expiry == Expiry::kAllowExpired) {
    const std::int64_t now = clock_.NowSeconds();
    if (const json::value* nbf = payload->if_contains("nbf"); nbf != nullptr && nbf->is_int64() &&
                                                              nbf->get_int64() > now) {
      return invalid;
    }
    if (claims.expires_at + grace_seconds <= now) return invalid;
  }
  const json::value* video = payload->if_contains("video");
  if (video == nullptr || !video->is_object()) return tl::unexpected(Problem::kBadMetadata);
  const json::string* room = StringAt(video->get_object(), "room");
  if (room == nullptr) return tl::unexpected(Problem::kBadMetadata);
  claims.room_id = std::string(*room);
  if (const json::value* join = video->get_object().if_contains("roomJoin"); join && join->is_bool()) {
    claims.room_join = join->get_bool();
  }
  if (const json::string* sub = StringAt(*payload, "sub")) claims.identity = std::string(*sub);
  if (const json::string* name = StringAt(*payload, "name")) claims.name = std::string(*name);
  const json::string* metadata = StringAt(*payload, "metadata");
  if (metadata == nullptr || !ParseMetadata(*metadata, claims)) return tl::unexpected(Problem::kBadMetadata);
  return claims;
}

}  // namespace convene::tokens
