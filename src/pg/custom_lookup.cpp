// custom_lookup.cpp - the MemoptLookup custom scan: equality lookups
// through a memopt index that read versions straight from the engine.
//
// The generic path for `WHERE id = $1` is index AM -> TID -> table AM: the
// index scan finds the row, computes the visible version's key to check it,
// returns the version's TID, and the table AM looks the TID up in the
// directory and checks visibility again. MemoptLookup does the lookup itself:
// it hashes (memopt_hash) or encodes (memopt_range) the key values, collects
// the rows under the key, stores the version each row shows the scan's
// snapshot in a memopt slot, and lets the executor test every original
// clause on it. No key is recomputed, no TID is fetched.
//
// When every key column is a plain column, the "=" clauses the lookup uses
// are taken out of the plan's quals (as an index scan's Index Cond is): the
// node itself compares the key columns of the version it found with the key
// values, once per row, with the opclass's "=" (hash) or comparison (range).
// That check drops hash collisions and rows whose entry is for another
// version's key. Keeping the clauses as quals instead would compile them at
// every execution and evaluate the key expressions again for every row.
//
// Planner: for every plain index scan path of a memopt table whose index is
// a memopt index and whose clauses give "=" on every key column with an
// argument of the column's own type, a MemoptLookup path with the same
// parameterization and pathkeys and 80% of its cost is added (the same
// lookup without the TID round trip). Parameterized paths make it the inner
// side of nested loops.
//
// Executor: the scan slot is memopt's own slot type, so the projection,
// which ExecInitCustomScan compiles for a virtual slot (PostgreSQL 15 lets a
// custom scan choose no other), is compiled again in BeginCustomScan. The
// quals are not in plan.qual but at the end of custom_exprs, so they are
// compiled once, for the right slot (memopt_custom_scan_plan); a cached
// PL/pgSQL lookup spent a quarter of its time compiling expressions before.
#include "index_internal.h"

extern "C" {
#include "access/relation.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
}

#include "guc.h"
#include "hooks.h"

