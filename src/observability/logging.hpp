#pragma once

#include <string_view>

namespace convene::observability {

/// Console logging in the reference's shape (`YYYY-MM-DD HH:mm:ss [level] message`), at the level
/// named by MEET_LOG_LEVEL (`verbose` maps to debug). Log lines never carry tokens or secrets.
void ConfigureLogging(std::string_view level);

}  // namespace convene::observability
