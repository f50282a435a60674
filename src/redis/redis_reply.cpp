#include "redis/redis_reply.hpp"

#include <charconv>

namespace convene::redis {

std::optional<std::string_view> Reply::Text() const {
  if (type == Type::kString || type == Type::kStatus) {
    return std::string_view(str);
  }
  return std::nullopt;
}

std::optional<std::int64_t> Reply::Integer() const {
  if (type == Type::kInteger) {
    return integer;
  }
  if (type != Type::kString || str.empty()) {
    return std::nullopt;
  }
  std::int64_t value = 0;
  const char* end = str.data() + str.size();
  auto [ptr, ec] = std::from_chars(str.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

}  // namespace convene::redis
