// codegen_internal.h - the code generator, shared by codegen.cpp
// (variables, expressions, casts, statements, compilation with ORC) and
// codegen_query.cpp (UPDATE / DELETE row loops and queries: nested loops
// over FROM items, GROUP BY, aggregates, ORDER BY, LIMIT / OFFSET and each
// statement's use of a result row). Not an interface: codegen.h is.
//
// Every variable is a stack slot (value + null flag) that mem2reg turns into
// registers. An expression yields a Value: its machine value and an i1 null
// flag. Operations that can fail (overflow, division by zero) or call the
// runtime run only when no operand is NULL, so a NULL never raises an error
// that PostgreSQL would not raise.
#pragma once

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "binder.h"
#include "codegen.h"
#include "operators.h"

namespace memopt {
namespace native {
namespace codegen_detail {

using llvm::BasicBlock;
using llvm::IRBuilder;
using llvm::LLVMContext;

struct Value {
  llvm::Value *v = nullptr;
  llvm::Value *null = nullptr;  // i1
};

struct VariableSlot {
  llvm::Value *value = nullptr;  // alloca of the machine type
  llvm::Value *null = nullptr;   // alloca i1
};

// The running state of one aggregate of a SELECT ... INTO.
struct Accumulator {
  llvm::Value *value = nullptr;      // alloca: running sum / min / max (avg: its sum)
  llvm::Value *null = nullptr;       // alloca i1: no input yet
  llvm::Value *count = nullptr;      // alloca i64: inputs counted (count, avg)
  llvm::Type *type = nullptr;        // of value
  Type value_type = Type::kUnknown;  // by reference: the value is owned (OwnedCopy)
};

// Where the query being generated keeps its rows: the current row of each
// FROM item (Datum and null arrays the runtime returned), its aggregates'
// state, and while a group is finished, that group's sorted row.
struct QueryContext {
  std::vector<llvm::Value *> source_values;
  std::vector<llvm::Value *> source_nulls;
  std::vector<Accumulator> accumulators;
  llvm::Value *group_values = nullptr;
  llvm::Value *group_nulls = nullptr;
};

// A block with EXCEPTION handlers whose body or handler is being generated.
struct OpenBlock {
  int32_t depth;            // Stmt::block_depth
  size_t loops;             // loops_.size() where it began: the loops around it
  bool in_handler;          // generating one of its handlers (else its body)
  llvm::Value *statements;  // body: its statement numbers, for memopt_rt_block_end
};

struct LoopTargets {
  BasicBlock *exit;
  BasicBlock *next;   // CONTINUE
  std::string label;  // <<label>>, or empty
  bool sets_found;    // a FOR loop: leaving it sets FOUND (to true, from inside)
  bool block;         // a labeled BEGIN ... END block (EXIT label only; next is null)
};

// Generates one routine's entry function into a module (Run), numbering the
// statements the runtime needs to find (`statements`).
class Generator {
 public:
  Generator(const Routine &routine, const CodegenOptions &options, LLVMContext &context,
            llvm::Module &module)
      : routine_(routine), options_(options), ctx_(context), module_(module), b_(context) {}
  void Run();

  std::vector<const Stmt *> statements;

 private:
  void DeclareTypes();
  llvm::FunctionCallee Runtime(const char *name, llvm::Type *result,
                               std::vector<llvm::Type *> params);
  llvm::Type *MachineType(Type type);
  llvm::Value *FromDatum(llvm::Value *datum, Type type);
  llvm::Value *ToDatum(llvm::Value *value, Type type);
  void AllocateVariables();
  void StoreVariable(int index, Value value, bool owned = false);
  void StoreVariables(const std::vector<int> &variables, const std::vector<Value> &values);
  void GenSelectValues(const Stmt *stmt);
  llvm::Value *OwnedCopy(Type type, llvm::Value *old_value, llvm::Value *old_null, Value value);
  llvm::Value *Apply(int function, llvm::Value *a, llvm::Value *b, Type result,
                     llvm::Value *c = nullptr);
  static bool MakesTemporaries(const Expr *expr);
  static bool StatementMakesTemporaries(const Stmt *stmt);
  void ResetScratch();

