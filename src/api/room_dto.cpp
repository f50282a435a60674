#include "api/room_dto.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include <boost/json/string.hpp>

#include "api/json_reader.hpp"
#include "domain/room_names.hpp"
#include "http/query_field.hpp"

namespace convene::api {
namespace {

namespace json = boost::json;

// Value lists in the reference's enum declaration order, which is the order zod prints them in.
const std::vector<std::string_view> kWithMeetingValues{"force", "when_meeting_ends", "fail"};
const std::vector<std::string_view> kWithRecordingsValues{"force", "close", "fail"};
const std::vector<std::string_view> kRecordingAccessValues{"admin", "admin_moderator",
                                                           "admin_moderator_speaker"};
// PUT /status uses z.enum([OPEN, CLOSED]): `active_meeting` is not settable by clients.
const std::vector<std::string_view> kSettableStatusValues{"open", "closed"};

constexpr std::size_t kMaxRoomNameLength = 50;
constexpr std::size_t kMaxRoomIdLength = 100;
constexpr std::size_t kDefaultMaxItems = 10;
constexpr double kMaxMaxItems = 100;
constexpr double kMinMaxParticipants = 1;
constexpr double kMaxMaxParticipants = 1000;

/// String length as JavaScript measures it (UTF-16 code units), because the reference's zod
/// `.max(n)` checks `string.length`: an emoji counts 2, "é" counts 1. Continuation bytes count 0,
/// so stray invalid bytes are undercounted; they are all removed by the sanitisers anyway.
std::size_t Utf16Length(std::string_view s) {
  std::size_t units = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    units += (c >= 0xF0) ? 2 : 1;      // 4-byte sequences are surrogate pairs in UTF-16
  }
  return units;
}

/// JavaScript's Number(string), which z.coerce.number() applies to query values: trims, "" is 0,
/// accepts 0x/0o/0b integers, [+-]Infinity and decimal literals; anything else is NaN.
double JsStringToNumber(std::string_view text) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::string_view s = domain::TrimJsWhitespace(text);
  if (s.empty()) return 0;

  if (s.size() > 2 && s[0] == '0') {
    const char marker = static_cast<char>(s[1] | 0x20);
    const int base = marker == 'x' ? 16 : marker == 'o' ? 8 : marker == 'b' ? 2 : 0;
    if (base != 0) {
      double v = 0;
      for (char c : s.substr(2)) {
        const char lower = static_cast<char>(c | 0x20);
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (lower >= 'a' && lower <= 'f') digit = lower - 'a' + 10;
        if (digit < 0 || digit >= base) return kNaN;
        v = v * base + digit;
      }
      return v;
    }
  }

  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "Infinity") return negative ? -kInf : kInf;

  // StrUnsignedDecimalLiteral: digits [. digits] | . digits, then an optional exponent. Checked
  // by hand because from_chars also accepts "inf"/"nan", which Number() does not.
  std::size_t i = 0;
  std::size_t mantissa_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++mantissa_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return kNaN;
  bool negative_exponent = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative_exponent = s[i++] == '-';
    std::size_t exponent_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exponent_digits;
    if (exponent_digits == 0) return kNaN;
  }
  if (i != s.size()) return kNaN;

  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    v = negative_exponent ? 0.0 : kInf;  // JavaScript rounds to 0 or Infinity instead of failing
  } else if (ec != std::errc() || ptr != s.data() + s.size()) {
    return kNaN;
  }
  return negative ? -v : v;
}

/// What zod sees for a query parameter after Express's `qs` parsing (string, array or object).
http::QueryField Query(const http::QueryParams& query, std::string_view key) {
  return http::LookUpQueryField(query, key);
}

/// z.string() on a query value: "Expected string, received array|object".
std::string ExpectedString(const http::QueryField& v) {
  return "Expected string, received " + std::string(v.TypeName());
}

/// z.coerce.number() on a query value, i.e. JavaScript's Number(value): an array converts
/// through its string form ("5" for ["5"], "1,2" → NaN), an object is NaN.
double CoerceQueryNumber(const http::QueryField& v) {
  if (v.is_string()) return JsStringToNumber(v.str());
  if (v.type == http::QueryField::Type::kArray && v.nested_elements == 0 && v.values.size() == 1) {
    return JsStringToNumber(v.values.front());
  }
  return std::numeric_limits<double>::quiet_NaN();
}

