#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace convene::redis {

/// One decoded RESP2 reply.
struct Reply {
  enum class Type { kString, kStatus, kError, kInteger, kNil, kArray };
  Type type = Type::kNil;
  std::string str;            // kString (bulk), kStatus ("OK"), kError ("ERR ...")
  std::int64_t integer = 0;   // kInteger
  std::vector<Reply> elements;  // kArray

  bool IsError() const { return type == Type::kError; }
  bool IsNil() const { return type == Type::kNil; }
  /// The text of a bulk or status reply; nullopt for any other type.
  std::optional<std::string_view> Text() const;
  /// The value of an integer reply, or of a bulk reply holding a decimal integer.
  std::optional<std::int64_t> Integer() const;
  bool operator==(const Reply&) const = default;
};

}  // namespace convene::redis
