#include "api/system_handler.hpp"

#include <boost/json/object.hpp>

#include "api/openapi_document.hpp"
#include "http/router.hpp"
#include "observability/metrics.hpp"

namespace convene::api {

using http::Method;
using http::Request;
using http::Response;

SystemHandler::SystemHandler(observability::Metrics& metrics, std::function<std::string()> ready)
    : metrics_(metrics), ready_(std::move(ready)) {}

void SystemHandler::Register(http::Router& router) {
  // The reference answers /health for every method.
  for (Method m : {Method::kGet, Method::kHead, Method::kPost, Method::kPut, Method::kPatch,
                   Method::kDelete}) {
    router.Add(m, "/health", [](Request&) -> boost::asio::awaitable<Response> {
      co_return Response::Text(200, "OK");
    });
  }
  router.Add(Method::kGet, "/ready", [this](Request&) -> boost::asio::awaitable<Response> {
    const std::string problem = ready_();
    if (problem.empty()) co_return Response::Json(200, boost::json::object{{"status", "ready"}});
    co_return Response::Json(503, boost::json::object{{"status", "unavailable"}, {"reason", problem}});
  });
  router.Add(Method::kGet, "/metrics", [this](Request&) -> boost::asio::awaitable<Response> {
    co_return Response::Text(200, metrics_.Render(), "text/plain; version=0.0.4");
  });
  router.Add(Method::kGet, "/api/v1/docs", [](Request&) -> boost::asio::awaitable<Response> {
    co_return Response::Text(200, std::string(OpenApiViewerHtml()), "text/html; charset=utf-8");
  });
  router.Add(Method::kGet, "/api/v1/docs/openapi.yaml", [](Request&) -> boost::asio::awaitable<Response> {
    co_return Response::Text(200, std::string(OpenApiYaml()), "application/yaml; charset=utf-8");
  });
}

}  // namespace convene::api
