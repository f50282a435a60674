#include "auth/passwords.hpp"

#include <crypt.h>

#include <cstring>
#include <memory>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "crypto/hmac.hpp"

namespace convene::auth {

namespace asio = boost::asio;

namespace {

// crypt_rn needs a 32 KiB scratch area; keep it off the (coroutine or pool) stack and wipe it,
// since it held the password.
struct CryptScratch {
  CryptScratch() : data(std::make_unique<crypt_data>()) {
    std::memset(data.get(), 0, sizeof(crypt_data));
  }
  ~CryptScratch() { explicit_bzero(data.get(), sizeof(crypt_data)); }
  CryptScratch(const CryptScratch&) = delete;
  CryptScratch& operator=(const CryptScratch&) = delete;
  std::unique_ptr<crypt_data> data;
};

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

}  // namespace

Result<std::string> HashPasswordBlocking(std::string_view password, int cost) {
  if (HasNul(password)) {
    return Fail(Error::Make(ErrorCode::kInvalidArgument, "Bad Request",
                            "Passwords cannot contain NUL characters"));
  }
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  // NULL random bytes: libxcrypt draws the salt from the OS CSPRNG (getrandom).
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof salt) ==
      nullptr) {
    return Fail(Error::Internal("Unexpected error while hashing password"));
  }
  const std::string phrase(password);
  CryptScratch scratch;
  const char* hash = crypt_rn(phrase.c_str(), salt, scratch.data.get(), sizeof(crypt_data));
  if (hash == nullptr) return Fail(Error::Internal("Unexpected error while hashing password"));
  return std::string(hash);
}

bool VerifyPasswordBlocking(std::string_view password, std::string_view hash) {
  // Only bcrypt settings are accepted: a stored "$1$…" or DES hash must not silently downgrade.
  if (hash.size() < 7 || hash.substr(0, 2) != "$2" || HasNul(password) || HasNul(hash))
    return false;
  const std::string phrase(password);
  const std::string setting(hash);
  CryptScratch scratch;
  const char* computed =
      crypt_rn(phrase.c_str(), setting.c_str(), scratch.data.get(), sizeof(crypt_data));
  if (computed == nullptr) return false;
  // crypt re-derives the whole hash from the stored salt; comparing the results in constant time
  // leaks nothing about where they differ.
  return crypto::ConstantTimeEquals(computed, hash);
}

namespace {

// Runs `job` on `pool` and resumes the awaiting coroutine on its own executor as soon as the job
// is done. (co_spawn onto the pool would first queue its completion behind every other job waiting
// on the pool, so concurrent logins would all finish together.)
template <class T, class Job>
asio::awaitable<T> RunOnPool(asio::thread_pool& pool, Job job) {
  auto caller = co_await asio::this_coro::executor;
  // A named initiation: GCC 12 destroys a lambda temporary holding an executor twice when it sits
  // inside the co_await expression (CONVENTIONS §4.1).
  auto initiation = [&pool, caller](auto handler, Job work) {
    asio::post(pool, [handler = std::move(handler), work = std::move(work), caller]() mutable {
      T result = work();
      asio::post(caller, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(T)>(initiation, asio::use_awaitable,
                                                                                   std::move(job));
}

}  // namespace

asio::awaitable<Result<std::string>> PasswordHasher::Hash(std::string password) const {
  // GCC 12: a lambda temporary with non-trivial captures inside a co_await expression is destroyed
  // twice, so the job is a named variable (CONVENTIONS §4.1).
  auto job = [password = std::move(password), cost = cost_]() { return HashPasswordBlocking(password, cost); };
  co_return co_await RunOnPool<Result<std::string>>(pool_, std::move(job));
}

asio::awaitable<bool> PasswordHasher::Verify(std::string password, std::string hash) const {
  auto job = [password = std::move(password), hash = std::move(hash)]() {
    return VerifyPasswordBlocking(password, hash);
  };
  co_return co_await RunOnPool<bool>(pool_, std::move(job));
}

}  // namespace convene::auth
