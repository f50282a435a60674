#include "http/forwarded.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace convene::http {
namespace {

Request WithHeaders(std::vector<std::pair<std::string, std::string>> headers) {
  Request request;
  request.headers = std::move(headers);
  return request;
}

TEST(ForwardedValue, OneTrustedHopTakesTheRightmostEntry) {
  // The client wrote "6.6.6.6"; the proxy appended the address it saw.
  const Request req = WithHeaders({{"x-forwarded-for", "6.6.6.6, 203.0.113.7"}});
  EXPECT_EQ(ForwardedValue(req, "x-forwarded-for", 1), "203.0.113.7");
}

TEST(ForwardedValue, MoreHopsCountFromTheRight) {
  const Request req = WithHeaders({{"x-forwarded-for", "6.6.6.6,203.0.113.7 , 10.0.0.2"}});
  EXPECT_EQ(ForwardedValue(req, "x-forwarded-for", 2), "203.0.113.7");
  EXPECT_EQ(ForwardedValue(req, "x-forwarded-for", 3), "6.6.6.6");
}

TEST(ForwardedValue, AShorterListYieldsItsLeftmostEntry) {
  const Request req = WithHeaders({{"x-forwarded-proto", "https"}});
  EXPECT_EQ(ForwardedValue(req, "x-forwarded-proto", 2), "https");
}

TEST(ForwardedValue, EveryHeaderLineIsPartOfTheList) {
  // A proxy that adds its own line instead of extending the client's must not be bypassed.
  const Request req = WithHeaders(
      {{"x-forwarded-for", "6.6.6.6"}, {"host", "h"}, {"x-forwarded-for", "203.0.113.7"}});
  EXPECT_EQ(ForwardedValue(req, "x-forwarded-for", 1), "203.0.113.7");
}

TEST(ForwardedValue, AbsentHeaderOrNoTrustedHopIsEmpty) {
  const Request req = WithHeaders({{"x-forwarded-for", "203.0.113.7"}});
  EXPECT_EQ(ForwardedValue(req, "x-forwarded-host", 1), "");
  EXPECT_EQ(ForwardedValue(req, "x-forwarded-for", 0), "");
  EXPECT_EQ(ForwardedValue(WithHeaders({{"x-forwarded-for", "a,"}}), "x-forwarded-for", 1), "");
}

}  // namespace
}  // namespace convene::http
