// codegen_query.cpp - code for statements over rows: UPDATE / DELETE row
// loops and queries (SELECT INTO, FOR over a query, SELECT rows, INSERT ...
// SELECT). A query is one generated pipeline: nested loops over its FROM
// items (an index lookup or a scan each, WHERE conjuncts tested as soon as
// their rows are there), then a GROUP BY sort aggregated group by group, or
// the aggregates of all rows, then an ORDER BY sort, then OFFSET / LIMIT,
// then the statement's sink. Sorts and cursors are the runtime's
// (runtime_api.h); an early exit jumps to one block that closes them all.
#include <algorithm>

#include "codegen_internal.h"
#include "in_list.h"
#include "operators.h"

namespace memopt {
namespace native {
namespace codegen_detail {

// Runs `inner` for every row of FROM item `level` (and, nested inside, of
// every later item) that passes the item's filters, with `next` to go on
// to the next row; control reaches `exhausted` when the item has no more.
// An item found by index opens with its key values, which may read the
// rows of earlier items; a NULL key (or one out of the column's range)
// finds nothing and skips the open.
void Generator::GenSources(const Stmt *stmt, int32_t number, size_t level, BasicBlock *exhausted,
                           const std::function<void(BasicBlock *next)> &inner) {
  const TableRef &ref = SourceRef(*stmt, static_cast<int>(level));
  if (ref.left_join) return GenLeftJoinSource(stmt, number, level, exhausted, inner);
  if (!ref.alternatives.empty())
    return GenAlternativeLookups(stmt, number, level, exhausted, inner);
  OpenSource(ref, number, level, exhausted);
  GenSourceRows(stmt, number, level, exhausted, inner);
}

// The rows of FROM item `level`'s open cursor, each tested by its filters
// and joined with the later items; closed when they run out, then `closed`.
void Generator::GenSourceRows(const Stmt *stmt, int32_t number, size_t level, BasicBlock *closed,
                              const std::function<void(BasicBlock *next)> &inner) {
  const TableRef &ref = SourceRef(*stmt, static_cast<int>(level));
  BasicBlock *head = NewBlock("row_next");
  BasicBlock *row = NewBlock("row");
  BasicBlock *end = NewBlock("rows_end");
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  FetchSourceRow(number, level, row, end);
  b_.SetInsertPoint(end);
  CloseSource(number, level);
  b_.CreateBr(closed);
  b_.SetInsertPoint(row);
  if (StatementMakesTemporaries(stmt)) ResetScratch();  // per row
  TestFilters(ref.filters, head);
  GenLaterSources(stmt, number, level, head, inner);
}

// Goes on in a new block if every filter is true, to `fail` at the first
// that is not.
void Generator::TestFilters(const std::vector<const Expr *> &filters, BasicBlock *fail) {
  for (const Expr *filter : filters) {
    BasicBlock *pass = NewBlock("row_matches");
    b_.CreateCondBr(Truth(filter), pass, fail);
    b_.SetInsertPoint(pass);
  }
}

// The FROM items after `level` (nested loops), then `inner`; `next` takes
// the next row of item `level`.
void Generator::GenLaterSources(const Stmt *stmt, int32_t number, size_t level, BasicBlock *next,
                                const std::function<void(BasicBlock *next)> &inner) {
  if (level + 1 < SourceCount(*stmt))
    GenSources(stmt, number, level + 1, next, inner);
  else
    inner(next);
}

// The next row of FROM item `level`'s open cursor: at `row` its values and
// nulls are the item's (query_.source_values/nulls), past the last at `end`.
void Generator::FetchSourceRow(int32_t number, size_t level, BasicBlock *row, BasicBlock *end) {
  auto fetched = NextRow("memopt_rt_next", number, static_cast<int32_t>(level), row, end);
  query_.source_values[level] = fetched.first;
  query_.source_nulls[level] = fetched.second;
}

// Opens FROM item `level`'s rows: by its index's keys (which may read the
// rows of earlier items; a NULL key finds nothing and goes to `no_rows`
// without opening), or a scan.
void Generator::OpenSource(const TableRef &ref, int32_t number, size_t level, BasicBlock *no_rows) {
  llvm::Value *keys = llvm::ConstantPointerNull::get(i64_->getPointerTo());
  if (ref.access_index >= 0)
    keys = ref.range_scan ? RangeBounds(ref, no_rows) : LookupKeys(ref, no_rows);
  b_.CreateCall(Runtime("memopt_rt_open", b_.getVoidTy(), {i32_, i32_, i64_->getPointerTo()}),
                {call_, b_.getInt32(number), b_.getInt32(static_cast<int32_t>(level)), keys});
}

// A LEFT JOIN item: as GenSources, but its filters (the ON conditions)
// only decide whether a row matches; when no row of the item matched, it
// gives one row of NULLs instead. Either row then meets the WHERE conjuncts
// that read the item last (joined_filters) before the later items.
//
//   open (or, for a NULL key, straight to `unmatched`)
//   next:      row ? -> row : close, -> unmatched
//   row:       ON fails -> next; matched = true; current = row -> joined
//   unmatched: matched -> exhausted; nulls_given = true; current = NULLs -> joined
//   joined:    WHERE fails -> resume; later items / inner(resume)
//   resume:    nulls_given -> exhausted; -> next
void Generator::GenLeftJoinSource(const Stmt *stmt, int32_t number, size_t level,
                                  BasicBlock *exhausted,
                                  const std::function<void(BasicBlock *next)> &inner) {
  const TableRef &ref = SourceRef(*stmt, static_cast<int>(level));
  llvm::Value *matched = EntryAlloca(i1_);
  llvm::Value *nulls_given = EntryAlloca(i1_);
  llvm::Value *current_values = EntryAlloca(i64_->getPointerTo());
  llvm::Value *current_nulls = EntryAlloca(i8_->getPointerTo());
  b_.CreateStore(b_.getFalse(), matched);
  b_.CreateStore(b_.getFalse(), nulls_given);
  BasicBlock *unmatched = NewBlock("left_unmatched");
  OpenSource(ref, number, level, unmatched);
  BasicBlock *head = NewBlock("left_next");
  BasicBlock *row = NewBlock("left_row");
  BasicBlock *end = NewBlock("left_end");
  BasicBlock *joined = NewBlock("left_joined");
  BasicBlock *resume = NewBlock("left_resume");
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  FetchSourceRow(number, level, row, end);
  if (StatementMakesTemporaries(stmt)) ResetScratch();
  TestFilters(ref.filters, head);
  b_.CreateStore(b_.getTrue(), matched);
  b_.CreateStore(query_.source_values[level], current_values);
  b_.CreateStore(query_.source_nulls[level], current_nulls);
  b_.CreateBr(joined);

  b_.SetInsertPoint(end);
  CloseSource(number, level);
  b_.CreateBr(unmatched);
  b_.SetInsertPoint(unmatched);
  BasicBlock *give_nulls = NewBlock("left_nulls");
  b_.CreateCondBr(b_.CreateLoad(i1_, matched), exhausted, give_nulls);
  b_.SetInsertPoint(give_nulls);
  if (StatementMakesTemporaries(stmt)) ResetScratch();
  b_.CreateStore(b_.getTrue(), nulls_given);
  auto nulls = NullRow(ref.query ? ref.query->select_list.size()
                                 : routine_.tables[ref.table].columns.size());
  b_.CreateStore(nulls.first, current_values);
  b_.CreateStore(nulls.second, current_nulls);
  b_.CreateBr(joined);

  b_.SetInsertPoint(joined);
  query_.source_values[level] = b_.CreateLoad(i64_->getPointerTo(), current_values);
  query_.source_nulls[level] = b_.CreateLoad(i8_->getPointerTo(), current_nulls);
  TestFilters(ref.joined_filters, resume);
  GenLaterSources(stmt, number, level, resume, inner);

  b_.SetInsertPoint(resume);
  b_.CreateCondBr(b_.CreateLoad(i1_, nulls_given), exhausted, head);
}

// A row of `columns` NULLs for a LEFT JOIN item that matched nothing: zero
// Datums and null flags, constant data of the module.
std::pair<llvm::Value *, llvm::Value *> Generator::NullRow(size_t columns) {
  columns = std::max<size_t>(columns, 1);
  auto *values_type = llvm::ArrayType::get(i64_, columns);
  auto *nulls_type = llvm::ArrayType::get(i8_, columns);
  auto *values =
      new llvm::GlobalVariable(module_, values_type, true, llvm::GlobalValue::PrivateLinkage,
                               llvm::Constant::getNullValue(values_type), "null_values");
  std::vector<llvm::Constant *> ones(columns, b_.getInt8(1));
  auto *nulls =
      new llvm::GlobalVariable(module_, nulls_type, true, llvm::GlobalValue::PrivateLinkage,
                               llvm::ConstantArray::get(nulls_type, ones), "null_flags");
  return {b_.CreatePointerCast(values, i64_->getPointerTo()),
          b_.CreatePointerCast(nulls, i8_->getPointerTo())};
}

void Generator::CloseSource(int32_t number, size_t level) {
  b_.CreateCall(Runtime("memopt_rt_close", b_.getVoidTy(), {i32_, i32_}),
                {call_, b_.getInt32(number), b_.getInt32(static_cast<int32_t>(level))});
}

// At the end of a query: its cursors, and the rows its subqueries in FROM
// left in the runtime.
void Generator::CloseSources(const Stmt *stmt, int32_t number) {
  for (size_t level = 0; level < SourceCount(*stmt); ++level) {
    CloseSource(number, level);
    if (SourceRef(*stmt, static_cast<int>(level)).query) ResetFromSubquery(number, level);
  }
}

// Each subquery in FROM of a query runs before the query reads a row: its
// rows go to the runtime (memopt_rt_from_put), from which its item reads
// them as often as it is joined again (memopt_rt_open / next). It reads
// no item of the query, only the queries around it, whose rows are
// current here.
void Generator::FillFromSubqueries(const Stmt *stmt, int32_t number) {
  for (size_t level = 0; level < stmt->from.size(); ++level) {
    const Stmt *query = stmt->from[level].query.get();
    if (query == nullptr) continue;
    ResetFromSubquery(number, level);  // an EXIT may have left the last run's rows
    std::vector<Type> types;
    for (const ExprPtr &item : query->select_list) types.push_back(item->type);
    bool own_scratch = EnterSubquery(query);
    GenQuery(query, [this, number, level, types](const std::vector<Value> &values, BasicBlock *next,
                                                 BasicBlock *) {
      auto arrays = DatumArrays(values, types);
      b_.CreateCall(Runtime("memopt_rt_from_put", b_.getVoidTy(),
                            {i32_, i32_, i64_->getPointerTo(), i8_->getPointerTo()}),
                    {call_, b_.getInt32(number), b_.getInt32(static_cast<int32_t>(level)),
                     arrays.first, arrays.second});
      b_.CreateBr(next);
    });
    LeaveSubquery(own_scratch);
  }
}

void Generator::ResetFromSubquery(int32_t number, size_t level) {
  b_.CreateCall(Runtime("memopt_rt_from_reset", b_.getVoidTy(), {i32_, i32_}),
                {call_, b_.getInt32(number), b_.getInt32(static_cast<int32_t>(level))});
}

// UPDATE and DELETE: every row of the target that passes WHERE.
void Generator::GenRowStatement(const Stmt *stmt) {
  int32_t number = Number(stmt);
  query_.source_values.assign(1, nullptr);
  query_.source_nulls.assign(1, nullptr);
  BasicBlock *done = NewBlock("rows_done");
  GenSources(stmt, number, 0, done, [&](BasicBlock *next) {
    if (stmt->kind == StmtKind::kDelete) {
      b_.CreateCall(Runtime("memopt_rt_delete", b_.getVoidTy(), {i32_}),
                    {call_, b_.getInt32(number)});
    } else {
      auto arrays = ColumnValueArrays(stmt, stmt->set_values);
      b_.CreateCall(Runtime("memopt_rt_update", b_.getVoidTy(),
                            {i32_, i64_->getPointerTo(), i8_->getPointerTo()}),
                    {call_, b_.getInt32(number), arrays.first, arrays.second});
    }
    b_.CreateBr(next);
  });
  b_.SetInsertPoint(done);
  EndWrite(number);
  current_line_ = -1;
}

// A query: nested loops over FROM, then (with GROUP BY or DISTINCT
// aggregates) the rows sorted by group and aggregated group by group, or
// (other aggregates alone) one row of
// aggregates, then (with ORDER BY) the result rows sorted, then OFFSET and
// LIMIT, then the statement's own use of each row (its sink).
void Generator::GenQuery(const Stmt *stmt, RowSink sink) {
  int32_t number = Number(stmt);
  QueryState query;
  query.stmt = stmt;
  query.number = number;
  query.done = NewBlock("query_done");
  query.sink = sink ? std::move(sink) : SinkFor(stmt, &query);
  FillFromSubqueries(stmt, number);
  size_t sources = SourceCount(*stmt);
  query_.source_values.assign(sources, nullptr);
  query_.source_nulls.assign(sources, nullptr);
  StartCounts(&query);
  // A sort left running by an EXIT / CONTINUE to an outer loop label (which
  // skips query_done) is ended before this run puts rows in.
  for (int32_t stage = 0; stage < 2; ++stage)
    if (!(stage == 0 ? stmt->group_stage : stmt->order_stage).types.empty())
      b_.CreateCall(Runtime("memopt_rt_sort_close", b_.getVoidTy(), {i32_, i32_}),
                    {call_, b_.getInt32(number), b_.getInt32(stage)});
  bool grouped = !stmt->group_stage.types.empty();
  bool aggregated = !stmt->aggregates.empty() || stmt->having;
  if (aggregated) AllocateAccumulators(stmt);
  if (aggregated && !grouped) ResetAccumulators();
  BasicBlock *scanned = NewBlock("query_scanned");
  GenSources(stmt, number, 0, scanned, [&](BasicBlock *next) {
    if (grouped)
      PutSortRow(number, 0, GroupRow(stmt), stmt->group_stage.types);
    else if (aggregated)
      Accumulate(stmt, AggregateInputs(stmt));
    else
      Output(&query, next);
    BranchIfOpen(next);
  });
  b_.SetInsertPoint(scanned);
  if (grouped) {
    GenGroups(&query);
  } else if (aggregated) {
    FinishAggregates(stmt);
    BasicBlock *after = NewBlock("aggregated");
    OutputIfHaving(&query, after);
    b_.SetInsertPoint(after);
  }
  if (!stmt->order_stage.types.empty()) GenSortedOutput(&query);
  BranchIfOpen(query.done);
  b_.SetInsertPoint(query.done);
  FinishQuery(&query);
}

// A subquery's rows are read while those of the queries around it stay
// current (enclosing_). It keeps its temporaries in scratch memory of its
// own, since the expression around it may still hold some in the
// statement's: EnterSubquery says whether it took some, for LeaveSubquery.
bool Generator::EnterSubquery(const Stmt *query) {
  ResetCachedSubqueries(query);
  bool own_scratch = StatementMakesTemporaries(query);
  if (own_scratch) b_.CreateCall(Runtime("memopt_rt_scratch_enter", b_.getVoidTy(), {}), {call_});
  enclosing_.push_back(query_);
  query_ = QueryContext{};
  return own_scratch;
}

void Generator::LeaveSubquery(bool own_scratch) {
  query_ = enclosing_.back();
  enclosing_.pop_back();
  if (own_scratch) b_.CreateCall(Runtime("memopt_rt_scratch_leave", b_.getVoidTy(), {}), {call_});
}

Value Generator::ComputeSubquery(const Expr *expr) {
  switch (expr->kind) {
    case ExprKind::kExists:
      return GenExists(expr);
    case ExprKind::kScalarSubquery:
      return GenScalarSubquery(expr);
    default:
      return GenInSubquery(expr);
  }
}

// A subquery expression; a cached one (Expr::cached, PostgreSQL's InitPlan)
// is computed only where its cache is not yet valid. The value a cached
// scalar subquery keeps is owned by its variable, which nothing else
// assigns, so it stays valid as long as the cache.
Value Generator::GenSubquery(const Expr *expr) {
  if (expr->value_set >= 0) return GenHashedIn(expr);
  if (!expr->cached) return ComputeSubquery(expr);
  const SubqueryCache &cache = CacheOf(expr);
  BasicBlock *compute = NewBlock("subquery_compute");
  BasicBlock *cached = NewBlock("subquery_cached");
  b_.CreateCondBr(b_.CreateLoad(i1_, cache.valid), cached, compute);
  b_.SetInsertPoint(compute);
  Value value = ComputeSubquery(expr);
  b_.CreateStore(value.v, cache.value);
  b_.CreateStore(value.null, cache.null);
  b_.CreateStore(b_.getTrue(), cache.valid);
  b_.CreateBr(cached);
  b_.SetInsertPoint(cached);
  return Value{b_.CreateLoad(cache.type, cache.value), b_.CreateLoad(i1_, cache.null)};
}

// The cache of subquery `expr`, made invalid in the entry block (so that
// it is always defined) and by ResetCachedSubqueries.
const Generator::SubqueryCache &Generator::CacheOf(const Expr *expr) {
  auto found = subquery_caches_.find(expr);
  if (found != subquery_caches_.end()) return found->second;
  SubqueryCache cache;
  cache.type = MachineType(expr->kind == ExprKind::kScalarSubquery ? expr->type : Type::kBool);
  cache.valid = EntryAlloca(i1_);
  cache.value = EntryAlloca(cache.type);
  cache.null = EntryAlloca(i1_);
  IRBuilder<> entry(&fn_->getEntryBlock(), fn_->getEntryBlock().getTerminator() != nullptr
                                               ? fn_->getEntryBlock().getTerminator()->getIterator()
                                               : fn_->getEntryBlock().end());
  entry.CreateStore(entry.getFalse(), cache.valid);
  return subquery_caches_.emplace(expr, cache).first->second;
}

// Each execution of `owner` (a statement, or an outermost subquery) starts
// with the subqueries it caches not yet computed.
void Generator::ResetCachedSubqueries(const Stmt *owner) {
  for (const Expr *expr : owner->cached_subqueries)
    b_.CreateStore(b_.getFalse(), CacheOf(expr).valid);
}

// EXISTS (subquery): true at the subquery's first row, which closes its
// cursors; false when its FROM items run out. Never NULL.
Value Generator::GenExists(const Expr *expr) {
  const Stmt *query = expr->query.get();
  int32_t number = Number(query);
  llvm::Value *found = EntryAlloca(i1_);
  b_.CreateStore(b_.getFalse(), found);
  bool own_scratch = EnterSubquery(query);
  FillFromSubqueries(query, number);
  query_.source_values.assign(SourceCount(*query), nullptr);
  query_.source_nulls.assign(SourceCount(*query), nullptr);
  BasicBlock *hit = NewBlock("exists_row");
  BasicBlock *done = NewBlock("exists_done");
  GenSources(query, number, 0, done, [&](BasicBlock *) { b_.CreateBr(hit); });
  b_.SetInsertPoint(hit);
  b_.CreateStore(b_.getTrue(), found);
  CloseSources(query, number);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  LeaveSubquery(own_scratch);
  return Value{b_.CreateLoad(i1_, found), b_.getFalse()};
}

// (subquery) as a value: a whole query (GROUP BY, aggregates, ORDER BY,
// LIMIT) whose only row is copied into the node's variable, so that it
// outlives the subquery's scratch memory; NULL without rows; a second row
// is an error, as in PostgreSQL.
Value Generator::GenScalarSubquery(const Expr *expr) {
  const Stmt *query = expr->query.get();
  llvm::Value *seen = EntryAlloca(i1_);
  b_.CreateStore(b_.getFalse(), seen);
  Type type = expr->type;
  StoreVariable(expr->variable,
                Value{llvm::Constant::getNullValue(MachineType(type)), b_.getTrue()});
  bool own_scratch = EnterSubquery(query);
  GenQuery(query,
           [this, expr, seen](const std::vector<Value> &values, BasicBlock *next, BasicBlock *) {
             BasicBlock *second = NewBlock("subquery_second_row");
             BasicBlock *first = NewBlock("subquery_row");
             b_.CreateCondBr(b_.CreateLoad(i1_, seen), second, first, Unlikely());
             b_.SetInsertPoint(second);
             RaiseError(MEMOPT_NATIVE_SUBQUERY_ROWS, 0);
             b_.SetInsertPoint(first);
             StoreVariable(expr->variable, values[0]);
             b_.CreateStore(b_.getTrue(), seen);
             b_.CreateBr(next);
           });
  LeaveSubquery(own_scratch);
  const VariableSlot &slot = slots_[expr->variable];
  return Value{b_.CreateLoad(MachineType(type), slot.value), b_.CreateLoad(i1_, slot.null)};
}

// x [NOT] IN (subquery): the query's one item is `$let = item`; true at the
// first row where it is true (which ends the query), NULL when none is but
// some were NULL, false otherwise (also without rows), as in PostgreSQL.
Value Generator::GenInSubquery(const Expr *expr) {
  const Stmt *query = expr->query.get();
  if (expr->variable >= 0) {
    LazyOperand lazy{expr->args[0].get(), EntryAlloca(i1_), enclosing_.size()};
    b_.CreateStore(b_.getFalse(), lazy.computed);
    lazy_operands_[expr->variable] = lazy;
  }
  llvm::Value *matched = EntryAlloca(i1_);
  llvm::Value *unknown = EntryAlloca(i1_);
  b_.CreateStore(b_.getFalse(), matched);
  b_.CreateStore(b_.getFalse(), unknown);
  bool own_scratch = EnterSubquery(query);
  GenQuery(query, [this, matched, unknown](const std::vector<Value> &values, BasicBlock *next,
                                           BasicBlock *done) {
    const Value &equal = values[0];
    BasicBlock *known = NewBlock("in_known");
    BasicBlock *is_null = NewBlock("in_null");
    b_.CreateCondBr(equal.null, is_null, known);
    b_.SetInsertPoint(is_null);
    b_.CreateStore(b_.getTrue(), unknown);
    b_.CreateBr(next);
    b_.SetInsertPoint(known);
    BasicBlock *hit = NewBlock("in_match");
    b_.CreateCondBr(equal.v, hit, next);
    b_.SetInsertPoint(hit);
    b_.CreateStore(b_.getTrue(), matched);
    b_.CreateBr(done);
  });
  LeaveSubquery(own_scratch);
  lazy_operands_.erase(expr->variable);
  llvm::Value *found = b_.CreateLoad(i1_, matched);
  llvm::Value *null = b_.CreateAnd(b_.CreateNot(found), b_.CreateLoad(i1_, unknown));
  return Value{expr->negated ? b_.CreateNot(found) : found, null};
}

// Computes x of an IN subquery where its variable is first read, once per
// evaluation of the IN, in the query around the subquery (whose FROM items
// x reads). Its temporaries may live in the subquery's scratch memory: x
// is read only inside the subquery.
void Generator::ComputeLazyOperand(int variable) {
  LazyOperand lazy = lazy_operands_.at(variable);
  BasicBlock *compute = NewBlock("in_operand");
  BasicBlock *ready = NewBlock("in_operand_ready");
  b_.CreateCondBr(b_.CreateLoad(i1_, lazy.computed), ready, compute);
  b_.SetInsertPoint(compute);
  std::vector<QueryContext> inner(enclosing_.begin() + static_cast<long>(lazy.depth),
                                  enclosing_.end());
  inner.push_back(query_);
  query_ = inner.front();
  enclosing_.resize(lazy.depth);
  lazy_operands_.erase(variable);  // x cannot read itself
  StoreVariable(variable, Gen(lazy.operand));
  lazy_operands_[variable] = lazy;
  inner.front() = query_;
  enclosing_.insert(enclosing_.end(), inner.begin(), inner.end() - 1);
  query_ = inner.back();
  b_.CreateStore(b_.getTrue(), lazy.computed);
  b_.CreateBr(ready);
  b_.SetInsertPoint(ready);
}

// x IN (subquery) of a value set (Expr::value_set): the subquery's items
// go into the set at the first test in each execution of its owner (when
// its cache is not valid), then x is looked up: true when found, NULL when
// x is NULL and the set is not empty or x is not found and the set holds
// a NULL, else false (as GenInSubquery, with PostgreSQL's hashed SubPlan).
Value Generator::GenHashedIn(const Expr *expr) {
  const Stmt *query = expr->query.get();
  Type type = query->select_list[0]->type;
  llvm::Value *set = b_.getInt32(expr->value_set);
  const SubqueryCache &cache = CacheOf(expr);
  llvm::Value *has_rows = EntryAlloca(i1_);
  BasicBlock *fill = NewBlock("in_set_fill");
  BasicBlock *filled = NewBlock("in_set_filled");
  b_.CreateCondBr(b_.CreateLoad(i1_, cache.valid), filled, fill);
  b_.SetInsertPoint(fill);
  ResetSet(set, type);
  b_.CreateStore(b_.getFalse(), has_rows);
  bool own_scratch = EnterSubquery(query);
  GenQuery(query, [this, set, type, has_rows](const std::vector<Value> &values, BasicBlock *next,
                                              BasicBlock *) {
    AddToSet(set, DatumOrZero(values[0], type), values[0].null);
    b_.CreateStore(b_.getTrue(), has_rows);
    b_.CreateBr(next);
  });
  LeaveSubquery(own_scratch);
  b_.CreateStore(b_.getTrue(), cache.valid);
  b_.CreateBr(filled);
  // Without rows IN is false (NOT IN true) and x is not computed, as in
  // PostgreSQL's ExecHashSubPlan.
  b_.SetInsertPoint(filled);
  BasicBlock *probe = NewBlock("in_set_probe");
  BasicBlock *empty = NewBlock("in_set_empty");
  BasicBlock *done = NewBlock("in_set_done");
  b_.CreateCondBr(b_.CreateLoad(i1_, has_rows), probe, empty);
  b_.SetInsertPoint(probe);
  if (expr->variable >= 0) StoreVariable(expr->variable, Gen(expr->args[0].get()));
  Value found = ProbeSet(set, Gen(expr->args[1].get()), type, expr->negated);
  BasicBlock *probed = b_.GetInsertBlock();
  b_.CreateBr(done);
  b_.SetInsertPoint(empty);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  llvm::PHINode *value = b_.CreatePHI(i1_, 2);
  value->addIncoming(found.v, probed);
  value->addIncoming(b_.getInt1(expr->negated), empty);
  llvm::PHINode *null = b_.CreatePHI(i1_, 2);
  null->addIncoming(found.null, probed);
  null->addIncoming(b_.getFalse(), empty);
  return Value{value, null};
}

// A value as a Datum, 0 when it is NULL (whose machine value may be
// anything).
llvm::Value *Generator::DatumOrZero(const Value &value, Type type) {
  return b_.CreateSelect(value.null, b_.getInt64(0), ToDatum(value.v, type));
}

// To `filled` when the set was filled earlier in this call, else to `fill`
// (sets of constants are filled once per call).
void Generator::BranchIfSetFilled(llvm::Value *set, BasicBlock *filled, BasicBlock *fill) {
  b_.CreateCondBr(b_.CreateCall(Runtime("memopt_rt_set_filled", i1_, {i32_}), {call_, set}), filled,
                  fill);
}

void Generator::ResetSet(llvm::Value *set, Type type) {
  b_.CreateCall(Runtime("memopt_rt_set_reset", b_.getVoidTy(), {i32_, i32_}),
                {call_, set, b_.getInt32(static_cast<int32_t>(type))});
}

void Generator::AddToSet(llvm::Value *set, llvm::Value *datum, llvm::Value *null) {
  b_.CreateCall(Runtime("memopt_rt_set_add", b_.getVoidTy(), {i32_, i64_, i1_}),
                {call_, set, datum, null});
}

// x [NOT] IN the set: true when found; NULL when x is NULL and the set not
// empty, or x is not found and the set holds a NULL; else false.
Value Generator::ProbeSet(llvm::Value *set, const Value &x, Type type, bool negated) {
  llvm::Value *outcome = b_.CreateCall(Runtime("memopt_rt_set_probe", i32_, {i32_, i64_, i1_}),
                                       {call_, set, DatumOrZero(x, type), x.null});
  llvm::Value *found = b_.CreateICmpEQ(outcome, b_.getInt32(MEMOPT_SET_FOUND));
  llvm::Value *null = b_.CreateICmpEQ(outcome, b_.getInt32(MEMOPT_SET_UNKNOWN));
  return Value{negated ? b_.CreateNot(found) : found, null};
}

// PERFORM: the query run to its end (its select list computed for each
// row, for the effects of the functions it calls); FOUND and ROW_COUNT say
// how many rows it gave. Without FROM, its expressions once: one row.
void Generator::GenPerform(const Stmt *stmt) {
  if (stmt->from.empty()) {
    for (const ExprPtr &item : stmt->select_list) Gen(item.get());
    SetFound(b_.getTrue());
    SetRowCount(b_.getInt64(1));
    return;
  }
  llvm::Value *rows = EntryAlloca(i64_);
  b_.CreateStore(b_.getInt64(0), rows);
  GenQuery(stmt, [this, rows](const std::vector<Value> &, BasicBlock *next, BasicBlock *) {
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, rows), b_.getInt64(1)), rows);
    b_.CreateBr(next);
  });
  llvm::Value *count = b_.CreateLoad(i64_, rows);
  SetFound(b_.CreateICmpSGT(count, b_.getInt64(0)));
  SetRowCount(count);
}

