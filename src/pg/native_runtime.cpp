// native_runtime.cpp - one call of a natively compiled routine, and the
// runtime functions its generated code calls (runtime_api.h).
//
// A call opens every table the routine uses (RowExclusiveLock for tables it
// writes, AccessShareLock otherwise), checks the caller's privileges on them
// (GetUserId(): the owner under SECURITY DEFINER) and refuses tables that
// gained row-level security since CREATE. Rows are read through
// memopt's engine directly (an index lookup when binding found one, else a
// table scan), always under the call's active snapshot; writes go through the
// table AM and the indexes' aminsert, as the executor's would, and every
// statement that wrote advances the command counter, so the next statement
// sees its rows and a statement never sees its own. The triggers of a table
// it writes (foreign keys among them) fire around its rows and statements
// (native_triggers.cpp).
//
// The block's atomicity needs no savepoint of its own: an error raised here
// unwinds to the caller's nearest savepoint or aborts its transaction, and so
// undoes everything the block did.
#include "native_internal.h"

#include "index_internal.h"
#include "operators.h"

extern "C" {
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "utils/snapmgr.h"
}

namespace native = memopt::native;

namespace {

struct TableState {
  Relation rel;
  memopt::Table *table;
  ResultRelInfo *result_rel;   // tables the routine writes
  TupleTableSlot *write_slot;  // virtual: the row being written
  bool direct_insert;          // memopt_direct_insert_applies(result_rel), no triggers
  bool fires_triggers;         // written, and has triggers
  bool computes_generated;     // written, and has stored generated columns
  Relation *indexes;           // by TableDesc::indexes, opened on first lookup
  ExprState **defaults;        // per column; built on the first INSERT that omits one
  bool defaults_built;
};

struct Cursor {
  bool open;
  bool by_index;  // an equality lookup: `rows`
  bool by_range;  // a memopt_range scan: `range`
  // A subquery in FROM: the rows of its last run (nullptr: none), read in
  // turn; they outlive open and close (memopt_rt_from_reset forgets them).
  bool by_from_rows;
  MemoptNativeRows *from_rows;
  TableScanDesc scan;
  Snapshot snapshot;         // scans: a registered copy, so the loop's own writes do not move it
  MemoptRangeCursor *range;  // zeroed when no range scan runs
  ScanKeyData *range_keys;   // TableRef::range_ops.size() of them
  MemoptRowList rows;
  int next;
  memopt::ReadView view;
  TupleTableSlot *slot;  // the current row
};

struct CallState {
  MemoptNativeRoutine *routine;
  FmgrInfo *callees;          // by Routine::callees; fn_oid 0 until first called
  MemoryContext variables;    // text owned by variables (the call's context)
  MemoryContext scratch;      // text temporaries, reset by generated code
  ReturnSetInfo *result_set;  // set-returning functions: where SELECT rows go
  EState *estate;
  TableState *tables;
  Cursor **cursors;  // by statement number, then FROM item; made on first open
  MemoptNativeSorts *sorts;
  MemoptNativeValueSet *value_sets;  // by Expr::value_set
  MemoptNativeTriggers triggers;     // the write statement firing triggers, if any
  int64_t rows_written;              // by the write statement running, for FOUND
  ResourceOwner owner;               // the caller's: holds what lives for the whole call
  MemoptNativeBlockFrame *blocks;    // by Stmt::block_depth (native_block.cpp)
};

CallState *StateOf(MemoptNativeCall *call) { return static_cast<CallState *>(call->state); }

const native::Stmt *StatementOf(MemoptNativeCall *call, int32_t stmt) {
  return StateOf(call)->routine->code->statements()[stmt];
}

Cursor *CursorOf(CallState *state, int32_t stmt_number, int32_t source) {
  Cursor *&cursors = state->cursors[stmt_number];
  if (cursors == nullptr) {
    const native::Stmt *stmt = state->routine->code->statements()[stmt_number];
    cursors = static_cast<Cursor *>(
        MemoryContextAllocZero(state->variables, sizeof(Cursor) * native::SourceCount(*stmt)));
  }
  return &cursors[source];
}

// Calls fn(Cursor *) for each cursor made for statements [first, end).
template <typename F>
void ForEachCursor(CallState *state, size_t first, size_t end, F fn) {
  const std::vector<const native::Stmt *> &statements = state->routine->code->statements();
  for (size_t i = first; i < end; ++i) {
    if (state->cursors[i] == nullptr) continue;
    for (size_t source = 0; source < native::SourceCount(*statements[i]); ++source)
      fn(&state->cursors[i][source]);
  }
}

void CloseCursor(Cursor *cursor) {
  if (cursor->open && cursor->by_from_rows) {
    // nothing to end: the rows stay for the next open
  } else if (cursor->open && cursor->by_range) {
    memopt_range_cursor_end(cursor->range);
    *cursor->range = MemoptRangeCursor{};  // ready for the next open
    UnregisterSnapshot(cursor->snapshot);
  } else if (cursor->open && !cursor->by_index) {
    table_endscan(cursor->scan);
    UnregisterSnapshot(cursor->snapshot);
  }
  cursor->open = false;
  cursor->by_range = false;
  cursor->by_from_rows = false;
  if (cursor->slot != nullptr) ExecClearTuple(cursor->slot);
}

void ForgetFromRows(Cursor *cursor) {
  if (cursor->from_rows == nullptr) return;
  memopt_native_rows_end(cursor->from_rows);
  cursor->from_rows = nullptr;
}

// Closes a cursor and forgets the rows of its subquery in FROM.
void EndCursor(Cursor *cursor) {
  CloseCursor(cursor);
  ForgetFromRows(cursor);
}

// --- call set-up -----------------------------------------------------------------

// The privileges each table needs: what its statements do, and SELECT where
// they read its columns.
void RequiredPrivileges(const native::StmtList &list, AclMode *modes) {
  auto read_from = [modes](const native::Stmt &query) {
    for (const native::TableRef &ref : query.from)
      if (ref.table >= 0) modes[ref.table] |= ACL_SELECT;  // not a subquery in FROM
  };
  for (const native::StmtPtr &stmt : list) {
    switch (stmt->kind) {
      case native::StmtKind::kInsert:
        modes[stmt->target.table] |= ACL_INSERT;
        read_from(*stmt);
        break;
      case native::StmtKind::kUpdate:
        modes[stmt->target.table] |= ACL_UPDATE | ACL_SELECT;
        break;
      case native::StmtKind::kDelete:
        modes[stmt->target.table] |= ACL_DELETE | (stmt->where ? ACL_SELECT : 0);
        break;
      case native::StmtKind::kSelectInto:
      case native::StmtKind::kForQuery:
      case native::StmtKind::kSelectRows:
      case native::StmtKind::kPerform:
        read_from(*stmt);
        break;
      default:
        break;
    }
    native::ForEachNestedSubquery(*stmt, read_from);
    for (const native::StmtList &branch : stmt->branches) RequiredPrivileges(branch, modes);
    RequiredPrivileges(stmt->else_body, modes);
    RequiredPrivileges(stmt->body, modes);
  }
}

// The executor's error reports (constraint violations) look the table up in
// the EState's range table: one entry per table of the routine.
void InitRangeTable(const native::Routine &routine, const AclMode *modes, EState *estate) {
  List *range_table = NIL;
  for (size_t t = 0; t < routine.tables.size(); ++t) {
    RangeTblEntry *entry = makeNode(RangeTblEntry);
    entry->rtekind = RTE_RELATION;
    entry->relid = routine.tables[t].oid;
    entry->relkind = RELKIND_RELATION;
    bool writes = (modes[t] & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) != 0;
    entry->rellockmode = writes ? RowExclusiveLock : AccessShareLock;
    entry->requiredPerms = modes[t];
    range_table = lappend(range_table, entry);
  }
  ExecInitRangeTable(estate, range_table);
}

void OpenTable(const native::TableDesc &desc, AclMode mode, Index range_table_index,
               TableState *state) {
  bool writes = (mode & (ACL_INSERT | ACL_UPDATE | ACL_DELETE)) != 0;
  Relation rel = table_open(desc.oid, writes ? RowExclusiveLock : AccessShareLock);
  state->rel = rel;
  if (rel->rd_tableam != memopt_table_am_routine())
    ereport(ERROR,
            (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
             errmsg("natively compiled routines can only access memopt tables"),
             errdetail("\"%s\" is no longer a memopt table.", RelationGetRelationName(rel))));
  AclResult acl = pg_class_aclcheck(desc.oid, GetUserId(), mode);
  if (acl != ACLCHECK_OK) aclcheck_error(acl, OBJECT_TABLE, RelationGetRelationName(rel));
  if (check_enable_rls(desc.oid, InvalidOid, false) == RLS_ENABLED)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("natively compiled routines cannot access table \"%s\", which has "
                           "row-level security enabled",
                           RelationGetRelationName(rel))));
  state->table = memopt_open_table(rel);
  state->indexes = static_cast<Relation *>(palloc0(sizeof(Relation) * (desc.indexes.size() + 1)));
  if (!writes) return;
  state->result_rel = makeNode(ResultRelInfo);
  InitResultRelInfo(state->result_rel, rel, range_table_index, nullptr, 0);
  ExecOpenIndices(state->result_rel, false);
  state->fires_triggers = state->result_rel->ri_TrigDesc != nullptr;
  state->computes_generated =
      rel->rd_att->constr != nullptr && rel->rd_att->constr->has_generated_stored;
  state->direct_insert = !state->fires_triggers && memopt_direct_insert_applies(state->result_rel);
  state->write_slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
}

