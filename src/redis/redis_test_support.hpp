#pragma once

// Test helpers for the Redis tests: the shared test server of `make unit-test`, redis-server child
// processes the fault tests can kill and restart, and an io_context on several threads.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "redis/redis_client.hpp"

namespace convene::redis::testing {

/// The redis-server that `make unit-test` starts (scripts/test-services.sh): 127.0.0.1, the port
/// and password from CONVENE_TEST_REDIS_PORT / CONVENE_TEST_REDIS_PASSWORD.
struct SharedServer {
  std::uint16_t port = 0;
  std::string password;
};
std::optional<SharedServer> SharedRedis();
inline constexpr const char* kNoSharedRedis =
    "CONVENE_TEST_REDIS_PORT / CONVENE_TEST_REDIS_PASSWORD not set; `make unit-test` provides them "
    "(or: eval \"$(scripts/test-services.sh start build/test-services)\")";

/// Options for the shared server, with a short back-off so fault tests recover quickly.
RedisOptions SharedOptions(const SharedServer& server);

/// A key prefix unique to this test process (ctest runs test processes in parallel).
std::string UniquePrefix();

/// A redis-server (or sentinel) child process on a free 127.0.0.1 port. Killed in the destructor.
class RedisProcess {
 public:
  /// `args` are appended to the command line (e.g. {"--requirepass", "x"}); `config` non-empty is
  /// written to a file passed as the first argument (a sentinel needs a writable config file).
  explicit RedisProcess(std::vector<std::string> args = {}, std::string config = {});
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  std::uint16_t Port() const { return port_; }
  /// (Re)starts it on the same port and waits (at most 10 s) until it accepts connections.
  void Start();
  /// SIGKILL, and waits for the process to exit.
  void Kill();
  /// SIGSTOP / SIGCONT: the server keeps its connections but answers nothing.
  void Pause();
  void Resume();

 private:
  std::vector<std::string> args_;
  std::string dir_;
  std::string config_path_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

std::uint16_t FreePort();

/// Polls `condition` every 10 ms for at most `limit`; true when it held.
template <class F>
bool WaitFor(F condition, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// An io_context run by `threads` threads (as the application runs it) for one test.
class IoThreads {
 public:
  explicit IoThreads(int threads = 2);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  boost::asio::any_io_executor Executor() { return ioc_.get_executor(); }

  /// Lets the remaining work finish (at most 5 s, then stops it) and joins the threads, keeping
  /// the io_context alive: objects whose coroutines ran on it can then be destroyed safely.
  /// Idempotent; the destructor calls it.
  void Join();

  /// Runs `task` on the io_context and waits for it (at most `limit`, else throws).
  template <class T>
  T Run(boost::asio::awaitable<T> task,
        std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    auto future = boost::asio::co_spawn(ioc_, std::move(task), boost::asio::use_future);
    if (future.wait_for(limit) != std::future_status::ready) {
      throw std::runtime_error("test coroutine did not finish in time");
    }
    return future.get();
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

}  // namespace convene::redis::testing
