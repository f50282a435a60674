#include "api/config_dto.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include <boost/json/array.hpp>

#include "api/json_reader.hpp"

namespace convene::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kUrlInvalid = "Must be a valid URL";
constexpr std::string_view kUrlScheme = "URL must start with http:// or https://";
constexpr std::string_view kHexColourMessage =
    "Must be a valid hex color code (with or without alpha)";

bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsAsciiDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (IsAsciiDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// WHATWG "IPv4 number parser": decimal, 0x hex or leading-0 octal. nullopt when not a number.
std::optional<std::uint64_t> ParseIpv4Number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    radix = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return 0;
  std::uint64_t value = 0;
  for (char c : s) {
    int digit = -1;
    if (radix == 16 && IsHexDigit(c)) digit = HexValue(c);
    if (radix == 10 && IsAsciiDigit(c)) digit = c - '0';
    if (radix == 8 && c >= '0' && c <= '7') digit = c - '0';
    if (digit < 0) return std::nullopt;
    value = value * static_cast<std::uint64_t>(radix) + static_cast<std::uint64_t>(digit);
    if (value > (1ull << 40)) value = 1ull << 40;  // saturate: anything this big is invalid anyway
  }
  return value;
}

// WHATWG "ends in a number" + IPv4 parser: a host whose last label is numeric must be a valid
// IPv4 address; otherwise it is a domain and always fine here.
bool HostIsAcceptable(std::string_view host) {
  std::vector<std::string_view> labels;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = host.find('.', start);
    labels.push_back(
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels.size() > 1 && labels.back().empty()) labels.pop_back();
  const std::string_view last = labels.back();
  const bool last_all_digits = !last.empty() && std::all_of(last.begin(), last.end(),
                                                            [](char c) { return IsAsciiDigit(c); });
  if (!last_all_digits && !ParseIpv4Number(last)) return true;  // a domain
  if (labels.size() > 4) return false;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    auto n = ParseIpv4Number(labels[i]);
    if (!n) return false;
    if (i + 1 < labels.size() && *n > 255) return false;
    if (i + 1 == labels.size() && *n >= (1ull << (8 * (5 - labels.size())))) return false;
  }
  return true;
}

bool IsForbiddenDomainByte(unsigned char c) {
  if (c <= 0x20 || c == 0x7f) return true;
  switch (c) {
    case '#':
    case '%':
    case '/':
    case ':':
    case '<':
    case '>':
    case '?':
    case '@':
    case '[':
    case '\\':
    case ']':
    case '^':
    case '|':
      return true;
    default:
      return false;
  }
}

bool IsIpv6Literal(std::string_view inside) {
  if (inside.find(':') == std::string_view::npos) return false;
  return std::all_of(inside.begin(), inside.end(),
                     [](char c) { return IsHexDigit(c) || c == ':' || c == '.'; });
}

bool IsHexColour(std::string_view s) {
  if (s.empty() || s[0] != '#') return false;
  const std::size_t digits = s.size() - 1;
  if (digits != 3 && digits != 4 && digits != 6 && digits != 8) return false;
  return std::all_of(s.begin() + 1, s.end(), IsHexDigit);
}

bool IsThemeName(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '_' || c == '-';
  });
}

bool StartsWithHttpScheme(std::string_view s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

// z.string().url(...).regex(/^https?:\/\//, ...): both checks run and both may report.
void CheckUrl(JsonReader& reader, const std::string& path, std::string_view url) {
  if (!IsWhatwgUrl(url)) reader.AddError(path, std::string(kUrlInvalid));
  if (!StartsWithHttpScheme(url)) reader.AddError(path, std::string(kUrlScheme));
}

}  // namespace

std::size_t JsLength(std::string_view s) {
  std::size_t units = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    units += (c >= 0xF0) ? 2 : 1;      // 4-byte sequences are surrogate pairs in UTF-16
  }
  return units;
}