  // --- helpers ------------------------------------------------------------------
  BasicBlock *NewBlock(const char *name) { return BasicBlock::Create(ctx_, name, fn_); }
  void RaiseError(MemoptNativeError error, int detail);
  void ErrorIf(llvm::Value *cond, MemoptNativeError error);
  llvm::MDNode *Unlikely() { return llvm::MDBuilder(ctx_).createBranchWeights(1, 2000); }
  // Runs `compute` only when `null` is false; the result is NULL otherwise.
  template <typename F>
  Value UnlessNull(llvm::Value *null, Type type, F compute) {
    if (auto *constant = llvm::dyn_cast<llvm::ConstantInt>(null)) {
      if (constant->isZero()) return Value{compute(), b_.getFalse()};
      return Value{llvm::Constant::getNullValue(MachineType(type)), b_.getTrue()};
    }
    BasicBlock *from = b_.GetInsertBlock();
    BasicBlock *work = NewBlock("notnull");
    BasicBlock *join = NewBlock("join");
    b_.CreateCondBr(null, join, work);
    b_.SetInsertPoint(work);
    llvm::Value *result = compute();
    BasicBlock *work_end = b_.GetInsertBlock();
    b_.CreateBr(join);
    b_.SetInsertPoint(join);
    llvm::PHINode *phi = b_.CreatePHI(MachineType(type), 2);
    phi->addIncoming(llvm::Constant::getNullValue(MachineType(type)), from);
    phi->addIncoming(result, work_end);
    return Value{phi, null};
  }
  llvm::Value *IntMin(Type type);
  static MemoptNativeError RangeError(Type type);
  Value Gen(const Expr *expr);
  llvm::Value *StringConstant(const std::string &text);
  Value GenName(const Expr *expr);
  Value GenUnary(const Expr *expr);
  Value GenIsNull(const Expr *expr);
  Value GenIsDistinct(const Expr *expr);
  Value GenBinary(const Expr *expr);
  Value ApplyBinary(const Expr *expr, Value left, Value right);
  Value GenLogical(const Expr *expr, bool is_and);
  llvm::Value *Compare(const std::string &op, Type type, llvm::Value *a, llvm::Value *b);
  llvm::Value *FloatCompare(const std::string &op, llvm::Value *a, llvm::Value *b);
  llvm::Value *Arithmetic(const std::string &op, Type type, llvm::Value *a, llvm::Value *b);
  llvm::Value *IsInf(llvm::Value *x);
  llvm::Value *FloatArithmetic(const std::string &op, Type type, llvm::Value *a, llvm::Value *b);
  Value GenCallee(int callee, const std::vector<ExprPtr> &args, Type result);
  Value GenCall(const Expr *expr);
  Value GenCase(const Expr *expr);
  // A subquery's value, computed once per execution of its owner when it
  // is cached (Expr::cached): `valid` says the others hold it.
  struct SubqueryCache {
    llvm::Type *type;
    llvm::Value *valid, *value, *null;
  };
  Value GenSubquery(const Expr *expr);
  Value ComputeSubquery(const Expr *expr);
  const SubqueryCache &CacheOf(const Expr *expr);
  void ResetCachedSubqueries(const Stmt *owner);
  Value GenExists(const Expr *expr);
  Value GenScalarSubquery(const Expr *expr);
  Value GenInSubquery(const Expr *expr);
  // x of `x IN (subquery)`, computed at the subquery's first row (a
  // subquery without rows leaves x unevaluated, as PostgreSQL does).
  struct LazyOperand {
    const Expr *operand;
    llvm::Value *computed;  // i1 alloca, cleared where the IN is evaluated
    size_t depth;           // enclosing_.size() where x is computed
  };
  void ComputeLazyOperand(int variable);
  bool EnterSubquery(const Stmt *query);
  void LeaveSubquery(bool own_scratch);
  Value GenCoalesce(const Expr *expr);
  Value GenGreatest(const Expr *expr, bool greatest);
  Value GenConcat(const Expr *expr, bool with_separator);
  Value GenCast(Value value, Type from, Type to, int32_t typmod = -1, bool explicit_cast = false);
  llvm::Value *ApplyTypmod(llvm::Value *v, Type type, int32_t typmod, bool explicit_cast);
  llvm::Value *Convert(llvm::Value *v, Type from, Type to);
  llvm::Value *ConvertInt(llvm::Value *v, Type to);
  void GenList(const StmtList &list);
  void SetLine(int line);
  void GenStmt(const Stmt *stmt);
  llvm::Value *Truth(const Expr *expr);
  void GenIf(const Stmt *stmt);
  void BranchIfOpen(BasicBlock *target);
  void CheckInterrupts();
  void GenWhile(const Stmt *stmt);
  void GenFor(const Stmt *stmt);
  void GenExit(const Stmt *stmt);
  // codegen_block.cpp
  void GenBlock(const Stmt *stmt);
  void GenHandledBlock(const Stmt *stmt);
  llvm::Value *ConditionArray(const Stmt *stmt, int32_t *count);
  Value ErrorField(int32_t depth, int32_t field);
  void LeaveBlocks(size_t loops_kept);
  void EndBlock(const OpenBlock &block);
  void KeepVariablesInMemory();
  bool ReturnsByStatements() const;
  void ReturnOutputs();
  void GenReturn(const Stmt *stmt);
  int32_t Number(const Stmt *stmt);
  std::pair<llvm::Value *, llvm::Value *> DatumArrays(const std::vector<Value> &values,
                                                      const std::vector<Type> &types);
  std::pair<llvm::Value *, llvm::Value *> ColumnValueArrays(const Stmt *stmt,
                                                            const std::vector<ExprPtr> &exprs);
  llvm::Value *EntryAlloca(llvm::Type *type);
  void GenRaise(const Stmt *stmt);
  void GenInsert(const Stmt *stmt);

