// in_list.cpp - recognising a bound `x IN (item, ...)` (in_list.h).
#include "in_list.h"

namespace memopt {
namespace native {

bool IsPlainOperand(const Expr *expr) {
  if (expr->kind == ExprKind::kName) return true;
  return expr->kind == ExprKind::kCast && expr->cast_type.name.empty() &&
         IsPlainOperand(expr->args[0].get());
}

bool SameOperand(const Expr *a, const Expr *b) {
  if (a->kind != b->kind || a->type != b->type) return false;
  if (a->kind == ExprKind::kCast) return SameOperand(a->args[0].get(), b->args[0].get());
  return a->variable == b->variable && a->source == b->source && a->column == b->column &&
         a->outer == b->outer && a->group_key == b->group_key;
}

bool IsLiteral(const Expr &expr) {
  switch (expr.kind) {
    case ExprKind::kInt:
    case ExprKind::kFloat:
    case ExprKind::kString:
    case ExprKind::kBool:
    case ExprKind::kNull:
      return true;
    default:
      return false;
  }
}

bool IsConstantItem(const Expr *expr) {
  if (IsLiteral(*expr)) return true;
  switch (expr->kind) {
    case ExprKind::kCast:
      return IsConstantItem(expr->args[0].get());
    case ExprKind::kUnary:
      return (expr->op == "-" || expr->op == "+") && IsConstantItem(expr->args[0].get());
    default:
      return false;
  }
}

bool CollectConstantInList(const Expr *expr, const Expr **operand,
                           std::vector<const Expr *> *items) {
  if (expr->kind != ExprKind::kBinary) return false;
  if (expr->op == "or")
    return CollectConstantInList(expr->args[0].get(), operand, items) &&
           CollectConstantInList(expr->args[1].get(), operand, items);
  if (expr->op != "=") return false;
  const Expr *side = expr->args[0].get();
  const Expr *item = expr->args[1].get();
  if (side->type != item->type || !IsPlainOperand(side) || !IsConstantItem(item)) return false;
  if (*operand == nullptr)
    *operand = side;
  else if (!SameOperand(*operand, side))
    return false;
  items->push_back(item);
  return true;
}

}  // namespace native
}  // namespace memopt
