#include "domain/display_name.hpp"

#include <charconv>

#include <fmt/format.h>

namespace convene::domain {

std::string FoldName(std::string_view name) {
  std::string folded(name);
  for (char& c : folded) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return folded;
}

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

std::string WithSuffix(std::string_view name, std::uint32_t n) { return fmt::format("{}_{}", name, n); }

}  // namespace convene::domain
