#include "http/request_body.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "http/router.hpp"

namespace convene::http {
namespace {

bool ContentTypeIs(std::string_view header, std::string_view type) {
  // Media types are case-insensitive; parameters such as charset follow a ';'.
  header = header.substr(0, header.find(';'));
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  if (header.size() != type.size()) return false;
  for (std::size_t i = 0; i < type.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != type[i]) return false;
  }
  return true;
}

Error MalformedBody() { return Error::Make(ErrorCode::kInvalidArgument, "Bad Request", "Malformed body"); }

}  // namespace

Result<boost::json::value> ParseBody(const Request& request) {
  const std::string_view content_type = request.Header("content-type");
  if (ContentTypeIs(content_type, "application/json")) {
    if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) return boost::json::object{};
    boost::json::parse_options options;
    options.max_depth = 64;  // deeply nested input is rejected instead of recursing further
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(request.body, ec, {}, options);
    if (ec) return Fail(MalformedBody());
    // body-parser's strict mode accepts only objects and arrays at the top level.
    if (!value.is_object() && !value.is_array()) return Fail(MalformedBody());
    return value;
  }
  if (ContentTypeIs(content_type, "application/x-www-form-urlencoded")) {
    boost::json::object form;
    std::string_view rest = request.body;
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const auto eq = pair.find('=');
      std::string key, value;
      if (!PercentDecode(pair.substr(0, eq), true, key)) return Fail(MalformedBody());
      if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), true, value)) {
        return Fail(MalformedBody());
      }
      form[key] = value;
    }
    return boost::json::value(std::move(form));
  }
  return boost::json::object{};
}

}  // namespace convene::http