Relation IndexOf(TableState *table, int index, Oid oid);

// A routine with EXCEPTION blocks opens, before any block runs, what would
// otherwise be opened on first use and kept to the end of the call: every
// index of its tables, the relations trigger.c fires AFTER events of its
// tables through, and their trigger slots (which pin the table's row
// type). Opened inside a block, the block's subtransaction would own them
// and release them at its end.
void TakeCallResources(CallState *state) {
  const native::Routine &bound = *state->routine->routine;
  for (size_t t = 0; t < bound.tables.size(); ++t) {
    TableState *table = &state->tables[t];
    for (size_t i = 0; i < bound.tables[t].indexes.size(); ++i)
      IndexOf(table, static_cast<int>(i), bound.tables[t].indexes[i].oid);
    if (!table->fires_triggers) continue;
    ResultRelInfo *fired_through =
        ExecGetTriggerResultRel(state->estate, RelationGetRelid(table->rel), nullptr);
    for (ResultRelInfo *info : {table->result_rel, fired_through}) {
      (void)ExecGetTriggerOldSlot(state->estate, info);
      (void)ExecGetTriggerNewSlot(state->estate, info);
    }
  }
}

CallState *BeginCall(MemoptNativeRoutine *routine) {
  memopt::Transaction *txn = memopt_txn_at_level(routine->isolation);
  if (txn->isolation() < routine->isolation)
    ereport(
        ERROR,
        (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
         errmsg("routine \"%s\" runs at isolation level %s, but the transaction's memopt "
                "isolation level is %s",
                routine->routine->signature.routine_name.c_str(),
                memopt::IsolationName(routine->isolation), memopt::IsolationName(txn->isolation())),
         errhint("Call the routine in its own transaction, or raise memopt.isolation_level "
                 "before the transaction first uses a memopt table.")));
  if (routine->delayed_durability)
    (void)set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION,
                            GUC_ACTION_LOCAL, true, 0, false);
  const native::Routine &bound = *routine->routine;
  CallState *state = static_cast<CallState *>(palloc0(sizeof(CallState)));
  state->routine = routine;
  state->variables = CurrentMemoryContext;
  state->scratch = AllocSetContextCreate(CurrentMemoryContext, "memopt native temporaries",
                                         ALLOCSET_DEFAULT_SIZES);
  state->estate = CreateExecutorState();
  size_t ntables = bound.tables.size();
  state->tables = static_cast<TableState *>(palloc0(sizeof(TableState) * (ntables + 1)));
  if (routine->table_modes == nullptr) {  // the walk costs ~1% of a short call: once
    AclMode *modes = static_cast<AclMode *>(
        MemoryContextAllocZero(TopMemoryContext, sizeof(AclMode) * (ntables + 1)));
    RequiredPrivileges(bound.body.statements, modes);
    routine->table_modes = modes;
  }
  const AclMode *modes = routine->table_modes;
  InitRangeTable(bound, modes, state->estate);
  for (size_t t = 0; t < ntables; ++t)
    OpenTable(bound.tables[t], modes[t], static_cast<Index>(t + 1), &state->tables[t]);
  size_t nstatements = routine->code->statements().size();
  state->cursors = static_cast<Cursor **>(palloc0(sizeof(Cursor *) * (nstatements + 1)));
  state->sorts = memopt_native_sorts_begin(routine, state->variables);
  state->value_sets = memopt_native_value_sets_begin(routine, state->variables);
  state->callees = static_cast<FmgrInfo *>(palloc0(sizeof(FmgrInfo) * (bound.callees.size() + 1)));
  state->owner = CurrentResourceOwner;
  if (bound.block_depth > 0) {
    state->blocks = memopt_native_blocks_begin(bound.block_depth, state->variables);
    TakeCallResources(state);
  }
  PushActiveSnapshot(GetTransactionSnapshot());
  // trigger.c hands the estate's snapshot to table_tuple_lock: the call's,
  // whose command id each writing statement advances in place.
  state->estate->es_snapshot = GetActiveSnapshot();
  return state;
}

void EndCall(CallState *state) {
  const native::Routine &bound = *state->routine->routine;
  for (size_t t = 0; t < bound.tables.size(); ++t) {
    TableState &table = state->tables[t];
    for (size_t i = 0; i < bound.tables[t].indexes.size(); ++i)
      if (table.indexes[i] != nullptr) index_close(table.indexes[i], AccessShareLock);
    if (table.result_rel != nullptr) {
      ExecCloseIndices(table.result_rel);
      ExecDropSingleTupleTableSlot(table.write_slot);
    }
    table_close(table.rel, NoLock);
  }
  ForEachCursor(state, 0, state->routine->code->statements().size(), [](Cursor *cursor) {
    EndCursor(cursor);  // RETURN inside FOR over a query leaves it open
    if (cursor->slot != nullptr) ExecDropSingleTupleTableSlot(cursor->slot);
  });
  memopt_native_sorts_end(state->sorts);
  PopActiveSnapshot();
  // Trigger slots, and relations trigger.c opened to fire AFTER events.
  ExecResetTupleTable(state->estate->es_tupleTable, false);
  ExecCloseResultRelations(state->estate);
  if (state->triggers.epq_ready) EvalPlanQualEnd(&state->triggers.epq);
  FreeExecutorState(state->estate);
}

