#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "store/settings_store.hpp"

namespace convene::store::memory {

/// In-memory SettingsStore for unit tests. Same observable semantics as SqliteSettingsStore (the
/// conformance suite runs against both); nothing survives the object. Thread-safe; every call
/// completes without suspending.
class MemorySettingsStore final : public SettingsStore {
 public:
  boost::asio::awaitable<Result<bool>> Initialize(const InitialSettings& initial) override;
  boost::asio::awaitable<Result<std::optional<GlobalConfig>>> GetGlobalConfig() override;
  boost::asio::awaitable<Result<void>> PutGlobalConfig(const GlobalConfig& config) override;
  boost::asio::awaitable<Result<std::optional<User>>> GetUser(std::string_view username) override;
  boost::asio::awaitable<Result<void>> PutUser(const User& user) override;
  boost::asio::awaitable<Result<std::vector<ApiKey>>> GetApiKeys() override;
  boost::asio::awaitable<Result<void>> ReplaceApiKeys(const std::vector<ApiKey>& keys) override;

 private:
  bool DoInitialize(const InitialSettings& initial);
  std::optional<GlobalConfig> DoGetGlobalConfig();
  void DoPutGlobalConfig(const GlobalConfig& config);
  std::optional<User> DoGetUser(std::string_view username);
  void DoPutUser(const User& user);
  std::vector<ApiKey> DoGetApiKeys();
  void DoReplaceApiKeys(const std::vector<ApiKey>& keys);

  std::mutex mutex_;
  std::optional<GlobalConfig> config_;              // guarded by mutex_
  std::map<std::string, User, std::less<>> users_;  // guarded by mutex_
  std::vector<ApiKey> api_keys_;                    // guarded by mutex_
};

}  // namespace convene::store::memory
