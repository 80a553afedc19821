// codegen.cpp - LLVM IR for a bound routine, compiled with ORC (codegen.h):
// variables, expressions, casts and statements (the generator's class is
// in codegen_internal.h; queries are in codegen_query.cpp), and the ORC
// compilation, object capture and fingerprint.
#include "codegen.h"

#include "codegen_internal.h"

#include "operators.h"

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ObjectTransformLayer.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <mutex>

namespace memopt {
namespace native {
namespace codegen_detail {

void Generator::Run() {
  DeclareTypes();
  auto *fn_type = llvm::FunctionType::get(b_.getVoidTy(), {frame_ptr_}, false);
  fn_ = llvm::Function::Create(fn_type, llvm::Function::ExternalLinkage, "memopt_native_entry",
                               module_);
  call_ = fn_->getArg(0);
  BasicBlock *entry = BasicBlock::Create(ctx_, "entry", fn_);
  b_.SetInsertPoint(entry);
  AllocateVariables();
  GenList(routine_.body.statements);
  if (b_.GetInsertBlock()->getTerminator() == nullptr) {
    if (ReturnsByStatements()) {
      ReturnOutputs();
    } else {
      RaiseError(MEMOPT_NATIVE_NO_RETURN, 0);
    }
  }
  if (routine_.block_depth > 0) KeepVariablesInMemory();
}

// --- types and runtime declarations --------------------------------------

void Generator::DeclareTypes() {
  i1_ = b_.getInt1Ty();
  i8_ = b_.getInt8Ty();
  i32_ = b_.getInt32Ty();
  i64_ = b_.getInt64Ty();
  ptr_ = b_.getInt8PtrTy();
  // struct MemoptNativeCall (runtime_api.h).
  frame_ = llvm::StructType::create(ctx_,
                                    {ptr_, i64_->getPointerTo(), i8_->getPointerTo(), i64_, i8_,
                                     i32_, i64_->getPointerTo(), i8_->getPointerTo()},
                                    "call");
  frame_ptr_ = frame_->getPointerTo();
}

llvm::FunctionCallee Generator::Runtime(const char *name, llvm::Type *result,
                                        std::vector<llvm::Type *> params) {
  params.insert(params.begin(), frame_ptr_);
  return module_.getOrInsertFunction(name, llvm::FunctionType::get(result, params, false));
}

llvm::Type *Generator::MachineType(Type type) {
  switch (type) {
    case Type::kBool:
      return i1_;
    case Type::kInt2:
      return b_.getInt16Ty();
    case Type::kInt4:
    case Type::kDate:
      return i32_;
    case Type::kFloat4:
      return b_.getFloatTy();
    case Type::kFloat8:
      return b_.getDoubleTy();
    default:
      return i64_;  // int8, time and timestamps, by-reference types (a pointer), NULL
  }
}

// --- Datum conversions ------------------------------------------------------

llvm::Value *Generator::FromDatum(llvm::Value *datum, Type type) {
  switch (type) {
    case Type::kBool:
      return b_.CreateICmpNE(b_.CreateTrunc(datum, i8_), b_.getInt8(0));
    case Type::kInt2:
    case Type::kInt4:
    case Type::kDate:
      return b_.CreateTrunc(datum, MachineType(type));
    case Type::kFloat4:
      return b_.CreateBitCast(b_.CreateTrunc(datum, i32_), b_.getFloatTy());
    case Type::kFloat8:
      return b_.CreateBitCast(datum, b_.getDoubleTy());
    default:
      return datum;
  }
}

llvm::Value *Generator::ToDatum(llvm::Value *value, Type type) {
  switch (type) {
    case Type::kBool:
      return b_.CreateZExt(value, i64_);
    case Type::kInt2:
    case Type::kInt4:
    case Type::kDate:
      return b_.CreateSExt(value, i64_);
    case Type::kFloat4:
      return b_.CreateSExt(b_.CreateBitCast(value, i32_), i64_);
    case Type::kFloat8:
      return b_.CreateBitCast(value, i64_);
    default:
      return value;
  }
}

// --- variables --------------------------------------------------------------

void Generator::AllocateVariables() {
  slots_.resize(routine_.variables.size());
  llvm::Value *args = b_.CreateLoad(i64_->getPointerTo(), b_.CreateStructGEP(frame_, call_, 1));
  llvm::Value *nulls = b_.CreateLoad(i8_->getPointerTo(), b_.CreateStructGEP(frame_, call_, 2));
  for (size_t i = 0; i < routine_.variables.size(); ++i) {
    const Variable &var = routine_.variables[i];
    slots_[i].value = b_.CreateAlloca(MachineType(var.type), nullptr, var.name);
    slots_[i].null = b_.CreateAlloca(i1_, nullptr, var.name + ".null");
    if (var.arg >= 0) {
      llvm::Value *datum = b_.CreateLoad(i64_, b_.CreateGEP(i64_, args, b_.getInt64(var.arg)));
      llvm::Value *isnull = b_.CreateICmpNE(
          b_.CreateLoad(i8_, b_.CreateGEP(i8_, nulls, b_.getInt64(var.arg))), b_.getInt8(0));
      b_.CreateStore(llvm::Constant::getNullValue(MachineType(var.type)), slots_[i].value);
      b_.CreateStore(b_.getTrue(), slots_[i].null);
      StoreVariable(static_cast<int>(i), Value{FromDatum(datum, var.type), isnull});
    } else {
      b_.CreateStore(llvm::Constant::getNullValue(MachineType(var.type)), slots_[i].value);
      b_.CreateStore(b_.getTrue(), slots_[i].null);
    }
  }
  SetFound(b_.getFalse());  // PL/pgSQL's FOUND starts false, not NULL
  SetRowCount(b_.getInt64(0));
}

// Assigns values[i] to variables[i], every value read before any variable
// changes: a value may be the memory of another target (SELECT y, x INTO
// x, y), which assigning that target frees. So with two by-reference
// targets or more, all are copied first, then the old values freed.
void Generator::StoreVariables(const std::vector<int> &variables,
                               const std::vector<Value> &values) {
  auto owns = [this](int variable) {
    const Variable &var = routine_.variables[variable];
    return IsByReference(var.type) && !var.borrowed;
  };
  if (std::count_if(variables.begin(), variables.end(), owns) < 2) {
    for (size_t i = 0; i < variables.size(); ++i) StoreVariable(variables[i], values[i]);
    return;
  }
  std::vector<Value> copies = values;
  for (size_t i = 0; i < variables.size(); ++i)
    if (owns(variables[i]))
      copies[i].v =
          OwnedCopy(routine_.variables[variables[i]].type, b_.getInt64(0), b_.getTrue(), values[i]);
  for (size_t i = 0; i < variables.size(); ++i) StoreVariable(variables[i], copies[i], true);
}

void Generator::StoreVariable(int index, Value value, bool owned) {
  const Variable &var = routine_.variables[index];
  if (var.not_null) {
    BasicBlock *bad = NewBlock("null_variable");
    BasicBlock *ok = NewBlock("assign");
    b_.CreateCondBr(value.null, bad, ok);
    b_.SetInsertPoint(bad);
    RaiseError(MEMOPT_NATIVE_NULL_VARIABLE, index);
    b_.SetInsertPoint(ok);
  }
  llvm::Value *stored = value.v;
  if (IsByReference(var.type) && !var.borrowed) {
    // Variables own their values (freed on the next assignment);
    // temporaries live in the runtime's scratch memory. An `owned` value
    // is a copy already: only the old one is freed.
    llvm::Value *old_value = b_.CreateLoad(i64_, slots_[index].value);
    llvm::Value *old_null = b_.CreateLoad(i1_, slots_[index].null);
    if (owned)
      OwnedCopy(var.type, old_value, old_null, Value{b_.getInt64(0), b_.getTrue()});
    else
      stored = OwnedCopy(var.type, old_value, old_null, value);
  }
  b_.CreateStore(stored, slots_[index].value);
  b_.CreateStore(value.null, slots_[index].null);
}

// A copy of `value` in the call's memory, replacing (and freeing) `old`.
llvm::Value *Generator::OwnedCopy(Type type, llvm::Value *old_value, llvm::Value *old_null,
                                  Value value) {
  return b_.CreateCall(Runtime("memopt_rt_datum_assign", i64_, {i32_, i64_, i8_, i64_, i8_}),
                       {call_, b_.getInt32(static_cast<int>(type)), old_value,
                        b_.CreateZExt(old_null, i8_), value.v, b_.CreateZExt(value.null, i8_)});
}

// MemoptNativeFunction `function` on (a, b, c) (Datums), its result as `result`.
llvm::Value *Generator::Apply(int function, llvm::Value *a, llvm::Value *b, Type result,
                              llvm::Value *c) {
  llvm::Value *zero = b_.getInt64(0);
  llvm::Value *datum = b_.CreateCall(Runtime("memopt_rt_apply", i64_, {i32_, i64_, i64_, i64_}),
                                     {call_, b_.getInt32(function), a != nullptr ? a : zero,
                                      b != nullptr ? b : zero, c != nullptr ? c : zero});
  return FromDatum(datum, result);
}

// Whether evaluating `expr` makes text temporaries (in the runtime's
// scratch memory, which is reset before a statement that makes more).
bool Generator::MakesTemporaries(const Expr *expr) {
  if (expr == nullptr) return false;
  if (expr->kind == ExprKind::kBinary && expr->op == "||") return true;
  if (expr->kind == ExprKind::kCall && expr->callee >= 0) return true;  // runs in scratch
  if (expr->kind == ExprKind::kCast && expr->args[0]->kind == ExprKind::kFloat &&
      IsFloat(expr->type))
    return false;  // 1.5::float8 is a constant
  if (expr->runtime >= 0 || (expr->kind == ExprKind::kFloat && expr->type == Type::kNumeric))
    return true;
  if (expr->kind == ExprKind::kCast && !expr->args.empty() &&
      (IsComputedByPostgres(expr->type) || IsComputedByPostgres(expr->args[0]->type)))
    return true;
  if (expr->kind == ExprKind::kCast && !expr->args.empty() &&
      (expr->type == Type::kText) != (expr->args[0]->type == Type::kText))
    return true;
  if (expr->kind == ExprKind::kCall &&
      (expr->function == static_cast<int>(BuiltinFunction::kLower) ||
       expr->function == static_cast<int>(BuiltinFunction::kUpper) ||
       expr->function == static_cast<int>(BuiltinFunction::kConcat) ||
       expr->function == static_cast<int>(BuiltinFunction::kConcatWs)))
    return true;
  for (const ExprPtr &arg : expr->args)
    if (MakesTemporaries(arg.get())) return true;
  return false;
}

// The statement's own expressions (not those of the statements it holds).
bool Generator::StatementMakesTemporaries(const Stmt *stmt) {
  if (stmt->kind == StmtKind::kCallRoutine) return true;
  bool makes = false;
  ForEachOwnExpression(*stmt, [&makes](const Expr *e) { makes = makes || MakesTemporaries(e); });
  return makes;
}

void Generator::ResetScratch() {
  b_.CreateCall(Runtime("memopt_rt_reset_scratch", b_.getVoidTy(), {}), {call_});
}

// Calls memopt_rt_error and ends the current block.
void Generator::RaiseError(MemoptNativeError error, int detail) {
  auto callee = Runtime("memopt_rt_error", b_.getVoidTy(), {i32_, i32_});
  llvm::CallInst *call = b_.CreateCall(callee, {call_, b_.getInt32(error), b_.getInt32(detail)});
  call->setDoesNotReturn();
  b_.CreateUnreachable();
}

// if (cond) raise error; continue in a new block.
void Generator::ErrorIf(llvm::Value *cond, MemoptNativeError error) {
  BasicBlock *bad = NewBlock("error");
  BasicBlock *ok = NewBlock("ok");
  b_.CreateCondBr(cond, bad, ok, Unlikely());
  b_.SetInsertPoint(bad);
  RaiseError(error, 0);
  b_.SetInsertPoint(ok);
}

llvm::Value *Generator::IntMin(Type type) {
  switch (type) {
    case Type::kInt2:
      return b_.getInt16(INT16_MIN);
    case Type::kInt4:
      return b_.getInt32(INT32_MIN);
    default:
      return b_.getInt64(INT64_MIN);
  }
}

MemoptNativeError Generator::RangeError(Type type) {
  switch (type) {
    case Type::kInt2:
      return MEMOPT_NATIVE_SMALLINT_RANGE;
    case Type::kInt4:
      return MEMOPT_NATIVE_INTEGER_RANGE;
    default:
      return MEMOPT_NATIVE_BIGINT_RANGE;
  }
}

// --- expressions ----------------------------------------------------------------

Value Generator::Gen(const Expr *expr) {
  if (expr->group_key >= 0 && query_.group_values != nullptr)  // a GROUP BY item's value
    return LoadColumn(query_.group_values, query_.group_nulls, expr->group_key, expr->type);
  switch (expr->kind) {
    case ExprKind::kInt:
      return Value{llvm::ConstantInt::get(MachineType(expr->type), std::stoll(expr->text), true),
                   b_.getFalse()};
    case ExprKind::kFloat:  // numeric, from its text
      return Value{Convert(StringConstant(expr->text), Type::kText, Type::kNumeric), b_.getFalse()};
    case ExprKind::kBool:
      return Value{b_.getInt1(expr->text == "true"), b_.getFalse()};
    case ExprKind::kNull:
      return Value{llvm::Constant::getNullValue(MachineType(expr->type)), b_.getTrue()};
    case ExprKind::kString:
      return Value{StringConstant(expr->text), b_.getFalse()};
    case ExprKind::kName:
      return GenName(expr);
    case ExprKind::kUnary:
      return GenUnary(expr);
    case ExprKind::kBinary:
      return GenBinary(expr);
    case ExprKind::kIsNull:
      return GenIsNull(expr);
    case ExprKind::kDefault:  // its flag in the row's nulls: ColumnValueArrays
      return Value{llvm::Constant::getNullValue(MachineType(expr->type)), b_.getFalse()};
    case ExprKind::kIsDistinct:
      return GenIsDistinct(expr);
    case ExprKind::kCall:
      return GenCall(expr);
    case ExprKind::kCast:
      if (expr->args[0]->kind == ExprKind::kFloat && IsFloat(expr->type))  // 1.5::float8
        return Value{llvm::ConstantFP::get(MachineType(expr->type), std::stod(expr->args[0]->text)),
                     b_.getFalse()};
      return GenCast(Gen(expr->args[0].get()), expr->args[0]->type, expr->type, expr->typmod,
                     expr->explicit_cast);
    case ExprKind::kCase:
      return GenCase(expr);
    case ExprKind::kExists:
    case ExprKind::kScalarSubquery:
    case ExprKind::kInSubquery:
      return GenSubquery(expr);
    case ExprKind::kLet:  // the binder left only operands to compute once
      StoreVariable(expr->variable, Gen(expr->args[0].get()));
      return Gen(expr->args[1].get());
  }
  return Value{};
}

// A text constant: a varlena with a 4-byte header, in the module's data.
llvm::Value *Generator::StringConstant(const std::string &text) {
  std::string bytes(4, '\0');
  uint32_t header = static_cast<uint32_t>((text.size() + 4) << 2);  // little-endian 4B varlena
  memcpy(&bytes[0], &header, 4);
  bytes += text;
  llvm::Constant *data = llvm::ConstantDataArray::getRaw(bytes, bytes.size(), i8_);
  auto *global = new llvm::GlobalVariable(module_, data->getType(), true,
                                          llvm::GlobalValue::PrivateLinkage, data, "text");
  global->setAlignment(llvm::Align(8));
  return b_.CreatePtrToInt(global, i64_);
}

Value Generator::GenName(const Expr *expr) {
  if (expr->variable >= 0) {
    if (lazy_operands_.count(expr->variable) != 0) ComputeLazyOperand(expr->variable);
    const VariableSlot &slot = slots_[expr->variable];
    return Value{b_.CreateLoad(MachineType(expr->type), slot.value), b_.CreateLoad(i1_, slot.null)};
  }
  if (expr->outer > 0) {  // a column of a query around the subquery being generated
    const QueryContext &around = enclosing_[enclosing_.size() - expr->outer];
    return LoadColumn(around.source_values[expr->source], around.source_nulls[expr->source],
                      expr->column, expr->type);
  }
  return LoadColumn(query_.source_values[expr->source], query_.source_nulls[expr->source],
                    expr->column, expr->type);
}

Value Generator::GenUnary(const Expr *expr) {
  Value arg = Gen(expr->args[0].get());
  Type type = expr->type;
  if (expr->op == "not") return Value{b_.CreateNot(arg.v), arg.null};
  if (expr->op == "+") return arg;
  if (expr->runtime >= 0)
    return UnlessNull(arg.null, type, [&] { return Apply(expr->runtime, arg.v, nullptr, type); });
  return UnlessNull(arg.null, type, [&]() -> llvm::Value * {
    if (IsFloat(type)) return b_.CreateFNeg(arg.v);
    ErrorIf(b_.CreateICmpEQ(arg.v, IntMin(type)), RangeError(type));
    return b_.CreateNeg(arg.v);
  });
}

// IS [NOT] NULL, and IS [NOT] TRUE / FALSE / UNKNOWN of a boolean.
Value Generator::GenIsNull(const Expr *expr) {
  Value arg = Gen(expr->args[0].get());
  llvm::Value *holds = arg.null;  // NULL, UNKNOWN
  if (expr->op == "true") holds = b_.CreateAnd(b_.CreateNot(arg.null), arg.v);
  if (expr->op == "false") holds = b_.CreateAnd(b_.CreateNot(arg.null), b_.CreateNot(arg.v));
  return Value{expr->negated ? b_.CreateNot(holds) : holds, b_.getFalse()};
}

// x IS [NOT] DISTINCT FROM y: the operands' equality where both are
// present, else whether both are NULL.
Value Generator::GenIsDistinct(const Expr *expr) {
  const Expr *equality = expr->args[0].get();
  Value left = Gen(equality->args[0].get());
  Value right = Gen(equality->args[1].get());
  Value equal = ApplyBinary(equality, left, right);
  llvm::Value *same = b_.CreateSelect(b_.CreateOr(left.null, right.null),
                                      b_.CreateAnd(left.null, right.null), equal.v);
  return Value{expr->negated ? same : b_.CreateNot(same), b_.getFalse()};
}

Value Generator::GenBinary(const Expr *expr) {
  const std::string &op = expr->op;
  if (op == "and" || op == "or") return GenLogical(expr, op == "and");
  Value left = Gen(expr->args[0].get());
  Value right = Gen(expr->args[1].get());
  return ApplyBinary(expr, left, right);
}

// A binary operator (not AND / OR) on its operands' values: NULL when
// either is.
Value Generator::ApplyBinary(const Expr *expr, Value left, Value right) {
  const std::string &op = expr->op;
  Type operand = expr->args[0]->type;
  llvm::Value *null = b_.CreateOr(left.null, right.null);
  if (expr->runtime >= 0) {
    Type left_type = expr->args[0]->type, right_type = expr->args[1]->type;
    llvm::Value *a = ToDatum(left.v, left_type), *b = ToDatum(right.v, right_type);
    if (expr->swap_operands) std::swap(a, b);
    if (expr->type != Type::kBool || op == "~~" || op == "~~*")  // LIKE returns its truth
      return UnlessNull(null, expr->type, [&] { return Apply(expr->runtime, a, b, expr->type); });
    return UnlessNull(null, Type::kBool, [&] {  // an order: compare it with 0
      return Compare(op, Type::kInt4, Apply(expr->runtime, a, b, Type::kInt4), b_.getInt32(0));
    });
  }
  if (op == "||")
    return UnlessNull(null, Type::kText, [&] {
      return b_.CreateCall(Runtime("memopt_rt_text_concat", i64_, {i64_, i64_}),
                           {call_, left.v, right.v});
    });
  if (expr->type == Type::kBool)
    return UnlessNull(null, Type::kBool, [&] { return Compare(op, operand, left.v, right.v); });
  return UnlessNull(null, operand, [&] { return Arithmetic(op, operand, left.v, right.v); });
}

// Short-circuit three-valued AND / OR (the right side is not evaluated
// once the left decides, as PostgreSQL's executor does).
Value Generator::GenLogical(const Expr *expr, bool is_and) {
  Value set;
  if (!is_and && expr->value_set >= 0) return GenConstantValueSet(expr);  // x IN ('a', ...)
  if (!is_and && GenConstantSet(expr, &set)) return set;                  // x IN (1, 2, ...)
  Value left = Gen(expr->args[0].get());
  // Decided: AND with a false left, OR with a true left.
  llvm::Value *decided =
      b_.CreateAnd(b_.CreateNot(left.null), is_and ? b_.CreateNot(left.v) : left.v);
  BasicBlock *from = b_.GetInsertBlock();
  BasicBlock *rhs = NewBlock(is_and ? "and_rhs" : "or_rhs");
  BasicBlock *join = NewBlock("logic_join");
  b_.CreateCondBr(decided, join, rhs);
  b_.SetInsertPoint(rhs);
  Value right = Gen(expr->args[1].get());
  llvm::Value *right_decides =
      b_.CreateAnd(b_.CreateNot(right.null), is_and ? b_.CreateNot(right.v) : right.v);
  // Not decided by the right either: NULL if either is NULL, else the identity.
  llvm::Value *v = is_and ? b_.CreateNot(right_decides) : right_decides;
  llvm::Value *null = b_.CreateAnd(b_.CreateNot(right_decides), b_.CreateOr(left.null, right.null));
  BasicBlock *rhs_end = b_.GetInsertBlock();
  b_.CreateBr(join);
  b_.SetInsertPoint(join);
  llvm::PHINode *value = b_.CreatePHI(i1_, 2);
  value->addIncoming(b_.getInt1(!is_and), from);
  value->addIncoming(v, rhs_end);
  llvm::PHINode *isnull = b_.CreatePHI(i1_, 2);
  isnull->addIncoming(b_.getFalse(), from);
  isnull->addIncoming(null, rhs_end);
  return Value{value, isnull};
}

llvm::Value *Generator::Compare(const std::string &op, Type type, llvm::Value *a, llvm::Value *b) {
  if (OrderFunction(type) >= 0) {  // text, numeric, interval, ...: PostgreSQL orders them
    a = Apply(OrderFunction(type), a, b, Type::kInt4);
    b = b_.getInt32(0);
    type = Type::kInt4;
  }
  if (IsFloat(type)) return FloatCompare(op, a, b);
  if (type == Type::kBool) {  // false < true
    if (op == "=") return b_.CreateICmpEQ(a, b);
    if (op == "<>") return b_.CreateICmpNE(a, b);
    if (op == "<") return b_.CreateICmpULT(a, b);
    if (op == "<=") return b_.CreateICmpULE(a, b);
    if (op == ">") return b_.CreateICmpUGT(a, b);
    return b_.CreateICmpUGE(a, b);
  }
  if (op == "=") return b_.CreateICmpEQ(a, b);
  if (op == "<>") return b_.CreateICmpNE(a, b);
  if (op == "<") return b_.CreateICmpSLT(a, b);
  if (op == "<=") return b_.CreateICmpSLE(a, b);
  if (op == ">") return b_.CreateICmpSGT(a, b);
  return b_.CreateICmpSGE(a, b);
}

// PostgreSQL's float comparisons (float8eq, float8lt, ...): NaN equals NaN
// and is greater than every other value, so floats sort, group and compare
// as one total order; IEEE comparisons would make every test of a NaN false.
llvm::Value *Generator::FloatCompare(const std::string &op, llvm::Value *a, llvm::Value *b) {
  llvm::Value *a_nan = b_.CreateFCmpUNO(a, a);
  llvm::Value *b_nan = b_.CreateFCmpUNO(b, b);
  if (op == "=" || op == "<>") {
    llvm::Value *equal = b_.CreateOr(b_.CreateFCmpOEQ(a, b), b_.CreateAnd(a_nan, b_nan));
    return op == "=" ? equal : b_.CreateNot(equal);
  }
  if (op == "<")
    return b_.CreateAnd(b_.CreateNot(a_nan), b_.CreateOr(b_nan, b_.CreateFCmpOLT(a, b)));
  if (op == "<=")
    return b_.CreateOr(b_nan, b_.CreateAnd(b_.CreateNot(a_nan), b_.CreateFCmpOLE(a, b)));
  if (op == ">")
    return b_.CreateAnd(b_.CreateNot(b_nan), b_.CreateOr(a_nan, b_.CreateFCmpOGT(a, b)));
  return b_.CreateOr(a_nan, b_.CreateAnd(b_.CreateNot(b_nan), b_.CreateFCmpOGE(a, b)));
}

llvm::Value *Generator::Arithmetic(const std::string &op, Type type, llvm::Value *a,
                                   llvm::Value *b) {
  if (IsFloat(type)) return FloatArithmetic(op, type, a, b);
  if (op == "/" || op == "%") {
    ErrorIf(b_.CreateICmpEQ(b, llvm::ConstantInt::get(a->getType(), 0)),
            MEMOPT_NATIVE_DIVISION_BY_ZERO);
    // INT_MIN / -1 overflows; INT_MIN % -1 is 0 (PostgreSQL's int4mod).
    llvm::Value *minus_one = b_.CreateICmpEQ(b, llvm::ConstantInt::get(a->getType(), -1, true));
    if (op == "%") {
      llvm::Value *safe_b = b_.CreateSelect(minus_one, llvm::ConstantInt::get(a->getType(), 1), b);
      return b_.CreateSRem(a, safe_b);
    }
    ErrorIf(b_.CreateAnd(minus_one, b_.CreateICmpEQ(a, IntMin(type))), RangeError(type));
    return b_.CreateSDiv(a, b);
  }
  llvm::Intrinsic::ID id = op == "+"   ? llvm::Intrinsic::sadd_with_overflow
                           : op == "-" ? llvm::Intrinsic::ssub_with_overflow
                                       : llvm::Intrinsic::smul_with_overflow;
  llvm::Value *pair = b_.CreateBinaryIntrinsic(id, a, b);
  ErrorIf(b_.CreateExtractValue(pair, 1), RangeError(type));
  return b_.CreateExtractValue(pair, 0);
}

llvm::Value *Generator::IsInf(llvm::Value *x) {
  llvm::Value *abs = b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  return b_.CreateFCmpOEQ(abs, llvm::ConstantFP::getInfinity(x->getType()));
}

// PostgreSQL's float checks: an infinite result from finite inputs
// overflowed; a zero product or quotient of non-zero inputs underflowed.
llvm::Value *Generator::FloatArithmetic(const std::string &op, Type type, llvm::Value *a,
                                        llvm::Value *b) {
  (void)type;
  llvm::Value *zero = llvm::ConstantFP::get(a->getType(), 0.0);
  llvm::Value *result;
  if (op == "/") {
    ErrorIf(b_.CreateFCmpOEQ(b, zero), MEMOPT_NATIVE_DIVISION_BY_ZERO);
    result = b_.CreateFDiv(a, b);
  } else if (op == "*") {
    result = b_.CreateFMul(a, b);
  } else {
    result = op == "+" ? b_.CreateFAdd(a, b) : b_.CreateFSub(a, b);
  }
  llvm::Value *inputs_finite = b_.CreateNot(b_.CreateOr(IsInf(a), IsInf(b)));
  ErrorIf(b_.CreateAnd(IsInf(result), inputs_finite), MEMOPT_NATIVE_FLOAT_OVERFLOW);
  if (op == "*" || op == "/") {
    llvm::Value *underflow =
        b_.CreateAnd(b_.CreateFCmpOEQ(result, zero), b_.CreateFCmpUNE(a, zero));
    if (op == "*")
      underflow = b_.CreateAnd(underflow, b_.CreateFCmpUNE(b, zero));
    else
      underflow = b_.CreateAnd(underflow, b_.CreateNot(IsInf(b)));
    ErrorIf(underflow, MEMOPT_NATIVE_FLOAT_UNDERFLOW);
  }
  return result;
}

// A call of another natively compiled routine, through the runtime (fmgr).
Value Generator::GenCallee(int callee, const std::vector<ExprPtr> &args, Type result) {
  const CalleeDesc &desc = routine_.callees[callee];
  std::vector<Value> values;
  for (const ExprPtr &arg : args) values.push_back(Gen(arg.get()));
  auto arrays = DatumArrays(values, desc.params);
  llvm::Value *null_slot = EntryAlloca(i8_);
  llvm::Value *datum =
      b_.CreateCall(Runtime("memopt_rt_call", i64_,
                            {i32_, i64_->getPointerTo(), i8_->getPointerTo(), i8_->getPointerTo()}),
                    {call_, b_.getInt32(callee), arrays.first, arrays.second, null_slot});
  llvm::Value *isnull = b_.CreateICmpNE(b_.CreateLoad(i8_, null_slot), b_.getInt8(0));
  if (result == Type::kUnknown) return Value{datum, isnull};
  return Value{FromDatum(datum, result), isnull};
}

Value Generator::GenCall(const Expr *expr) {
  if (expr->aggregate >= 0) return aggregate_results_.at(expr);
  if (expr->callee >= 0) return GenCallee(expr->callee, expr->args, expr->type);
  auto function = static_cast<BuiltinFunction>(expr->function);
  Type type = expr->type;
  if (function == BuiltinFunction::kCoalesce) return GenCoalesce(expr);
  if (function == BuiltinFunction::kGreatest || function == BuiltinFunction::kLeast)
    return GenGreatest(expr, function == BuiltinFunction::kGreatest);
  if (function == BuiltinFunction::kConcat || function == BuiltinFunction::kConcatWs)
    return GenConcat(expr, function == BuiltinFunction::kConcatWs);
  std::vector<Value> args;
  llvm::Value *null = b_.getFalse();
  for (const ExprPtr &arg : expr->args) {
    args.push_back(Gen(arg.get()));
    null = b_.CreateOr(null, args.back().null);
  }
  if (function == BuiltinFunction::kNow || function == BuiltinFunction::kCurrentDate ||
      function == BuiltinFunction::kLocalTimestamp) {
    llvm::Value *now = Apply(MEMOPT_FN_NOW, nullptr, nullptr, Type::kTimestampTz);
    if (function == BuiltinFunction::kCurrentDate)
      now = Apply(MEMOPT_FN_TIMESTAMPTZ_TO_DATE, now, nullptr, Type::kDate);
    if (function == BuiltinFunction::kLocalTimestamp)
      now = Apply(MEMOPT_FN_TIMESTAMPTZ_TO_TIMESTAMP, now, nullptr, Type::kTimestamp);
    return Value{now, b_.getFalse()};
  }
  if (expr->runtime >= 0) {  // PostgreSQL computes it; missing arguments are 0
    return UnlessNull(null, type, [&] {
      llvm::Value *datums[3] = {nullptr, nullptr, nullptr};
      for (size_t i = 0; i < args.size() && i < 3; ++i)
        datums[i] = ToDatum(args[i].v, expr->args[i]->type);
      return Apply(expr->runtime, datums[0], datums[1], type, datums[2]);
    });
  }
  return UnlessNull(null, type, [&]() -> llvm::Value * {
    switch (function) {
      case BuiltinFunction::kAbs:
        if (IsFloat(type)) return b_.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, args[0].v);
        ErrorIf(b_.CreateICmpEQ(args[0].v, IntMin(type)), RangeError(type));
        return b_.CreateSelect(
            b_.CreateICmpSLT(args[0].v, llvm::ConstantInt::get(args[0].v->getType(), 0)),
            b_.CreateNeg(args[0].v), args[0].v);
      case BuiltinFunction::kMod:
        return Arithmetic("%", type, args[0].v, args[1].v);
      case BuiltinFunction::kLength:
        return b_.CreateCall(Runtime("memopt_rt_text_length", i32_, {i64_}), {call_, args[0].v});
      case BuiltinFunction::kLower:
      case BuiltinFunction::kUpper:
        return b_.CreateCall(
            Runtime("memopt_rt_text_case", i64_, {i64_, i32_}),
            {call_, args[0].v, b_.getInt32(function == BuiltinFunction::kUpper ? 1 : 0)});
      default:
        return llvm::Constant::getNullValue(MachineType(type));
    }
  });
}

// CASE: conditions in order; only the chosen value is evaluated.
Value Generator::GenCase(const Expr *expr) {
  Type type = expr->type;
  size_t pairs = (expr->args.size() - (expr->has_else ? 1 : 0)) / 2;
  BasicBlock *join = NewBlock("case_join");
  std::vector<std::pair<Value, BasicBlock *>> incoming;
  for (size_t i = 0; i < pairs; ++i) {
    BasicBlock *then = NewBlock("case_then");
    BasicBlock *next = NewBlock("case_next");
    b_.CreateCondBr(Truth(expr->args[2 * i].get()), then, next);
    b_.SetInsertPoint(then);
    Value value = Gen(expr->args[2 * i + 1].get());
    incoming.emplace_back(value, b_.GetInsertBlock());
    b_.CreateBr(join);
    b_.SetInsertPoint(next);
  }
  Value otherwise{llvm::Constant::getNullValue(MachineType(type)), b_.getTrue()};
  if (expr->has_else) otherwise = Gen(expr->args.back().get());
  incoming.emplace_back(otherwise, b_.GetInsertBlock());
  b_.CreateBr(join);
  b_.SetInsertPoint(join);
  llvm::PHINode *v = b_.CreatePHI(MachineType(type), incoming.size());
  llvm::PHINode *null = b_.CreatePHI(i1_, incoming.size());
  for (auto &in : incoming) {
    v->addIncoming(in.first.v, in.second);
    null->addIncoming(in.first.null, in.second);
  }
  return Value{v, null};
}

// COALESCE evaluates its arguments left to right and stops at the first non-NULL.
Value Generator::GenCoalesce(const Expr *expr) {
  Type type = expr->type;
  BasicBlock *join = NewBlock("coalesce_join");
  std::vector<std::pair<Value, BasicBlock *>> incoming;
  for (const ExprPtr &arg : expr->args) {
    Value value = Gen(arg.get());
    incoming.emplace_back(value, b_.GetInsertBlock());
    BasicBlock *next = NewBlock("coalesce_next");
    b_.CreateCondBr(value.null, next, join);
    b_.SetInsertPoint(next);
  }
  incoming.emplace_back(Value{llvm::Constant::getNullValue(MachineType(type)), b_.getTrue()},
                        b_.GetInsertBlock());
  b_.CreateBr(join);
  b_.SetInsertPoint(join);
  llvm::PHINode *v = b_.CreatePHI(MachineType(type), incoming.size());
  llvm::PHINode *null = b_.CreatePHI(i1_, incoming.size());
  for (auto &in : incoming) {
    v->addIncoming(in.first.v, in.second);
    null->addIncoming(in.first.null, in.second);
  }
  return Value{v, null};
}

// concat / concat_ws: the text of the arguments that are not NULL (the
// binder made them text, but for bool, written t / f, and char(n)), joined
// by the separator (NULL when it is); every argument is computed.
Value Generator::GenConcat(const Expr *expr, bool with_separator) {
  size_t first = with_separator ? 1 : 0;
  Value separator{nullptr, b_.getFalse()};
  if (with_separator) separator = Gen(expr->args[0].get());
  llvm::Value *result = EntryAlloca(i64_);
  llvm::Value *empty = EntryAlloca(i1_);  // nothing written yet
  b_.CreateStore(StringConstant(""), result);
  b_.CreateStore(b_.getTrue(), empty);
  auto append = [this, result](llvm::Value *text) {
    b_.CreateStore(b_.CreateCall(Runtime("memopt_rt_text_concat", i64_, {i64_, i64_}),
                                 {call_, b_.CreateLoad(i64_, result), text}),
                   result);
  };
  for (size_t i = first; i < expr->args.size(); ++i) {
    const Expr *arg = expr->args[i].get();
    Value value = Gen(arg);
    BasicBlock *write = NewBlock("concat_write");
    BasicBlock *next = NewBlock("concat_next");
    b_.CreateCondBr(b_.CreateOr(value.null, separator.null), next, write);
    b_.SetInsertPoint(write);
    llvm::Value *text = value.v;
    if (arg->type == Type::kBool)
      text = b_.CreateSelect(value.v, StringConstant("t"), StringConstant("f"));
    if (with_separator && i > first) {
      BasicBlock *separate = NewBlock("concat_separator");
      BasicBlock *piece = NewBlock("concat_piece");
      b_.CreateCondBr(b_.CreateLoad(i1_, empty), piece, separate);
      b_.SetInsertPoint(separate);
      append(separator.v);
      b_.CreateBr(piece);
      b_.SetInsertPoint(piece);
    }
    append(text);
    b_.CreateStore(b_.getFalse(), empty);
    b_.CreateBr(next);
    b_.SetInsertPoint(next);
  }
  return Value{b_.CreateSelect(separator.null, b_.getInt64(0), b_.CreateLoad(i64_, result)),
               separator.null};
}

// GREATEST / LEAST: the largest (smallest) argument that is not NULL, NULL
// when all are; every argument is computed, as in PostgreSQL.
Value Generator::GenGreatest(const Expr *expr, bool greatest) {
  Type type = expr->type;
  Value best = Gen(expr->args[0].get());
  for (size_t i = 1; i < expr->args.size(); ++i) {
    Value next = Gen(expr->args[i].get());
    Value beats = UnlessNull(b_.CreateOr(best.null, next.null), Type::kBool,
                             [&] { return Compare(greatest ? ">" : "<", type, next.v, best.v); });
    llvm::Value *take = b_.CreateOr(best.null, b_.CreateAnd(b_.CreateNot(next.null), beats.v));
    best =
        Value{b_.CreateSelect(take, next.v, best.v), b_.CreateSelect(take, next.null, best.null)};
  }
  return best;
}

// --- casts -----------------------------------------------------------------------

// A value of `type` fitted to a type modifier: numeric(p, s) and the time
// types round, varchar(n) and char(n) check (an explicit cast cuts) or pad.
llvm::Value *Generator::ApplyTypmod(llvm::Value *v, Type type, int32_t typmod, bool explicit_cast) {
  int function;
  switch (type) {
    case Type::kNumeric:
      function = MEMOPT_FN_NUMERIC_TYPMOD;
      break;
    case Type::kBpchar:
      function = MEMOPT_FN_BPCHAR_TYPMOD;
      break;
    case Type::kText:
      function = MEMOPT_FN_VARCHAR_TYPMOD;
      break;
    case Type::kTime:
      function = MEMOPT_FN_TIME_TYPMOD;
      break;
    case Type::kTimestamp:
      function = MEMOPT_FN_TIMESTAMP_TYPMOD;
      break;
    case Type::kTimestampTz:
      function = MEMOPT_FN_TIMESTAMPTZ_TYPMOD;
      break;
    default:
      function = MEMOPT_FN_INTERVAL_TYPMOD;
      break;
  }
  return Apply(function, ToDatum(v, type), b_.getInt64(typmod), type,
               b_.getInt64(explicit_cast ? 1 : 0));
}

// typmod >= 0: the target's type modifier (ApplyTypmod).
Value Generator::GenCast(Value value, Type from, Type to, int32_t typmod, bool explicit_cast) {
  if (from == Type::kNull)
    return Value{llvm::Constant::getNullValue(MachineType(to)), b_.getTrue()};
  if (from == to && typmod < 0) return value;
  return UnlessNull(value.null, to, [&] {
    llvm::Value *v = from == to ? value.v : Convert(value.v, from, to);
    if (typmod >= 0) v = ApplyTypmod(v, to, typmod, explicit_cast);
    return v;
  });
}

llvm::Value *Generator::Convert(llvm::Value *v, Type from, Type to) {
  int function;  // a cast PostgreSQL computes (char(n) to text drops trailing blanks)
  if ((IsComputedByPostgres(from) || IsComputedByPostgres(to)) &&
      ResolveCast(from, to, &function) && function >= 0)
    return Apply(function, ToDatum(v, from), nullptr, to);
  if (to == Type::kText)
    return b_.CreateCall(Runtime("memopt_rt_to_text", i64_, {i32_, i64_}),
                         {call_, b_.getInt32(static_cast<int>(from)), ToDatum(v, from)});
  if (from == Type::kText) {
    llvm::Value *datum = b_.CreateCall(Runtime("memopt_rt_from_text", i64_, {i32_, i64_}),
                                       {call_, b_.getInt32(static_cast<int>(to)), v});
    return FromDatum(datum, to);
  }
  if (IsInteger(from) && IsInteger(to)) return ConvertInt(v, to);
  if (IsInteger(from)) return b_.CreateSIToFP(v, MachineType(to));
  if (IsFloat(from) && IsFloat(to)) {
    if (to == Type::kFloat8) return b_.CreateFPExt(v, b_.getDoubleTy());
    llvm::Value *narrow = b_.CreateFPTrunc(v, b_.getFloatTy());
    ErrorIf(b_.CreateAnd(IsInf(narrow), b_.CreateNot(IsInf(v))), MEMOPT_NATIVE_FLOAT_OVERFLOW);
    ErrorIf(b_.CreateAnd(b_.CreateFCmpOEQ(narrow, llvm::ConstantFP::get(b_.getFloatTy(), 0.0)),
                         b_.CreateFCmpUNE(v, llvm::ConstantFP::get(v->getType(), 0.0))),
            MEMOPT_NATIVE_FLOAT_UNDERFLOW);
    return narrow;
  }
  // Float to integer: round half to even (rint), then the range check.
  llvm::Value *wide = from == Type::kFloat4 ? b_.CreateFPExt(v, b_.getDoubleTy()) : v;
  llvm::Value *rounded = b_.CreateUnaryIntrinsic(llvm::Intrinsic::rint, wide);
  unsigned bits = MachineType(to)->getIntegerBitWidth();
  double low = -std::ldexp(1.0, bits - 1);
  llvm::Value *fits =
      b_.CreateAnd(b_.CreateFCmpOGE(rounded, llvm::ConstantFP::get(b_.getDoubleTy(), low)),
                   b_.CreateFCmpOLT(rounded, llvm::ConstantFP::get(b_.getDoubleTy(), -low)));
  ErrorIf(b_.CreateNot(fits), RangeError(to));
  return b_.CreateFPToSI(rounded, MachineType(to));
}

llvm::Value *Generator::ConvertInt(llvm::Value *v, Type to) {
  llvm::Type *target = MachineType(to);
  unsigned from_bits = v->getType()->getIntegerBitWidth();
  unsigned to_bits = target->getIntegerBitWidth();
  if (to_bits >= from_bits) return b_.CreateSExt(v, target);
  llvm::Value *narrow = b_.CreateTrunc(v, target);
  ErrorIf(b_.CreateICmpNE(b_.CreateSExt(narrow, v->getType()), v), RangeError(to));
  return narrow;
}

// --- statements --------------------------------------------------------------------

void Generator::GenList(const StmtList &list) {
  for (const StmtPtr &stmt : list) {
    if (b_.GetInsertBlock()->getTerminator() != nullptr) {
      // Code after RETURN / EXIT: unreachable, but still generated (and dropped).
      b_.SetInsertPoint(NewBlock("dead"));
    }
    SetLine(stmt->pos.line);
    if (StatementMakesTemporaries(stmt.get())) ResetScratch();
    GenStmt(stmt.get());
  }
}

void Generator::SetLine(int line) {
  if (line == current_line_) return;
  current_line_ = line;
  b_.CreateStore(b_.getInt32(line), b_.CreateStructGEP(frame_, call_, 5));
}

void Generator::GenStmt(const Stmt *stmt) {
  ResetCachedSubqueries(stmt);
  switch (stmt->kind) {
    case StmtKind::kDeclare:
      if (stmt->value) {
        StoreVariable(stmt->variable, Gen(stmt->value.get()));
        CountQueryExpression(stmt->value.get());
      } else
        StoreVariable(stmt->variable, Value{llvm::Constant::getNullValue(MachineType(
                                                routine_.variables[stmt->variable].type)),
                                            b_.getTrue()});
      break;
    case StmtKind::kAssign:
      StoreVariable(stmt->variable, Gen(stmt->value.get()));
      CountQueryExpression(stmt->value.get());
      break;
    case StmtKind::kIf:
      GenIf(stmt);
      break;
    case StmtKind::kWhile:
    case StmtKind::kLoop:
      GenWhile(stmt);
      break;
    case StmtKind::kForRange:
      GenFor(stmt);
      break;
    case StmtKind::kExit:
    case StmtKind::kContinue:
      GenExit(stmt);
      break;
    case StmtKind::kReturn:
      GenReturn(stmt);
      break;
    case StmtKind::kRaise:
      GenRaise(stmt);
      break;
    case StmtKind::kInsert:
      GenInsert(stmt);
      break;
    case StmtKind::kUpdate:
    case StmtKind::kDelete:
      GenRowStatement(stmt);
      break;
    case StmtKind::kSelectInto:
    case StmtKind::kForQuery:
    case StmtKind::kSelectRows:
      GenQuery(stmt);
      break;
    case StmtKind::kNullStmt:
    case StmtKind::kSubquery:  // generated with its expression (GenExists, ...)
      break;
    case StmtKind::kCallRoutine:
      GenCallee(stmt->callee, stmt->args, Type::kUnknown);
      break;
    case StmtKind::kPerform:
      GenPerform(stmt);
      break;
    case StmtKind::kGetDiagnostics:
      for (size_t i = 0; i < stmt->into_variables.size(); ++i) {
        if (stmt->stacked)
          StoreVariable(stmt->variable, ErrorField(stmt->block_depth, stmt->error_fields[i]));
        StoreVariable(stmt->into_variables[i], Gen(stmt->set_values[i].get()));
      }
      break;
    case StmtKind::kSelectValues:
      GenSelectValues(stmt);
      break;
    case StmtKind::kBlock:
      GenBlock(stmt);
      break;
  }
}

// SELECT exprs INTO targets without FROM: one row, as PL/pgSQL's query.
void Generator::GenSelectValues(const Stmt *stmt) {
  std::vector<Value> values;
  for (const ExprPtr &item : stmt->select_list) values.push_back(Gen(item.get()));
  StoreVariables(stmt->into_variables, values);
  SetFound(b_.getTrue());
  SetRowCount(b_.getInt64(1));
}

// A condition's truth: NULL counts as false.
llvm::Value *Generator::Truth(const Expr *expr) {
  Value v = Gen(expr);
  return b_.CreateAnd(v.v, b_.CreateNot(v.null));
}

void Generator::GenIf(const Stmt *stmt) {
  BasicBlock *done = NewBlock("endif");
  for (size_t i = 0; i < stmt->conds.size(); ++i) {
    BasicBlock *then = NewBlock("then");
    BasicBlock *otherwise = NewBlock("else");
    llvm::Value *truth = Truth(stmt->conds[i].get());
    CountQueryExpression(stmt->conds[i].get());
    b_.CreateCondBr(truth, then, otherwise);
    b_.SetInsertPoint(then);
    GenList(stmt->branches[i]);
    BranchIfOpen(done);
    b_.SetInsertPoint(otherwise);
  }
  GenList(stmt->else_body);
  BranchIfOpen(done);
  b_.SetInsertPoint(done);
  current_line_ = -1;
}

void Generator::BranchIfOpen(BasicBlock *target) {
  if (b_.GetInsertBlock()->getTerminator() == nullptr) b_.CreateBr(target);
}

// Every loop iteration polls InterruptPending (statement_timeout,
// pg_cancel_backend): one load and a never-taken branch.
void Generator::CheckInterrupts() {
  if (options_.interrupt_pending == nullptr) return;
  llvm::Value *address = b_.CreateIntToPtr(
      b_.getInt64(reinterpret_cast<uint64_t>(options_.interrupt_pending)), i32_->getPointerTo());
  llvm::LoadInst *flag = b_.CreateLoad(i32_, address);
  flag->setVolatile(true);
  BasicBlock *handle = NewBlock("interrupt");
  BasicBlock *go_on = NewBlock("no_interrupt");
  b_.CreateCondBr(b_.CreateICmpNE(flag, b_.getInt32(0)), handle, go_on, Unlikely());
  b_.SetInsertPoint(handle);
  b_.CreateCall(Runtime("memopt_rt_interrupt", b_.getVoidTy(), {}), {call_});
  b_.CreateBr(go_on);
  b_.SetInsertPoint(go_on);
}

void Generator::GenWhile(const Stmt *stmt) {
  BasicBlock *head = NewBlock("loop_head");
  BasicBlock *body = NewBlock("loop_body");
  BasicBlock *exit = NewBlock("loop_exit");
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  current_line_ = -1;
  CheckInterrupts();
  if (stmt->kind == StmtKind::kWhile && MakesTemporaries(stmt->conds[0].get())) ResetScratch();
  if (stmt->kind == StmtKind::kWhile) {
    llvm::Value *truth = Truth(stmt->conds[0].get());
    CountQueryExpression(stmt->conds[0].get());
    b_.CreateCondBr(truth, body, exit);
  } else {
    b_.CreateBr(body);
  }
  b_.SetInsertPoint(body);
  loops_.push_back(LoopTargets{exit, head, stmt->label, false, false});
  GenList(stmt->body);
  loops_.pop_back();
  BranchIfOpen(head);
  b_.SetInsertPoint(exit);
  current_line_ = -1;
}

// FOR i IN [REVERSE] low..high [BY step]: bounds evaluated once; the loop
// ends before the variable would overflow (PL/pgSQL's rule).
void Generator::GenFor(const Stmt *stmt) {
  Value low = Gen(stmt->low.get());
  Value high = Gen(stmt->high.get());
  ErrorIf(low.null, MEMOPT_NATIVE_FOR_NULL_LOWER);
  ErrorIf(high.null, MEMOPT_NATIVE_FOR_NULL_UPPER);
  llvm::Value *step = b_.getInt32(1);
  if (stmt->step) {
    Value s = Gen(stmt->step.get());
    ErrorIf(s.null, MEMOPT_NATIVE_FOR_NULL_STEP);
    ErrorIf(b_.CreateICmpSLE(s.v, b_.getInt32(0)), MEMOPT_NATIVE_FOR_STEP);
    step = s.v;
  }
  llvm::Value *counter = b_.CreateAlloca(i32_, nullptr, "for_counter");
  b_.CreateStore(low.v, counter);
  llvm::Value *iterated = EntryAlloca(i1_);
  b_.CreateStore(b_.getFalse(), iterated);
  BasicBlock *head = NewBlock("for_head");
  BasicBlock *body = NewBlock("for_body");
  BasicBlock *next = NewBlock("for_next");
  BasicBlock *exit = NewBlock("for_exit");
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  current_line_ = -1;
  CheckInterrupts();
  llvm::Value *i = b_.CreateLoad(i32_, counter);
  llvm::Value *in_range = stmt->reverse ? b_.CreateICmpSGE(i, high.v) : b_.CreateICmpSLE(i, high.v);
  b_.CreateCondBr(in_range, body, exit);
  b_.SetInsertPoint(body);
  b_.CreateStore(i, slots_[stmt->variable].value);
  b_.CreateStore(b_.getFalse(), slots_[stmt->variable].null);
  b_.CreateStore(b_.getTrue(), iterated);
  loops_.push_back(LoopTargets{exit, next, stmt->label, true, false});
  GenList(stmt->body);
  loops_.pop_back();
  BranchIfOpen(next);
  b_.SetInsertPoint(next);
  llvm::Value *current = b_.CreateLoad(i32_, counter);
  llvm::Value *pair = b_.CreateBinaryIntrinsic(
      stmt->reverse ? llvm::Intrinsic::ssub_with_overflow : llvm::Intrinsic::sadd_with_overflow,
      current, step);
  b_.CreateStore(b_.CreateExtractValue(pair, 0), counter);
  b_.CreateCondBr(b_.CreateExtractValue(pair, 1), exit, head);
  b_.SetInsertPoint(exit);
  SetFound(b_.CreateLoad(i1_, iterated));
  current_line_ = -1;
}

void Generator::GenExit(const Stmt *stmt) {
  // The innermost loop, or with a label the loop or block of that label
  // (the binder checked that one encloses the statement).
  const LoopTargets *loop = nullptr;
  for (auto it = loops_.rbegin(); loop == nullptr; ++it)
    if (stmt->name.empty() ? !it->block : it->label == stmt->name) loop = &*it;
  BasicBlock *target = stmt->kind == StmtKind::kExit ? loop->exit : loop->next;
  // A FOR loop left on the way sets FOUND (it ran its body), as PL/pgSQL's
  // loops do when an EXIT or CONTINUE passes through them; the target
  // loop's own exit block sets it for a plain EXIT.
  bool leaves_for = false;
  for (auto it = loops_.rbegin(); it != loops_.rend(); ++it) {
    if (&*it == loop && stmt->kind == StmtKind::kContinue) break;
    leaves_for = leaves_for || it->sets_found;
    if (&*it == loop) break;
  }
  BasicBlock *go_on = stmt->value ? NewBlock("after_exit") : nullptr;
  if (stmt->value) {
    BasicBlock *leave = NewBlock("exit");
    b_.CreateCondBr(Truth(stmt->value.get()), leave, go_on);
    b_.SetInsertPoint(leave);
  }
  if (leaves_for) SetFound(b_.getTrue());
  LeaveBlocks(static_cast<size_t>(loop - loops_.data()) + 1);
  b_.CreateBr(target);
  if (go_on != nullptr) b_.SetInsertPoint(go_on);
}

// Procedures, void functions, OUT parameters and set-returning functions
// may end without RETURN; a scalar function may not.
bool Generator::ReturnsByStatements() const {
  const Signature &sig = routine_.signature;
  return sig.returns_void || sig.returns_set || !routine_.outputs.empty();
}

// Stores the OUT parameters into call->outputs and returns.
void Generator::ReturnOutputs() {
  if (!routine_.outputs.empty()) {
    llvm::Value *outputs =
        b_.CreateLoad(i64_->getPointerTo(), b_.CreateStructGEP(frame_, call_, 6));
    llvm::Value *nulls = b_.CreateLoad(i8_->getPointerTo(), b_.CreateStructGEP(frame_, call_, 7));
    for (size_t i = 0; i < routine_.outputs.size(); ++i) {
      int variable = routine_.outputs[i];
      Type type = routine_.variables[variable].type;
      llvm::Value *value = b_.CreateLoad(MachineType(type), slots_[variable].value);
      llvm::Value *isnull = b_.CreateLoad(i1_, slots_[variable].null);
      b_.CreateStore(ToDatum(value, type), b_.CreateGEP(i64_, outputs, b_.getInt64(i)));
      b_.CreateStore(b_.CreateZExt(isnull, i8_), b_.CreateGEP(i8_, nulls, b_.getInt64(i)));
    }
  }
  b_.CreateRetVoid();
}

void Generator::GenReturn(const Stmt *stmt) {
  if (!stmt->value) {
    LeaveBlocks(0);
    ReturnOutputs();
    return;
  }
  Value v = Gen(stmt->value.get());
  b_.CreateStore(ToDatum(v.v, stmt->value->type), b_.CreateStructGEP(frame_, call_, 3));
  b_.CreateStore(b_.CreateZExt(v.null, i8_), b_.CreateStructGEP(frame_, call_, 4));
  LeaveBlocks(0);
  b_.CreateRetVoid();
}

int32_t Generator::Number(const Stmt *stmt) {
  statements.push_back(stmt);
  return static_cast<int32_t>(statements.size() - 1);
}

// Datum and null arrays on the stack, filled from `values`.
std::pair<llvm::Value *, llvm::Value *> Generator::DatumArrays(const std::vector<Value> &values,
                                                               const std::vector<Type> &types) {
  size_t n = values.empty() ? 1 : values.size();
  llvm::Value *datums = EntryAlloca(llvm::ArrayType::get(i64_, n));
  llvm::Value *nulls = EntryAlloca(llvm::ArrayType::get(i8_, n));
  for (size_t i = 0; i < values.size(); ++i) {
    b_.CreateStore(ToDatum(values[i].v, types[i]),
                   b_.CreateConstGEP2_32(datums->getType()->getPointerElementType(), datums, 0, i));
    b_.CreateStore(b_.CreateZExt(values[i].null, i8_),
                   b_.CreateConstGEP2_32(nulls->getType()->getPointerElementType(), nulls, 0, i));
  }
  return {b_.CreateBitCast(datums, i64_->getPointerTo()),
          b_.CreateBitCast(nulls, i8_->getPointerTo())};
}

llvm::Value *Generator::EntryAlloca(llvm::Type *type) {
  IRBuilder<> entry(&fn_->getEntryBlock(), fn_->getEntryBlock().begin());
  return entry.CreateAlloca(type);
}

void Generator::GenRaise(const Stmt *stmt) {
  if (stmt->reraise) {
    b_.CreateCall(Runtime("memopt_rt_block_reraise", b_.getVoidTy(), {i32_}),
                  {call_, b_.getInt32(stmt->block_depth)});
    return;
  }
  int32_t number = Number(stmt);
  std::vector<Value> args;
  std::vector<Type> types;
  for (const ExprPtr &arg : stmt->args) {
    args.push_back(Gen(arg.get()));
    types.push_back(Type::kText);
  }
  auto arrays = DatumArrays(args, types);
  auto callee =
      Runtime("memopt_rt_raise", b_.getVoidTy(), {i32_, i64_->getPointerTo(), i8_->getPointerTo()});
  b_.CreateCall(callee, {call_, b_.getInt32(number), arrays.first, arrays.second});
}

void Generator::GenInsert(const Stmt *stmt) {
  if (!stmt->from.empty()) {
    GenQuery(stmt);
    return;
  }
  int32_t number = Number(stmt);
  auto callee = Runtime("memopt_rt_insert", b_.getVoidTy(),
                        {i32_, i64_->getPointerTo(), i8_->getPointerTo()});
  for (const auto &row : stmt->rows) {
    auto arrays = ColumnValueArrays(stmt, row);
    b_.CreateCall(callee, {call_, b_.getInt32(number), arrays.first, arrays.second});
  }
  EndWrite(number);
}

// The values of an INSERT's row or an UPDATE's SET, for column_numbers,
// as the runtime takes them: DEFAULT is MEMOPT_VALUE_DEFAULT in nulls.
std::pair<llvm::Value *, llvm::Value *> Generator::ColumnValueArrays(
    const Stmt *stmt, const std::vector<ExprPtr> &exprs) {
  const TableDesc &table = routine_.tables[stmt->target.table];
  std::vector<Value> values;
  std::vector<Type> types;
  for (size_t i = 0; i < exprs.size(); ++i) {
    values.push_back(Gen(exprs[i].get()));
    types.push_back(table.columns[stmt->column_numbers[i]].type);
  }
  auto arrays = DatumArrays(values, types);
  for (size_t i = 0; i < exprs.size(); ++i)
    if (exprs[i]->kind == ExprKind::kDefault)
      b_.CreateStore(b_.getInt8(MEMOPT_VALUE_DEFAULT),
                     b_.CreateConstGEP1_32(i8_, arrays.second, static_cast<unsigned>(i)));
  return arrays;
}

}  // namespace codegen_detail

namespace {

using codegen_detail::Generator;
using llvm::LLVMContext;

class OrcRoutine : public CompiledRoutine {
 public:
  EntryPoint entry() const override { return entry_; }
  const std::vector<const Stmt *> &statements() const override { return statements_; }
  const std::string &object() const override { return object_; }

