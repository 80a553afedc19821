// operators.h - operators, casts and functions of the types the language
// computes through PostgreSQL's own functions: numeric, date, time,
// timestamp, timestamptz, interval, uuid and bytea.
//
// The binder asks which operator, cast or function exists and what it
// returns; codegen emits a memopt_rt_apply call of the MemoptNativeFunction
// named here (runtime_api.h), or compares in generated code where the type
// is an integer underneath (dates, times, timestamps). Integers, floats,
// boolean and text stay with binder.cpp and codegen.cpp. The rules follow
// PostgreSQL's pg_operator and pg_cast entries for these types.
#pragma once

#include <string>
#include <vector>

#include "ast.h"

namespace memopt {
namespace native {

// smallint, integer, bigint / real, double precision.
inline bool IsInteger(Type t) { return t == Type::kInt2 || t == Type::kInt4 || t == Type::kInt8; }
inline bool IsFloat(Type t) { return t == Type::kFloat4 || t == Type::kFloat8; }

// Held as a pointer Datum: text, numeric, interval, uuid, bytea.
bool IsByReference(Type type);

// The types this file handles (numeric and the others above).
bool IsComputedByPostgres(Type type);

// `left op right` for a comparison or arithmetic operator where an operand
// has one of those types.
struct OperatorMatch {
  Type left = Type::kUnknown;  // the operands are converted to these first
  Type right = Type::kUnknown;
  Type result = Type::kUnknown;
  int function = -1;     // MemoptNativeFunction; -1: generated code (as for the operand types)
  bool compare = false;  // `function` orders its operands: test its result against 0
  bool swap = false;     // call `function` on (right, left): 2 + date is date + 2
};
bool ResolveOperator(const std::string &op, Type left, Type right, OperatorMatch *match);

// -x: the function, or false when the type has no unary minus here.
bool ResolveNegation(Type type, int *function);

// A cast `from` -> `to` between two types of which one is handled here (text
// conversions excepted: they use the types' input and output functions).
// *function is -1 when there is nothing to do.
bool ResolveCast(Type from, Type to, int *function);

// Operands convert implicitly to a common type: integer -> numeric ->
// float; date -> timestamp -> timestamptz.
bool ConvertsImplicitly(Type from, Type to);

// The type values of two types take together (CASE, COALESCE): numbers
// widen (integer -> numeric -> double precision), dates become timestamps;
// false when there is none.
bool CommonType(Type a, Type b, Type *common);

// A function computed by a PostgreSQL builtin (substr, round, date_trunc,
// to_char, ...): the parameter types its arguments are converted to, its
// result and the MemoptNativeFunction; missing trailing arguments are 0
// (round(x) is round(x, 0)). Exact parameter types win over conversions.
struct FunctionMatch {
  std::vector<Type> params;
  Type result = Type::kUnknown;
  int function = -1;
};
bool IsPostgresFunction(const std::string &name);
bool ResolveFunction(const std::string &name, const std::vector<Type> &args, FunctionMatch *match);

// The function ordering two values of `type` (<0, 0, >0), or -1 where
// generated code compares them as integers (and for types it orders itself).
int OrderFunction(Type type);

}  // namespace native
}  // namespace memopt