void NativeErrorContext(void *arg) {
  auto *call = static_cast<MemoptNativeCall *>(arg);
  errcontext("natively compiled routine \"%s\" line %d",
             StateOf(call)->routine->routine->signature.routine_name.c_str(), call->line);
}

// --- writing ---------------------------------------------------------------------------

void BuildDefaults(TableState *table, EState *estate) {
  TupleDesc desc = RelationGetDescr(table->rel);
  table->defaults = static_cast<ExprState **>(palloc0(sizeof(ExprState *) * desc->natts));
  for (int i = 0; i < desc->natts; ++i) {
    // A generated column's "default" is its expression, computed from the
    // other columns by ComputeGenerated.
    if (TupleDescAttr(desc, i)->attisdropped || TupleDescAttr(desc, i)->attgenerated) continue;
    Node *expr = build_column_default(table->rel, i + 1);
    if (expr != nullptr)
      table->defaults[i] = ExecPrepareExpr(reinterpret_cast<Expr *>(expr), estate);
  }
  table->defaults_built = true;
}

// Column `i` of the write slot takes its default (NULL without one; a
// generated column is computed later, by ComputeGenerated).
void FillDefault(TableState *table, int i, EState *estate) {
  TupleTableSlot *slot = table->write_slot;
  if (!table->defaults_built) BuildDefaults(table, estate);
  if (table->defaults[i] == nullptr) {
    slot->tts_values[i] = 0;
    slot->tts_isnull[i] = true;
    return;
  }
  slot->tts_values[i] = ExecEvalExprSwitchContext(
      table->defaults[i], GetPerTupleExprContext(estate), &slot->tts_isnull[i]);
}

// Columns the statement leaves out get their defaults (or NULL).
void FillOmittedColumns(const native::Stmt *stmt, TableState *table, EState *estate) {
  int natts = table->write_slot->tts_tupleDescriptor->natts;
  if (static_cast<int>(stmt->column_numbers.size()) == natts) return;
  for (int i = 0; i < natts; ++i) {
    bool listed = false;
    for (int column : stmt->column_numbers) listed = listed || column == i;
    if (!listed) FillDefault(table, i, estate);
  }
}

// The statement's values into the write slot, or their columns' defaults
// where DEFAULT was written, in column order (as the executor computes a
// row's expressions).
void StoreValues(const native::Stmt *stmt, TableState *table, const uint64_t *values,
                 const uint8_t *nulls, EState *estate) {
  TupleTableSlot *slot = table->write_slot;
  for (size_t i = 0; i < stmt->column_numbers.size(); ++i) {
    int column = stmt->column_numbers[i];
    if (nulls[i] == MEMOPT_VALUE_DEFAULT) {
      FillDefault(table, column, estate);
      continue;
    }
    slot->tts_values[column] = static_cast<Datum>(values[i]);
    slot->tts_isnull[column] = nulls[i] != 0;
  }
}

// Stored generated columns, after BEFORE ROW triggers as in the executor.
// Updates compute every one of them (CMD_INSERT's set): the expressions are
// immutable, so columns whose inputs did not change keep their values, and
// the executor's per-result-relation cache of expressions serves every
// statement of the call.
void ComputeGenerated(TableState *table, TupleTableSlot *slot, EState *estate) {
  if (table->computes_generated)
    ExecComputeStoredGenerated(table->result_rel, estate, slot, CMD_INSERT);
}

void CheckConstraints(TableState *table, TupleTableSlot *slot, EState *estate) {
  if (table->rel->rd_att->constr != nullptr) ExecConstraints(table->result_rel, slot, estate);
}

// The trigger statement of `stmt`, a write of `table` (which has triggers),
// opened at its first row or at its end.
MemoptNativeTriggers *TriggersOf(CallState *state, const native::Stmt *stmt, TableState *table) {
  MemoptNativeTriggers *triggers = &state->triggers;
  if (triggers->target == table->result_rel) return triggers;
  if (triggers->target != nullptr) elog(ERROR, "native write statements overlap");
  CmdType command = stmt->kind == native::StmtKind::kInsert   ? CMD_INSERT
                    : stmt->kind == native::StmtKind::kUpdate ? CMD_UPDATE
                                                              : CMD_DELETE;
  memopt_native_triggers_begin(state->estate, table->result_rel, command, stmt->column_numbers,
                               triggers);
  return triggers;
}

[[noreturn]] void ConcurrentUpdate(Relation rel) {
  ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                  errmsg("could not serialize access to table \"%s\" due to concurrent update",
                         RelationGetRelationName(rel)),
                  errhint("The transaction might succeed if retried.")));
}

// --- reading ---------------------------------------------------------------------------

Relation IndexOf(TableState *table, int index, Oid oid) {
  if (table->indexes[index] == nullptr) table->indexes[index] = index_open(oid, AccessShareLock);
  return table->indexes[index];
}

void OpenLookup(CallState *state, const native::TableRef &ref, Cursor *cursor,
                const uint64_t *keys) {
  TableState *table = &state->tables[ref.table];
  const native::TableDesc &desc = state->routine->routine->tables[ref.table];
  Relation index = IndexOf(table, ref.access_index, desc.indexes[ref.access_index].oid);
  const MemoptIndexInfo *info = memopt_index_info(index);
  memopt::Index *engine_index = memopt_index_for(table->rel, index);
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS] = {};
  for (int i = 0; i < info->natts; ++i) values[i] = static_cast<Datum>(keys[i]);
  cursor->by_index = true;
  cursor->rows.count = 0;
  cursor->next = 0;
  MemoptCompareContext compare{info, nullptr, nullptr};
  if (info->kind == memopt::IndexKind::kHash) {
    uint64 hash = memopt_key_hash(info, nullptr, values, isnull);
    memopt_note_hash_probe(table->rel, engine_index, hash);
    memopt_rows_under_key(engine_index, hash, memopt::KeyRef{nullptr, 0}, &compare, &cursor->rows);
    return;
  }
  ResetPerTupleExprContext(state->estate);
  MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(state->estate));
  memopt::KeyRef key = memopt_key_encode(info, nullptr, info->natts, values, isnull);
  MemoryContextSwitchTo(old);
  memopt::RangeBound bound{true, false, key};
  memopt_note_range_scan(table->rel, engine_index, bound, bound);
  memopt_rows_under_key(engine_index, 0, key, &compare, &cursor->rows);
}

// A copy of the active snapshot a scan keeps while it runs: the body of a
// FOR loop advances the active snapshot's command id, the scan must not.
Snapshot RegisterScanSnapshot() {
  PushCopiedSnapshot(GetActiveSnapshot());
  Snapshot snapshot = RegisterSnapshot(GetActiveSnapshot());
  PopActiveSnapshot();
  return snapshot;
}

