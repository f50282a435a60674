#pragma once

#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"

namespace boost::asio {
class thread_pool;
}

namespace convene::auth {

/// bcrypt cost of the reference (§1.4) and of every hash Convene writes.
inline constexpr int kBcryptCost = 10;

/// Hashes `password` as bcrypt `$2b$<cost>$…` with a fresh salt from the OS CSPRNG (libxcrypt
/// `crypt_gensalt_rn` + `crypt_rn`). Blocks for ~50-70 ms at cost 10: call it on a blocking pool.
/// Fails (kInvalidArgument) for a password containing a NUL byte, which crypt would silently
/// truncate, and (kInternal) if libxcrypt refuses.
Result<std::string> HashPasswordBlocking(std::string_view password, int cost = kBcryptCost);

/// Recomputes the hash of `password` with the salt and cost stored in `hash` and compares the
/// result in constant time. Accepts every bcrypt variant libxcrypt knows (`$2a$`, `$2b$`, `$2y$`),
/// so hashes written by the reference's bcryptjs verify unchanged. False for a malformed hash.
/// Blocks like HashPasswordBlocking.
bool VerifyPasswordBlocking(std::string_view password, std::string_view hash);

/// A well-formed cost-10 hash of no real password, verified against when a login names an unknown
/// user, so that "no such user" takes as long as "wrong password" (no user enumeration by timing).
inline constexpr std::string_view kTimingEqualiserHash =
    "$2b$10$D26QSCKly0oO3bw2n7.CmuH9z95uvTK7nt38KGtUesbpgIMyv39tu";

/// Password hashing and verification on the application's blocking pool, so the ~60 ms of bcrypt
/// never stalls an I/O thread (CONVENTIONS §3.11, §4.1).
///
/// Why bcrypt and not argon2id: the reference stores `passwordHash` as bcrypt cost 10, and a store
/// migrated from it (or shared with it) must keep verifying; OpenSSL 3.0 has no Argon2 either. A
/// second scheme could be added later by dispatching on the hash prefix.
class PasswordHasher {
 public:
  explicit PasswordHasher(boost::asio::thread_pool& pool, int cost = kBcryptCost)
      : pool_(pool), cost_(cost) {}

  boost::asio::awaitable<Result<std::string>> Hash(std::string password) const;
  boost::asio::awaitable<bool> Verify(std::string password, std::string hash) const;

 private:
  boost::asio::thread_pool& pool_;
  int cost_;
};

}  // namespace convene::auth
