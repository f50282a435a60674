#pragma once

#include <string>
#include <vector>

namespace convene::http {

/// One decoded query-string parameter. Query parameters arrive as a multimap: a repeated key is an
/// array for validation purposes (zod: "Expected string, received array").
struct QueryParam {
  std::string key;
  std::string value;
};
using QueryParams = std::vector<QueryParam>;

}  // namespace convene::http
