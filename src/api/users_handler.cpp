#include "api/users_handler.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/config_dto.hpp"
#include "http/request_body.hpp"
#include "http/router.hpp"
#include "service/settings_service.hpp"

namespace convene::api {

namespace json = boost::json;
using auth::Validator;
using http::Request;
using http::Response;

void UsersHandler::Register(http::Router& router) {
  router.Add(http::Method::kGet, "/internal-api/v1/users/profile",
             [this](Request& req) { return Profile(req); });
  router.Add(http::Method::kPost, "/internal-api/v1/users/change-password",
             [this](Request& req) { return ChangePassword(req); });
}

boost::asio::awaitable<Response> UsersHandler::Profile(Request& req) const {
  auto who = auth_.Authenticate(req, {Validator::kAdmin, Validator::kUser});
  if (!who) co_return Response::FromError(who.error());
  json::array roles;
  for (const auto& role : who->roles) roles.emplace_back(role);
  co_return Response::Json(200,
                           json::object{{"username", who->username}, {"roles", std::move(roles)}});
}

boost::asio::awaitable<Response> UsersHandler::ChangePassword(Request& req) const {
  auto who = auth_.Authenticate(req, {Validator::kAdmin, Validator::kUser});
  if (!who) co_return Response::FromError(who.error());
  auto body = http::ParseBody(req);
  if (!body) co_return Response::FromError(body.error());
  auto change = ParseChangePasswordRequest(*body);
  if (!change) co_return Response::FromError(change.error());
  auto outcome = co_await settings_.ChangePassword(
      who->username, std::move(change->current_password), std::move(change->new_password));
  if (!outcome) co_return Response::FromError(outcome.error());
  switch (*outcome) {
    case service::SettingsService::PasswordChange::kWrongCurrentPassword:
      co_return Response::FromError(Error::Make(
          ErrorCode::kInvalidArgument, "Change Password Error", "Invalid current password"));
    case service::SettingsService::PasswordChange::kUnknownUser:
      co_return Response::FromError(auth::InvalidTokenSubject());
    case service::SettingsService::PasswordChange::kChanged:
      break;
  }
  spdlog::info("password changed for user '{}'", who->username);
  co_return Response::Message(
      200, fmt::format("Password for user '{}' changed successfully", who->username));
}

}  // namespace convene::api
