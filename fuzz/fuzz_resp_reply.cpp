// libFuzzer target for the RESP2 reply parser and command encoder in src/redis/resp_codec.hpp
// (untrusted input: whatever answers on MEET_REDIS_HOST, or a sentinel, or a proxy in front).
//
// Input layout: the first byte picks a chunk size (1..64), the rest is the byte stream from the
// server. Invariants are checked with __builtin_trap() so that a violation is reported as a crash:
//   - nothing throws or crashes, and memory stays bounded by the limits, whatever the bytes;
//   - the stream parsed in one feed and fed in chunks gives the same replies and the same outcome
//     (complete, waiting for more, or a protocol error), so TCP segmentation cannot matter;
//   - the bulk strings found, encoded as a command and parsed back, come out unchanged.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "redis/resp_codec.hpp"

namespace {

using convene::redis::AppendCommand;
using convene::redis::Reply;
using convene::redis::RespParser;

void Check(bool condition) {
  if (!condition) {
    __builtin_trap();
  }
}

// Small limits, so the fuzzer reaches them.
RespParser::Limits FuzzLimits() {
  RespParser::Limits limits;
  limits.max_bulk = 4096;
  limits.max_line = 256;
  limits.max_depth = 8;
  return limits;
}

struct Outcome {
  std::vector<Reply> replies;
  bool failed = false;
  std::size_t buffered = 0;
};

void Drain(RespParser& parser, Outcome& outcome) {
  while (!outcome.failed) {
    auto next = parser.Next();
    if (!next) {
      outcome.failed = true;
      Check(!next.error().message.empty());
      return;
    }
    if (!*next) {
      return;
    }
    outcome.replies.push_back(std::move(**next));
  }
}

void CollectBulks(const Reply& reply, std::vector<std::string>& out) {
  if (reply.type == Reply::Type::kString) {
    out.push_back(reply.str);
  }
  for (const Reply& element : reply.elements) {
    CollectBulks(element, out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);

  Outcome whole;
  RespParser at_once(FuzzLimits());
  at_once.Feed(stream);
  Drain(at_once, whole);
  whole.buffered = at_once.Buffered();

  Outcome pieces;
  RespParser in_chunks(FuzzLimits());
  for (std::size_t at = 0; at < stream.size() && !pieces.failed; at += chunk) {
    in_chunks.Feed(stream.substr(at, chunk));
    Drain(in_chunks, pieces);
  }
  pieces.buffered = in_chunks.Buffered();

  Check(whole.failed == pieces.failed);
  Check(whole.replies == pieces.replies);
  if (!whole.failed) {
    Check(whole.buffered == pieces.buffered);
  }

  std::vector<std::string> bulks;
  for (const Reply& reply : whole.replies) {
    CollectBulks(reply, bulks);
  }
  if (!bulks.empty()) {
    std::string encoded;
    AppendCommand(encoded, bulks);
    RespParser parser;  // default limits: the command may be larger than the fuzz limits
    parser.Feed(encoded);
    auto parsed = parser.Next();
    Check(parsed.has_value() && parsed->has_value());
    const Reply& array = **parsed;
    Check(array.type == Reply::Type::kArray && array.elements.size() == bulks.size());
    for (std::size_t i = 0; i < bulks.size(); ++i) {
      Check(array.elements[i].type == Reply::Type::kString && array.elements[i].str == bulks[i]);
    }
    Check(parser.Buffered() == 0);
  }
  return 0;
}