namespace {

constexpr const char *kName = "MemoptLookup";
constexpr double kCostFactor = 0.8;

struct LookupState {
  CustomScanState base;
  Relation index;
  memopt::Version *last_version;  // in the slot last handed to ExecScan
  const MemoptIndexInfo *info;
  List *key_states;  // ExprState per key column
  TupleTableSlot *slot;
  memopt::ReadView view;
  bool prepared;
  MemoptRowList rows;
  int next;
  // The lookup's "=" clauses are not quals: the node checks the key columns.
  bool check_keys;
  int max_key_attno;
  AttrNumber key_attnos[INDEX_MAX_KEYS];
  Datum key_values[INDEX_MAX_KEYS];  // of this lookup; by-reference ones copied
  bool key_copied[INDEX_MAX_KEYS];   // into the query's context
};

// --- Planner -------------------------------------------------------------------

// The argument expressions of "=" clauses, one per key column in order, or
// NIL when the path's clauses do not give exactly that. `clauses` gets the
// IndexClauses they came from.
List *EqualityKeys(IndexOptInfo *index, List *index_clauses, List **clauses) {
  int columns = index->nkeycolumns;
  Expr *keys[INDEX_MAX_KEYS] = {nullptr};
  int strategy = index->amoptionalkey ? BTEqualStrategyNumber : HTEqualStrategyNumber;
  ListCell *cell;
  foreach (cell, index_clauses) {
    IndexClause *clause = lfirst_node(IndexClause, cell);
    if (clause->lossy || list_length(clause->indexquals) != 1) return NIL;
    RestrictInfo *rinfo = linitial_node(RestrictInfo, clause->indexquals);
    if (!IsA(rinfo->clause, OpExpr)) return NIL;
    auto *op = reinterpret_cast<OpExpr *>(rinfo->clause);
    if (list_length(op->args) != 2) return NIL;
    int column = clause->indexcol;
    if (column >= columns || keys[column] != nullptr) return NIL;
    if (get_op_opfamily_strategy(op->opno, index->opfamily[column]) != strategy) return NIL;
    Expr *argument = static_cast<Expr *>(lsecond(op->args));
    if (exprType(reinterpret_cast<Node *>(argument)) != index->opcintype[column]) return NIL;
    keys[column] = argument;
    *clauses = lappend(*clauses, clause);
  }
  List *result = NIL;
  for (int i = 0; i < columns; ++i) {
    if (keys[i] == nullptr) return NIL;
    result = lappend(result, keys[i]);
  }
  return result;
}

Plan *PlanLookup(PlannerInfo *root, RelOptInfo *rel, CustomPath *path, List *tlist, List *clauses,
                 List *custom_plans);

const CustomPathMethods path_methods = {kName, PlanLookup, nullptr};

Node *CreateLookupState(CustomScan *scan);
const CustomScanMethods scan_methods = {kName, CreateLookupState};

Plan *PlanLookup(PlannerInfo *root, RelOptInfo *rel, CustomPath *path, List *tlist, List *clauses,
                 List *custom_plans) {
  (void)root;
  (void)custom_plans;
  // custom_private of the path: index OID, key arguments, and the key
  // IndexClauses when the node checks the key columns itself (NIL: every
  // clause is a qual). What they enforce is left out of the quals, as
  // create_indexscan_plan leaves out an index scan's.
  List *key_clauses = static_cast<List *>(lthird(path->custom_private));
  List *quals = NIL;
  ListCell *cell;
  foreach (cell, clauses) {
    auto *clause = lfirst_node(RestrictInfo, cell);
    if (!is_redundant_with_indexclauses(clause, key_clauses)) quals = lappend(quals, clause);
  }
  CustomScan *scan = memopt_custom_scan_plan(
      rel, path, tlist, quals,
      list_make2(linitial(path->custom_private), makeInteger(key_clauses != NIL ? 1 : 0)),
      static_cast<List *>(copyObjectImpl(lsecond(path->custom_private))), &scan_methods);
  return &scan->scan.plan;
}

// True if the index's key columns are all table columns (no expressions),
// so the node can check them on a version.
bool KeysAreColumns(IndexOptInfo *index) {
  for (int i = 0; i < index->nkeycolumns; ++i)
    if (index->indexkeys[i] == 0) return false;
  return true;
}

// --- Executor ------------------------------------------------------------------

void BeginLookup(CustomScanState *node, EState *estate, int eflags) {
  (void)eflags;
  auto *state = reinterpret_cast<LookupState *>(node);
  auto *scan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
  Oid index_oid = static_cast<Oid>(intVal(linitial(scan->custom_private)));
  state->index = index_open(index_oid, AccessShareLock);
  state->info = memopt_index_info(state->index);
  state->key_states =
      memopt_init_custom_scan_exprs(scan, list_length(scan->custom_exprs) - 1, &node->ss.ps);
  state->slot = memopt_custom_scan_slot(node, estate);
  state->check_keys = intVal(lsecond(scan->custom_private)) != 0;
  for (int i = 0; state->check_keys && i < state->info->natts; ++i) {
    state->key_attnos[i] = state->index->rd_index->indkey.values[i];
    state->max_key_attno = Max(state->max_key_attno, state->key_attnos[i]);
  }
}

// Evaluates the key expressions into `values`; false if one is NULL ("="
// NULL is never true).
bool EvaluateKeys(LookupState *state, Datum *values, bool *isnull) {
  ExprContext *econtext = state->base.ss.ps.ps_ExprContext;
  int i = 0;
  ListCell *cell;
  foreach (cell, state->key_states) {
    values[i] =
        ExecEvalExprSwitchContext(static_cast<ExprState *>(lfirst(cell)), econtext, &isnull[i]);
    if (isnull[i]) return false;
    ++i;
  }
  return true;
}

// Keeps this lookup's key values for KeyMatches: ExecScan resets the
// per-tuple context they were computed in before it asks for the next row.
void RememberKeys(LookupState *state, const Datum *values) {
  MemoryContext old = MemoryContextSwitchTo(state->base.ss.ps.state->es_query_cxt);
  for (int i = 0; i < state->info->natts; ++i) {
    if (state->key_copied[i]) pfree(DatumGetPointer(state->key_values[i]));
    const MemoptIndexColumn &column = state->info->columns[i];
    state->key_copied[i] = !column.typbyval;
    state->key_values[i] = column.typbyval ? values[i] : datumCopy(values[i], false, column.typlen);
  }
  MemoryContextSwitchTo(old);
}

// True if the key columns of the row in `slot` equal `keys`.
bool KeyMatches(LookupState *state, TupleTableSlot *slot, const Datum *keys) {
  static const bool kNoNulls[INDEX_MAX_KEYS] = {false};
  slot_getsomeattrs(slot, state->max_key_attno);
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  for (int i = 0; i < state->info->natts; ++i) {
    values[i] = slot->tts_values[state->key_attnos[i] - 1];
    isnull[i] = slot->tts_isnull[state->key_attnos[i] - 1];
  }
  return memopt_key_values_equal(state->info, keys, kNoNulls, values, isnull);
}

void PrepareLookup(LookupState *state) {
  state->prepared = true;
  state->rows.count = 0;
  state->next = 0;
  ExprContext *econtext = state->base.ss.ps.ps_ExprContext;
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  if (!EvaluateKeys(state, values, isnull)) return;
  if (state->check_keys) RememberKeys(state, values);
  Relation heap = state->base.ss.ss_currentRelation;
  memopt::Index *engine_index = memopt_index_for(heap, state->index);
  state->view = memopt_view_for(state->base.ss.ps.state->es_snapshot);
  MemoptCompareContext compare{state->info, nullptr, nullptr};
  if (state->info->kind == memopt::IndexKind::kHash) {
    uint64 hash = memopt_key_hash(state->info, nullptr, values, isnull);
    memopt_note_hash_probe(heap, engine_index, hash);
    memopt_rows_under_key(engine_index, hash, memopt::KeyRef{nullptr, 0}, &compare, &state->rows);
    return;
  }
  MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
  memopt::KeyRef key = memopt_key_encode(state->info, nullptr, state->info->natts, values, isnull);
  MemoryContextSwitchTo(old);
  memopt::RangeBound bound{true, false, key};
  memopt_note_range_scan(heap, engine_index, bound, bound);
  memopt_rows_under_key(engine_index, 0, key, &compare, &state->rows);
}

TupleTableSlot *LookupNext(ScanState *node) {
  auto *state = reinterpret_cast<LookupState *>(node);
  if (!state->prepared) PrepareLookup(state);
  while (state->next < state->rows.count) {
    memopt::Version *version = memopt_visible_version(state->rows.rows[state->next++], state->view);
    if (version == nullptr) continue;
    memopt_store_version(version, node->ss_currentRelation, state->slot);
    if (state->check_keys && !KeyMatches(state, state->slot, state->key_values)) continue;
    state->last_version = version;
    return state->slot;
  }
  return ExecClearTuple(state->slot);
}

// EvalPlanQual's test of a row fetched again: the key clauses, if they are
// not quals (ExecScan tests those).
bool LookupRecheck(ScanState *node, TupleTableSlot *slot) {
  auto *state = reinterpret_cast<LookupState *>(node);
  if (!state->check_keys) return true;
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  return EvaluateKeys(state, values, isnull) && KeyMatches(state, slot, values);
}

TupleTableSlot *ExecLookup(CustomScanState *node) {
  return memopt_exec_custom_scan(node, LookupNext, LookupRecheck, nullptr,
                                 &reinterpret_cast<LookupState *>(node)->last_version);
}

void EndLookup(CustomScanState *node) {
  auto *state = reinterpret_cast<LookupState *>(node);
  if (state->index != nullptr) index_close(state->index, AccessShareLock);
  if (state->rows.rows != nullptr) pfree(state->rows.rows);
  for (int i = 0; state->info != nullptr && i < state->info->natts; ++i)
    if (state->key_copied[i]) pfree(DatumGetPointer(state->key_values[i]));
}

void RescanLookup(CustomScanState *node) {
  reinterpret_cast<LookupState *>(node)->prepared = false;
}

void ExplainLookup(CustomScanState *node, List *ancestors, ExplainState *es) {
  auto *state = reinterpret_cast<LookupState *>(node);
  auto *scan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
  memopt_explain_custom_scan_quals(node, ancestors, es);
  ExplainPropertyText("Index", RelationGetRelationName(state->index), es);
  List *context = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, ancestors);
  List *keys = NIL;
  ListCell *cell;
  foreach (cell, memopt_custom_scan_exprs(scan))
    keys = lappend(
        keys, deparse_expression(static_cast<Node *>(lfirst(cell)), context, es->verbose, false));
  ExplainPropertyList("Lookup Keys", keys, es);
}

