#include "auth/passwords.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/testing/run_sync.hpp"

namespace convene::auth {
namespace {

namespace asio = boost::asio;
using namespace std::string_literals;

TEST(Passwords, HashesAsBcrypt2bWithCost10ByDefault) {
  auto hash = HashPasswordBlocking("admin");
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_EQ(hash->substr(0, 7), "$2b$10$");
  EXPECT_EQ(hash->size(), 60u);
  EXPECT_TRUE(VerifyPasswordBlocking("admin", *hash));
  EXPECT_FALSE(VerifyPasswordBlocking("admin2", *hash));
  EXPECT_FALSE(VerifyPasswordBlocking("", *hash));
}

TEST(Passwords, SaltsDiffer) {
  auto a = HashPasswordBlocking("same", 4);
  auto b = HashPasswordBlocking("same", 4);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPasswordBlocking("same", *a));
  EXPECT_TRUE(VerifyPasswordBlocking("same", *b));
}

TEST(Passwords, VerifiesHashesWrittenByOtherBcryptImplementations) {
  // OpenBSD test vector ("U*U", $2a$, cost 5) and a bcryptjs-style $2b$ hash.
  EXPECT_TRUE(VerifyPasswordBlocking(
      "U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  EXPECT_FALSE(VerifyPasswordBlocking(
      "U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  EXPECT_FALSE(VerifyPasswordBlocking("anything", kTimingEqualiserHash));
}

TEST(Passwords, RefusesMalformedAndNonBcryptHashes) {
  EXPECT_FALSE(VerifyPasswordBlocking("x", ""));
  EXPECT_FALSE(VerifyPasswordBlocking("x", "$2b$10$short"));
  EXPECT_FALSE(VerifyPasswordBlocking("x", "plain-text-password"));
  // An MD5-crypt hash of "x" must not verify even though crypt() knows the scheme.
  EXPECT_FALSE(VerifyPasswordBlocking("x", "$1$abcdefgh$R8yVmTvKOEYFLzIF3bqBn/"));
}

TEST(Passwords, NulBytesAreRefusedRatherThanTruncated) {
  auto hash = HashPasswordBlocking("abc\0def"s, 4);
  ASSERT_FALSE(hash);
  EXPECT_EQ(hash.error().code, ErrorCode::kInvalidArgument);
  auto good = HashPasswordBlocking("abc", 4);
  ASSERT_TRUE(good);
  EXPECT_FALSE(VerifyPasswordBlocking("abc\0def"s, *good));
}

TEST(PasswordHasher, RunsOnThePoolAndResumesOnTheCallersExecutor) {
  asio::io_context ioc;
  asio::thread_pool pool(1);
  PasswordHasher hasher(pool);  // cost 10: ~50-70 ms of CPU
  bool timer_fired_while_hashing = false;
  std::optional<bool> hash_done;

  // The io_context has one thread. If hashing ran on it, the 1 ms timer could only fire after
  // the hash completed.
  asio::steady_timer timer(ioc, std::chrono::milliseconds(1));
  timer.async_wait(
      [&](boost::system::error_code) { timer_fired_while_hashing = !hash_done.has_value(); });
  auto job = [&]() -> asio::awaitable<bool> {
    const auto caller = std::this_thread::get_id();
    auto hash = co_await hasher.Hash("secret-password");
    EXPECT_EQ(std::this_thread::get_id(), caller);
    if (!hash) co_return false;
    const bool ok = co_await hasher.Verify("secret-password", *hash);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    hash_done = ok;
    co_return ok;
  };
  EXPECT_TRUE(test::RunSync(ioc, job));
  EXPECT_TRUE(timer_fired_while_hashing);
  EXPECT_EQ(hash_done, true);
}

}  // namespace
}  // namespace convene::auth