// A memopt_range scan of the first index column between the bounds: one
// btree-strategy scan key per TableRef::range_ops entry.
void OpenRange(CallState *state, const native::TableRef &ref, Cursor *cursor,
               const uint64_t *bounds) {
  TableState *table = &state->tables[ref.table];
  const native::TableDesc &desc = state->routine->routine->tables[ref.table];
  Relation index = IndexOf(table, ref.access_index, desc.indexes[ref.access_index].oid);
  int nkeys = static_cast<int>(ref.range_ops.size());
  if (cursor->range == nullptr) {
    cursor->range = static_cast<MemoptRangeCursor *>(
        MemoryContextAllocZero(state->variables, sizeof(MemoptRangeCursor)));
    cursor->range_keys = static_cast<ScanKeyData *>(
        MemoryContextAllocZero(state->variables, sizeof(ScanKeyData) * nkeys));
  }
  Oid type = index->rd_opcintype[0];
  for (int i = 0; i < nkeys; ++i) {
    const std::string &op = ref.range_ops[i];
    StrategyNumber strategy = op == "<"    ? BTLessStrategyNumber
                              : op == "<=" ? BTLessEqualStrategyNumber
                              : op == ">"  ? BTGreaterStrategyNumber
                                           : BTGreaterEqualStrategyNumber;
    Oid oper = get_opfamily_member(index->rd_opfamily[0], type, type, strategy);
    if (!OidIsValid(oper))
      elog(ERROR, "no operator %s for the first column of index \"%s\"", op.c_str(),
           RelationGetRelationName(index));
    ScanKeyEntryInitialize(&cursor->range_keys[i], 0, 1, strategy, InvalidOid,
                           index->rd_indcollation[0], get_opcode(oper),
                           static_cast<Datum>(bounds[i]));
  }
  cursor->snapshot = RegisterScanSnapshot();
  cursor->by_range = true;
  cursor->by_index = false;
  memopt_range_cursor_start(cursor->range, table->rel, index, cursor->range_keys, nkeys,
                            cursor->snapshot);
}

}  // namespace

// Runtime functions allocate their results and work space in the call's
// scratch memory (a scope object with a trivial job: it is safe to skip its
// destructor when an error unwinds, since the error handler resets the
// current memory context).
class ScratchMemory {
 public:
  explicit ScratchMemory(MemoptNativeCall *call)
      : previous_(MemoryContextSwitchTo(StateOf(call)->scratch)) {}
  ~ScratchMemory() { MemoryContextSwitchTo(previous_); }

 private:
  MemoryContext previous_;
};

// --- the runtime API ---------------------------------------------------------------------

extern "C" {

void memopt_rt_error(MemoptNativeCall *call, int32_t error, int32_t detail) {
  switch (error) {
    case MEMOPT_NATIVE_SMALLINT_RANGE:
      ereport(ERROR,
              (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("smallint out of range")));
      break;
    case MEMOPT_NATIVE_INTEGER_RANGE:
      ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("integer out of range")));
      break;
    case MEMOPT_NATIVE_BIGINT_RANGE:
      ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("bigint out of range")));
      break;
    case MEMOPT_NATIVE_FLOAT_OVERFLOW:
      ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                      errmsg("value out of range: overflow")));
      break;
    case MEMOPT_NATIVE_FLOAT_UNDERFLOW:
      ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                      errmsg("value out of range: underflow")));
      break;
    case MEMOPT_NATIVE_DIVISION_BY_ZERO:
      ereport(ERROR, (errcode(ERRCODE_DIVISION_BY_ZERO), errmsg("division by zero")));
      break;
    case MEMOPT_NATIVE_FOR_NULL_LOWER:
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                      errmsg("lower bound of FOR loop cannot be null")));
      break;
    case MEMOPT_NATIVE_FOR_NULL_UPPER:
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                      errmsg("upper bound of FOR loop cannot be null")));
      break;
    case MEMOPT_NATIVE_FOR_NULL_STEP:
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                      errmsg("BY value of FOR loop cannot be null")));
      break;
    case MEMOPT_NATIVE_FOR_STEP:
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("BY value of FOR loop must be greater than zero")));
      break;
    case MEMOPT_NATIVE_NO_RETURN:
      ereport(ERROR, (errcode(ERRCODE_S_R_E_FUNCTION_EXECUTED_NO_RETURN_STATEMENT),
                      errmsg("control reached end of function without RETURN")));
      break;
    case MEMOPT_NATIVE_NULL_VARIABLE:
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                      errmsg("null value cannot be assigned to variable \"%s\" declared NOT NULL",
                             StateOf(call)->routine->routine->variables[detail].name.c_str())));
      break;
    case MEMOPT_NATIVE_LIMIT_NEGATIVE:
      ereport(ERROR, (errcode(ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE),
                      errmsg("LIMIT must not be negative")));
      break;
    case MEMOPT_NATIVE_OFFSET_NEGATIVE:
      ereport(ERROR, (errcode(ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE),
                      errmsg("OFFSET must not be negative")));
      break;
    case MEMOPT_NATIVE_SUBQUERY_ROWS:
      ereport(ERROR, (errcode(ERRCODE_CARDINALITY_VIOLATION),
                      errmsg("more than one row returned by a subquery used as an expression")));
      break;
  }
  elog(ERROR, "unknown native runtime error %d", error);
}

void memopt_rt_interrupt(MemoptNativeCall *call) {
  (void)call;
  CHECK_FOR_INTERRUPTS();
}

uint64_t memopt_rt_to_text(MemoptNativeCall *call, int32_t type, uint64_t value) {
  ScratchMemory scratch(call);
  Datum datum = static_cast<Datum>(value);
  char *output;
  switch (static_cast<native::Type>(type)) {
    case native::Type::kBool:  // the bool::text cast, as PostgreSQL spells it
      return PointerGetDatum(cstring_to_text(DatumGetBool(datum) ? "true" : "false"));
    case native::Type::kInt2:
      output = DatumGetCString(DirectFunctionCall1(int2out, datum));
      break;
    case native::Type::kInt4:
      output = DatumGetCString(DirectFunctionCall1(int4out, datum));
      break;
    case native::Type::kInt8:
      output = DatumGetCString(DirectFunctionCall1(int8out, datum));
      break;
    case native::Type::kFloat4:
      output = DatumGetCString(DirectFunctionCall1(float4out, datum));
      break;
    case native::Type::kFloat8:
      output = DatumGetCString(DirectFunctionCall1(float8out, datum));
      break;
    case native::Type::kText:
    case native::Type::kNull:
    case native::Type::kUnknown:
      return value;
    default: {  // numeric, dates and times, interval, uuid, bytea: their output functions
      Oid function;
      bool varlena;
      getTypeOutputInfo(memopt_native_type_oid(static_cast<native::Type>(type)), &function,
                        &varlena);
      output = OidOutputFunctionCall(function, datum);
      break;
    }
  }
  return PointerGetDatum(cstring_to_text(output));
}