  // --- statements over rows: UPDATE / DELETE and queries -------------------------
  // What a query does with a result row (its select-list values); `next`
  // goes on to the next row, `done` ends the query.
  using RowSink =
      std::function<void(const std::vector<Value> &, BasicBlock *next, BasicBlock *done)>;
  void GenSources(const Stmt *stmt, int32_t number, size_t level, BasicBlock *exhausted,
                  const std::function<void(BasicBlock *next)> &inner);
  void OpenSource(const TableRef &ref, int32_t number, size_t level, BasicBlock *no_rows);
  void FetchSourceRow(int32_t number, size_t level, BasicBlock *row, BasicBlock *end);
  void TestFilters(const std::vector<const Expr *> &filters, BasicBlock *fail);
  void GenLaterSources(const Stmt *stmt, int32_t number, size_t level, BasicBlock *next,
                       const std::function<void(BasicBlock *next)> &inner);
  void GenLeftJoinSource(const Stmt *stmt, int32_t number, size_t level, BasicBlock *exhausted,
                         const std::function<void(BasicBlock *next)> &inner);
  std::pair<llvm::Value *, llvm::Value *> NullRow(size_t columns);
  void CloseSource(int32_t number, size_t level);
  void CloseSources(const Stmt *stmt, int32_t number);
  void FillFromSubqueries(const Stmt *stmt, int32_t number);
  void ResetFromSubquery(int32_t number, size_t level);
  // Ends a write statement; FOUND says whether it wrote a row.
  void EndWrite(int32_t number) {
    llvm::Value *rows = b_.CreateCall(Runtime("memopt_rt_end_statement", i64_, {i32_}),
                                      {call_, b_.getInt32(number)});
    SetFound(b_.CreateICmpSGT(rows, b_.getInt64(0)));
    SetRowCount(rows);
  }
  void SetFound(llvm::Value *found) {
    if (routine_.found_variable >= 0)
      StoreVariable(routine_.found_variable, Value{found, b_.getFalse()});
  }
  // ROW_COUNT (an i64), when GET DIAGNOSTICS reads it (binder.h).
  void SetRowCount(llvm::Value *rows) {
    if (routine_.row_count_variable >= 0)
      StoreVariable(routine_.row_count_variable, Value{rows, b_.getFalse()});
  }
  // PL/pgSQL runs an expression with a subquery as a one-row query, which
  // sets ROW_COUNT to 1; other expressions leave it.
  void CountQueryExpression(const Expr *expr) {
    if (HasSubquery(expr)) SetRowCount(b_.getInt64(1));
  }
  void GenPerform(const Stmt *stmt);
  void GenRowStatement(const Stmt *stmt);
  // `sink`, when given, takes the result rows instead of the statement's own use.
  void GenQuery(const Stmt *stmt, RowSink sink = nullptr);
  // The query being generated: its statement number, exits, sink and counters.
  struct QueryState {
    const Stmt *stmt;
    int32_t number;
    BasicBlock *done;                  // closes what is open and ends the query
    RowSink sink;                      // the statement's use of a result row
    llvm::Value *limit = nullptr;      // alloca i64: rows still to deliver
    llvm::Value *offset = nullptr;     // alloca i64: rows still to skip
    llvm::Value *delivered = nullptr;  // alloca i1 (SELECT INTO): a row arrived
  };
  RowSink SinkFor(const Stmt *stmt, QueryState *query);
  void FinishQuery(QueryState *query);
  void StartCounts(QueryState *query);
  void Deliver(QueryState *query, const std::vector<Value> &values, BasicBlock *next);
  void Output(QueryState *query, BasicBlock *next);
  void OutputIfHaving(QueryState *query, BasicBlock *next);
  void PutSortRow(int32_t number, int32_t stage, const std::vector<Value> &values,
                  const std::vector<Type> &types);
  // The next row of a cursor (memopt_rt_next: `which` is the FROM item) or a
  // sort (memopt_rt_sort_next: the stage): branches to `row`, where its
  // (values, nulls) pointers are loaded, or at the end to `end`.
  std::pair<llvm::Value *, llvm::Value *> NextRow(const char *runtime, int32_t number,
                                                  int32_t which, BasicBlock *row, BasicBlock *end);
  Value LoadColumn(llvm::Value *values, llvm::Value *nulls, int column, Type type);
  void GenSortedOutput(QueryState *query);
  void SkipSameDistinctOn(const Stmt *stmt, std::pair<llvm::Value *, llvm::Value *> row,
                          llvm::Value *previous, llvm::Value *previous_nulls, BasicBlock *head);
  std::vector<Value> GroupRow(const Stmt *stmt);
  Value GenHashedIn(const Expr *expr);
  llvm::Value *DatumOrZero(const Value &value, Type type);
  // Runtime value sets (runtime_api.h memopt_rt_set_*), by set number.
  void BranchIfSetFilled(llvm::Value *set, BasicBlock *filled, BasicBlock *fill);
  void ResetSet(llvm::Value *set, Type type);
  void AddToSet(llvm::Value *set, llvm::Value *datum, llvm::Value *null);
  Value ProbeSet(llvm::Value *set, const Value &x, Type type, bool negated);
  void GenGroups(QueryState *query);
  void BranchIfNotDistinct(Value a, Value b, Type type, BasicBlock *same, BasicBlock *differ);
  void SkipRepeatedInput(const Stmt *stmt, std::pair<llvm::Value *, llvm::Value *> row,
                         llvm::Value *previous_values, llvm::Value *previous_nulls,
                         llvm::Value *fresh, std::vector<Value> *inputs);
  void FinishGroup(QueryState *query, llvm::Value *values, llvm::Value *nulls, BasicBlock *next);
  void SameColumns(const std::vector<int> &columns, const std::vector<Type> &types,
                   llvm::Value *a_values, llvm::Value *a_nulls, llvm::Value *b_values,
                   llvm::Value *b_nulls, BasicBlock *same, BasicBlock *differ);
  std::vector<Value> AggregateInputs(const Stmt *stmt);
  void AllocateAccumulators(const Stmt *stmt);
  void ResetAccumulators();
  void FreeAccumulators();
  void Accumulate(const Stmt *stmt, const std::vector<Value> &inputs);
  void AppendString(const Accumulator &acc, Value value, Value delimiter);
  void Combine(const Expr *aggregate, const Accumulator &acc, Value arg);
  void FinishAggregates(const Stmt *stmt);
  llvm::Value *LookupKeys(const TableRef &ref, BasicBlock *no_rows);
  llvm::Value *KeyValue(const Expr *key, Type column_type, BasicBlock *no_match);
  void GenAlternativeLookups(const Stmt *stmt, int32_t number, size_t level, BasicBlock *exhausted,
                             const std::function<void(BasicBlock *next)> &inner);
  // An IN list's keys (entry-block arrays): the Datum of each item and
  // whether it can match (not NULL, in the column type's range).
  struct AlternativeKeys {
    llvm::Value *count = nullptr;  // i64
    // Arrays; keys_type null: `keys` points to the Datums of a value set.
    llvm::Type *keys_type = nullptr, *usable_type = nullptr;
    llvm::Value *keys = nullptr, *usable = nullptr;
    // Distinct keys, all usable (no usable array): constants or a set's.
    bool distinct = false;
    llvm::Value *KeyAt(IRBuilder<> &b, llvm::Value *i) const {
      if (keys_type == nullptr) return b.CreateInBoundsGEP(b.getInt64Ty(), keys, i);
      return b.CreateInBoundsGEP(keys_type, keys, {b.getInt64(0), i});
    }
    llvm::Value *UsableAt(IRBuilder<> &b, llvm::Value *i) const {
      return b.CreateInBoundsGEP(usable_type, usable, {b.getInt64(0), i});
    }
  };
  AlternativeKeys ComputeAlternatives(const TableRef &ref);
  // codegen_in_list.cpp: IN lists of constants.
  bool GenConstantSet(const Expr *expr, Value *result);
  Value GenConstantValueSet(const Expr *expr);
  bool AddTextConstantsToSet(llvm::Value *set, Type type, const std::vector<const Expr *> &items,
                             bool keep_null);
  bool ConstantAlternatives(const TableRef &ref, Type column_type, AlternativeKeys *keys);
  bool SetAlternatives(const TableRef &ref, Type column_type, AlternativeKeys *keys);
  void BranchIfEarlierKeyEquals(const AlternativeKeys &keys, llvm::Value *current, llvm::Value *key,
                                BasicBlock *equal, BasicBlock *first);
  void GenSourceRows(const Stmt *stmt, int32_t number, size_t level, BasicBlock *closed,
                     const std::function<void(BasicBlock *next)> &inner);
  llvm::Value *RangeBounds(const TableRef &ref, BasicBlock *no_rows);

  const Routine &routine_;
  const CodegenOptions &options_;
  LLVMContext &ctx_;
  llvm::Module &module_;
  IRBuilder<> b_;
  llvm::Type *i1_, *i8_, *i32_, *i64_, *ptr_;
  llvm::StructType *frame_;
  llvm::PointerType *frame_ptr_;
  llvm::Function *fn_ = nullptr;
  llvm::Value *call_ = nullptr;
  std::vector<VariableSlot> slots_;
  std::vector<LoopTargets> loops_;
  std::vector<OpenBlock> open_blocks_;  // innermost last
  QueryContext query_;                  // the query being generated
  // While a subquery is generated: the queries around it, outermost first
  // (one per subquery level, as Expr::outer counts them).
  std::vector<QueryContext> enclosing_;
  std::map<const Expr *, Value> aggregate_results_;
  std::map<const Expr *, SubqueryCache> subquery_caches_;
  std::map<int, LazyOperand> lazy_operands_;  // by variable, while its IN is generated
  int current_line_ = -1;
};

}  // namespace codegen_detail
}  // namespace native
}  // namespace memopt