Generator::RowSink Generator::SinkFor(const Stmt *stmt, QueryState *query) {
  switch (stmt->kind) {
    case StmtKind::kSelectInto:  // the first row
      query->delivered = EntryAlloca(i1_);
      b_.CreateStore(b_.getFalse(), query->delivered);
      return [this, stmt, query](const std::vector<Value> &values, BasicBlock *, BasicBlock *done) {
        StoreVariables(stmt->into_variables, values);
        b_.CreateStore(b_.getTrue(), query->delivered);
        b_.CreateBr(done);
      };
    case StmtKind::kForQuery:  // the loop body, per row; `delivered`: it ran (FOUND)
      query->delivered = EntryAlloca(i1_);
      b_.CreateStore(b_.getFalse(), query->delivered);
      return [this, stmt, query](const std::vector<Value> &values, BasicBlock *next,
                                 BasicBlock *done) {
        StoreVariables(stmt->into_variables, values);
        QueryContext saved = query_;  // queries in the body have their own
        b_.CreateStore(b_.getTrue(), query->delivered);
        loops_.push_back(LoopTargets{done, next, stmt->label, true, false});
        GenList(stmt->body);
        loops_.pop_back();
        query_ = saved;
        BranchIfOpen(next);
      };
    case StmtKind::kSelectRows:
      return [this, query](const std::vector<Value> &values, BasicBlock *next, BasicBlock *) {
        auto arrays = DatumArrays(values, routine_.row_types);
        b_.CreateCall(Runtime("memopt_rt_emit", b_.getVoidTy(),
                              {i32_, i64_->getPointerTo(), i8_->getPointerTo()}),
                      {call_, b_.getInt32(query->number), arrays.first, arrays.second});
        b_.CreateBr(next);
      };
    default:  // INSERT ... SELECT
      return [this, query](const std::vector<Value> &values, BasicBlock *next, BasicBlock *) {
        const Stmt *stmt = query->stmt;
        std::vector<Type> types;
        for (int column : stmt->column_numbers)
          types.push_back(routine_.tables[stmt->target.table].columns[column].type);
        auto arrays = DatumArrays(values, types);
        b_.CreateCall(Runtime("memopt_rt_insert", b_.getVoidTy(),
                              {i32_, i64_->getPointerTo(), i8_->getPointerTo()}),
                      {call_, b_.getInt32(query->number), arrays.first, arrays.second});
        b_.CreateBr(next);
      };
  }
}

