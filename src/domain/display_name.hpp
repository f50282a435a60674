#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convene::domain {

/// Longest display name Convene accepts (deviations §3.1; LiveKit's own limit is 256 too).
inline constexpr std::size_t kMaxDisplayNameBytes = 256;

/// Splits "<base>_<N>" (N ≥ 1, decimal, no sign) into base and N; nullopt for names without such a
/// suffix. The split is at the last '_', so "bob_1_2" is ("bob_1", 2).
struct SuffixedName {
  std::string_view base;
  std::uint32_t number = 0;
};
std::optional<SuffixedName> SplitSuffix(std::string_view name);

/// "<name>_<n>"
std::string WithSuffix(std::string_view name, std::uint32_t n);

/// Suffix numbers by digit count: 1–9, 10–99, …, 1 000 000 000 – 4 294 967 295. All numbers with
/// as many digits shorten a long base the same way (FitForSuffix), so a long name's candidates
/// change stem only where the digit count changes.
inline constexpr int kMaxSuffixDigits = 10;
int SuffixDigits(std::uint32_t n);
std::uint32_t LowestSuffix(int digits);   // 1, 10, 100, …
std::uint32_t HighestSuffix(int digits);  // 9, 99, 999, …, 4 294 967 295

/// The base of a `<base>_<N>` candidate whose N has `digits` digits: `base` itself when the
/// candidate fits in kMaxDisplayNameBytes, otherwise `base` cut short (at a UTF-8 character
/// boundary) to make room. LiveKit refuses identities over 256 bytes.
std::string_view FitForSuffix(std::string_view base, int digits);

/// True when some suffix would shorten `name` (FitForSuffix differs from it for some digit count).
bool SuffixMayShorten(std::string_view name);

}  // namespace convene::domain
