#include "store/memory/memory_settings_store.hpp"

namespace convene::store::memory {

// The coroutines only forward to synchronous helpers: the mutex never lives in a coroutine frame.

boost::asio::awaitable<Result<bool>> MemorySettingsStore::Initialize(
    const InitialSettings& initial) {
  co_return DoInitialize(initial);
}

boost::asio::awaitable<Result<std::optional<GlobalConfig>>> MemorySettingsStore::GetGlobalConfig() {
  co_return DoGetGlobalConfig();
}

boost::asio::awaitable<Result<void>> MemorySettingsStore::PutGlobalConfig(
    const GlobalConfig& config) {
  DoPutGlobalConfig(config);
  co_return Result<void>();
}

boost::asio::awaitable<Result<std::optional<User>>> MemorySettingsStore::GetUser(
    std::string_view username) {
  co_return DoGetUser(username);
}

boost::asio::awaitable<Result<void>> MemorySettingsStore::PutUser(const User& user) {
  DoPutUser(user);
  co_return Result<void>();
}

boost::asio::awaitable<Result<std::vector<ApiKey>>> MemorySettingsStore::GetApiKeys() {
  co_return DoGetApiKeys();
}

boost::asio::awaitable<Result<void>> MemorySettingsStore::ReplaceApiKeys(
    const std::vector<ApiKey>& keys) {
  DoReplaceApiKeys(keys);
  co_return Result<void>();
}

bool MemorySettingsStore::DoInitialize(const InitialSettings& initial) {
  std::lock_guard lock(mutex_);
  if (config_ && config_->project_id == initial.config.project_id) return false;
  config_ = initial.config;
  users_.insert_or_assign(initial.admin.username, initial.admin);
  if (initial.api_key) api_keys_ = {*initial.api_key};
  return true;
}

std::optional<GlobalConfig> MemorySettingsStore::DoGetGlobalConfig() {
  std::lock_guard lock(mutex_);
  return config_;
}

void MemorySettingsStore::DoPutGlobalConfig(const GlobalConfig& config) {
  std::lock_guard lock(mutex_);
  config_ = config;
}

std::optional<User> MemorySettingsStore::DoGetUser(std::string_view username) {
  std::lock_guard lock(mutex_);
  if (auto it = users_.find(username); it != users_.end()) return it->second;
  return std::nullopt;
}

void MemorySettingsStore::DoPutUser(const User& user) {
  std::lock_guard lock(mutex_);
  users_.insert_or_assign(user.username, user);
}

std::vector<ApiKey> MemorySettingsStore::DoGetApiKeys() {
  std::lock_guard lock(mutex_);
  return api_keys_;
}

void MemorySettingsStore::DoReplaceApiKeys(const std::vector<ApiKey>& keys) {
  std::lock_guard lock(mutex_);
  api_keys_ = keys;
}

}  // namespace convene::store::memory
