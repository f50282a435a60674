#include "app/connection_limit.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace convene::app {
namespace {

constexpr std::uint64_t kProcessDescriptors = 32;  // stdio, epoll, eventfds, listener, logs
constexpr std::uint64_t kFilesPerSqliteConnection = 3;  // database, -wal, -shm
constexpr std::uint64_t kRedisDescriptors = 4;          // client, subscriber, Sentinel, spare
constexpr std::uint64_t kOutgoingHttpDescriptors = 64;  // LiveKit and webhook connections
constexpr std::uint64_t kUnlimited = 1u << 20;          // what "unlimited" is taken to mean

}  // namespace

std::uint64_t ReservedDescriptors(const Config& config) {
  std::uint64_t reserved = kProcessDescriptors + kOutgoingHttpDescriptors;
  if (config.database_url.empty()) {
    // One writer and one reader per I/O thread (plus the blocking pool's).
    reserved += kFilesPerSqliteConnection * (std::uint64_t{config.threads} + 2);
  } else {
    reserved += config.database_pool_size;
  }
  if (config.redis.enabled) reserved += kRedisDescriptors;
  return reserved;
}

std::size_t DefaultMaxConnections(std::uint64_t descriptor_limit, std::uint64_t reserved) {
  const std::uint64_t limit = std::min(descriptor_limit, kUnlimited);
  const std::uint64_t left = limit > reserved ? limit - reserved : 0;
  return static_cast<std::size_t>(std::max<std::uint64_t>({left, limit / 2, 1}));
}

std::uint64_t DescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return kUnlimited;
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

}  // namespace convene::app
