#include "redis/redis_test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace convene::redis::testing {

namespace {

bool Accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::string RedisServerBinary() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(start, end - start)) / "redis-server";
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
    start = end + 1;
  }
  throw std::runtime_error("redis-server not found in PATH");
}

}  // namespace

std::optional<SharedServer> SharedRedis() {
  const char* port = std::getenv("CONVENE_TEST_REDIS_PORT");
  const char* password = std::getenv("CONVENE_TEST_REDIS_PASSWORD");
  if (port == nullptr || password == nullptr || *port == '\0') {
    return std::nullopt;
  }
  return SharedServer{static_cast<std::uint16_t>(std::atoi(port)), password};
}

RedisOptions SharedOptions(const SharedServer& server) {
  RedisOptions options;
  options.server = RedisEndpoint{"127.0.0.1", server.port};
  options.password = server.password;
  options.reconnect_min = std::chrono::milliseconds(20);
  options.reconnect_max = std::chrono::milliseconds(200);
  return options;
}

std::string UniquePrefix() {
  static std::atomic<int> counter{0};
  return "convene-test:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":";
}

std::uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

RedisProcess::RedisProcess(std::vector<std::string> args, std::string config)
    : args_(std::move(args)), port_(FreePort()) {
  std::string pattern = (std::filesystem::temp_directory_path() / "convene-redis-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  dir_ = pattern;
  if (!config.empty()) {
    config_path_ = dir_ + "/redis.conf";
    std::ofstream(config_path_) << config;
  }
  Start();
}

RedisProcess::~RedisProcess() {
  Kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void RedisProcess::Start() {
  Kill();
  std::vector<std::string> argv{"redis-server"};
  if (!config_path_.empty()) {
    argv.push_back(config_path_);
  }
  for (const std::string& arg : std::vector<std::string>{
           "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly",
           "no", "--dir", dir_, "--daemonize", "no", "--logfile", dir_ + "/redis.log"}) {
    argv.push_back(arg);
  }
  argv.insert(argv.end(), args_.begin(), args_.end());
  std::vector<char*> c_argv;
  for (std::string& arg : argv) {
    c_argv.push_back(arg.data());
  }
  c_argv.push_back(nullptr);
  // Resolved before fork: between fork and exec a child of a multi-threaded process may only
  // make async-signal-safe calls.
  const std::string binary = RedisServerBinary();
  pid_ = ::fork();
  if (pid_ == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execv(binary.c_str(), c_argv.data());
    ::_exit(127);
  }
  if (pid_ < 0 || !WaitFor([this] { return Accepts(port_); })) {
    throw std::runtime_error("redis-server did not start on port " + std::to_string(port_));
  }
}

void RedisProcess::Kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

void RedisProcess::Pause() {
  if (pid_ > 0) {
    ::kill(pid_, SIGSTOP);
  }
}

void RedisProcess::Resume() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
  }
}

IoThreads::IoThreads(int threads) : ioc_(threads), guard_(ioc_.get_executor()) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
}

IoThreads::~IoThreads() { Join(); }

void IoThreads::Join() {
  if (threads_.empty()) {
    return;
  }
  // Let the clients' background work wind down (they were closed), then stop whatever is left.
  guard_.reset();
  WaitFor([this] { return ioc_.stopped(); }, std::chrono::seconds(5));
  ioc_.stop();
  for (std::thread& thread : threads_) {
    thread.join();
  }
  threads_.clear();
}

}  // namespace convene::redis::testing
