#include "api/global_config_handler.hpp"

#include <spdlog/spdlog.h>
#include <boost/json/object.hpp>

#include "api/config_dto.hpp"
#include "http/request_body.hpp"
#include "http/router.hpp"
#include "service/settings_service.hpp"

namespace convene::api {

using auth::Validator;
using http::Request;
using http::Response;

void GlobalConfigHandler::Register(http::Router& router) {
  using http::Method;
  auto bind = [this](auto member) { return http::BindHandler(this, member); };
  router.Add(Method::kGet, "/internal-api/v1/config/security",
             bind(&GlobalConfigHandler::GetSecurity));
  router.Add(Method::kPut, "/internal-api/v1/config/security",
             bind(&GlobalConfigHandler::UpdateSecurity));
  router.Add(Method::kGet, "/internal-api/v1/config/webhooks",
             bind(&GlobalConfigHandler::GetWebhooks));
  router.Add(Method::kPut, "/internal-api/v1/config/webhooks",
             bind(&GlobalConfigHandler::UpdateWebhooks));
  router.Add(Method::kPost, "/internal-api/v1/config/webhooks/test",
             bind(&GlobalConfigHandler::TestWebhook));
  router.Add(Method::kGet, "/internal-api/v1/config/rooms/appearance",
             bind(&GlobalConfigHandler::GetAppearance));
  router.Add(Method::kPut, "/internal-api/v1/config/rooms/appearance",
             bind(&GlobalConfigHandler::UpdateAppearance));
}

boost::asio::awaitable<Response> GlobalConfigHandler::GetSecurity(Request&) const {
  co_return Response::Json(200, SecurityConfigToJson(settings_.Config().security));
}

boost::asio::awaitable<Response> GlobalConfigHandler::UpdateSecurity(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kAdmin}); !who)
    co_return Response::FromError(who.error());
  auto body = http::ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto security = ParseSecurityConfigBody(*body);
  if (!security) co_return Response::FromError(security.error());
  auto updated = co_await settings_.UpdateSecurity(*security);
  if (!updated) co_return Response::FromError(updated.error());
  spdlog::info("security config updated: authModeToAccessRoom={}, authTransportMode={}",
               AuthModeName(security->auth_mode_to_access_room),
               TransportModeName(security->transport_mode));
  co_return Response::Message(200, "Security config updated successfully");
}

boost::asio::awaitable<Response> GlobalConfigHandler::GetWebhooks(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kAdmin}); !who)
    co_return Response::FromError(who.error());
  co_return Response::Json(200, WebhooksConfigToJson(settings_.Config().webhooks));
}

boost::asio::awaitable<Response> GlobalConfigHandler::UpdateWebhooks(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kAdmin}); !who)
    co_return Response::FromError(who.error());
  auto body = http::ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto update = ParseWebhooksConfigBody(*body);
  if (!update) co_return Response::FromError(update.error());
  auto updated = co_await settings_.UpdateWebhooks(update->enabled, std::move(update->url));
  if (!updated) co_return Response::FromError(updated.error());
  spdlog::info("webhooks config updated (enabled={})", update->enabled);
  co_return Response::Message(200, "Webhooks config updated successfully");
}

boost::asio::awaitable<Response> GlobalConfigHandler::TestWebhook(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kAdmin}); !who)
    co_return Response::FromError(who.error());
  auto body = http::ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto url = ParseWebhookTestBody(*body);
  if (!url) co_return Response::FromError(url.error());
  auto key = settings_.ApiKey();
  if (!key) {
    co_return Response::FromError(
        Error::Make(ErrorCode::kInvalidArgument, "Webhook Error",
                    "There are no API keys configured yet. Please, create one to use webhooks."));
  }
  if (!tester_)
    co_return Response::FromError(Error::Internal("Unexpected error while testing webhook URL"));
  const std::string& target = *url;
  const std::string& api_key = key->key;
  auto tested = co_await tester_(target, api_key);
  if (!tested) co_return Response::FromError(tested.error());
  co_return Response::Message(200, "Webhook URL is valid");
}

boost::asio::awaitable<Response> GlobalConfigHandler::GetAppearance(Request&) const {
  co_return Response::Json(200, AppearanceToJson(settings_.Config().themes));
}

boost::asio::awaitable<Response> GlobalConfigHandler::UpdateAppearance(Request& req) const {
  if (auto who = auth_.Authenticate(req, {Validator::kAdmin}); !who)
    co_return Response::FromError(who.error());
  auto body = http::ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto theme = ParseAppearanceBody(*body);
  if (!theme) co_return Response::FromError(theme.error());
  auto updated = co_await settings_.UpdateAppearance(std::move(*theme));
  if (!updated) co_return Response::FromError(updated.error());
  co_return Response::Message(200, "Rooms appearance config updated successfully");
}

}  // namespace convene::api
