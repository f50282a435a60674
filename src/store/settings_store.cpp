#include "store/settings_store.hpp"

namespace convene::store {

// Wire spellings of reference §4.5 (securityConfig.authentication); also what the SQLite store
// keeps in its columns.

std::string_view ToString(AuthModeToAccessRoom v) {
  switch (v) {
    case AuthModeToAccessRoom::kNone:
      return "none";
    case AuthModeToAccessRoom::kModeratorsOnly:
      return "moderators_only";
    case AuthModeToAccessRoom::kAllUsers:
      return "all_users";
  }
  return "none";
}

std::string_view ToString(AuthTransportMode v) {
  switch (v) {
    case AuthTransportMode::kHeader:
      return "header";
    case AuthTransportMode::kCookie:
      return "cookie";
  }
  return "header";
}

std::optional<AuthModeToAccessRoom> ParseAuthModeToAccessRoom(std::string_view s) {
  if (s == "none") return AuthModeToAccessRoom::kNone;
  if (s == "moderators_only") return AuthModeToAccessRoom::kModeratorsOnly;
  if (s == "all_users") return AuthModeToAccessRoom::kAllUsers;
  return std::nullopt;
}

std::optional<AuthTransportMode> ParseAuthTransportMode(std::string_view s) {
  if (s == "header") return AuthTransportMode::kHeader;
  if (s == "cookie") return AuthTransportMode::kCookie;
  return std::nullopt;
}

}  // namespace convene::store