// After the query: close its cursors and sorts (also when LIMIT, EXIT or
// SELECT INTO's first row left early); SELECT INTO, or a FOR loop, without
// a row sets its targets to NULL, as PL/pgSQL does; both set FOUND; INSERT
// makes its rows visible.
void Generator::FinishQuery(QueryState *query) {
  const Stmt *stmt = query->stmt;
  CloseSources(stmt, query->number);
  for (int32_t stage = 0; stage < 2; ++stage)
    b_.CreateCall(Runtime("memopt_rt_sort_close", b_.getVoidTy(), {i32_, i32_}),
                  {call_, b_.getInt32(query->number), b_.getInt32(stage)});
  if (query->delivered != nullptr) {
    BasicBlock *none = NewBlock("no_row");
    BasicBlock *after = NewBlock("query_end");
    b_.CreateCondBr(b_.CreateLoad(i1_, query->delivered), after, none);
    b_.SetInsertPoint(none);
    for (int variable : stmt->into_variables) b_.CreateStore(b_.getTrue(), slots_[variable].null);
    b_.CreateBr(after);
    b_.SetInsertPoint(after);
    llvm::Value *delivered = b_.CreateLoad(i1_, query->delivered);
    SetFound(delivered);
    if (stmt->kind == StmtKind::kSelectInto) SetRowCount(b_.CreateZExt(delivered, i64_));
  }
  if (stmt->kind == StmtKind::kInsert) EndWrite(query->number);
  FreeAccumulators();
  query_.accumulators.clear();
  query_.source_values.clear();
  query_.source_nulls.clear();
  current_line_ = -1;
}

