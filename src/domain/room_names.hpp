#pragma once

#include <string>
#include <string_view>

#include "core/random.hpp"

namespace convene::domain {

/// Reference §6.1: trim; drop characters outside [A-Za-z0-9_-] and whitespace; collapse
/// whitespace runs, '-' runs and '_' runs; strip trailing then leading '-' and '_'.
std::string SanitizeRoomName(std::string_view name);

/// Reference §6.2: SanitizeRoomName, then remove all whitespace.
std::string SanitizeRoomId(std::string_view id);

/// Reference §6.3 with a CSPRNG suffix: SanitizeRoomId(name) + "-" + 15 lowercase hex characters.
std::string GenerateRoomId(std::string_view sanitized_room_name, Random& random);

/// 10 lowercase hex characters (reference §6.4).
std::string GenerateRoomSecret(Random& random);

/// JavaScript's String.prototype.trim on UTF-8 text: strips the ECMAScript WhiteSpace and
/// LineTerminator code points (the set `\s` matches) from both ends. Shared by the sanitisers and
/// by the request parsers that mirror the reference's `.trim()` calls.
std::string_view TrimJsWhitespace(std::string_view text);

}  // namespace convene::domain
