#include "crypto/base64.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace convene::crypto {
namespace {

constexpr std::string_view kStandardAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Decode table entry for a byte that belongs to neither alphabet.
constexpr std::uint8_t kInvalid = 0xff;

// Both alphabets share the first 62 symbols, so one table maps all 64+2 symbols to their 6-bit
// value; which alphabet the text uses is tracked separately from the characters 62 and 63.
constexpr std::array<std::uint8_t, 256> kDecodeTable = [] {
  std::array<std::uint8_t, 256> table{};
  table.fill(kInvalid);
  for (std::size_t i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kStandardAlphabet[i])] = static_cast<std::uint8_t>(i);
    table[static_cast<unsigned char>(kUrlAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}();

std::string Encode(std::string_view data, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out.push_back(alphabet[(n >> 18) & 0x3f]);
    out.push_back(alphabet[(n >> 12) & 0x3f]);
    out.push_back(alphabet[(n >> 6) & 0x3f]);
    out.push_back(alphabet[n & 0x3f]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t n = std::uint32_t{in[i]} << 16;
    out.push_back(alphabet[(n >> 18) & 0x3f]);
    out.push_back(alphabet[(n >> 12) & 0x3f]);
    if (pad) {
      out.append("==");
    }
  } else if (rest == 2) {
    const std::uint32_t n = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
    out.push_back(alphabet[(n >> 18) & 0x3f]);
    out.push_back(alphabet[(n >> 12) & 0x3f]);
    out.push_back(alphabet[(n >> 6) & 0x3f]);
    if (pad) {
      out.push_back('=');
    }
  }
  return out;
}

enum class DecodeMode {
  kLenient,    // either alphabet (not mixed), padding optional
  kStrictUrl,  // URL-safe alphabet, no padding
};

std::optional<std::string> Decode(std::string_view text, DecodeMode mode) {
  std::size_t padding = 0;
  while (padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  if (padding > 0) {
    // Padding, when present, must complete the last quantum exactly (RFC 4648 §4).
    if (mode == DecodeMode::kStrictUrl || padding > 2 || text.size() % 4 != 0) {
      return std::nullopt;
    }
    text.remove_suffix(padding);
  }
  // One leftover symbol carries only 6 bits, less than a byte: no encoder produces it.
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }

  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  bool saw_standard = false;
  bool saw_url = false;
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (const char c : text) {
    const std::uint8_t v = kDecodeTable[static_cast<unsigned char>(c)];
    if (v == kInvalid) {
      return std::nullopt;
    }
    saw_standard |= (c == '+' || c == '/');
    saw_url |= (c == '-' || c == '_');
    bits = (bits << 6) | v;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
  }
  if (saw_standard && (saw_url || mode == DecodeMode::kStrictUrl)) {
    return std::nullopt;
  }
  // RFC 4648 §3.5: the bits left over after the last byte must be zero. Rejecting anything else
  // gives every byte string a single encoding, so a JWT signature cannot be re-spelled.
  if ((bits & ((1u << bit_count) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view data) { return Encode(data, kStandardAlphabet, true); }

std::string Base64UrlEncode(std::string_view data) { return Encode(data, kUrlAlphabet, false); }

std::optional<std::string> Base64Decode(std::string_view text) {
  return Decode(text, DecodeMode::kLenient);
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  return Decode(text, DecodeMode::kStrictUrl);
}

}  // namespace convene::crypto
