#include "auth/api_keys.hpp"

#include "crypto/hmac.hpp"

namespace convene::auth {

void ApiKeys::Set(Key key) {
  std::lock_guard lock(mutex_);
  key_ = std::move(key);
}

void ApiKeys::Clear() {
  std::lock_guard lock(mutex_);
  key_.reset();
}

std::optional<ApiKeys::Key> ApiKeys::Current() const {
  std::lock_guard lock(mutex_);
  return key_;
}

bool ApiKeys::Empty() const {
  std::lock_guard lock(mutex_);
  return !key_.has_value();
}

bool ApiKeys::Matches(std::string_view candidate) const {
  std::lock_guard lock(mutex_);
  return key_.has_value() && crypto::ConstantTimeEquals(key_->key, candidate);
}

}  // namespace convene::auth
