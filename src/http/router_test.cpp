#include "http/router.hpp"

#include <gtest/gtest.h>

namespace convene::http {
namespace {

Handler Noop() {
  return [](Request&) -> boost::asio::awaitable<Response> { co_return Response{}; };
}

TEST(Router, MatchesLiteralAndCapturesDecodedParams) {
  Router router;
  router.Add(Method::kGet, "/api/v1/rooms/{roomId}", Noop());
  router.Add(Method::kGet, "/api/v1/rooms/{roomId}/roles/{secret}", Noop());
  Request req;
  req.method = Method::kGet;
  req.path = "/api/v1/rooms/My%20Room/roles/ab%2Fc";
  const auto* route = router.Find(req);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->pattern, "/api/v1/rooms/{roomId}/roles/{secret}");
  EXPECT_EQ(req.Param("roomId"), "My Room");
  EXPECT_EQ(req.Param("secret"), "ab/c");
}

TEST(Router, MethodIsPartOfTheMatch) {
  Router router;
  router.Add(Method::kGet, "/api/v1/rooms", Noop());
  Request req;
  req.method = Method::kPatch;
  req.path = "/api/v1/rooms";
  EXPECT_EQ(router.Find(req), nullptr);
}

TEST(Router, ToleratesOneTrailingSlashButNotEmptySegments) {
  Router router;
  router.Add(Method::kGet, "/api/v1/rooms/{roomId}", Noop());
  Request req;
  req.method = Method::kGet;
  req.path = "/api/v1/rooms/abc/";
  EXPECT_NE(router.Find(req), nullptr);
  req.path = "/api/v1/rooms//";
  EXPECT_EQ(router.Find(req), nullptr);
}

TEST(Router, RejectsMalformedEscapes) {
  Router router;
  router.Add(Method::kGet, "/x/{id}", Noop());
  Request req;
  req.method = Method::kGet;
  for (const char* path : {"/x/%", "/x/%4", "/x/%zz"}) {
    req.path = path;
    EXPECT_EQ(router.Find(req), nullptr) << path;
  }
}

TEST(PercentDecode, PlusIsSpaceOnlyInQueries) {
  std::string out;
  ASSERT_TRUE(PercentDecode("a+b%21", true, out));
  EXPECT_EQ(out, "a b!");
  ASSERT_TRUE(PercentDecode("a+b", false, out));
  EXPECT_EQ(out, "a+b");
}

}  // namespace
}  // namespace convene::http

namespace convene::http {
namespace {

TEST(Router, LiteralSegmentsAreCaseInsensitiveAsInExpress) {
  Router router;
  router.Add(Method::kGet, "/api/v1/rooms/{roomId}", Noop());
  Request req;
  req.method = Method::kGet;
  req.path = "/API/V1/Rooms/AbC";
  ASSERT_NE(router.Find(req), nullptr);
  EXPECT_EQ(req.Param("roomId"), "AbC") << "captures keep their case";
}

TEST(Router, HeadFallsBackToGet) {
  Router router;
  router.Add(Method::kGet, "/health", Noop());
  Request req;
  req.method = Method::kHead;
  req.path = "/health";
  EXPECT_NE(router.Find(req), nullptr);
  req.method = Method::kPost;
  EXPECT_EQ(router.Find(req), nullptr);
}

}  // namespace
}  // namespace convene::http
