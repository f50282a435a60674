#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::coordination {

/// What changed, so that other instances drop what they cached about it.
enum class ChangeTopic {
  kSettings,      // global config, admin user or API keys (SettingsService's cache)
  kLiveKitRoom,   // a LiveKit room was deleted or created; subject = room id (LiveKitRooms' cache)
  kOutbox,        // outgoing webhooks were queued (wakes the delivery worker of the leader)
  kResync,        // changes may have been missed (the bus reconnected): drop every cache
  kApplied,       // an instance applied the change whose subject (a nonce) is given here
};

struct Change {
  ChangeTopic topic = ChangeTopic::kResync;
  std::string subject;  // e.g. a room id; empty when the topic says it all
};

/// Change notification between the instances of a deployment (issue 5). Best effort and
/// at-most-once: a change lost in transit is covered by kResync on reconnect and by the caches'
/// own expiry, never by correctness (the shared stores are the truth; caches only save reads).
class ChangeBus {
 public:
  using Handler = std::function<void(const Change&)>;
  virtual ~ChangeBus() = default;
  /// Tells the other instances (not this one). Never blocks, never fails the caller.
  virtual void Publish(Change change) = 0;
  /// Tells the other instances and returns how many received the message (for a writer that then
  /// waits for their kApplied answers). An error when it could not be sent. `change` must stay
  /// alive until the call completes.
  virtual boost::asio::awaitable<Result<std::size_t>> PublishCounted(const Change& change) = 0;
  /// Registers a handler for changes made by other instances. Call before the bus starts; the
  /// handler runs on an I/O thread and must not block.
  virtual void Subscribe(Handler handler) = 0;
};

/// One instance: nobody else to tell.
class NoPeers final : public ChangeBus {
 public:
  void Publish(Change) override {}
  boost::asio::awaitable<Result<std::size_t>> PublishCounted(const Change&) override { co_return std::size_t{0}; }
  void Subscribe(Handler) override {}
};

}  // namespace convene::coordination
