#include "clients/http_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace convene::clients {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Error InvalidUrl(std::string message) {
  Error e = Error::Make(ErrorCode::kInvalidArgument, "HTTP Client Error", std::move(message));
  e.reason = "invalid_url";
  return e;
}

bool IsHostChar(char c) {
  // RFC 3986 reg-name characters we are willing to hand to the resolver (no percent-encoding:
  // nobody configures LiveKit or webhook hosts that way).
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// The WHATWG URL parser's first steps, which the reference's HTTP client applies to a configured
// webhook URL: leading and trailing C0 controls and spaces are stripped, and tabs and newlines
// are removed anywhere. So a URL with CR/LF goes where the reference would send it, and no
// control character can reach a request line.
std::string WithoutControlNoise(std::string_view url) {
  while (!url.empty() && static_cast<unsigned char>(url.front()) <= 0x20) url.remove_prefix(1);
  while (!url.empty() && static_cast<unsigned char>(url.back()) <= 0x20) url.remove_suffix(1);
  std::string out;
  out.reserve(url.size());
  for (const char c : url) {
    if (c != '\t' && c != '\n' && c != '\r') out.push_back(c);
  }
  return out;
}

// Percent-encodes what WHATWG encodes in a path (before '?') and in a query of an http(s) URL:
// controls, space, non-ASCII bytes and a few delimiters; existing %XX sequences are kept.
std::string EncodedTarget(std::string_view target) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(target.size());
  bool in_query = false;
  for (const char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '?') in_query = true;
    const bool encode = c <= 0x20 || c >= 0x7f || ch == '"' || ch == '<' || ch == '>' ||
                        (!in_query && (ch == '`' || ch == '{' || ch == '}')) ||
                        (in_query && ch == '\'');
    if (encode) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

namespace {

std::string BracketedHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string HttpUrl::HostHeader() const {
  std::string out = BracketedHost(host);
  if (port != (tls ? 443 : 80)) {
    out += ":" + std::to_string(port);
  }
  return out;
}

std::string HttpUrl::Origin() const {
  return std::string(tls ? "https://" : "http://") + BracketedHost(host) + ":" +
         std::to_string(port);
}

Result<HttpUrl> ParseHttpUrl(std::string_view raw_url) {
  const std::string cleaned = WithoutControlNoise(raw_url);
  const std::string_view url = cleaned;
  HttpUrl out;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Fail(InvalidUrl("URL has no scheme"));
  }
  const std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme == "https") {
    out.tls = true;
  } else if (scheme != "http") {
    return Fail(InvalidUrl("unsupported URL scheme '" + scheme + "'"));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  const std::size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view path_and_query =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return Fail(InvalidUrl("user info in URLs is not supported"));
  }

  std::string_view host;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Fail(InvalidUrl("unterminated IPv6 literal"));
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Fail(InvalidUrl("garbage after IPv6 literal"));
      }
      port_text = after.substr(1);
    }
    const bool ipv6_chars = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    if (!ipv6_chars) {
      return Fail(InvalidUrl("bad IPv6 literal"));
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsHostChar)) {
      return Fail(InvalidUrl("bad host in URL"));
    }
  }
  out.host = Lower(host);

  out.port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return Fail(InvalidUrl("bad port in URL"));
    }
    out.port = static_cast<std::uint16_t>(value);
  }

  if (path_and_query.empty()) {
    out.target = "/";
  } else if (path_and_query.front() == '?') {
    out.target = "/" + EncodedTarget(path_and_query);
  } else {
    out.target = EncodedTarget(path_and_query);
  }
  return out;
}

}  // namespace convene::clients