  std::unique_ptr<llvm::orc::LLJIT> jit;
  EntryPoint entry_ = nullptr;
  std::vector<const Stmt *> statements_;
  std::string object_;
};

void InitializeLlvmOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

void Optimize(llvm::Module &module) {
  llvm::PassBuilder builder;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cam;
  llvm::ModuleAnalysisManager mam;
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cam, mam);
  llvm::ModulePassManager passes =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
  passes.run(module, mam);
}

std::string ErrorText(llvm::Error error) { return llvm::toString(std::move(error)); }

}  // namespace

std::unique_ptr<CompiledRoutine> Compile(const Routine &routine, const CodegenOptions &options,
                                         std::string *error) {
  if (routine.block_depth > 0 && options.jump_buffer_size == 0) {
    *error = "EXCEPTION blocks need CodegenOptions::jump_buffer_size";
    return nullptr;
  }
  InitializeLlvmOnce();
  auto context = std::make_unique<LLVMContext>();
  auto module = std::make_unique<llvm::Module>("memopt_native", *context);
  auto result = std::make_unique<OrcRoutine>();
  {
    Generator generator(routine, options, *context, *module);
    generator.Run();
    result->statements_ = std::move(generator.statements);
  }
  std::string verify;
  llvm::raw_string_ostream verify_stream(verify);
  if (llvm::verifyModule(*module, &verify_stream)) {
    *error = "generated code failed verification: " + verify_stream.str();
    return nullptr;
  }
  if (options.optimize && options.prebuilt_object == nullptr) Optimize(*module);

  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) {
    *error = ErrorText(jit.takeError());
    return nullptr;
  }
  result->jit = std::move(*jit);
  OrcRoutine *raw = result.get();
  result->jit->getObjTransformLayer().setTransform(
      [raw](std::unique_ptr<llvm::MemoryBuffer> object)
          -> llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> {
        raw->object_.assign(object->getBufferStart(), object->getBufferSize());
        return std::move(object);
      });
  std::map<std::string, void *> addresses = options.runtime_symbols;
  if (options.missing_symbol_stub != nullptr)
    for (const llvm::Function &function : *module)
      if (function.isDeclaration() && !function.isIntrinsic())
        addresses.emplace(function.getName().str(), options.missing_symbol_stub);
  llvm::orc::SymbolMap symbols;
  for (const auto &entry : addresses)
    symbols[result->jit->mangleAndIntern(entry.first)] = llvm::JITEvaluatedSymbol(
        llvm::pointerToJITTargetAddress(entry.second), llvm::JITSymbolFlags::Exported);
  if (auto err = result->jit->getMainJITDylib().define(llvm::orc::absoluteSymbols(symbols))) {
    *error = ErrorText(std::move(err));
    return nullptr;
  }
  llvm::Error added = llvm::Error::success();
  if (options.prebuilt_object != nullptr) {
    // The IR was generated only to number the statements as the object does.
    added = result->jit->addObjectFile(
        llvm::MemoryBuffer::getMemBufferCopy(*options.prebuilt_object, "memopt_native_object"));
  } else {
    added = result->jit->addIRModule(
        llvm::orc::ThreadSafeModule(std::move(module), std::move(context)));
  }
  if (added) {
    *error = ErrorText(std::move(added));
    return nullptr;
  }
  auto symbol = result->jit->lookup("memopt_native_entry");
  if (!symbol) {
    *error = ErrorText(symbol.takeError());
    return nullptr;
  }
  result->entry_ = reinterpret_cast<CompiledRoutine::EntryPoint>(symbol->getAddress());
  return result;
}