/// `fields` is `z.string().optional()`; the reference then keeps the trimmed comma-separated names
/// only when the string is non-empty.
std::optional<std::vector<std::string>> ReadFields(const http::QueryParams& query,
                                                   std::vector<FieldError>& errors) {
  const http::QueryField v = Query(query, "fields");
  if (v.absent()) return std::nullopt;
  if (!v.is_string()) {
    errors.push_back({"fields", ExpectedString(v)});
    return std::nullopt;
  }
  if (v.str().empty()) return std::nullopt;
  std::vector<std::string> fields;
  std::string_view rest = v.str();
  while (true) {
    const std::size_t comma = rest.find(',');
    fields.emplace_back(domain::TrimJsWhitespace(rest.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return fields;
}

/// A nativeEnum query parameter with a default (withMeeting / withRecordings).
std::optional<std::string_view> ReadQueryEnum(const http::QueryParams& query, std::string_view key,
                                              const std::vector<std::string_view>& allowed,
                                              std::vector<FieldError>& errors) {
  const http::QueryField v = Query(query, key);
  if (v.absent()) return std::nullopt;
  if (!v.is_string()) {
    errors.push_back({std::string(key), "Expected " + JoinEnumValues(allowed) + ", received " +
                                            std::string(v.TypeName())});
    return std::nullopt;
  }
  for (std::string_view a : allowed) {
    if (a == v.str()) return a;
  }
  errors.push_back({std::string(key), InvalidEnumMessage(allowed, v.str())});
  return std::nullopt;
}

DeleteRoomQuery ReadDeletePolicy(const http::QueryParams& query, std::vector<FieldError>& errors) {
  DeleteRoomQuery out;
  if (auto v = ReadQueryEnum(query, "withMeeting", kWithMeetingValues, errors)) {
    out.with_meeting = *domain::ParseWithMeetingPolicy(*v);
  }
  if (auto v = ReadQueryEnum(query, "withRecordings", kWithRecordingsValues, errors)) {
    out.with_recordings = *domain::ParseWithRecordingsPolicy(*v);
  }
  return out;
}

/// MeetRoomConfig at `path`. Issues are recorded in zod's order (schema key order); unknown keys
/// are ignored. Only meaningful when the reader has no new errors afterwards.
domain::RoomConfig ReadRoomConfig(JsonReader& reader, const json::value& config,
                                  const std::string& path) {
  domain::RoomConfig out;
  out.recording_allow_access_to.reset();  // only what the client sent

  const std::string recording_path = Path(path, "recording");
  if (const json::value* recording = reader.Object(config, "recording", recording_path, true)) {
    const std::size_t errors_before = reader.errors().size();
    const auto enabled = reader.Bool(*recording, "enabled", Path(recording_path, "enabled"), true);
    const auto access = reader.NativeEnum(*recording, "allowAccessTo",
                                          Path(recording_path, "allowAccessTo"), false,
                                          kRecordingAccessValues);
    // zod runs an object's .refine() only when its members parsed; type errors abort it.
    if (reader.errors().size() == errors_before && *enabled && !access) {
      reader.AddError(Path(recording_path, "allowAccessTo"),
                      "allowAccessTo is required when recording is enabled");
    }
    if (enabled) out.recording_enabled = *enabled;
    if (access) out.recording_allow_access_to = domain::ParseRecordingAccess(*access);
  }

  const std::string chat_path = Path(path, "chat");
  if (const json::value* chat = reader.Object(config, "chat", chat_path, true)) {
    if (auto enabled = reader.Bool(*chat, "enabled", Path(chat_path, "enabled"), true)) {
      out.chat_enabled = *enabled;
    }
  }

  const std::string background_path = Path(path, "virtualBackground");
  if (const json::value* background =
          reader.Object(config, "virtualBackground", background_path, true)) {
    if (auto enabled = reader.Bool(*background, "enabled", Path(background_path, "enabled"), true)) {
      out.virtual_background_enabled = *enabled;
    }
  }

  // Convene's addition (deviations §4). Absent = unlimited; null is not "absent" for zod either.
  const std::string max_path = Path(path, "maxParticipants");
  if (auto max = reader.Number(config, "maxParticipants", max_path, false)) {
    if (std::floor(*max) != *max || *max < kMinMaxParticipants || *max > kMaxMaxParticipants) {
      reader.AddError(max_path, "maxParticipants must be an integer between 1 and 1000");
    } else {
      out.max_participants = static_cast<std::uint32_t>(*max);
    }
  }
  return out;
}

// --- Page tokens -------------------------------------------------------------------------------

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kPageTokenVersion = 1;
constexpr std::size_t kMaxPageTokenChars = 1024;
constexpr std::string_view kPrefixHashLabel = "convene/rooms/page-token/prefix\n";

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64UrlAlphabet[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kBase64UrlAlphabet[(acc << (6 - bits)) & 0x3F]);
  return out;
}

/// Strict: URL-safe alphabet, no padding, zero trailing bits, so each byte string has exactly
/// one accepted encoding.
std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '-') v = 62;
    if (c == '_') v = 63;
    if (v < 0) return std::nullopt;
    acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::uint64_t Fnv1a64(std::string_view a, std::string_view b = {}) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::string_view part : {a, b}) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

