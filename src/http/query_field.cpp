#include "http/query_field.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

namespace convene::http {
namespace {

// qs reads at most this many parameters (its `parameterLimit`) and makes arrays of indices up
// to this one (`arrayLimit`); a higher index is an object key.
constexpr std::size_t kParameterLimit = 1000;
constexpr unsigned kArrayLimit = 20;

/// A query key split as qs splits it: the text before the first `[...]` group (which holds no
/// bracket itself), then every such group. "a[b]x[c]" → "a", "b", "c"; "a[b" → "a[b".
struct KeyPath {
  std::string_view top;
  std::optional<std::string_view> child;  // the first group after `top`, without brackets
  bool deeper = false;                    // more groups after `child`
};

/// The next `[...]` group without inner brackets at or after `from`: {open, close} positions.
std::optional<std::pair<std::size_t, std::size_t>> NextGroup(std::string_view key,
                                                             std::size_t from) {
  for (std::size_t open = key.find('[', from); open != std::string_view::npos;
       open = key.find('[', open + 1)) {
    const std::size_t close = key.find_first_of("[]", open + 1);
    if (close != std::string_view::npos && key[close] == ']') return std::pair{open, close};
  }
  return std::nullopt;
}

KeyPath SplitKey(std::string_view key) {
  std::vector<std::string_view> groups;
  std::optional<std::size_t> first_open;
  for (auto group = NextGroup(key, 0); group; group = NextGroup(key, group->second + 1)) {
    if (!first_open) first_open = group->first;
    groups.push_back(key.substr(group->first + 1, group->second - group->first - 1));
  }
  if (!first_open) return {key, std::nullopt, false};
  std::string_view parent = key.substr(0, *first_open);
  std::size_t next = 0;
  if (parent.empty()) parent = groups[next++];  // "[a][b]" is a[b]
  KeyPath path{parent, std::nullopt, false};
  if (next < groups.size()) path.child = groups[next++];
  path.deeper = next < groups.size();
  return path;
}

/// "[]" and canonical indices 0..20 make arrays in qs; any other member name makes an object.
bool IsArrayIndex(std::string_view member) {
  if (member.empty()) return true;
  unsigned index = 0;
  const auto [ptr, ec] = std::from_chars(member.data(), member.data() + member.size(), index);
  if (ec != std::errc() || ptr != member.data() + member.size()) return false;
  if (member.size() > 1 && member.front() == '0') return false;  // "01" is not String(1)
  return index <= kArrayLimit;
}

/// One raw key's contribution (qs combines the values of a repeated raw key first).
QueryField Piece(const KeyPath& path, const std::vector<std::string_view>& values) {
  QueryField piece;
  if (!path.child) {
    piece.type = values.size() == 1 ? QueryField::Type::kString : QueryField::Type::kArray;
    piece.values = values;
    return piece;
  }
  if (!IsArrayIndex(*path.child)) {
    piece.type = QueryField::Type::kObject;
    return piece;
  }
  piece.type = QueryField::Type::kArray;
  // k[]=a&k[]=b holds two strings; k[0]=a&k[0]=b holds one element, itself an array.
  if (!path.deeper && (path.child->empty() || values.size() == 1)) {
    piece.values = values;
  } else {
    piece.nested_elements = 1;
  }
  return piece;
}

/// qs's merge, reduced to the resulting type and the array's elements.
void Merge(QueryField& into, QueryField piece) {
  using Type = QueryField::Type;
  if (into.type == Type::kAbsent) {
    into = std::move(piece);
    return;
  }
  if (into.type == Type::kObject) return;  // an object absorbs whatever follows
  if (into.type == Type::kArray && piece.type == Type::kObject) {
    into = QueryField{Type::kObject, {}, 0};  // the array becomes an object of its indices
    return;
  }
  // A string met by anything, or an array met by a string or an array: one array of both.
  into.type = Type::kArray;
  if (piece.type == Type::kObject) {
    ++into.nested_elements;
  } else {
    into.values.insert(into.values.end(), piece.values.begin(), piece.values.end());
    into.nested_elements += piece.nested_elements;
  }
}

}  // namespace

std::string_view QueryField::TypeName() const {
  switch (type) {
    case Type::kAbsent: return "undefined";
    case Type::kString: return "string";
    case Type::kArray: return "array";
    case Type::kObject: return "object";
  }
  return "undefined";
}

QueryField LookUpQueryField(const QueryParams& query, std::string_view name) {
  // Raw keys of `name`, in order of first appearance, each with all its values.
  struct RawKey {
    std::string_view key;
    KeyPath path;
    std::vector<std::string_view> values;
  };
  std::vector<RawKey> raw_keys;
  const std::size_t considered = std::min(query.size(), kParameterLimit);
  for (std::size_t i = 0; i < considered; ++i) {
    const QueryParam& param = query[i];
    if (param.key.empty()) continue;  // qs skips a parameter without a key
    const KeyPath path = SplitKey(param.key);
    if (path.top != name) continue;
    RawKey* existing = nullptr;
    for (RawKey& raw : raw_keys) {
      if (raw.key == param.key) existing = &raw;
    }
    if (existing == nullptr) existing = &raw_keys.emplace_back(RawKey{param.key, path, {}});
    existing->values.push_back(param.value);
  }
  QueryField field;
  for (const RawKey& raw : raw_keys) Merge(field, Piece(raw.path, raw.values));
  return field;
}

}  // namespace convene::http
