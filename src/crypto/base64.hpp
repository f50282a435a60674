#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace convene::crypto {

/// Standard alphabet with padding (what LiveKit uses for the webhook `sha256` claim and bytes).
std::string Base64Encode(std::string_view data);
/// URL-safe alphabet without padding (JWT segments).
std::string Base64UrlEncode(std::string_view data);
/// Accepts standard or URL-safe alphabets, with or without padding; nullopt on any invalid input.
std::optional<std::string> Base64Decode(std::string_view text);
/// Strict inverse of Base64UrlEncode (JWT segments): URL-safe alphabet only, no padding, and
/// unused trailing bits must be zero, so each byte string has exactly one accepted encoding.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace convene::crypto