// OFFSET, then LIMIT (PostgreSQL's order), computed once; NULL means no
// offset or no limit; a negative count is an error.
void Generator::StartCounts(QueryState *query) {
  auto start = [this](const Expr *count, int64_t if_null,
                      MemoptNativeError negative) -> llvm::Value * {
    if (count == nullptr) return nullptr;
    llvm::Value *slot = EntryAlloca(i64_);
    Value v = Gen(count);
    b_.CreateStore(b_.CreateSelect(v.null, b_.getInt64(if_null), v.v), slot);
    ErrorIf(b_.CreateAnd(b_.CreateNot(v.null), b_.CreateICmpSLT(v.v, b_.getInt64(0))), negative);
    return slot;
  };
  query->offset = start(query->stmt->offset.get(), 0, MEMOPT_NATIVE_OFFSET_NEGATIVE);
  query->limit = start(query->stmt->limit.get(), INT64_MAX, MEMOPT_NATIVE_LIMIT_NEGATIVE);
}

// A result row: skipped while OFFSET lasts, the query ends when LIMIT is
// reached, otherwise the sink takes it.
void Generator::Deliver(QueryState *query, const std::vector<Value> &values, BasicBlock *next) {
  if (query->limit != nullptr) {
    llvm::Value *left = b_.CreateLoad(i64_, query->limit);
    BasicBlock *more = NewBlock("under_limit");
    b_.CreateCondBr(b_.CreateICmpEQ(left, b_.getInt64(0)), query->done, more);
    b_.SetInsertPoint(more);
  }
  if (query->offset != nullptr) {
    llvm::Value *skip = b_.CreateLoad(i64_, query->offset);
    BasicBlock *skipping = NewBlock("offset_skip");
    BasicBlock *take = NewBlock("offset_done");
    b_.CreateCondBr(b_.CreateICmpSGT(skip, b_.getInt64(0)), skipping, take);
    b_.SetInsertPoint(skipping);
    b_.CreateStore(b_.CreateSub(skip, b_.getInt64(1)), query->offset);
    b_.CreateBr(next);
    b_.SetInsertPoint(take);
  }
  if (query->limit != nullptr)
    b_.CreateStore(b_.CreateSub(b_.CreateLoad(i64_, query->limit), b_.getInt64(1)), query->limit);
  query->sink(values, next, query->done);
}

