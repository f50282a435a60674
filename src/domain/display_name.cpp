#include "domain/display_name.hpp"

#include <array>
#include <charconv>

namespace convene::domain {

namespace {

constexpr std::array<std::uint32_t, kMaxSuffixDigits> kLowest{
    1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000};

}  // namespace

std::optional<SuffixedName> SplitSuffix(std::string_view name) {
  const auto underscore = name.rfind('_');
  if (underscore == std::string_view::npos || underscore == 0 || underscore + 1 == name.size()) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(underscore + 1);
  // Only canonical numbers: "_007" is a different name from "_7", so it is not suffix 7.
  if (digits.front() == '0') return std::nullopt;
  std::uint32_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || n == 0) return std::nullopt;
  return SuffixedName{name.substr(0, underscore), n};
}

// On every allocation, twice (the candidate and its key): std::to_chars rather than fmt::format,
// whose format-string parsing cost more than the rest of the allocation.
std::string WithSuffix(std::string_view name, std::uint32_t n) {
  char digits[kMaxSuffixDigits];
  char* end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  std::string out;
  out.reserve(name.size() + 1 + static_cast<std::size_t>(end - digits));
  out.append(name);
  out.push_back('_');
  out.append(digits, end);
  return out;
}

int SuffixDigits(std::uint32_t n) {
  int digits = 1;
  while (digits < kMaxSuffixDigits && n >= kLowest[digits]) ++digits;
  return digits;
}

std::uint32_t LowestSuffix(int digits) { return kLowest.at(digits - 1); }

std::uint32_t HighestSuffix(int digits) {
  return digits == kMaxSuffixDigits ? UINT32_MAX : kLowest.at(digits) - 1;
}

std::string_view FitForSuffix(std::string_view base, int digits) {
  const std::size_t suffix = 1 + static_cast<std::size_t>(digits);
  if (base.size() + suffix <= kMaxDisplayNameBytes) return base;
  std::size_t keep = kMaxDisplayNameBytes - suffix;
  while (keep > 0 && (static_cast<unsigned char>(base[keep]) & 0xC0) == 0x80) --keep;
  return base.substr(0, keep);
}

bool SuffixMayShorten(std::string_view name) {
  return name.size() + 1 + kMaxSuffixDigits > kMaxDisplayNameBytes;
}

}  // namespace convene::domain
