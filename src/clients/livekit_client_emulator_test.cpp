// End-to-end tests of the LiveKit RoomService client (and the HTTP client under it) against the
// LiveKit emulator in tests/livekit-emulator, run as a Node.js subprocess. The emulator decodes
// requests strictly (unknown fields, wrong types and bad base64 are errors), so every successful
// call here also proves the request bodies are valid protobuf JSON.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "clients/http_client.hpp"
#include "clients/livekit_client.hpp"
#include "core/clock.hpp"
#include "core/random.hpp"
#include "crypto/hmac.hpp"
#include "crypto/jwt.hpp"

#ifndef CONVENE_SOURCE_DIR
#error "CONVENE_SOURCE_DIR must name the repository root"
#endif

namespace convene::livekit {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kApiKey[] = "devkey";
constexpr char kApiSecret[] = "secret";

std::string EmulatorDir() { return std::string(CONVENE_SOURCE_DIR) + "/tests/livekit-emulator"; }

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::optional<std::string> FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

// The emulator as a child process; dies with the test binary (PDEATHSIG) even on a crash.
class EmulatorProcess {
 public:
  ~EmulatorProcess() { Stop(); }

  // Empty on success, else why it could not start.
  std::string Start(const std::string& node) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
      return "pipe failed";
    }
    const std::string script = EmulatorDir() + "/server.js";
    const pid_t pid = ::fork();
    if (pid < 0) {
      return "fork failed";
    }
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      const char* argv[] = {node.c_str(), script.c_str(), "--port",   "0",    "--api-key",
                            kApiKey,      "--api-secret", kApiSecret, nullptr};
      ::execv(node.c_str(), const_cast<char* const*>(argv));
      ::_exit(127);
    }
    pid_ = pid;
    ::close(out[1]);
    stdout_fd_ = out[0];

    // Wait (bounded) for the one line "LIVEKIT_EMULATOR_LISTENING <port>".
    std::string text;
    const auto deadline = SteadyClock::now() + std::chrono::seconds(20);
    while (text.find('\n') == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()).count();
      if (left <= 0) {
        return "no LIVEKIT_EMULATOR_LISTENING line within 20 s";
      }
      pollfd pfd{stdout_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) {
        continue;
      }
      char buffer[256];
      const ssize_t n = ::read(stdout_fd_, buffer, sizeof buffer);
      if (n <= 0) {
        return "emulator exited before listening (see its stderr above)";
      }
      text.append(buffer, static_cast<std::size_t>(n));
    }
    constexpr std::string_view kPrefix = "LIVEKIT_EMULATOR_LISTENING ";
    const std::size_t at = text.find(kPrefix);
    if (at == std::string::npos) {
      return "unexpected emulator output: " + text;
    }
    port_ = std::atoi(text.c_str() + at + kPrefix.size());
    return port_ > 0 ? "" : "bad port in: " + text;
  }

  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      bool reaped = false;
      for (int i = 0; i < 300 && !reaped; ++i) {  // up to 3 s for a clean exit
        reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
        if (!reaped) {
          std::this_thread::sleep_for(milliseconds(10));
        }
      }
      if (!reaped) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
      pid_ = -1;
    }
    if (stdout_fd_ >= 0) {
      ::close(stdout_fd_);
      stdout_fd_ = -1;
    }
  }

  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
};

class LiveKitEmulatorTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::optional<std::string> node = FindOnPath("node");
    if (!node) {
      skip_reason_ =
          new std::string("`node` is not installed; the LiveKit emulator tests need Node.js >= 20");
      return;
    }
    if (!IsDirectory(EmulatorDir() + "/node_modules")) {
      skip_reason_ = new std::string(
          "tests/livekit-emulator/node_modules is missing; run `npm ci` in " + EmulatorDir());
      return;
    }
    emulator_ = new EmulatorProcess();
    start_error_ = new std::string(emulator_->Start(*node));
  }

  static void TearDownTestSuite() {
    delete emulator_;  // stops the process
    emulator_ = nullptr;
    delete skip_reason_;
    skip_reason_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) {
      GTEST_SKIP() << *skip_reason_;
    }
    ASSERT_TRUE(start_error_ != nullptr && start_error_->empty())
        << "LiveKit emulator did not start: " << (start_error_ ? *start_error_ : "");
    base_url_ = "http://127.0.0.1:" + std::to_string(emulator_->port());
    http_ = clients::MakeHttpClient(ioc_);
    ASSERT_TRUE(TestApi("POST", "reset").is_object());
    client_ = MakeClient();
  }

  RoomServiceClientPtr MakeClient(milliseconds timeout = milliseconds(3000), int max_retries = 1,
                                  std::string secret = kApiSecret) {
    RoomServiceClientOptions options;
    // The emulator only listens on 127.0.0.1; the ws:// form is what LIVEKIT_URL_PRIVATE holds.
    options.base_url = HttpBaseUrl("ws://127.0.0.1:" + std::to_string(emulator_->port()) + "/");
    options.api_key = kApiKey;
    options.api_secret = std::move(secret);
    options.timeout = timeout;
    options.max_retries = max_retries;
    return MakeRoomServiceClient(*http_, clock_, random_, std::move(options));
  }

  template <class T>
  T Run(asio::awaitable<T> awaitable) {
    std::optional<T> out;
    asio::co_spawn(ioc_, std::move(awaitable), [&](std::exception_ptr e, T value) {
      if (e) {
        std::rethrow_exception(e);
      }
      out.emplace(std::move(value));
    });
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(20));
    if (!out) {
      ADD_FAILURE() << "coroutine did not finish within 20 s";
      throw std::runtime_error("timed out");
    }
    return std::move(*out);
  }

  // Calls a /_test/ route; returns the parsed answer (null on failure, with a test failure).
  json::value TestApi(const std::string& method, const std::string& route,
                      const std::optional<json::value>& body = std::nullopt,
                      int expected_status = 200) {
    clients::HttpRequest request;
    request.method = method;
    request.url = base_url_ + "/_test/" + route;
    if (body) {
      request.headers.emplace_back("Content-Type", "application/json");
      request.body = json::serialize(*body);
    }
    const Result<clients::HttpResponse> response = Run(http_->Send(std::move(request)));
    if (!response) {
      ADD_FAILURE() << route << ": " << response.error().message;
      return nullptr;
    }
    EXPECT_EQ(response->status, expected_status) << route << ": " << response->body;
    boost::system::error_code ec;
    json::value parsed = json::parse(response->body, ec);
    return ec ? json::value(nullptr) : parsed;
  }

  std::string JoinToken(const std::string& room, const std::string& identity,
                        const std::string& name, const json::object& extra_video = {},
                        const std::string& kind = "") {
    json::object video;
    video["roomJoin"] = true;
    video["room"] = room;
    for (const auto& entry : extra_video) {
      video[entry.key()] = entry.value();
    }
    json::object claims;
    claims["sub"] = identity;
    claims["name"] = name;
    claims["video"] = video;
    claims["iss"] = kApiKey;
    claims["exp"] = clock_.NowSeconds() + 600;
    claims["nbf"] = 0;
    if (!kind.empty()) {
      claims["kind"] = kind;
    }
    return crypto::SignJwtHs256(crypto::HmacSha256Key(kApiSecret), claims);
  }

  // Joins a fake participant; returns its sid.
  std::string Join(const std::string& room, const std::string& identity, const std::string& name,
                   const json::object& extra_video = {}, const std::string& kind = "") {
    json::object body;
    body["token"] = JoinToken(room, identity, name, extra_video, kind);
    const json::value joined = TestApi("POST", "join", json::value(body));
    if (!joined.is_object() || !joined.as_object().contains("sid")) {
      ADD_FAILURE() << "join failed: " << json::serialize(joined);
      return {};
    }
    return std::string(joined.at("sid").as_string());
  }

  void SetFaults(const std::string& mode, int delay_ms = 0) {
    json::object body;
    body["mode"] = mode;
    if (delay_ms > 0) {
      body["delayMs"] = delay_ms;
    }
    TestApi("POST", "faults", json::value(body));
  }

  json::array Calls(const std::string& method = "") {
    const json::value answer = TestApi("GET", method.empty() ? "calls" : "calls?method=" + method);
    return answer.is_object() ? answer.at("calls").as_array() : json::array();
  }

  json::object RoomState(const std::string& name) {
    const json::value state = TestApi("GET", "state");
    if (state.is_object()) {
      for (const json::value& room : state.at("rooms").as_array()) {
        if (room.at("room").at("name") == json::value(name)) {
          return room.as_object();
        }
      }
    }
    ADD_FAILURE() << "room " << name << " not in emulator state";
    return {};
  }

  Room CreateRoom(const std::string& name) {
    CreateRoomOptions options;
    options.name = name;
    const Result<Room> room = Run(client_->CreateRoom(options));
    EXPECT_TRUE(room.has_value()) << room.error().message;
    return room.value_or(Room{});
  }

  static std::string* skip_reason_;
  static std::string* start_error_;
  static EmulatorProcess* emulator_;

  asio::io_context ioc_;
  SystemClock clock_;
  CryptoRandom random_;
  std::string base_url_;
  std::unique_ptr<clients::HttpClient> http_;
  RoomServiceClientPtr client_;
};

