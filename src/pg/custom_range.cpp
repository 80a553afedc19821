// custom_range.cpp - the MemoptRange custom scan: ordered range scans of a
// memopt_range index that return versions straight from the engine.
//
// It walks the index with the same MemoptRangeCursor as the index AM
// (range_cursor.cpp: btree's bounds, key order, each row once with the key
// of its visible version), but stores each version in the scan's memopt
// slot instead of returning a TID for the table AM to look up again.
//
// Planner: for every memopt_range index path whose index clauses are
// "column op argument" or "column op ANY (array)" with a btree strategy
// (cross-type arguments too) or IS [NOT] NULL, a MemoptRange path with the
// same parameterization, pathkeys and direction and 90% of its cost is
// added. It supports
// projection, backward scans (cursors) and mark/restore (the inner side of a
// merge join). Every original clause stays as the node's qual.
//
// custom_private: index OID, direction (+1 / -1), then per index clause
// column, strategy, scan key flags, operator, argument type, collation;
// custom_exprs: the clauses' arguments (a NULL constant for IS [NOT] NULL),
// then the clauses themselves, for EXPLAIN.
#include "index_internal.h"

extern "C" {
#include "access/relation.h"
#include "access/stratnum.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/pathnodes.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/restrictinfo.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"
}

#include "guc.h"

