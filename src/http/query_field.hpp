#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "http/query_param.hpp"

namespace convene::http {

/// What Express's extended query parser (`qs`, as the reference runs it: arrays up to index 20,
/// repeated keys combined) makes of one top-level query key, which is what zod then validates:
///   `k=v`                      a string;
///   `k=a&k=b`, `k[]=v`, `k[3]=v` an array;
///   `k[x]=v`, `k[21]=v`        an object;
/// and, when several of these meet, the type qs's merge ends with (a string met by anything is
/// an array; an array met by an object is an object; an object stays an object).
struct QueryField {
  enum class Type { kAbsent, kString, kArray, kObject };
  Type type = Type::kAbsent;
  /// kString: the one value. kArray: its string elements in order (elements that are themselves
  /// arrays or objects, `k[0][x]=v`, are counted in `nested_elements` instead).
  std::vector<std::string_view> values;
  std::size_t nested_elements = 0;

  bool absent() const { return type == Type::kAbsent; }
  bool is_string() const { return type == Type::kString; }
  std::string_view str() const { return values.front(); }  // only for kString
  /// zod's name for the received type, as in "Expected string, received array".
  std::string_view TypeName() const;
};

/// The field `name` of a parsed query string (keys already percent-decoded).
QueryField LookUpQueryField(const QueryParams& query, std::string_view name);

}  // namespace convene::http
