#include "app/config.hpp"

#include <charconv>
#include <thread>

#include <fmt/format.h>

#include "http/server.hpp"

namespace convene::app {
namespace {

Error ConfigError(std::string_view variable, std::string_view problem) {
  return Error::Make(ErrorCode::kInvalidArgument, "Configuration Error",
                     fmt::format("Invalid {}: {}", variable, problem));
}

/// Unsigned decimal in [min, max]; the whole text must be the number.
std::optional<unsigned> ParseBounded(std::string_view s, unsigned min, unsigned max) {
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size() || value < min || value > max) return std::nullopt;
  return value;
}

constexpr unsigned kMaxTrustedProxyHops = 32;
constexpr unsigned kMaxConnectionsCeiling = 1'000'000;

}  // namespace

// MEET_DATABASE_URL, MEET_DATABASE_POOL_SIZE and the reference's MEET_REDIS_* variables.
static Result<void> LoadScaleOut(const char* (*getenv_fn)(const char*), Config& c) {
  const auto get = [&](const char* name) -> std::optional<std::string_view> {
    const char* v = getenv_fn(name);
    if (v == nullptr) return std::nullopt;
    return std::string_view(v);
  };
  if (auto url = get("MEET_DATABASE_URL"); url && !url->empty()) {
    if (url->rfind("postgresql://", 0) != 0 && url->rfind("postgres://", 0) != 0) {
      // The value may hold a password: never echo it.
      return Fail(ConfigError("MEET_DATABASE_URL", "must start with postgresql:// or postgres://"));
    }
    c.database_url = std::string(*url);
  }
  if (auto pool = get("MEET_DATABASE_POOL_SIZE"); pool && !pool->empty()) {
    auto value = ParseBounded(*pool, 1, 1000);
    if (!value) return Fail(ConfigError("MEET_DATABASE_POOL_SIZE", "expected a number 1-1000"));
    c.database_pool_size = *value;
  }

  RedisConfig& r = c.redis;
  const auto host = get("MEET_REDIS_HOST");
  const auto sentinels = get("MEET_REDIS_SENTINEL_HOST_LIST");
  r.enabled = (host && !host->empty()) || (sentinels && !sentinels->empty());
  if (host && !host->empty()) r.host = std::string(*host);
  if (auto port = get("MEET_REDIS_PORT"); port && !port->empty()) {
    auto value = ParseBounded(*port, 1, 65535);
    if (!value) return Fail(ConfigError("MEET_REDIS_PORT", "expected a port number 1-65535"));
    r.port = static_cast<std::uint16_t>(*value);
  }
  if (auto v = get("MEET_REDIS_USERNAME")) r.username = std::string(*v);
  if (auto v = get("MEET_REDIS_PASSWORD")) r.password = std::string(*v);
  if (auto db = get("MEET_REDIS_DB"); db && !db->empty()) {
    auto value = ParseBounded(*db, 0, 1'000'000);
    if (!value) return Fail(ConfigError("MEET_REDIS_DB", "expected a database number"));
    r.db = static_cast<int>(*value);
  }
  if (auto v = get("MEET_REDIS_SENTINEL_MASTER_NAME"); v && !v->empty()) r.sentinel_master_name = std::string(*v);
  if (auto v = get("MEET_REDIS_SENTINEL_PASSWORD")) r.sentinel_password = std::string(*v);
  if (sentinels && !sentinels->empty()) {
    auto list = ParseSentinelList(*sentinels);
    if (!list) return Fail(list.error());
    r.sentinels = std::move(*list);
    if (r.sentinel_password.empty()) {
      return Fail(ConfigError("MEET_REDIS_SENTINEL_PASSWORD", "is required in Sentinel mode"));
    }
  }
  if (auto v = get("MEET_REDIS_PREFIX"); v && !v->empty()) r.key_prefix = std::string(*v);
  return {};
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return Fail(ConfigError("duration", "empty"));
  std::int64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || value < 0) return Fail(ConfigError("duration", "not a non-negative number"));
  const std::string_view unit(ptr, static_cast<std::size_t>(end - ptr));
  std::int64_t factor = 0;
  if (unit.empty() || unit == "s") factor = 1000;
  else if (unit == "ms") factor = 1;
  else if (unit == "m") factor = 60 * 1000;
  else if (unit == "h") factor = 3600 * 1000;
  else if (unit == "d") factor = 24 * 3600 * 1000;
  else return Fail(ConfigError("duration", "unknown unit (use ms, s, m, h or d)"));
  if (value > INT64_MAX / factor) return Fail(ConfigError("duration", "too large"));
  return std::chrono::milliseconds(value * factor);
}