namespace {

constexpr const char *kName = "MemoptRange";
constexpr double kCostFactor = 0.9;
constexpr int kFieldsPerKey = 6;

struct RangeState {
  CustomScanState base;
  Relation index;
  memopt::Version *last_version;  // in the slot last handed to ExecScan
  bool backward;                  // the plan's direction
  int nkeys;
  ScanKey keys;
  List *argument_states;
  int16 *argument_typlen;
  bool *argument_byval;
  MemoryContext argument_context;  // copies of by-reference arguments, per (re)scan
  TupleTableSlot *slot;
  MemoptRangeCursor cursor;
  bool started;
};

// --- Planner -------------------------------------------------------------------

// Appends one scan key's description to *private_list and its argument to
// *arguments; false if the clause is not one MemoptRange handles.
bool DescribeClause(IndexOptInfo *index, IndexClause *clause, List **private_list, List **arguments,
                    List **shown) {
  if (clause->lossy || list_length(clause->indexquals) != 1) return false;
  RestrictInfo *rinfo = linitial_node(RestrictInfo, clause->indexquals);
  int column = clause->indexcol;
  Oid collation = index->indexcollations[column];
  if (IsA(rinfo->clause, NullTest)) {
    auto *test = reinterpret_cast<NullTest *>(rinfo->clause);
    if (test->argisrow) return false;
    int flags = SK_ISNULL | (test->nulltesttype == IS_NULL ? SK_SEARCHNULL : SK_SEARCHNOTNULL);
    *private_list = lappend(*private_list, makeInteger(column));
    *private_list = lappend(*private_list, makeInteger(InvalidStrategy));
    *private_list = lappend(*private_list, makeInteger(flags));
    *private_list = lappend(*private_list, makeInteger(static_cast<int>(InvalidOid)));
    *private_list = lappend(*private_list, makeInteger(static_cast<int>(InvalidOid)));
    *private_list = lappend(*private_list, makeInteger(static_cast<int>(collation)));
    *arguments = lappend(*arguments, makeNullConst(INT4OID, -1, InvalidOid));
    *shown = lappend(*shown, rinfo->clause);
    return true;
  }
  Oid opno;
  List *args;
  int flags = 0;
  if (IsA(rinfo->clause, OpExpr)) {
    opno = reinterpret_cast<OpExpr *>(rinfo->clause)->opno;
    args = reinterpret_cast<OpExpr *>(rinfo->clause)->args;
  } else if (IsA(rinfo->clause, ScalarArrayOpExpr)) {  // "op ANY (array)": the cursor's arrays
    auto *array_op = reinterpret_cast<ScalarArrayOpExpr *>(rinfo->clause);
    if (!array_op->useOr) return false;
    opno = array_op->opno;
    args = array_op->args;
    flags = SK_SEARCHARRAY;
  } else {
    return false;
  }
  if (list_length(args) != 2) return false;
  int strategy;
  Oid left_type, right_type;
  get_op_opfamily_properties(opno, index->opfamily[column], false, &strategy, &left_type,
                             &right_type);
  if (strategy < BTLessStrategyNumber || strategy > BTGreaterStrategyNumber) return false;
  *private_list = lappend(*private_list, makeInteger(column));
  *private_list = lappend(*private_list, makeInteger(strategy));
  *private_list = lappend(*private_list, makeInteger(flags));
  *private_list = lappend(*private_list, makeInteger(static_cast<int>(opno)));
  *private_list = lappend(*private_list,
                          makeInteger(static_cast<int>(
                              right_type == index->opcintype[column] ? InvalidOid : right_type)));
  *private_list = lappend(*private_list, makeInteger(static_cast<int>(collation)));
  *arguments = lappend(*arguments, lsecond(args));
  *shown = lappend(*shown, rinfo->clause);
  return true;
}

Plan *PlanRange(PlannerInfo *root, RelOptInfo *rel, CustomPath *path, List *tlist, List *clauses,
                List *custom_plans);
const CustomPathMethods path_methods = {kName, PlanRange, nullptr};
Node *CreateRangeState(CustomScan *scan);
const CustomScanMethods scan_methods = {kName, CreateRangeState};

Plan *PlanRange(PlannerInfo *root, RelOptInfo *rel, CustomPath *path, List *tlist, List *clauses,
                List *custom_plans) {
  (void)root;
  (void)custom_plans;
  CustomScan *scan = memopt_custom_scan_plan(
      rel, path, tlist, clauses,
      static_cast<List *>(copyObjectImpl(linitial(path->custom_private))),
      static_cast<List *>(copyObjectImpl(lsecond(path->custom_private))), &scan_methods);
  return &scan->scan.plan;
}

// --- Executor ------------------------------------------------------------------

void BeginRange(CustomScanState *node, EState *estate, int eflags) {
  (void)eflags;
  auto *state = reinterpret_cast<RangeState *>(node);
  auto *scan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
  List *description = scan->custom_private;
  state->index = index_open(static_cast<Oid>(intVal(linitial(description))), AccessShareLock);
  state->backward = intVal(lsecond(description)) < 0;
  state->nkeys = (list_length(description) - 2) / kFieldsPerKey;
  state->keys = static_cast<ScanKey>(palloc0(sizeof(ScanKeyData) * Max(state->nkeys, 1)));
  for (int i = 0; i < state->nkeys; ++i) {
    auto field = [&](int n) { return intVal(list_nth(description, 2 + i * kFieldsPerKey + n)); };
    Oid opno = static_cast<Oid>(field(3));
    ScanKeyEntryInitialize(&state->keys[i], field(2), static_cast<AttrNumber>(field(0) + 1),
                           static_cast<StrategyNumber>(field(1)), static_cast<Oid>(field(4)),
                           static_cast<Oid>(field(5)),
                           OidIsValid(opno) ? get_opcode(opno) : InvalidOid, 0);
  }
  state->argument_states = memopt_init_custom_scan_exprs(scan, state->nkeys, &node->ss.ps);
  state->argument_typlen = static_cast<int16 *>(palloc(sizeof(int16) * Max(state->nkeys, 1)));
  state->argument_byval = static_cast<bool *>(palloc(sizeof(bool) * Max(state->nkeys, 1)));
  for (int i = 0; i < state->nkeys; ++i)
    get_typlenbyval(exprType(static_cast<Node *>(list_nth(scan->custom_exprs, i))),
                    &state->argument_typlen[i], &state->argument_byval[i]);
  state->argument_context =
      AllocSetContextCreate(CurrentMemoryContext, "MemoptRange arguments", ALLOCSET_SMALL_SIZES);
  state->slot = memopt_custom_scan_slot(node, estate);
}

// Evaluates the arguments into the scan keys and starts the cursor. The
// keys are used for the whole scan, while the executor resets the per-tuple
// memory an argument may be computed in at every row: by-reference values
// are copied into argument_context.
void StartRange(RangeState *state) {
  ExprContext *econtext = state->base.ss.ps.ps_ExprContext;
  MemoryContextReset(state->argument_context);
  int i = 0;
  ListCell *cell;
  foreach (cell, state->argument_states) {
    ScanKey key = &state->keys[i];
    int index = i++;
    if (key->sk_flags & (SK_SEARCHNULL | SK_SEARCHNOTNULL)) continue;
    bool isnull;
    Datum value =
        ExecEvalExprSwitchContext(static_cast<ExprState *>(lfirst(cell)), econtext, &isnull);
    if (!isnull && !state->argument_byval[index]) {
      MemoryContext old = MemoryContextSwitchTo(state->argument_context);
      value = datumCopy(value, false, state->argument_typlen[index]);
      MemoryContextSwitchTo(old);
    }
    key->sk_argument = value;
    key->sk_flags = (key->sk_flags & SK_SEARCHARRAY) | (isnull ? SK_ISNULL : 0);
  }
  memopt_range_cursor_start(&state->cursor, state->base.ss.ss_currentRelation, state->index,
                            state->keys, state->nkeys, state->base.ss.ps.state->es_snapshot);
  state->started = true;
}

TupleTableSlot *RangeNext(ScanState *node) {
  auto *state = reinterpret_cast<RangeState *>(node);
  if (!state->started) StartRange(state);
  bool backward = state->backward != ScanDirectionIsBackward(node->ps.state->es_direction);
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  memopt::Version *version = memopt_range_cursor_next(&state->cursor, backward, values, isnull);
  if (version == nullptr) return ExecClearTuple(state->slot);
  memopt_store_version(version, node->ss_currentRelation, state->slot);
  state->last_version = version;
  return state->slot;
}

bool RangeRecheck(ScanState *node, TupleTableSlot *slot) {
  (void)node;
  (void)slot;
  return true;  // the quals, tested by ExecScan, are the whole condition
}

TupleTableSlot *ExecRange(CustomScanState *node) {
  return memopt_exec_custom_scan(node, RangeNext, RangeRecheck, nullptr,
                                 &reinterpret_cast<RangeState *>(node)->last_version);
}

void EndRange(CustomScanState *node) {
  auto *state = reinterpret_cast<RangeState *>(node);
  memopt_range_cursor_end(&state->cursor);
  if (state->index != nullptr) index_close(state->index, AccessShareLock);
}

void RescanRange(CustomScanState *node) {
  auto *state = reinterpret_cast<RangeState *>(node);
  memopt_range_cursor_reset(&state->cursor);
  state->started = false;
}

void MarkRange(CustomScanState *node) {
  memopt_range_cursor_mark(&reinterpret_cast<RangeState *>(node)->cursor);
}

void RestoreRange(CustomScanState *node) {
  memopt_range_cursor_restore(&reinterpret_cast<RangeState *>(node)->cursor);
}

void ExplainRange(CustomScanState *node, List *ancestors, ExplainState *es) {
  auto *state = reinterpret_cast<RangeState *>(node);
  auto *scan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
  memopt_explain_custom_scan_quals(node, ancestors, es);
  ExplainPropertyText("Index", RelationGetRelationName(state->index), es);
  // The first column's order as the scan reads it (a DESC index read
  // forward is descending).
  bool descending = state->backward != memopt_index_info(state->index)->columns[0].descending;
  ExplainPropertyText("Order", descending ? "descending" : "ascending", es);
  List *context = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, ancestors);
  List *exprs = memopt_custom_scan_exprs(scan);
  List *clauses = NIL;
  for (int i = state->nkeys; i < list_length(exprs); ++i)
    clauses = lappend(clauses, deparse_expression(static_cast<Node *>(list_nth(exprs, i)), context,
                                                  es->verbose, false));
  if (clauses != NIL) ExplainPropertyList("Index Bounds", clauses, es);
}