bool IsWhatwgUrl(std::string_view text) {
  // Leading/trailing C0 controls and spaces are stripped, tabs and newlines removed anywhere.
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= 0x20) text.remove_prefix(1);
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= 0x20) text.remove_suffix(1);
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (c != '\t' && c != '\n' && c != '\r') s.push_back(c);
  }
  if (s.empty() || !IsAsciiAlpha(s[0])) return false;
  std::size_t i = 1;
  while (i < s.size() &&
         (IsAsciiAlpha(s[i]) || IsAsciiDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
    ++i;
  if (i >= s.size() || s[i] != ':') return false;
  std::string scheme = s.substr(0, i);
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const std::string_view rest = std::string_view(s).substr(i + 1);
  if (scheme == "file") return true;
  if (scheme != "http" && scheme != "https" && scheme != "ws" && scheme != "wss" &&
      scheme != "ftp") {
    return true;  // non-special schemes parse almost anything (opaque paths)
  }
  std::size_t p = 0;
  while (p < rest.size() && (rest[p] == '/' || rest[p] == '\\')) ++p;
  std::string_view authority = rest.substr(p);
  authority = authority.substr(0, authority.find_first_of("/\\?#"));
  const std::size_t at = authority.rfind('@');
  std::string_view host_port = at == std::string_view::npos ? authority : authority.substr(at + 1);
  std::string_view host;
  std::string_view port;
  if (!host_port.empty() && host_port.front() == '[') {
    const std::size_t close = host_port.find(']');
    if (close == std::string_view::npos || !IsIpv6Literal(host_port.substr(1, close - 1)))
      return false;
    host = host_port.substr(0, close + 1);
    std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = host_port.find(':');
    host = host_port.substr(0, colon);
    if (colon != std::string_view::npos) port = host_port.substr(colon + 1);
    if (host.empty()) return false;
    // Percent-decode (valid escapes only), then refuse forbidden domain code points.
    std::string decoded;
    for (std::size_t k = 0; k < host.size(); ++k) {
      if (host[k] == '%' && k + 2 < host.size() && IsHexDigit(host[k + 1]) &&
          IsHexDigit(host[k + 2])) {
        decoded.push_back(static_cast<char>(HexValue(host[k + 1]) * 16 + HexValue(host[k + 2])));
        k += 2;
      } else {
        decoded.push_back(host[k]);
      }
    }
    for (unsigned char c : decoded) {
      if (IsForbiddenDomainByte(c)) return false;
    }
    std::string lowered = decoded;
    for (char& c : lowered) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (!HostIsAcceptable(lowered)) return false;
  }
  if (host.empty()) return false;
  if (!std::all_of(port.begin(), port.end(), IsAsciiDigit)) return false;
  if (!port.empty()) {
    std::uint64_t value = 0;
    for (char c : port) {
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      if (value > 65535) return false;
    }
  }
  return true;
}

Result<LoginRequest> ParseLoginRequest(const json::value& body) {
  JsonReader reader;
  LoginRequest out;
  if (reader.ExpectObject(body, "")) {
    auto username = reader.String(body, "username", "username", true);
    if (username && JsLength(*username) < 4) {
      reader.AddError("username", "Username must be at least 4 characters long");
    }
    auto password = reader.String(body, "password", "password", true);
    if (password && JsLength(*password) < 4) {
      reader.AddError("password", "Password must be at least 4 characters long");
    }
    if (username) out.username = std::move(*username);
    if (password) out.password = std::move(*password);
  }
  if (!reader.ok()) return Fail(reader.ToError());
  return out;
}

Result<ChangePasswordRequest> ParseChangePasswordRequest(const json::value& body) {
  JsonReader reader;
  ChangePasswordRequest out;
  if (reader.ExpectObject(body, "")) {
    auto current = reader.String(body, "currentPassword", "currentPassword", true);
    auto next = reader.String(body, "newPassword", "newPassword", true);
    if (next && JsLength(*next) < 5) {
      reader.AddError("newPassword", "New password must be at least 5 characters long");
    }
    if (current) out.current_password = std::move(*current);
    if (next) out.new_password = std::move(*next);
  }
  if (!reader.ok()) return Fail(reader.ToError());
  return out;
}

Result<store::SecurityConfig> ParseSecurityConfigBody(const json::value& body) {
  JsonReader reader;
  store::SecurityConfig out;
  if (reader.ExpectObject(body, "")) {
    if (const json::value* auth = reader.Object(body, "authentication", "authentication", true)) {
      if (const json::value* method =
              reader.Object(*auth, "authMethod", "authentication.authMethod", true)) {
        reader.Enum(*method, "type", "authentication.authMethod.type", true, {"single_user"});
      }
      auto transport = reader.Enum(*auth, "authTransportMode", "authentication.authTransportMode",
                                   true, {"cookie", "header"});
      auto mode = reader.Enum(*auth, "authModeToAccessRoom", "authentication.authModeToAccessRoom",
                              true, {"none", "moderators_only", "all_users"});
      if (transport) {
        out.transport_mode = *transport == "cookie" ? store::AuthTransportMode::kCookie
                                                    : store::AuthTransportMode::kHeader;
      }
      if (mode) {
        out.auth_mode_to_access_room = *mode == "none" ? store::AuthModeToAccessRoom::kNone
                                       : *mode == "moderators_only"
                                           ? store::AuthModeToAccessRoom::kModeratorsOnly
                                           : store::AuthModeToAccessRoom::kAllUsers;
      }
    }
  }
  if (!reader.ok()) return Fail(reader.ToError());
  return out;
}

Result<WebhooksConfigUpdate> ParseWebhooksConfigBody(const json::value& body) {
  JsonReader reader;
  WebhooksConfigUpdate out;
  if (!reader.ExpectObject(body, "")) return Fail(reader.ToError());
  auto enabled = reader.Bool(body, "enabled", "enabled", true);
  // Type errors abort the object in zod, which then skips the .refine(); failed string checks
  // only make it "dirty", and the refine still runs.
  bool aborted = !enabled.has_value();
  const json::value* url_value = body.get_object().if_contains("url");
  auto url = reader.String(body, "url", "url", false);
  if (url_value != nullptr && !url) aborted = true;
  if (url) CheckUrl(reader, "url", *url);
  if (!aborted && *enabled && (!url || url->empty())) {
    reader.AddError("url", "URL is required when webhooks are enabled");
  }
  if (!reader.ok()) return Fail(reader.ToError());
  out.enabled = *enabled;
  out.url = std::move(url);
  return out;
}

Result<std::string> ParseWebhookTestBody(const json::value& body) {
  JsonReader reader;
  std::optional<std::string> url;
  if (reader.ExpectObject(body, "")) {
    url = reader.String(body, "url", "url", true);
    if (url) CheckUrl(reader, "url", *url);
  }
  if (!reader.ok()) return Fail(reader.ToError());
  return std::move(*url);
}

Result<store::Theme> ParseAppearanceBody(const json::value& body) {
  JsonReader reader;
  store::Theme out;
  if (!reader.ExpectObject(body, "")) return Fail(reader.ToError());
  const json::value* appearance = reader.Object(body, "appearance", "appearance", true);
  if (appearance == nullptr) return Fail(reader.ToError());
  const json::value* themes = appearance->get_object().if_contains("themes");
  if (themes == nullptr) {
    reader.AddError("appearance.themes", "Required");
    return Fail(reader.ToError());
  }
  if (!themes->is_array()) {
    reader.AddError("appearance.themes",
                    "Expected array, received " + std::string(JsonReader::TypeName(*themes)));
    return Fail(reader.ToError());
  }
  const json::array& list = themes->get_array();
  // z.array(...).length(1): the length issue comes first, then every element is still checked.
  if (list.size() != 1)
    reader.AddError("appearance.themes", "There must be exactly one theme defined");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string path = "appearance.themes." + std::to_string(i);
    const json::value& theme = list[i];
    if (!reader.ExpectObject(theme, path)) continue;
    store::Theme parsed;
    if (auto name = reader.String(theme, "name", Path(path, "name"), true)) {
      // min, max and regex all run and all report (zod string checks do not short-circuit).
      const std::size_t length = JsLength(*name);
      if (length < 1) reader.AddError(Path(path, "name"), "Theme name cannot be empty");
      if (length > 50)
        reader.AddError(Path(path, "name"), "Theme name cannot exceed 50 characters");
      if (!IsThemeName(*name)) {
        reader.AddError(Path(path, "name"),
                        "Theme name can only contain letters, numbers, hyphens and underscores");
      }
      parsed.name = std::move(*name);
    }
    if (auto enabled = reader.Bool(theme, "enabled", Path(path, "enabled"), true))
      parsed.enabled = *enabled;
    if (auto base = reader.NativeEnum(theme, "baseTheme", Path(path, "baseTheme"), true,
                                      {"light", "dark"})) {
      parsed.base_theme = std::move(*base);
    }
    const std::array<std::pair<std::string_view, std::optional<std::string> store::Theme::*>, 5>
        colours{{
            {"backgroundColor", &store::Theme::background_color},
            {"primaryColor", &store::Theme::primary_color},
            {"secondaryColor", &store::Theme::secondary_color},
            {"accentColor", &store::Theme::accent_color},
            {"surfaceColor", &store::Theme::surface_color},
        }};
    for (const auto& [key, member] : colours) {
      const std::string field = Path(path, key);
      if (auto colour = reader.String(theme, key, field, false)) {
        if (!IsHexColour(*colour)) reader.AddError(field, std::string(kHexColourMessage));
        parsed.*member = std::move(*colour);
      }
    }
    if (i == 0) out = std::move(parsed);
  }
  if (!reader.ok()) return Fail(reader.ToError());
  return out;
}