Result<auth::LoginRateLimit> ParseLoginRateLimit(std::string_view text) {
  auth::LoginRateLimit limit;
  if (text == "off") {
    limit.enabled = false;
    return limit;
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return Fail(ConfigError("MEET_LOGIN_RATE_LIMIT", "expected N/duration or off"));
  }
  const std::string_view count = text.substr(0, slash);
  unsigned failures = 0;
  auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), failures);
  if (ec != std::errc() || ptr != count.data() + count.size() || failures < 1 || failures > 1000000) {
    return Fail(ConfigError("MEET_LOGIN_RATE_LIMIT", "the number of failures must be 1-1000000"));
  }
  auto window = ParseDuration(text.substr(slash + 1));
  if (!window || window->count() < 1000) {
    return Fail(
        ConfigError("MEET_LOGIN_RATE_LIMIT", "the window must be a duration of at least 1s"));
  }
  limit.max_failures = failures;
  limit.window_ms = window->count();
  return limit;
}

Result<unsigned> ParseTrustProxy(std::string_view text) {
  if (text == "false" || text.empty()) return 0u;
  if (text == "true") return 1u;  // one proxy, not Express's "trust every hop"
  const auto hops = ParseBounded(text, 0, kMaxTrustedProxyHops);
  if (!hops) {
    return Fail(ConfigError("SERVER_TRUST_PROXY",
                            "expected 'true', 'false' or a number of trusted proxy hops 0-32"));
  }
  return *hops;
}

Result<std::vector<RedisConfig::Endpoint>> ParseSentinelList(std::string_view text) {
  std::vector<RedisConfig::Endpoint> endpoints;
  // Every comma separates two entries, so "a:1," has an empty (invalid) second entry.
  for (bool last = false; !last;) {
    const auto comma = text.find(',');
    last = comma == std::string_view::npos;
    std::string_view entry = text.substr(0, comma);
    text = last ? std::string_view{} : text.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    const auto colon = entry.find(':');
    // As the reference: every entry must split into exactly two parts.
    if (colon == std::string_view::npos || entry.find(':', colon + 1) != std::string_view::npos ||
        colon == 0) {
      return Fail(ConfigError("MEET_REDIS_SENTINEL_HOST_LIST", "expected host:port,host:port"));
    }
    const std::string_view port_text = entry.substr(colon + 1);
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      return Fail(ConfigError("MEET_REDIS_SENTINEL_HOST_LIST", "every port must be 1-65535"));
    }
    endpoints.push_back({std::string(entry.substr(0, colon)), static_cast<std::uint16_t>(port)});
  }
  return endpoints;
}

