#include "http/router.hpp"

namespace convene::http {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  // Express routing is not strict about one trailing slash: "/api/v1/rooms/" is "/api/v1/rooms".
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  while (true) {
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// Express routes are case-insensitive by default, so literal segments compare that way too.
bool SegmentEquals(std::string_view pattern, std::string_view part) {
  if (pattern.size() != part.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char a = pattern[i];
    char b = part[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

void Router::Add(Method method, std::string pattern, Handler handler) {
  Route route{method, pattern, {}, std::move(handler)};
  for (std::string_view s : SplitPath(pattern)) route.segments.emplace_back(s);
  routes_.push_back(std::move(route));
}

const Router::Route* Router::Find(Request& request) const {
  const std::vector<std::string_view> parts = SplitPath(request.path);
  // HEAD is answered by the GET route (as Express does) unless a HEAD route exists; the server
  // drops the body.
  if (const Route* route = Match(request.method, parts, request)) return route;
  if (request.method == Method::kHead) return Match(Method::kGet, parts, request);
  return nullptr;
}

const Router::Route* Router::Match(Method method, const std::vector<std::string_view>& parts,
                                   Request& request) const {
  for (const Route& route : routes_) {
    if (route.method != method || route.segments.size() != parts.size()) continue;
    bool matched = true;
    std::vector<std::pair<std::string, std::string>> params;
    for (std::size_t i = 0; i < parts.size() && matched; ++i) {
      const std::string& seg = route.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        std::string decoded;
        if (parts[i].empty() || !PercentDecode(parts[i], false, decoded)) {
          matched = false;
        } else {
          params.emplace_back(seg.substr(1, seg.size() - 2), std::move(decoded));
        }
      } else {
        matched = SegmentEquals(seg, parts[i]);
      }
    }
    if (matched) {
      request.path_params = std::move(params);
      return &route;
    }
  }
  return nullptr;
}

}  // namespace convene::http
