#include "registry/redis_registry.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "domain/display_name.hpp"
#include "domain/name_key.hpp"
#include "registry/redis_registry_lua.hpp"

namespace convene::registry {

using domain::ParticipantRole;
using redis::Reply;

namespace {

const redis::Script& RegistryScript() {
  static const redis::Script script{std::string(RedisRegistryLua())};
  return script;
}

// Never includes what Redis said: it may contain names, identities or the script's internals.
Error MalformedReply() { return Error::Internal("Participant registry returned an unexpected reply"); }

// Error replies that mean "this server cannot serve now" rather than "this call is wrong": a
// server loading its data, a replica after a fail-over, a script or master problem. They are as
// transient as a lost connection, so they get the same 503.
bool IsTransient(std::string_view error) {
  for (std::string_view prefix : {"LOADING", "READONLY", "MASTERDOWN", "BUSY", "TRYAGAIN", "OOM"}) {
    if (error.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

std::string Decimal(std::int64_t value) { return std::to_string(value); }
std::string Flag(bool value) { return value ? "1" : "0"; }

std::string JoinRoles(const std::vector<ParticipantRole>& roles) {
  std::string out;
  for (ParticipantRole role : roles) {
    if (!out.empty()) out += ',';
    out += domain::ToString(role);
  }
  return out;
}

template <class Int>
bool ParseInt(const Reply& reply, Int& out) {
  auto text = reply.Text();
  if (!text) return false;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
  return ec == std::errc() && end == text->data() + text->size();
}

bool ParseFlag(const Reply& reply, bool& out) {
  auto text = reply.Text();
  if (!text || (*text != "0" && *text != "1")) return false;
  out = *text == "1";
  return true;
}

bool ParseRole(std::string_view text, ParticipantRole& out) {
  auto role = domain::ParseParticipantRole(text);
  if (!role) return false;
  out = *role;
  return true;
}

// The script's `reply`: identity, name, roles (comma-separated), selected role, promoted, demoted,
// moderator secret holder, presence, reserved_at_ms, joined_at_ms, generation, created_generation,
// grant version, usable_until_ms.
Result<ParticipantRecord> DecodeRecord(const Reply& reply) {
  if (reply.type != Reply::Type::kArray || reply.elements.size() != 14) return Fail(MalformedReply());
  const auto& e = reply.elements;
  ParticipantRecord record;
  auto identity = e[0].Text();
  auto name = e[1].Text();
  auto roles = e[2].Text();
  auto selected = e[3].Text();
  auto presence = e[7].Text();
  if (!identity || !name || !roles || !selected || !presence) return Fail(MalformedReply());
  record.identity = std::string(*identity);
  record.name = std::string(*name);
  std::string_view rest = *roles;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    ParticipantRole role;
    if (!ParseRole(rest.substr(0, comma), role)) return Fail(MalformedReply());
    record.roles.push_back(role);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (*presence == "joined") {
    record.presence = Presence::kJoined;
  } else if (*presence == "reserved") {
    record.presence = Presence::kReserved;
  } else if (*presence == "departed") {
    record.presence = Presence::kDeparted;
  } else {
    return Fail(MalformedReply());
  }
  if (!ParseRole(*selected, record.selected_role) || !ParseFlag(e[4], record.promoted) ||
      !ParseFlag(e[5], record.demoted) || !ParseFlag(e[6], record.moderator_secret_holder) ||
      !ParseInt(e[8], record.reserved_at_ms) || !ParseInt(e[9], record.joined_at_ms) ||
      !ParseInt(e[10], record.generation) || !ParseInt(e[11], record.created_generation) ||
      !ParseInt(e[12], record.grant_version) || !ParseInt(e[13], record.usable_until_ms)) {
    return Fail(MalformedReply());
  }
  return record;
}

// The name keys `admit` needs after its other arguments (ARGV 14 onwards, see the script): Lua
// cannot normalize Unicode. The keys of shortened stems are sent only for names long enough to be
// shortened, one per suffix digit count.
void AppendNameKeys(std::vector<std::string>& args, const AdmissionRequest& request) {
  // The script's ARGV 15 and 16–25 (see admit() there).
  args.push_back(domain::NameKey(request.name));
  if (!domain::SuffixMayShorten(request.name)) return;
  for (int digits = 1; digits <= domain::kMaxSuffixDigits; ++digits) {
    args.push_back(domain::NameKey(domain::FitForSuffix(request.name, digits)));
  }
}

// The hash tag is the room id, so all keys of one room live in one Cluster slot.
std::string RoomKey(const std::string& prefix, std::string_view room_id, std::string_view part) {
  return fmt::format("{}{{{}}}:{}", prefix, room_id, part);
}

}  // namespace

RedisRegistry::RedisRegistry(redis::RedisClient& client, RedisRegistryOptions options)
    : client_(client),
      prefix_(std::move(options.key_prefix) + "reg:"),
      unknown_identity_retention_ms_(options.unknown_identity_retention_ms) {
  RegistryScript();  // hash the script now rather than on the first request
}

RedisRegistry::~RedisRegistry() = default;

boost::asio::awaitable<Result<Reply>> RedisRegistry::Run(std::string_view operation, std::string_view room_id,
                                                         std::vector<std::string> args) {
  // The order is the script's KEYS[1..9].
  std::vector<std::string> keys{RoomKey(prefix_, room_id, "p"),  RoomKey(prefix_, room_id, "n"),
                                RoomKey(prefix_, room_id, "b"),  RoomKey(prefix_, room_id, "hw"),
                                RoomKey(prefix_, room_id, "free"), prefix_ + "rooms",
                                prefix_ + "generation", RoomKey(prefix_, room_id, "id:"),
                                RoomKey(prefix_, room_id, "epoch")};
  args.insert(args.begin(), {std::string(operation), std::string(room_id)});
  Result<Reply> reply = co_await client_.Eval(RegistryScript(), std::move(keys), std::move(args));
  if (!reply) co_return reply;  // transport failure: the client's 503, passed through
  if (reply->IsError()) {
    if (IsTransient(reply->str)) {
      Error error = Error::Unavailable("Service Unavailable", "Participant registry temporarily unavailable");
      error.reason = "redis";
      co_return Fail(std::move(error));
    }
    // A Lua error is a bug here or data written by something else: keep the details in the log.
    spdlog::error("participant registry: '{}' failed in Redis: {}", operation, reply->str);
    co_return Fail(MalformedReply());
  }
  co_return reply;
}

boost::asio::awaitable<Result<bool>> RedisRegistry::RunFlag(std::string_view operation, std::string_view room_id,
                                                            std::vector<std::string> args) {
  Result<Reply> reply = co_await Run(operation, room_id, std::move(args));
  if (!reply) co_return Fail(std::move(reply.error()));
  if (reply->type != Reply::Type::kInteger || (reply->integer != 0 && reply->integer != 1)) {
    co_return Fail(MalformedReply());
  }
  co_return reply->integer == 1;
}

boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> RedisRegistry::RunRecord(
    std::string_view operation, std::string_view room_id, std::vector<std::string> args) {
  Result<Reply> reply = co_await Run(operation, room_id, std::move(args));
  if (!reply) co_return Fail(std::move(reply.error()));
  if (reply->IsNil()) co_return std::optional<ParticipantRecord>{};
  Result<ParticipantRecord> record = DecodeRecord(*reply);
  if (!record) co_return Fail(std::move(record.error()));
  co_return std::optional<ParticipantRecord>(std::move(*record));
}

boost::asio::awaitable<Result<ParticipantRecord>> RedisRegistry::Admit(AdmissionRequest request) {
  const bool refresh = request.mode == AdmissionRequest::Mode::kRefresh;
  if (refresh && !request.owned_identity) co_return Fail(Error::Internal("Refresh without an identity"));
  std::vector<std::string> args{
      refresh ? "refresh" : "generate",
      request.name,
      request.identity.value_or(""),
      request.owned_identity.value_or(""),
      Flag(request.identity.has_value()),
      Flag(request.owned_identity.has_value()),
      request.identity_suffix,
      std::string(domain::ToString(request.role)),
      Flag(request.role_from_grant),
      request.max_participants ? std::to_string(*request.max_participants) : "",
      Decimal(request.now_ms),
      Decimal(request.usable_until_ms)};
  AppendNameKeys(args, request);
  Result<Reply> reply = co_await Run("admit", request.room_id, std::move(args));
  if (!reply) co_return Fail(std::move(reply.error()));
  const auto& e = reply->elements;
  if (reply->type != Reply::Type::kArray || e.empty()) co_return Fail(MalformedReply());
  const auto outcome = e[0].Text();
  if (outcome == "ok" && e.size() == 2) co_return DecodeRecord(e[1]);
  if (outcome == "full") co_return Fail(RoomFull(request.room_id));
  // The refused identity is one the request named (owned or caller-supplied), never another one.
  if (e.size() == 2 && e[1].Text()) {
    if (outcome == "banned") co_return Fail(ParticipantBanned(request.room_id, *e[1].Text()));
    if (outcome == "taken") co_return Fail(IdentityTaken(request.room_id, *e[1].Text()));
  }
  co_return Fail(MalformedReply());
}

boost::asio::awaitable<Result<void>> RedisRegistry::Rollback(std::string_view room_id, std::string_view identity,
                                                             std::uint64_t generation) {
  std::vector<std::string> args{std::string(identity), std::to_string(generation)};
  Result<bool> done = co_await RunFlag("rollback", room_id, std::move(args));
  if (!done) co_return Fail(std::move(done.error()));
  co_return Result<void>{};
}

boost::asio::awaitable<Result<bool>> RedisRegistry::MarkJoined(std::string_view room_id, std::string_view identity,
                                                               std::string_view name, std::int64_t now_ms) {
  std::vector<std::string> args{std::string(identity), std::string(name), Decimal(now_ms),
                                Decimal(now_ms + unknown_identity_retention_ms_),
                                domain::NameKey(name.empty() ? identity : name), domain::NameKey(identity)};
  co_return co_await RunFlag("mark_joined", room_id, std::move(args));
}

boost::asio::awaitable<Result<bool>> RedisRegistry::MarkLeft(std::string_view room_id, std::string_view identity,
                                                             std::string_view name) {
  std::vector<std::string> args{std::string(identity), std::string(name)};
  co_return co_await RunFlag("mark_left", room_id, std::move(args));
}

boost::asio::awaitable<Result<void>> RedisRegistry::Ban(std::string_view room_id, std::string_view identity,
                                                        std::int64_t /*now_ms*/) {
  // The ban lives in the room's ban set until the meeting ends; Redis keeps it durable.
  std::vector<std::string> args{std::string(identity)};
  Result<bool> done = co_await RunFlag("ban", room_id, std::move(args));
  if (!done) co_return Fail(std::move(done.error()));
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> RedisRegistry::Unban(std::string_view room_id, std::string_view identity) {
  std::vector<std::string> args{std::string(identity)};
  Result<bool> done = co_await RunFlag("unban", room_id, std::move(args));
  if (!done) co_return Fail(std::move(done.error()));
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> RedisRegistry::RestoreRoles(std::string_view room_id,
                                                                 const ParticipantRecord& previous) {
  std::vector<std::string> args{previous.identity, JoinRoles(previous.roles),
                                std::string(domain::ToString(previous.selected_role)), Flag(previous.promoted),
                                Flag(previous.demoted)};
  Result<bool> done = co_await RunFlag("restore_roles", room_id, std::move(args));
  if (!done) co_return Fail(std::move(done.error()));
  co_return Result<void>{};
}

boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> RedisRegistry::SetRole(
    std::string_view room_id, std::string_view identity, ParticipantRole role) {
  std::vector<std::string> args{std::string(identity), std::string(domain::ToString(role))};
  co_return co_await RunRecord("set_role", room_id, std::move(args));
}

boost::asio::awaitable<Result<std::optional<ParticipantRecord>>> RedisRegistry::Get(std::string_view room_id,
                                                                                    std::string_view identity) {
  std::vector<std::string> args{std::string(identity)};
  co_return co_await RunRecord("get", room_id, std::move(args));
}

boost::asio::awaitable<Result<bool>> RedisRegistry::IsBanned(std::string_view room_id, std::string_view identity) {
  std::vector<std::string> args{std::string(identity)};
  co_return co_await RunFlag("banned", room_id, std::move(args));
}

boost::asio::awaitable<Result<std::vector<ParticipantRecord>>> RedisRegistry::List(std::string_view room_id) {
  Result<Reply> reply = co_await Run("list", room_id, {});
  if (!reply) co_return Fail(std::move(reply.error()));
  if (reply->type != Reply::Type::kArray) co_return Fail(MalformedReply());
  std::vector<ParticipantRecord> out;
  out.reserve(reply->elements.size());
  for (const Reply& element : reply->elements) {
    Result<ParticipantRecord> record = DecodeRecord(element);
    if (!record) co_return Fail(std::move(record.error()));
    out.push_back(std::move(*record));
  }
  std::sort(out.begin(), out.end(),
            [](const ParticipantRecord& a, const ParticipantRecord& b) { return a.identity < b.identity; });
  co_return out;
}

boost::asio::awaitable<Result<void>> RedisRegistry::FinishMeeting(std::string_view room_id,
                                                                  std::int64_t finished_at_ms) {
  std::vector<std::string> args{Decimal(finished_at_ms)};
  Result<bool> done = co_await RunFlag("finish_meeting", room_id, std::move(args));
  if (!done) co_return Fail(std::move(done.error()));
  co_return Result<void>{};
}

boost::asio::awaitable<Result<bool>> RedisRegistry::ReleaseStale(std::string_view room_id, std::string_view identity,
                                                                 std::int64_t reserved_before_ms) {
  std::vector<std::string> args{std::string(identity), Decimal(reserved_before_ms)};
  co_return co_await RunFlag("release_stale", room_id, std::move(args));
}

boost::asio::awaitable<Result<void>> RedisRegistry::ForgetRoom(std::string_view room_id) {
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<std::string> args{Decimal(now_ms + unknown_identity_retention_ms_)};
  Result<bool> done = co_await RunFlag("forget_room", room_id, std::move(args));
  if (!done) co_return Fail(std::move(done.error()));
  co_return Result<void>{};
}

boost::asio::awaitable<Result<void>> RedisRegistry::Prune(std::int64_t /*now_ms*/) {
  // Departed records are keys with PEXPIREAT at their usable_until: Redis drops them itself.
  co_return Result<void>{};
}

boost::asio::awaitable<Result<std::vector<std::string>>> RedisRegistry::Rooms() {
  std::vector<std::string> command{"SMEMBERS", prefix_ + "rooms"};
  Result<Reply> reply = co_await client_.Command(std::move(command));
  if (!reply) co_return Fail(std::move(reply.error()));
  if (reply->type != Reply::Type::kArray) co_return Fail(MalformedReply());
  std::vector<std::string> out;
  out.reserve(reply->elements.size());
  for (const Reply& element : reply->elements) {
    auto text = element.Text();
    if (!text) co_return Fail(MalformedReply());
    out.emplace_back(*text);
  }
  std::sort(out.begin(), out.end());
  co_return out;
}

}  // namespace convene::registry
