#include "redis/resp_codec.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "redis/redis_client.hpp"

namespace convene::redis {
namespace {

Reply Bulk(std::string s) { return Reply{Reply::Type::kString, std::move(s), 0, {}}; }
Reply Status(std::string s) { return Reply{Reply::Type::kStatus, std::move(s), 0, {}}; }
Reply ErrorReply(std::string s) { return Reply{Reply::Type::kError, std::move(s), 0, {}}; }
Reply Int(std::int64_t v) { return Reply{Reply::Type::kInteger, {}, v, {}}; }
Reply Nil() { return Reply{}; }
Reply Array(std::vector<Reply> elements) {
  return Reply{Reply::Type::kArray, {}, 0, std::move(elements)};
}

// Every reply the stream holds, fed in pieces of `chunk` bytes.
std::vector<Reply> ParseAll(const std::string& stream, std::size_t chunk) {
  RespParser parser;
  std::vector<Reply> out;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    parser.Feed(std::string_view(stream).substr(at, chunk));
    while (true) {
      auto next = parser.Next();
      EXPECT_TRUE(next.has_value()) << next.error().message;
      if (!next || !*next) break;
      out.push_back(std::move(**next));
    }
  }
  EXPECT_EQ(parser.Buffered(), 0u);
  return out;
}

const std::string kStream =
    "+OK\r\n-ERR wrong type\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
    "*3\r\n$3\r\nfoo\r\n*2\r\n:1\r\n$-1\r\n*1\r\n*1\r\n+deep\r\n$4\r\na\r\nb\r\n";

const std::vector<Reply> kExpected{
    Status("OK"), ErrorReply("ERR wrong type"), Int(42), Int(-7), Bulk("hello"), Bulk(""), Nil(),
    Nil(), Array({}),
    Array({Bulk("foo"), Array({Int(1), Nil()}), Array({Array({Status("deep")})})}),
    Bulk("a\r\nb")};

TEST(RespParser, ParsesEveryTypeInOneFeed) {
  EXPECT_EQ(ParseAll(kStream, kStream.size()), kExpected);
}

TEST(RespParser, ParsesTheSameWhateverTheSplit) {
  for (std::size_t chunk = 1; chunk <= 17; ++chunk) {
    EXPECT_EQ(ParseAll(kStream, chunk), kExpected) << "chunk " << chunk;
  }
}

TEST(RespParser, SplitAtEveryPositionIntoTwoFeeds) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    RespParser parser;
    parser.Feed(std::string_view(kStream).substr(0, cut));
    std::vector<Reply> out;
    auto drain = [&] {
      while (true) {
        auto next = parser.Next();
        ASSERT_TRUE(next.has_value());
        if (!*next) return;
        out.push_back(std::move(**next));
      }
    };
    drain();
    parser.Feed(std::string_view(kStream).substr(cut));
    drain();
    EXPECT_EQ(out, kExpected) << "cut at " << cut;
  }
}

TEST(RespParser, LargeBulkInManyPieces) {
  const std::string payload(1 << 20, 'x');
  const std::string stream = "$" + std::to_string(payload.size()) + "\r\n" + payload + "\r\n:1\r\n";
  const auto replies = ParseAll(stream, 1000);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].str, payload);
  EXPECT_EQ(replies[1], Int(1));
}

TEST(RespParser, RejectsProtocolViolations) {
  for (const std::string bad : {"?x\r\n", ":12a\r\n", ":\r\n", "$-2\r\n", "$3\r\nabcd\r\n",
                                "*-5\r\n", "\r\n", "$99999999999999999999\r\n",
                                ":99999999999999999999\r\n"}) {
    RespParser parser;
    parser.Feed(bad);
    auto next = parser.Next();
    EXPECT_FALSE(next.has_value()) << bad;
    EXPECT_TRUE(parser.Failed());
    // Stays failed: nothing after a violation can be trusted.
    parser.Feed("+OK\r\n");
    EXPECT_FALSE(parser.Next().has_value());
  }
}

