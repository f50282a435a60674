#pragma once

#include <string_view>

namespace convene::registry {

/// The text of redis_registry.lua, embedded at build time (cmake/EmbedText.cmake).
std::string_view RedisRegistryLua();

}  // namespace convene::registry