std::string_view AuthModeName(store::AuthModeToAccessRoom mode) {
  switch (mode) {
    case store::AuthModeToAccessRoom::kNone:
      return "none";
    case store::AuthModeToAccessRoom::kModeratorsOnly:
      return "moderators_only";
    case store::AuthModeToAccessRoom::kAllUsers:
      return "all_users";
  }
  return "none";
}

std::string_view TransportModeName(store::AuthTransportMode mode) {
  return mode == store::AuthTransportMode::kCookie ? "cookie" : "header";
}

json::object SecurityConfigToJson(const store::SecurityConfig& security) {
  return json::object{
      {"authentication",
       json::object{{"authMethod", json::object{{"type", "single_user"}}},
                    {"authModeToAccessRoom", AuthModeName(security.auth_mode_to_access_room)},
                    {"authTransportMode", TransportModeName(security.transport_mode)}}}};
}

json::object WebhooksConfigToJson(const store::WebhooksConfig& webhooks) {
  json::object out{{"enabled", webhooks.enabled}};
  if (webhooks.url) out["url"] = *webhooks.url;
  return out;
}

json::object ThemeToJson(const store::Theme& theme) {
  json::object out{
      {"name", theme.name}, {"enabled", theme.enabled}, {"baseTheme", theme.base_theme}};
  if (theme.background_color) out["backgroundColor"] = *theme.background_color;
  if (theme.primary_color) out["primaryColor"] = *theme.primary_color;
  if (theme.secondary_color) out["secondaryColor"] = *theme.secondary_color;
  if (theme.accent_color) out["accentColor"] = *theme.accent_color;
  if (theme.surface_color) out["surfaceColor"] = *theme.surface_color;
  return out;
}

json::object AppearanceToJson(const std::vector<store::Theme>& themes) {
  json::array list;
  for (const auto& theme : themes) list.push_back(ThemeToJson(theme));
  return json::object{{"appearance", json::object{{"themes", std::move(list)}}}};
}

}  // namespace convene::api