Result<Config> LoadConfig(const char* (*getenv_fn)(const char*)) {
  Config c;
  auto str = [&](const char* name, std::string& out) {
    if (const char* v = getenv_fn(name)) out = v;
  };
  auto boolean = [&](const char* name, bool& out) -> Result<void> {
    const char* v = getenv_fn(name);
    if (v == nullptr) return {};
    const std::string_view s(v);
    if (s == "true") out = true;
    else if (s == "false" || s.empty()) out = false;
    else return Fail(ConfigError(name, "expected 'true' or 'false'"));
    return {};
  };
  auto duration = [&](const char* name, std::chrono::milliseconds& out) -> Result<void> {
    const char* v = getenv_fn(name);
    if (v == nullptr || *v == '\0') return {};
    auto parsed = ParseDuration(v);
    if (!parsed) return Fail(ConfigError(name, "expected a duration such as 30s, 15m or 1h"));
    out = *parsed;
    return {};
  };

  str("SERVER_ADDRESS", c.server_address);
  if (const char* v = getenv_fn("SERVER_PORT"); v != nullptr && *v != '\0') {
    unsigned port = 0;
    const std::string_view s(v);
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
    if (ec != std::errc() || ptr != s.data() + s.size() || port > 65535) {
      return Fail(ConfigError("SERVER_PORT", "expected a port number 0-65535"));
    }
    c.server_port = static_cast<std::uint16_t>(port);
  }
  str("SERVER_CORS_ORIGIN", c.cors_origin);
  if (const char* v = getenv_fn("SERVER_TRUST_PROXY")) {
    auto hops = ParseTrustProxy(v);
    if (!hops) return Fail(hops.error());
    c.trusted_proxy_hops = *hops;
  }
  if (const char* v = getenv_fn("SERVER_THREADS"); v != nullptr && *v != '\0') {
    const std::string_view s(v);
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), c.threads);
    if (ec != std::errc() || ptr != s.data() + s.size() || c.threads > 256) {
      return Fail(ConfigError("SERVER_THREADS", "expected a number of threads 1-256"));
    }
  }
  if (c.threads == 0) c.threads = std::max(1u, std::thread::hardware_concurrency());
  if (const char* v = getenv_fn("SERVER_MAX_CONNECTIONS"); v != nullptr && *v != '\0') {
    const auto max = ParseBounded(v, 1, kMaxConnectionsCeiling);
    if (!max) return Fail(ConfigError("SERVER_MAX_CONNECTIONS", "expected a number of connections 1-1000000"));
    c.max_connections = *max;
  }

  str("MEET_LOG_LEVEL", c.log_level);
  if (c.log_level != "error" && c.log_level != "warn" && c.log_level != "info" &&
      c.log_level != "verbose" && c.log_level != "debug") {
    return Fail(ConfigError("MEET_LOG_LEVEL", "expected error, warn, info, verbose or debug"));
  }
  str("MEET_NAME_ID", c.name_id);
  str("MEET_BASE_URL", c.base_url);
  if (!c.base_url.empty()) {
    if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0) {
      return Fail(ConfigError("MEET_BASE_URL", "must start with http:// or https://"));
    }
    c.base_url = http::NormalizeBaseUrl(c.base_url);
  }
  str("MEET_INITIAL_ADMIN_USER", c.initial_admin_user);
  str("MEET_INITIAL_ADMIN_PASSWORD", c.initial_admin_password);
  str("MEET_INITIAL_API_KEY", c.initial_api_key);
  if (auto r = boolean("MEET_INITIAL_WEBHOOK_ENABLED", c.initial_webhook_enabled); !r) return Fail(r.error());
  str("MEET_INITIAL_WEBHOOK_URL", c.initial_webhook_url);
  if (const char* v = getenv_fn("MEET_LOGIN_RATE_LIMIT"); v != nullptr && *v != '\0') {
    auto limit = ParseLoginRateLimit(v);
    if (!limit) return Fail(limit.error());
    c.login_rate_limit = *limit;
  }
  str("MEET_DATA_DIR", c.data_dir);
  if (c.data_dir.empty()) return Fail(ConfigError("MEET_DATA_DIR", "must not be empty"));
  if (auto r = LoadScaleOut(getenv_fn, c); !r) return Fail(r.error());
  if (auto r = duration("MEET_ROOM_GC_INTERVAL", c.room_gc_interval); !r) return Fail(r.error());
  if (c.room_gc_interval.count() < 100) {
    return Fail(ConfigError("MEET_ROOM_GC_INTERVAL", "must be at least 100ms"));
  }
  if (auto r = duration("MEET_MIN_AUTODELETION_FUTURE", c.min_auto_deletion_future); !r) {
    return Fail(r.error());
  }

  if (auto r = duration("MEET_PARTICIPANT_TOKEN_EXPIRATION", c.participant_token_ttl); !r) return Fail(r.error());
  if (c.participant_token_ttl.count() < 1000) {
    return Fail(ConfigError("MEET_PARTICIPANT_TOKEN_EXPIRATION", "must be at least 1s"));
  }
  if (auto r = duration("MEET_PARTICIPANT_REFRESH_GRACE", c.participant_refresh_grace); !r) return Fail(r.error());
  if (auto r = duration("MEET_ROLE_GRANT_TTL", c.role_grant_ttl); !r) return Fail(r.error());
  if (c.role_grant_ttl.count() < 1000) return Fail(ConfigError("MEET_ROLE_GRANT_TTL", "must be at least 1s"));
  if (auto r = duration("MEET_NAME_PENDING_TTL", c.name_pending_ttl); !r) return Fail(r.error());
  if (const char* v = getenv_fn("MEET_MAX_PARTICIPANTS_PER_ROOM"); v != nullptr && *v != '\0') {
    auto value = ParseBounded(v, 0, 4'294'967'295u);
    if (!value) {
      return Fail(ConfigError("MEET_MAX_PARTICIPANTS_PER_ROOM", "expected a number (0 = no limit)"));
    }
    c.max_participants_per_room = *value == 0 ? std::nullopt : std::optional<std::uint32_t>(*value);
  }
  if (auto r = duration("MEET_RECONCILE_INTERVAL", c.reconcile_interval); !r) return Fail(r.error());
  if (c.reconcile_interval.count() < 100) {
    return Fail(ConfigError("MEET_RECONCILE_INTERVAL", "must be at least 100ms"));
  }
  for (auto [name, slot] : {std::pair{"MEETING_EMPTY_TIMEOUT", &c.meeting_empty_timeout},
                            std::pair{"MEETING_DEPARTURE_TIMEOUT", &c.meeting_departure_timeout}}) {
    std::chrono::milliseconds value{0};
    const char* raw = getenv_fn(name);
    if (raw == nullptr || *raw == '\0') continue;
    if (auto r = duration(name, value); !r) return Fail(r.error());
    *slot = value;
  }
  if (auto r = duration("LIVEKIT_TIMEOUT", c.livekit_timeout); !r) return Fail(r.error());
  if (c.livekit_timeout.count() < 100) return Fail(ConfigError("LIVEKIT_TIMEOUT", "must be at least 100ms"));

  str("LIVEKIT_URL", c.livekit_url);
  str("LIVEKIT_URL_PRIVATE", c.livekit_url_private);
  if (c.livekit_url_private.empty()) c.livekit_url_private = c.livekit_url;
  str("LIVEKIT_API_KEY", c.livekit_api_key);
  str("LIVEKIT_API_SECRET", c.livekit_api_secret);
  if (c.livekit_api_key.empty()) return Fail(ConfigError("LIVEKIT_API_KEY", "must not be empty"));
  if (c.livekit_api_secret.empty()) return Fail(ConfigError("LIVEKIT_API_SECRET", "must not be empty"));
  str("MEET_AUTH_SECRET", c.auth_secret);
  if (!c.auth_secret.empty()) {
    // Access/refresh tokens never share a key with participant (LiveKit) tokens (deviations §1.2).
    if (c.auth_secret == c.livekit_api_secret) {
      return Fail(ConfigError("MEET_AUTH_SECRET", "must differ from LIVEKIT_API_SECRET"));
    }
    if (c.auth_secret.size() < 32) {
      return Fail(ConfigError("MEET_AUTH_SECRET", "must be at least 32 characters"));
    }
  }
  for (const auto* url : {&c.livekit_url, &c.livekit_url_private}) {
    const bool ok = url->rfind("ws://", 0) == 0 || url->rfind("wss://", 0) == 0 ||
                    url->rfind("http://", 0) == 0 || url->rfind("https://", 0) == 0;
    if (!ok) {
      return Fail(ConfigError(url == &c.livekit_url ? "LIVEKIT_URL" : "LIVEKIT_URL_PRIVATE",
                              "must start with ws://, wss://, http:// or https://"));
    }
  }
  return c;
}