namespace {

void Mix(uint64_t *hash, const std::string &bytes) {
  for (unsigned char c : bytes) *hash = (*hash ^ c) * 1099511628211ULL;  // FNV-1a
  *hash = (*hash ^ 0xff) * 1099511628211ULL;
}

}  // namespace

uint64_t Fingerprint(const std::string &source, const Routine &routine) {
  uint64_t hash = 14695981039346656037ULL;
  Mix(&hash, source);
  const Signature &sig = routine.signature;
  Mix(&hash, std::to_string(static_cast<int>(sig.result)) + (sig.returns_void ? "v" : "r"));
  for (const ParamDesc &param : sig.params)
    Mix(&hash, std::to_string(static_cast<int>(param.type)));
  for (const TableDesc &table : routine.tables) {
    Mix(&hash, std::to_string(table.oid));
    for (const ColumnDesc &column : table.columns)
      Mix(&hash, column.name + "/" + std::to_string(static_cast<int>(column.type)) +
                     (column.dropped ? "d" : ""));
    for (const IndexDesc &index : table.indexes) {
      std::string text = std::to_string(index.oid) + (index.unique ? "u" : "");
      for (int column : index.columns) text += "," + std::to_string(column);
      Mix(&hash, text);
    }
  }
  return hash;
}

}  // namespace native
}  // namespace memopt