std::string* LiveKitEmulatorTest::skip_reason_ = nullptr;
std::string* LiveKitEmulatorTest::start_error_ = nullptr;
EmulatorProcess* LiveKitEmulatorTest::emulator_ = nullptr;

TEST_F(LiveKitEmulatorTest, RoomLifecycle) {
  CreateRoomOptions options;
  options.name = "lifecycle";
  options.metadata = R"({"createdBy":"convene","roomOptions":{}})";
  options.empty_timeout = 120;
  options.departure_timeout = 15;
  options.max_participants = 10;
  const Result<Room> created = Run(client_->CreateRoom(options));
  ASSERT_TRUE(created.has_value()) << created.error().message;
  EXPECT_EQ(created->sid.rfind("RM_", 0), 0u);
  EXPECT_EQ(created->name, "lifecycle");
  EXPECT_EQ(created->metadata, options.metadata);
  EXPECT_EQ(created->empty_timeout, 120u);
  EXPECT_EQ(created->departure_timeout, 15u);
  EXPECT_EQ(created->max_participants, 10u);
  EXPECT_EQ(created->num_participants, 0u);
  EXPECT_NEAR(static_cast<double>(created->creation_time), static_cast<double>(clock_.NowSeconds()),
              60);

  // Idempotent: the existing room comes back.
  CreateRoomOptions again;
  again.name = "lifecycle";
  const Result<Room> second = Run(client_->CreateRoom(again));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->sid, created->sid);
  EXPECT_EQ(second->metadata, options.metadata);

  CreateRoom("other");
  const Result<std::vector<Room>> one = Run(client_->ListRooms({"lifecycle"}));
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].sid, created->sid);
  EXPECT_EQ((*one)[0].empty_timeout, 120u);
  const Result<std::vector<Room>> all = Run(client_->ListRooms({}));
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), 2u);
  const Result<std::vector<Room>> none = Run(client_->ListRooms({"missing"}));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());

  const Result<Room> updated = Run(client_->UpdateRoomMetadata("lifecycle", R"({"v":2})"));
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->metadata, R"({"v":2})");
  EXPECT_EQ(Run(client_->ListRooms({"lifecycle"}))->at(0).metadata, R"({"v":2})");

  ASSERT_TRUE(Run(client_->DeleteRoom("lifecycle")).has_value());
  EXPECT_TRUE(Run(client_->ListRooms({"lifecycle"}))->empty());

  const Result<void> deleted_again = Run(client_->DeleteRoom("lifecycle"));
  ASSERT_FALSE(deleted_again.has_value());
  EXPECT_EQ(deleted_again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(deleted_again.error().reason, "twirp:not_found");
  const Result<Room> update_missing = Run(client_->UpdateRoomMetadata("lifecycle", "x"));
  ASSERT_FALSE(update_missing.has_value());
  EXPECT_EQ(update_missing.error().code, ErrorCode::kNotFound);

  // Nothing was refused as malformed: every body decoded strictly.
  for (const json::value& call : Calls()) {
    EXPECT_TRUE(call.at("status") == 200 || call.at("code") == "not_found")
        << json::serialize(call);
    EXPECT_EQ(call.at("contentType"), "application/json");
  }
}

