#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::service {

/// The seam between rooms and recordings. Deletion policies (reference §7) ask whether a room has
/// recordings and delete them with the room. Until Convene records, NoRecordings is the real
/// answer (convene-deviations §10): rooms never have recordings.
class RecordingsCatalog {
 public:
  virtual ~RecordingsCatalog() = default;
  virtual boost::asio::awaitable<Result<bool>> HasRecordings(std::string_view room_id) = 0;
  virtual boost::asio::awaitable<Result<void>> DeleteAllForRoom(std::string_view room_id) = 0;
};

class NoRecordings final : public RecordingsCatalog {
 public:
  boost::asio::awaitable<Result<bool>> HasRecordings(std::string_view) override { co_return false; }
  boost::asio::awaitable<Result<void>> DeleteAllForRoom(std::string_view) override { co_return Result<void>{}; }
};

}  // namespace convene::service