TEST(RespParser, BoundsLinesBulksAndDepth) {
  RespParser::Limits limits;
  limits.max_line = 16;
  limits.max_bulk = 8;
  limits.max_depth = 3;
  {
    RespParser parser(limits);
    parser.Feed(std::string(20, 'a'));  // no CRLF yet, already too long
    EXPECT_FALSE(parser.Next().has_value());
  }
  {
    RespParser parser(limits);
    parser.Feed("$9\r\n");
    EXPECT_FALSE(parser.Next().has_value());
  }
  {
    RespParser parser(limits);
    parser.Feed("*1\r\n*1\r\n*1\r\n:1\r\n");
    auto ok = parser.Next();
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(**ok, Array({Array({Array({Int(1)})})}));
    parser.Feed("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n");
    EXPECT_FALSE(parser.Next().has_value());
  }
}

// Found by fuzz_resp_reply: a line exactly at the limit was refused when its CR arrived without
// its LF, and accepted when both came together.
TEST(RespParser, LineLimitDoesNotDependOnTheSplit) {
  RespParser::Limits limits;
  limits.max_line = 8;
  const std::string line = "+1234567\r\n";  // 8 bytes before CRLF
  for (std::size_t cut = 0; cut <= line.size(); ++cut) {
    RespParser parser(limits);
    parser.Feed(line.substr(0, cut));
    auto first = parser.Next();
    ASSERT_TRUE(first.has_value()) << "cut at " << cut;
    parser.Feed(line.substr(cut));
    auto next = parser.Next();
    ASSERT_TRUE(next.has_value()) << "cut at " << cut;
    ASSERT_TRUE(first->has_value() || next->has_value()) << "cut at " << cut;
  }
  RespParser parser(limits);
  parser.Feed("+12345678\r");  // 9 bytes: too long whatever follows
  EXPECT_FALSE(parser.Next().has_value());
}

TEST(RespParser, HugeArrayCountDoesNotAllocateUpFront) {
  RespParser parser;
  parser.Feed("*2147483647\r\n:1\r\n");
  auto next = parser.Next();
  ASSERT_TRUE(next.has_value());
  EXPECT_FALSE(next->has_value());  // waits for the rest
}

TEST(AppendCommand, EncodesBinarySafeBulkStrings) {
  std::string out;
  AppendCommand(out, {"SET", "k", std::string("a\0\r\nb", 5)});
  using namespace std::string_literals;
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\0\r\nb\r\n"s);
  AppendCommand(out, {"GET", ""});
  EXPECT_TRUE(out.ends_with("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"));
}

TEST(AppendCommand, ManyArgumentsRoundTripThroughTheParser) {
  std::vector<std::string> args;
  for (int i = 0; i < 100; ++i) args.push_back("arg" + std::to_string(i));
  std::string out;
  AppendCommand(out, args);
  std::vector<Reply> expected;
  for (const auto& arg : args) expected.push_back(Bulk(arg));
  EXPECT_EQ(ParseAll(out, 7), std::vector<Reply>{Array(expected)});
}

TEST(Reply, TextAndInteger) {
  EXPECT_EQ(Bulk("12").Integer(), 12);
  EXPECT_EQ(Bulk("-3").Integer(), -3);
  EXPECT_EQ(Bulk("1x").Integer(), std::nullopt);
  EXPECT_EQ(Bulk("").Integer(), std::nullopt);
  EXPECT_EQ(Int(5).Integer(), 5);
  EXPECT_EQ(Status("5").Integer(), std::nullopt);
  EXPECT_EQ(Status("OK").Text(), "OK");
  EXPECT_EQ(Bulk("v").Text(), "v");
  EXPECT_EQ(Nil().Text(), std::nullopt);
  EXPECT_EQ(ErrorReply("ERR x").Text(), std::nullopt);
  EXPECT_TRUE(Nil().IsNil());
  EXPECT_TRUE(ErrorReply("ERR").IsError());
}

TEST(Script, Sha1IsLowerCaseHex) {
  // `echo -n 'return 1' | sha1sum`
  EXPECT_EQ(Script("return 1").Sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(Script("").Sha1(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Script("return 1").Source(), "return 1");
}

}  // namespace
}  // namespace convene::redis
