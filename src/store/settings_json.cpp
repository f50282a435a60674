#include "store/settings_json.hpp"

#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace convene::store {
namespace {

namespace json = boost::json;

// Themes use the reference's wire names (MeetRoomTheme, reference §5.2) so that the column reads
// like the API; absent colours are absent keys.

constexpr std::pair<const char*, std::optional<std::string> Theme::*> kColours[] = {
    {"backgroundColor", &Theme::background_color}, {"primaryColor", &Theme::primary_color},
    {"secondaryColor", &Theme::secondary_color},   {"accentColor", &Theme::accent_color},
    {"surfaceColor", &Theme::surface_color},
};

std::optional<std::string> StringField(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

}  // namespace

std::string ThemesToJson(const std::vector<Theme>& themes) {
  json::array array;
  for (const Theme& theme : themes) {
    json::object object;
    object["name"] = theme.name;
    object["enabled"] = theme.enabled;
    object["baseTheme"] = theme.base_theme;
    for (const auto& [key, member] : kColours) {
      if (const std::optional<std::string>& colour = theme.*member) object[key] = *colour;
    }
    array.push_back(std::move(object));
  }
  return json::serialize(array);
}

std::optional<std::vector<Theme>> ThemesFromJson(std::string_view text) {
  json::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_array()) return std::nullopt;
  std::vector<Theme> themes;
  for (const json::value& item : parsed.get_array()) {
    const json::object* object = item.if_object();
    if (object == nullptr) return std::nullopt;
    Theme theme;
    std::optional<std::string> name = StringField(*object, "name");
    std::optional<std::string> base_theme = StringField(*object, "baseTheme");
    const json::value* enabled = object->if_contains("enabled");
    if (!name || !base_theme || enabled == nullptr || !enabled->is_bool()) return std::nullopt;
    theme.name = std::move(*name);
    theme.base_theme = std::move(*base_theme);
    theme.enabled = enabled->get_bool();
    for (const auto& [key, member] : kColours) {
      if (!object->contains(key)) continue;
      std::optional<std::string> colour = StringField(*object, key);
      if (!colour) return std::nullopt;
      theme.*member = std::move(colour);
    }
    themes.push_back(std::move(theme));
  }
  return themes;
}

std::string RolesToJson(const std::vector<std::string>& roles) {
  json::array array;
  for (const std::string& role : roles) array.emplace_back(role);
  return json::serialize(array);
}

std::optional<std::vector<std::string>> RolesFromJson(std::string_view text) {
  json::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_array()) return std::nullopt;
  std::vector<std::string> roles;
  for (const json::value& item : parsed.get_array()) {
    if (!item.is_string()) return std::nullopt;
    roles.emplace_back(item.get_string());
  }
  return roles;
}

}  // namespace convene::store
