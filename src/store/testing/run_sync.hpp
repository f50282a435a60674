#pragma once

#include <chrono>
#include <future>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

/// Test-only helpers to drive coroutines from synchronous test bodies. (Not `convene::testing`:
/// inside namespace convene that name would hide GoogleTest's `::testing`.)
namespace convene::test {

/// Runs `awaitable` on `ioc` from the calling thread and returns its result (or rethrows its
/// exception). Works when the coroutine hops to other threads and back (thread pools, the SQLite
/// writer).
///
/// It runs the io_context until it is out of work, not merely until the coroutine is done: an
/// operation that completed on another thread may still hold work on `ioc` for a moment after
/// resuming the coroutine (Asio's co_spawn releases its work guard on the pool thread), and
/// destroying `ioc` before that would be a use-after-free. So do not leave other endless work
/// (timers, acceptors) on `ioc`, and do not run it from other threads meanwhile.
template <class T>
T RunSync(boost::asio::io_context& ioc, boost::asio::awaitable<T> awaitable) {
  std::future<T> future = boost::asio::co_spawn(ioc, std::move(awaitable), boost::asio::use_future);
  ioc.restart();  // in case an earlier run() returned for lack of work
  ioc.run();
  if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    // Out of work with the coroutine unfinished: its completion can never arrive.
    throw std::logic_error("RunSync: io_context ran out of work before the coroutine finished");
  }
  return future.get();
}

/// Same, for a callable returning an awaitable (typically a coroutine lambda). The callable is
/// kept alive until the coroutine finishes, so the lambda may capture by value or by reference.
template <class F>
  requires std::is_invocable_v<F&>
auto RunSync(boost::asio::io_context& ioc, F&& make_awaitable) {
  std::decay_t<F> f(std::forward<F>(make_awaitable));
  return RunSync(ioc, f());
}

}  // namespace convene::test
