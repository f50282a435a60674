#include "api/json_reader.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

namespace convene::api {
namespace {

namespace json = boost::json;

/// The member `key` of `object`, or nullptr when absent. A non-object container has no members,
/// which keeps the lookups total even if a caller forgets ExpectObject.
const json::value* Member(const json::value& object, std::string_view key) {
  const json::object* obj = object.if_object();
  if (obj == nullptr) return nullptr;
  return obj->if_contains(key);
}

double AsDouble(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
      return static_cast<double>(v.get_int64());
    case json::kind::uint64:
      return static_cast<double>(v.get_uint64());
    case json::kind::double_:
      return v.get_double();
    default:
      return 0;
  }
}

std::string TypeMismatch(std::string_view expected, const json::value& got) {
  return "Expected " + std::string(expected) + ", received " +
         std::string(JsonReader::TypeName(got));
}

bool Contains(const std::vector<std::string_view>& allowed, std::string_view s) {
  for (std::string_view a : allowed) {
    if (a == s) return true;
  }
  return false;
}

}  // namespace

std::string_view JsonReader::TypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "unknown";
}

void JsonReader::AddError(std::string field, std::string message) {
  errors_.push_back(FieldError{std::move(field), std::move(message)});
}

Error JsonReader::ToError() const { return Error::Validation(errors_); }

std::optional<std::string> JsonReader::String(const json::value& object, std::string_view key,
                                              const std::string& path, bool required) {
  const json::value* v = Member(object, key);
  if (v == nullptr) {
    if (required) AddError(path, "Required");
    return std::nullopt;
  }
  if (!v->is_string()) {
    AddError(path, TypeMismatch("string", *v));
    return std::nullopt;
  }
  const json::string& s = v->get_string();
  return std::string(s.data(), s.size());
}

std::optional<bool> JsonReader::Bool(const json::value& object, std::string_view key,
                                     const std::string& path, bool required) {
  const json::value* v = Member(object, key);
  if (v == nullptr) {
    if (required) AddError(path, "Required");
    return std::nullopt;
  }
  if (!v->is_bool()) {
    AddError(path, TypeMismatch("boolean", *v));
    return std::nullopt;
  }
  return v->get_bool();
}

std::optional<double> JsonReader::Number(const json::value& object, std::string_view key,
                                         const std::string& path, bool required) {
  const json::value* v = Member(object, key);
  if (v == nullptr) {
    if (required) AddError(path, "Required");
    return std::nullopt;
  }
  if (!v->is_number()) {
    AddError(path, TypeMismatch("number", *v));
    return std::nullopt;
  }
  return AsDouble(*v);
}

const json::value* JsonReader::Object(const json::value& object, std::string_view key,
                                      const std::string& path, bool required) {
  const json::value* v = Member(object, key);
  if (v == nullptr) {
    if (required) AddError(path, "Required");
    return nullptr;
  }
  return ExpectObject(*v, path) ? v : nullptr;
}

bool JsonReader::ExpectObject(const json::value& value, const std::string& path) {
  if (value.is_object()) return true;
  AddError(path, TypeMismatch("object", value));
  return false;
}

std::optional<std::string> JsonReader::Enum(const json::value& object, std::string_view key,
                                            const std::string& path, bool required,
                                            const std::vector<std::string_view>& allowed) {
  const json::value* v = Member(object, key);
  if (v == nullptr) {
    if (required) AddError(path, "Required");
    return std::nullopt;
  }
  // z.enum: anything but a string is a type error whose "expected" part lists the values.
  if (!v->is_string()) {
    AddError(path, TypeMismatch(JoinEnumValues(allowed), *v));
    return std::nullopt;
  }
  const std::string_view s(v->get_string().data(), v->get_string().size());
  if (!Contains(allowed, s)) {
    AddError(path, InvalidEnumMessage(allowed, s));
    return std::nullopt;
  }
  return std::string(s);
}

std::optional<std::string> JsonReader::NativeEnum(const json::value& object, std::string_view key,
                                                  const std::string& path, bool required,
                                                  const std::vector<std::string_view>& allowed) {
  const json::value* v = Member(object, key);
  if (v != nullptr && v->is_number()) {
    // z.nativeEnum accepts numbers as candidates (TypeScript numeric enums), so a number that is
    // not a member is reported like an unknown string: "..., received '5'".
    AddError(path, InvalidEnumMessage(allowed, JsNumberToString(AsDouble(*v))));
    return std::nullopt;
  }
  return Enum(object, key, path, required, allowed);
}

std::string Path(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out;
  out.reserve(parent.size() + 1 + key.size());
  out.append(parent).push_back('.');
  out.append(key);
  return out;
}

std::string JoinEnumValues(const std::vector<std::string_view>& allowed) {
  std::string out;
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) out += " | ";
    out += '\'';
    out += allowed[i];
    out += '\'';
  }
  return out;
}

std::string InvalidEnumMessage(const std::vector<std::string_view>& allowed, std::string_view got) {
  return "Invalid enum value. Expected " + JoinEnumValues(allowed) + ", received '" +
         std::string(got) + "'";
}

std::string JsNumberToString(double value) {
  if (std::isnan(value)) return "NaN";
  if (value == 0) return "0";  // also -0, which JavaScript prints as "0"
  if (value < 0) return "-" + JsNumberToString(-value);
  if (std::isinf(value)) return "Infinity";

  // Shortest round-trip digits, then ECMAScript's Number::toString layout rules (ECMA-262
  // 6.1.6.1.20): plain integer up to 21 digits, fixed notation down to 1e-6, exponent otherwise.
  std::array<char, 64> buf{};
  const auto res =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  const std::string_view sci(buf.data(), static_cast<std::size_t>(res.ptr - buf.data()));
  const std::size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  const int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;

  if (k <= n && n <= 21) return digits + std::string(static_cast<std::size_t>(n - k), '0');
  if (0 < n && n <= 21) {
    return digits.substr(0, static_cast<std::size_t>(n)) + "." +
           digits.substr(static_cast<std::size_t>(n));
  }
  if (-6 < n && n <= 0) return "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
  const int e = n - 1;
  std::string out(1, digits[0]);
  if (k > 1) out += "." + digits.substr(1);
  out += e >= 0 ? "e+" : "e-";
  out += std::to_string(std::abs(e));
  return out;
}

}  // namespace convene::api
