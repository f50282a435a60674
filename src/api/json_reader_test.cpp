#include "api/json_reader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <boost/json/parse.hpp>

namespace convene::api {
namespace {

namespace json = boost::json;

std::vector<std::pair<std::string, std::string>> Issues(const JsonReader& reader) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const FieldError& e : reader.errors()) out.emplace_back(e.field, e.message);
  return out;
}

using IssueList = std::vector<std::pair<std::string, std::string>>;

TEST(JsonReaderTypeName, UsesZodParsedTypeNames) {
  EXPECT_EQ(JsonReader::TypeName(json::parse("null")), "null");
  EXPECT_EQ(JsonReader::TypeName(json::parse("true")), "boolean");
  EXPECT_EQ(JsonReader::TypeName(json::parse("1")), "number");
  EXPECT_EQ(JsonReader::TypeName(json::parse("-1")), "number");
  EXPECT_EQ(JsonReader::TypeName(json::parse("18446744073709551615")), "number");
  EXPECT_EQ(JsonReader::TypeName(json::parse("1.5")), "number");
  EXPECT_EQ(JsonReader::TypeName(json::parse("\"x\"")), "string");
  EXPECT_EQ(JsonReader::TypeName(json::parse("[]")), "array");
  EXPECT_EQ(JsonReader::TypeName(json::parse("{}")), "object");
}

TEST(JsonReaderString, ReturnsValueWhenPresent) {
  JsonReader reader;
  EXPECT_EQ(reader.String(json::parse(R"({"a":"x"})"), "a", "a", true), "x");
  EXPECT_TRUE(reader.ok());
}

TEST(JsonReaderString, MissingRequiredKeyIsRequired) {
  JsonReader reader;
  EXPECT_EQ(reader.String(json::parse("{}"), "a", "p.a", true), std::nullopt);
  EXPECT_EQ(Issues(reader), (IssueList{{"p.a", "Required"}}));
}

TEST(JsonReaderString, MissingOptionalKeyIsNotAnError) {
  JsonReader reader;
  EXPECT_EQ(reader.String(json::parse("{}"), "a", "a", false), std::nullopt);
  EXPECT_TRUE(reader.ok());
}

TEST(JsonReaderString, WrongTypeNamesTheReceivedType) {
  JsonReader reader;
  reader.String(json::parse(R"({"a":1})"), "a", "a", true);
  reader.String(json::parse(R"({"a":null})"), "a", "a", false);
  reader.String(json::parse(R"({"a":["x"]})"), "a", "a", false);
  EXPECT_EQ(Issues(reader), (IssueList{{"a", "Expected string, received number"},
                                       {"a", "Expected string, received null"},
                                       {"a", "Expected string, received array"}}));
}

TEST(JsonReaderBool, RejectsNullAndStrings) {
  JsonReader reader;
  EXPECT_EQ(reader.Bool(json::parse(R"({"a":false})"), "a", "a", true), false);
  reader.Bool(json::parse(R"({"a":null})"), "a", "a", true);
  reader.Bool(json::parse(R"({"a":"true"})"), "a", "a", true);
  EXPECT_EQ(Issues(reader), (IssueList{{"a", "Expected boolean, received null"},
                                       {"a", "Expected boolean, received string"}}));
}

TEST(JsonReaderNumber, AcceptsEveryJsonNumberKind) {
  JsonReader reader;
  EXPECT_EQ(reader.Number(json::parse(R"({"a":-3})"), "a", "a", true), -3.0);
  EXPECT_EQ(reader.Number(json::parse(R"({"a":18446744073709551615})"), "a", "a", true),
            18446744073709551615.0);
  EXPECT_EQ(reader.Number(json::parse(R"({"a":2.5})"), "a", "a", true), 2.5);
  EXPECT_TRUE(reader.ok());
}

TEST(JsonReaderNumber, NullIsATypeError) {
  JsonReader reader;
  reader.Number(json::parse(R"({"a":null})"), "a", "a", false);
  EXPECT_EQ(Issues(reader), (IssueList{{"a", "Expected number, received null"}}));
}

TEST(JsonReaderObject, ReturnsNestedObjectOrRecordsTypeError) {
  JsonReader reader;
  const json::value body = json::parse(R"({"o":{"k":1},"s":"x"})");
  const json::value* nested = reader.Object(body, "o", "o", true);
  ASSERT_NE(nested, nullptr);
  EXPECT_TRUE(nested->is_object());
  EXPECT_EQ(reader.Object(body, "s", "s", true), nullptr);
  EXPECT_EQ(reader.Object(body, "m", "m", true), nullptr);
  EXPECT_EQ(reader.Object(body, "n", "n", false), nullptr);
  EXPECT_EQ(Issues(reader),
            (IssueList{{"s", "Expected object, received string"}, {"m", "Required"}}));
}

TEST(JsonReaderObject, LookupsOnANonObjectBehaveAsAbsent) {
  JsonReader reader;
  EXPECT_EQ(reader.String(json::parse("[1]"), "a", "a", false), std::nullopt);
  EXPECT_TRUE(reader.ok());
}