const CustomExecMethods exec_methods = {kName,   BeginLookup, ExecLookup,   EndLookup, RescanLookup,
                                        nullptr, nullptr,     nullptr,      nullptr,   nullptr,
                                        nullptr, nullptr,     ExplainLookup};

Node *CreateLookupState(CustomScan *scan) {
  (void)scan;
  auto *state = static_cast<LookupState *>(palloc0(sizeof(LookupState)));
  NodeSetTag(state, T_CustomScanState);
  state->base.methods = &exec_methods;
  return reinterpret_cast<Node *>(state);
}

}  // namespace

int memopt_index_am_kind(Oid am) {
  static Oid range_am = InvalidOid, hash_am = InvalidOid;
  if (!OidIsValid(range_am)) range_am = get_index_am_oid("memopt_range", true);
  if (!OidIsValid(hash_am)) hash_am = get_index_am_oid("memopt_hash", true);
  if (!OidIsValid(am)) return 0;
  return am == range_am  ? static_cast<int>(memopt::IndexKind::kRange)
         : am == hash_am ? static_cast<int>(memopt::IndexKind::kHash)
                         : 0;
}

CustomPath *memopt_custom_path_like(RelOptInfo *rel, Path *path, double cost_factor, uint32 flags,
                                    List *custom_private, const CustomPathMethods *methods) {
  CustomPath *custom = makeNode(CustomPath);
  custom->path.pathtype = T_CustomScan;
  custom->path.parent = rel;
  custom->path.pathtarget = rel->reltarget;
  custom->path.param_info = path->param_info;
  custom->path.rows = path->rows;
  custom->path.startup_cost = path->startup_cost * cost_factor;
  custom->path.total_cost = path->total_cost * cost_factor;
  custom->path.pathkeys = path->pathkeys;
  custom->flags = flags;
  custom->custom_private = custom_private;
  custom->methods = methods;
  return custom;
}

