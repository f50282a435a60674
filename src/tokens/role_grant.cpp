#include "tokens/role_grant.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/base64.hpp"

namespace convene::tokens {

namespace json = boost::json;

namespace {

constexpr std::string_view kPrefix = "rg1.";

std::string DeriveKey(std::string_view secret) {
  const crypto::HmacSha256Key master(secret);
  const crypto::Sha256Digest derived = master.Sign("convene/role-grant/v1");
  return std::string(reinterpret_cast<const char*>(derived.data()), derived.size());
}

std::string SignatureOf(const crypto::HmacSha256Key& key, std::string_view signed_part) {
  const crypto::Sha256Digest mac = key.Sign(signed_part);
  return crypto::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

}  // namespace

RoleGrantCodec::RoleGrantCodec(std::string_view secret, std::int64_t ttl_seconds, const Clock& clock)
    : key_(DeriveKey(secret)), ttl_seconds_(ttl_seconds), clock_(clock) {}

bool RoleGrantCodec::LooksLikeGrant(std::string_view text) { return text.substr(0, kPrefix.size()) == kPrefix; }

std::string RoleGrantCodec::Issue(std::string_view room_id, std::string_view identity,
                                  domain::ParticipantRole role, std::uint32_t version) const {
  const json::object payload{{"r", room_id},
                             {"i", identity},
                             {"o", domain::ToString(role)},
                             {"v", version},
                             {"e", clock_.NowSeconds() + ttl_seconds_}};
  std::string signed_part = std::string(kPrefix) + crypto::Base64UrlEncode(json::serialize(payload));
  return signed_part + "." + SignatureOf(key_, signed_part);
}

std::optional<RoleGrant> RoleGrantCodec::Verify(std::string_view text, Expiry expiry) const {
  if (!LooksLikeGrant(text) || text.size() > 2048) return std::nullopt;
  const auto dot = text.rfind('.');
  if (dot <= kPrefix.size()) return std::nullopt;
  const std::string_view signed_part = text.substr(0, dot);
  if (!crypto::ConstantTimeEquals(SignatureOf(key_, signed_part), text.substr(dot + 1))) return std::nullopt;
  auto decoded = crypto::Base64UrlDecode(signed_part.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(*decoded, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  const json::value* room = o.if_contains("r");
  const json::value* identity = o.if_contains("i");
  const json::value* role = o.if_contains("o");
  const json::value* version = o.if_contains("v");
  const json::value* exp = o.if_contains("e");
  if (!room || !room->is_string() || !identity || !identity->is_string() || !role || !role->is_string() ||
      !version || !exp || !exp->is_int64()) {
    return std::nullopt;
  }
  const auto parsed_version = version->if_int64() ? std::optional<std::int64_t>(*version->if_int64())
                              : version->if_uint64() ? std::optional<std::int64_t>(static_cast<std::int64_t>(*version->if_uint64()))
                                                     : std::nullopt;
  if (!parsed_version || *parsed_version < 0 || *parsed_version > 0xFFFFFFFFLL) return std::nullopt;
  auto parsed_role = domain::ParseParticipantRole(role->get_string());
  if (!parsed_role) return std::nullopt;
  if (expiry == Expiry::kMustBeValid && exp->get_int64() < clock_.NowSeconds()) return std::nullopt;
  return RoleGrant{std::string(room->get_string()), std::string(identity->get_string()), *parsed_role,
                   static_cast<std::uint32_t>(*parsed_version), exp->get_int64()};
}

}  // namespace convene::tokens