TEST_F(LiveKitEmulatorTest, Participants) {
  CreateRoom("people");
  const std::string alice_sid = Join("people", "alice", "Alice");
  const std::string bob_sid = Join("people", "bob", "Bob");
  ASSERT_FALSE(alice_sid.empty());

  const Result<std::vector<Participant>> listed = Run(client_->ListParticipants("people"));
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  std::set<std::string> identities;
  for (const Participant& p : *listed) {
    identities.insert(p.identity);
    EXPECT_EQ(p.sid.rfind("PA_", 0), 0u);
    EXPECT_EQ(p.state, "ACTIVE");
    EXPECT_EQ(p.kind, "STANDARD");
    EXPECT_FALSE(p.IsEgress());
    EXPECT_NEAR(static_cast<double>(p.joined_at), static_cast<double>(clock_.NowSeconds()), 60);
  }
  EXPECT_EQ(identities, (std::set<std::string>{"alice", "bob"}));
  EXPECT_EQ(Run(client_->ListRooms({"people"}))->at(0).num_participants, 2u);

  const Result<Participant> alice = Run(client_->GetParticipant("people", "alice"));
  ASSERT_TRUE(alice.has_value()) << alice.error().message;
  EXPECT_EQ(alice->sid, alice_sid);
  EXPECT_EQ(alice->name, "Alice");
  EXPECT_EQ(alice->metadata, "");

  const std::string metadata =
      R"({"livekitUrl":"ws://x","roles":[{"role":"moderator"}],"selectedRole":"moderator"})";
  const Result<Participant> updated =
      Run(client_->UpdateParticipantMetadata("people", "alice", metadata));
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->metadata, metadata);
  EXPECT_EQ(updated->name, "Alice");  // name untouched
  EXPECT_EQ(Run(client_->GetParticipant("people", "alice"))->metadata, metadata);

  ASSERT_TRUE(Run(client_->RemoveParticipant("people", "bob")).has_value());
  const Result<std::vector<Participant>> after = Run(client_->ListParticipants("people"));
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].identity, "alice");

  const Result<Participant> gone = Run(client_->GetParticipant("people", "bob"));
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(gone.error().reason, "twirp:not_found");
  const Result<void> remove_again = Run(client_->RemoveParticipant("people", "bob"));
  ASSERT_FALSE(remove_again.has_value());
  EXPECT_EQ(remove_again.error().code, ErrorCode::kNotFound);
  const Result<Participant> update_gone =
      Run(client_->UpdateParticipantMetadata("people", "bob", "{}"));
  ASSERT_FALSE(update_gone.has_value());
  EXPECT_EQ(update_gone.error().code, ErrorCode::kNotFound);

  // LiveKit OSS semantics: an unknown room lists no participants rather than failing.
  const Result<std::vector<Participant>> unknown = Run(client_->ListParticipants("no-such-room"));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_TRUE(unknown->empty());
  (void)bob_sid;
}

TEST_F(LiveKitEmulatorTest, RecognisesEgressParticipants) {
  CreateRoom("recorded");
  json::object recorder;
  recorder["recorder"] = true;
  recorder["hidden"] = true;
  Join("recorded", "EG_abc123", "", recorder, "egress");
  Join("recorded", "EG_impostor", "");  // right prefix, but no recorder permission

  const Result<Participant> egress = Run(client_->GetParticipant("recorded", "EG_abc123"));
  ASSERT_TRUE(egress.has_value()) << egress.error().message;
  EXPECT_EQ(egress->kind, "EGRESS");
  EXPECT_TRUE(egress->recorder);
  EXPECT_TRUE(egress->IsEgress());
  const Result<Participant> impostor = Run(client_->GetParticipant("recorded", "EG_impostor"));
  ASSERT_TRUE(impostor.has_value());
  EXPECT_FALSE(impostor->IsEgress());
}