CustomScan *memopt_custom_scan_plan(RelOptInfo *rel, CustomPath *path, List *tlist, List *clauses,
                                    List *custom_private, List *custom_exprs,
                                    const CustomScanMethods *methods) {
  CustomScan *scan = makeNode(CustomScan);
  scan->scan.plan.targetlist = tlist;
  // The quals ride as the last element of custom_exprs (setrefs fixes them
  // there as in plan.qual): ExecInitCustomScan would compile plan.qual for
  // a virtual slot, only for memopt_custom_scan_slot to compile it again.
  scan->scan.plan.qual = NIL;
  custom_exprs = lappend(custom_exprs, extract_actual_clauses(clauses, false));
  scan->scan.scanrelid = rel->relid;
  scan->flags = path->flags;
  scan->custom_private = custom_private;
  scan->custom_exprs = custom_exprs;
  scan->methods = methods;
  return scan;
}

TupleTableSlot *memopt_exec_custom_scan(CustomScanState *node, ExecScanAccessMtd next,
                                        ExecScanRecheckMtd recheck, memopt::Table *table,
                                        memopt::Version **last_version) {
  TupleTableSlot *result = ExecScan(&node->ss, next, recheck);
  if (!TupIsNull(result) && *last_version != nullptr)
    memopt_note_read(node->ss.ss_currentRelation, table, *last_version);
  *last_version = nullptr;
  return result;
}