uint64_t memopt_rt_from_text(MemoptNativeCall *call, int32_t type, uint64_t value) {
  ScratchMemory scratch(call);
  Datum input = CStringGetDatum(TextDatumGetCString(static_cast<Datum>(value)));
  switch (static_cast<native::Type>(type)) {
    case native::Type::kBool:
      return DirectFunctionCall1(boolin, input);
    case native::Type::kInt2:
      return DirectFunctionCall1(int2in, input);
    case native::Type::kInt4:
      return DirectFunctionCall1(int4in, input);
    case native::Type::kInt8:
      return DirectFunctionCall1(int8in, input);
    case native::Type::kFloat4:
      return DirectFunctionCall1(float4in, input);
    case native::Type::kFloat8:
      return DirectFunctionCall1(float8in, input);
    case native::Type::kText:
    case native::Type::kNull:
    case native::Type::kUnknown:
      return value;
    default: {  // numeric, dates and times, interval, uuid, bytea: their input functions
      Oid function, typioparam;
      getTypeInputInfo(memopt_native_type_oid(static_cast<native::Type>(type)), &function,
                       &typioparam);
      return OidInputFunctionCall(function, DatumGetCString(input), typioparam, -1);
    }
  }
}

void memopt_rt_reset_scratch(MemoptNativeCall *call) { MemoryContextReset(StateOf(call)->scratch); }

// A child of the current scratch: an error inside the subquery frees it
// with the call's memory; a reset of the parent can only come after leave.
void memopt_rt_scratch_enter(MemoptNativeCall *call) {
  CallState *state = StateOf(call);
  state->scratch = AllocSetContextCreate(state->scratch, "memopt native subquery temporaries",
                                         ALLOCSET_SMALL_SIZES);
}

void memopt_rt_scratch_leave(MemoptNativeCall *call) {
  CallState *state = StateOf(call);
  MemoryContext subquery = state->scratch;
  state->scratch = subquery->parent;
  MemoryContextDelete(subquery);
}

uint64_t memopt_rt_datum_assign(MemoptNativeCall *call, int32_t type, uint64_t old_value,
                                bool old_null, uint64_t value, bool value_null) {
  uint64_t copy = 0;
  if (!value_null) {
    // No catalog lookup on this hot path: interval and uuid have a fixed
    // length, the other by-reference types are varlenas.
    auto kind = static_cast<native::Type>(type);
    bool fixed = kind == native::Type::kInterval || kind == native::Type::kUuid;
    MemoryContext old = MemoryContextSwitchTo(StateOf(call)->variables);
    if (!fixed)  // a varlena: detoasted, so later reads need no more work
      copy = PointerGetDatum(pg_detoast_datum_copy(reinterpret_cast<struct varlena *>(value)));
    else
      copy = datumCopy(static_cast<Datum>(value), false,
                       kind == native::Type::kInterval ? sizeof(Interval) : UUID_LEN);
    MemoryContextSwitchTo(old);
  }
  if (!old_null) pfree(reinterpret_cast<void *>(old_value));
  return copy;
}

uint64_t memopt_rt_text_concat(MemoptNativeCall *call, uint64_t a, uint64_t b) {
  ScratchMemory scratch(call);
  return DirectFunctionCall2(textcat, static_cast<Datum>(a), static_cast<Datum>(b));
}

uint64_t memopt_rt_string_agg(MemoptNativeCall *call, uint64_t joined, bool first,
                              uint64_t delimiter, bool delimiter_null, uint64_t value) {
  if (first)  // an owned copy with a 4-byte header (memopt_rt_datum_assign)
    return memopt_rt_datum_assign(call, static_cast<int32_t>(native::Type::kText), 0, true, value,
                                  false);
  ScratchMemory scratch(call);  // detoasted inputs
  text *separator = delimiter_null ? nullptr : DatumGetTextPP(static_cast<Datum>(delimiter));
  text *next = DatumGetTextPP(static_cast<Datum>(value));
  size_t separator_size = separator ? VARSIZE_ANY_EXHDR(separator) : 0;
  size_t next_size = VARSIZE_ANY_EXHDR(next);
  auto *result = reinterpret_cast<struct varlena *>(joined);
  size_t size = VARSIZE(result);
  if (size + separator_size + next_size > MaxAllocSize)
    ereport(ERROR,
            (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("out of memory"),
             errdetail("Cannot enlarge string buffer containing %zu bytes by %zu more bytes.", size,
                       separator_size + next_size)));
  // repalloc keeps the value in the call's memory; AllocSet rounds small
  // chunks up to a power of two, so most appends do not move it.
  result = static_cast<struct varlena *>(repalloc(result, size + separator_size + next_size));
  char *end = reinterpret_cast<char *>(result) + size;
  if (separator_size > 0) memcpy(end, VARDATA_ANY(separator), separator_size);
  memcpy(end + separator_size, VARDATA_ANY(next), next_size);
  SET_VARSIZE(result, size + separator_size + next_size);
  return PointerGetDatum(result);
}

int32_t memopt_rt_text_length(MemoptNativeCall *call, uint64_t text) {
  ScratchMemory scratch(call);
  return DatumGetInt32(DirectFunctionCall1(textlen, static_cast<Datum>(text)));
}

uint64_t memopt_rt_text_case(MemoptNativeCall *call, uint64_t text, int32_t upper_case) {
  ScratchMemory scratch(call);
  return DirectFunctionCall1Coll(upper_case ? upper : lower, DEFAULT_COLLATION_OID,
                                 static_cast<Datum>(text));
}

void memopt_rt_insert(MemoptNativeCall *call, int32_t stmt_number, const uint64_t *values,
                      const uint8_t *nulls) {
  CallState *state = StateOf(call);
  const native::Stmt *stmt = StatementOf(call, stmt_number);
  TableState *table = &state->tables[stmt->target.table];
  TupleTableSlot *slot = table->write_slot;
  ResetPerTupleExprContext(state->estate);
  ExecClearTuple(slot);
  int natts = slot->tts_tupleDescriptor->natts;
  for (int i = 0; i < natts; ++i) {
    slot->tts_values[i] = 0;
    slot->tts_isnull[i] = true;
  }
  FillOmittedColumns(stmt, table, state->estate);
  StoreValues(stmt, table, values, nulls, state->estate);
  ExecStoreVirtualTuple(slot);
  MemoptNativeTriggers *triggers = nullptr;
  if (table->fires_triggers) {
    triggers = TriggersOf(state, stmt, table);
    if (!memopt_native_before_insert(state->estate, triggers, slot)) return;
  }
  ComputeGenerated(table, slot, state->estate);
  CheckConstraints(table, slot, state->estate);
  state->rows_written++;
  if (table->direct_insert) {
    memopt_direct_insert(table->result_rel, slot, GetCurrentCommandId(true));
    return;
  }
  table_tuple_insert(table->rel, slot, GetCurrentCommandId(true), 0, nullptr);
  if (table->result_rel->ri_NumIndices > 0)
    ExecInsertIndexTuples(table->result_rel, slot, state->estate, false, false, nullptr, NIL);
  if (triggers != nullptr) memopt_native_after_insert(state->estate, triggers, slot);
}

int64_t memopt_rt_end_statement(MemoptNativeCall *call, int32_t stmt_number) {
  CallState *state = StateOf(call);
  int64_t rows = state->rows_written;
  state->rows_written = 0;
  const native::Stmt *stmt = StatementOf(call, stmt_number);
  TableState *table = &state->tables[stmt->target.table];
  if (table->fires_triggers)  // also when it wrote no row: statement triggers
    memopt_native_triggers_end(state->estate, TriggersOf(state, stmt, table));
  CommandCounterIncrement();
  UpdateActiveSnapshotCommandId();
  return rows;
}

