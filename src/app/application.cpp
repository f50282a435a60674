#include "app/application.hpp"

#include <string_view>

#include <atomic>
#include <future>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/auth_handler.hpp"
#include "app/backends.hpp"
#include "app/connection_limit.hpp"
#include "app/periodic_job.hpp"
#include "api/global_config_handler.hpp"
#include "api/livekit_webhook_handler.hpp"
#include "api/users_handler.hpp"
#include "api/meetings_handler.hpp"
#include "api/participants_handler.hpp"
#include "api/recordings_handler.hpp"
#include "api/rooms_handler.hpp"
#include "api/system_handler.hpp"
#include "auth/api_keys.hpp"
#include "auth/authenticator.hpp"
#include "auth/login_rate_limiter.hpp"
#include "auth/passwords.hpp"
#include "auth/room_access_gate.hpp"
#include "auth/user_tokens.hpp"
#include "clients/http_client.hpp"
#include "clients/livekit_client.hpp"
#include "coordination/change_acknowledgements.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/logging.hpp"
#include "observability/metrics.hpp"
#include "service/livekit_rooms.hpp"
#include "service/meeting_service.hpp"
#include "service/participant_service.hpp"
#include "service/recordings_catalog.hpp"
#include "service/room_service.hpp"
#include "service/settings_service.hpp"
#include "tokens/participant_token.hpp"
#include "tokens/role_grant.hpp"
#include "webhooks/webhook_delivery.hpp"
#include "webhooks/webhook_tester.hpp"

