#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "redis/redis_client.hpp"
#include "registry/participant_registry.hpp"

namespace convene::registry {

struct RedisRegistryOptions {
  /// Prepended to every key. Must not contain '{' or '}': the room id is the keys' hash tag.
  std::string key_prefix = "convene:";
  /// How long the record of an identity learned from LiveKit (never issued a token here) is kept
  /// after it leaves: a participant token's lifetime plus the refresh grace by default.
  std::int64_t unknown_identity_retention_ms = (2 + 24) * 3600 * 1000LL;
};

/// The participant registry shared by every Convene instance using the same Redis: the state of a
/// room lives in keys sharing the hash tag `{<roomId>}`, and every operation is one EVALSHA of
/// redis_registry.lua, so it is one atomic step whichever instance runs it (two instances can never
/// hand out the same name). Behaves exactly like InProcessRegistry (registry_conformance_test.cpp).
///
/// Key layout, with P = key_prefix (see the script's header for the encodings):
///   P reg:{<room>}:p     hash   identity -> record (cjson)
///   P reg:{<room>}:n     hash   name key (domain::NameKey) -> identity
///   P reg:{<room>}:b     set    banned identities
///   P reg:{<room>}:hw    hash   suffix stem key -> highest `_N` handed out
///   P reg:{<room>}:free  zset   free `_N` below that mark, lowest first per stem
/// Name keys are Unicode NFKC_Casefold, which the script cannot compute: they are computed here
/// and passed with the operations that need them.
///   P reg:rooms          set    rooms with entries or bans (Rooms())
///   P reg:generation     string admission counter (record generations, for Rollback)
/// A room without entries or bans has no keys.
///
/// Errors: the domain errors of ParticipantRegistry; the client's kUnavailable (503) when Redis
/// cannot be reached, or answers that it cannot serve now (loading, read-only replica, busy);
/// Error::Internal for anything else (a malformed reply), without the reply's content.
class RedisRegistry final : public ParticipantRegistry {
 public:
  /// `client` must outlive the registry; it is shared with the rest of the process.
  explicit RedisRegistry(redis::RedisClient& client, RedisRegistryOptions options = {});
  ~RedisRegistry() override;

  boost::asio::awaitable<Result<ParticipantRecord>> Admit(AdmissionRequest request) override;
  boost::asio::awaitable<Result<void>> Rollback(std::string_view room_id, std::string_view identity,
                                                std::uint64_t generation) override;
  boost::asio::awaitable<Result<bool>> MarkJoined(std::string_view room_id, std::string_view identity,
                                                  std::string_view name, std::int64_t now_ms) override;
  boost::asio::awaitable<Result<bool>> MarkLeft(std::string_view room_id, std::string_view identity,
                                                std::string_view name) override;
  boost::asio::awaitable<Result<void>> Ban(std::string_view room_id, std::string_view identity,
                                           std::int64_t now_ms) override;
  boost::asio::awaitable<Result<void>> Unban(std::string_view room_id, std::string_view identity) override;
  boost::asio::awaitable<Result<void>> RestoreRoles(std::string_view room_id,
                                                    const ParticipantRecord& previous) override;
  boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> SetRole(
      std::string_view room_id, std::string_view identity, domain::ParticipantRole role) override;
  boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> Get(std::string_view room_id,
                                                                       std::string_view identity) override;
  boost::asio::awaitable<Result<bool>> IsBanned(std::string_view room_id, std::string_view identity) override;
  boost::asio::awaitable<Result<std::vector<ParticipantRecord>>> List(std::string_view room_id) override;
  boost::asio::awaitable<Result<void>> FinishMeeting(std::string_view room_id,
                                                     std::int64_t finished_at_ms) override;
  boost::asio::awaitable<Result<bool>> ReleaseStale(std::string_view room_id, std::string_view identity,
                                                    std::int64_t reserved_before_ms) override;
  boost::asio::awaitable<Result<std::vector<std::string>>> Rooms() override;
  boost::asio::awaitable<Result<void>> ForgetRoom(std::string_view room_id) override;
  boost::asio::awaitable<Result<void>> Prune(std::int64_t now_ms) override;

 private:
  /// Runs one operation of the script on `room_id`'s keys: ARGV = {operation, room id, args...}.
  /// Error replies are already turned into Errors here.
  boost::asio::awaitable<Result<redis::Reply>> Run(std::string_view operation, std::string_view room_id,
                                                   std::vector<std::string> args);
  /// Run() for operations whose reply is 0 or 1.
  boost::asio::awaitable<Result<bool>> RunFlag(std::string_view operation, std::string_view room_id,
                                               std::vector<std::string> args);
  /// Run() for operations whose reply is a record or nil.
  boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> RunRecord(std::string_view operation,
                                                                             std::string_view room_id,
                                                                             std::vector<std::string> args);

  redis::RedisClient& client_;
  std::string prefix_;  // key_prefix + "reg:"
  std::int64_t unknown_identity_retention_ms_;
};

}  // namespace convene::registry
