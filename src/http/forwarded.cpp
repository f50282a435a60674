#include "http/forwarded.hpp"

#include <algorithm>
#include <vector>

namespace convene::http {
namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string ForwardedValue(const Request& request, std::string_view lower_name,
                           unsigned trusted_hops) {
  if (trusted_hops == 0) return {};
  std::vector<std::string_view> entries;
  for (const auto& [name, value] : request.headers) {
    if (name != lower_name) continue;
    std::string_view rest = value;
    while (true) {
      const auto comma = rest.find(',');
      entries.push_back(TrimSpaces(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (entries.empty()) return {};
  const std::size_t from_right = std::min<std::size_t>(trusted_hops, entries.size());
  return std::string(entries[entries.size() - from_right]);
}

}  // namespace convene::http
