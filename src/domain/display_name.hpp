#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convene::domain {

/// Longest display name Convene accepts (deviations §3.1; LiveKit's own limit is 256 too).
inline constexpr std::size_t kMaxDisplayNameBytes = 256;

/// Case-insensitive key of a display name: ASCII letters folded to lower case, every other byte
/// kept as is (deviations §3.1). "Alice" and "ALICE" collide; "Ä" and "ä" do not.
std::string FoldName(std::string_view name);

/// Splits "<base>_<N>" (N ≥ 1, decimal, no sign) into base and N; nullopt for names without such a
/// suffix. The split is at the last '_', so "bob_1_2" is ("bob_1", 2).
struct SuffixedName {
  std::string_view base;
  std::uint32_t number = 0;
};
std::optional<SuffixedName> SplitSuffix(std::string_view name);

/// "<name>_<n>"
std::string WithSuffix(std::string_view name, std::uint32_t n);

}  // namespace convene::domain