// One result row of the current context (a joined row, a group, or the
// aggregates): to the ORDER BY sort, or delivered now.
void Generator::Output(QueryState *query, BasicBlock *next) {
  const Stmt *stmt = query->stmt;
  std::vector<Value> values;
  for (const ExprPtr &item : stmt->select_list) values.push_back(Gen(item.get()));
  if (stmt->order_stage.types.empty()) {
    Deliver(query, values, next);
    return;
  }
  for (const SortItem &item : stmt->order_by)
    if (item.output < 0) values.push_back(Gen(item.expr.get()));
  PutSortRow(query->number, 1, values, stmt->order_stage.types);
  b_.CreateBr(next);
}

void Generator::OutputIfHaving(QueryState *query, BasicBlock *next) {
  if (query->stmt->having) {
    BasicBlock *pass = NewBlock("having_passed");
    b_.CreateCondBr(Truth(query->stmt->having.get()), pass, next);
    b_.SetInsertPoint(pass);
  }
  Output(query, next);
}

void Generator::PutSortRow(int32_t number, int32_t stage, const std::vector<Value> &values,
                           const std::vector<Type> &types) {
  auto arrays = DatumArrays(values, types);
  b_.CreateCall(Runtime("memopt_rt_sort_put", b_.getVoidTy(),
                        {i32_, i32_, i64_->getPointerTo(), i8_->getPointerTo()}),
                {call_, b_.getInt32(number), b_.getInt32(stage), arrays.first, arrays.second});
}

// A cursor's or a sort's next row (codegen_internal.h).
std::pair<llvm::Value *, llvm::Value *> Generator::NextRow(const char *runtime, int32_t number,
                                                           int32_t which, BasicBlock *row,
                                                           BasicBlock *end) {
  llvm::Value *values_slot = EntryAlloca(i64_->getPointerTo());
  llvm::Value *nulls_slot = EntryAlloca(i8_->getPointerTo());
  CheckInterrupts();
  llvm::Value *more = b_.CreateCall(
      Runtime(
          runtime, i1_,
          {i32_, i32_, i64_->getPointerTo()->getPointerTo(), i8_->getPointerTo()->getPointerTo()}),
      {call_, b_.getInt32(number), b_.getInt32(which), values_slot, nulls_slot});
  b_.CreateCondBr(more, row, end);
  b_.SetInsertPoint(row);
  return {b_.CreateLoad(i64_->getPointerTo(), values_slot),
          b_.CreateLoad(i8_->getPointerTo(), nulls_slot)};
}

Value Generator::LoadColumn(llvm::Value *values, llvm::Value *nulls, int column, Type type) {
  llvm::Value *datum = b_.CreateLoad(i64_, b_.CreateGEP(i64_, values, b_.getInt64(column)));
  llvm::Value *isnull = b_.CreateICmpNE(
      b_.CreateLoad(i8_, b_.CreateGEP(i8_, nulls, b_.getInt64(column))), b_.getInt8(0));
  return Value{FromDatum(datum, type), isnull};
}

// ORDER BY: the sorted result rows, delivered in order.
void Generator::GenSortedOutput(QueryState *query) {
  const Stmt *stmt = query->stmt;
  BasicBlock *head = NewBlock("sorted_next");
  BasicBlock *row = NewBlock("sorted_row");
  llvm::Value *previous = nullptr;  // DISTINCT ON: the row before (values, nulls)
  llvm::Value *previous_nulls = nullptr;
  if (stmt->distinct_on_keys > 0) {
    previous = EntryAlloca(i64_->getPointerTo());
    previous_nulls = EntryAlloca(i8_->getPointerTo());
    b_.CreateStore(llvm::Constant::getNullValue(i64_->getPointerTo()), previous);
  }
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  auto current = NextRow("memopt_rt_sort_next", query->number, 1, row, query->done);
  if (stmt->distinct_on_keys > 0) SkipSameDistinctOn(stmt, current, previous, previous_nulls, head);
  std::vector<Value> values;
  for (size_t i = 0; i < stmt->select_list.size(); ++i)
    values.push_back(
        LoadColumn(current.first, current.second, static_cast<int>(i), stmt->order_stage.types[i]));
  Deliver(query, values, head);
}

// SELECT DISTINCT ON: a sorted row whose leading DISTINCT ON keys are not
// distinct from the row before's goes back to `head` (the sort keeps the
// row before readable); any other row goes on, and is the next one's
// row before.
void Generator::SkipSameDistinctOn(const Stmt *stmt, std::pair<llvm::Value *, llvm::Value *> row,
                                   llvm::Value *previous, llvm::Value *previous_nulls,
                                   BasicBlock *head) {
  llvm::Value *before = b_.CreateLoad(i64_->getPointerTo(), previous);
  llvm::Value *before_nulls = b_.CreateLoad(i8_->getPointerTo(), previous_nulls);
  b_.CreateStore(row.first, previous);
  b_.CreateStore(row.second, previous_nulls);
  BasicBlock *first_row = NewBlock("distinct_on_first");
  BasicBlock *compare = NewBlock("distinct_on_compare");
  b_.CreateCondBr(b_.CreateIsNull(before), first_row, compare);
  b_.SetInsertPoint(compare);
  std::vector<int> keys;
  for (int k = 0; k < stmt->distinct_on_keys; ++k) keys.push_back(stmt->order_stage.keys[k].column);
  SameColumns(keys, stmt->order_stage.types, row.first, row.second, before, before_nulls, head,
              first_row);
  b_.SetInsertPoint(first_row);
}

// --- GROUP BY ------------------------------------------------------------------

// The row a grouped query sorts: GROUP BY columns, aggregate inputs, then
// the aggregates' ORDER BY items (ast.h Stmt::ordered_aggregate).
std::vector<Value> Generator::GroupRow(const Stmt *stmt) {
  std::vector<Value> values;
  for (const ExprPtr &key : stmt->group_by) values.push_back(Gen(key.get()));
  for (const Value &input : AggregateInputs(stmt))
    values.push_back(input.v != nullptr ? input : Value{b_.getInt64(0), b_.getFalse()});
  if (const Expr *ordered = stmt->ordered_aggregate)
    for (size_t i = AggregateInputCount(*ordered); i < ordered->args.size(); ++i)
      values.push_back(Gen(ordered->args[i].get()));
  return values;
}

