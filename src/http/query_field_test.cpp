#include "http/query_field.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace convene::http {
namespace {

using Type = QueryField::Type;

QueryField Field(const QueryParams& query, std::string_view name = "k") {
  return LookUpQueryField(query, name);
}

// A QueryField views into its QueryParams: a field kept past one expression needs its params kept too.
std::vector<std::string> Values(const QueryField& field) {
  return {field.values.begin(), field.values.end()};
}

TEST(QueryField, PlainKeyIsAStringAndARepeatedOneAnArray) {
  EXPECT_EQ(Field({{"x", "1"}}).type, Type::kAbsent);
  EXPECT_EQ(Field({{"k", "1"}}).type, Type::kString);
  EXPECT_EQ(Field({{"k", "1"}}).str(), "1");
  const QueryParams query{{"k", "1"}, {"x", "0"}, {"k", "2"}};
  const QueryField repeated = Field(query);
  EXPECT_EQ(repeated.type, Type::kArray);
  EXPECT_EQ(Values(repeated), (std::vector<std::string>{"1", "2"}));
}

TEST(QueryField, BracketsMakeArraysOrObjectsAsQsDoes) {
  EXPECT_EQ(Field({{"k[]", "a"}}).type, Type::kArray);
  EXPECT_EQ(Values(Field({{"k[]", "a"}, {"k[]", "b"}})), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Field({{"k[0]", "a"}}).type, Type::kArray);
  EXPECT_EQ(Field({{"k[20]", "a"}}).type, Type::kArray);
  EXPECT_EQ(Field({{"k[21]", "a"}}).type, Type::kObject);  // beyond qs's arrayLimit
  EXPECT_EQ(Field({{"k[01]", "a"}}).type, Type::kObject);
  EXPECT_EQ(Field({{"k[-1]", "a"}}).type, Type::kObject);
  EXPECT_EQ(Field({{"k[invalid]", "a"}}).type, Type::kObject);
  EXPECT_EQ(Field({{"k[a][b]", "a"}}).type, Type::kObject);
  EXPECT_EQ(Field({{"k[a]", "a"}}).TypeName(), "object");
  EXPECT_EQ(Field({{"[k]", "a"}}).type, Type::kString);  // qs reads "[k]" as k
}

TEST(QueryField, UnbalancedBracketsAreLiteralKeys) {
  EXPECT_EQ(Field({{"k[", "a"}}).type, Type::kAbsent);
  EXPECT_EQ(Field({{"k[", "a"}}, "k[").type, Type::kString);
  EXPECT_EQ(Field({{"k]x", "a"}}).type, Type::kAbsent);
}

TEST(QueryField, NestedArrayElementsAreCountedApart) {
  const QueryParams nested_query{{"k[0][x]", "a"}};
  const QueryField nested = Field(nested_query);
  EXPECT_EQ(nested.type, Type::kArray);
  EXPECT_TRUE(nested.values.empty());
  EXPECT_EQ(nested.nested_elements, 1u);
  // A repeated indexed key holds one element that is itself an array.
  EXPECT_EQ(Field({{"k[0]", "a"}, {"k[0]", "b"}}).nested_elements, 1u);
}

TEST(QueryField, MixedFormsMergeAsQsDoes) {
  EXPECT_EQ(Field({{"k", "a"}, {"k[x]", "b"}}).type, Type::kArray);   // [a, {x:b}]
  EXPECT_EQ(Field({{"k[x]", "b"}, {"k", "a"}}).type, Type::kObject);  // {x:b, a:true}
  EXPECT_EQ(Field({{"k[]", "a"}, {"k[x]", "b"}}).type, Type::kObject);
  EXPECT_EQ(Values(Field({{"k", "a"}, {"k[]", "b"}})), (std::vector<std::string>{"a", "b"}));
  // Values of one raw key are combined before keys merge: [a, c] then {x:b} → an object.
  EXPECT_EQ(Field({{"k", "a"}, {"k[x]", "b"}, {"k", "c"}}).type, Type::kObject);
}

TEST(QueryField, OnlyTheFirstThousandParametersCount) {
  QueryParams query(1000, QueryParam{"x", "1"});
  query.push_back({"k", "late"});
  EXPECT_EQ(Field(query).type, Type::kAbsent);
}

}  // namespace
}  // namespace convene::http
