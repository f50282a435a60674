#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace convene::store {

/// Helpers of the SQL stores' keyset pagination (RoomStore::ListRooms).

/// LIMIT value that fetches one row more than `limit` (to detect truncation) without overflow.
std::int64_t LimitPlusOne(std::size_t limit);

/// The smallest string greater than every string that starts with `prefix`, or nullopt when
/// there is none (empty prefix, or only 0xFF bytes). Trailing 0xFF bytes cannot be incremented,
/// so they are dropped first: "a\xFF" -> "b". With it a prefix search is a key range, with no
/// LIKE pattern to escape.
std::optional<std::string> PrefixUpperBound(std::string_view prefix);

}  // namespace convene::store