// Sorted rows of one group are adjacent: aggregate them, and at each change
// of group (and after the last row) finish the group before, whose key
// values the previous row still holds (the runtime keeps it readable).
void Generator::GenGroups(QueryState *query) {
  const Stmt *stmt = query->stmt;
  size_t nkeys = stmt->group_by.size();
  llvm::Value *has_group = EntryAlloca(i1_);
  llvm::Value *prev_values = EntryAlloca(i64_->getPointerTo());
  llvm::Value *prev_nulls = EntryAlloca(i8_->getPointerTo());
  llvm::Value *group_fresh = EntryAlloca(i1_);  // no row of the group accumulated yet
  b_.CreateStore(b_.getFalse(), has_group);
  BasicBlock *head = NewBlock("group_next");
  BasicBlock *row = NewBlock("group_row");
  BasicBlock *last = NewBlock("group_last");
  BasicBlock *start = NewBlock("group_start");
  BasicBlock *accumulate = NewBlock("group_accumulate");
  BasicBlock *finished = NewBlock("groups_done");
  b_.CreateBr(head);
  b_.SetInsertPoint(head);
  auto current = NextRow("memopt_rt_sort_next", query->number, 0, row, last);
  BasicBlock *boundary = NewBlock("group_boundary");
  BasicBlock *compare = NewBlock("group_compare");
  b_.CreateCondBr(b_.CreateLoad(i1_, has_group), compare, start);
  b_.SetInsertPoint(compare);
  llvm::Value *pv = b_.CreateLoad(i64_->getPointerTo(), prev_values);
  llvm::Value *pn = b_.CreateLoad(i8_->getPointerTo(), prev_nulls);
  std::vector<int> group_keys(nkeys);  // the group stage's first columns
  for (size_t k = 0; k < nkeys; ++k) group_keys[k] = static_cast<int>(k);
  SameColumns(group_keys, stmt->group_stage.types, current.first, current.second, pv, pn,
              accumulate, boundary);
  b_.SetInsertPoint(boundary);
  FinishGroup(query, pv, pn, start);
  b_.SetInsertPoint(start);
  ResetAccumulators();
  b_.CreateStore(b_.getTrue(), group_fresh);
  b_.CreateBr(accumulate);
  b_.SetInsertPoint(accumulate);
  std::vector<Value> inputs;
  size_t order_columns = stmt->ordered_aggregate ? stmt->ordered_aggregate->order_by.size() : 0;
  for (size_t i = nkeys; i < stmt->group_stage.types.size() - order_columns; ++i)
    inputs.push_back(
        LoadColumn(current.first, current.second, static_cast<int>(i), stmt->group_stage.types[i]));
  if (stmt->distinct_input >= 0)
    SkipRepeatedInput(stmt, current, b_.CreateLoad(i64_->getPointerTo(), prev_values),
                      b_.CreateLoad(i8_->getPointerTo(), prev_nulls),
                      b_.CreateLoad(i1_, group_fresh), &inputs);
  Accumulate(stmt, inputs);
  b_.CreateStore(current.first, prev_values);
  b_.CreateStore(current.second, prev_nulls);
  b_.CreateStore(b_.getTrue(), has_group);
  b_.CreateStore(b_.getFalse(), group_fresh);
  b_.CreateBr(head);
  b_.SetInsertPoint(last);
  BasicBlock *final_group = NewBlock("group_final");
  if (stmt->group_by.empty()) {  // DISTINCT aggregates alone: one row, even of no rows
    BasicBlock *no_rows = NewBlock("group_of_no_rows");
    b_.CreateCondBr(b_.CreateLoad(i1_, has_group), final_group, no_rows);
    b_.SetInsertPoint(no_rows);
    ResetAccumulators();
    FinishGroup(query, nullptr, nullptr, finished);
  } else {
    b_.CreateCondBr(b_.CreateLoad(i1_, has_group), final_group, finished);
  }
  b_.SetInsertPoint(final_group);
  FinishGroup(query, b_.CreateLoad(i64_->getPointerTo(), prev_values),
              b_.CreateLoad(i8_->getPointerTo(), prev_nulls), finished);
  b_.SetInsertPoint(finished);
}

// Aggregates of DISTINCT inputs take an input only the first time it
// comes in its group. The sort put equal inputs next to each other, so an
// input equal to the previous row's (unless the group is `fresh`) is
// repeated: it is made NULL, which aggregates skip.
void Generator::SkipRepeatedInput(const Stmt *stmt, std::pair<llvm::Value *, llvm::Value *> row,
                                  llvm::Value *previous_values, llvm::Value *previous_nulls,
                                  llvm::Value *fresh, std::vector<Value> *inputs) {
  int column = stmt->distinct_input;
  Type type = stmt->group_stage.types[column];
  llvm::Value *repeated = EntryAlloca(i1_);
  b_.CreateStore(b_.getFalse(), repeated);
  BasicBlock *check_previous = NewBlock("distinct_previous");
  BasicBlock *equal = NewBlock("distinct_repeated");
  BasicBlock *done = NewBlock("distinct_done");
  Value input = LoadColumn(row.first, row.second, column, type);
  b_.CreateCondBr(b_.CreateOr(fresh, input.null), done, check_previous);
  b_.SetInsertPoint(check_previous);  // input present: NULL before it differs
  BranchIfNotDistinct(input, LoadColumn(previous_values, previous_nulls, column, type), type, equal,
                      done);
  b_.SetInsertPoint(equal);
  b_.CreateStore(b_.getTrue(), repeated);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  llvm::Value *skip = b_.CreateLoad(i1_, repeated);
  for (size_t i = 0; i < stmt->aggregates.size(); ++i)
    if (stmt->aggregates[i]->distinct) (*inputs)[i].null = b_.CreateOr((*inputs)[i].null, skip);
}

// The group whose key values (values, nulls) hold: its aggregates, HAVING,
// its result row; then on to `next`.
void Generator::FinishGroup(QueryState *query, llvm::Value *values, llvm::Value *nulls,
                            BasicBlock *next) {
  query_.group_values = values;
  query_.group_nulls = nulls;
  FinishAggregates(query->stmt);
  OutputIfHaving(query, next);
  BranchIfOpen(next);
  query_.group_values = query_.group_nulls = nullptr;
}

// Branches to `same` when two rows of a sort stage (column types `types`)
// are not distinct in each of `columns` (NULLs equal; present values equal
// by the `=` the language compares with: NaN equals NaN, text by the
// default collation), else to `differ`.
void Generator::SameColumns(const std::vector<int> &columns, const std::vector<Type> &types,
                            llvm::Value *a_values, llvm::Value *a_nulls, llvm::Value *b_values,
                            llvm::Value *b_nulls, BasicBlock *same, BasicBlock *differ) {
  for (int column : columns) {
    Type type = types[column];
    BasicBlock *next_key = NewBlock("key_same");
    BranchIfNotDistinct(LoadColumn(a_values, a_nulls, column, type),
                        LoadColumn(b_values, b_nulls, column, type), type, next_key, differ);
    b_.SetInsertPoint(next_key);
  }
  b_.CreateBr(same);
}

// To `same` when a and b are both NULL or both present and equal by `=`,
// else to `differ`.
void Generator::BranchIfNotDistinct(Value a, Value b, Type type, BasicBlock *same,
                                    BasicBlock *differ) {
  BasicBlock *both_present = NewBlock("both_present");
  BasicBlock *some_null = NewBlock("some_null");
  b_.CreateCondBr(b_.CreateOr(a.null, b.null), some_null, both_present);
  b_.SetInsertPoint(some_null);
  b_.CreateCondBr(b_.CreateAnd(a.null, b.null), same, differ);
  b_.SetInsertPoint(both_present);
  b_.CreateCondBr(Compare("=", type, a.v, b.v), same, differ);
}

// --- aggregates ------------------------------------------------------------------

// Each aggregate's input for the current row ({nullptr, false} for
// count(*)), then the second inputs of those that have one (binder.h
// HasSecondInput), as the group stage sorts them.
std::vector<Value> Generator::AggregateInputs(const Stmt *stmt) {
  std::vector<Value> inputs;
  for (const Expr *aggregate : stmt->aggregates)
    inputs.push_back(aggregate->text == "*" ? Value{nullptr, b_.getFalse()}
                                            : Gen(aggregate->args[0].get()));
  for (const Expr *aggregate : stmt->aggregates)
    if (HasSecondInput(*aggregate)) inputs.push_back(Gen(aggregate->args[1].get()));
  return inputs;
}

// What an aggregate sums, or keeps: its result type, but a bigint for the
// avg of smallint and integer (the binder makes its input bigint), as
// PostgreSQL's int4_avg_accum, which spares a numeric addition per row.
static Type AccumulatorType(const Expr *aggregate) {
  if (static_cast<BuiltinFunction>(aggregate->function) == BuiltinFunction::kAvg &&
      aggregate->args[0]->type == Type::kInt8)
    return Type::kInt8;
  return aggregate->type;
}