std::string ConfigHelp() {
  return R"(convene — OpenVidu Meet compatible control plane for LiveKit

Configuration is read from environment variables:
  SERVER_ADDRESS            listen address                        (0.0.0.0)
  SERVER_PORT               listen port                           (6080)
  SERVER_CORS_ORIGIN        CORS origin, empty disables CORS      (*)
  SERVER_TRUST_PROXY        trusted proxy hops: false, true (= 1) or a number (false)
  SERVER_MAX_CONNECTIONS    open client connections at most, beyond: 503 and close
                            (RLIMIT_NOFILE minus what the store, LiveKit and Redis need)
  SERVER_THREADS            I/O threads                           (number of cores)
  MEET_LOG_LEVEL            error|warn|info|verbose|debug         (info)
  MEET_NAME_ID              deployment id                         (openviduMeet)
  MEET_BASE_URL             public base URL                       (from each request)
  MEET_INITIAL_ADMIN_USER   admin user created at first start     (admin)
  MEET_INITIAL_ADMIN_PASSWORD                                     (admin)
  MEET_INITIAL_API_KEY      initial API key                       (none)
  MEET_INITIAL_WEBHOOK_ENABLED / MEET_INITIAL_WEBHOOK_URL
  MEET_AUTH_SECRET          key of admin access/refresh tokens    (derived from LIVEKIT_API_SECRET)
  MEET_LOGIN_RATE_LIMIT     failed logins per address, or off     (5/5m)
  MEET_DATA_DIR             embedded store directory              (./data)
  MEET_DATABASE_URL         postgresql://user:pass@host:port/db instead of the embedded store
  MEET_DATABASE_POOL_SIZE   PostgreSQL connections                (8)
  MEET_REDIS_HOST / MEET_REDIS_PORT  Redis for several instances  (off / 6379)
  MEET_REDIS_USERNAME / MEET_REDIS_PASSWORD / MEET_REDIS_DB       (none / redispassword / 0)
  MEET_REDIS_SENTINEL_HOST_LIST  host:port,... turns Sentinel mode on
  MEET_REDIS_SENTINEL_PASSWORD / MEET_REDIS_SENTINEL_MASTER_NAME  (required / openvidu)
  MEET_REDIS_PREFIX         prefix of every Redis key             (convene:)
  MEET_ROOM_GC_INTERVAL     auto-deletion collector interval      (1h)
  MEET_MIN_AUTODELETION_FUTURE  minimum autoDeletionDate lead     (1h)
  MEET_PARTICIPANT_TOKEN_EXPIRATION  participant token lifetime    (2h)
  MEET_PARTICIPANT_REFRESH_GRACE     refresh allowed after expiry  (24h)
  MEET_ROLE_GRANT_TTL       a role change's grant, used on its own  (10m)
  MEET_NAME_PENDING_TTL     a reserved name waits this long for its join (2m)
  MEET_MAX_PARTICIPANTS_PER_ROOM  named participants one room holds, 0 = no cap (10000)
  MEET_RECONCILE_INTERVAL   reconciliation with LiveKit           (30s)
  MEETING_EMPTY_TIMEOUT / MEETING_DEPARTURE_TIMEOUT  LiveKit room timeouts (LiveKit's defaults)
  LIVEKIT_TIMEOUT           deadline of one LiveKit call, retries included (5s)
  LIVEKIT_URL               public LiveKit URL                    (ws://localhost:7880)
  LIVEKIT_URL_PRIVATE       LiveKit URL for server calls          (LIVEKIT_URL)
  LIVEKIT_API_KEY / LIVEKIT_API_SECRET                            (devkey / secret)
)";
}

}  // namespace convene::app
