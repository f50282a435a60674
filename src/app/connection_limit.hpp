#pragma once

#include <cstddef>
#include <cstdint>

#include "app/config.hpp"

namespace convene::app {

/// File descriptors the process needs besides client connections: standard streams, the event
/// loop, the listening socket and logs; the SQLite store (database, WAL and shared-memory files
/// for the writer and each thread's reader) or the PostgreSQL pool; Redis (client, subscriber,
/// Sentinel); and outgoing HTTP (LiveKit calls and webhook deliveries, pooled and in flight).
std::uint64_t ReservedDescriptors(const Config& config);

/// SERVER_MAX_CONNECTIONS when it is not set: the descriptor limit minus the reserve, so a full
/// house of client connections still leaves the store, LiveKit and Redis their descriptors; never
/// below half the limit, for a limit so small that the reserve would eat it.
std::size_t DefaultMaxConnections(std::uint64_t descriptor_limit, std::uint64_t reserved);

/// The soft RLIMIT_NOFILE of this process (a large number when it is unlimited).
std::uint64_t DescriptorLimit();

}  // namespace convene::app