void Generator::AllocateAccumulators(const Stmt *stmt) {
  query_.accumulators.clear();
  for (const Expr *aggregate : stmt->aggregates) {
    Accumulator acc;
    acc.value_type = AccumulatorType(aggregate);
    acc.type = MachineType(acc.value_type);
    acc.value = EntryAlloca(acc.type);
    acc.null = EntryAlloca(i1_);
    acc.count = EntryAlloca(i64_);
    b_.CreateStore(llvm::Constant::getNullValue(acc.type), acc.value);
    b_.CreateStore(b_.getTrue(), acc.null);
    query_.accumulators.push_back(acc);
  }
}

// Empty accumulators (owned values of the group before are freed).
void Generator::ResetAccumulators() {
  FreeAccumulators();
  for (const Accumulator &acc : query_.accumulators) {
    b_.CreateStore(llvm::Constant::getNullValue(acc.type), acc.value);
    b_.CreateStore(b_.getTrue(), acc.null);
    b_.CreateStore(b_.getInt64(0), acc.count);
  }
}

void Generator::FreeAccumulators() {
  for (const Accumulator &acc : query_.accumulators) {
    if (!IsByReference(acc.value_type)) continue;
    llvm::Value *none =
        OwnedCopy(acc.value_type, b_.CreateLoad(i64_, acc.value), b_.CreateLoad(i1_, acc.null),
                  Value{b_.getInt64(0), b_.getTrue()});
    b_.CreateStore(none, acc.value);
    b_.CreateStore(b_.getTrue(), acc.null);
  }
}

// One row (inputs as AggregateInputs makes them): every aggregate takes
// its input, unless it is NULL.
void Generator::Accumulate(const Stmt *stmt, const std::vector<Value> &inputs) {
  size_t second = stmt->aggregates.size();  // the next second input
  for (size_t i = 0; i < stmt->aggregates.size(); ++i) {
    const Expr *aggregate = stmt->aggregates[i];
    const Accumulator &acc = query_.accumulators[i];
    auto function = static_cast<BuiltinFunction>(aggregate->function);
    const Value &arg = inputs[i];
    BasicBlock *take = NewBlock("aggregate_take");
    BasicBlock *next = NewBlock("aggregate_next");
    b_.CreateCondBr(arg.null, next, take);
    b_.SetInsertPoint(take);
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, acc.count), b_.getInt64(1)), acc.count);
    if (function == BuiltinFunction::kStringAgg)
      AppendString(acc, arg, inputs[second++]);
    else if (function != BuiltinFunction::kCount)
      Combine(aggregate, acc, arg);
    b_.CreateBr(next);
    b_.SetInsertPoint(next);
  }
}

// string_agg: the first value, then each next one after its delimiter (a
// NULL delimiter adds nothing), appended in place (runtime_api.h).
void Generator::AppendString(const Accumulator &acc, Value value, Value delimiter) {
  llvm::Value *joined = b_.CreateCall(
      Runtime("memopt_rt_string_agg", i64_, {i64_, i8_, i64_, i8_, i64_}),
      {call_, b_.CreateLoad(i64_, acc.value), b_.CreateZExt(b_.CreateLoad(i1_, acc.null), i8_),
       delimiter.v, b_.CreateZExt(delimiter.null, i8_), value.v});
  b_.CreateStore(joined, acc.value);
  b_.CreateStore(b_.getFalse(), acc.null);
}

void Generator::Combine(const Expr *aggregate, const Accumulator &acc, Value arg) {
  auto function = static_cast<BuiltinFunction>(aggregate->function);
  Type type = acc.value_type;
  llvm::Value *x = arg.v;
  if (function == BuiltinFunction::kSum && IsInteger(type)) x = b_.CreateSExt(x, MachineType(type));
  llvm::Value *first = b_.CreateLoad(i1_, acc.null);
  llvm::Value *current = b_.CreateLoad(MachineType(type), acc.value);
  BasicBlock *from = b_.GetInsertBlock();
  BasicBlock *fold = NewBlock("aggregate_fold");
  BasicBlock *store = NewBlock("aggregate_store");
  b_.CreateCondBr(first, store, fold);
  b_.SetInsertPoint(fold);
  llvm::Value *folded;
  if ((function == BuiltinFunction::kSum || function == BuiltinFunction::kAvg) &&
      IsComputedByPostgres(type)) {
    folded = Apply(type == Type::kNumeric ? MEMOPT_FN_NUMERIC_ADD : MEMOPT_FN_INTERVAL_ADD, current,
                   x, type);
  } else if (function == BuiltinFunction::kSum || function == BuiltinFunction::kAvg) {
    folded = Arithmetic("+", type, current, x);
  } else if (function == BuiltinFunction::kBoolAnd) {
    folded = b_.CreateAnd(current, x);
  } else if (function == BuiltinFunction::kBoolOr) {
    folded = b_.CreateOr(current, x);
  } else {
    bool is_min = function == BuiltinFunction::kMin;
    llvm::Value *better = Compare(is_min ? "<" : ">", type, x, current);
    folded = b_.CreateSelect(better, x, current);
  }
  BasicBlock *fold_end = b_.GetInsertBlock();
  b_.CreateBr(store);
  b_.SetInsertPoint(store);
  llvm::PHINode *result = b_.CreatePHI(MachineType(type), 2);
  result->addIncoming(x, from);
  result->addIncoming(folded, fold_end);
  llvm::Value *kept = result;
  if (IsByReference(type)) kept = OwnedCopy(type, current, first, Value{result, b_.getFalse()});
  b_.CreateStore(kept, acc.value);
  b_.CreateStore(b_.getFalse(), acc.null);
}

// After the last row (of a group): each aggregate's value.
void Generator::FinishAggregates(const Stmt *stmt) {
  for (size_t i = 0; i < stmt->aggregates.size(); ++i) {
    const Expr *aggregate = stmt->aggregates[i];
    const Accumulator &acc = query_.accumulators[i];
    auto function = static_cast<BuiltinFunction>(aggregate->function);
    llvm::Value *count = b_.CreateLoad(i64_, acc.count);
    Value result;
    if (function == BuiltinFunction::kCount) {
      result = Value{count, b_.getFalse()};
    } else if (function == BuiltinFunction::kAvg && aggregate->type == Type::kNumeric) {
      llvm::Value *none = b_.CreateICmpEQ(count, b_.getInt64(0));
      llvm::Value *sum = b_.CreateLoad(i64_, acc.value);
      result = UnlessNull(none, Type::kNumeric, [&] {
        if (acc.value_type == Type::kInt8)
          sum = Apply(MEMOPT_FN_INT8_TO_NUMERIC, sum, nullptr, Type::kNumeric);
        llvm::Value *n = Apply(MEMOPT_FN_INT8_TO_NUMERIC, count, nullptr, Type::kNumeric);
        return Apply(MEMOPT_FN_NUMERIC_DIV, sum, n, Type::kNumeric);
      });
    } else if (function == BuiltinFunction::kAvg) {
      llvm::Value *none = b_.CreateICmpEQ(count, b_.getInt64(0));
      llvm::Value *sum = b_.CreateLoad(b_.getDoubleTy(), acc.value);
      llvm::Value *divisor =
          b_.CreateSIToFP(b_.CreateSelect(none, b_.getInt64(1), count), b_.getDoubleTy());
      result = Value{b_.CreateFDiv(sum, divisor), none};
    } else {
      result = Value{b_.CreateLoad(MachineType(aggregate->type), acc.value),
                     b_.CreateLoad(i1_, acc.null)};
    }
    aggregate_results_[aggregate] = result;
  }
}

// The index key Datums, each converted to its column's type; a NULL key
// or one out of the column type's range finds no row (jumps to `no_rows`).
// The key of an IN list's column (alternative_key) is left 0, for
// GenAlternativeLookups to fill in.
llvm::Value *Generator::LookupKeys(const TableRef &ref, BasicBlock *no_rows) {
  const TableDesc &table = routine_.tables[ref.table];
  const IndexDesc &index = table.indexes[ref.access_index];
  std::vector<Value> values;
  std::vector<Type> types;
  for (size_t i = 0; i < index.columns.size(); ++i) {
    Type column_type = table.columns[index.columns[i]].type;
    llvm::Value *key = static_cast<int>(i) == ref.alternative_key
                           ? llvm::Constant::getNullValue(MachineType(column_type))
                           : KeyValue(ref.access_keys[i], column_type, no_rows);
    values.push_back(Value{key, b_.getFalse()});
    types.push_back(column_type);
  }
  return DatumArrays(values, types).first;
}