TEST_F(LiveKitEmulatorTest, SendData) {
  CreateRoom("data");
  const std::string alice_sid = Join("data", "alice", "Alice");
  Join("data", "bob", "Bob");
  const std::string payload = R"({"type":"MeetSignalType","payload":{"x":"é"}})";

  SendDataOptions to_bob;
  to_bob.destination_identities = {"bob"};
  to_bob.topic = "chat";
  const Result<void> sent = Run(client_->SendData("data", payload, to_bob));
  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  // Identical payloads are not deduplicated: each call carries a fresh nonce.
  ASSERT_TRUE(Run(client_->SendData("data", payload, {})).has_value());
  SendDataOptions to_sid;
  to_sid.destination_sids = {alice_sid};
  ASSERT_TRUE(Run(client_->SendData("data", payload, to_sid)).has_value());

  const json::object room = RoomState("data");
  ASSERT_TRUE(room.contains("dataPackets"));
  const json::array& packets = room.at("dataPackets").as_array();
  ASSERT_EQ(packets.size(), 3u) << json::serialize(room);
  EXPECT_TRUE(room.at("droppedDataPackets").as_array().empty());
  for (const json::value& packet : packets) {
    EXPECT_EQ(packet.at("kind"), "RELIABLE");
    EXPECT_EQ(packet.at("data"), json::value(payload));
    ASSERT_TRUE(packet.at("nonce").is_string());
    EXPECT_EQ(packet.at("nonce").as_string().size(), 24u);  // base64 of 16 bytes
  }
  EXPECT_EQ(packets[0].at("topic"), "chat");
  EXPECT_EQ(packets[0].at("recipients"), json::parse(R"(["bob"])"));
  EXPECT_TRUE(packets[1].at("topic").is_null());
  EXPECT_EQ(packets[1].at("recipients").as_array().size(), 2u);
  EXPECT_EQ(packets[2].at("recipients"), json::parse(R"(["alice"])"));

  // SendData to a room with no node is a 5xx in OSS LiveKit, and SendData is never retried.
  const Result<void> nowhere = Run(client_->SendData("no-such-room", payload, {}));
  ASSERT_FALSE(nowhere.has_value());
  EXPECT_EQ(nowhere.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(nowhere.error().reason, "twirp:unavailable");
  std::size_t to_nowhere = 0;
  for (const json::value& call : Calls("SendData")) {
    to_nowhere += call.at("request").at("room") == "no-such-room" ? 1 : 0;
  }
  EXPECT_EQ(to_nowhere, 1u);
}

TEST_F(LiveKitEmulatorTest, EveryMethodCarriesExactlyItsGrant) {
  CreateRoom("grants");
  Join("grants", "alice", "Alice");
  ASSERT_TRUE(Run(client_->ListRooms({})).has_value());
  ASSERT_TRUE(Run(client_->ListParticipants("grants")).has_value());
  ASSERT_TRUE(Run(client_->GetParticipant("grants", "alice")).has_value());
  ASSERT_TRUE(Run(client_->UpdateParticipantMetadata("grants", "alice", "m")).has_value());
  ASSERT_TRUE(Run(client_->SendData("grants", "x", {})).has_value());
  ASSERT_TRUE(Run(client_->UpdateRoomMetadata("grants", "m")).has_value());
  ASSERT_TRUE(Run(client_->RemoveParticipant("grants", "alice")).has_value());
  ASSERT_TRUE(Run(client_->DeleteRoom("grants")).has_value());

  const json::value admin = json::parse(R"({"roomAdmin":true,"room":"grants"})");
  const std::map<std::string, json::value> expected = {
      {"CreateRoom", json::parse(R"({"roomCreate":true})")},
      {"DeleteRoom", json::parse(R"({"roomCreate":true})")},
      {"ListRooms", json::parse(R"({"roomList":true})")},
      {"ListParticipants", admin},
      {"GetParticipant", admin},
      {"UpdateParticipant", admin},
      {"SendData", admin},
      {"UpdateRoomMetadata", admin},
      {"RemoveParticipant", admin},
  };
  const json::array calls = Calls();
  ASSERT_EQ(calls.size(), expected.size());
  for (const json::value& call : calls) {
    const std::string method(call.at("method").as_string());
    SCOPED_TRACE(method);
    EXPECT_EQ(call.at("status"), 200);
    EXPECT_EQ(call.at("grants").at("iss"), kApiKey);
    EXPECT_TRUE(call.at("grants").at("sub").is_null());
    ASSERT_TRUE(expected.count(method));
    EXPECT_EQ(call.at("grants").at("video"), expected.at(method));
  }
}

TEST_F(LiveKitEmulatorTest, WrongSecretIsUnauthenticated) {
  const RoomServiceClientPtr impostor = MakeClient(milliseconds(3000), 2, "not-the-secret");
  const Result<std::vector<Room>> rooms = Run(impostor->ListRooms({}));
  ASSERT_FALSE(rooms.has_value());
  EXPECT_EQ(rooms.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(rooms.error().reason, "twirp:unauthenticated");
  const json::array calls = Calls("ListRooms");
  ASSERT_EQ(calls.size(), 1u);  // never retried
  EXPECT_EQ(calls[0].at("status"), 401);
  EXPECT_TRUE(calls[0].at("code").is_null());  // the middleware's plain-text answer
}

TEST_F(LiveKitEmulatorTest, DownIsUnavailableQuickly) {
  ASSERT_TRUE(Run(client_->ListRooms({})).has_value());  // leaves a pooled connection to reuse
  SetFaults("down");
  const auto started = SteadyClock::now();
  const Result<std::vector<Room>> rooms = Run(client_->ListRooms({}));
  const auto elapsed = SteadyClock::now() - started;
  ASSERT_FALSE(rooms.has_value());
  EXPECT_EQ(rooms.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(rooms.error().name, "LiveKit Error");
  EXPECT_EQ(rooms.error().message, "LiveKit is not available");
  EXPECT_EQ(rooms.error().reason, "transport");
  EXPECT_LT(elapsed, milliseconds(1500));

  SetFaults("none");
  EXPECT_TRUE(Run(client_->ListRooms({})).has_value());
}

TEST_F(LiveKitEmulatorTest, SlowIsDeadlineWithinTheTimeout) {
  const RoomServiceClientPtr impatient = MakeClient(milliseconds(300), 0);
  SetFaults("slow", 1500);
  const auto started = SteadyClock::now();
  const Result<std::vector<Room>> rooms = Run(impatient->ListRooms({}));
  const auto elapsed = SteadyClock::now() - started;
  ASSERT_FALSE(rooms.has_value());
  EXPECT_EQ(rooms.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(rooms.error().reason, "deadline");
  EXPECT_GE(elapsed, milliseconds(280));
  EXPECT_LT(elapsed, milliseconds(1000));

  // The timed-out connection must not be reused for the next call.
  SetFaults("none");
  const Result<std::vector<Room>> later = Run(impatient->ListRooms({}));
  EXPECT_TRUE(later.has_value()) << later.error().message;
}

TEST_F(LiveKitEmulatorTest, TimeoutBoundsTheWholeCallRetriesIncluded) {
  // Two retries allowed, but the first attempt uses up the call's deadline: no retry may start
  // with a fresh deadline of its own (that made a slow LiveKit answer 503 after 2-3x the timeout).
  const RoomServiceClientPtr persistent = MakeClient(milliseconds(500), 2);
  SetFaults("slow", 3000);
  const auto started = SteadyClock::now();
  const Result<std::vector<Room>> rooms = Run(persistent->ListRooms({}));
  const auto elapsed = SteadyClock::now() - started;
  ASSERT_FALSE(rooms.has_value());
  EXPECT_EQ(rooms.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(rooms.error().reason, "deadline");
  EXPECT_GE(elapsed, milliseconds(480));
  EXPECT_LT(elapsed, milliseconds(900));  // each of three attempts timing out took >= 1500 ms
}

TEST_F(LiveKitEmulatorTest, Error5xxIsRetriedOnlyForIdempotentMethods) {
  CreateRoom("flaky");
  Join("flaky", "alice", "Alice");
  const RoomServiceClientPtr persistent = MakeClient(milliseconds(3000), 2);
  SetFaults("error5xx");

  const Result<std::vector<Room>> rooms = Run(persistent->ListRooms({}));
  ASSERT_FALSE(rooms.has_value());
  EXPECT_EQ(rooms.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(rooms.error().reason, "twirp:unavailable");
  EXPECT_EQ(Calls("ListRooms").size(), 3u);

  EXPECT_FALSE(Run(persistent->UpdateParticipantMetadata("flaky", "alice", "m")).has_value());
  EXPECT_EQ(Calls("UpdateParticipant").size(), 3u);

  const Result<void> sent = Run(persistent->SendData("flaky", "x", {}));
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().reason, "twirp:unavailable");
  EXPECT_EQ(Calls("SendData").size(), 1u);

  EXPECT_FALSE(Run(persistent->RemoveParticipant("flaky", "alice")).has_value());
  EXPECT_EQ(Calls("RemoveParticipant").size(), 1u);
}

}  // namespace
}  // namespace convene::livekit
