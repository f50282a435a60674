#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "store/settings_store.hpp"

namespace convene::store::sqlite {

class Connections;

/// SettingsStore on the `global_config`, `users` and `api_keys` tables of a Convene SQLite
/// database (schema.cpp, migration 2). Writes go through the database's writer thread, each in one
/// transaction; reads run on the caller's thread. Obtained from SqliteDatabase::Settings().
class SqliteSettingsStore final : public SettingsStore {
 public:
  /// `connections` must outlive the store.
  explicit SqliteSettingsStore(Connections& connections) : connections_(connections) {}

  boost::asio::awaitable<Result<bool>> Initialize(const InitialSettings& initial) override;
  boost::asio::awaitable<Result<std::optional<GlobalConfig>>> GetGlobalConfig() override;
  boost::asio::awaitable<Result<void>> PutGlobalConfig(const GlobalConfig& config) override;
  boost::asio::awaitable<Result<std::optional<User>>> GetUser(std::string_view username) override;
  boost::asio::awaitable<Result<void>> PutUser(const User& user) override;
  boost::asio::awaitable<Result<std::vector<ApiKey>>> GetApiKeys() override;
  boost::asio::awaitable<Result<void>> ReplaceApiKeys(const std::vector<ApiKey>& keys) override;

 private:
  Connections& connections_;
};

}  // namespace convene::store::sqlite
