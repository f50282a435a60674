#pragma once

#include <optional>
#include <string_view>

namespace convene::domain {

/// Why a requested display name is refused (deviations §3.1): characters that make a name render
/// differently from what it is, or break the lines and logs it is shown in.
enum class NameFlaw {
  kInvalidUtf8,        // not UTF-8 (the JSON parser already refuses such bodies; kept for other callers)
  kControlCharacter,   // C0 (U+0000–U+001F, NUL, tab, CR, LF included), DEL, C1 (U+0080–U+009F),
                       // and the line/paragraph separators U+2028/U+2029, which break lines as CR/LF do
  kBidiControl,        // the bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069:
                       // they reorder the text after them ("Alice\u202Eevil" displays reversed)
};

/// The first flaw of `name`, or nullopt when it may be used. Accepted on purpose: the
/// left-to-right/right-to-left/Arabic letter marks (U+200E, U+200F, U+061C), which right-to-left
/// names need and which only decide the direction of neutral characters next to them, and other
/// invisible characters (zero-width space, joiners); NameKey ignores all of them, so they can
/// never make a twin of another name.
std::optional<NameFlaw> FindNameFlaw(std::string_view name);

}  // namespace convene::domain
