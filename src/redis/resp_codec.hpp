#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "redis/redis_reply.hpp"

// The RESP2 wire format, without any I/O (and without coroutines, so the fuzz target can compile
// it with clang 14's sanitizer coverage). Commands are encoded by hiredis
// (redisFormatCommandArgv). Replies are parsed here rather than by hiredis 0.14's redisReader:
// that reader builds a redisReply tree through its own allocator which would then be copied into
// Reply, caps nesting at a fixed depth, and its limits are not ours to set; this parser produces
// Reply directly, under the Limits below, and is fuzzed (fuzz/fuzz_resp_reply.cpp: any split of
// the bytes gives the same replies).

namespace convene::redis {

/// Appends `args` as one RESP2 command (an array of bulk strings) to `out`. Arguments are binary
/// safe. Precondition: `args` is not empty.
void AppendCommand(std::string& out, const std::vector<std::string>& args);

/// Incremental RESP2 reply parser: bytes are fed as they arrive, split anywhere, and complete
/// replies come out in order. Bounded: a bulk string, an unterminated line or the nesting depth
/// past its limit is a protocol error rather than an unbounded allocation.
class RespParser {
 public:
  struct Limits {
    std::size_t max_bulk = 512 * 1024 * 1024;  // Redis' own proto-max-bulk-len default
    std::size_t max_line = 1024 * 1024;        // a status, error or header line
    std::size_t max_depth = 32;                // nested arrays
  };

  RespParser() = default;
  explicit RespParser(Limits limits) : limits_(limits) {}

  void Feed(std::string_view bytes);

  /// The next complete reply, or nullopt when more bytes are needed. A protocol violation is an
  /// Error{kInternal} naming it; the parser then stays failed (the stream cannot be resynced).
  Result<std::optional<Reply>> Next();

  /// Bytes fed but not yet consumed by a complete reply.
  std::size_t Buffered() const { return buffer_.size() - pos_; }
  bool Failed() const { return failed_; }

 private:
  enum class Step { kNeedMore, kValue, kOpened };
  struct Frame {
    Reply array;
    std::size_t expected = 0;
  };

  Result<Step> ParseElement(Reply& out);
  Error Violation(std::string what);
  void Compact();

  Limits limits_;
  std::string buffer_;
  std::size_t pos_ = 0;        // first unconsumed byte
  std::size_t scan_from_ = 0;  // where the search for the current line's CRLF resumes
  std::vector<Frame> stack_;   // arrays being filled, innermost last
  bool failed_ = false;
  std::string failure_;
};

}  // namespace convene::redis
