#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/settings_store.hpp"

namespace convene::store {

/// The JSON text of the settings columns, shared by the SQLite and PostgreSQL stores so that both
/// write the same bytes: themes in the reference's wire names (MeetRoomTheme, reference §5.2) with
/// absent colours as absent keys, so the column reads like the API; roles as an array of strings.
/// The readers return nullopt for anything else (a corrupt column).
std::string ThemesToJson(const std::vector<Theme>& themes);
std::optional<std::vector<Theme>> ThemesFromJson(std::string_view text);
std::string RolesToJson(const std::vector<std::string>& roles);
std::optional<std::vector<std::string>> RolesFromJson(std::string_view text);

}  // namespace convene::store
