#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/login_rate_limiter.hpp"
#include "core/result.hpp"

namespace convene::app {

/// Redis coordination for several instances (reference §1.2 variable names). Off unless
/// MEET_REDIS_HOST or MEET_REDIS_SENTINEL_HOST_LIST is set: one instance needs no Redis.
struct RedisConfig {
  struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    bool operator==(const Endpoint&) const = default;
  };
  bool enabled = false;
  std::string host = "localhost";
  std::uint16_t port = 6379;
  std::string username;
  std::string password = "redispassword";  // the reference's default; ignored by a server without one
  int db = 0;
  std::vector<Endpoint> sentinels;  // non-empty = Sentinel mode
  std::string sentinel_password;
  std::string sentinel_master_name = "openvidu";
  std::string key_prefix = "convene:";  // MEET_REDIS_PREFIX: lets deployments share one Redis
};

/// Everything Convene reads from its environment (names and defaults of the reference §1.2, plus
/// Convene's own MEET_DATA_DIR etc.). Parsed once at start-up; an invalid value stops the process
/// with a message naming the variable (and never echoing a secret's value).
struct Config {
  // HTTP
  std::string server_address = "0.0.0.0";
  std::uint16_t server_port = 6080;
  std::string cors_origin = "*";
  unsigned trusted_proxy_hops = 0;  // SERVER_TRUST_PROXY: false = 0, true = 1, or a number
  unsigned threads = 0;  // 0 = number of cores
  /// SERVER_MAX_CONNECTIONS; 0 = derived from RLIMIT_NOFILE at start-up (app/connection_limit.hpp).
  std::size_t max_connections = 0;
  // Meet
  std::string log_level = "info";
  std::string name_id = "openviduMeet";
  std::string base_url;  // normalised MEET_BASE_URL; "" = from each request
  std::string initial_admin_user = "admin";
  std::string initial_admin_password = "admin";
  std::string initial_api_key;
  bool initial_webhook_enabled = false;
  std::string initial_webhook_url;
  // Admin authentication (deviations §1.2; reference §1.4)
  std::string auth_secret;  // MEET_AUTH_SECRET; "" = derived from LIVEKIT_API_SECRET
  auth::LoginRateLimit login_rate_limit;  // MEET_LOGIN_RATE_LIMIT, "5/5m" or "off"
  std::string data_dir = "./data";
  // Scale-out (issue 5): PostgreSQL instead of the embedded SQLite store, Redis coordination.
  std::string database_url;  // MEET_DATABASE_URL, postgresql://...; "" = SQLite in data_dir
  std::size_t database_pool_size = 8;  // MEET_DATABASE_POOL_SIZE
  RedisConfig redis;
  std::chrono::milliseconds room_gc_interval{3600 * 1000};
  std::chrono::milliseconds min_auto_deletion_future{3600 * 1000};
  // Participants and meetings
  std::chrono::milliseconds participant_token_ttl{2 * 3600 * 1000};
  std::chrono::milliseconds participant_refresh_grace{24 * 3600 * 1000};
  // MEET_ROLE_GRANT_TTL: how long the grant a role change sends its target is accepted on its own.
  std::chrono::milliseconds role_grant_ttl{10 * 60 * 1000};
  std::chrono::milliseconds name_pending_ttl{2 * 60 * 1000};
  // MEET_MAX_PARTICIPANTS_PER_ROOM: most named participants (reserved or joined) one room holds,
  // whatever its own maxParticipants; 0 (nullopt) = no deployment-wide cap.
  std::optional<std::uint32_t> max_participants_per_room = 10000;
  std::chrono::milliseconds reconcile_interval{30 * 1000};
  std::optional<std::chrono::milliseconds> meeting_empty_timeout;
  std::optional<std::chrono::milliseconds> meeting_departure_timeout;
  // LiveKit
  std::chrono::milliseconds livekit_timeout{5000};
  std::string livekit_url = "ws://localhost:7880";
  std::string livekit_url_private;  // defaults to livekit_url
  std::string livekit_api_key = "devkey";
  std::string livekit_api_secret = "secret";
};

/// Reads the process environment. `getenv` is injectable for tests.
Result<Config> LoadConfig(const char* (*getenv_fn)(const char*));

/// Parses "1h", "30m", "15s", "500ms", "2d" or a plain number of seconds.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

/// Parses SERVER_TRUST_PROXY into a number of trusted proxy hops: "false" (or empty) = 0,
/// "true" = 1 (one proxy in front, not Express's "trust every hop"), or a number 0-32.
Result<unsigned> ParseTrustProxy(std::string_view text);

/// Parses MEET_REDIS_SENTINEL_HOST_LIST: "host:port,host:port" (each entry exactly host and port).
Result<std::vector<RedisConfig::Endpoint>> ParseSentinelList(std::string_view text);

/// Parses MEET_LOGIN_RATE_LIMIT: "<failures>/<duration>" (e.g. "5/5m", "10/1h") or "off".
Result<auth::LoginRateLimit> ParseLoginRateLimit(std::string_view text);

/// Text for `convene --help`: every variable with its default.
std::string ConfigHelp();

}  // namespace convene::app
