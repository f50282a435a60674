#include "http/response.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace convene::http {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kValidation: return 422;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kFailedPrecondition: return 409;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kDeadlineExceeded: return 504;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

Response Response::Json(int status, const boost::json::value& value) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(value);
  return r;
}

Response Response::Json(int status, const boost::json::object& value) {
  Response r;
  r.status = status;
  r.body = boost::json::serialize(value);
  return r;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response Response::FromError(const Error& error) {
  boost::json::object body;
  body["error"] = error.name;
  body["message"] = error.message;
  if (!error.details.empty()) {
    boost::json::array details;
    for (const auto& d : error.details) {
      details.push_back(boost::json::object{{"field", d.field}, {"message", d.message}});
    }
    body["details"] = std::move(details);
  }
  return Json(HttpStatusFor(error.code), body);
}

Response Response::Message(int status, std::string_view text) {
  return Json(status, boost::json::object{{"message", text}});
}

}  // namespace convene::http
