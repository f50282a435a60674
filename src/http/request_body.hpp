#pragma once

#include <boost/json/value.hpp>

#include "core/result.hpp"
#include "http/request.hpp"

namespace convene::http {

/// Reads a request body the way the reference's Express stack does: `application/json` is parsed
/// strictly (objects and arrays only; an empty body is `{}`), `application/x-www-form-urlencoded`
/// becomes an object of strings, any other content type yields `{}`.
/// Malformed JSON → 400 `Bad Request` / `Malformed body`.
Result<boost::json::value> ParseBody(const Request& request);

}  // namespace convene::http