void memopt_rt_open(MemoptNativeCall *call, int32_t stmt_number, int32_t source,
                    const uint64_t *keys) {
  CallState *state = StateOf(call);
  const native::TableRef &ref = native::SourceRef(*StatementOf(call, stmt_number), source);
  Cursor *cursor = CursorOf(state, stmt_number, source);
  CloseCursor(cursor);  // an inner FROM item opens again for each outer row
  if (ref.query) {      // a subquery in FROM: its rows, from the first
    if (cursor->from_rows != nullptr) memopt_native_rows_rewind(cursor->from_rows);
    cursor->by_from_rows = true;
    cursor->open = true;
    return;
  }
  TableState *table = &state->tables[ref.table];
  if (cursor->slot == nullptr) {  // kept to the end of the call: under the call's owner
    ResourceOwner owner = CurrentResourceOwner;
    CurrentResourceOwner = state->owner;
    cursor->slot = table_slot_create(table->rel, nullptr);
    CurrentResourceOwner = owner;
  }
  if (keys != nullptr && ref.range_scan) {
    OpenRange(state, ref, cursor, keys);
  } else if (keys != nullptr) {
    cursor->view = memopt_view_for(GetActiveSnapshot());
    OpenLookup(state, ref, cursor, keys);
  } else {
    cursor->by_index = false;
    // The body of a FOR loop advances the active snapshot's command id;
    // the scan keeps the one it started with.
    cursor->snapshot = RegisterScanSnapshot();
    cursor->scan = table_beginscan(table->rel, cursor->snapshot, 0, nullptr);
  }
  cursor->open = true;
}

bool memopt_rt_next(MemoptNativeCall *call, int32_t stmt_number, int32_t source,
                    const uint64_t **values, const bool **nulls) {
  CallState *state = StateOf(call);
  const native::TableRef &ref = native::SourceRef(*StatementOf(call, stmt_number), source);
  Cursor *cursor = CursorOf(state, stmt_number, source);
  if (ref.query)
    return cursor->from_rows != nullptr &&
           memopt_native_rows_next(cursor->from_rows, values, nulls);
  TableState *table = &state->tables[ref.table];
  bool found = false;
  if (cursor->by_range) {
    Datum key_values[INDEX_MAX_KEYS];
    bool key_nulls[INDEX_MAX_KEYS];
    memopt::Version *version =
        memopt_range_cursor_next(cursor->range, false, key_values, key_nulls);
    if (version != nullptr) {
      memopt_note_read(table->rel, table->table, version);
      memopt_store_version(version, table->rel, cursor->slot);
      found = true;
    }
  } else if (!cursor->by_index) {
    found = table_scan_getnextslot(cursor->scan, ForwardScanDirection, cursor->slot);
  } else {
    while (!found && cursor->next < cursor->rows.count) {
      memopt::Version *version =
          memopt_visible_version(cursor->rows.rows[cursor->next++], cursor->view);
      if (version == nullptr) continue;
      memopt_note_read(table->rel, table->table, version);
      memopt_store_version(version, table->rel, cursor->slot);
      found = true;
    }
  }
  if (!found) return false;
  slot_getallattrs(cursor->slot);
  *values = reinterpret_cast<const uint64_t *>(cursor->slot->tts_values);
  *nulls = cursor->slot->tts_isnull;
  return true;
}

void memopt_rt_close(MemoptNativeCall *call, int32_t stmt_number, int32_t source) {
  CloseCursor(CursorOf(StateOf(call), stmt_number, source));
}

void memopt_rt_from_put(MemoptNativeCall *call, int32_t stmt_number, int32_t source,
                        const uint64_t *values, const bool *nulls) {
  CallState *state = StateOf(call);
  Cursor *cursor = CursorOf(state, stmt_number, source);
  if (cursor->from_rows == nullptr) {
    const native::TableRef &ref = native::SourceRef(*StatementOf(call, stmt_number), source);
    cursor->from_rows = memopt_native_rows_begin(*ref.query, state->variables);
  }
  memopt_native_rows_put(cursor->from_rows, values, nulls);
}

void memopt_rt_from_reset(MemoptNativeCall *call, int32_t stmt_number, int32_t source) {
  ForgetFromRows(CursorOf(StateOf(call), stmt_number, source));
}

void memopt_rt_update(MemoptNativeCall *call, int32_t stmt_number, const uint64_t *values,
                      const uint8_t *nulls) {
  CallState *state = StateOf(call);
  const native::Stmt *stmt = StatementOf(call, stmt_number);
  Cursor *cursor = CursorOf(state, stmt_number, 0);
  TableState *table = &state->tables[stmt->target.table];
  TupleTableSlot *slot = table->write_slot;
  ResetPerTupleExprContext(state->estate);
  ExecClearTuple(slot);
  int natts = slot->tts_tupleDescriptor->natts;
  memcpy(slot->tts_values, cursor->slot->tts_values, sizeof(Datum) * natts);
  memcpy(slot->tts_isnull, cursor->slot->tts_isnull, sizeof(bool) * natts);
  StoreValues(stmt, table, values, nulls, state->estate);
  ExecStoreVirtualTuple(slot);
  ItemPointerData tid = cursor->slot->tts_tid;
  MemoptNativeTriggers *triggers = nullptr;
  if (table->fires_triggers) {
    triggers = TriggersOf(state, stmt, table);
    if (!memopt_native_before_update(state->estate, triggers, &tid, slot)) return;
  }
  ComputeGenerated(table, slot, state->estate);
  CheckConstraints(table, slot, state->estate);
  TM_FailureData failure;
  LockTupleMode lock_mode;
  bool update_indexes = false;
  TM_Result result =
      table_tuple_update(table->rel, &tid, slot, GetCurrentCommandId(true), GetActiveSnapshot(),
                         InvalidSnapshot, true, &failure, &lock_mode, &update_indexes);
  if (result == TM_SelfModified) return;  // changed earlier by this statement
  if (result != TM_Ok) ConcurrentUpdate(table->rel);
  state->rows_written++;
  if (update_indexes && table->result_rel->ri_NumIndices > 0)
    ExecInsertIndexTuples(table->result_rel, slot, state->estate, true, false, nullptr, NIL);
  if (triggers != nullptr) memopt_native_after_update(state->estate, triggers, &tid, slot);
}

void memopt_rt_delete(MemoptNativeCall *call, int32_t stmt_number) {
  CallState *state = StateOf(call);
  const native::Stmt *stmt = StatementOf(call, stmt_number);
  Cursor *cursor = CursorOf(state, stmt_number, 0);
  TableState *table = &state->tables[stmt->target.table];
  TM_FailureData failure;
  ItemPointerData tid = cursor->slot->tts_tid;
  MemoptNativeTriggers *triggers = nullptr;
  if (table->fires_triggers) {
    triggers = TriggersOf(state, stmt, table);
    if (!memopt_native_before_delete(state->estate, triggers, &tid)) return;
  }
  TM_Result result =
      table_tuple_delete(table->rel, &tid, GetCurrentCommandId(true), GetActiveSnapshot(),
                         InvalidSnapshot, true, &failure, false);
  if (result == TM_SelfModified) return;
  if (result != TM_Ok) ConcurrentUpdate(table->rel);
  state->rows_written++;
  if (triggers != nullptr) memopt_native_after_delete(state->estate, triggers, &tid);
}

