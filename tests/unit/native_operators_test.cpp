// Tests for operators.cpp: which operator, cast and function PostgreSQL
// would pick for numeric, date/time, interval, uuid and bytea operands.
#include "operators.h"

#include <gtest/gtest.h>

#include "runtime_api.h"

namespace memopt {
namespace native {
namespace {

TEST(NativeOperators, NumbersWidenToNumericThenToDoublePrecision) {
  OperatorMatch match;
  ASSERT_TRUE(ResolveOperator("+", Type::kInt4, Type::kNumeric, &match));
  EXPECT_EQ(match.left, Type::kNumeric);
  EXPECT_EQ(match.result, Type::kNumeric);
  EXPECT_EQ(match.function, MEMOPT_FN_NUMERIC_ADD);
  ASSERT_TRUE(ResolveOperator("*", Type::kNumeric, Type::kFloat4, &match));
  EXPECT_EQ(match.result, Type::kFloat8);
  EXPECT_EQ(match.function, -1);  // generated code multiplies the doubles
  ASSERT_TRUE(ResolveOperator("<", Type::kNumeric, Type::kInt8, &match));
  EXPECT_TRUE(match.compare);
  EXPECT_EQ(match.result, Type::kBool);
  EXPECT_FALSE(ResolveOperator("%", Type::kNumeric, Type::kFloat8, &match));
}

TEST(NativeOperators, DateAndTimeArithmeticHasPostgresResultTypes) {
  OperatorMatch match;
  ASSERT_TRUE(ResolveOperator("-", Type::kDate, Type::kDate, &match));
  EXPECT_EQ(match.result, Type::kInt4);
  ASSERT_TRUE(ResolveOperator("+", Type::kInt4, Type::kDate, &match));
  EXPECT_TRUE(match.swap);  // 2 + d is date_pli(d, 2)
  EXPECT_EQ(match.result, Type::kDate);
  ASSERT_TRUE(ResolveOperator("+", Type::kDate, Type::kInterval, &match));
  EXPECT_EQ(match.result, Type::kTimestamp);
  ASSERT_TRUE(ResolveOperator("-", Type::kTimestamp, Type::kDate, &match));
  EXPECT_EQ(match.right, Type::kTimestamp);
  EXPECT_EQ(match.result, Type::kInterval);
  ASSERT_TRUE(ResolveOperator("<", Type::kDate, Type::kTimestampTz, &match));
  EXPECT_EQ(match.left, Type::kTimestampTz);
  EXPECT_EQ(match.function, -1);  // compared as integers
  ASSERT_TRUE(ResolveOperator("*", Type::kInt4, Type::kInterval, &match));
  EXPECT_EQ(match.left, Type::kFloat8);
  EXPECT_FALSE(ResolveOperator("*", Type::kDate, Type::kInt4, &match));
  EXPECT_FALSE(ResolveOperator("<", Type::kUuid, Type::kText, &match));
}

TEST(NativeOperators, FunctionsPreferExactThenDoublePrecisionArguments) {
  FunctionMatch match;
  ASSERT_TRUE(ResolveFunction("round", {Type::kInt4}, &match));
  EXPECT_EQ(match.result, Type::kFloat8);  // as PostgreSQL: round(5) is round(float8)
  ASSERT_TRUE(ResolveFunction("round", {Type::kNumeric, Type::kInt4}, &match));
  EXPECT_EQ(match.function, MEMOPT_FN_NUMERIC_ROUND);
  ASSERT_TRUE(ResolveFunction("power", {Type::kNumeric, Type::kInt4}, &match));
  EXPECT_EQ(match.result, Type::kNumeric);
  ASSERT_TRUE(ResolveFunction("substr", {Type::kText, Type::kInt2}, &match));
  EXPECT_EQ(match.params[1], Type::kInt4);
  EXPECT_FALSE(ResolveFunction("substr", {Type::kText, Type::kInt8}, &match));  // no narrowing
  ASSERT_TRUE(ResolveFunction("to_char", {Type::kTimestampTz, Type::kNull}, &match));
  EXPECT_EQ(match.function, MEMOPT_FN_TIMESTAMPTZ_TO_CHAR);
  EXPECT_TRUE(IsPostgresFunction("split_part"));
  EXPECT_FALSE(IsPostgresFunction("no_such_function"));
}

TEST(NativeOperators, CastsAndCommonTypes) {
  int function;
  ASSERT_TRUE(ResolveCast(Type::kInt8, Type::kNumeric, &function));
  EXPECT_EQ(function, MEMOPT_FN_INT8_TO_NUMERIC);
  ASSERT_TRUE(ResolveCast(Type::kTimestampTz, Type::kDate, &function));
  EXPECT_FALSE(ResolveCast(Type::kUuid, Type::kInt4, &function));
  Type common;
  ASSERT_TRUE(CommonType(Type::kInt4, Type::kNumeric, &common));
  EXPECT_EQ(common, Type::kNumeric);
  ASSERT_TRUE(CommonType(Type::kDate, Type::kTimestamp, &common));
  EXPECT_EQ(common, Type::kTimestamp);
  EXPECT_FALSE(CommonType(Type::kInterval, Type::kDate, &common));
  EXPECT_TRUE(IsByReference(Type::kInterval));
  EXPECT_FALSE(IsByReference(Type::kTimestamp));
}

}  // namespace
}  // namespace native
}  // namespace memopt