namespace convene::app {

namespace asio = boost::asio;

namespace {

void CountBackgroundRun(observability::Metrics& metrics, std::string_view job) {
  metrics.GetCounter("convene_background_runs_total", "Background job passes run by this instance",
                     fmt::format("job=\"{}\"", job))
      ->Increment();
}

}  // namespace

int RunApplication(const Config& config) {
  observability::ConfigureLogging(config.log_level);
  const auto started = std::chrono::steady_clock::now();

  SystemClock clock;
  CryptoRandom random;
  observability::Metrics metrics;

  asio::io_context ioc(static_cast<int>(config.threads));
  auto startup_guard = asio::make_work_guard(ioc);

  auto opened = Backends::Open(config, ioc, clock);
  if (!opened) {
    spdlog::critical("cannot start: {}", opened.error().message);
    return 1;
  }
  Backends& backends = **opened;
  store::RoomStore& room_store = backends.Rooms();
  coordination::ChangeBus& peers = backends.Bus();
  const coordination::LeaderElection& leader = backends.Leader();

  const auto seconds = [](std::chrono::milliseconds d) { return static_cast<std::int64_t>(d.count() / 1000); };
  tokens::ParticipantTokenCodec participant_tokens(config.livekit_api_key, config.livekit_api_secret,
                                                   config.livekit_url, seconds(config.participant_token_ttl), clock);
  tokens::RoleGrantCodec role_grants(config.livekit_api_secret, seconds(config.role_grant_ttl), clock);

  // Settings and authentication. bcrypt costs ~60 ms per hash, so it runs on its own pool, never
  // on the I/O threads.
  asio::thread_pool blocking_pool(2);
  auth::PasswordHasher passwords(blocking_pool);
  auth::ApiKeys api_keys;  // filled from the store by the SettingsService
  auth::Authenticator authenticator(api_keys, participant_tokens);
  auth::UserTokenCodec user_tokens(config.livekit_api_key,
                                   auth::UserTokenKey(config.auth_secret, config.livekit_api_secret), clock);
  service::SettingsService settings(ioc.get_executor(), backends.Settings(), api_keys, passwords, clock,
                                    random);
  authenticator.SetTransportModeSource(settings.TransportModeSource());
  authenticator.SetUserAuthentication(user_tokens, settings.UserLookup());
  {
    // Start-up initialisation (reference §17.5) runs before the server accepts anything.
    service::SettingsDefaults defaults{config.name_id, config.initial_admin_user,
                                       config.initial_admin_password, config.initial_api_key,
                                       config.initial_webhook_enabled, config.initial_webhook_url};
    // The work guard keeps the io_context from ever running out of work here: the store's writer
    // thread releases its hold on the io_context a moment after resuming us, and without the guard
    // that late release could stop the io_context just before the server starts.
    auto initialised = asio::co_spawn(ioc, settings.Initialize(defaults), asio::use_future);
    while (initialised.wait_for(std::chrono::seconds(0)) != std::future_status::ready) ioc.run_one();
    if (auto result = initialised.get(); !result) {
      spdlog::critical("cannot initialise the settings: {}", result.error().message);
      return 1;
    }
  }

  auto http_client = clients::MakeHttpClient(ioc);
  livekit::RoomServiceClientOptions livekit_options;
  livekit_options.base_url = livekit::HttpBaseUrl(config.livekit_url_private);
  livekit_options.api_key = config.livekit_api_key;
  livekit_options.api_secret = config.livekit_api_secret;
  livekit_options.timeout = config.livekit_timeout;
  auto livekit_client = livekit::MakeRoomServiceClient(*http_client, clock, random, livekit_options);
  service::LiveKitRoomsOptions livekit_rooms_options;
  livekit_rooms_options.name_id = config.name_id;
  if (config.meeting_empty_timeout) {
    livekit_rooms_options.empty_timeout = static_cast<std::uint32_t>(seconds(*config.meeting_empty_timeout));
  }
  if (config.meeting_departure_timeout) {
    livekit_rooms_options.departure_timeout = static_cast<std::uint32_t>(seconds(*config.meeting_departure_timeout));
  }
  service::LiveKitRooms livekit_rooms(*livekit_client, livekit_rooms_options);

  service::NoRecordings recordings;
  service::RoomService room_service(room_store, clock, random, recordings);
  registry::ParticipantRegistry& participant_registry = backends.Registry();
  service::MeetingServiceOptions meeting_options;
  meeting_options.livekit_url = config.livekit_url;
  meeting_options.webhook_base_url =
      config.base_url.empty() ? "http://localhost:" + std::to_string(config.server_port) : config.base_url;
  meeting_options.pending_ttl_ms = config.name_pending_ttl.count();
  meeting_options.rescan_active_rooms = backends.SharedStore();
  service::MeetingService meeting_service(room_store, participant_registry, livekit_rooms, recordings, role_grants,
                                          clock, random, meeting_options);
  room_service.SetMeetingTerminator(&meeting_service);
  service::ParticipantService participant_service(
      room_service, participant_registry, livekit_rooms, participant_tokens, role_grants, clock, random,
      service::ParticipantServiceOptions{seconds(config.participant_refresh_grace),
                                         config.max_participants_per_room});
  backends.AddMetrics(metrics);
  metrics.AddGauge("convene_leader", "1 while this instance runs the background jobs",
                   [&leader] { return leader.IsLeader() ? 1.0 : 0.0; });

  http::Router router;
  api::RoomsHandler rooms_handler(room_service, authenticator, clock,
                                  api::RoomsHandlerOptions{config.min_auto_deletion_future.count()});
  rooms_handler.SetMeetingSide(&participant_registry, &meeting_service, &livekit_rooms, &participant_service);
  rooms_handler.Register(router);
  api::RecordingsHandler recordings_handler(authenticator);
  recordings_handler.Register(router);
  auth::AuthModeRoomAccessGate access_gate(authenticator,
                                          [&settings] { return settings.auth_mode_to_access_room(); });
  api::ParticipantsHandler participants_handler(participant_service, authenticator, access_gate);
  participants_handler.Register(router);
  api::MeetingsHandler meetings_handler(meeting_service, participant_registry, authenticator);
  meetings_handler.Register(router);
  api::LiveKitWebhookHandler livekit_webhook_handler(meeting_service, room_service, livekit_rooms,
                                                     backends.SeenEvents(), config.livekit_api_key,
                                                     config.livekit_api_secret, clock);
  livekit_webhook_handler.Register(router);
  api::AuthHandler auth_handler(settings, authenticator, user_tokens, backends.LoginLimits());
  auth_handler.Register(router);
  api::UsersHandler users_handler(settings, authenticator);
  users_handler.Register(router);
  api::GlobalConfigHandler global_config_handler(settings, authenticator);
  global_config_handler.SetWebhookTester(
      [&client = *http_client, &clock](const std::string& url, const std::string& api_key) {
        return webhooks::TestWebhookUrl(client, url, api_key, clock.NowMs());
      });
  global_config_handler.Register(router);

  // Outgoing webhooks: events are written to the outbox with the state change that caused them and
  // delivered at least once, in order per room, by this worker.
  webhooks::SettingsWebhookTarget webhook_target(backends.Settings());
  webhooks::WebhookDeliveryOptions webhook_options;
  webhook_options.active = [&leader] { return leader.IsLeader(); };
  webhook_options.on_outcome = [&metrics](webhooks::DeliveryOutcome outcome, std::string_view) {
    metrics.GetCounter("convene_webhook_deliveries_total", "Outgoing webhook attempts by outcome",
                       "outcome=\"" + std::string(webhooks::ToString(outcome)) + "\"")
        ->Increment();
  };
  webhooks::WebhookDelivery webhook_delivery(ioc, backends.Outbox(), webhook_target, *http_client, clock,
                                             random, webhook_options);
  webhook_delivery.Start();
  meeting_service.SetWebhookSink(
      [&settings] {
        const auto config = settings.Config();
        return config.webhooks.enabled && settings.ApiKey().has_value();
      },
      [&webhook_delivery, &peers] {
        webhook_delivery.Wake();
        peers.Publish({coordination::ChangeTopic::kOutbox, {}});  // the leader may be another instance
      });

  // What the other instances tell this one (several instances only; see Backends).
  // A settings write returns once every other instance has reloaded (or after a bounded wait), so
  // an admin who changes the authentication mode or deletes an API key is obeyed by all of them.
  coordination::ChangeAcknowledgements settings_acks(peers, ioc.get_executor(), random);
  settings.SetChangeListener([&settings_acks]() -> asio::awaitable<void> {
    co_await settings_acks.PublishAndWait(coordination::ChangeTopic::kSettings, std::chrono::seconds(2));
  });
  livekit_rooms.SetForgetListener([&peers](std::string_view room_id) {
    peers.Publish({coordination::ChangeTopic::kLiveKitRoom, std::string(room_id)});
  });
  peers.Subscribe([&](const coordination::Change& change) {
    using coordination::ChangeTopic;
    if (change.topic == ChangeTopic::kLiveKitRoom) livekit_rooms.ForgetLocally(change.subject);
    if (change.topic == ChangeTopic::kResync) livekit_rooms.ForgetAll();
    if (change.topic == ChangeTopic::kOutbox || change.topic == ChangeTopic::kResync) webhook_delivery.Wake();
    if (change.topic == ChangeTopic::kApplied) settings_acks.OnApplied(change);
    if (change.topic == ChangeTopic::kSettings || change.topic == ChangeTopic::kResync) {
      asio::co_spawn(ioc, [&settings, &settings_acks, change]() -> asio::awaitable<void> {
        if (auto reloaded = co_await settings.Reload(); !reloaded) {
          spdlog::warn("reloading the settings changed by another instance failed: {}",
                       reloaded.error().message);
          co_return;
        }
        if (change.topic == coordination::ChangeTopic::kSettings) settings_acks.Acknowledge(change);
      }, asio::detached);
    }
  });

  api::SystemHandler system_handler(metrics, [&backends]() -> std::string { return backends.Unready(); });
  system_handler.Register(router);

  http::ServerOptions server_options;
  server_options.address = config.server_address;
  server_options.port = config.server_port;
  server_options.cors_origin = config.cors_origin;
  server_options.fixed_base_url = config.base_url;
  server_options.trusted_proxy_hops = config.trusted_proxy_hops;
  const std::uint64_t descriptor_limit = DescriptorLimit();
  const std::uint64_t reserved_descriptors = ReservedDescriptors(config);
  const std::size_t default_max_connections =
      DefaultMaxConnections(descriptor_limit, reserved_descriptors);
  server_options.max_connections =
      config.max_connections != 0 ? config.max_connections : default_max_connections;
  if (server_options.max_connections > default_max_connections) {
    spdlog::warn("SERVER_MAX_CONNECTIONS={} leaves fewer than {} of the {} file descriptors "
                 "(RLIMIT_NOFILE) for the store, LiveKit and Redis; new connections will then "
                 "fail to be accepted rather than be refused cleanly",
                 server_options.max_connections, reserved_descriptors, descriptor_limit);
  }
  spdlog::info("accepting at most {} connections (RLIMIT_NOFILE {})", server_options.max_connections,
               descriptor_limit);
  http::Server server(ioc, server_options, router, metrics);
  auto port = server.Listen();
  if (!port) {
    spdlog::critical("{}", port.error().message);
    return 1;
  }
  if (config.base_url.empty()) meeting_service.SetWebhookBaseUrl("http://localhost:" + std::to_string(*port));
  server.Start();

  // The background jobs run on the leader only (one instance of several; always when alone).
  PeriodicJob reconcile_job(ioc, config.reconcile_interval, [&]() -> asio::awaitable<void> {
    if (!leader.IsLeader()) co_return;  // another instance runs it
    CountBackgroundRun(metrics, "reconcile");
    auto fixed = co_await meeting_service.Reconcile();
    if (!fixed) {
      spdlog::debug("reconciliation skipped: {}", fixed.error().message);
    } else if (*fixed > 0) {
      spdlog::info("reconciliation corrected {} item(s)", *fixed);
    }
  });
  PeriodicJob collector_job(ioc, config.room_gc_interval, [&]() -> asio::awaitable<void> {
    if (!leader.IsLeader()) co_return;  // another instance runs it
    CountBackgroundRun(metrics, "room_gc");
    auto processed = co_await room_service.CollectExpired();
    if (!processed) spdlog::warn("auto-deletion pass failed: {}", processed.error().message);
  });
  // A newly elected leader runs every job at once instead of after its interval: the previous
  // leader may have died mid-pass, or long before its next one (a crash, or a restart of all).
  PeriodicJob leadership_watch(ioc, std::chrono::seconds(1),
                               [&, was_leader = false]() mutable -> asio::awaitable<void> {
                                 const bool now_leader = leader.IsLeader();
                                 if (now_leader && !was_leader) {
                                   webhook_delivery.Wake();
                                   reconcile_job.RunSoon();
                                   collector_job.RunSoon();
                                 }
                                 was_leader = now_leader;
                                 co_return;
                               });
  asio::co_spawn(ioc,
                 [&]() -> asio::awaitable<void> {
                   if (auto loaded = co_await meeting_service.LoadActiveRooms(); !loaded) {
                     spdlog::warn("loading active meetings failed: {}", loaded.error().message);
                   }
                   reconcile_job.Start();
                 },
                 asio::detached);
  collector_job.Start();
  leadership_watch.Start();
  backends.Start();

  // Graceful shutdown: stop accepting, let in-flight requests finish (bounded), stop background
  // jobs, then let the store flush and close when it goes out of scope.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer drain_timer(ioc);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", signo);
    server.BeginShutdown();
    collector_job.Stop();
    reconcile_job.Stop();
    leadership_watch.Stop();
    webhook_delivery.Stop();
    backends.BeginShutdown();
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      // In-flight requests finish, and the leader lease is given back, before the threads stop.
      while ((server.OpenConnections() > 0 || !backends.ShutdownSettled()) &&
             std::chrono::steady_clock::now() < deadline) {
        drain_timer.expires_after(std::chrono::milliseconds(20));
        co_await drain_timer.async_wait(asio::use_awaitable);
      }
      co_await backends.FlushBeforeStop();
      ioc.stop();
    }, asio::detached);
  });

  const auto startup_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("Convene listening on {}:{} ({} threads, {}, started in {} ms)", config.server_address, *port,
               config.threads, backends.Describe(), startup_ms);

  startup_guard.reset();  // the server's accept loop and the background jobs hold work from now on
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < config.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  backends.Close();
  spdlog::info("Convene stopped");
  return 0;
}

}  // namespace convene::app
