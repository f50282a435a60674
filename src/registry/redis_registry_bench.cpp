// Admission through the Redis registry, against the test server (CONVENE_TEST_REDIS_PORT /
// CONVENE_TEST_REDIS_PASSWORD; `eval "$(scripts/test-services.sh start build/bench-services)"`).
// Every benchmark allocates its names in one room, all for the same requested name, so it also
// shows that finding the lowest free `_N` does not slow down as the room fills (100 000+ holders).
#include <benchmark/benchmark.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "registry/in_process_registry.hpp"
#include "registry/redis_registry.hpp"
#include "registry/testing/redis_test_server.hpp"

namespace convene::registry {
namespace {

constexpr int kBatch = 1024;  // admissions per benchmark iteration

AdmissionRequest Alice() {
  AdmissionRequest r;
  r.room_id = "bench-room";
  r.name = "Alice";
  r.now_ms = 1000;
  return r;
}

// A connected client on two io_context threads, with its own key prefix, cleaned up afterwards.
class RedisFixture {
 public:
  bool Start(benchmark::State& state) {
    auto options = test::TestRedisOptions();
    if (!options) {
      state.SkipWithError(test::kNoRedisMessage);
      return false;
    }
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
    client_ = std::make_unique<redis::RedisClient>(ioc_.get_executor(), *options);
    if (!Run(client_->Connect())) {
      state.SkipWithError("Redis test server unreachable");
      return false;
    }
    RedisRegistryOptions registry_options;
    registry_options.key_prefix = prefix_;
    registry_ = std::make_unique<RedisRegistry>(*client_, registry_options);
    return true;
  }
  ~RedisFixture() {
    if (client_) {
      test::DeleteKeys(ioc_, *client_, prefix_);
      client_->Close();
    }
    work_.reset();
    for (auto& thread : threads_) thread.join();
  }

  template <class T>
  T Run(boost::asio::awaitable<T> operation) {
    return boost::asio::co_spawn(ioc_, std::move(operation), boost::asio::use_future).get();
  }
  template <class T>
  std::future<T> Spawn(boost::asio::awaitable<T> operation) {
    return boost::asio::co_spawn(ioc_, std::move(operation), boost::asio::use_future);
  }
  RedisRegistry& Registry() { return *registry_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::vector<std::thread> threads_;
  std::string prefix_ = test::UniqueTestPrefix();
  std::unique_ptr<redis::RedisClient> client_;
  std::unique_ptr<RedisRegistry> registry_;
};

// One worker: `count` admissions, one after the other.
boost::asio::awaitable<bool> AdmitSequentially(ParticipantRegistry& registry, int count) {
  for (int i = 0; i < count; ++i) {
    auto admitted = co_await registry.Admit(Alice());
    if (!admitted) co_return false;
  }
  co_return true;
}

// Sequential: the latency of one admission (one EVALSHA round trip).
void BM_RedisAdmitSameName(benchmark::State& state) {
  RedisFixture fixture;
  if (!fixture.Start(state)) return;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      auto admitted = fixture.Run(fixture.Registry().Admit(Alice()));
      if (!admitted) state.SkipWithError(admitted.error().message.c_str());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RedisAdmitSameName)->Iterations(100)->UseRealTime()->Unit(benchmark::kMillisecond);

// `range(0)` coroutines admitting one after the other on one connection: with 1, the latency of
// one admission without the benchmark thread's hand-over; with many, the requests are pipelined
// and the figure is the throughput of one instance (bounded by the script's time in Redis).
void BM_RedisAdmitSameNamePipelined(benchmark::State& state) {
  RedisFixture fixture;
  if (!fixture.Start(state)) return;
  const int workers = static_cast<int>(state.range(0));
  for (auto _ : state) {
    std::vector<std::future<bool>> running;
    for (int w = 0; w < workers; ++w) {
      running.push_back(fixture.Spawn(AdmitSequentially(fixture.Registry(), kBatch / workers)));
    }
    for (auto& worker : running) {
      if (!worker.get()) state.SkipWithError("an admission failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RedisAdmitSameNamePipelined)->Arg(1)->Arg(64)->Iterations(100)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same allocation in process, for comparison.
void BM_InProcessAdmitSameName(benchmark::State& state) {
  InProcessRegistry registry;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) benchmark::DoNotOptimize(registry.AdmitNow(Alice()));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_InProcessAdmitSameName)->Iterations(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace convene::registry