void AppendBigEndian(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint64_t ReadBigEndian(std::string_view in, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

Result<CreateRoomRequest> ParseCreateRoomRequest(const json::value& body, std::int64_t now_ms,
                                                 std::int64_t min_future_ms) {
  JsonReader reader;
  if (!reader.ExpectObject(body, "")) return Fail(reader.ToError());
  CreateRoomRequest out;

  if (auto name = reader.String(body, "roomName", "roomName", false)) {
    if (Utf16Length(*name) > kMaxRoomNameLength) {
      reader.AddError("roomName", "roomName cannot exceed 50 characters");
    } else {
      out.room_name = domain::SanitizeRoomName(*name);
    }
  }

  if (auto date = reader.Number(body, "autoDeletionDate", "autoDeletionDate", false)) {
    // Both checks run: zod still evaluates the .refine() after a failed .positive() (the value is
    // "dirty", not aborted), so a negative date reports two issues, as the reference does.
    if (!(*date > 0)) {
      reader.AddError("autoDeletionDate", "autoDeletionDate must be a positive integer");
    }
    // The reference bakes "1h" into the text at start-up even when the minimum is overridden.
    if (!(*date >= static_cast<double>(now_ms) + static_cast<double>(min_future_ms))) {
      reader.AddError("autoDeletionDate", "autoDeletionDate must be at least 1h in the future");
    }
    // Non-integers are accepted by the reference; stored dates are whole milliseconds. A date
    // beyond what a JavaScript Date can represent (8.64e15 ms) is refused rather than silently
    // changed into another date.
    constexpr double kMaxDate = 8.64e15;
    if (*date > kMaxDate) {
      reader.AddError("autoDeletionDate", "autoDeletionDate must be a valid date");
    } else {
      out.auto_deletion_date = static_cast<std::int64_t>(std::floor(*date));
    }
  }

  if (const json::value* policy =
          reader.Object(body, "autoDeletionPolicy", "autoDeletionPolicy", false)) {
    const std::size_t errors_before = reader.errors().size();
    const auto with_meeting = reader.NativeEnum(*policy, "withMeeting",
                                                "autoDeletionPolicy.withMeeting", true,
                                                kWithMeetingValues);
    const auto with_recordings = reader.NativeEnum(*policy, "withRecordings",
                                                   "autoDeletionPolicy.withRecordings", true,
                                                   kWithRecordingsValues);
    if (reader.errors().size() == errors_before) {
      // Two chained refinements in the reference; both run, so both FAILs are reported.
      if (*with_meeting == "fail") {
        reader.AddError("autoDeletionPolicy.withMeeting",
                        "FAIL policy is not allowed for withMeeting auto-deletion policy");
      }
      if (*with_recordings == "fail") {
        reader.AddError("autoDeletionPolicy.withRecordings",
                        "FAIL policy is not allowed for withRecordings auto-deletion policy");
      }
      out.auto_deletion_policy.with_meeting = *domain::ParseWithMeetingPolicy(*with_meeting);
      out.auto_deletion_policy.with_recordings =
          *domain::ParseWithRecordingsPolicy(*with_recordings);
    }
  }

  if (const json::value* config = reader.Object(body, "config", "config", false)) {
    out.config = ReadRoomConfig(reader, *config, "config");
  }

  if (!reader.ok()) return Fail(reader.ToError());
  return out;
}

Result<domain::RoomConfig> ParseRoomConfigBody(const json::value& body) {
  JsonReader reader;
  if (!reader.ExpectObject(body, "")) return Fail(reader.ToError());
  domain::RoomConfig out;
  if (const json::value* config = reader.Object(body, "config", "config", true)) {
    out = ReadRoomConfig(reader, *config, "config");
  }
  if (!reader.ok()) return Fail(reader.ToError());
  return out;
}

Result<domain::RoomStatus> ParseRoomStatusBody(const json::value& body) {
  JsonReader reader;
  if (!reader.ExpectObject(body, "")) return Fail(reader.ToError());
  const auto status = reader.Enum(body, "status", "status", true, kSettableStatusValues);
  if (!reader.ok()) return Fail(reader.ToError());
  return *domain::ParseRoomStatus(*status);
}

Result<std::string> ParseRoomIdParam(std::string_view raw, std::string_view field) {
  // The messages always say "roomId" (zod's fieldName); only the reported path varies.
  const std::size_t length = Utf16Length(raw);
  if (length < 1) {
    return Fail(Error::Validation(std::string(field), "roomId is required and cannot be empty"));
  }
  if (length > kMaxRoomIdLength) {
    return Fail(Error::Validation(std::string(field), "roomId cannot exceed 100 characters"));
  }
  std::string id = domain::SanitizeRoomId(raw);
  if (id.empty()) {
    return Fail(
        Error::Validation(std::string(field), "roomId cannot be empty after sanitization"));
  }
  return id;
}

Result<ListRoomsQuery> ParseListRoomsQuery(const http::QueryParams& query) {
  std::vector<FieldError> errors;
  ListRoomsQuery out;

  if (const http::QueryField v = Query(query, "maxItems"); !v.absent()) {
    const double n = CoerceQueryNumber(v);
    if (std::isnan(n)) {
      errors.push_back({"maxItems", "Expected number, received nan"});
    } else if (!(n > 0)) {
      errors.push_back({"maxItems", "maxItems must be a positive number"});
    } else {
      // Floored, then capped. As in the reference, 0 < n < 1 floors to 0.
      out.max_items = static_cast<std::size_t>(std::min(std::floor(n), kMaxMaxItems));
    }
  } else {
    out.max_items = kDefaultMaxItems;
  }

  if (const http::QueryField v = Query(query, "nextPageToken"); !v.absent()) {
    if (!v.is_string()) {
      errors.push_back({"nextPageToken", ExpectedString(v)});
    } else if (v.str() != "undefined") {
      // The reference's frontend sends the literal "undefined" for "no token".
      out.next_page_token = std::string(v.str());
    }
  }

  if (const http::QueryField v = Query(query, "roomName"); !v.absent()) {
    if (!v.is_string()) {
      errors.push_back({"roomName", ExpectedString(v)});
    } else {
      out.room_name_prefix = domain::SanitizeRoomName(v.str());
    }
  }

  out.fields = ReadFields(query, errors);

  if (!errors.empty()) return Fail(Error::Validation(std::move(errors)));
  return out;
}

Result<std::optional<std::vector<std::string>>> ParseFieldsQuery(const http::QueryParams& query) {
  std::vector<FieldError> errors;
  auto fields = ReadFields(query, errors);
  if (!errors.empty()) return Fail(Error::Validation(std::move(errors)));
  return fields;
}

Result<DeleteRoomQuery> ParseDeleteRoomQuery(const http::QueryParams& query) {
  std::vector<FieldError> errors;
  DeleteRoomQuery out = ReadDeletePolicy(query, errors);
  if (!errors.empty()) return Fail(Error::Validation(std::move(errors)));
  return out;
}

Result<BulkDeleteRoomsQuery> ParseBulkDeleteRoomsQuery(const http::QueryParams& query) {
  std::vector<FieldError> errors;
  BulkDeleteRoomsQuery out;

  // The reference splits a string on ',' but takes each string element of an array (a repeated
  // parameter, roomIds[]=...) whole, its sanitiser then removing any comma inside it; an object
  // (roomIds[x]=...) holds no id. Elements that are arrays or objects themselves (roomIds[0][x])
  // are left out: the reference would delete a room named after their JavaScript string form.
  const http::QueryField v = Query(query, "roomIds");
  std::vector<std::string_view> candidates;
  if (v.is_string()) {
    std::string_view rest = v.str();
    while (true) {
      const std::size_t comma = rest.find(',');
      candidates.push_back(domain::TrimJsWhitespace(rest.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  } else if (v.type == http::QueryField::Type::kArray) {
    candidates = v.values;
  }
  std::set<std::string> seen;
  for (std::string_view candidate : candidates) {
    std::string id = domain::SanitizeRoomId(candidate);
    if (id.empty() || !seen.insert(id).second) continue;
    out.room_ids.push_back(std::move(id));
  }
  if (out.room_ids.empty()) {
    errors.push_back({"roomIds", "At least one valid roomId is required after sanitization"});
  }

  out.policy = ReadDeletePolicy(query, errors);
  if (!errors.empty()) return Fail(Error::Validation(std::move(errors)));
  return out;
}

json::object FilterFields(const json::object& room,
                          const std::optional<std::vector<std::string>>& fields) {
  if (!fields) return room;
  // The reference builds the result by walking the requested names, so the response follows the
  // order of `fields`, not the room's key order; a repeated name keeps its first position.
  json::object out;
  for (const std::string& name : *fields) {
    if (out.contains(name)) continue;
    if (const json::value* v = room.if_contains(name)) out[name] = *v;
  }
  return out;
}

std::string EncodePageToken(std::string_view last_room_id, std::string_view prefix) {
  // v1 layout: version(1) | FNV-1a-64(label + prefix)(8) | last roomId | FNV-1a-64 of all the
  // preceding bytes, truncated (4). Not a MAC: forging a token only lets a client start a listing
  // at an arbitrary key, which it could do with the roomName filter anyway. The checks exist so
  // that garbage or a token from another filter is rejected instead of silently misused.
  std::string raw;
  raw.push_back(static_cast<char>(kPageTokenVersion));
  AppendBigEndian(raw, Fnv1a64(kPrefixHashLabel, prefix), 8);
  raw.append(last_room_id);
  AppendBigEndian(raw, Fnv1a64(raw) >> 32, 4);
  return Base64UrlEncode(raw);
}

std::optional<std::string> DecodePageToken(std::string_view token, std::string_view prefix) {
  if (token.empty() || token.size() > kMaxPageTokenChars) return std::nullopt;
  const auto raw = Base64UrlDecode(token);
  constexpr std::size_t kHeader = 1 + 8;
  constexpr std::size_t kTrailer = 4;
  if (!raw || raw->size() <= kHeader + kTrailer) return std::nullopt;  // needs a non-empty id
  const std::string_view bytes(*raw);
  const std::string_view signed_part = bytes.substr(0, bytes.size() - kTrailer);
  if (ReadBigEndian(bytes.substr(signed_part.size()), 4) != (Fnv1a64(signed_part) >> 32)) {
    return std::nullopt;
  }
  if (static_cast<std::uint8_t>(bytes[0]) != kPageTokenVersion) return std::nullopt;
  if (ReadBigEndian(bytes.substr(1), 8) != Fnv1a64(kPrefixHashLabel, prefix)) return std::nullopt;
  std::string last_room_id(signed_part.substr(kHeader));
  // Every id on a filtered page starts with the filter, so anything else cannot be ours.
  if (!std::string_view(last_room_id).starts_with(prefix)) return std::nullopt;
  return last_room_id;
}

}  // namespace convene::api
