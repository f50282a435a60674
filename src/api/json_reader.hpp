#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/error.hpp"

namespace convene::api {

/// zod-3-compatible field validation over a parsed JSON value. Collects every problem with the
/// reference's exact messages ("Required", "Expected string, received number", "Invalid enum
/// value. Expected 'a' | 'b', received 'c'", ...) and field paths joined with '.'.
class JsonReader {
 public:
  /// The zod type name of a JSON value: "string", "number", "boolean", "null", "array", "object"
  /// ("integer" is never used: zod reports numbers as "number").
  static std::string_view TypeName(const boost::json::value& v);

  void AddError(std::string field, std::string message);
  bool ok() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  /// Error::Validation(errors) — only meaningful when !ok().
  Error ToError() const;

  /// Looks up `key` in `object` (which must be an object) and checks its type. Absent key:
  /// nullopt, plus "Required" when `required`. Wrong type: "Expected <t>, received <u>".
  std::optional<std::string> String(const boost::json::value& object, std::string_view key,
                                    const std::string& path, bool required);
  std::optional<bool> Bool(const boost::json::value& object, std::string_view key,
                           const std::string& path, bool required);
  /// JSON numbers (int64/uint64/double). NaN/inf impossible in JSON.
  std::optional<double> Number(const boost::json::value& object, std::string_view key,
                               const std::string& path, bool required);
  /// Returns the nested object (pointer into `object`) or nullptr with the error recorded.
  const boost::json::value* Object(const boost::json::value& object, std::string_view key,
                                   const std::string& path, bool required);
  /// A string that must be one of `allowed`; records zod's enum message otherwise.
  std::optional<std::string> Enum(const boost::json::value& object, std::string_view key,
                                  const std::string& path, bool required,
                                  const std::vector<std::string_view>& allowed);
  /// Like Enum, but with z.nativeEnum's rules (used by the reference for TypeScript enums): a
  /// number is reported as an invalid enum value ("..., received '5'") instead of a type error.
  std::optional<std::string> NativeEnum(const boost::json::value& object, std::string_view key,
                                        const std::string& path, bool required,
                                        const std::vector<std::string_view>& allowed);
  /// z.object() on a whole value: records "Expected object, received <t>" at `path` and returns
  /// false when `value` is not an object.
  bool ExpectObject(const boost::json::value& value, const std::string& path);

 private:
  std::vector<FieldError> errors_;
};

/// Joins a parent path and a key: Path("", "a") == "a", Path("a", "b") == "a.b".
std::string Path(const std::string& parent, std::string_view key);

/// zod's enum message: Invalid enum value. Expected 'a' | 'b', received 'c'
std::string InvalidEnumMessage(const std::vector<std::string_view>& allowed, std::string_view got);

/// zod's util.joinValues: 'a' | 'b' | 'c' (the "expected" part of enum messages).
std::string JoinEnumValues(const std::vector<std::string_view>& allowed);

/// ECMAScript Number::toString for finite and non-finite doubles ("5", "1.5", "1e+21", "1e-7",
/// "Infinity", "NaN"), which is how zod interpolates a number into a message.
std::string JsNumberToString(double value);

}  // namespace convene::api
