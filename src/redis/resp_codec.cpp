#include "redis/resp_codec.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <new>
#include <utility>

namespace convene::redis {

namespace {

// hiredis takes argv as parallel C arrays; most commands have few arguments, so those live on the
// stack.
constexpr std::size_t kInlineArgs = 16;

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

void AppendCommand(std::string& out, const std::vector<std::string>& args) {
  const char* inline_argv[kInlineArgs];
  std::size_t inline_len[kInlineArgs];
  std::vector<const char*> heap_argv;
  std::vector<std::size_t> heap_len;
  const char** argv = inline_argv;
  std::size_t* argvlen = inline_len;
  if (args.size() > kInlineArgs) {
    heap_argv.resize(args.size());
    heap_len.resize(args.size());
    argv = heap_argv.data();
    argvlen = heap_len.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    argvlen[i] = args[i].size();
  }
  char* command = nullptr;
  const int length =
      redisFormatCommandArgv(&command, static_cast<int>(args.size()), argv, argvlen);
  if (length < 0 || command == nullptr) {
    // hiredis fails only when malloc does.
    throw std::bad_alloc();
  }
  out.append(command, static_cast<std::size_t>(length));
  redisFreeCommand(command);
}

void RespParser::Feed(std::string_view bytes) {
  if (!failed_) {
    buffer_.append(bytes);
  }
}

Error RespParser::Violation(std::string what) {
  failed_ = true;
  failure_ = "RESP protocol error: " + std::move(what);
  stack_.clear();
  buffer_.clear();
  pos_ = 0;
  scan_from_ = 0;
  return Error::Internal(failure_);
}

void RespParser::Compact() {
  // Drop consumed bytes once they are the larger part, so the buffer stays proportional to what
  // is pending and the erase cost is amortised.
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    scan_from_ = 0;
    pos_ = 0;
  } else if (pos_ >= 4096 && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    scan_from_ -= std::min(scan_from_, pos_);
    pos_ = 0;
  }
}

Result<RespParser::Step> RespParser::ParseElement(Reply& out) {
  const std::size_t search = std::max(pos_, scan_from_);
  const std::size_t crlf = buffer_.find("\r\n", search);
  if (crlf == std::string::npos) {
    // The line is at least this long; a last CR may be the start of its terminator. Counting the
    // same way as below keeps the verdict independent of how the bytes were split.
    const std::size_t known = buffer_.size() - pos_ - (buffer_.ends_with('\r') ? 1 : 0);
    if (known > limits_.max_line) {
      return Fail(Violation("line longer than " + std::to_string(limits_.max_line) + " bytes"));
    }
    // A CR may be the last byte, with its LF still to come.
    scan_from_ = buffer_.empty() ? 0 : buffer_.size() - 1;
    return Step::kNeedMore;
  }
  scan_from_ = 0;
  if (crlf - pos_ > limits_.max_line) {
    return Fail(Violation("line longer than " + std::to_string(limits_.max_line) + " bytes"));
  }
  if (crlf == pos_) {
    return Fail(Violation("empty line"));
  }
  const char type = buffer_[pos_];
  const std::string_view body(buffer_.data() + pos_ + 1, crlf - pos_ - 1);
  const std::size_t after_line = crlf + 2;

  switch (type) {
    case '+':
    case '-':
      out.type = type == '+' ? Reply::Type::kStatus : Reply::Type::kError;
      out.str.assign(body);
      pos_ = after_line;
      return Step::kValue;
    case ':': {
      auto value = ParseInt(body);
      if (!value) {
        return Fail(Violation("bad integer"));
      }
      out.type = Reply::Type::kInteger;
      out.integer = *value;
      pos_ = after_line;
      return Step::kValue;
    }
    case '$': {
      auto length = ParseInt(body);
      if (!length || *length < -1) {
        return Fail(Violation("bad bulk length"));
      }
      if (*length == -1) {
        out.type = Reply::Type::kNil;
        pos_ = after_line;
        return Step::kValue;
      }
      const auto size = static_cast<std::size_t>(*length);
      if (size > limits_.max_bulk) {
        return Fail(Violation("bulk string of " + std::to_string(size) + " bytes"));
      }
      // Not consumed until the whole payload is here: the header is re-read next time, which
      // costs a few bytes, not a copy of the payload.
      if (buffer_.size() - after_line < size + 2) {
        return Step::kNeedMore;
      }
      if (buffer_[after_line + size] != '\r' || buffer_[after_line + size + 1] != '\n') {
        return Fail(Violation("bulk string not followed by CRLF"));
      }
      out.type = Reply::Type::kString;
      out.str.assign(buffer_, after_line, size);
      pos_ = after_line + size + 2;
      return Step::kValue;
    }
    case '*': {
      auto count = ParseInt(body);
      if (!count || *count < -1) {
        return Fail(Violation("bad array length"));
      }
      pos_ = after_line;
      if (*count == -1) {
        out.type = Reply::Type::kNil;
        return Step::kValue;
      }
      out.type = Reply::Type::kArray;
      if (*count == 0) {
        return Step::kValue;
      }
      if (stack_.size() >= limits_.max_depth) {
        return Fail(Violation("arrays nested deeper than " + std::to_string(limits_.max_depth)));
      }
      Frame frame;
      frame.array.type = Reply::Type::kArray;
      frame.expected = static_cast<std::size_t>(*count);
      // The count is the peer's claim: reserve only what a small reply needs.
      frame.array.elements.reserve(std::min<std::size_t>(frame.expected, 1024));
      stack_.push_back(std::move(frame));
      return Step::kOpened;
    }
    default:
      return Fail(
          Violation("unexpected type byte " + std::to_string(static_cast<unsigned char>(type))));
  }
}

Result<std::optional<Reply>> RespParser::Next() {
  if (failed_) {
    return Fail(Error::Internal(failure_));
  }
  while (true) {
    Reply value;
    auto step = ParseElement(value);
    if (!step) {
      return Fail(std::move(step.error()));
    }
    if (*step == Step::kNeedMore) {
      Compact();
      return std::optional<Reply>();
    }
    if (*step == Step::kOpened) {
      continue;
    }
    // A complete value closes every array it completes.
    while (true) {
      if (stack_.empty()) {
        Compact();
        return std::optional<Reply>(std::move(value));
      }
      Frame& top = stack_.back();
      top.array.elements.push_back(std::move(value));
      if (top.array.elements.size() < top.expected) {
        break;
      }
      value = std::move(top.array);
      stack_.pop_back();
    }
  }
}

}  // namespace convene::redis