uint64_t memopt_rt_call(MemoptNativeCall *call, int32_t callee, const uint64_t *args,
                        const bool *nulls, bool *result_null) {
  CallState *state = StateOf(call);
  const native::CalleeDesc &desc = state->routine->routine->callees[callee];
  FmgrInfo *info = &state->callees[callee];
  check_stack_depth();  // routines calling each other
  if (info->fn_oid == InvalidOid) {
    AclResult acl = pg_proc_aclcheck(desc.oid, GetUserId(), ACL_EXECUTE);
    if (acl != ACLCHECK_OK)
      aclcheck_error(acl, desc.is_procedure ? OBJECT_PROCEDURE : OBJECT_FUNCTION,
                     desc.name.c_str());
    fmgr_info_cxt(desc.oid, info, state->variables);
  }
  int nargs = static_cast<int>(desc.params.size());
  bool any_null = false;
  for (int i = 0; i < nargs; ++i) any_null = any_null || nulls[i];
  *result_null = true;
  if (info->fn_strict && any_null) return 0;
  ScratchMemory scratch(call);
  LOCAL_FCINFO(fcinfo, FUNC_MAX_ARGS);
  InitFunctionCallInfoData(*fcinfo, info, nargs, InvalidOid, nullptr, nullptr);
  for (int i = 0; i < nargs; ++i) {
    fcinfo->args[i].value = static_cast<Datum>(args[i]);
    fcinfo->args[i].isnull = nulls[i];
  }
  Datum result = FunctionCallInvoke(fcinfo);
  UpdateActiveSnapshotCommandId();  // the callee's writes are visible to what follows
  *result_null = fcinfo->isnull;
  return fcinfo->isnull ? 0 : static_cast<uint64_t>(result);
}

void memopt_rt_emit(MemoptNativeCall *call, int32_t stmt_number, const uint64_t *values,
                    const bool *nulls) {
  (void)stmt_number;
  ReturnSetInfo *result_set = StateOf(call)->result_set;
  // Rows spilled to disk stay when an EXCEPTION block's subtransaction ends.
  ResourceOwner owner = CurrentResourceOwner;
  CurrentResourceOwner = StateOf(call)->owner;
  tuplestore_putvalues(result_set->setResult, result_set->setDesc,
                       reinterpret_cast<Datum *>(const_cast<uint64_t *>(values)),
                       const_cast<bool *>(nulls));
  CurrentResourceOwner = owner;
}

void memopt_rt_raise(MemoptNativeCall *call, int32_t stmt_number, const uint64_t *args,
                     const bool *nulls) {
  const native::Stmt *stmt = StatementOf(call, stmt_number);
  StringInfoData message;
  initStringInfo(&message);
  size_t arg = 0;
  const std::string &format = stmt->format;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      appendStringInfoChar(&message, format[i]);
    } else if (i + 1 < format.size() && format[i + 1] == '%') {
      appendStringInfoChar(&message, '%');
      ++i;
    } else {
      if (nulls[arg])
        appendStringInfoString(&message, "<NULL>");
      else
        appendStringInfoString(&message, TextDatumGetCString(static_cast<Datum>(args[arg])));
      ++arg;
    }
  }
  const std::string &level_name = stmt->level;
  int level = level_name == "notice"    ? NOTICE
              : level_name == "warning" ? WARNING
              : level_name == "info"    ? INFO
              : level_name == "log"     ? LOG
              : level_name == "debug"   ? DEBUG1
                                        : ERROR;
  const std::string &code = stmt->errcode;
  int sqlstate = code.size() == 5 ? MAKE_SQLSTATE(code[0], code[1], code[2], code[3], code[4])
                 : level >= ERROR ? ERRCODE_RAISE_EXCEPTION
                                  : 0;
  ereport(level, (sqlstate != 0 ? errcode(sqlstate) : 0, errmsg_internal("%s", message.data)));
  pfree(message.data);
}

}  // extern "C"

MemoryContext memopt_native_call_scratch(MemoptNativeCall *call) { return StateOf(call)->scratch; }

void memopt_native_store_row(TupleTableSlot *slot, const uint64_t *values, const bool *nulls) {
  int natts = slot->tts_tupleDescriptor->natts;
  ExecClearTuple(slot);
  memcpy(slot->tts_values, values, sizeof(Datum) * natts);
  memcpy(slot->tts_isnull, nulls, sizeof(bool) * natts);
  ExecStoreVirtualTuple(slot);
}

MemoptNativeSorts *memopt_native_call_sorts(MemoptNativeCall *call) { return StateOf(call)->sorts; }

MemoptNativeBlockFrame *memopt_native_call_blocks(MemoptNativeCall *call) {
  return StateOf(call)->blocks;
}

void memopt_native_call_close_statements(MemoptNativeCall *call, int32_t first, int32_t end) {
  CallState *state = StateOf(call);
  ForEachCursor(state, first, end, EndCursor);
  memopt_native_sorts_close(state->sorts, first, end);
  // A write statement an error stopped: trigger.c's own state is undone by
  // the subtransaction's abort.
  state->triggers.target = nullptr;
  state->triggers.transitions = nullptr;
}

MemoryContext memopt_native_call_context(MemoptNativeCall *call) {
  return StateOf(call)->variables;
}

MemoptNativeValueSet *memopt_native_call_value_sets(MemoptNativeCall *call) {
  return StateOf(call)->value_sets;
}