TEST(JsonReaderExpectObject, ReportsRootTypeWithEmptyPath) {
  JsonReader reader;
  EXPECT_TRUE(reader.ExpectObject(json::parse("{}"), ""));
  EXPECT_FALSE(reader.ExpectObject(json::parse("[]"), ""));
  EXPECT_FALSE(reader.ExpectObject(json::parse("\"x\""), ""));
  EXPECT_EQ(Issues(reader), (IssueList{{"", "Expected object, received array"},
                                       {"", "Expected object, received string"}}));
}

TEST(JsonReaderEnum, AcceptsListedValue) {
  JsonReader reader;
  EXPECT_EQ(reader.Enum(json::parse(R"({"s":"b"})"), "s", "s", true, {"a", "b"}), "b");
  EXPECT_TRUE(reader.ok());
}

TEST(JsonReaderEnum, UnknownStringGivesZodEnumMessage) {
  JsonReader reader;
  reader.Enum(json::parse(R"({"s":"c"})"), "s", "s", true, {"a", "b"});
  EXPECT_EQ(Issues(reader),
            (IssueList{{"s", "Invalid enum value. Expected 'a' | 'b', received 'c'"}}));
}

TEST(JsonReaderEnum, NonStringIsATypeErrorListingTheValues) {
  JsonReader reader;
  reader.Enum(json::parse(R"({"s":5})"), "s", "s", true, {"open", "closed"});
  reader.Enum(json::parse(R"({"s":null})"), "s", "s", true, {"open", "closed"});
  EXPECT_EQ(Issues(reader), (IssueList{{"s", "Expected 'open' | 'closed', received number"},
                                       {"s", "Expected 'open' | 'closed', received null"}}));
}

TEST(JsonReaderEnum, MissingRequiredIsRequired) {
  JsonReader reader;
  reader.Enum(json::parse("{}"), "s", "s", true, {"a"});
  EXPECT_EQ(Issues(reader), (IssueList{{"s", "Required"}}));
}

TEST(JsonReaderNativeEnum, NumberIsReportedAsInvalidEnumValue) {
  JsonReader reader;
  reader.NativeEnum(json::parse(R"({"s":5})"), "s", "s", true, {"force", "fail"});
  reader.NativeEnum(json::parse(R"({"s":1.5})"), "s", "s", true, {"force", "fail"});
  EXPECT_EQ(Issues(reader),
            (IssueList{{"s", "Invalid enum value. Expected 'force' | 'fail', received '5'"},
                       {"s", "Invalid enum value. Expected 'force' | 'fail', received '1.5'"}}));
}

TEST(JsonReaderNativeEnum, OtherTypesBehaveLikeEnum) {
  JsonReader reader;
  EXPECT_EQ(reader.NativeEnum(json::parse(R"({"s":"fail"})"), "s", "s", true, {"force", "fail"}),
            "fail");
  reader.NativeEnum(json::parse(R"({"s":true})"), "s", "s", true, {"force", "fail"});
  reader.NativeEnum(json::parse(R"({"s":"x"})"), "s", "s", true, {"force", "fail"});
  EXPECT_EQ(reader.NativeEnum(json::parse("{}"), "s", "s", false, {"force"}), std::nullopt);
  EXPECT_EQ(Issues(reader),
            (IssueList{{"s", "Expected 'force' | 'fail', received boolean"},
                       {"s", "Invalid enum value. Expected 'force' | 'fail', received 'x'"}}));
}

TEST(JsonReaderToError, IsA422WithEveryCollectedDetail) {
  JsonReader reader;
  reader.AddError("a", "one");
  reader.AddError("b.c", "two");
  EXPECT_FALSE(reader.ok());
  const Error e = reader.ToError();
  EXPECT_EQ(e.code, ErrorCode::kValidation);
  EXPECT_EQ(e.name, "Unprocessable Entity");
  EXPECT_EQ(e.message, "Invalid request");
  ASSERT_EQ(e.details.size(), 2u);
  EXPECT_EQ(e.details[1].field, "b.c");
  EXPECT_EQ(e.details[1].message, "two");
}

TEST(JsonPath, JoinsWithDots) {
  EXPECT_EQ(Path("", "a"), "a");
  EXPECT_EQ(Path("a", "b"), "a.b");
  EXPECT_EQ(Path(Path("config", "recording"), "enabled"), "config.recording.enabled");
}

TEST(JsNumberToString, MatchesEcmaScriptFormatting) {
  EXPECT_EQ(JsNumberToString(5), "5");
  EXPECT_EQ(JsNumberToString(-5), "-5");
  EXPECT_EQ(JsNumberToString(0.0), "0");
  EXPECT_EQ(JsNumberToString(-0.0), "0");
  EXPECT_EQ(JsNumberToString(1.5), "1.5");
  EXPECT_EQ(JsNumberToString(0.1), "0.1");
  EXPECT_EQ(JsNumberToString(123456789012), "123456789012");
  EXPECT_EQ(JsNumberToString(1e20), "100000000000000000000");
  EXPECT_EQ(JsNumberToString(1e21), "1e+21");
  EXPECT_EQ(JsNumberToString(1.5e300), "1.5e+300");
  EXPECT_EQ(JsNumberToString(0.000001), "0.000001");
  EXPECT_EQ(JsNumberToString(1e-7), "1e-7");
  EXPECT_EQ(JsNumberToString(1.25e-7), "1.25e-7");
  EXPECT_EQ(JsNumberToString(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(JsNumberToString(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(JsNumberToString(std::nan("")), "NaN");
}

}  // namespace
}  // namespace convene::api
