#pragma once

#include <functional>

#include <boost/asio/awaitable.hpp>

#include "http/request.hpp"
#include "http/response.hpp"

namespace convene::observability {
class Metrics;
}
namespace convene::http {
class Router;
}

namespace convene::api {

/// Operational endpoints: GET /health (as the reference), GET /ready (dependencies reachable),
/// GET /metrics (Prometheus text), GET /api/v1/docs (OpenAPI document and an offline viewer).
class SystemHandler {
 public:
  /// `ready` returns "" when every dependency answers, else a short reason (never secrets).
  SystemHandler(observability::Metrics& metrics, std::function<std::string()> ready);
  void Register(http::Router& router);

 private:
  observability::Metrics& metrics_;
  std::function<std::string()> ready_;
};

}  // namespace convene::api
