// in_list.h - recognising a bound `x IN (item, ...)`, and its literals.
//
// The parser makes an IN list an OR of equalities `x = item` (parser.cpp
// ParseInTail) and the binder binds them as any comparisons. The binder
// (a value set for a long list of constants) and the code generator (a
// switch for integer constants, binder marks) find the list again here.
#pragma once

#include <vector>

#include "ast.h"

namespace memopt {
namespace native {

// A variable or column, possibly widened by implicit casts: reading it
// cannot fail and has no effect, so a list's tests may read it once.
bool IsPlainOperand(const Expr *expr);

// Whether two plain operands read the same value the same way.
bool SameOperand(const Expr *a, const Expr *b);

// An integer, float, string, boolean or NULL literal.
bool IsLiteral(const Expr &expr);

// A literal, a cast of one or a negated one: an item whose value no
// variable or row changes.
bool IsConstantItem(const Expr *expr);

// Whether `expr` is an OR of `operand = item`, one plain operand on the
// left of every equality (as the parser builds `x IN (...)`) and every
// item constant, the two sides of one type; collects the items.
bool CollectConstantInList(const Expr *expr, const Expr **operand,
                           std::vector<const Expr *> *items);

}  // namespace native
}  // namespace memopt
