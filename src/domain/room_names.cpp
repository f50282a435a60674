#include "domain/room_names.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <utility>

namespace convene::domain {
namespace {

// The reference runs its sanitisers on JavaScript strings with the regex class `\s`, which is the
// ECMAScript WhiteSpace + LineTerminator set, Unicode included. We keep that full set rather than
// the ASCII subset so that, e.g., a no-break space between two words still becomes one space in
// the room name instead of gluing the words together. The non-ASCII members are matched as their
// exact UTF-8 byte sequences: their lead bytes can never be continuation bytes, so on valid UTF-8
// a match always starts on a code-point boundary.
constexpr std::array<std::string_view, 18> kUnicodeWhitespace{{
    "\xC2\xA0",                                      // U+00A0 no-break space
    "\xE1\x9A\x80",                                  // U+1680 ogham space mark
    "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82",  // U+2000..U+200A
    "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87",
    "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A",
    "\xE2\x80\xA8",  // U+2028 line separator
    "\xE2\x80\xA9",  // U+2029 paragraph separator
    "\xE2\x80\xAF",  // U+202F narrow no-break space
    "\xE2\x81\x9F",  // U+205F medium mathematical space
    "\xE3\x80\x80",  // U+3000 ideographic space
}};
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";  // U+FEFF counts as WhiteSpace too

/// Byte length of the JS whitespace code point starting at `text[pos]`, or 0 if there is none.
std::size_t WhitespaceAt(std::string_view text, std::size_t pos) {
  const char c = text[pos];
  if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') return 1;
  const std::string_view rest = text.substr(pos);
  if (rest.starts_with(kByteOrderMark)) return kByteOrderMark.size();
  for (std::string_view ws : kUnicodeWhitespace) {
    if (rest.starts_with(ws)) return ws.size();
  }
  return 0;
}

/// Byte length of the JS whitespace code point that ends just before `text[end]`, or 0.
std::size_t WhitespaceBefore(std::string_view text, std::size_t end) {
  const std::string_view head = text.substr(0, end);
  for (std::size_t len = 1; len <= 3 && len <= end; ++len) {
    if (WhitespaceAt(head, end - len) == len) return len;
  }
  return 0;
}

bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

void StripTrailing(std::string& s, char c) {
  while (!s.empty() && s.back() == c) s.pop_back();
}

void StripLeading(std::string& s, char c) {
  std::size_t n = 0;
  while (n < s.size() && s[n] == c) ++n;
  s.erase(0, n);
}

std::string RemoveSpaces(std::string s) {
  std::erase(s, ' ');
  return s;
}

}  // namespace

std::string_view TrimJsWhitespace(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t len = WhitespaceAt(text, begin);
    if (len == 0) break;
    begin += len;
  }
  std::size_t end = text.size();
  while (end > begin) {
    const std::size_t len = WhitespaceBefore(text, end);
    if (len == 0) break;
    end -= len;
  }
  return text.substr(begin, end - begin);
}

std::string SanitizeRoomName(std::string_view name) {
  const std::string_view trimmed = TrimJsWhitespace(name);

  // Steps 2-5 in one pass: keep [A-Za-z0-9_-], turn every whitespace code point into a space, drop
  // everything else (byte by byte, so invalid UTF-8 is dropped too), and never emit a second
  // consecutive ' ', '-' or '_'. Collapsing the three runs separately is equivalent to the
  // reference's three sequential replaces because the runs consist of identical characters.
  std::string out;
  out.reserve(trimmed.size());
  auto append = [&out](char c) {
    const bool collapses = c == ' ' || c == '-' || c == '_';
    if (collapses && !out.empty() && out.back() == c) return;
    out.push_back(c);
  };
  for (std::size_t i = 0; i < trimmed.size();) {
    if (IsNameCharacter(trimmed[i])) {
      append(trimmed[i]);
      ++i;
    } else if (const std::size_t ws = WhitespaceAt(trimmed, i); ws > 0) {
      append(' ');
      i += ws;
    } else {
      ++i;
    }
  }

  // Steps 6-7, in the reference's order. There is deliberately no second trim: "Room !" keeps its
  // trailing space (reference §6.1).
  StripTrailing(out, '-');
  StripTrailing(out, '_');
  StripLeading(out, '-');
  StripLeading(out, '_');
  return out;
}

std::string SanitizeRoomId(std::string_view id) {
  // After SanitizeRoomName every whitespace run is a single ASCII space.
  return RemoveSpaces(SanitizeRoomName(id));
}

std::string GenerateRoomId(std::string_view sanitized_room_name, Random& random) {
  // One pass of SanitizeRoomId is not always a fixed point ("a_ _b" -> "a__b" -> "a_b"), and the
  // path-parameter sanitiser runs on every later request. Iterating until stable makes every
  // generated id (with a non-empty prefix) reachable through GET /rooms/{roomId}. Each pass that
  // changes the string shortens it, so the loop terminates.
  std::string prefix = SanitizeRoomId(sanitized_room_name);
  for (std::string next = SanitizeRoomId(prefix); next != prefix; next = SanitizeRoomId(prefix)) {
    prefix = std::move(next);
  }
  // A name that sanitises to nothing would give "-<hex>", which the path sanitiser turns into
  // "<hex>" and so could never be found again (a reference quirk); such rooms get "room-<hex>".
  if (prefix.empty()) prefix = "room";
  return prefix + "-" + random.Hex(15);
}

std::string GenerateRoomSecret(Random& random) { return random.Hex(10); }

}  // namespace convene::domain
