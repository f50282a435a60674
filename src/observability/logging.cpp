#include "observability/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace convene::observability {

void ConfigureLogging(std::string_view level) {
  auto logger = spdlog::stdout_logger_mt("convene");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S [%l] %v");
  if (level == "error") spdlog::set_level(spdlog::level::err);
  else if (level == "warn") spdlog::set_level(spdlog::level::warn);
  else if (level == "verbose" || level == "debug") spdlog::set_level(spdlog::level::debug);
  else spdlog::set_level(spdlog::level::info);
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace convene::observability