void memopt_native_runtime_symbols(native::CodegenOptions *options) {
  std::map<std::string, void *> &symbols = options->runtime_symbols;
  symbols["memopt_rt_error"] = reinterpret_cast<void *>(memopt_rt_error);
  symbols["memopt_rt_interrupt"] = reinterpret_cast<void *>(memopt_rt_interrupt);
  symbols["memopt_rt_to_text"] = reinterpret_cast<void *>(memopt_rt_to_text);
  symbols["memopt_rt_from_text"] = reinterpret_cast<void *>(memopt_rt_from_text);
  symbols["memopt_rt_datum_assign"] = reinterpret_cast<void *>(memopt_rt_datum_assign);
  symbols["memopt_rt_apply"] = reinterpret_cast<void *>(memopt_rt_apply);
  symbols["memopt_rt_reset_scratch"] = reinterpret_cast<void *>(memopt_rt_reset_scratch);
  symbols["memopt_rt_scratch_enter"] = reinterpret_cast<void *>(memopt_rt_scratch_enter);
  symbols["memopt_rt_scratch_leave"] = reinterpret_cast<void *>(memopt_rt_scratch_leave);
  symbols["memopt_rt_text_concat"] = reinterpret_cast<void *>(memopt_rt_text_concat);
  symbols["memopt_rt_string_agg"] = reinterpret_cast<void *>(memopt_rt_string_agg);
  symbols["memopt_rt_text_length"] = reinterpret_cast<void *>(memopt_rt_text_length);
  symbols["memopt_rt_text_case"] = reinterpret_cast<void *>(memopt_rt_text_case);
  symbols["memopt_rt_insert"] = reinterpret_cast<void *>(memopt_rt_insert);
  symbols["memopt_rt_end_statement"] = reinterpret_cast<void *>(memopt_rt_end_statement);
  symbols["memopt_rt_open"] = reinterpret_cast<void *>(memopt_rt_open);
  symbols["memopt_rt_next"] = reinterpret_cast<void *>(memopt_rt_next);
  symbols["memopt_rt_close"] = reinterpret_cast<void *>(memopt_rt_close);
  symbols["memopt_rt_from_put"] = reinterpret_cast<void *>(memopt_rt_from_put);
  symbols["memopt_rt_from_reset"] = reinterpret_cast<void *>(memopt_rt_from_reset);
  symbols["memopt_rt_sort_put"] = reinterpret_cast<void *>(memopt_rt_sort_put);
  symbols["memopt_rt_sort_next"] = reinterpret_cast<void *>(memopt_rt_sort_next);
  symbols["memopt_rt_sort_close"] = reinterpret_cast<void *>(memopt_rt_sort_close);
  symbols["memopt_rt_set_reset"] = reinterpret_cast<void *>(memopt_rt_set_reset);
  symbols["memopt_rt_set_add"] = reinterpret_cast<void *>(memopt_rt_set_add);
  symbols["memopt_rt_set_add_all"] = reinterpret_cast<void *>(memopt_rt_set_add_all);
  symbols["memopt_rt_set_probe"] = reinterpret_cast<void *>(memopt_rt_set_probe);
  symbols["memopt_rt_set_filled"] = reinterpret_cast<void *>(memopt_rt_set_filled);
  symbols["memopt_rt_set_members"] = reinterpret_cast<void *>(memopt_rt_set_members);
  symbols["memopt_rt_update"] = reinterpret_cast<void *>(memopt_rt_update);
  symbols["memopt_rt_delete"] = reinterpret_cast<void *>(memopt_rt_delete);
  symbols["memopt_rt_raise"] = reinterpret_cast<void *>(memopt_rt_raise);
  symbols["memopt_rt_block_begin"] = reinterpret_cast<void *>(memopt_rt_block_begin);
  symbols["memopt_rt_block_end"] = reinterpret_cast<void *>(memopt_rt_block_end);
  symbols["memopt_rt_block_catch"] = reinterpret_cast<void *>(memopt_rt_block_catch);
  symbols["memopt_rt_block_error"] = reinterpret_cast<void *>(memopt_rt_block_error);
  symbols["memopt_rt_block_reraise"] = reinterpret_cast<void *>(memopt_rt_block_reraise);
  symbols["memopt_rt_block_done"] = reinterpret_cast<void *>(memopt_rt_block_done);
  // glibc's sigsetjmp is a macro for this; generated code calls it itself.
  symbols["__sigsetjmp"] = reinterpret_cast<void *>(__sigsetjmp);
  symbols["memopt_rt_emit"] = reinterpret_cast<void *>(memopt_rt_emit);
  symbols["memopt_rt_call"] = reinterpret_cast<void *>(memopt_rt_call);
}

// A set-returning function's rows go to a tuplestore (materialize mode);
// RETURNS SETOF scalar has a one-column row of the declared type.
void BeginResultSet(FunctionCallInfo fcinfo, bool scalar) {
  if (!scalar) {
    InitMaterializedSRF(fcinfo, 0);
    return;
  }
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) ||
      (rsinfo->allowedModes & SFRM_Materialize) == 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("set-valued function called in context that cannot accept a set")));
  MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
  TupleDesc desc = CreateTemplateTupleDesc(1);
  TupleDescInitEntry(desc, 1, "result", get_fn_expr_rettype(fcinfo->flinfo), -1, 0);
  rsinfo->returnMode = SFRM_Materialize;
  rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
  rsinfo->setDesc = desc;
  MemoryContextSwitchTo(old);
}

// The result of a routine with OUT parameters: their values as a row, or
// the one value when the result type is scalar (a function with one OUT).
Datum OutputResult(FunctionCallInfo fcinfo, const uint64_t *outputs, const bool *nulls,
                   bool *isnull) {
  TupleDesc desc;
  TypeFuncClass kind = get_call_result_type(fcinfo, nullptr, &desc);
  *isnull = false;
  if (kind == TYPEFUNC_COMPOSITE) {
    desc = BlessTupleDesc(desc);
    HeapTuple tuple =
        heap_form_tuple(desc, reinterpret_cast<Datum *>(const_cast<uint64_t *>(outputs)),
                        const_cast<bool *>(nulls));
    return HeapTupleGetDatum(tuple);
  }
  *isnull = nulls[0];
  if (*isnull) return (Datum)0;
  Oid type = get_fn_expr_rettype(fcinfo->flinfo);
  int16 typlen;
  bool typbyval;
  get_typlenbyval(OidIsValid(type) ? type : TEXTOID, &typlen, &typbyval);
  return datumCopy(static_cast<Datum>(outputs[0]), typbyval, typlen);
}

Datum memopt_native_execute(MemoptNativeRoutine *routine, FunctionCallInfo fcinfo) {
  const native::Routine &bound = *routine->routine;
  const native::Signature &signature = bound.signature;
  if (signature.returns_set) BeginResultSet(fcinfo, bound.outputs.empty());
  MemoryContext caller = CurrentMemoryContext;
  MemoryContext call_context =
      AllocSetContextCreate(caller, "memopt native call", ALLOCSET_DEFAULT_SIZES);
  MemoryContextSwitchTo(call_context);
  CallState *state = BeginCall(routine);
  state->result_set = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  int nargs = fcinfo->nargs;
  uint64_t *args = static_cast<uint64_t *>(palloc0(sizeof(uint64_t) * (nargs + 1)));
  bool *arg_nulls = static_cast<bool *>(palloc0(sizeof(bool) * (nargs + 1)));
  for (int i = 0; i < nargs; ++i) {
    args[i] = fcinfo->args[i].value;
    arg_nulls[i] = fcinfo->args[i].isnull;
  }
  size_t noutputs = bound.outputs.size();
  uint64_t *outputs = static_cast<uint64_t *>(palloc0(sizeof(uint64_t) * (noutputs + 1)));
  bool *output_nulls = static_cast<bool *>(palloc0(sizeof(bool) * (noutputs + 1)));
  MemoptNativeCall call{state, args, arg_nulls, 0, true, 0, outputs, output_nulls};
  ErrorContextCallback context{error_context_stack, NativeErrorContext, &call};
  error_context_stack = &context;
  routine->code->entry()(&call);
  error_context_stack = context.previous;
  EndCall(state);
  MemoryContextSwitchTo(caller);
  Datum result = (Datum)0;
  bool isnull = true;
  if (signature.returns_set) {
    isnull = false;  // materialized: the rows are in the tuplestore
  } else if (noutputs > 0) {
    result = OutputResult(fcinfo, outputs, output_nulls, &isnull);
  } else if (!signature.returns_void && !call.result_null) {
    isnull = false;
    result = static_cast<Datum>(call.result);
    if (memopt::native::IsByReference(signature.result)) {  // out of the call's memory
      int16 typlen;
      bool typbyval;
      get_typlenbyval(memopt_native_type_oid(signature.result), &typlen, &typbyval);
      result = datumCopy(result, typbyval, typlen);
    }
  }
  MemoryContextDelete(call_context);
  fcinfo->isnull = isnull;
  return result;
}