const CustomExecMethods exec_methods = {kName,     BeginRange,   ExecRange,   EndRange, RescanRange,
                                        MarkRange, RestoreRange, nullptr,     nullptr,  nullptr,
                                        nullptr,   nullptr,      ExplainRange};

Node *CreateRangeState(CustomScan *scan) {
  (void)scan;
  auto *state = static_cast<RangeState *>(palloc0(sizeof(RangeState)));
  NodeSetTag(state, T_CustomScanState);
  state->base.methods = &exec_methods;
  return reinterpret_cast<Node *>(state);
}

}  // namespace

void memopt_register_range_scan(void) { RegisterCustomScanMethods(&scan_methods); }

void memopt_add_range_paths(PlannerInfo *root, RelOptInfo *rel) {
  (void)root;
  if (!memopt_enable_custom_scans) return;
  List *added = NIL;
  ListCell *cell;
  foreach (cell, rel->pathlist) {
    Path *path = static_cast<Path *>(lfirst(cell));
    if (!IsA(path, IndexPath)) continue;  // index scans and index-only scans
    auto *index_path = reinterpret_cast<IndexPath *>(path);
    IndexOptInfo *index = index_path->indexinfo;
    if (memopt_index_am_kind(index->relam) != static_cast<int>(memopt::IndexKind::kRange)) continue;
    if (index_path->indexorderbys != NIL) continue;
    List *description =
        list_make2(makeInteger(static_cast<int>(index->indexoid)),
                   makeInteger(ScanDirectionIsBackward(index_path->indexscandir) ? -1 : 1));
    List *arguments = NIL, *shown = NIL;
    bool usable = true;
    ListCell *clause;
    foreach (clause, index_path->indexclauses)
      usable = usable && DescribeClause(index, lfirst_node(IndexClause, clause), &description,
                                        &arguments, &shown);
    if (!usable) continue;
    uint32 flags = CUSTOMPATH_SUPPORT_PROJECTION | CUSTOMPATH_SUPPORT_BACKWARD_SCAN |
                   CUSTOMPATH_SUPPORT_MARK_RESTORE;
    added =
        lappend(added, memopt_custom_path_like(
                           rel, path, kCostFactor, flags,
                           list_make2(description, list_concat(arguments, shown)), &path_methods));
  }
  foreach (cell, added) add_path(rel, static_cast<Path *>(lfirst(cell)));
  list_free(added);
}