// `key` in `column_type` (an integer narrowed with a range check); a NULL
// or one out of range goes to `no_match`, since it equals no column value.
llvm::Value *Generator::KeyValue(const Expr *key, Type column_type, BasicBlock *no_match) {
  Value v = Gen(key);
  BasicBlock *present = NewBlock("key_present");
  b_.CreateCondBr(v.null, no_match, present);
  b_.SetInsertPoint(present);
  if (key->type == column_type) return v.v;
  llvm::Value *narrow = b_.CreateTrunc(v.v, MachineType(column_type));
  BasicBlock *fits = NewBlock("key_fits");
  b_.CreateCondBr(b_.CreateICmpEQ(b_.CreateSExt(narrow, v.v->getType()), v.v), fits, no_match);
  b_.SetInsertPoint(fits);
  return narrow;
}

// A FROM item found by one lookup per distinct value of an IN list (or
// an OR of equalities) on one index column, as PostgreSQL's index scan
// with a ScalarArrayOp: every item is computed first (ComputeAlternatives);
// then each usable key that no earlier one equals opens the cursor. (Keys
// that are integer constants, or come from a value set, are distinct and
// usable already.)
//
//   fixed = the other index columns' keys
//   head:  k == n -> exhausted; usable[k] and no j < k with keys[j] == keys[k] -> open
//   open:  fixed[alternative_key] = keys[k]; the rows as GenSources (-> step when closed)
//   step:  k += 1 -> head
void Generator::GenAlternativeLookups(const Stmt *stmt, int32_t number, size_t level,
                                      BasicBlock *exhausted,
                                      const std::function<void(BasicBlock *next)> &inner) {
  const TableRef &ref = SourceRef(*stmt, static_cast<int>(level));
  AlternativeKeys keys = ComputeAlternatives(ref);
  llvm::Value *fixed = LookupKeys(ref, exhausted);
  llvm::Value *k = EntryAlloca(i64_);
  b_.CreateStore(b_.getInt64(0), k);
  BasicBlock *head = NewBlock("alternative_next");
  BasicBlock *check = NewBlock("alternative_check");
  BasicBlock *candidate = NewBlock("alternative_candidate");
  BasicBlock *open = NewBlock("alternative_open");
  BasicBlock *step = NewBlock("alternative_step");
  b_.CreateBr(head);

  b_.SetInsertPoint(head);
  llvm::Value *current = b_.CreateLoad(i64_, k);
  b_.CreateCondBr(b_.CreateICmpEQ(current, keys.count), exhausted, check);
  b_.SetInsertPoint(check);
  if (keys.distinct)
    b_.CreateBr(candidate);
  else
    b_.CreateCondBr(b_.CreateLoad(i1_, keys.UsableAt(b_, current)), candidate, step);
  b_.SetInsertPoint(candidate);
  llvm::Value *key = b_.CreateLoad(i64_, keys.KeyAt(b_, current));
  if (keys.distinct)
    b_.CreateBr(open);
  else
    BranchIfEarlierKeyEquals(keys, current, key, step, open);

  b_.SetInsertPoint(open);
  b_.CreateStore(key, b_.CreateConstInBoundsGEP1_64(i64_, fixed, ref.alternative_key));
  b_.CreateCall(Runtime("memopt_rt_open", b_.getVoidTy(), {i32_, i32_, i64_->getPointerTo()}),
                {call_, b_.getInt32(number), b_.getInt32(static_cast<int32_t>(level)), fixed});
  GenSourceRows(stmt, number, level, step, inner);

  b_.SetInsertPoint(step);
  b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, k), b_.getInt64(1)), k);
  CheckInterrupts();
  b_.CreateBr(head);
}

// Every item of `ref`'s IN list as a Datum of its index column's type;
// usable[i] is false for an item that is NULL or out of the type's range.
Generator::AlternativeKeys Generator::ComputeAlternatives(const TableRef &ref) {
  const TableDesc &table = routine_.tables[ref.table];
  Type column_type =
      table.columns[table.indexes[ref.access_index].columns[ref.alternative_key]].type;
  AlternativeKeys keys;
  if (ConstantAlternatives(ref, column_type, &keys)) return keys;
  if (SetAlternatives(ref, column_type, &keys)) return keys;
  uint64_t count = ref.alternatives.size();
  keys.count = b_.getInt64(count);
  keys.keys_type = llvm::ArrayType::get(i64_, count);
  keys.usable_type = llvm::ArrayType::get(i1_, count);
  keys.keys = EntryAlloca(keys.keys_type);
  keys.usable = EntryAlloca(keys.usable_type);
  for (uint64_t i = 0; i < count; ++i) {
    BasicBlock *unusable = NewBlock("alternative_unusable");
    BasicBlock *computed = NewBlock("alternative_computed");
    b_.CreateStore(b_.getFalse(), keys.UsableAt(b_, b_.getInt64(i)));
    llvm::Value *key = KeyValue(ref.alternatives[i], column_type, unusable);
    b_.CreateStore(ToDatum(key, column_type), keys.KeyAt(b_, b_.getInt64(i)));
    b_.CreateStore(b_.getTrue(), keys.UsableAt(b_, b_.getInt64(i)));
    b_.CreateBr(computed);
    b_.SetInsertPoint(unusable);
    b_.CreateBr(computed);
    b_.SetInsertPoint(computed);
  }
  return keys;
}

// The keys of an IN list on a column whose equal values may differ as
// Datums (ast.h TableRef::alternative_set): the items that are not NULL,
// in the column's type, go into the value set, which sorts them and drops
// repeats; a list of constants fills it once per call, others at each
// execution.
bool Generator::SetAlternatives(const TableRef &ref, Type column_type, AlternativeKeys *keys) {
  if (ref.alternative_set < 0) return false;
  llvm::Value *set = b_.getInt32(ref.alternative_set);
  BasicBlock *fill = NewBlock("alternative_set_fill");
  BasicBlock *filled = NewBlock("alternative_set_filled");
  if (std::all_of(ref.alternatives.begin(), ref.alternatives.end(), IsConstantItem))
    BranchIfSetFilled(set, filled, fill);
  else
    b_.CreateBr(fill);
  b_.SetInsertPoint(fill);
  ResetSet(set, column_type);
  if (!AddTextConstantsToSet(set, column_type, ref.alternatives, false)) {
    for (const Expr *item : ref.alternatives) {
      BasicBlock *next = NewBlock("alternative_set_next");
      llvm::Value *key = KeyValue(item, column_type, next);
      AddToSet(set, ToDatum(key, column_type), b_.getFalse());
      b_.CreateBr(next);
      b_.SetInsertPoint(next);
    }
  }
  b_.CreateBr(filled);
  b_.SetInsertPoint(filled);
  llvm::Value *count = EntryAlloca(i64_);
  keys->keys = b_.CreateCall(
      Runtime("memopt_rt_set_members", i64_->getPointerTo(), {i32_, i64_->getPointerTo()}),
      {call_, set, count});
  keys->count = b_.CreateLoad(i64_, count);
  keys->distinct = true;
  return true;
}

// To `equal` if a usable key before index `current` is `key` (the binder
// takes only types whose equal values have equal Datums), else to `first`.
void Generator::BranchIfEarlierKeyEquals(const AlternativeKeys &keys, llvm::Value *current,
                                         llvm::Value *key, BasicBlock *equal, BasicBlock *first) {
  llvm::Value *j = EntryAlloca(i64_);
  b_.CreateStore(b_.getInt64(0), j);
  BasicBlock *earlier = NewBlock("alternative_earlier");
  BasicBlock *compare = NewBlock("alternative_compare");
  b_.CreateBr(earlier);
  b_.SetInsertPoint(earlier);
  llvm::Value *other = b_.CreateLoad(i64_, j);
  b_.CreateCondBr(b_.CreateICmpEQ(other, current), first, compare);
  b_.SetInsertPoint(compare);
  b_.CreateStore(b_.CreateAdd(other, b_.getInt64(1)), j);
  llvm::Value *same =
      b_.CreateAnd(b_.CreateLoad(i1_, keys.UsableAt(b_, other)),
                   b_.CreateICmpEQ(b_.CreateLoad(i64_, keys.KeyAt(b_, other)), key));
  b_.CreateCondBr(same, equal, earlier);
}

// The bounds of a range scan, in the column's type; a NULL bound finds no
// row (jumps to `no_rows`), as the comparison with NULL would.
llvm::Value *Generator::RangeBounds(const TableRef &ref, BasicBlock *no_rows) {
  std::vector<Value> values;
  std::vector<Type> types;
  for (const Expr *bound : ref.access_keys) {
    Value v = Gen(bound);
    BasicBlock *present = NewBlock("bound_present");
    b_.CreateCondBr(v.null, no_rows, present);
    b_.SetInsertPoint(present);
    v.null = b_.getFalse();
    values.push_back(v);
    types.push_back(bound->type);
  }
  return DatumArrays(values, types).first;
}

}  // namespace codegen_detail
}  // namespace native
}  // namespace memopt
