#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "store/settings_store.hpp"

namespace convene::store::postgres {

class PgPool;

/// SettingsStore on the `global_config`, `users` and `api_keys` tables of a PostgreSQL database
/// (pg_schema.cpp), obtained from PostgresDatabase::Settings(). Behaves like the SQLite store;
/// errors as PostgresRoomStore. Initialize and ReplaceApiKeys lock their table for the length of
/// their transaction, so instances starting at once initialise exactly once and concurrent key
/// replacements do not interleave.
class PostgresSettingsStore final : public SettingsStore {
 public:
  /// `pool` must outlive the store.
  explicit PostgresSettingsStore(PgPool& pool) : pool_(pool) {}

  boost::asio::awaitable<Result<bool>> Initialize(const InitialSettings& initial) override;
  boost::asio::awaitable<Result<std::optional<GlobalConfig>>> GetGlobalConfig() override;
  boost::asio::awaitable<Result<void>> PutGlobalConfig(const GlobalConfig& config) override;
  boost::asio::awaitable<Result<std::optional<User>>> GetUser(std::string_view username) override;
  boost::asio::awaitable<Result<void>> PutUser(const User& user) override;
  boost::asio::awaitable<Result<std::vector<ApiKey>>> GetApiKeys() override;
  boost::asio::awaitable<Result<void>> ReplaceApiKeys(const std::vector<ApiKey>& keys) override;

 private:
  PgPool& pool_;
};

}  // namespace convene::store::postgres
