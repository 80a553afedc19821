// codegen_in_list.cpp - IN lists of constants.
//
// The parser makes `x IN (1, 2, ...)` an OR of equalities (parser.cpp
// ParseInTail). Generated one equality at a time, a list of thousands of
// items became thousands of blocks and phi nodes, over which LLVM's passes
// spent seconds to minutes (2 x 2,000 items: 13 s). When every item is an
// integer constant and the other side is one variable or column, the list
// is instead one `switch` on that value, which LLVM lowers to a jump table
// or a binary search in time about linear in the items; and an index
// lookup per item (GenAlternativeLookups) reads its keys from one constant
// array of the distinct items, built here at compile time. A long list of
// constants of another type is a runtime value set (GenConstantValueSet).
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>

#include "codegen_internal.h"
#include "in_list.h"

namespace memopt {
namespace native {
namespace codegen_detail {

namespace {

bool FitsIn(int64_t value, Type type) {
  switch (type) {
    case Type::kInt2:
      return value >= std::numeric_limits<int16_t>::min() &&
             value <= std::numeric_limits<int16_t>::max();
    case Type::kInt4:
      return value >= std::numeric_limits<int32_t>::min() &&
             value <= std::numeric_limits<int32_t>::max();
    default:
      return type == Type::kInt8;
  }
}

// An integer literal, negated or cast to an integer type: its value, when
// computing it can raise no error (an out-of-range cast or negation is
// left to the generated code, which raises it).
bool IntegerConstant(const Expr *expr, int64_t *value) {
  if (!IsInteger(expr->type)) return false;
  switch (expr->kind) {
    case ExprKind::kInt: {
      errno = 0;
      char *end = nullptr;
      long long parsed = std::strtoll(expr->text.c_str(), &end, 10);
      *value = parsed;
      return errno == 0 && *end == '\0' && FitsIn(parsed, expr->type);
    }
    case ExprKind::kCast:
      return IntegerConstant(expr->args[0].get(), value) && FitsIn(*value, expr->type);
    case ExprKind::kUnary:
      if (expr->op != "-" || !IntegerConstant(expr->args[0].get(), value) ||
          *value == std::numeric_limits<int64_t>::min())
        return false;
      *value = -*value;
      return FitsIn(*value, expr->type);
    default:
      return false;
  }
}

// A plain operand whose casts, if any, widen integers.
bool IsIntegerOperand(const Expr *expr) {
  return expr->kind != ExprKind::kCast ||
         (IsInteger(expr->args[0]->type) && IsIntegerOperand(expr->args[0].get()));
}

// Whether `expr` is an OR of `operand = integer constant` with one operand
// for all; collects the constants.
bool CollectConstantSet(const Expr *expr, const Expr **operand, std::vector<int64_t> *constants) {
  if (expr->kind == ExprKind::kBinary && expr->op == "or")
    return CollectConstantSet(expr->args[0].get(), operand, constants) &&
           CollectConstantSet(expr->args[1].get(), operand, constants);
  if (expr->kind != ExprKind::kBinary || expr->op != "=" || expr->runtime >= 0) return false;
  const Expr *side = expr->args[0].get();
  const Expr *other = expr->args[1].get();
  if (side->type != other->type || !IsInteger(side->type)) return false;
  int64_t value;
  if (!IntegerConstant(other, &value)) {
    std::swap(side, other);
    if (!IntegerConstant(other, &value)) return false;
  }
  if (!IsPlainOperand(side) || !IsIntegerOperand(side)) return false;
  if (*operand == nullptr)
    *operand = side;
  else if (!SameOperand(*operand, side))
    return false;
  constants->push_back(value);
  return true;
}

void SortDistinct(std::vector<int64_t> *values) {
  std::sort(values->begin(), values->end());
  values->erase(std::unique(values->begin(), values->end()), values->end());
}

}  // namespace

// `x IN (constants)` of a value set (Expr::value_set, marked by the
// binder): the items go into the set at the list's first test in a call,
// then x is looked up; NULL when x is NULL, or when it is not found and an
// item is NULL, as the OR of equalities would be (GenHashedIn).
Value Generator::GenConstantValueSet(const Expr *expr) {
  const Expr *operand = nullptr;
  std::vector<const Expr *> items;
  CollectConstantInList(expr, &operand, &items);
  Type type = operand->type;
  llvm::Value *set = b_.getInt32(expr->value_set);
  BasicBlock *fill = NewBlock("in_constants_fill");
  BasicBlock *probe = NewBlock("in_constants_probe");
  BranchIfSetFilled(set, probe, fill);
  b_.SetInsertPoint(fill);
  ResetSet(set, type);
  if (!AddTextConstantsToSet(set, type, items, true)) {
    for (const Expr *item : items) {
      Value value = Gen(item);
      AddToSet(set, DatumOrZero(value, type), value.null);
    }
  }
  b_.CreateBr(probe);
  b_.SetInsertPoint(probe);
  return ProbeSet(set, Gen(operand), type, false);
}

// Items that are all text literals or NULLs go into the set by one runtime
// call, from a constant array of the literals' Datums (a NULL item only
// when `keep_null`: an index lookup has none). A call per item made a list
// of 1,000 strings take 290 ms to compile.
bool Generator::AddTextConstantsToSet(llvm::Value *set, Type type,
                                      const std::vector<const Expr *> &items, bool keep_null) {
  if (type != Type::kText) return false;
  std::vector<llvm::Constant *> datums;
  bool has_null = false;
  for (const Expr *item : items) {
    if (item->kind == ExprKind::kCast && item->args[0]->kind == ExprKind::kNull) {
      has_null = keep_null;
    } else if (item->kind == ExprKind::kString && item->type == Type::kText) {
      datums.push_back(llvm::cast<llvm::Constant>(StringConstant(item->text)));
    } else {
      return false;
    }
  }
  auto *array_type = llvm::ArrayType::get(i64_, datums.size());
  auto *global =
      new llvm::GlobalVariable(module_, array_type, true, llvm::GlobalValue::PrivateLinkage,
                               llvm::ConstantArray::get(array_type, datums), "in_set");
  b_.CreateCall(
      Runtime("memopt_rt_set_add_all", b_.getVoidTy(), {i32_, i64_->getPointerTo(), i64_}),
      {call_, set, b_.CreateConstInBoundsGEP2_64(array_type, global, 0, 0),
       b_.getInt64(datums.size())});
  if (has_null) AddToSet(set, b_.getInt64(0), b_.getTrue());
  return true;
}

// `x IN (c1, c2, ...)` of integer constants: NULL when x is, else whether
// a case of the switch takes x.
bool Generator::GenConstantSet(const Expr *expr, Value *result) {
  const Expr *operand = nullptr;
  std::vector<int64_t> constants;
  if (!CollectConstantSet(expr, &operand, &constants) || constants.size() < 2) return false;
  SortDistinct(&constants);
  Value x = Gen(operand);
  auto *type = llvm::cast<llvm::IntegerType>(x.v->getType());
  // A NULL's value may be anything, and a switch on an undefined value is
  // undefined behaviour: switch on 0 then (the result is NULL anyway).
  llvm::Value *tested = b_.CreateSelect(x.null, llvm::ConstantInt::get(type, 0), x.v);
  BasicBlock *from = b_.GetInsertBlock();
  BasicBlock *found = NewBlock("in_list_found");
  BasicBlock *join = NewBlock("in_list_join");
  llvm::SwitchInst *cases = b_.CreateSwitch(tested, join, static_cast<unsigned>(constants.size()));
  for (int64_t c : constants)
    cases->addCase(llvm::ConstantInt::get(type, static_cast<uint64_t>(c), true), found);
  b_.SetInsertPoint(found);
  b_.CreateBr(join);
  b_.SetInsertPoint(join);
  llvm::PHINode *in = b_.CreatePHI(i1_, 2);
  in->addIncoming(b_.getFalse(), from);
  in->addIncoming(b_.getTrue(), found);
  *result = Value{in, x.null};
  return true;
}

// The keys of an IN list whose items are all integer constants, for an
// integer index column: the distinct items that fit the column's type, in
// a constant array (an item out of its range equals no value of it).
bool Generator::ConstantAlternatives(const TableRef &ref, Type column_type, AlternativeKeys *keys) {
  if (!IsInteger(column_type)) return false;
  std::vector<int64_t> values;
  for (const Expr *item : ref.alternatives) {
    int64_t value;
    if (!IntegerConstant(item, &value)) return false;
    if (FitsIn(value, column_type)) values.push_back(value);  // as a Datum: sign-extended
  }
  SortDistinct(&values);
  std::vector<uint64_t> datums(values.begin(), values.end());
  llvm::Constant *data = llvm::ConstantDataArray::get(ctx_, datums);
  auto *global = new llvm::GlobalVariable(module_, data->getType(), true,
                                          llvm::GlobalValue::PrivateLinkage, data, "in_list_keys");
  keys->count = b_.getInt64(datums.size());
  keys->keys_type = data->getType();
  keys->keys = global;
  keys->distinct = true;
  return true;
}

}  // namespace codegen_detail
}  // namespace native
}  // namespace memopt
