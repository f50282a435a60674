#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace convene::livekit {

/// LiveKit `Room` (livekit.md §3.1), the fields Convene uses.
struct Room {
  std::string sid;
  std::string name;
  std::string metadata;
  std::uint32_t empty_timeout = 0;
  std::uint32_t departure_timeout = 0;
  std::uint32_t max_participants = 0;
  std::uint32_t num_participants = 0;
  std::int64_t creation_time = 0;  // seconds
};

/// LiveKit `ParticipantInfo` (livekit.md §3.2), the fields Convene uses.
struct Participant {
  std::string sid;
  std::string identity;
  std::string name;
  std::string metadata;
  std::string state;  // "JOINING" | "JOINED" | "ACTIVE" | "DISCONNECTED"
  std::string kind;   // "STANDARD" | "EGRESS" | ...
  std::int64_t joined_at = 0;  // seconds
  bool recorder = false;       // permission.recorder
  /// The reference's isEgressParticipant: identity starts with "EG_" and permission.recorder.
  bool IsEgress() const { return identity.rfind("EG_", 0) == 0 && recorder; }
};

struct CreateRoomOptions {
  std::string name;
  std::string metadata;
  std::optional<std::uint32_t> empty_timeout;
  std::optional<std::uint32_t> departure_timeout;
  std::optional<std::uint32_t> max_participants;
};

struct SendDataOptions {
  std::optional<std::string> topic;
  std::vector<std::string> destination_identities;
  std::vector<std::string> destination_sids;
};

/// LiveKit's Twirp RoomService as Convene uses it (reference §15, livekit.md §2).
///
/// Errors (Error::reason tells callers what happened; `name`/`message` are safe to show):
///  - `twirp:<code>` for a Twirp error answer, with ErrorCode mapped: not_found → kNotFound,
///    invalid_argument/malformed/out_of_range → kInvalidArgument, unauthenticated →
///    kUnauthenticated, permission_denied → kPermissionDenied, already_exists → kAlreadyExists,
///    failed_precondition → kFailedPrecondition, resource_exhausted → kResourceExhausted,
///    unavailable → kUnavailable, everything else → kInternal;
///  - `transport` (refused, reset, DNS, TLS) and `deadline` (no answer in time): kUnavailable with
///    name "LiveKit Error" and message "LiveKit is not available".
/// A plain-text 401 from LiveKit's auth middleware is `twirp:unauthenticated`.
class RoomServiceClient {
 public:
  virtual ~RoomServiceClient() = default;

  virtual boost::asio::awaitable<Result<Room>> CreateRoom(const CreateRoomOptions& options) = 0;
  /// Empty `names` lists every room; names not found are simply absent.
  virtual boost::asio::awaitable<Result<std::vector<Room>>> ListRooms(std::vector<std::string> names) = 0;
  virtual boost::asio::awaitable<Result<void>> DeleteRoom(std::string_view room) = 0;
  /// An unknown room yields an empty list (LiveKit OSS semantics).
  virtual boost::asio::awaitable<Result<std::vector<Participant>>> ListParticipants(std::string_view room) = 0;
  virtual boost::asio::awaitable<Result<Participant>> GetParticipant(std::string_view room,
                                                                     std::string_view identity) = 0;
  virtual boost::asio::awaitable<Result<void>> RemoveParticipant(std::string_view room,
                                                                 std::string_view identity) = 0;
  /// Sends only `metadata`; never `permission` (it would replace every flag) nor `name`.
  virtual boost::asio::awaitable<Result<Participant>> UpdateParticipantMetadata(
      std::string_view room, std::string_view identity, std::string_view metadata) = 0;
  /// RELIABLE data packet with a fresh random 16-byte nonce.
  virtual boost::asio::awaitable<Result<void>> SendData(std::string_view room, std::string_view payload,
                                                        const SendDataOptions& options) = 0;
  virtual boost::asio::awaitable<Result<Room>> UpdateRoomMetadata(std::string_view room,
                                                                  std::string_view metadata) = 0;
};

using RoomServiceClientPtr = std::unique_ptr<RoomServiceClient>;

struct RoomServiceClientOptions {
  std::string base_url;  // LIVEKIT_URL_PRIVATE converted with HttpBaseUrl()
  std::string api_key;
  std::string api_secret;
  /// Deadline of one whole call, retries and their back-off included (LIVEKIT_TIMEOUT). LiveKit
  /// unreachable must become 503 quickly, never a hang.
  std::chrono::milliseconds timeout{5000};
  /// Extra attempts after a transport failure, a deadline or a Twirp `unavailable`, only for
  /// idempotent methods (CreateRoom — LiveKit returns the existing room —, ListRooms,
  /// ListParticipants, GetParticipant, DeleteRoom, UpdateRoomMetadata, UpdateParticipantMetadata),
  /// after a jittered backoff of at most 200 ms, while the call's deadline leaves time for one.
  /// RemoveParticipant and SendData are never retried.
  /// A DeleteRoom retry that finds the room gone after an attempt with an unknown outcome succeeds.
  int max_retries = 1;
};

/// ws:// → http://, wss:// → https:// (http(s) kept); trailing '/' removed.
std::string HttpBaseUrl(std::string_view livekit_url);

}  // namespace convene::livekit

namespace convene {
class Clock;
class Random;
namespace clients {
class HttpClient;
}
}  // namespace convene

namespace convene::livekit {

/// The production client: Twirp JSON over `http`, a server-API token minted per call with exactly
/// the grant the method needs (roomCreate / roomList / roomAdmin + room), TTL 10 minutes.
RoomServiceClientPtr MakeRoomServiceClient(clients::HttpClient& http, const Clock& clock, Random& random,
                                           RoomServiceClientOptions options);

}  // namespace convene::livekit