namespace {

// The quals memopt_custom_scan_plan appended to custom_exprs.
List *ScanQuals(const CustomScan *scan) { return static_cast<List *>(llast(scan->custom_exprs)); }

}  // namespace

List *memopt_custom_scan_exprs(const CustomScan *scan) {
  return list_copy_head(scan->custom_exprs, list_length(scan->custom_exprs) - 1);
}

List *memopt_init_custom_scan_exprs(const CustomScan *scan, int count, PlanState *parent) {
  List *states = NIL;
  for (int i = 0; i < count; ++i)
    states =
        lappend(states, ExecInitExpr(static_cast<Expr *>(list_nth(scan->custom_exprs, i)), parent));
  return states;
}

void memopt_explain_custom_scan_quals(CustomScanState *node, List *ancestors, ExplainState *es) {
  // What ExplainNode prints for plan.qual, in the same place (first).
  auto *scan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
  List *quals = ScanQuals(scan);
  if (quals == NIL) return;
  List *context = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, ancestors);
  Node *all = reinterpret_cast<Node *>(make_ands_explicit(quals));
  ExplainPropertyText("Filter", deparse_expression(all, context, es->verbose, false), es);
  Instrumentation *instrument = node->ss.ps.instrument;
  if (!es->analyze || instrument == nullptr) return;
  double removed = instrument->nloops > 0 ? instrument->nfiltered1 / instrument->nloops : 0.0;
  if (instrument->nfiltered1 > 0 || es->format != EXPLAIN_FORMAT_TEXT)
    ExplainPropertyFloat("Rows Removed by Filter", nullptr, removed, 0, es);
}

TupleTableSlot *memopt_custom_scan_slot(CustomScanState *node, EState *estate) {
  // The scan tuple is a memopt slot: recompile what ExecInitCustomScan
  // compiled for a virtual one (see the file comment).
  auto *scan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
  Relation heap = node->ss.ss_currentRelation;
  ExecInitScanTupleSlot(estate, &node->ss, RelationGetDescr(heap), memopt_slot_ops());
  node->ss.ps.qual = ExecInitQual(ScanQuals(scan), &node->ss.ps);
  ExecAssignScanProjectionInfoWithVarno(&node->ss, scan->scan.scanrelid);
  return node->ss.ss_ScanTupleSlot;
}

void memopt_register_custom_scans(void) {
  RegisterCustomScanMethods(&scan_methods);
  memopt_register_range_scan();
  memopt_register_seq_scan();
}

void memopt_add_lookup_paths(PlannerInfo *root, RelOptInfo *rel) {
  (void)root;
  if (!memopt_enable_custom_scans) return;
  List *added = NIL;
  ListCell *cell;
  foreach (cell, rel->pathlist) {
    Path *path = static_cast<Path *>(lfirst(cell));
    if (!IsA(path, IndexPath)) continue;  // index scans and index-only scans
    auto *index_path = reinterpret_cast<IndexPath *>(path);
    if (memopt_index_am_kind(index_path->indexinfo->relam) == 0) continue;
    List *key_clauses = NIL;
    List *keys = EqualityKeys(index_path->indexinfo, index_path->indexclauses, &key_clauses);
    if (keys == NIL) continue;
    if (!KeysAreColumns(index_path->indexinfo)) key_clauses = NIL;
    added = lappend(
        added, memopt_custom_path_like(
                   rel, path, kCostFactor, CUSTOMPATH_SUPPORT_PROJECTION,
                   list_make3(makeInteger(static_cast<int>(index_path->indexinfo->indexoid)), keys,
                              key_clauses),
                   &path_methods));
  }
  foreach (cell, added) add_path(rel, static_cast<Path *>(lfirst(cell)));
  list_free(added);
}
