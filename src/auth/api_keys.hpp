#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace convene::auth {

/// The deployment's single API key (reference §9.4: only one key exists at a time).
/// Thread-safe; comparisons are constant-time (deviations §7.5).
class ApiKeys {
 public:
  struct Key {
    std::string key;
    std::int64_t creation_date = 0;
  };

  void Set(Key key);
  void Clear();
  std::optional<Key> Current() const;
  bool Empty() const;
  /// Constant-time comparison against the current key; false when there is none.
  bool Matches(std::string_view candidate) const;

 private:
  mutable std::mutex mutex_;
  std::optional<Key> key_;
};

}  // namespace convene::auth
