#pragma once

#include "app/config.hpp"

namespace convene::app {

/// Builds the object graph once (Config → clock/random → store → services → handlers → router →
/// server), runs until SIGINT/SIGTERM, then shuts down gracefully. Returns the exit code.
int RunApplication(const Config& config);

}  // namespace convene::app
