// libFuzzer target for everything Convene parses out of an HTTP request: JSON bodies of every
// route (through the same body reader the handlers use), query strings, path parameters and
// cookies. The first byte picks the content type; the rest is the body or the query/path text.
// Each parser must return a value or a clean error, never crash, hang or allocate unboundedly.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/participant_dto.hpp"
#include "api/room_dto.hpp"
#include "http/request.hpp"
#include "http/request_body.hpp"
#include "http/router.hpp"

namespace {

using convene::http::QueryParam;
using convene::http::QueryParams;

QueryParams SplitQuery(std::string_view text) {
  QueryParams out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    const auto eq = pair.find('=');
    QueryParam p;
    convene::http::PercentDecode(pair.substr(0, eq), true, p.key);
    if (eq != std::string_view::npos) convene::http::PercentDecode(pair.substr(eq + 1), true, p.value);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  constexpr std::int64_t kNow = 1'760'000'000'000;

  convene::http::Request request;
  request.headers.emplace_back("content-type", (data[0] & 1) != 0 ? "application/json"
                                                                   : "application/x-www-form-urlencoded");
  request.headers.emplace_back("cookie", std::string(input));
  request.body = std::string(input);
  if (auto body = convene::http::ParseBody(request)) {
    (void)convene::api::ParseCreateRoomRequest(*body, kNow, 3'600'000);
    (void)convene::api::ParseRoomConfigBody(*body);
    (void)convene::api::ParseRoomStatusBody(*body);
    (void)convene::api::ParseParticipantTokenRequest(*body);
    (void)convene::api::ParseRoleBody(*body);
  }
  (void)request.Cookie("OvMeetParticipantToken");

  const QueryParams query = SplitQuery(input);
  (void)convene::api::ParseListRoomsQuery(query);
  (void)convene::api::ParseFieldsQuery(query);
  (void)convene::api::ParseDeleteRoomQuery(query);
  (void)convene::api::ParseBulkDeleteRoomsQuery(query);
  (void)convene::api::ParseRoomIdParam(input);
  (void)convene::api::DecodePageToken(input, "");

  static const convene::http::Router router = [] {
    convene::http::Router r;
    auto noop = [](convene::http::Request&) -> boost::asio::awaitable<convene::http::Response> {
      co_return convene::http::Response{};
    };
    r.Add(convene::http::Method::kGet, "/api/v1/rooms/{roomId}", noop);
    r.Add(convene::http::Method::kGet, "/internal-api/v1/rooms/{roomId}/roles/{secret}", noop);
    return r;
  }();
  convene::http::Request routed;
  routed.method = convene::http::Method::kGet;
  routed.path = std::string(input);
  (void)router.Find(routed);
  return 0;
}
